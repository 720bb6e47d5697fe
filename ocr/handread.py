"""The second read of hand-filled digits in the engine (on in the product: the setting
``SIGNREG_SECOND_READ`` defaults to on; :func:`ocr.pipeline.extract` itself reads once
unless given a :class:`SecondRead`).

Where the setting is on, the organisation number's and the date's regions are read by
PP-OCRv6 too (:mod:`ocr.handwriting`; the page's crops in one ONNX call) and decoded
under the field's constraint (:mod:`ocr.ctc`: Luhn; a date that exists, after the place
written before it, its month in digits or by name). :func:`judge` weighs the two reads:

- where Tesseract is unsure (under :data:`ocr.confidence.SURE`), the beam's value
  replaces it when its confidence reaches the field's bar in :class:`SecondRead`, and
  is given unsure where it is the better supported of the two;
- where Tesseract is sure (``check_sure``): agreement leaves the value as it was; a
  disagreement gives neither sure (a handwriting font's 29 read 24 by Tesseract at
  0.99): the beam's value where the beam is sure of it, else Tesseract's, flagged
  ``readers_differ:<field>:<the second reader's value>``.

Typed values the two read alike stay as Tesseract read them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from ocr import ctc
from ocr.confidence import SURE, low_flag
from ocr.fields import Region, without_rules
from ocr.handwriting import get_recogniser
from ocr.model import FieldValue
from ocr.values.dates import EARLIEST_YEAR


@dataclass(frozen=True, slots=True)
class SecondRead:
    """Whether and how hand-filled digits are read a second time.

    ``*_sure`` (bars on :meth:`ocr.ctc.Decoded.confidence_at` ``*_plausible``) were
    picked on dev seeds 1, 3, 5, 7 of ``tests/bench/handwriting.py`` (HANDWRITING.md);
    a value the beam reads at or above its bar is given ``given``.
    """

    enabled: bool = True
    # values Tesseract is sure of are read again too (handwriting fonts: a 9 read 4 at 0.99)
    check_sure: bool = True
    orgnr_sure: float = 0.99
    orgnr_plausible: float = 0.9
    date_sure: float = 0.998
    date_plausible: float = 0.01
    given: float = 0.95
    unsure_cap: float = 0.6
    disagree_cap: float = 0.6  # the two readers sure of different values

    def bars(self, name: str) -> tuple[float, float]:
        """``(sure, plausible)`` of the field's beam."""
        if name == "organisation_number":
            return self.orgnr_sure, self.orgnr_plausible
        return self.date_sure, self.date_plausible


SECOND_READ_OFF = SecondRead(enabled=False)  # the library's default (ocr.pipeline.extract)
# field -> the region its ink is in
REGION_OF = {"organisation_number": "organisation_number", "signed_date": "place_date"}
FLAG = "second_reader:{}"  # the value given is PP-OCRv6's
DIFFERS_FLAG = "readers_differ:{}:{}"  # Tesseract was sure of another value than PP-OCRv6's
INVALID_FLAGS = {"organisation_number": ("invalid_orgnr",)}  # ocr.interpret's, for a value read


@functools.lru_cache(maxsize=1)  # a day's list; a long-running worker makes the next
def _constraints(latest: dt.date) -> dict[str, ctc.Constraint]:
    dates = ctc.dates(dt.date(EARLIEST_YEAR, 1, 1), latest)
    return {"organisation_number": ctc.Orgnr(), "signed_date": ctc.AfterWords(dates)}


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
    """``fields`` and ``flags`` with hand-filled digits read again (see the module)."""
    out, new_flags = dict(fields), list(flags)
    if not setting.enabled:
        return out, new_flags
    todo: dict[str, np.ndarray] = {}
    for name, region_key in REGION_OF.items():
        current = out.get(name)
        region = regions.get(region_key)
        if current is None or region is None:
            continue
        if current.confidence >= SURE and not setting.check_sure:
            continue
        crop = crop_of(grey, region, th)
        if crop is not None and min(crop.shape[:2]) >= 4:
            todo[name] = crop
    if not todo:
        return out, new_flags
    latest = (today or dt.date.today()) + dt.timedelta(days=366)
    constraints = _constraints(latest)
    rec = get_recogniser()
    readings = rec.read_many(list(todo.values()))
    for (name, _), reading in zip(todo.items(), readings, strict=True):
        decoded = ctc.decode(reading.probs, rec.characters, rec.index, constraints[name])
        if decoded.value is None:
            continue  # nothing the field may be in the second reader's ink: Tesseract's stands
        current = _placed(out[name], regions[REGION_OF[name]], grey.shape[:2], page)
        bar, plausible = setting.bars(name)
        confidence = decoded.confidence_at(plausible)
        verdict = judge(current, decoded.value, confidence, bar, setting)
        if verdict is None:
            continue
        out[name] = replace(current, value=verdict.value, confidence=verdict.confidence)
        new_flags = _flags_for(name, verdict, new_flags)
    return out, new_flags


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the two readers' values come to for one field."""

    value: str
    confidence: float
    second_value: str  # what PP-OCRv6 read, for the flag
    from_second: bool  # the value given is the second reader's
    disagree: bool  # Tesseract was sure of another value


def judge(
    current: FieldValue, second: str, confidence: float, bar: float, setting: SecondRead
) -> Verdict | None:
    """Tesseract's value (``current``) against the beam's (``second`` at ``confidence``,
    sure at ``bar``); None where Tesseract's value stands as it is.

    - Tesseract sure and the beam agrees: unchanged.
    - Tesseract sure of another value: the two readers disagree and neither is given
      sure. The value given is the beam's where the beam is sure of it (on hand-filled
      ink PP-OCRv6 reads far better than Tesseract), else Tesseract's; either at
      ``disagree_cap``.
    - Tesseract unsure: the beam's value where it is sure; where it is not, the
      better supported of the two (the beam's at ``unsure_cap`` times its confidence
      against Tesseract's own), unsure.
    """
    if current.confidence >= SURE:
        if second == current.value:
            return None
        keep_second = confidence >= bar or current.value is None
        value = second if keep_second else current.value
        assert value is not None
        return Verdict(value, setting.disagree_cap, second, keep_second, True)
    if confidence >= bar:
        return Verdict(second, setting.given, second, True, False)
    unsure = min(setting.unsure_cap, confidence * setting.unsure_cap)
    if current.value is None or (second != current.value and unsure > current.confidence):
        return Verdict(second, unsure, second, True, False)
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
