"""The committed samples are small, current, and their truth boxes hold what they say."""

from __future__ import annotations

import json
from pathlib import Path

import pypdf
import pytesseract
import pytest
from PIL import Image
from rapidfuzz import fuzz

from samples.committed import COMMITTED_DIR, WANTED, build

NAMES = [name for name, *_ in WANTED]


def test_committed_files_are_small_and_listed() -> None:
    readme = (COMMITTED_DIR / "README.md").read_text(encoding="utf-8")
    for name in NAMES:
        pdf = COMMITTED_DIR / f"{name}.pdf"
        assert pdf.stat().st_size < 300_000
        assert json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))["file"] == pdf.name
        assert f"`{name}.pdf`" in readme


def test_committed_files_are_what_the_generator_makes(tmp_path: Path) -> None:
    build(tmp_path)
    for name in NAMES:
        assert (tmp_path / f"{name}.pdf").read_bytes() == (
            COMMITTED_DIR / f"{name}.pdf"
        ).read_bytes()


def _upright_page(pdf: Path, page_no: int, rotation: int) -> Image.Image:
    reader = pypdf.PdfReader(pdf)
    image = reader.pages[page_no - 1].images[0].image
    assert image is not None
    return image.rotate(rotation, expand=True) if rotation else image


@pytest.mark.parametrize(
    "name", ["signed-label-left", "rotated-180", "bw-g4-table", "heldout-two-column"]
)
def test_value_boxes_hold_the_printed_text(name: str) -> None:
    """Tesseract reads the printed value inside its truth box: the boxes are exact."""
    pdf = COMMITTED_DIR / f"{name}.pdf"
    truth = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    decl = truth["declarations"][0]
    field = "organisation_number" if decl["printed"]["organisation_number"] else "organisation"
    box = decl["value_boxes"][field]
    page = _upright_page(pdf, box["page"], truth["variant"]["rotation"]).convert("L")
    w, h = page.size
    x0, y0, x1, y1 = box["bbox"]
    pad = 0.015
    crop = page.crop(
        (int((x0 - pad) * w), int((y0 - pad) * h), int((x1 + pad) * w), int((y1 + pad) * h))
    )
    crop = crop.resize((crop.width * 2, crop.height * 2))
    text = pytesseract.image_to_string(crop, config="--psm 6").strip()
    assert fuzz.ratio(text, decl["printed"][field]) >= 80, text
