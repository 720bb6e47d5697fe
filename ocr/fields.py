"""Read the value that belongs to each label, by geometry, at full resolution.

For every label the value is looked for, in this order:

1. in the same text run after the label (``Org.nr: 556051-3101``);
2. in the runs on the same line to its right, up to the next label (label left of
   the value, bordered table cells, two columns);
3. on the nearest line above or below within the label's column. Which of the two is
   decided once per block by a vote of all labels (labels above their values, or
   printed small under the line the value is written on), since on such forms the
   value of one label is the neighbour of the next label too.

Only the value region is read, as one line, at the page's own resolution (≤ 300 dpi).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ocr.block import Label, PageScan, Strip, body_text
from ocr.confidence import CHECKED, low_flag
from ocr.layout import Box, Layout, ink_box, same_band
from ocr.model import FieldValue
from ocr.profile import LABEL_FIELDS
from ocr.tesseract import LANG, PSM_BLOCK, PSM_LINE, Engine, Word, words_box
from ocr.values import parse_county, parse_email, parse_orgnr, parse_place_date
from ocr.values.kinds import (
    has_label_word,
    has_organisation_word,
    has_title_word,
    is_county_name,
    looks_like_person,
)
from ocr.values.lexicon import load

READ_DPI = 300.0
_NEAR = 3.2  # how far (in text heights) a value line may be from its label
_PROSE = 50  # a run longer than this (letters) is a sentence, not a value
_SMALL_TEXT = 20.0  # letter height (px) of the "small" variant
_TALL = 1.5  # text heights: ink beside the signature label this tall is a signature
# other ways to prepare a value's pixels, tried in this order on values still unparsed
VARIANTS = ("small", "thin", "binary")


@dataclass(frozen=True, slots=True)
class Region:
    """Where a label's value (or the signature) is expected, full resolution."""

    label: Label
    box: Box | None  # None: nothing found near the label
    where: str  # "inline", "right", "above", "below"
    reach: float = 0.0  # how far a value line may be from the label (full resolution)


@dataclass(frozen=True, slots=True)
class Reading:
    label: Label
    text: str
    words: tuple[Word, ...]
    box: Box | None
    where: str
    unread: int = 0  # digit-sized pieces of ink more than the digits read account for
    unread_letters: int = 0  # the same for words of letters (a letter left out)

    @property
    def conf(self) -> float:
        """Weakest word confidence (0..100); 0 when nothing was read."""
        return min((w.conf for w in self.words), default=0.0)


def _column_end(label: Label, labels: Sequence[Label], page_w: int) -> int:
    """Where a value right of ``label`` must stop: at the next label on its line, or at a
    column of labels to the right whose rows reach above and below it (two columns whose
    rows do not line up: 'Län' between 'Ort/datum' and 'Underskrift')."""
    right = [o for o in labels if o is not label and o.box.x0 > label.box.x1]
    ends = [o.box.x0 for o in right if same_band(o.segment, label.segment)]
    tol = label.box.h * 2
    cy = (label.box.y0 + label.box.y1) / 2
    for o in right:
        column = [p for p in right if abs(p.box.x0 - o.box.x0) <= tol]
        if len(column) >= 2 and min(p.box.y0 for p in column) <= cy <= max(
            p.box.y1 for p in column
        ):
            ends.append(min(p.box.x0 for p in column))
    return min(ends, default=page_w)


def _neighbour_line(
    label: Label, segs: Sequence[Box], x0: int, x1: int, up: bool, reach: float
) -> Box | None:
    """Union of the runs on the nearest line above/below the label, within [x0, x1)."""
    lab = label.segment
    cands = [
        s
        for s in segs
        if s.h_overlap(Box(x0, 0, x1, 1)) > 0
        and s.h >= lab.h * 0.35  # a sliver (what is left of a rule, speckle) is no line
        and (s.y1 <= lab.y0 + lab.h * 0.3 if up else s.y0 >= lab.y1 - lab.h * 0.3)
        and s.v_overlap(lab) < 0.5
    ]
    if not cands:
        return None
    nearest = max(cands, key=lambda s: s.y1) if up else min(cands, key=lambda s: s.y0)
    dist = lab.y0 - nearest.y1 if up else nearest.y0 - lab.y1
    if dist > reach:
        return None
    line = [s for s in cands if s.v_overlap(nearest) >= 0.5]
    box = line[0]
    for s in line[1:]:
        box = box.union(s)
    return Box(max(box.x0, x0), box.y0, min(box.x1, x1), box.y1)


