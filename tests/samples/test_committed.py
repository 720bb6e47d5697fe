"""The committed samples are small, current, and their truth boxes hold what they say."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
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


def _page_pixels(pdf: Path) -> list[np.ndarray]:
    return [
        np.asarray(page.images[0].image.convert("L"), dtype=np.int16)
        for page in pypdf.PdfReader(pdf).pages
    ]


# A regenerated page may differ from the committed one by a few pixels: OpenCV picks its
# SIMD kernels by the CPU it runs on (AVX2, AVX-512, …) and their rounding differs, and
# JPEG encoders differ between Pillow releases. What matters is the truth and the picture.
MAX_MEAN_DIFFERENCE = 0.05  # grey levels, over the whole page
MAX_CHANGED_SHARE = 1e-4  # share of pixels more than 32 grey levels apart (~390 of a page)


def test_committed_files_are_what_the_generator_makes(tmp_path: Path) -> None:
    """The committed files are the generator's current output: the same truth, and the
    same pages up to encoder and rounding noise."""
    build(tmp_path)
    for name in NAMES:
        fresh, committed = tmp_path / f"{name}.pdf", COMMITTED_DIR / f"{name}.pdf"
        assert json.loads(fresh.with_suffix(".json").read_text(encoding="utf-8")) == json.loads(
            committed.with_suffix(".json").read_text(encoding="utf-8")
        ), name
        pages, expected = _page_pixels(fresh), _page_pixels(committed)
        assert len(pages) == len(expected), name
        for page_no, (a, b) in enumerate(zip(pages, expected, strict=True), start=1):
            assert a.shape == b.shape, (name, page_no)
            diff = np.abs(a - b)
            assert diff.mean() <= MAX_MEAN_DIFFERENCE, (name, page_no, diff.mean())
            assert (diff > 32).mean() <= MAX_CHANGED_SHARE, (name, page_no)


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
