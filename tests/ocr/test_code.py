"""The engine finds and decodes a join-online form's 2-D code on any page: turned
90/180/270 degrees, skewed, at 200-600 dpi, colour or grey JPEG, B/W G4, and returns its
bytes and box. The forms are printed, signed and scanned by ``samples.prefilled``."""

from __future__ import annotations

import base64
import dataclasses

import numpy as np
import pytest

from ocr import extract
from ocr.code import find_codes
from ocr.limits import DEFAULT_LIMITS
from ocr.pages import page_images
from ocr.pdf import open_pdf
from ocr.pipeline import MAX_DPI
from registry.applications import code_key, encode_payload
from samples.prefilled import PrefilledPlan, plan_prefilled, render_prefilled

KEY = code_key(b"ocr-test")
APP_ID = "test7application"


def scanned(index: int, **scan: object) -> tuple[bytes, PrefilledPlan]:
    plan = plan_prefilled(index, 41)
    plan = dataclasses.replace(plan, scan=dataclasses.replace(plan.scan, **scan))
    pdf, _ = render_prefilled(plan, key=KEY, application_id=APP_ID)
    return pdf, plan


def page_image(pdf: bytes) -> np.ndarray:
    """The page as the pipeline renders it (no orientation applied)."""
    page = next(iter(page_images(open_pdf(pdf, DEFAULT_LIMITS), target_dpi=MAX_DPI, colour=False)))
    return page.image


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize(
    ("dpi", "colour"), [(200, "bw-g4"), (200, "grey-jpeg"), (600, "bw-g4"), (400, "colour-jpeg")]
)
def test_the_code_is_decoded_whichever_way_and_however_scanned(
    rotation: int, dpi: int, colour: str
) -> None:
    pdf, plan = scanned(
        rotation + dpi, rotation=rotation, dpi=dpi, colour=colour, skew=1.5, jpeg_quality=35
    )
    codes = find_codes(page_image(pdf), 1)
    assert [c.data for c in codes] == [encode_payload(KEY, APP_ID, plan.values)]
    (code,) = codes
    assert code.format == "qr" and code.page == 1
    assert code.bbox is not None
    x0, y0, x1, y1 = code.bbox
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    assert 0.1 < (x1 - x0) / (y1 - y0) * (297 / 210) < 10  # a box, not a line


def test_a_blurred_speckled_fax_like_scan_still_decodes() -> None:
    pdf, plan = scanned(5, dpi=200, colour="bw-g4", blur=0.9, noise="speckle", paper=20)
    assert [c.data for c in find_codes(page_image(pdf), 1)] == [
        encode_payload(KEY, APP_ID, plan.values)
    ]


def test_the_engine_returns_the_code_with_the_declaration_and_in_its_json() -> None:
    pdf, plan = scanned(7, rotation=90, dpi=300, colour="bw-g4", skew=-2.0, pdf_rotate=True)
    result = extract(pdf)
    (decl,) = result.declarations
    assert decl.declaration == plan.declaration
    (code,) = decl.codes
    assert code.data == encode_payload(KEY, APP_ID, plan.values)
    # the box is on the upright page: the code sits at the top right
    assert code.bbox is not None and code.bbox[0] > 0.6 and code.bbox[3] < 0.25
    out = decl.to_dict()["codes"]
    assert out[0]["format"] == "qr" and out[0]["page"] == 1
    assert base64.b64decode(out[0]["data"]) == code.data
    assert out[0]["text"] == code.data.decode()


def test_a_page_without_a_code_has_none() -> None:
    blank = np.full((3508, 2480), 255, np.uint8)
    blank[1000:1040, 300:2000] = 0  # a rule, not a code
    assert find_codes(blank, 3) == ()
    assert find_codes(np.zeros((0, 0), np.uint8), 1) == ()


def test_a_code_seen_but_not_read_at_full_size_is_read_at_a_smaller_scale() -> None:
    # a 600 dpi speckled grey scan turned 90 degrees and deskewed: at full resolution
    # zxing sees the code but fails its checksum (found in the code bench, sample 77)
    from ocr import orient

    plan = plan_prefilled(77, 12, forged_share=0.1, changed_share=0.1)
    pdf, _ = render_prefilled(plan, key=KEY, application_id=APP_ID)
    image = page_image(pdf)
    upright = orient.apply(image, orient.detect(image, MAX_DPI))
    (code,) = find_codes(upright, 1)
    assert code.data == encode_payload(KEY, APP_ID, plan.values)