def _right(label: Label, segs: Sequence[Box], x1: int, th: float) -> Box | None:
    if label.trailing:  # the value goes on in the label's run, and maybe after a space
        box = Box(label.box.x1, label.segment.y0, label.segment.x1, label.segment.y1)
        for s in segs:  # words further on the line, not slivers of rules or borders
            # (a slanted hand's next word may start a little before the run's end)
            right = s.x0 >= label.segment.x1 - 0.5 * th and label.segment.x1 < s.x1 <= x1 + th
            word = s.w >= 0.5 * th and s.h >= 0.35 * label.segment.h
            if right and word and same_band(s, label.segment):
                box = box.union(s)
        return box
    line = [
        s
        for s in segs
        if same_band(s, label.segment)
        and s.x0 >= label.box.x1 - 2
        and s.x1 <= x1 + th
        and not _sliver(s, th)
    ]
    if not line:
        return None
    box = line[0]
    for s in line[1:]:
        box = box.union(s)
    return box


def _sliver(s: Box, th: float) -> bool:
    """A run narrower than a letter pair and no wider than tall: a piece of a cell's
    border between the rules, or a speck; no value."""
    return s.w < 1.1 * th and s.h >= s.w


def locate(
    scan: PageScan, layout: Layout, page_w: int, go_up: bool | None = None
) -> dict[str, Region]:
    """The value region of every label found on the page (best label per key), and of
    the labels the profile does not list that a value's kind names
    (:func:`unlisted_candidates`, :func:`name_unlisted`).

    ``go_up`` forces values above (``True``) or below (``False``) their labels where
    nothing is beside them; ``None`` lets the labels vote (:func:`_vote_up`).
    """
    labels = list(scan.labels)  # one per key (ocr.block.best_labels)
    regions, _ = _regions(labels, scan, layout, page_w, go_up)
    taken = [r.box for r in regions.values() if r.box is not None and r.where != "right"]
    beside = [r.box for r in regions.values() if r.box is not None and r.where == "right"]
    unknown = unlisted_candidates(scan, layout, labels, taken, beside)
    if not unknown:
        return regions
    regions, _ = _regions(labels + unknown, scan, layout, page_w, go_up)
    return name_unlisted(regions, scan.strips, {lab.key for lab in labels})


def _value_runs(labels: Sequence[Label], layout: Layout) -> list[Box]:
    """The page's runs that are not body text nor a label's (full resolution)."""
    inv = 1.0 / layout.scale
    label_segs = {lab.segment for lab in labels}
    body = body_text(layout)
    segs = [s.scaled(inv) for s in layout.segments if s not in body]
    return [
        s
        for s in segs
        if not any(
            s.v_overlap(ls) > 0.8 and s.h_overlap(ls) > 0.8 * min(s.w, ls.w) for ls in label_segs
        )
    ]


def _regions(
    labels: list[Label], scan: PageScan, layout: Layout, page_w: int, go_up: bool | None
) -> tuple[dict[str, Region], bool]:
    """:func:`locate` for the labels given; also whether values were taken from above."""
    segs = _value_runs(labels, layout)
    th = layout.text_height / layout.scale
    regions: dict[str, Region] = {}
    pending: list[Label] = []
    signed_beside = False
    for lab in labels:
        end = _column_end(lab, labels, page_w)
        box = _right(lab, segs, end, th)
        if box is not None and lab.key != "signature":
            regions[lab.key] = Region(lab, box, "inline" if lab.trailing else "right")
        else:
            pending.append(lab)
            # ink beside "Underskrift" taller than a line of writing: signed there
            signed_beside |= lab.key == "signature" and box is not None and box.h >= _TALL * th
    gaps_up: list[float] = []
    gaps_down: list[float] = []
    near: dict[str, tuple[Box | None, Box | None]] = {}
    reach = max(_NEAR * th, 0.6 * _label_pitch(pending))
    for lab in pending:
        end = _column_end(lab, labels, page_w)
        x0 = lab.box.x0 - int(th)
        up = _not_prose(_neighbour_line(lab, segs, x0, end, True, reach), scan.strips)
        down = _not_prose(_neighbour_line(lab, segs, x0, end, False, reach), scan.strips)
        near[lab.key] = (up, down)
        if up is not None:
            gaps_up.append(lab.segment.y0 - up.y1)
        if down is not None:
            gaps_down.append(down.y0 - lab.segment.y1)
    if go_up is None:
        go_up = _vote_up(pending, near, gaps_up, gaps_down)
    beside = sum(r.where in ("inline", "right") for r in regions.values())
    for lab in pending:
        if lab.key == "signature" and (signed_beside or beside > len(regions) / 2):
            regions[lab.key] = Region(lab, None, "right", reach)
            continue
        up, down = near[lab.key]
        box = up if go_up else down
        if box is not None and _on_a_label_row(box, lab, labels):
            box = None  # another label's row (a signature beside "Underskrift"): left empty
        regions[lab.key] = Region(lab, box, "above" if go_up else "below", reach)
    return _one_owner(regions), go_up


