"""The second read of hand-filled digits in the engine (off unless asked for).

Where Tesseract is unsure of an organisation number or a date (its confidence under
:data:`ocr.confidence.SURE`), the value's region is read by PP-OCRv6
(:mod:`ocr.handwriting`; the page's crops in one ONNX call) and decoded under the
field's constraint (:mod:`ocr.ctc`: Luhn; a date that exists, after the place written
before it). The beam's value replaces Tesseract's only when its confidence reaches the
field's bar in :class:`SecondRead`; where Tesseract read nothing valid, a beam value
under the bar is given unsure, for a person to confirm. Values Tesseract is sure of are
never touched, so typed values read as before.
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

    enabled: bool = False
    orgnr_sure: float = 0.99
    orgnr_plausible: float = 0.9
    date_sure: float = 0.998
    date_plausible: float = 0.01
    given: float = 0.95
    unsure_cap: float = 0.6


SECOND_READ_OFF = SecondRead()
# field -> the region its ink is in
REGION_OF = {"organisation_number": "organisation_number", "signed_date": "place_date"}
FLAG = "second_reader:{}"
INVALID_FLAGS = {"organisation_number": ("invalid_orgnr",)}  # ocr.interpret's, for a value read


@functools.cache
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
    """``fields`` and ``flags`` with unsure hand-filled digits read again."""
    out, new_flags = dict(fields), list(flags)
    if not setting.enabled:
        return out, new_flags
    todo: dict[str, np.ndarray] = {}
    for name, region_key in REGION_OF.items():
        current = out.get(name)
        region = regions.get(region_key)
        if current is None or region is None or current.confidence >= SURE:
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
    bars = {
        "organisation_number": (setting.orgnr_sure, setting.orgnr_plausible),
        "signed_date": (setting.date_sure, setting.date_plausible),
    }
    for (name, _), reading in zip(todo.items(), readings, strict=True):
        decoded = ctc.decode(reading.probs, rec.characters, rec.index, constraints[name])
        if decoded.value is None:
            continue
        current = _placed(out[name], regions[REGION_OF[name]], grey.shape[:2], page)
        bar, plausible = bars[name]
        confidence = decoded.confidence_at(plausible)
        if confidence >= bar:
            out[name] = replace(current, value=decoded.value, confidence=setting.given)
            gone = {low_flag(name), *INVALID_FLAGS.get(name, ())}
            new_flags = [f for f in new_flags if f not in gone]
            new_flags.append(FLAG.format(name))
        elif current.value is None:
            conf = min(setting.unsure_cap, confidence * setting.unsure_cap)
            out[name] = replace(current, value=decoded.value, confidence=conf)
            if low_flag(name) not in new_flags:
                new_flags.append(low_flag(name))
            new_flags.append(FLAG.format(name))
    return out, new_flags
