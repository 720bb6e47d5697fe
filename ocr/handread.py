"""The second read of hand-filled values in the engine (on in the product: the setting
``SIGNREG_SECOND_READ`` defaults to on; :func:`ocr.pipeline.extract` itself reads once
unless given a :class:`SecondRead`).

Where the setting is on, value regions are read by PP-OCRv6 too (:mod:`ocr.handwriting`;
the page's crops read together, in one ONNX call per crop width; a region shared by
two fields read once) and decoded under the field's constraint (:mod:`ocr.ctc`):

- organisation number: ``NNNNNN-NNNN`` passing Luhn; date: a date that exists, after the
  place written before it, its month in digits or by name. Read always (``check_sure``):
  a handwriting font's 29 is read 24 by Tesseract at 0.99.
- county (the 21 counties, ``Norrbottens län`` too), place (Sweden's 290 municipalities,
  ``ocr/lexicons/municipalities.txt``, before the date in their shared region) and title
  (``ocr/lexicons/titles.txt``, the list :mod:`ocr.interpret` uses): closed lists, a trie
  over the CTC output. Read where Tesseract is unsure (a value Tesseract is sure of is
  either listed — a list confirms it exactly — or outside every list, where a list
  cannot judge it).
- organisation: the registry's names where :attr:`SecondRead.organisations` gives them
  (a list as above), else free; signatory's name: free (a prefix beam over every
  character, :func:`ocr.ctc.free_read`). Read where Tesseract is unsure; both
  recognisers reading the same value (case and spaces aside) raise it to
  :attr:`SecondRead.free_agreed`, **never to sure** (two readers can drop the same
  dots); a free value is never sure from the second read.

:func:`judge` weighs the two reads (the evidence is kept in :class:`Verdict`):

- where Tesseract is unsure (under :data:`ocr.confidence.SURE`), the beam's value
  replaces it when its confidence reaches the field's bar in :class:`SecondRead`, and
  is given unsure where it is the better supported of the two; the two reading the same
  value make it sure where the beam's confidence reaches the field's agreement bar;
- where Tesseract is sure (numbers and dates): agreement leaves the value as it was; a
  disagreement gives neither sure: the beam's value where the beam is sure of it, else
  Tesseract's, flagged ``readers_differ:<field>:<the second reader's value>``.

Typed values the two read alike stay as Tesseract read them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from ocr import ctc
from ocr.confidence import SURE, low_flag
from ocr.fields import Region, without_rules
from ocr.handwriting import get_recogniser
from ocr.model import FieldValue
from ocr.values.county import COUNTIES
from ocr.values.dates import EARLIEST_YEAR
from ocr.values.lexicon import fold, load
from ocr.values.parsed import Parsed
from ocr.values.text import clean_name, clean_organisation

NUMBERS = ("organisation_number", "signed_date")
LISTED = ("county", "place", "signatory_title")
FREE = ("organisation", "signatory_name")
FIELDS = (*NUMBERS, *LISTED, *FREE)


@dataclass(frozen=True, slots=True)
class SecondRead:
    """Whether and how hand-filled values are read a second time.

    ``*_sure`` (bars on :meth:`ocr.ctc.Decoded.confidence_at` ``*_plausible``) were
    picked on dev seeds (HANDWRITING.md); a value the beam reads at or above its bar is
    given ``given``.
    """

    enabled: bool = True
    fields: tuple[str, ...] = FIELDS  # the fields read again
    # values Tesseract is sure of are read again too (handwriting fonts: a 9 read 4 at 0.99)
    check_sure: bool = True
    orgnr_sure: float = 0.99
    orgnr_plausible: float = 0.9
    date_sure: float = 0.998
    date_plausible: float = 0.01
    # county, place, title (and organisation from a lexicon): a closed list
    list_sure: float = 0.99
    list_plausible: float = 0.1
    list_agree: float = 0.5  # Tesseract unsure of the value the beam reads at this: sure
    # organisation and name: the two readers reading the same value (free_agree: the
    # least margin of the free read over its rival) raise it to free_agreed, under SURE:
    # on held-out seed 9511 both readers dropped the same dots in a font's "ä" twice
    # ("Backström", "Lules tekniska universitet" given sure), so agreement of two free
    # reads is not enough for a value nothing else checks
    free_agree: float = 0.5
    free_agreed: float = 0.85
    # a free field's Tesseract value at least this likely under PP-OCRv6's matrix (case
    # and diacritics aside) against PP-OCRv6's own read stands, with its diacritics
    free_keep: float = 0.1
    # a list's value less likely than this (confidence_at) is forced onto ink the list
    # does not hold (a village for a place): no evidence
    list_floor: float = 0.05
    # the two reading the same letters, Tesseract alone the rings and dots ("Åke", "Ake"):
    # the same value where PP-OCRv6's matrix gives Tesseract's exact spelling at least
    # this much of its own read's probability
    marks_agree: float = 0.01
    given: float = 0.95
    unsure_cap: float = 0.6
    disagree_cap: float = 0.6  # the two readers sure of different values
    organisations: tuple[str, ...] = ()  # the registry's names, where known

    def bars(self, name: str) -> tuple[float, float]:
        """``(sure, plausible)`` of the field's beam."""
        if name == "organisation_number":
            return self.orgnr_sure, self.orgnr_plausible
        if name == "signed_date":
            return self.date_sure, self.date_plausible
        return self.list_sure, self.list_plausible


