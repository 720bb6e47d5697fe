"""Is the form signed? Ink strokes near the signature label that are not print.

The region is taken from the signature label the way values are (right of it, above
the rule it stands under, or below it), with every other label and value read on the
page blanked out; where no signature label was read at all, the whole block is the
region. In it, on the rule-free ink mask, the ink is measured
(:mod:`ocr.signature_features`: its area, extent, pieces, stroke width and turns, how it
crosses the label and the rule, and the earlier rules' evidence) and the verdict is the
fitted, calibrated model's (:mod:`ocr.signature_model`). Each finding carries the
features it was decided on as its ``evidence``.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ocr.fields import Region
from ocr.layout import Box
from ocr.model import BBox, SignatureFinding
from ocr.signature_features import (
    FEATURE_NAMES,
    Context,
    blank_boxes,
    crossing_px,
    measure,
    rule_rows,
)
from ocr.signature_model import SignatureModel, load_model
from ocr.tuning import DEFAULT_TUNING, SignatureTuning

_DEFAULT = DEFAULT_TUNING.signature


def _in_column(b: Box, lab: Box, box: Box, th: float, t: SignatureTuning) -> bool:
    return b != lab and (abs(b.x0 - lab.x0) <= t.same_column * th or b.h_overlap(box) > 0)


def signature_box(
    region: Region,
    th: float,
    page_w: int,
    page_h: int,
    col_end: int,
    labels: Sequence[Box] = (),
    tuning: SignatureTuning = _DEFAULT,
) -> Box:
    """The signing region by the label. Where values sit above or below their labels,
    a signing row taller than the others (signed on a rule far from its label) reaches
    to the next label in the column, when that label is not far (:func:`fenced` then
    cuts the region there)."""
    t = tuning
    lab = region.label.box
    reach = max(t.reach * th, t.reach_of_row * region.reach)  # large row pitch: signed further
    left = max(0, lab.x0 - int(t.margin_left * th))
    if region.where in ("above", "below"):
        up = region.where == "above"
        band = Box(left, 0, col_end, page_h)
        gaps = [
            lab.y0 - b.y1 if up else b.y0 - lab.y1
            for b in labels
            if _in_column(b, lab, band, th, t) and (b.y1 <= lab.y0 if up else b.y0 >= lab.y1)
        ]
        nearest = min(gaps, default=None)
        if nearest is not None and nearest <= t.next_label_reach * max(region.reach, th):
            reach = max(reach, float(nearest))
    if region.where == "above":
        return Box(left, max(0, int(lab.y0 - reach)), col_end, lab.y0 - 1)
    if region.where == "below":
        return Box(left, lab.y1 + 1, col_end, min(page_h, int(lab.y1 + reach)))
    return Box(
        lab.x1 + int(th * t.gap_right),
        max(0, int(lab.y0 - t.up_right * th)),
        col_end,
        min(page_h, int(lab.y1 + max(t.down_right * th, reach - t.down_right_less * th))),
    )


def fenced(
    box: Box,
    region: Region,
    labels: Sequence[Box],
    th: float,
    tuning: SignatureTuning = _DEFAULT,
) -> Box:
    """The region cut at the nearest other labels above and below it in its column: the
    signing row only, not the rows where the name or the title are written by hand. The
    cut below is half a text height above the next label: a name written by hand beside
    it, larger than the label's letters, rises above the label's top."""
    t = tuning
    lab = region.label.box
    own_row = t.label_overlap_frac * lab.h
    column = [b for b in labels if _in_column(b, lab, box, th, t)]
    y0 = max([box.y0, *(b.y1 + 1 for b in column if b.y1 <= lab.y0 + own_row)])
    below = [b.y0 - int(t.rise * th) for b in column if b.y0 >= lab.y1 - own_row]
    y1 = min([box.y1, *below])
    if y1 - y0 < t.fence_min * th:  # a fence on the label's own row: a misread, keep it
        return box
    return Box(box.x0, y0, box.x1, y1)


def _ink(crop: np.ndarray, dpi: float, t: SignatureTuning) -> np.ndarray:
    """Ink on the paper of this crop, light strokes included; rules, borders and blobs
    (:func:`_drop_blobs`, found before the rules are cut out of them) removed."""
    return _ink_and_rules(crop, dpi, t)[0]


def _ink_and_rules(
    crop: np.ndarray, dpi: float, t: SignatureTuning
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_ink`, and the mask of the rules and borders cut out of it."""
    paper = float(np.percentile(crop, t.paper_percentile))
    ink = crop < paper - max(t.ink_below_paper, t.ink_below_paper_frac * paper)
    m = ink.astype(np.uint8) * 255
    length = max(10, int(dpi * t.rule_in))
    # a rule left a little skewed is a staircase of one-pixel steps: thickened by a
    # pixel up and down first, it is one long run again
    steps = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3)))
    rules = cv2.morphologyEx(
        steps, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    )
    tall = max(10, int(crop.shape[0] * t.border_frac))  # cell borders cross the whole region
    borders = cv2.morphologyEx(
        m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, tall))
    )
    level = rules
    rules = cv2.bitwise_or(rules, borders)
    rules = cv2.dilate(rules, np.ones((5, 5), np.uint8))
    # a punch hole's widest rows look like a rule: cut out first, the rest of it (two
    # thin caps) would be too thin to be a blob
    return _drop_blobs(m > 0, dpi, t) & (rules == 0), level


