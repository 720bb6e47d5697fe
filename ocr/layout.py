"""Page layout from pixels alone (no OCR): ink mask, printed rules, text segments.

Everything here is OpenCV on a downscaled binary image and costs a few milliseconds:

- :func:`ink_mask` — dark pixels (Otsu on a lightly blurred page).
- :func:`find_rules` — long thin horizontal lines (the lines values are written on,
  table borders), removed from the mask before text is looked for.
- :func:`find_segments` — runs of text: letters joined horizontally by a gap of about
  one letter height, so a label and a value a few letters apart stay separate, then
  grouped into lines by vertical overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    def scaled(self, f: float) -> Box:
        return Box(
            int(self.x0 * f), int(self.y0 * f), int(round(self.x1 * f)), int(round(self.y1 * f))
        )

    def union(self, other: Box) -> Box:
        return Box(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )

    def v_overlap(self, other: Box) -> float:
        """Vertical overlap as a fraction of the smaller height."""
        inter = min(self.y1, other.y1) - max(self.y0, other.y0)
        return max(0.0, inter / max(1, min(self.h, other.h)))

    def h_overlap(self, other: Box) -> int:
        return min(self.x1, other.x1) - max(self.x0, other.x0)


@dataclass(frozen=True, slots=True)
class Layout:
    """Pixel layout of one upright page at ``scale`` × the full image."""

    scale: float
    mask: np.ndarray  # bool ink mask with rules removed
    rules: tuple[Box, ...]
    segments: tuple[Box, ...]  # text runs, top-to-bottom then left-to-right
    text_height: float  # median segment height


def ink_mask(grey: np.ndarray) -> np.ndarray:
    blur = cv2.GaussianBlur(grey, (3, 3), 0)
    thr, _ = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    thr = min(thr, 200.0)
    return blur < thr


def components(m: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats`` (8-connected): 16-bit labels when they fit,
    three times quicker than 32-bit ones, the same labels and stats."""
    try:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:  # more than 65 534 components
        n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    return n, labels, stats


def component_boxes(m: np.ndarray) -> list[Box]:
    """Bounding boxes of the 8-connected components of a 0/255 image, from their outer
    contours (no label image: a tenth of the cost), sorted top to bottom, left to right."""
    contours, hierarchy = cv2.findContours(m, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    found = []
    for contour, (_next, _prev, _child, parent) in zip(contours, hierarchy[0], strict=True):
        if parent == -1:  # an outer boundary (the second level holds the holes)
            x, y, w, h = cv2.boundingRect(contour)
            # a contour starts at its component's first pixel in raster order: boxes with
            # the same corner stay in the order connectedComponents numbers them
            found.append((y, x, int(contour[0, 0, 0]), Box(x, y, x + w, y + h)))
    found.sort(key=lambda f: f[:3])
    return [f[3] for f in found]


def _horizontal_lines(m: np.ndarray, dpi: float) -> np.ndarray:
    length = max(10, int(dpi * 0.6))
    return cv2.morphologyEx(
        m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    )


def find_rules(mask: np.ndarray, dpi: float, horiz: np.ndarray | None = None) -> list[Box]:
    """Horizontal rules at least ~0.6 inch long and thin."""
    if horiz is None:
        horiz = _horizontal_lines(mask.astype(np.uint8) * 255, dpi)
    max_h = max(3, int(dpi * 0.04))
    return [b for b in component_boxes(horiz) if b.h <= max_h]


def remove_rules(mask: np.ndarray, dpi: float, horiz: np.ndarray | None = None) -> np.ndarray:
    """The mask without horizontal and vertical lines (rules, table borders)."""
    m = mask.astype(np.uint8) * 255
    if horiz is None:
        horiz = _horizontal_lines(m, dpi)
    tall = max(8, int(dpi * 0.3))  # cell borders of short table rows, taller than letters
    vert = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, tall)))
    lines = cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((3, 3), np.uint8))
    return (m > 0) & (lines == 0)