def _on_a_label_row(box: Box, label: Label, labels: Sequence[Label]) -> bool:
    """The line found above or below ``label`` stands on the row of another label: that
    label's value (or the signature written beside "Underskrift", over an empty name
    row), not this label's. A value above or below its label has no label beside it."""
    return any(o is not label and same_band(o.box, box) for o in labels)


def _label_pitch(labels: Sequence[Label]) -> float:
    """Typical distance from one label to the next below it (the form's row pitch),
    0 when there are fewer than three labels to tell."""
    tops = sorted(lab.segment.y0 for lab in labels)
    steps = [b - a for a, b in zip(tops, tops[1:], strict=False) if b > a]
    return float(np.median(steps)) if len(steps) >= 2 else 0.0


def _gap(region: Region) -> float:
    assert region.box is not None
    lab, b = region.label.box, region.box
    dy = max(0, b.y0 - lab.y1, lab.y0 - b.y1)
    dx = max(0, b.x0 - lab.x1, lab.x0 - b.x1)
    return float(dx + dy)


def _claim(region: Region) -> tuple[bool, float]:
    """How strongly a label claims its value box: on its own line first (a value right
    of its label is that label's, even far right in a wide label column), then near."""
    return region.where not in ("inline", "right"), _gap(region)


def _one_owner(regions: dict[str, Region]) -> dict[str, Region]:
    """A value region claimed by two labels belongs to the one on its line, else the
    nearer one (an empty field must not borrow its neighbour's value)."""
    out = dict(regions)
    keys = [k for k, r in regions.items() if r.box is not None and k != "signature"]
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            ra, rb = out[a], out[b]
            if ra.box is None or rb.box is None:
                continue
            if ra.box.v_overlap(rb.box) < 0.5 or ra.box.h_overlap(rb.box) < 0.5 * min(
                ra.box.w, rb.box.w
            ):
                continue
            loser = b if _claim(ra) <= _claim(rb) else a
            out[loser] = Region(out[loser].label, None, out[loser].where, out[loser].reach)
    return out


def _not_prose(box: Box | None, strips: Sequence[Strip]) -> Box | None:
    """None when the line holds a sentence of printed text rather than a value."""
    if box is None:
        return None
    letters = sum(
        len(w.text)
        for st in strips
        if st.segment.v_overlap(box) >= 0.5
        for w in st.words
        if box.x0 <= (w.left + w.right) / 2 <= box.x1
    )
    return None if letters > _PROSE else box


def _vote_up(
    pending: Sequence[Label],
    near: dict[str, tuple[Box | None, Box | None]],
    gaps_up: list[float],
    gaps_down: list[float],
) -> bool:
    """Values above their labels (label printed under the line) or below them?

    Between two labels there is one value either way; the ends tell: a value above
    the first label, none below the last, and labels printed smaller than the values
    mean "above"; otherwise "below" (the common form), unless only "above" exists.
    """
    if not pending:
        return False
    score = 0.0
    values = [b.h for pair in near.values() for b in pair if b is not None]
    label_h = float(np.median([lab.box.h for lab in pending]))
    if values and label_h < 0.7 * float(np.median(values)):
        score += 0.5
    first = min(pending, key=lambda lab: lab.segment.y0)
    last = max(pending, key=lambda lab: lab.segment.y1)
    pitch = (
        min(float(np.median(g)) for g in (gaps_up, gaps_down) if g)
        if (gaps_up or gaps_down)
        else 0.0
    )
    up = near[first.key][0]
    if up is not None and first.segment.y0 - up.y1 <= 1.5 * pitch:
        score += 1
    elif up is None:
        score -= 0.5  # nothing but body text above the first label
    if near[last.key][1] is not None:
        score -= 1
    if score == 0 and gaps_up and not gaps_down:
        score += 0.5
    return score > 0