def with_lexicon(setting: SecondRead, lexicon: Mapping[str, str] | None) -> SecondRead:
    """``setting`` with the registry's organisation names (number → name) to snap a
    hand-printed organisation to (:attr:`SecondRead.organisations`)."""
    if not lexicon or not setting.enabled:
        return setting
    return replace(setting, organisations=tuple(sorted(set(lexicon.values()))))


SECOND_READ_OFF = SecondRead(enabled=False)  # the library's default (ocr.pipeline.extract)
# field -> the region its ink is in
REGION_OF = {
    "organisation_number": "organisation_number",
    "signed_date": "place_date",
    "county": "county",
    "place": "place_date",
    "signatory_title": "signatory_title",
    "organisation": "organisation",
    "signatory_name": "signatory_name",
}
FLAG = "second_reader:{}"  # the value given is PP-OCRv6's
DIFFERS_FLAG = "readers_differ:{}:{}"  # Tesseract was sure of another value than PP-OCRv6's
INVALID_FLAGS = {"organisation_number": ("invalid_orgnr",)}  # ocr.interpret's, for a value read
# a free read is cleaned as ocr.interpret cleans Tesseract's
CLEAN: Mapping[str, Callable[[str], Parsed]] = {
    "organisation": clean_organisation,
    "signatory_name": clean_name,
}


class Why(enum.Enum):
    """What a verdict rests on (the evidence a benchmark or a reviewer reads)."""

    SECOND_SURE = "second_sure"  # Tesseract unsure, the beam at its bar
    AGREE = "agree"  # Tesseract unsure, the beam read the same value
    BETTER_SUPPORTED = "better_supported"  # neither sure; the beam's the better held
    DIFFER = "differ"  # Tesseract sure of another value


@functools.lru_cache(maxsize=1)  # a day's list; a long-running worker makes the next
def _constraints(latest: dt.date) -> dict[str, ctc.Constraint]:
    dates = ctc.dates(dt.date(EARLIEST_YEAR, 1, 1), latest)
    return {
        "organisation_number": ctc.Orgnr(),
        "signed_date": ctc.AfterWords(dates),
        "county": ctc.counties(COUNTIES, fold=True),
        "place": ctc.ThenWords(ctc.names(load("municipalities"), fold=True)),
        "signatory_title": ctc.names(load("titles"), fold=True),
    }


@functools.lru_cache(maxsize=1)
def _organisations(names: tuple[str, ...]) -> ctc.Constraint:
    return ctc.names(names, fold=True)


def crop_of(grey: np.ndarray, region: Region, th: float) -> np.ndarray | None:
    """The value region with a little paper around it, the form's rules taken out."""
    if region.box is None:
        return None
    b = region.box
    m = int(th * 0.35)
    h, w = grey.shape[:2]
    x0 = b.x0 + 1 if region.where == "inline" else b.x0 - m
    crop = grey[max(0, b.y0 - m) : min(h, b.y1 + m), max(0, x0) : min(w, b.x1 + m)]
    return without_rules(crop) if crop.size else None


