"""The flattened photo page's resolution and sharpening (ocr.photo.flatten), and the
photo bench's paired statistics (tests.bench.photos)."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

import ocr
from ocr.photo import PAGE_DPI, SHARPEN_GROWTH, _sharpen, held_dpi, photo_page
from samples.photo import plan_photo, render_photo
from tests.bench.photos import GOAL_GAP, sign_test, verdict


def test_held_dpi_is_the_pages_sides_over_a4s() -> None:
    w, h = 210 / 25.4 * 150, 297 / 25.4 * 150  # an A4 page held at 150 dpi, upright
    corners = np.array([[10, 20], [10 + w, 20], [10 + w, 20 + h], [10, 20 + h]], np.float32)
    assert held_dpi(corners) == pytest.approx(150, abs=0.1)


def test_a_3_mp_photo_is_flattened_at_300_dpi_not_at_the_coarser_grid_it_holds() -> None:
    spec = replace(plan_photo(2, 1, "dev"), frame=(1512, 2016), cover=0.7)
    data, truth = render_photo(2, 1, "dev", spec)
    held = held_dpi(np.asarray(truth["photo"]["corners"], np.float32))
    assert held < 200  # what a 3 MP frame holds: the page used to be read at 200 dpi
    page = photo_page(data)
    assert page.dpi == PAGE_DPI == 300
    assert page.image.shape == (round(297 / 25.4 * 300), round(210 / 25.4 * 300))


def _blurred_bar(sigma: float) -> np.ndarray:
    """A 3 px dark bar on paper, blurred as a photo enlarged from a coarser grid is."""
    img = np.full((40, 80), 235, np.uint8)
    img[:, 39:42] = 60
    return cv2.GaussianBlur(img, (0, 0), sigma)


def test_the_unsharp_mask_grows_with_the_enlargement() -> None:
    bar = _blurred_bar(2.5)  # a 130 dpi photo's blur enlarged to 300 dpi
    plain = _sharpen(bar, 300, 300)  # held at 300 dpi: the usual mask
    grown = _sharpen(bar, 300, 130)  # enlarged 2.3 times: a wider mask
    # the wider mask deepens the blurred bar's core more: the ink comes back darker
    assert int(grown[20, 40]) < int(plain[20, 40]) - 3
    # and only up to SHARPEN_GROWTH: any coarser photo is sharpened as one 1.5x enlarged
    assert SHARPEN_GROWTH == 1.5
    assert np.array_equal(_sharpen(bar, 300, 200), _sharpen(bar, 300, 60))
    # no enlargement (12 MP, 300 dpi or more held): the mask is the one the scan-like
    # photos were tuned with
    assert np.array_equal(_sharpen(bar, 300, 300), _sharpen(bar, 300, 420))


def test_a_blurred_3_mp_photos_e_mail_is_read() -> None:
    """Dev seed 4, sample 22 (3 MP, blur 1.23): its e-mail, small print on the form, was
    read as nothing from the page flattened at the 200 dpi floor; at 300 dpi with the
    grown mask it is read as from the 200 dpi scan of the same page."""
    data, truth = render_photo(22, 4, "dev")
    assert truth["photo"]["frame"] == [1512, 2016]
    [got] = ocr.extract(data).declarations
    want = truth["declarations"][0]["fields"]
    assert got.fields["email"].value == want["email"]
    for name in ("organisation", "county", "place", "signed_date", "signatory_name"):
        assert got.fields[name].value == want[name], name


def test_the_sign_test_is_exact_and_two_sided() -> None:
    assert sign_test(0, 0) == 1.0
    assert sign_test(3, 3) == 1.0
    assert sign_test(0, 6) == pytest.approx(2 / 64)  # 6 of 6 one way: p = 2 * 0.5**6
    assert sign_test(6, 0) == sign_test(0, 6)
    assert sign_test(1, 5) == pytest.approx(2 * 7 / 64)
    assert sign_test(20, 26) == pytest.approx(0.4614, abs=1e-4)
    assert sign_test(2, 12) < 0.05 < sign_test(3, 10)


def _figures(photo: float, scan: float, better: dict, worse: dict, found: float = 1.0) -> dict:
    keys = ["organisation", "county", "signature"]
    b = {k: better.get(k, 0) for k in keys}
    c = {k: worse.get(k, 0) for k in keys}
    return {
        "page_found": found,
        "photo": {"value_accuracy": photo},
        "scan200": {"value_accuracy": scan},
        "photo_right_scan_wrong": b,
        "scan_right_photo_wrong": c,
        "paired_p": {k: sign_test(b[k], c[k]) for k in keys},
    }


def test_the_verdict_follows_the_definition_in_photos_md() -> None:
    assert verdict(_figures(0.85, 0.853, {"county": 3}, {"county": 4}))["met"]
    short = verdict(_figures(0.85, 0.85 + GOAL_GAP + 0.001, {}, {}))
    assert not short["met"] and not short["values_ok"]
    county = verdict(_figures(0.86, 0.85, {"organisation": 9}, {"county": 7}))
    assert county["fields_scan_wins"] == ["county"] and not county["met"]
    # the photo winning a field significantly is no failure
    assert verdict(_figures(0.86, 0.85, {"organisation": 9}, {}))["met"]
    assert not verdict(_figures(0.9, 0.85, {}, {}, found=0.985))["met"]