def read_region(
    grey: np.ndarray,
    dpi: float,
    region: Region,
    th: float,
    engine: Engine,
    lang: str = LANG,
    variant: str | None = None,
) -> Reading:
    """OCR one value region (tightened to its ink) as one line.

    ``variant`` (one of :data:`VARIANTS`) prepares the pixels differently, for another
    look at a value the plain reads could not parse (handwriting).
    """
    if region.box is None:
        return Reading(region.label, "", (), None, region.where)
    b = region.box
    m = int(th * 0.35)
    h_img, w_img = grey.shape[:2]
    # after a label on the same line, no margin to the left: a colon cut in half there
    # is read joined to the value's first word
    x0 = b.x0 + 1 if region.where == "inline" else b.x0 - m
    box = Box(max(0, x0), max(0, b.y0 - m), min(w_img, b.x1 + m), min(h_img, b.y1 + m))
    crop = without_rules(grey[box.y0 : box.y1, box.x0 : box.x1])
    f = min(1.0, READ_DPI / dpi)
    if variant == "small":  # letters about 20 px high, as Tesseract's models were trained
        f = min(f, _SMALL_TEXT / max(th, 1.0))
    if f < 1.0:
        crop = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    if variant in ("binary", "thin"):
        _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        if variant == "thin":  # a broad pen's strokes run together
            ink = cv2.erode(ink, np.ones((2, 2), np.uint8))
        crop = 255 - ink
    pad = int(th * f * 0.5) + 4
    crop = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    psm = PSM_BLOCK if b.h > th * 2.2 else PSM_LINE
    words = engine.read_words(crop, psm=psm, dpi=int(dpi * f), lang=lang)
    unread = unread_ink(crop, words)
    # letters are counted on the plain pixels only: shrunk or thinned, a serif letter breaks
    # and a mark above a letter left out (an "Ö" read "O") counts as a letter left out
    unread_letters = (
        unread_letter_ink(crop, words) + unread_marks(crop, words) if variant is None else 0
    )
    mapped = tuple(
        Word(
            w.text,
            box.x0 + int((w.left - pad) / f),
            box.y0 + int((w.top - pad) / f),
            box.x0 + int((w.right - pad) / f),
            box.y0 + int((w.bottom - pad) / f),
            conf=w.conf,
            line=w.line,
        )
        for w in words
    )
    if region.where == "inline":
        mapped = tuple(w for w in mapped if (w.left + w.right) / 2 >= region.label.box.x1)
    text = " ".join(w.text for w in mapped)
    tight = words_box(mapped) if mapped else None
    return Reading(region.label, text, mapped, tight, region.where, unread, unread_letters)


_LOW = frozenset(".,:;-–—_'\"`~ ")  # characters shorter than half a digit


