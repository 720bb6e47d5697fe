"""Swedish organisation numbers: ``NNNNNN-NNNN`` with a Luhn check digit.

Accepts the 12-digit forms (``16NNNNNN-NNNN``, and ``19``/``20`` for sole traders'
personal numbers) normalised to 10 digits, spaces and odd dashes, and OCR slips such
as ``O`` for ``0`` or ``l`` for ``1`` — repaired, but with a lower certainty.
"""

from __future__ import annotations

import re

from ocr.values.confusions import LOOKALIKE_CLASS, to_digits
from ocr.values.parsed import Parsed

_C = f"[{LOOKALIKE_CLASS}]"
_LETTER = "A-Za-zÅÄÖåäö"
_CANDIDATE = re.compile(rf"(?<![{_LETTER}0-9]){_C}(?:[ \-]?{_C}){{9,11}}(?![{_LETTER}0-9])")
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "_": "-"})
_CENTURY_PREFIXES = ("16", "19", "20")
# a hand-drawn dash is read as two ("—-"): one dash, possibly with spaces around it
_DASH_RUN = re.compile(r"\s*-{2,}\s*|\s+-\s*|-\s+")


def luhn_ok(digits: str) -> bool:
    """The Luhn check over a string of digits (the last one is the check digit)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def parse_orgnr(text: str) -> Parsed:
    """The first organisation number in ``text`` as ``NNNNNN-NNNN``."""
    cleaned = _DASH_RUN.sub("-", text.translate(_DASHES))
    best: Parsed | None = None
    for match in _CANDIDATE.finditer(cleaned):
        parsed = _judge(match.group(0), text)
        if parsed is None:
            continue
        if parsed.valid:
            return parsed
        best = best or parsed
    return best or Parsed.invalid(text)


def _judge(candidate: str, raw: str) -> Parsed | None:
    real_digits = sum(ch.isdigit() for ch in candidate)
    if real_digits < 6:
        return None
    digits, repaired = to_digits(candidate.replace(" ", "").replace("-", ""))
    if len(digits) == 12:
        if not digits.startswith(_CENTURY_PREFIXES):
            return None
        digits = digits[2:]
    if len(digits) != 10:
        return None
    value = f"{digits[:6]}-{digits[6:]}"
    if not luhn_ok(digits):
        return Parsed(value=value, valid=False, certainty=0.1, raw=raw)
    certainty = 1.0
    if repaired:
        certainty -= 0.12 * repaired
    if candidate.strip() != value and len(candidate.strip()) != 12 + 1:
        certainty -= 0.03  # spaces or missing dash: a little less tidy
    return Parsed(value=value, valid=True, certainty=max(certainty, 0.5), raw=raw)