def _placed(
    value: FieldValue, region: Region, shape: tuple[int, ...], page: int | None
) -> FieldValue:
    """``value`` with the page and box of its region where Tesseract gave none."""
    if value.bbox is not None or region.box is None:
        return value if value.page is not None or page is None else replace(value, page=page)
    h, w = shape[0], shape[1]
    b = region.box
    bbox = (max(0.0, b.x0 / w), max(0.0, b.y0 / h), min(1.0, b.x1 / w), min(1.0, b.y1 / h))
    return replace(value, page=value.page if value.page is not None else page, bbox=bbox)


def wanted(name: str, current: FieldValue, setting: SecondRead) -> bool:
    """Is ``name`` read again? Numbers and dates always (``check_sure``); other fields
    where Tesseract is unsure of them."""
    if name not in setting.fields:
        return False
    if current.confidence < SURE:
        return True
    return name in NUMBERS and setting.check_sure


@dataclass(frozen=True, slots=True)
class Reads:
    """The evidence of one field: what each reader made of its ink."""

    field: str
    tesseract: FieldValue
    second: str | None  # PP-OCRv6's value (normalised by the constraint, or cleaned)
    confidence: float  # the beam's confidence in it (a free read: its margin)
    text: str  # what PP-OCRv6 read (the spelling behind ``second``)
    free: bool  # read without a list: sure only where the readers agree
    # a free read: how likely Tesseract's value is under PP-OCRv6's matrix (case and
    # diacritics aside) against PP-OCRv6's own read, at most 1
    tess_score: float = 0.0
    tess_exact: float = 0.0  # the same for its exact spelling (the rings and dots too)
    marks_only: bool = False  # ``second`` is Tesseract's value once Tesseract's marks are in


def second_read(
    fields: Mapping[str, FieldValue],
    flags: list[str],
    regions: Mapping[str, Region],
    grey: np.ndarray,
    th: float,
    setting: SecondRead,
    *,
    page: int | None = None,
    today: dt.date | None = None,
) -> tuple[dict[str, FieldValue], list[str]]:
    """``fields`` and ``flags`` with hand-filled values read again (see the module)."""
    out, new_flags = dict(fields), list(flags)
    if not setting.enabled:
        return out, new_flags
    crops: dict[str, np.ndarray] = {}  # region -> crop (place and date share one)
    todo: list[str] = []
    for name, region_key in REGION_OF.items():
        current = out.get(name)
        region = regions.get(region_key)
        if current is None or region is None or not wanted(name, current, setting):
            continue
        if region_key not in crops:
            crop = crop_of(grey, region, th)
            if crop is None or min(crop.shape[:2]) < 4:
                continue
            crops[region_key] = crop
        todo.append(name)
    if not todo:
        return out, new_flags
    latest = (today or dt.date.today()) + dt.timedelta(days=366)
    constraints = _constraints(latest)
    rec = get_recogniser()
    keys = list(crops)
    readings = dict(zip(keys, rec.read_many([crops[k] for k in keys]), strict=True))
    for name in todo:
        region = regions[REGION_OF[name]]
        probs = readings[REGION_OF[name]].probs
        current = _placed(out[name], region, grey.shape[:2], page)
        reads = _reads(name, current, probs, rec.characters, rec.index, constraints, setting)
        if reads is None:
            continue  # nothing the field may be in the second reader's ink: Tesseract's stands
        verdict = decide(reads, setting)
        if verdict is None:
            continue
        out[name] = replace(current, value=verdict.value, confidence=verdict.confidence)
        new_flags = _flags_for(name, verdict, new_flags)
    return out, new_flags