def _ink_pieces(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Heights and centres (x, y) of the connected pieces of ink in ``crop``."""
    _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    return stats[1:, cv2.CC_STAT_HEIGHT], centres[1:, 0], centres[1:, 1]


def _tall_chars(w: Word) -> int:
    """Characters of ``w`` that are not low punctuation."""
    return sum(ch not in _LOW for ch in w.text)


def _inside(b: Box, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    return (cx >= b.x0) & (cx <= b.x1) & (cy >= b.y0) & (cy <= b.y1)


def unread_ink(crop: np.ndarray, words: Sequence[Word]) -> int:
    """How many more digit-sized pieces of ink the boxes of words with digits hold than
    the digits read from them: a digit Tesseract left out ("11" read as "1")."""
    numbers = [w for w in words if any(ch.isdigit() for ch in w.text)]
    if not numbers:
        return 0
    heights, cx, cy = _ink_pieces(crop)
    tall = heights >= 0.5 * max(w.bottom - w.top for w in numbers)
    cx, cy = cx[tall], cy[tall]
    return sum(
        max(0, int(np.count_nonzero(_inside(words_box([w]), cx, cy))) - _tall_chars(w))
        for w in numbers
    )


_LETTER_BODY = 0.4  # of the words' usual height: the body of a letter (an x-height one)


def unread_letter_ink(crop: np.ndarray, words: Sequence[Word]) -> int:
    """How many more letter-sized pieces of ink the words' span holds than characters
    were read: a letter Tesseract left out ("Trä" read as "Tä", the r tucked under the
    T's arm). Counted over the whole span, not word by word: Tesseract's word boxes
    overlap now and then. Pieces smaller than a letter's body (dots, accents, specks)
    do not count, and a comma or a hyphen may or may not make one."""
    real = [w for w in words if _tall_chars(w) >= 2]
    if not any(ch.isalpha() for w in real for ch in w.text):
        return 0
    heights, cx, cy = _ink_pieces(crop)
    usual = float(np.median([w.bottom - w.top for w in real]))
    span = _inside(words_box(words), cx, cy)
    found = int(np.count_nonzero(span & (heights >= _LETTER_BODY * usual)))
    return max(0, found - sum(len(w.text) for w in words))


# marks above a letter that a read character accounts for: dots, rings, accents
_MARKS = {"i": 1, "j": 1, "ä": 2, "ö": 2, "ü": 2, "Ä": 2, "Ö": 2, "Ü": 2, "å": 1, "Å": 1}
_MARKS.update({"é": 1, "è": 1, "É": 1, "á": 1, "à": 1, "ø": 0, "!": 0, "?": 0, "'": 1, "’": 1})
_MARK_MAX = 0.4  # of the words' usual height: the largest a mark above a letter is
_MARK_MIN = 0.08  # the smallest (a speck under this is noise)


def unread_marks(crop: np.ndarray, words: Sequence[Word]) -> int:
    """How many more marks above letters (the dots of ä and ö, the ring of å, an i's dot)
    the words' tops hold than the characters read account for: a diaeresis Tesseract
    left out ("Öberg" read as "Oberg"). Marks are small pieces of ink in the band from
    half a letter above the words' top to a third of the way down, each no wider than
    a letter's body."""
    real = [w for w in words if _tall_chars(w) >= 2 and any(ch.isalpha() for ch in w.text)]
    if not real:
        return 0
    _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    stats, centres = stats[1:], centres[1:]
    usual = float(np.median([w.bottom - w.top for w in real]))
    hs, ws = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH]
    small = (hs <= _MARK_MAX * usual) & (ws <= 0.6 * usual)
    small &= np.maximum(hs, ws) >= max(2.0, _MARK_MIN * usual)
    bottoms = stats[:, cv2.CC_STAT_TOP] + hs
    found = 0
    for w in real:
        h = w.bottom - w.top
        inside = (centres[:, 0] >= w.left) & (centres[:, 0] <= w.right)
        band = (centres[:, 1] >= w.top - 0.5 * h) & (bottoms <= w.top + 0.35 * h)
        found += max(0, int(np.count_nonzero(small & inside & band)) - _marks(w.text))
    return found


def _marks(text: str) -> int:
    return sum(_MARKS.get(ch, 0) for ch in text) + 2 * text.count(":")


def without_rules(crop: np.ndarray) -> np.ndarray:
    """The crop with the printed rules a value is written on painted over: a line under
    (or through) a value makes Tesseract read the whole line as noise now and then.
    Where a stroke crosses the rule (the tail of a g or a j), its pixels stay."""
    if crop.size == 0 or crop.shape[1] < 40:
        return crop
    _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    length = max(30, crop.shape[1] // 3)
    rules = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    )
    if not rules.any():
        return crop
    rules = cv2.dilate(rules, np.ones((3, 1), np.uint8))
    paint = (rules > 0) & ~(_crossing(ink, rules) > 0)
    out = crop.copy()
    out[paint] = int(np.percentile(crop, 90))
    return out


def _crossing(ink: np.ndarray, rules: np.ndarray) -> np.ndarray:
    """The rule pixels a stroke runs through: ink both above and below, bridged."""
    per_column = np.count_nonzero(rules, axis=0)
    thickness = int(np.median(per_column[per_column > 0]))
    rest = cv2.bitwise_and(ink, cv2.bitwise_not(rules))
    bridge = cv2.getStructuringElement(cv2.MORPH_RECT, (1, thickness + 3))
    return cv2.bitwise_and(cv2.morphologyEx(rest, cv2.MORPH_CLOSE, bridge), rules)


def collect(region: Region, strips: Sequence[Strip]) -> Reading:
    """The words of the stacked read that fall in the region (no new OCR)."""
    if region.box is None:
        return Reading(region.label, "", (), None, region.where)
    b = region.box
    words: list[Word] = []
    for s in strips:
        if s.segment.h_overlap(b) <= 0 or s.segment.v_overlap(b) < 0.5:
            continue
        for w in s.words:
            cx = (w.left + w.right) / 2
            if b.x0 - 2 <= cx <= b.x1 + 2 and b.y0 - 4 <= w.cy <= b.y1 + 4:
                if region.where == "inline" and w.left < region.label.box.x1 - 2:
                    continue
                if region.where != "inline" and s.segment == region.label.segment:
                    continue
                if any(_same_word(w, o) for o in words):
                    continue  # one word in two runs (a row run into a box's border)
                words.append(w)
    words = reading_order(words)
    text = " ".join(w.text for w in words)
    tight = words_box(words) if words else None
    return Reading(region.label, text, tuple(words), tight, region.where)


def _same_word(a: Word, b: Word) -> bool:
    """``a`` and ``b`` are one word read twice: the same text over the same ink."""
    if a.text != b.text:
        return False
    w = min(a.right, b.right) - max(a.left, b.left)
    h = min(a.bottom, b.bottom) - max(a.top, b.top)
    return w > 0.5 * min(a.right - a.left, b.right - b.left) and h > 0.5 * min(
        a.bottom - a.top, b.bottom - b.top
    )


def reading_order(words: Sequence[Word]) -> list[Word]:
    """Words line by line, left to right. Lines by position, not by the run each word was
    read in: a run number counts top to bottom first, so a word set a pixel higher
    on the line ("Sjölander" after "Björn") would come first."""
    out: list[Word] = []
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w.cy):
        h = max(1, w.bottom - w.top)
        if lines and abs(w.cy - np.mean([o.cy for o in lines[-1]])) <= 0.5 * h:
            lines[-1].append(w)
        else:
            lines.append([w])
    for line in lines:
        out.extend(sorted(line, key=lambda w: w.left))
    return out


def ink_region(layout: Layout, box: Box) -> Box | None:
    """Tight ink box of a full-resolution region, via the layout mask."""
    small = ink_box(layout.mask, box.scaled(layout.scale))
    return None if small is None else small.scaled(1.0 / layout.scale)


# --- labels the profile does not list ---------------------------------------------------
UNLISTED = "unlisted"  # Label.variant of a label found by its place and its value's kind
UNLISTED_LABEL = "unlisted_label"  # the flag: a value was read under such a label
_KIND_STRONG = 0.9  # label score where the value's kind check is strong (Luhn, an e-mail)
_KIND_WEAK = 0.5  # label score where only the value's look names the field (a name)
UNLISTED_CAP = 0.8  # highest confidence of a value a weak kind check placed: never sure
_LABEL_WORDS = 3  # an unlisted label is at most this many words
_LABEL_LETTERS = 26
_FIRST = re.compile(r"^[A-ZÅÄÖÉ][a-zåäöéü]*(?:[./\-][A-Za-zåäöéü]*)*[.,:]?$")
_MORE = re.compile(r"^\(?[a-zåäöéü]+(?:[./\-][a-zåäöéü]*)*[.):]*$")
_BORDERS = frozenset({"I", "l", "|", "[", "]", "!"})  # as ocr.block reads a border
_ADDRESS = re.compile(r"^[\w.\-]+[&Q©(®]+[\w\-]+(\.[\w\-]+)*\.(se|nu|com|org|net|eu)$")
_ASIDE = re.compile(r"\([^)]*\)?")
_ORGNR_SHAPE = re.compile(r"\d{6}\s?[-–]?\s?\d{4}")


def is_unlisted(label: Label) -> bool:
    return label.variant.startswith(UNLISTED)


def value_kind(text: str) -> tuple[str, bool] | None:
    """Which label group a value read beside an unknown label fits, and whether that
    kind check is strong (a Luhn-valid number, an e-mail, a date, a county's own name)
    or only the value's look (an organisation word, a title, a person's name)."""
    text = text.strip()
    if not text:
        return None
    if "@" in text:
        return ("email", True) if parse_email(text).valid else None
    if _ADDRESS.match(text.replace(" ", "")):  # its "@" misread ("&", "Q"): read again later
        return "email", False
    orgnr = parse_orgnr(text)
    if orgnr.valid and orgnr.certainty >= 0.9:
        return "organisation_number", True
    if _ORGNR_SHAPE.search(text):
        return "organisation_number", False
    if any(ch.isdigit() for ch in text):
        place, date = parse_place_date(text)
        return ("place_date", True) if date.valid and date.certainty >= 0.9 else None
    county = parse_county(text)
    if is_county_name(text) or (county.valid and county.certainty >= 1.0 and len(text) > 4):
        return "county", True
    if has_organisation_word(text):
        return "organisation", False
    if has_title_word(text) or _known_title(text):
        return "signatory_title", False
    if looks_like_person(text):
        return "signatory_name", False
    return None


def _known_title(text: str) -> bool:
    return text.strip() in load("titles")


def _label_words(strip: Strip) -> int:
    """How many words at the start of ``strip`` (a table border read as "I" aside) read
    like a label the profile may not list ("Mejl:", "Namn i klartext", "Säte (län)"): 0
    when none do. A label with words after it ends in a colon; without one the run
    holds nothing else."""
    words = [w.text for w in strip.words[_border_reads(strip.words) :]]
    if not words or not _FIRST.match(words[0]):
        return 0
    for k, word in enumerate(words[:_LABEL_WORDS], start=1):
        if k > 1 and not _MORE.match(word):
            return 0
        if word.endswith(":"):
            return k
    if len(words) > _LABEL_WORDS or len("".join(words)) > _LABEL_LETTERS:
        return 0
    text = " ".join(words).strip(".")
    bare = _ASIDE.sub("", text).strip()  # "Säte (län)": "(län)" says what, no value does
    if value_kind(bare) is not None or text in load("municipalities"):
        return 0  # a value ("Västerbotten", "Vindelns kommun", "Umeå")
    if has_label_word(text, other=False) and len(words) == 1:
        return 0  # a known label misread
    return len(words)


def unlisted_candidates(
    scan: PageScan,
    layout: Layout,
    labels: Sequence[Label],
    taken: Sequence[Box] = (),
    beside: Sequence[Box] = (),
) -> list[Label]:
    """Runs of a signing block that are labels the profile does not list: read like a
    label (:func:`_label_words`) and end in a colon, or are set as the known labels are
    (their height, in their column or on their row) and are no known label's value
    (``taken``: the value regions of the known labels), among the block's rows; a run
    taken as the value beside a known label (``beside``) stays a label where it stands in
    a column of known labels on other rows (the second column of labels under their
    rules: "Ort, dag" right of "Organisation", under "Underskrift"). Only where
    the known labels leave a label group unfound. Each is keyed ``?<n>`` until the
    kind of its value names its group (:func:`name_unlisted`)."""
    groups = set(LABEL_FIELDS) - {lab.key for lab in labels}
    if not groups or len(labels) < 3:
        return []
    th = layout.text_height / layout.scale
    heights = float(np.median([lab.box.h for lab in labels]))
    tops = sorted(lab.segment.y0 for lab in labels)
    pitch = max(3.0 * th, float(np.median(np.diff(tops))) if len(tops) > 2 else 0.0)
    top, bottom = tops[0] - 2.5 * pitch, max(lab.segment.y1 for lab in labels) + 2.5 * pitch
    held = {lab.segment for lab in labels}
    out: list[Label] = []
    for strip in scan.strips:
        seg = strip.segment
        if seg in held or not top <= seg.cy <= bottom:
            continue
        lead = _border_reads(strip.words)
        k = _label_words(strip)
        if k == 0:
            continue
        words = strip.words[lead : lead + k]
        box = words_box(words)
        colon = words[-1].text.endswith(":")
        set_like = 0.6 * heights <= box.h <= 1.5 * heights and any(
            abs(box.x0 - lab.box.x0) <= 1.5 * th or same_band(box, lab.box) for lab in labels
        )
        column = any(
            abs(box.x0 - lab.box.x0) <= 1.5 * th and not same_band(box, lab.box) for lab in labels
        )
        if colon or (set_like and not _covers(taken, box) and (column or not _covers(beside, box))):
            text = " ".join(w.text for w in words).rstrip(":")
            trailing = len(strip.words) > lead + k
            out.append(Label(f"?{len(out)}", box, seg, _KIND_WEAK, trailing, f"{UNLISTED}:{text}"))
    return out


def _covers(boxes: Sequence[Box], box: Box) -> bool:
    """One of ``boxes`` (value regions) holds most of ``box``."""
    return any(b.v_overlap(box) >= 0.5 and b.h_overlap(box) > 0.5 * box.w for b in boxes)


def name_unlisted(
    regions: dict[str, Region], strips: Sequence[Strip], known: set[str]
) -> dict[str, Region]:
    """The regions with each unknown label (key ``?<n>``) named by the kind of the value
    found for it (:func:`value_kind`): the group it fits, where no known label holds that
    group and no other unknown label's value fits it too. Unknown labels no kind names
    are left out (they served as labels, stopping their neighbours' values)."""
    out = {k: r for k, r in regions.items() if not k.startswith("?")}
    named: dict[str, list[Region]] = {}
    unnamed: list[Region] = []
    for key, r in regions.items():
        if not key.startswith("?") or r.box is None:
            continue
        kind = value_kind(collect(r, strips).text)
        if kind is not None and kind[1] and kind[0] in known:
            continue  # another group's checked value (a second e-mail, a number)
        if kind is None or kind[0] in known:
            unnamed.append(r)  # a name where the name's label was found: which label?
            continue
        label = replace(r.label, key=kind[0], score=_KIND_STRONG if kind[1] else _KIND_WEAK)
        named.setdefault(kind[0], []).append(replace(r, label=label))
    for group, found in named.items():
        if len(found) == 1:
            out[group] = found[0]
    # one group left without a label and one unknown label left with a value no check
    # names: by elimination, that label is that group's ("Företagets namn:" over a name
    # that reads like a person's, where "Namn:" holds the signer's)
    left = [g for g in LABEL_FIELDS if g not in known | set(out) | set(named)]
    if len(left) == 1 and len(unnamed) == 1 and left[0] not in CHECKED_GROUPS:
        r = unnamed[0]
        out[left[0]] = replace(r, label=replace(r.label, key=left[0], score=_KIND_WEAK))
    return out


# label groups whose value a parser checks: never given to a label by elimination alone
CHECKED_GROUPS = frozenset({"organisation_number", "county", "email", "place_date"})


def _border_reads(words: Sequence[Word]) -> int:
    """How many words at the start are a table's left border read as a letter ("I")."""
    return 1 if len(words) > 1 and _border(words[0].text) else 0


def _border(text: str) -> bool:
    """A table's border bar read as a letter or two ("I", "Il")."""
    return 0 < len(text) <= 2 and all(ch in _BORDERS for ch in text)


def mark_unlisted(
    fields: dict[str, FieldValue], flags: list[str], regions: dict[str, Region]
) -> tuple[dict[str, FieldValue], list[str]]:
    """``fields`` and ``flags`` with the values read under unlisted labels marked: the
    flag ``unlisted_label``, and, for a value no parser checks (a name, a title, an
    organisation, a place), a confidence under :data:`ocr.confidence.SURE`: only its
    look placed it. A checked value (a Luhn-valid number, an e-mail, a date, a county)
    is given only where its parser accepts it, and keeps its confidence."""
    used = [r for r in regions.values() if is_unlisted(r.label) and r.box is not None]
    if not used:
        return fields, flags
    out, new_flags = dict(fields), list(flags)
    for r in used:
        for name in LABEL_FIELDS.get(r.label.key, ()):
            v = out.get(name)
            if name in CHECKED:  # given only where its parser checks it (Luhn, a date)
                continue
            if v is None or v.value is None or v.confidence <= UNLISTED_CAP:
                continue
            out[name] = replace(v, confidence=UNLISTED_CAP)
            if low_flag(name) not in new_flags:
                new_flags.append(low_flag(name))
    if UNLISTED_LABEL not in new_flags:
        new_flags.append(UNLISTED_LABEL)
    return out, new_flags
