"""Values struck through on paper: a long stroke through a value at half its height.

A signer who changes a value on a printed form crosses it out (one stroke or two
through its middle) and writes the new one beside it. OCR then still reads the old
value: the reading paints long horizontal strokes over as if they were the form's rules
(``ocr.fields.without_rules``), so a struck-through value reads as if it were clean.

Print has no such stroke. Along the rows of a value's middle band its ink is the
letters' stems and bowls, short runs with paper between them (at most about one text
height long: an ``E``'s bar, a dash); a stroke through the value is one run of ink that
begins at the value's first letter and runs on over its words. :func:`stroke_length`
measures, in the band of a value's box, the longest run of ink that begins within one
text height of the box's left edge, in text heights; a value is struck when that is at
least ``stroke_min`` (:class:`ocr.tuning.StrikeTuning`). A stroke ends a little after
the value; the form's rule a value is written on (inside a tall value's box, under
hand-written digits) runs on to the column's end, so a run that reaches the right edge of the
value's surroundings is not a stroke. A solid block of ink (a stamp, a blot) has long
runs in most rows of the band: a stroke is thin, so a band mostly full is not a stroke.

:func:`struck_fields` names the fields whose value is struck through; the pipeline
adds ``struck_through:<field>`` (:data:`FLAG`) to the page's flags, as evidence only:
what it means for a value is the registry's to decide. Pure: pixels and boxes in, names
out.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from ocr.model import FieldValue
from ocr.tuning import DEFAULT_TUNING, StrikeTuning

FLAG = "struck_through:{}"
_DEFAULT = DEFAULT_TUNING.strike
STROKE_MIN = _DEFAULT.stroke_min  # the shipped bar, for tests and readers


def _runs(row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (exclusive) of the runs of ones in a 0/1 row."""
    padded = np.zeros(len(row) + 2, np.int8)
    padded[1:-1] = row
    edges = np.flatnonzero(np.diff(padded))
    return edges[::2], edges[1::2]


def stroke_length(
    grey: np.ndarray,
    box: tuple[int, int, int, int],
    th: float,
    tuning: StrikeTuning = _DEFAULT,
) -> float:
    """The longest run of ink through the middle band of the value at ``box`` (x0, y0,
    x1, y1: page pixels) that begins at the value, in text heights ``th``; 0 when the
    band is mostly solid ink or the box holds no contrast."""
    t = tuning
    h, w = grey.shape[:2]
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    height = y1 - y0
    if x1 - x0 < 4 or height < 4 or th <= 0:
        return 0.0
    m = max(2, int(th))  # paper around the value, so that Otsu sees both ink and paper
    cx0, cy0 = max(0, x0 - m), max(0, y0 - m)
    crop = grey[cy0 : min(h, y1 + m), cx0 : min(w, x1 + m)]
    if int(crop.max()) - int(crop.min()) < 40:
        return 0.0
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    top = y0 - cy0
    b0 = top + int(height * t.band[0])
    b1 = max(b0 + 1, top + int(np.ceil(height * t.band[1])))
    band = ink[b0:b1]
    k = max(1, round(th * t.bridge))
    band = cv2.morphologyEx(band, cv2.MORPH_CLOSE, np.ones((1, k + 1), np.uint8))
    latest_start = (x0 - cx0) + t.start * th
    best, long_rows = 0, 0
    for row in band:
        starts, ends = _runs(row)
        lengths = ends - starts
        if len(lengths) and lengths.max() >= t.stroke_min * th:
            long_rows += 1
        ours = (starts <= latest_start) & (ends < row.shape[0])  # not a rule running on
        from_start = lengths[ours]
        if len(from_start):
            best = max(best, int(from_start.max()))
    if long_rows > t.full_rows_frac * len(band):
        return 0.0  # a block of ink, not a stroke
    return best / th


def _pixels(bbox: tuple[float, float, float, float], shape: tuple[int, ...]) -> tuple[int, ...]:
    h, w = shape[0], shape[1]
    return (round(bbox[0] * w), round(bbox[1] * h), round(bbox[2] * w), round(bbox[3] * h))


def struck_fields(
    grey: np.ndarray,
    fields: Mapping[str, FieldValue],
    th: float,
    tuning: StrikeTuning = _DEFAULT,
) -> list[str]:
    """The fields (in their order) whose value read is struck through on ``grey`` (the
    upright page the boxes are fractions of). Fields read from the same ink (the place
    and the date of one row share their box) are judged once, as the first of them."""
    out: list[str] = []
    seen: set[tuple[int, ...]] = set()
    for name, value in fields.items():
        if value.bbox is None or not value.value:
            continue
        box = _pixels(value.bbox, grey.shape)
        if box in seen:
            continue
        seen.add(box)
        x0, y0, x1, y1 = box
        if stroke_length(grey, (x0, y0, x1, y1), th, tuning) >= tuning.stroke_min:
            out.append(name)
    return out


def struck_flags(
    grey: np.ndarray,
    fields: Mapping[str, FieldValue],
    th: float,
    tuning: StrikeTuning = _DEFAULT,
) -> list[str]:
    """``struck_through:<field>`` for each field whose value is struck through."""
    return [FLAG.format(name) for name in struck_fields(grey, fields, th, tuning)]