def _reads(
    name: str,
    current: FieldValue,
    probs: np.ndarray,
    characters: tuple[str, ...],
    index: Mapping[str, int],
    constraints: Mapping[str, ctc.Constraint],
    setting: SecondRead,
) -> Reads | None:
    """What PP-OCRv6's matrix says of field ``name``."""
    _, plausible = setting.bars(name)
    constraint = constraints.get(name)
    if name == "organisation" and setting.organisations:
        constraint = _organisations(setting.organisations)
        decoded = ctc.decode(probs, characters, index, constraint)
        confidence = decoded.confidence_at(plausible)
        if decoded.value is not None and confidence >= setting.list_sure:
            return Reads(name, current, decoded.value, confidence, decoded.text, free=False)
        constraint = None  # not one of the registry's names: read free
    if constraint is not None:
        decoded = ctc.decode(probs, characters, index, constraint)
        if decoded.value is None:
            return None
        confidence = decoded.confidence_at(plausible)
        return Reads(name, current, decoded.value, confidence, decoded.text, free=False)
    free = ctc.free_read(probs, characters)
    text = _latin(free.text)
    text = _spaced(text) if name == "signatory_name" else _ab(_spaced(text))
    parsed = CLEAN[name](text)
    second = parsed.value if parsed.valid else None
    tess_score = tess_exact = 0.0
    marks_only = False
    if current.value:
        tess_score = _score(probs, characters, index, ctc.names([current.value], fold=True))
    if second is not None and current.value:
        restored = restore_marks(second, current.value)
        marks_only = same(restored, current.value) and not same(second, current.value)
        if marks_only:
            tess_exact = _score(probs, characters, index, ctc.names([current.value]))
        second = restored
    confidence = free.margin if second else 0.0
    return Reads(
        name,
        current,
        second,
        confidence,
        free.text,
        free=True,
        tess_score=tess_score,
        tess_exact=tess_exact,
        marks_only=marks_only,
    )


def _score(
    probs: np.ndarray, characters: tuple[str, ...], index: Mapping[str, int], one: ctc.Lexicon
) -> float:
    """How likely the one value of ``one`` is against the matrix's own read (at most 1)."""
    decoded = ctc.decode(probs, characters, index, one)
    return decoded.score if decoded.value is not None else 0.0


# letters of other scripts PP-OCRv6 (Chinese-first) writes for Latin ones
_LATIN = str.maketrans("ΛΔ∆АВЕКМНОРСТХаеорсух", "AAAABEKMHOPCTXaeopcyx")
_AB = re.compile(r"(?<=[a-zåäö])AB$|\bA B$")


def _latin(text: str) -> str:
    return text.translate(_LATIN)


def _ab(text: str) -> str:
    """``MekaniskaAB``, ``Gjuteri A B`` → ``… AB`` (an organisation's form, read)."""
    return _AB.sub(lambda m: " AB" if m.group(0) == "AB" else "AB", text.strip())


MARK_RUN = 3  # letters the two reads share in a row for a mark to be carried over


def restore_marks(second: str, first: str) -> str:
    """``second`` with the rings and dots ``first`` has on the letters the two share
    (``Jorgen Nystrom``, ``Jörgen Nyröm`` → ``Jörgen Nyström``): PP-OCRv6 drops them on
    hand-printed letters more often than Tesseract invents them."""
    a, b = fold(second), fold(first)
    if len(a) != len(second) or len(b) != len(first):
        return second  # folding changed the length (spaces): no position map
    out = list(second)
    for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        if block.size < MARK_RUN:
            continue  # a letter or two alike by chance
        for k in range(block.size):
            mine, theirs = second[block.a + k], first[block.b + k]
            if mine.isascii() and not theirs.isascii():  # one letter; the first's marked
                out[block.a + k] = theirs.upper() if mine.isupper() else theirs.lower()
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the two readers' values come to for one field."""

    value: str
    confidence: float
    second_value: str  # what PP-OCRv6 read, for the flag
    from_second: bool  # the value given is the second reader's
    disagree: bool  # Tesseract was sure of another value
    why: Why = Why.SECOND_SURE
    second_confidence: float = 0.0  # the beam's confidence in ``second_value``


def decide(reads: Reads, setting: SecondRead) -> Verdict | None:
    """:func:`judge` on one field's evidence (the field's bars from ``setting``)."""
    if reads.second is None:
        return None
    bar, _ = setting.bars(reads.field)
    if reads.free:
        tess = reads.tesseract
        if reads.marks_only and reads.tess_exact < setting.marks_agree:
            return None  # the marks Tesseract's alone: its value stands, unsure
        if tess.value is not None and tess.confidence < SURE and not same(tess.value, reads.second):
            if fold(tess.value) == fold(reads.second):  # the same letters, PP-OCRv6's marks
                value = min(tess.confidence, setting.unsure_cap)
                why = Why.BETTER_SUPPORTED
                return Verdict(
                    reads.second, value, reads.second, True, False, why, reads.confidence
                )
            if reads.tess_score >= setting.free_keep:
                return None  # PP-OCRv6's ink holds Tesseract's letters well: they stand
        return judge(
            tess,
            reads.second,
            reads.confidence,
            2.0,  # a free read alone is never sure
            setting,
            agree_bar=setting.free_agree,
            free=True,
        )
    if reads.field not in NUMBERS and reads.confidence < setting.list_floor:
        return None  # a list value forced onto ink it does not hold
    agree_bar = setting.list_agree if reads.field not in NUMBERS else None
    return judge(reads.tesseract, reads.second, reads.confidence, bar, setting, agree_bar=agree_bar)


