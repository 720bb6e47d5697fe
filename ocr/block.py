"""Find the signing block by its labels, with one cheap OCR read per page (two or three
where the form is named only above the declaration text).

The page is mostly declaration text nobody needs. Layout (pixels only) gives the text
runs; runs of body text (wide lines and the short last lines of their paragraphs) are
left out, every other run (labels, values, titles that identify the form) is cut
out, stacked into one narrow image and read by Tesseract in one call. Tesseract's
cost grows with the letters read (the width of the lines, about 1.6 ms per line
height of width), hardly with the pixels, so that one read (at 200 dpi, as accurate
on the dev split as 300 dpi and 12 % cheaper) also serves as the first value read.
The runs above the first line of body text (letterhead, stamps, logos, the title) are
left to a second read, of the title first, made only when the first names no form or
finds some labels but not all. Label words are then matched to the profiles' label
variants with rapidfuzz; phrases decide which form it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
from rapidfuzz import fuzz

from ocr.layout import Box, Layout
from ocr.profile import FormProfile
from ocr.tesseract import PSM_BLOCK, PSM_LINE, Engine, Word, words_box

LABEL_DPI = 200.0  # the stacked read is also the first value read
_TITLE_WIDTH = 45  # longest run read, in run heights
_BLOB = 5.0  # a run this many text heights tall is several lines run together
_BLOB_TOP = 3.5  # how much of such a run is read, in text heights
_PAD = 12
_BORDER_READS = frozenset({"I", "l", "|", "[", "]", "!"})
_MAX_REREAD = 6  # runs read again on their own, per page and kind
_DOUBT = 80.0  # word confidence below which a label-like first word is read again
_RECOVER_SCALES = (1.0, 1.5)
_LOOSE_MATCH = 75.0  # fuzzy score a missing label's run needs in its column
_TITLE_RUN = 8.0  # a title run is at least this many times as wide as it is tall
_HEADER_END = 0.4  # body text starting above this share of the page height has a header
# runs of one line whose gap is under this many run heights are words of one phrase set
# with wide spaces (a typewriter font: "Norrbottens" "län", "Ort," "dag")
_WORD_GAP = 1.3
_SENTENCE = 4  # words after a label in one phrase that make it a sentence, not a label


@dataclass(frozen=True, slots=True)
class Strip:
    segment: Box  # full-resolution box of the text run
    words: tuple[Word, ...]  # page coordinates (full resolution)
    number: int = 0  # the run's place among the page's runs read (the words' line)


@dataclass(frozen=True, slots=True)
class Label:
    key: str  # profile field key ("organisation", "place_date", …, "signature")
    box: Box  # the label words, full resolution
    segment: Box  # the whole text run holding the label
    score: float  # 0..1 match quality
    trailing: bool  # more words follow the label in the same run
    variant: str = ""  # the profile's wording it matched


@dataclass(frozen=True, slots=True)
class PageScan:
    strips: tuple[Strip, ...]
    labels: tuple[Label, ...]
    profile: str | None  # slug identified by phrases, None when none matched
    mean_conf: float
    continues: bool = False  # the page says it goes on ("Sida 1 av 2")
    profile_by_labels: bool = False  # named by its label wordings alone, no title read

    @property
    def keys(self) -> set[str]:
        return {lab.key for lab in self.labels}

    @property
    def has_block(self) -> bool:
        return is_block(self.labels)


def is_block(labels: Sequence[Label]) -> bool:
    """Three different labels or more make a signing block."""
    return len({lab.key for lab in labels}) >= 3


def norm(text: str) -> str:
    return re.sub(r"[^0-9a-zåäöéü@]", "", text.lower())


def body_text(layout: Layout) -> set[Box]:
    """Runs of declaration or letter text: wide lines and the short last lines under them."""
    segs = layout.segments
    if not segs:
        return set()
    left = min(s.x0 for s in segs)
    right = max(s.x1 for s in segs)
    column = max(1, right - left, int(layout.mask.shape[1] * 0.7))  # narrow blocks: the page
    th = layout.text_height
    wide = [s for s in segs if s.h < th * 1.45 and s.w >= 0.5 * column]

    def prose(s: Box) -> bool:
        """A line of prose has a wide line just above or below it, or many words; a
        lone wide line of a few words ("E-post: a.long.address@organisation.se") is a
        field."""
        return _words(layout.mask, s, th) >= 6 or any(
            o is not s and (0 <= s.y0 - o.y1 <= th * 1.6 or 0 <= o.y0 - s.y1 <= th * 1.6)
            for o in wide
        )

    body: set[Box] = set()
    for s in segs:  # top to bottom
        if s.h >= th * 1.45:
            continue
        if s.w >= 0.85 * column or (s.w >= 0.6 * column and prose(s)):
            body.add(s)
            continue
        above = [b for b in body if 0 <= s.y0 - b.y1 <= th * 1.2 and abs(b.x0 - s.x0) <= th]
        tight = [b for b in above if s.y0 - b.y1 <= 0.6 * th and s.h <= 1.15 * b.h]
        if above and (s.w >= 0.25 * column or tight):
            body.add(s)
    return body


def _words(mask: np.ndarray, s: Box, th: float) -> int:
    """Words in a run: stretches of ink split by gaps wider than a third of a letter."""
    cols = mask[s.y0 : s.y1, s.x0 : s.x1].any(axis=0)
    ink = np.flatnonzero(cols)
    if ink.size == 0:
        return 0
    return 1 + int((np.diff(ink) > max(2.0, th * 0.3)).sum())


def _strip_crops(
    grey: np.ndarray, layout: Layout, skip: frozenset[Box] = frozenset()
) -> list[tuple[Box, Box, int]]:
    """(segment box, crop box, run number) in full-resolution coordinates, body text and
    the runs in ``skip`` (layout scale) left out. The run number is the run's place
    among all the page's runs that are read, whichever read it is in."""
    inv = 1.0 / layout.scale
    body = body_text(layout)
    top = int(_BLOB_TOP * layout.text_height)
    out = []
    for i, seg in enumerate(s for s in layout.segments if s not in body):
        if seg in skip:
            continue
        # a run many lines tall is lines run together (a stamp over a title and text):
        # its top lines are read, not the whole block (Tesseract's time goes by letters)
        y1 = seg.y1 if seg.h < _BLOB * layout.text_height else seg.y0 + top
        crop = Box(seg.x0, seg.y0, min(seg.x1, seg.x0 + int(_TITLE_WIDTH * seg.h)), y1)
        m = max(1, int(seg.h * 0.15))
        full = Box(seg.x0, seg.y0 - m, seg.x1, seg.y1 + m).scaled(inv)
        m = min(m, max(1, int(crop.h * 0.15)))
        cropf = Box(crop.x0 - m, crop.y0 - m, crop.x1 + m, crop.y1 + m).scaled(inv)
        out.append((full, cropf, i))
    return out


