"""Upright a page: quarter turns (0/90/180/270) and deskew, cheaply.

No OSD (0.95 s a page). On a ~60 dpi binary image:

- sideways or not: text lines make the row profile of a page strongly striped and the
  column profile flat; a sideways page is the other way round;
- skew: the angle (±6°) that makes the row profile most striped;
- upside down or not: in Latin (and Swedish) print more ink stands above the x-height
  band (ascenders, capitals, å ä ö) than below it (descenders); upside down, the
  reverse. Where that test is not clear, :func:`ocr.block` double-checks with OCR.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.layout import components, find_segments, ink_mask, remove_rules

ORIENT_DPI = 60.0


@dataclass(frozen=True, slots=True)
class Orientation:
    quarter: int  # clockwise quarter turns applied: 0, 1, 2, 3
    skew: float  # degrees, counter-clockwise rotation applied after the turns
    certain: bool  # False when the upside-down test was not clear


def _stripedness(mask: np.ndarray) -> tuple[float, float]:
    rows = mask.sum(axis=1).astype(np.float64)
    cols = mask.sum(axis=0).astype(np.float64)
    return float(np.square(np.diff(rows)).sum()), float(np.square(np.diff(cols)).sum())


def rotate_small(mask: np.ndarray, angle: float) -> np.ndarray:
    h, w = mask.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    src = mask.astype(np.uint8, copy=False)
    return cv2.warpAffine(src, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)


def _row_stripedness(mask: np.ndarray) -> float:
    rows = mask.sum(axis=1, dtype=np.int64).astype(np.float64)
    return float(np.square(np.diff(rows)).sum())


def find_skew(mask: np.ndarray, limit: float = 6.0) -> float:
    scores: dict[float, float] = {}  # the finer passes revisit the coarse winner

    def score(a: float) -> float:
        key = round(float(a), 6)
        if key not in scores:
            scores[key] = _row_stripedness(rotate_small(mask, a))
        return scores[key]

    best = max(np.arange(-limit, limit + 0.01, 1.0), key=score)
    mid = max(np.arange(best - 0.5, best + 0.51, 0.25), key=score)
    fine = max((mid - 0.1, mid, mid + 0.1), key=score)
    return float(round(fine, 2))


def upside_down_ratio(mask: np.ndarray, dpi: float) -> float:
    """Ink above the x-height band / ink below it, summed over text runs (>1: upright)."""
    above = below = 0.0
    for seg in find_segments(mask, dpi):
        if seg.w < seg.h * 4:
            continue
        prof = mask[seg.y0 : seg.y1, seg.x0 : seg.x1].sum(axis=1).astype(np.float64)
        if prof.max() <= 0:
            continue
        band = np.flatnonzero(prof >= 0.5 * prof.max())
        top, bot = int(band[0]), int(band[-1])
        above += prof[:top].sum()
        below += prof[bot + 1 :].sum()
    if below <= 0:
        return 10.0 if above > 0 else 1.0
    return above / below


def _without_edges(mask: np.ndarray) -> np.ndarray:
    """The mask without ink touching the image border (a scanner's edge shadow, a
    page border): a dark band down one side is as striped as a sideways page."""
    n, labels, stats = components(mask)
    h, w = mask.shape
    x0, y0 = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    x1, y1 = x0 + stats[:, cv2.CC_STAT_WIDTH], y0 + stats[:, cv2.CC_STAT_HEIGHT]
    edge = (x0 <= 0) | (y0 <= 0) | (x1 >= w) | (y1 >= h)
    edge[0] = False  # the background
    if n <= 1 or not edge.any():
        return mask
    return np.where(edge[labels], 0, mask).astype(np.uint8)


def detect(grey: np.ndarray, dpi: float) -> Orientation:
    """Orientation of a page image (grey, full resolution at ``dpi``)."""
    f = ORIENT_DPI / dpi
    small = cv2.resize(grey, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    mask = _without_edges(ink_mask(small).astype(np.uint8))
    rows, cols = _stripedness(mask)
    quarter = 0
    if cols > rows * 1.15:
        mask = np.ascontiguousarray(np.rot90(mask, -1))  # clockwise
        quarter = 1
    skew = find_skew(mask)
    mask = rotate_small(mask, skew)
    # upside-down test at a slightly higher resolution would be better; 60 dpi suffices
    ratio = upside_down_ratio(remove_rules(mask.astype(bool), ORIENT_DPI), ORIENT_DPI)
    if ratio < 1.0:
        quarter += 2
        skew = skew  # rotating by 180 keeps the skew angle
    certain = bool(ratio > 1.3 or ratio < 0.77)
    return Orientation(quarter=quarter % 4, skew=skew, certain=certain)


def apply(grey: np.ndarray, o: Orientation) -> np.ndarray:
    """The image turned upright: quarter turns clockwise, then the skew correction."""
    img = grey
    if o.quarter == 1:
        img = cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    elif o.quarter == 2:
        img = cv2.rotate(img, cv2.ROTATE_180)
    elif o.quarter == 3:
        img = cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
    if abs(o.skew) >= 0.1:
        h, w = img.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), o.skew, 1.0)
        border = (255, 255, 255) if img.ndim == 3 else 255
        img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=border)
    return img


def flipped(o: Orientation) -> Orientation:
    """The same orientation turned by a further 180°."""
    return Orientation(quarter=(o.quarter + 2) % 4, skew=o.skew, certain=True)
