"""Broken inputs are what they claim to be, each with a reason the engine knows."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pypdf
import pytest
from pypdf.errors import PdfReadError

from ocr.errors import Reason
from samples.bad import BOMB_SIDE, generate_bad_inputs


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    pairs = generate_bad_inputs(tmp_path_factory.mktemp("bad"))
    return {path.name: (path, reason) for path, reason in pairs}


def test_every_reason_is_an_engine_reason(bad: dict[str, tuple[Path, str]]) -> None:
    known = {r.value for r in Reason} | {""}
    assert all(reason in known for _, reason in bad.values())
    reasons = {reason for _, reason in bad.values()}
    assert {
        "empty",
        "not_pdf",
        "truncated",
        "encrypted",
        "too_many_pages",
        "too_many_pixels",
        "",
    } <= reasons
    assert all(path.exists() for path, _ in bad.values())


def test_files_are_broken_the_way_they_say(bad: dict[str, tuple[Path, str]]) -> None:
    assert bad["empty.pdf"][0].stat().st_size == 0
    docx = bad["word-renamed.pdf"][0].read_bytes()
    assert docx[:2] == b"PK"
    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(docx)).namelist()
    assert bad["png-renamed.pdf"][0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    truncated = bad["truncated.pdf"][0].read_bytes()
    assert truncated.startswith(b"%PDF") and b"%%EOF" not in truncated[-64:]
    with pytest.raises(PdfReadError):
        pypdf.PdfReader(io.BytesIO(truncated), strict=True)
    assert pypdf.PdfReader(bad["encrypted.pdf"][0]).is_encrypted


def test_limits_files_claim_what_they_should(bad: dict[str, tuple[Path, str]]) -> None:
    pages = pypdf.PdfReader(bad["five-thousand-pages.pdf"][0])
    assert len(pages.pages) == 5000
    bomb_path = bad["pixel-bomb.pdf"][0]
    assert bomb_path.stat().st_size < 1_000_000
    page = pypdf.PdfReader(bomb_path).pages[0]
    image = page["/Resources"]["/XObject"]["/Im0"].get_object()
    assert image["/Width"] == image["/Height"] == BOMB_SIDE


def test_vector_form_is_real_text(bad: dict[str, tuple[Path, str]]) -> None:
    path, reason = bad["vector-text.pdf"]
    assert reason == ""
    text = pypdf.PdfReader(path).pages[0].extract_text()
    assert "Organisationsnummer" in text and "Västerbotten" in text