def header_runs(layout: Layout) -> frozenset[Box]:
    """Runs above the first line of body text, when that line is in the upper part of
    the page: letterhead, stamps, logos and the title (layout scale). They are read only
    when the rest of the page leaves the form unnamed or its signing block incomplete."""
    body = body_text(layout)
    if not body:
        return frozenset()
    first = min(b.y0 for b in body)
    if first > _HEADER_END * layout.mask.shape[0]:
        return frozenset()
    return frozenset(s for s in layout.segments if s.y1 < first and s not in body)


def read_strips(
    grey: np.ndarray,
    dpi: float,
    layout: Layout,
    engine: Engine,
    skip: frozenset[Box] = frozenset(),
) -> tuple[dict[int, Strip], list[float]]:
    """The non-body runs less ``skip`` stacked and read in one call: the strips by run
    number (:func:`_strip_crops`), and the confidences of every word read."""
    triples = _strip_crops(grey, layout, skip)
    if not triples:
        return {}, []
    pairs = [(seg, crop) for seg, crop, _ in triples]
    numbers = [n for _, _, n in triples]
    f = min(1.0, LABEL_DPI / dpi)
    h_img, w_img = grey.shape[:2]
    pieces = []
    for _seg, c in pairs:
        sub = grey[max(0, c.y0) : min(h_img, c.y1), max(0, c.x0) : min(w_img, c.x1)]
        if sub.size == 0:
            sub = np.full((2, 2), 255, np.uint8)
        pieces.append(
            sub if f == 1.0 else cv2.resize(sub, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        )
    width = max(p.shape[1] for p in pieces) + 2 * _PAD
    gap = max(8, int(np.median([p.shape[0] for p in pieces]) * 0.8))
    height = sum(p.shape[0] + gap for p in pieces) + gap
    canvas = np.full((height, width), 255, np.uint8)
    offsets = []
    y = gap
    for p in pieces:
        canvas[y : y + p.shape[0], _PAD : _PAD + p.shape[1]] = p
        offsets.append((y, y + p.shape[0]))
        y += p.shape[0] + gap
    words = engine.read_words(canvas, psm=PSM_BLOCK, dpi=int(dpi * f))
    buckets: list[list[Word]] = [[] for _ in pairs]
    tops = np.array([o[0] for o in offsets])
    for w in words:
        if not any(ch.isalnum() for ch in w.text):
            continue  # cell borders and leaders read as "|", "—", "_"
        i = int(np.searchsorted(tops, w.cy, side="right")) - 1
        if i < 0 or not (offsets[i][0] - gap / 2 <= w.cy <= offsets[i][1] + gap / 2):
            continue
        seg, crop = pairs[i]
        y0 = offsets[i][0]
        buckets[i].append(
            Word(
                w.text,
                crop.x0 + int((w.left - _PAD) / f),
                crop.y0 + int((w.top - y0) / f),
                crop.x0 + int((w.right - _PAD) / f),
                crop.y0 + int((w.bottom - y0) / f),
                conf=w.conf,
                line=numbers[i],
            )
        )
    for i in _short_unread(pairs, buckets, layout.text_height / layout.scale):
        buckets[i] = _read_alone(grey, pairs[i][1], dpi, engine, numbers[i])
    for i in _doubtful_leads(buckets):
        first = buckets[i][0]
        again = _read_alone(
            grey, Box(first.left, first.top, first.right, first.bottom), dpi, engine, numbers[i]
        )
        if len(again) == 1 and again[0].conf > first.conf:
            buckets[i][0] = again[0]
    strips = {
        n: Strip(seg, tuple(sorted(b, key=lambda w: w.left)), n)
        for (seg, _), b, n in zip(pairs, buckets, numbers, strict=True)
    }
    return strips, [w.conf for w in words]


def _short_unread(
    pairs: Sequence[tuple[Box, Box]], buckets: Sequence[list[Word]], th: float
) -> list[int]:
    """Short runs of text height the stacked read left empty: a short label such as
    "Län:" in small or condensed print is often dropped among longer lines."""
    out = [
        i
        for i, ((seg, _), b) in enumerate(zip(pairs, buckets, strict=True))
        if not b and 0.6 * th <= seg.h <= 1.6 * th and seg.w <= 6 * seg.h
    ]
    return out[:_MAX_REREAD]


def _doubtful_leads(buckets: Sequence[list[Word]]) -> list[int]:
    """Runs whose first word looks like a label ("Roll:") but was read unsurely: a small
    label before a larger handwritten value is often misread in the stacked read."""
    out = [
        i
        for i, b in enumerate(buckets)
        if len(b) > 1 and b[0].text.endswith(":") and b[0].conf < _DOUBT and len(b[0].text) <= 8
    ]
    return out[:_MAX_REREAD]


def best_labels(found: Sequence[Label]) -> list[Label]:
    """One label per key: the best match, and of equals the one standing in a column
    with other labels (a value word such as "kommun" in "Bodens kommun" matches the
    label "Kommun" as well as the real one does)."""

    def aligned(lab: Label) -> float:
        others = [o.box.x0 for o in found if o.key != lab.key]
        return -min((abs(lab.box.x0 - x) for x in others), default=0.0)

    best: dict[str, Label] = {}
    for lab in found:
        old = best.get(lab.key)
        if old is None or (lab.score, not lab.trailing, aligned(lab)) > (
            old.score,
            not old.trailing,
            aligned(old),
        ):
            best[lab.key] = lab
    return list(best.values())


def _recover_labels(
    grey: np.ndarray,
    dpi: float,
    strips: list[Strip],
    labels: list[Label],
    variants: Sequence[tuple[str, str]],
    engine: Engine,
) -> tuple[list[Strip], list[Label]]:
    """Short runs in the labels' column that the stacked read made nothing of ("Org nr:"
    read "Odin", 17 %) are read again alone at full resolution: a form whose other
    labels were found has the rest of them there too."""
    found = {lab.key for lab in labels}
    if found >= {key for key, _ in variants}:
        return strips, labels
    th = float(np.median([lab.box.h for lab in labels]))
    lefts = [lab.box.x0 for lab in labels]
    held = {lab.segment for lab in labels}

    def weak(s: Strip) -> bool:
        """Read unsurely, or not at all (a label with a signature run into it)."""
        if not s.words:
            return 0.6 * th <= s.segment.h
        return len(s.words) <= 3 and min(w.conf for w in s.words) < _DOUBT

    doubtful = [
        i
        for i, s in enumerate(strips)
        if s.segment not in held
        and weak(s)
        and s.segment.h <= 2.5 * th
        and any(abs(_left(s) - x) <= 1.5 * th for x in lefts)
    ]
    doubtful.sort(key=lambda i: min((w.conf for w in strips[i].words), default=0.0))
    out, more = list(strips), []
    for i in doubtful[:_MAX_REREAD]:
        seg = strips[i].segment
        n = strips[i].number
        for scale in _RECOVER_SCALES:  # Tesseract misreads some words at one size only
            again = Strip(seg, tuple(_read_alone(grey, seg, dpi, engine, n, scale)), n)
            lab = match_label(again, variants)
            if lab is not None:
                break
        if lab is None:  # ink over the label (a signature run down into it): a looser match
            missing = [(key, v) for key, v in variants if key not in found]
            lab = match_label(strips[i], missing, loose=True)
            again = strips[i]
        if lab is not None and lab.key not in found:
            out[i] = again
            more.append(lab)
            found.add(lab.key)
    last = _last_label(out, labels + more, doubtful, {key for key, _ in variants} - found)
    return out, labels + more + ([last] if last is not None else [])


def _last_label(
    strips: Sequence[Strip], labels: Sequence[Label], doubtful: Sequence[int], missing: set[str]
) -> Label | None:
    """One label still missing and, among the block's labels, one run in their column read
    as a word and a colon that matches none ("Roll:" read "ROME:", 36 %): that run is the
    missing label. Its low score counts against the confidence of the value under it."""
    if len(missing) != 1:
        return None
    top = min(lab.box.y0 for lab in labels)
    bottom = max(lab.box.y1 for lab in labels)
    held = {lab.segment for lab in labels}
    colons = [
        strips[i]
        for i in doubtful
        if strips[i].segment not in held
        and len(strips[i].words) == 1
        and strips[i].words[0].text.endswith(":")
        and top < strips[i].segment.cy < bottom
    ]
    if len(colons) != 1:
        return None
    s = colons[0]
    w = s.words[0]
    return Label(missing.pop(), Box(w.left, w.top, w.right, w.bottom), s.segment, 0.5, False)


def guessed_signature_label(
    labels: Sequence[Label], runs: Sequence[Box], th: float
) -> Label | None:
    """Where no "Underskrift" label was found but the name's was: a signature written
    over its label joins both into one tall run (two lines high or more) in the labels'
    column, above the name's label and below the label before it. Exactly one such run
    is taken for the signing row's label (its top line; score 0.5, never a sure verdict)."""
    if any(lab.key == "signature" for lab in labels):
        return None
    name = next((lab for lab in labels if lab.key == "signatory_name"), None)
    if name is None:
        return None
    x0 = name.box.x0
    above = [
        lab.box.y1
        for lab in labels
        if abs(lab.box.x0 - x0) <= 1.5 * th and lab.box.y1 <= name.box.y0
    ]
    top = max(above, default=int(name.box.y0 - 8 * th))
    held = {lab.segment for lab in labels}
    tall = [
        r
        for r in runs
        if r not in held
        and abs(r.x0 - x0) <= 1.5 * th
        and top < r.y0
        and r.y1 <= name.box.y0 + 0.5 * th
        and r.h >= 2.5 * th
    ]
    if len(tall) != 1:
        return None
    r = tall[0]
    line = Box(r.x0, r.y0, min(r.x1, r.x0 + int(4 * th)), r.y0 + int(th))
    return Label("signature", line, line, 0.5, False, "inferred")


def _left(strip: Strip) -> int:
    return strip.words[0].left if strip.words else strip.segment.x0


def _read_alone(
    grey: np.ndarray, crop: Box, dpi: float, engine: Engine, line: int, scale: float = 1.0
) -> list[Word]:
    """One short run read on its own as a single line, at full resolution (or scaled)."""
    h_img, w_img = grey.shape[:2]
    sub = grey[max(0, crop.y0) : min(h_img, crop.y1), max(0, crop.x0) : min(w_img, crop.x1)]
    if sub.size == 0:
        return []
    if scale != 1.0:
        sub = cv2.resize(sub, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    pad = max(_PAD, sub.shape[0] // 2)
    img = cv2.copyMakeBorder(sub, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    words = engine.read_words(img, psm=PSM_LINE, dpi=int(dpi * scale))

    def at(v: int) -> int:
        return int((v - pad) / scale)

    return [
        Word(
            w.text,
            crop.x0 + at(w.left),
            crop.y0 + at(w.top),
            crop.x0 + at(w.right),
            crop.y0 + at(w.bottom),
            conf=w.conf,
            line=line,
        )
        for w in words
        if any(ch.isalnum() for ch in w.text)
    ]


_DIGIT_AS_LETTER = str.maketrans({"1": "l", "0": "o", "|": "l"})


def _as_letters(word: str) -> str:
    """Labels hold no digits: in a word of letters, a digit is a misread letter
    ("Ro11:" is "Roll:"). A word of digits alone stays as it is."""
    if any(ch.isalpha() for ch in word):
        return word.translate(_DIGIT_AS_LETTER)
    return word


def match_label(
    strip: Strip, variants: Sequence[tuple[str, str]], loose: bool = False
) -> Label | None:
    """The best label variant at the start of a strip, or None. ``loose`` accepts a
    label read with a slip or two more (one missing from a found block, in its column)."""
    words = strip.words
    if len(words) > 1 and 0 < len(words[0].text) <= 2 and set(words[0].text) <= _BORDER_READS:
        words = words[1:]  # a table's left border read as a letter: "I Län"
    best: tuple[float, int, str, str] | None = None
    for k in range(1, min(4, len(words)) + 1):
        cand = norm("".join(_as_letters(w.text) for w in words[:k]))
        if not cand:
            continue
        for key, variant in variants:
            v = norm(variant)
            score = (100.0 if cand == v else 0.0) if len(v) <= 4 else fuzz.ratio(cand, v)
            if best is None or score > best[0]:
                best = (score, k, key, variant)
    if best is None:
        return None
    score, k, key, variant = best
    trailing = len(words) > k and words[k].left - words[k - 1].right < strip.segment.h * 1.5
    said = len(words) > k and (words[k - 1].text.endswith(":") or words[k].text.startswith(":"))
    # a value after its label must not be taken for one: unless a colon says it is a label
    # (")rt/datum: Övertorneå"), a trailing label is matched nearly exactly
    needed = 96.0 if trailing and not said else (_LOOSE_MATCH if loose else 84.0)
    if score < needed:
        return None
    if trailing:  # "Org.nr: 556…" yes; "Region Norrbotten" (a value) no
        nxt = words[k].text
        wording = norm("".join(w.text for w in words[:k]))  # "Organisationens namn" too
        if not (said or any(ch.isdigit() for ch in nxt) or len(wording) >= 8):
            return None
        rest = " ".join(w.text for w in words[k:])
        if len(rest.split()) >= 5 and not any(ch.isdigit() or ch == "@" for ch in rest):
            return None  # "Underskrift av behörig företrädare …": a sentence, not a label
    return Label(key, words_box(words[:k]), strip.segment, score / 100.0, trailing, variant)


def identify(strips: Sequence[Strip], profiles: Sequence[FormProfile]) -> str | None:
    """The form whose identifying phrases stand in the runs read (a title, a letterhead
    sentence naming the declaration). A title set in wide letters falls apart into
    several runs, so the runs are joined in reading order before matching."""
    text = " ".join(" ".join(w.text for w in s.words) for s in strips).lower()
    best: tuple[float, str] | None = None
    for p in profiles:
        for phrase in p.identify:
            score = fuzz.partial_ratio(phrase.lower(), text) if len(text) >= len(phrase) else 0.0
            if score >= 88 and (best is None or score > best[0]):
                best = (score, p.slug)
    return None if best is None else best[1]


def identify_by_labels(labels: Sequence[Label], profiles: Sequence[FormProfile]) -> str | None:
    """The form whose own label wordings were read where no title named one: labels
    worded as only one profile words them ("Kommun/region", "Företag/organisation"),
    all pointing to the same form. Weaker evidence than a title (flagged as such)."""
    owners: set[str] = set()
    for lab in labels:
        if lab.score < 0.96 or not lab.variant:
            continue
        wording = norm(lab.variant)
        having = {p.slug for p in profiles if any(norm(v) == wording for _, v in p.all_labels)}
        if len(having) == 1:
            owners |= having
    return owners.pop() if len(owners) == 1 else None


def title_runs(layout: Layout) -> list[Box]:
    """Runs taken for body text that may be the form's title: the tallest two in the
    upper half of the page, taller than the text around them, else the first of them
    (layout scale)."""
    th = layout.text_height
    half = layout.mask.shape[0] / 2
    upper = [s for s in body_text(layout) if s.y1 <= half and s.h >= th]
    tall = [s for s in upper if s.h >= th * 1.15]
    if not tall:  # a title set barely larger than the text: the first line of the page
        tall = sorted(upper, key=lambda s: s.y0)[:1]
    return sorted(tall, key=lambda s: -s.h)[:2]


def read_title(
    grey: np.ndarray, dpi: float, layout: Layout, runs: Sequence[Box], engine: Engine
) -> list[Strip]:
    """The title runs (:func:`title_runs`) read one by one at the label resolution (only
    where the stacked read named no form: a long title set like a line of text)."""
    f = min(1.0, LABEL_DPI / dpi)
    small = grey if f == 1.0 else cv2.resize(grey, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    out = []
    for i, seg in enumerate(runs):
        m = max(1, int(seg.h * 0.15))
        crop = Box(seg.x0 - m, seg.y0 - m, seg.x1 + m, seg.y1 + m).scaled(f / layout.scale)
        out.append(
            Strip(seg.scaled(1 / layout.scale), tuple(_read_alone(small, crop, dpi * f, engine, i)))
        )
    return out


_PAGE_OF = re.compile(r"sida\s*(\d+)\s*(?:av|/)\s*(\d+)|^\s*(\d+)\s*av\s*(\d+)\s*$", re.IGNORECASE)


def _continues(strips: Sequence[Strip]) -> bool:
    for s in strips:
        m = _PAGE_OF.search(" ".join(w.text for w in s.words))
        if m:
            this, total = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            if int(this) < int(total):
                return True
    return False


def _title_candidates(runs: frozenset[Box], th: float) -> frozenset[Box]:
    """The tallest run of several words among ``runs``: the title, most likely."""
    long = sorted(
        (s for s in runs if s.w >= _TITLE_RUN * s.h and s.h < _BLOB * th), key=lambda s: -s.h
    )
    return frozenset(long[:1])


def _phrase_gap(a: Strip, b: Strip) -> bool:
    """``b`` follows ``a`` on its line as the next word of one phrase: the same band and
    height, and a gap narrower than a wide word space of their size."""
    sa, sb = a.segment, b.segment
    low, high = sorted((sa.h, sb.h))
    # "av", "namn:" are only x-high beside "Underskrift", "Företagets"
    if not (sa.v_overlap(sb) >= 0.8 and high <= 2.4 * low):
        return False
    return -0.5 * low <= sb.x0 - sa.x1 <= _WORD_GAP * high


def join_phrases(strips: Sequence[Strip], variants: Sequence[tuple[str, str]]) -> list[Strip]:
    """The strips with the runs of one phrase joined into one strip: the layout cuts a
    phrase set in a typewriter font at every word space ("Norrbottens" "län", where
    "län" alone reads as the label "Län"). A label run before a value keeps its own strip
    ("Län" "Norrbotten" set close), unless words of a sentence follow it ("Underskrift
    av behörig företrädare för organisationen:": a heading, no label)."""
    order = sorted(range(len(strips)), key=lambda i: (strips[i].segment.x0, strips[i].segment.y0))
    nxt: dict[int, int] = {}
    has_prev: set[int] = set()
    for i in order:
        a = strips[i]
        if not a.words or a.words[-1].text.endswith(":"):
            continue  # a label's colon ends the phrase
        cands = [
            j
            for j in order
            if j != i and j not in has_prev and strips[j].words and _phrase_gap(a, strips[j])
        ]
        if cands:
            j = min(cands, key=lambda j: strips[j].segment.x0)
            nxt[i] = j
            has_prev.add(j)
    out: list[Strip] = []
    for i in range(len(strips)):
        if i in has_prev:
            continue
        chain = [i]
        while chain[-1] in nxt:
            chain.append(nxt[chain[-1]])
        while len(chain) > 1 and not _clear(strips[chain[-1]]):  # left to be read again
            out.append(strips[chain.pop()])
        while len(chain) > 1 and not _clear(strips[chain[0]]):
            out.append(strips[chain.pop(0)])
        if len(chain) > 1 and match_label(strips[i], variants) is not None:
            rest = sum(len(strips[j].words) for j in chain[1:])
            if rest < _SENTENCE:  # a label, then its value close beside it
                out.append(strips[i])
                chain = chain[1:]
        out.append(_joined([strips[j] for j in chain]))
    return sorted(out, key=lambda s: s.number)


def _clear(strip: Strip) -> bool:
    """Read, and clearly: a run read unsurely at a phrase's end is left alone, to be
    read again alone (:func:`_recover_labels`); within a phrase ("för" read "FÖR" in a
    heading) it is one of its words."""
    return bool(strip.words) and min(w.conf for w in strip.words) >= _DOUBT


def _joined(parts: Sequence[Strip]) -> Strip:
    if len(parts) == 1:
        return parts[0]
    box = parts[0].segment
    for p in parts[1:]:
        box = box.union(p.segment)
    n = parts[0].number
    words = tuple(replace(w, line=n) for p in parts for w in p.words)
    return Strip(box, words, n)


def _labels(strips: Sequence[Strip], variants: Sequence[tuple[str, str]]) -> list[Label]:
    return best_labels([lab for s in strips if (lab := match_label(s, variants)) is not None])


def scan_page(
    grey: np.ndarray, dpi: float, layout: Layout, profiles: Sequence[FormProfile], engine: Engine
) -> PageScan:
    """Read the label strips of an upright page and find labels and the form.

    The runs above the body text (:func:`header_runs`) are read in a second call, only
    when the first leaves the form unnamed or finds some labels but not every one."""
    variants = sorted({pair for p in profiles for pair in p.all_labels})
    keys = {key for key, _ in variants}
    later = header_runs(layout)
    read, confs = read_strips(grey, dpi, layout, engine, skip=later)

    def read_also(runs: frozenset[Box]) -> list[Strip]:
        more, more_confs = read_strips(
            grey, dpi, layout, engine, skip=frozenset(layout.segments) - runs
        )
        read.update(more)
        confs.extend(more_confs)
        return join_phrases([read[n] for n in sorted(read)], variants)

    strips = join_phrases([read[n] for n in sorted(read)], variants)
    labels = _labels(strips, variants)
    if later and labels and {lab.key for lab in labels} < keys:
        strips = read_also(later)  # a block in two parts, around the declaration text?
        labels = _labels(strips, variants)
    elif later and identify(strips, profiles) is None:
        first = _title_candidates(later, layout.text_height)
        strips = read_also(first)
        if identify(strips, profiles) is None and later - first:
            strips = read_also(later - first)
            labels = _labels(strips, variants)
    conf = float(np.mean(confs)) if confs else 0.0
    if is_block(labels):
        strips, labels = _recover_labels(grey, dpi, strips, labels, variants, engine)
    profile = identify(strips, profiles)
    if profile is None and (runs := title_runs(layout)):
        profile = identify(read_title(grey, dpi, layout, runs, engine), profiles)
    by_labels = profile is None and is_block(labels)
    if by_labels:
        profile = identify_by_labels(labels, profiles)
    return PageScan(
        continues=_continues(strips),
        strips=tuple(strips),
        labels=tuple(labels),
        profile=profile,
        mean_conf=conf,
        profile_by_labels=by_labels and profile is not None,
    )