_MANY_SPECKS = 2000  # beyond this many, one lookup over the label image is quicker


def _without_specks(
    m: np.ndarray, labels: np.ndarray, stats: np.ndarray, keep: np.ndarray
) -> np.ndarray:
    """The 0/255 image ``m`` without the components not kept: each speck cleared in its
    own box of a few pixels, not a lookup over the whole label image (ten times quicker
    on a page of a few hundred specks; the same pixels)."""
    specks = np.flatnonzero(~keep[1:]) + 1
    if specks.size > _MANY_SPECKS:
        return np.take(np.where(keep, 255, 0).astype(np.uint8), labels)
    out = m.copy()
    boxes = stats[specks][
        :, [cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT]
    ]
    for i, (x, y, w, h) in zip(specks.tolist(), boxes.tolist(), strict=True):
        win = out[y : y + h, x : x + w]
        win[labels[y : y + h, x : x + w] == i] = 0
    return out


def find_segments(mask: np.ndarray, dpi: float) -> list[Box]:
    """Text runs: components joined across gaps narrower than ~1.6 letter heights."""
    m = mask.astype(np.uint8) * 255
    # drop speckle before joining
    n, labels, stats = components(m)
    min_area = max(2, int((dpi / 150) ** 2 * 3))
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    m = _without_specks(m, labels, stats, keep)
    # join across word spaces, not across the wider gap between a label and its value:
    # about 1.6 letter heights (median component), within 2-5 mm
    hs = stats[1:, cv2.CC_STAT_HEIGHT][keep[1:]]
    hs = hs[(hs >= dpi * 0.03) & (hs <= dpi * 0.3)]
    letter = float(np.median(hs)) if hs.size else dpi * 0.075
    gap = max(3, int(np.clip(1.6 * letter, dpi * 0.08, dpi * 0.2)))
    joined = cv2.dilate(
        m, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, max(1, int(dpi * 0.01))))
    )
    min_h = max(3, int(dpi * 0.03))
    max_h = int(dpi * 1.2)
    return [b for b in component_boxes(joined) if min_h <= b.h <= max_h and b.w >= min_h]


def analyse(grey_small: np.ndarray, dpi: float, scale: float) -> Layout:
    """Layout of a page image already downscaled to ``dpi`` (``scale`` = small/full)."""
    mask = ink_mask(grey_small)
    horiz = _horizontal_lines(mask.astype(np.uint8) * 255, dpi)
    rules = find_rules(mask, dpi, horiz)
    text = remove_rules(mask, dpi, horiz)
    segs = find_segments(text, dpi)
    th = _text_height(segs, dpi)
    return Layout(scale=scale, mask=text, rules=tuple(rules), segments=tuple(segs), text_height=th)


def _text_height(segs: list[Box], dpi: float) -> float:
    """Median height of the runs that look like words (wider than tall, taller than a
    sliver): a page of speckle or cut table borders must not make text look small, or
    lines of body text count as headings and are read."""
    words = [s.h for s in segs if s.h >= dpi * 0.05 and s.w >= 1.5 * s.h]
    heights = words if len(words) >= 3 else [s.h for s in segs]
    return float(np.median(heights)) if heights else dpi * 0.1


def same_band(a: Box, b: Box) -> bool:
    return a.v_overlap(b) >= 0.5


def ink_box(mask: np.ndarray, box: Box, min_pixels: int = 4) -> Box | None:
    """Tight box of the ink inside ``box`` (None when nearly empty)."""
    sub = mask[max(0, box.y0) : box.y1, max(0, box.x0) : box.x1]
    if sub.size == 0 or int(sub.sum()) < min_pixels:
        return None
    ys = np.flatnonzero(sub.any(axis=1))
    xs = np.flatnonzero(sub.any(axis=0))
    return Box(
        box.x0 + int(xs[0]), box.y0 + int(ys[0]), box.x0 + int(xs[-1]) + 1, box.y0 + int(ys[-1]) + 1
    )
