"""Turn raw readings into parsed field values with calibrated confidence.

``place_date`` is one label on paper for two fields (``place``, ``signed_date``).
Bounding boxes become fractions of the upright page. A lexicon of verified
organisations (organisation number → name) confirms or questions the name read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from rapidfuzz import fuzz

from ocr.confidence import SURE, Evidence, confidence, low_flag
from ocr.fields import Reading
from ocr.layout import Box
from ocr.model import FIELD_NAMES, BBox, FieldValue
from ocr.values import (
    Parsed,
    clean_name,
    clean_organisation,
    clean_title,
    parse_county,
    parse_email,
    parse_orgnr,
    parse_place_date,
)

_PARSERS: dict[str, Callable[[str], Parsed]] = {
    "organisation": clean_organisation,
    "organisation_number": parse_orgnr,
    "county": parse_county,
    "signatory_name": clean_name,
    "signatory_title": clean_title,
    "email": parse_email,
}


def _fraction(b: Box | None, size: tuple[int, int]) -> BBox | None:
    if b is None:
        return None
    w, h = size
    return (max(0.0, b.x0 / w), max(0.0, b.y0 / h), min(1.0, b.x1 / w), min(1.0, b.y1 / h))


def _value(field: str, parsed: Parsed, reading: Reading, page: int, size: tuple[int, int]) -> FieldValue:
    if parsed.value is None:
        return FieldValue.missing()
    ev = Evidence(
        field=field,
        word_conf=reading.conf,
        valid=parsed.valid,
        certainty=parsed.certainty,
        label_score=reading.label.score,
    )
    return FieldValue(parsed.value, confidence(ev), page, _fraction(reading.box, size))


def parse_readings(
    readings: Mapping[str, Reading], page: int, size: tuple[int, int]
) -> tuple[dict[str, FieldValue], list[str]]:
    """Field values (every field key present) and flags for one signing block."""
    fields: dict[str, FieldValue] = {name: FieldValue.missing() for name in FIELD_NAMES}
    for key, reading in readings.items():
        text = reading.text
        if key == "place_date":
            place, date = parse_place_date(text)
            fields["place"] = _value("place", place, reading, page, size)
            fields["signed_date"] = _value("signed_date", date, reading, page, size)
        elif key in _PARSERS:
            fields[key] = _value(key, _PARSERS[key](text), reading, page, size)
    flags = [low_flag(name) for name, v in fields.items() if v.value is not None and v.confidence < SURE]
    return fields, flags


def apply_lexicon(fields: dict[str, FieldValue], lexicon: Mapping[str, str]) -> tuple[dict[str, FieldValue], list[str]]:
    """Raise the name's confidence when the number is known and the names agree."""
    number, name = fields.get("organisation_number"), fields.get("organisation")
    if number is None or number.value is None or number.value not in lexicon:
        return fields, []
    known = lexicon[number.value]
    if name is None or name.value is None:
        return fields, ["orgnr_name_mismatch"]
    similarity = fuzz.token_sort_ratio(known.lower(), name.value.lower())
    if similarity >= 90:
        out = dict(fields)
        out["organisation"] = replace(name, value=known, confidence=max(name.confidence, 0.97))
        return out, []
    return fields, ["orgnr_name_mismatch"]
