"""E-mail addresses, with the OCR slips they typically suffer repaired."""

from __future__ import annotations

import re

from ocr.values.parsed import Parsed

_SHAPE = re.compile(
    r"^[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}$"
)
_AT = re.compile(r"\s*(?:\(at\)|\[at\]|\{at\}|<at>|©|®|\s@\s|@)\s*", re.IGNORECASE)
_DOT = re.compile(r"\s*(?:\(dot\)|\[dot\])\s*|\s*\.\s*", re.IGNORECASE)
_LABEL = re.compile(r"^\s*(?:e-?post(?:adress)?|e-?mail|mail)\s*[:.]?\s*", re.IGNORECASE)
_TLD_COMMA = re.compile(r",(se|com|nu|org|net|eu|fi|no|dk)$")
_EDGE = " \t\r\n:;,.!?'\"()[]<>|_-"


def parse_email(text: str) -> Parsed:
    """A lower-case address such as ``anna.svensson@lulea.se``."""
    value = _LABEL.sub("", text.strip())
    repaired = value
    value = _AT.sub("@", value)
    guessed = "@" not in value and value.count("Q") == 1
    if guessed:  # an italic or handwritten @ is read as a capital Q
        value = value.replace("Q", "@")
    value = _DOT.sub(".", value)
    value = value.strip(_EDGE).lower()
    value = _TLD_COMMA.sub(r".\1", value)
    value = "".join(value.split())
    if value.count("@") != 1:
        return Parsed(value=value or None, valid=False, certainty=0.0, raw=text)
    if not _SHAPE.match(value):
        return Parsed(value=value, valid=False, certainty=0.1, raw=text)
    tidy = repaired.strip(_EDGE).lower() == value
    certainty = 0.6 if guessed else 1.0 if tidy else 0.85
    return Parsed(value=value, valid=True, certainty=certainty, raw=text)