_RUN_TOGETHER = re.compile(r"(?<=[a-zåäöéü])(?=[A-ZÅÄÖÉ])")


def _spaced(text: str) -> str:
    """``LinnéaWikström`` → ``Linnéa Wikström``: a name's gap the model did not read."""
    return _RUN_TOGETHER.sub(" ", text)


def _marks(text: str) -> int:
    return sum(not ch.isascii() for ch in text)


def same(a: str | None, b: str | None) -> bool:
    """One value, case and spaces aside (``Anna  öberg``, ``Anna Öberg``)."""
    if a is None or b is None:
        return False
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _cased(first: str, second: str) -> str:
    """Of two spellings of one value, the one written as a name is (``Anna Öberg``)."""
    if first == first.lower() or first == first.upper():
        return " ".join(second.split())
    return first


def judge(
    current: FieldValue,
    second: str,
    confidence: float,
    bar: float,
    setting: SecondRead,
    *,
    agree_bar: float | None = None,
    free: bool = False,
) -> Verdict | None:
    """Tesseract's value (``current``) against the beam's (``second`` at ``confidence``,
    sure at ``bar``); None where Tesseract's value stands as it is.

    - Tesseract sure and the beam agrees: unchanged.
    - Tesseract sure of another value: the two readers disagree and neither is given
      sure. The value given is the beam's where the beam is sure of it (on hand-filled
      ink PP-OCRv6 reads far better than Tesseract), else Tesseract's; either at
      ``disagree_cap``.
    - Tesseract unsure and the beam reads the same value at ``agree_bar`` or more: sure
      (``free``: the same case and spaces aside, the spelling written as a name, raised
      to ``free_agreed``, unsure).
    - Tesseract unsure: the beam's value where it is sure; where it is not, the
      better supported of the two (the beam's at ``unsure_cap`` times its confidence
      against Tesseract's own), unsure.
    """
    agree = same(current.value, second) if free else second == current.value
    if current.confidence >= SURE:
        if agree:
            return None
        keep_second = confidence >= bar or current.value is None
        value = second if keep_second else current.value
        assert value is not None
        return Verdict(
            value, setting.disagree_cap, second, keep_second, True, Why.DIFFER, confidence
        )
    if agree:
        if agree_bar is None or confidence < agree_bar or current.value is None:
            return None
        value = _cased(current.value, second) if free else second
        agreed = max(current.confidence, setting.free_agreed) if free else setting.given
        return Verdict(value, agreed, second, False, False, Why.AGREE, confidence)
    if confidence >= bar:
        return Verdict(second, setting.given, second, True, False, Why.SECOND_SURE, confidence)
    # alike but for a ring or dots: PP-OCRv6 drops them on capitals ("Ake" for "Åke"),
    # Tesseract seldom adds any: Tesseract's spelling stands where it has more
    if (
        free
        and current.value is not None
        and fold(current.value) == fold(second)
        and _marks(current.value) >= _marks(second)
    ):
        return None
    unsure = min(setting.unsure_cap, confidence * setting.unsure_cap)
    if current.value is None or unsure > current.confidence:
        return Verdict(second, unsure, second, True, False, Why.BETTER_SUPPORTED, confidence)
    return None


def _flags_for(name: str, verdict: Verdict, flags: list[str]) -> list[str]:
    out = list(flags)
    if verdict.confidence >= SURE:
        gone = {low_flag(name), *INVALID_FLAGS.get(name, ())}
        out = [f for f in out if f not in gone]
    else:
        if low_flag(name) not in out:
            out.append(low_flag(name))
        if verdict.from_second:  # the number read is now the second reader's, valid
            out = [f for f in out if f not in INVALID_FLAGS.get(name, ())]
    if verdict.from_second and FLAG.format(name) not in out:
        out.append(FLAG.format(name))
    if verdict.disagree:
        out.append(DIFFERS_FLAG.format(name, verdict.second_value))
    return out