def _drop_blobs(mask: np.ndarray, dpi: float, t: SignatureTuning) -> np.ndarray:
    """The mask without filled blobs thicker than any pen stroke: a binder's punch hole
    (about 6 mm across) in the margin where the signing row begins, a smudge. A brush
    signature's strokes are at most about 2.5 mm thick."""
    m = mask.astype(np.uint8)
    dist = cv2.distanceTransform(m, cv2.DIST_L2, 3)  # the crop's edge is not paper
    radius = t.blob_mm * dpi / 25.4
    core = (dist > radius).astype(np.uint8)
    if not core.any():
        return mask
    r = int(radius) + 3
    grown = cv2.dilate(core, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    return mask & (grown == 0)


def _trail(mask: np.ndarray, th: float, t: SignatureTuning) -> Box | None:
    """Where ``trail_pieces`` or more bits of ink lie in a row (4 text heights long and
    one high): a thin, light signature the scanner's black-and-white threshold broke up
    into specks, each too small to count. Speckle is strewn over the whole region (at
    most 6 in such a stretch, in the densest seen)."""
    n, _, stats, centres = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n - 1 < t.trail_pieces:
        return None
    pts = centres[1:]
    for x, y in pts:
        near = (np.abs(pts[:, 0] - x) <= t.trail_half_w * th) & (
            np.abs(pts[:, 1] - y) <= t.trail_half_h * th
        )
        if near.sum() >= t.trail_pieces:
            s = stats[1:][near]
            x0, y0 = int(s[:, 0].min()), int(s[:, 1].min())
            x1, y1 = int((s[:, 0] + s[:, 2]).max()), int((s[:, 1] + s[:, 3]).max())
            return Box(x0, y0, x1, y1)
    return None


def _rule_verdict(size: float, span: float, pen_mark: bool, t: SignatureTuning) -> bool:
    """The earlier finder's verdict on the ink left (kept as evidence for the model)."""
    return (size >= t.rule_area and span >= t.rule_span) or pen_mark


def _finding(
    model: SignatureModel,
    values: dict[str, float],
    *,
    page_number: int,
    ink_box: BBox | None,
    region_box: BBox | None,
) -> SignatureFinding:
    present, conf, p = model.decide(values)
    evidence = (("p_signed", p), *((k, float(values[k])) for k in FEATURE_NAMES))
    bbox = ink_box if present and ink_box is not None else region_box
    return SignatureFinding(
        present=present, confidence=conf, page=page_number, bbox=bbox, evidence=evidence
    )


def _on_page(b: Box, origin: tuple[int, int]) -> Box:
    ox, oy = origin
    return Box(b.x0 + ox, b.y0 + oy, b.x1 + ox, b.y1 + oy)


def _label_cross(
    grey: np.ndarray, dpi: float, label: Box, th: float, pad: int, t: SignatureTuning
) -> int:
    """Ink running out of the label's box: a signature written across its label."""
    h, w = grey.shape[:2]
    m = int(t.label_cross_margin * th)
    x0, y0 = max(0, label.x0 - m), max(0, label.y0 - m)
    x1, y1 = min(w, label.x1 + m), min(h, label.y1 + m)
    crop = grey[y0:y1, x0:x1]
    if crop.size == 0:
        return 0
    ink = _ink(crop, dpi, t)
    return crossing_px(ink, Box(label.x0 - x0, label.y0 - y0, label.x1 - x0, label.y1 - y0), pad)


def detect_signature(
    region: Region,
    grey: np.ndarray,
    dpi: float,
    th: float,
    *,
    page_number: int,
    col_end: int,
    labels: Sequence[Box],
    values: Sequence[tuple[Box, Box, bool]],
    source: str = "label",
    model: SignatureModel | None = None,
    tuning: SignatureTuning = _DEFAULT,
) -> SignatureFinding:
    """Signature present or not in the region of the signature label (full resolution).

    ``labels`` are the page's label boxes, ``values`` (value box, label box, read as
    print) for the values read. Labels are blanked out, and so are values of other rows
    reaching into the region (handwriting too: the tail of the date written above). In
    the signing row itself only values read as print and claimed from that row are
    blanked; a value claimed from another row or column is left in (a signature in print
    letters may be read as one); a value filling the signing row is evidence
    (``occupied``). ``source`` says whether the label was read (``label``) or guessed
    from its neighbours (``guessed``). The verdict is ``model``'s (the shipped one by
    default), on the measurements ``tuning`` sets.
    """
    t = tuning
    model = model or load_model()
    page_h, page_w = grey.shape[:2]
    box = signature_box(region, th, page_w, page_h, col_end, labels, t)
    full = fenced(box, region, labels, th, t)
    crop = grey[max(0, full.y0) : max(0, full.y1), max(0, full.x0) : max(0, full.x1)]
    origin = (max(0, full.x0), max(0, full.y0))
    empty = np.zeros((1, 1), bool)
    mask, level = (empty, empty) if crop.size == 0 else _ink_and_rules(crop, dpi, t)
    pad = int(th * t.blank_pad)
    blank = list(labels)
    occupied = False
    own = region.label.box
    for value, label, printed in values:
        inside = full.y0 <= (value.y0 + value.y1) / 2 <= full.y1
        if not inside:  # another row's value, printed or written, reaching in
            blank.append(value)
            reach = min(value.y1, full.y1) - max(value.y0, full.y0)
            occupied |= value.h_overlap(full) > 0 and reach > t.occupied_frac * value.h
            continue
        across = not full.y0 <= (label.y0 + label.y1) / 2 <= full.y1
        other_column = abs(label.x0 - own.x0) > t.same_column * th and label.x1 < full.x0
        if not printed or across or other_column:
            continue  # claimed from another row or column: maybe the signature itself
        occupied |= value.h_overlap(full) > 0
        blank.append(value)
    mask, blanked = blank_boxes(mask, blank, origin, pad)
    ctx = Context(
        label=Box(own.x0 - origin[0], own.y0 - origin[1], own.x1 - origin[0], own.y1 - origin[1]),
        rules_y=rule_rows(level),
        occupied=occupied,
        source=source,
        blanked_px=blanked,
        label_cross_px=_label_cross(grey, dpi, own, th, pad, t),
    )
    found = measure(mask, th, ctx)
    v = dict(found.values)
    trail = _trail(mask, th, t)
    v["trail"] = float(trail is not None)
    v["rule_present"] = float(_rule_verdict(v["ink_area"], v["span_w"], v["pen_mark"] > 0, t))
    ink_box = found.ink_box if found.ink_box is not None else trail
    return _finding(
        model,
        v,
        page_number=page_number,
        ink_box=None if ink_box is None else _fraction(_on_page(ink_box, origin), page_w, page_h),
        region_box=_fraction(full, page_w, page_h),
    )


def block_signature(
    grey: np.ndarray,
    dpi: float,
    th: float,
    *,
    page_number: int,
    labels: Sequence[Box],
    values: Sequence[Box],
    runs: Sequence[Box],
    model: SignatureModel | None = None,
    tuning: SignatureTuning = _DEFAULT,
) -> SignatureFinding:
    """Where no signature label was read, not even guessed (a signature drawn through
    its label spoils its letters): the block's ink that is no label and no value,
    measured as a signing region is (``src_block``), with the tallest such run
    (:func:`unlabelled_signature`) as evidence."""
    t = tuning
    model = model or load_model()
    page_h, page_w = grey.shape[:2]
    if not labels:
        return no_label(page_number, t)
    full = _around(labels, th, t, page_w, page_h)
    crop = grey[full.y0 : full.y1, full.x0 : full.x1]
    if crop.size == 0:
        return no_label(page_number, t)
    origin = (full.x0, full.y0)
    mask, level = _ink_and_rules(crop, dpi, t)
    pad = int(th * t.blank_pad)
    mask, blanked = blank_boxes(mask, [*labels, *values], origin, pad)
    free = unlabelled_signature(runs, labels, values, th, (page_w, page_h), page_number, 0.5, t)
    tallest = 0.0
    if free is not None and free.bbox is not None:
        tallest = (free.bbox[3] - free.bbox[1]) * page_h / th
    ctx = Context(
        label=None,
        rules_y=rule_rows(level),
        occupied=False,
        source="block",
        blanked_px=blanked,
        free_run=tallest,
    )
    found = measure(mask, th, ctx)
    v = dict(found.values)
    trail = _trail(mask, th, t)
    v["trail"] = float(trail is not None)
    v["rule_present"] = float(free is not None)
    ink_box = free.bbox if free is not None else None
    if ink_box is None and found.ink_box is not None:
        ink_box = _fraction(_on_page(found.ink_box, origin), page_w, page_h)
    return _finding(
        model,
        v,
        page_number=page_number,
        ink_box=ink_box,
        region_box=_fraction(full, page_w, page_h),
    )


def _around(labels: Sequence[Box], th: float, t: SignatureTuning, page_w: int, page_h: int) -> Box:
    """The block: around its labels, to the page's right edge."""
    return Box(
        max(0, int(min(b.x0 for b in labels) - t.block_margin_x * th)),
        max(0, int(min(b.y0 for b in labels) - t.block_margin_y * th)),
        page_w,
        min(page_h, int(max(b.y1 for b in labels) + t.block_margin_y * th)),
    )


def unlabelled_signature(
    runs: Sequence[Box],
    labels: Sequence[Box],
    values: Sequence[Box],
    th: float,
    page_size: tuple[int, int],
    page_number: int,
    confidence: float,
    tuning: SignatureTuning = _DEFAULT,
) -> SignatureFinding | None:
    """Where no signature label was read (a signature drawn through its label spoils
    its letters): tall ink among the block's labels that is no label and no value is
    a signature. ``runs`` are the page's runs of ink, ``values`` the boxes of the values
    found. The verdict is present at ``confidence`` (never sure: where, not what),
    with the box around the tallest such run and its neighbours on the same line."""
    t = tuning
    if not labels:
        return None
    top = min(b.y0 for b in labels) - t.block_margin_y * th
    bottom = max(b.y1 for b in labels) + t.block_margin_y * th
    left = min(b.x0 for b in labels) - t.block_margin_x * th
    join = t.unlabelled_join * th
    free = [
        r
        for r in runs
        if r.h >= t.unlabelled_h * th
        and top <= r.y0
        and r.y1 <= bottom
        and r.x0 >= left
        and not any(_meets(r, b) for b in (*labels, *values))
    ]
    if not free:
        return None
    tallest = max(free, key=lambda r: r.h)
    box = tallest
    for r in sorted(free, key=lambda r: abs(r.x0 - tallest.x0)):
        if r.v_overlap(box) >= 0.5 and (r.x0 - box.x1 <= join and box.x0 - r.x1 <= join):
            box = box.union(r)
    return SignatureFinding(
        present=True, confidence=confidence, page=page_number, bbox=_fraction(box, *page_size)
    )


def _meets(a: Box, b: Box) -> bool:
    return a.h_overlap(b) > 0 and min(a.y1, b.y1) > max(a.y0, b.y0)


def _fraction(b: Box, w: int, h: int) -> BBox:
    return (
        max(0.0, b.x0 / w),
        max(0.0, b.y0 / h),
        min(1.0, b.x1 / w),
        min(1.0, b.y1 / h),
    )


def no_label(page_number: int | None, tuning: SignatureTuning = _DEFAULT) -> SignatureFinding:
    """No signature label found: cannot say it is signed."""
    return SignatureFinding(
        present=False, confidence=tuning.no_label_confidence, page=page_number, bbox=None
    )
