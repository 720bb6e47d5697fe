"""Orientation and deskew from pixels alone (no OCR): every quarter turn and a skew."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr import orient
from ocr.pages import page_images
from ocr.pdf import open_pdf


@pytest.fixture(scope="module")
def upright(dev_samples) -> tuple[np.ndarray, float]:
    data, truth = dev_samples[8]
    assert truth["variant"]["rotation"] == 0
    page = next(page_images(open_pdf(data)))
    o = orient.detect(page.image, page.dpi)
    return orient.apply(page.image, o), page.dpi


def _turn(img: np.ndarray, quarter: int, skew: float) -> np.ndarray:
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
    img = cv2.warpAffine(img, m, (w, h), borderValue=255)
    return np.ascontiguousarray(np.rot90(img, quarter))  # counter-clockwise quarters


@pytest.mark.parametrize("quarter", [0, 1, 2, 3])
@pytest.mark.parametrize("skew", [0.0, 3.0, -4.0])
def test_detect_undoes_turn_and_skew(upright, quarter: int, skew: float) -> None:
    img, dpi = upright
    o = orient.detect(_turn(img, quarter, skew), dpi)
    assert o.quarter == quarter  # clockwise quarters undo counter-clockwise ones
    assert abs(o.skew + skew) <= 0.35


def test_apply_restores_the_page(upright) -> None:
    img, dpi = upright
    turned = _turn(img, 1, 2.0)
    back = orient.apply(turned, orient.detect(turned, dpi))
    assert back.shape == img.shape
    small = [cv2.resize(a, None, fx=0.1, fy=0.1, interpolation=cv2.INTER_AREA) for a in (img, back)]
    corr = np.corrcoef(small[0].ravel().astype(float), small[1].ravel().astype(float))[0, 1]
    assert corr > 0.8


@pytest.mark.parametrize("side", ["left", "right"])
def test_edge_shadow_does_not_turn_an_upright_page(upright, side: str) -> None:
    """A scanner's dark band fading in from one edge is not a sideways page, even on a
    page with little text (the signing block alone)."""
    img, dpi = upright
    h, w = img.shape
    sparse = img.copy()
    sparse[: int(h * 0.7)] = 255
    band = int(dpi * 6 / 25.4)
    ramp = 255 - np.linspace(1.0, 0.0, band) ** 2 * 200
    if side == "right":
        ramp = ramp[::-1]
    cols = slice(0, band) if side == "left" else slice(w - band, w)
    sparse[:, cols] = np.minimum(sparse[:, cols], ramp[None, :].astype(np.uint8))
    o = orient.detect(sparse, dpi)
    assert o.quarter % 2 == 0  # not sideways
    assert o.quarter == 0 or not o.certain  # upside down only as a doubt OCR settles
