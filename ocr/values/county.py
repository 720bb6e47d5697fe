"""Swedish counties (län): ``Norrbottens län`` → ``Norrbotten``.

All 21 counties are known, so that a valid other county is recognised as itself and
not forced into one of the two a declaration is about; OCR slips are matched fuzzily,
handwriting misreads by the shape of the word (unsure).
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process

from ocr.values.lexicon import closest
from ocr.values.parsed import Parsed

COUNTIES: tuple[str, ...] = (
    "Blekinge",
    "Dalarna",
    "Gotland",
    "Gävleborg",
    "Halland",
    "Jämtland",
    "Jönköping",
    "Kalmar",
    "Kronoberg",
    "Norrbotten",
    "Skåne",
    "Stockholm",
    "Södermanland",
    "Uppsala",
    "Värmland",
    "Västerbotten",
    "Västernorrland",
    "Västmanland",
    "Västra Götaland",
    "Örebro",
    "Östergötland",
)
_FUZZY_THRESHOLD = 80.0
_KEYS = {name: name.lower() for name in COUNTIES}
_PREFIX = re.compile(r"^l[äa]n\s+")
_SUFFIX = re.compile(r"\s*\b(?:l[äa]n|1[äa]n|lan)\b\.?\s*$", re.IGNORECASE)


def _key(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    text = _SUFFIX.sub("", text.strip(" .:;,|_")).strip()
    text = re.sub(r"[^a-zåäöéü ]+", " ", text)
    text = " ".join(text.split())
    text = _PREFIX.sub("", text)
    if text.endswith("s") and text[:-1] in _KEYS.values():
        text = text[:-1]  # genitive: "norrbottens" (län)
    if text.endswith("s") and text not in _KEYS.values():
        text = text[:-1]
    return text


def parse_county(text: str) -> Parsed:
    """The county named in ``text`` (``Norrbotten``, ``Västerbotten``, or another)."""
    key = _key(text)
    if len(key) < 3:
        return Parsed.invalid(text)
    for name, name_key in _KEYS.items():
        if key == name_key:
            return Parsed(value=name, valid=True, certainty=1.0, raw=text)
    matches = process.extract(key, _KEYS, scorer=fuzz.ratio, limit=2)
    if not matches or matches[0][1] < _FUZZY_THRESHOLD:
        # handwriting: "Nambatlen" has the shape of "Norrbotten"; a person confirms it
        shaped = closest(key, COUNTIES, threshold=_FUZZY_THRESHOLD, shape_threshold=85.0)
        if shaped is None or shaped.how != "shape":
            return _named_within(text)
        return Parsed(value=shaped.name, valid=True, certainty=0.6, raw=text, read=key)
    (_, score, best), *rest = matches
    margin = score - rest[0][1] if rest else 100.0
    certainty = min(0.9, score / 100.0) * (1.0 if margin >= 15 else 0.7)
    return Parsed(value=best, valid=True, certainty=round(certainty, 3), raw=text)


def _named_within(text: str) -> Parsed:
    """One county named among other words ("Norrbottens län — Ltgvvum", "Linnéa
    Underskrift: Norrbotten": another field's ink in the region): that county, unsure."""
    lowered = unicodedata.normalize("NFC", text).lower()
    named = [name for name, key in _KEYS.items() if re.search(rf"\b{key}s?\b", lowered)]
    if len(named) != 1:
        return Parsed.invalid(text)
    return Parsed(value=named[0], valid=True, certainty=0.7, raw=text, read=text)
