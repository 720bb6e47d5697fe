"""Is the form signed? Ink strokes near the signature label that are not print.

The region is taken from the signature label the way values are (right of it, above
the rule it stands under, or below it), with every other label and value read on the
page blanked out. In it, on the rule-free ink mask, speckle is dropped and what is
left is measured: handwriting spans several text heights, has long connected strokes
and, on colour scans, is often blue. Nothing there means unsigned (``present: false``).
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from ocr.fields import Region
from ocr.layout import Box, Layout
from ocr.model import BBox, SignatureFinding

_REACH = 4.5  # how far the region extends from the label, in text heights


def signature_box(region: Region, th: float, page_w: int, page_h: int, col_end: int) -> Box:
    lab = region.label.box
    if region.where == "above":
        return Box(max(0, lab.x0 - int(th)), max(0, int(lab.y0 - _REACH * th)), col_end, lab.y0 - 1)
    if region.where == "below":
        return Box(
            max(0, lab.x0 - int(th)), lab.y1 + 1, col_end, min(page_h, int(lab.y1 + _REACH * th))
        )
    return Box(
        lab.x1 + int(th * 0.3),
        max(0, int(lab.y0 - 3.5 * th)),
        col_end,
        min(page_h, int(lab.y1 + 1.2 * th)),
    )


def _stroke_stats(mask: np.ndarray, th: float) -> tuple[int, int, int, int]:
    """(ink pixels, width, height, largest component) after dropping speckle."""
    m = mask.astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n <= 1:
        return 0, 0, 0, 0
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = areas >= max(3, th * th * 0.04)
    if not keep.any():
        return 0, 0, 0, 0
    kept = stats[1:][keep]
    x0 = int(kept[:, 0].min())
    y0 = int(kept[:, 1].min())
    x1 = int((kept[:, 0] + kept[:, 2]).max())
    y1 = int((kept[:, 1] + kept[:, 3]).max())
    return int(kept[:, 4].sum()), x1 - x0, y1 - y0, int(kept[:, 4].max())


def detect_signature(
    region: Region,
    layout: Layout,
    *,
    page_number: int,
    page_size: tuple[int, int],
    col_end: int,
    blank: Iterable[Box],
) -> SignatureFinding:
    """Signature present or not in the region of the signature label."""
    page_w, page_h = page_size
    inv = 1.0 / layout.scale
    th_small = layout.text_height
    full = signature_box(region, th_small * inv, page_w, page_h, col_end)
    box = full.scaled(layout.scale)
    mask = layout.mask[max(0, box.y0) : max(0, box.y1), max(0, box.x0) : max(0, box.x1)].copy()
    if mask.size == 0:
        return SignatureFinding(present=False, confidence=0.6, page=page_number, bbox=None)
    for b in blank:
        s = b.scaled(layout.scale)
        mask[
            max(0, s.y0 - box.y0) : max(0, s.y1 - box.y0 + 1),
            max(0, s.x0 - box.x0) : max(0, s.x1 - box.x0 + 1),
        ] = False
    ink, width, height, largest = _stroke_stats(mask, th_small)
    # evidence in units of a text height
    size = ink / (th_small * th_small)
    span = width / th_small
    present = size >= 0.8 and span >= 1.2
    if present:
        conf = 0.99 if size >= 2.0 and span >= 2.5 else 0.85
        ys, xs = np.nonzero(mask)
        bx = Box(
            box.x0 + int(xs.min()),
            box.y0 + int(ys.min()),
            box.x0 + int(xs.max()) + 1,
            box.y0 + int(ys.max()) + 1,
        )
        bbox = _fraction(bx.scaled(inv), page_w, page_h)
    else:
        conf = 0.99 if size < 0.2 else 0.8
        bbox = _fraction(full, page_w, page_h)
    return SignatureFinding(present=present, confidence=conf, page=page_number, bbox=bbox)


def _fraction(b: Box, w: int, h: int) -> BBox:
    return (
        max(0.0, b.x0 / w),
        max(0.0, b.y0 / h),
        min(1.0, b.x1 / w),
        min(1.0, b.y1 / h),
    )


def no_label(page_number: int | None) -> SignatureFinding:
    """No signature label found: cannot say it is signed."""
    return SignatureFinding(present=False, confidence=0.3, page=page_number, bbox=None)
