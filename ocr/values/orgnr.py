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
    return _completed(cleaned, text) or best or Parsed.invalid(text)


# a run that may be a number with one character misread as no digit at all ("H56426-…")
# or one character too many ("5S56426-…")
_LOOSE = re.compile(rf"(?<![{_LETTER}0-9])[0-9{_LETTER}|!](?:[ \-]?[0-9{_LETTER}|!]){{9,10}}")
COMPLETED_CERTAINTY = 0.5  # the check digit chose one reading: never sure on its own


def _completed(cleaned: str, raw: str) -> Parsed | None:
    """The one number the check digit allows where one character was misread as a
    letter or read twice; None when no reading, or more than one, passes the check."""
    found: set[str] = set()
    for match in _LOOSE.finditer(cleaned):
        run = match.group(0)
        if sum(ch.isdigit() for ch in run) < 8:
            continue
        dash = run.find("-")
        chars = [(ch, i) for i, ch in enumerate(run) if ch not in " -"]
        if len(chars) == 10:
            found |= _solve_one(chars, dash)
        elif len(chars) == 11:
            for k, (ch, _) in enumerate(chars):
                if not ch.isdigit():
                    found |= _exact(chars[:k] + chars[k + 1 :], dash)
    if len(found) != 1:
        return None
    value = found.pop()
    return Parsed(value=value, valid=True, certainty=COMPLETED_CERTAINTY, raw=raw, read=raw)


def _dash_fits(chars: list[tuple[str, int]], dash: int) -> bool:
    return dash < 0 or sum(i < dash for _, i in chars) == 6


def _exact(chars: list[tuple[str, int]], dash: int) -> set[str]:
    digits, _ = to_digits("".join(ch for ch, _ in chars))
    if not _dash_fits(chars, dash) or not digits.isdigit() or not luhn_ok(digits):
        return set()
    return {f"{digits[:6]}-{digits[6:]}"}


def _solve_one(chars: list[tuple[str, int]], dash: int) -> set[str]:
    digits, _ = to_digits("".join(ch for ch, _ in chars))
    unknown = [i for i, ch in enumerate(digits) if not ch.isdigit()]
    if len(unknown) != 1 or not _dash_fits(chars, dash):
        return set()
    i = unknown[0]
    fits = [d for d in "0123456789" if luhn_ok(digits[:i] + d + digits[i + 1 :])]
    return (
        {f"{(s := digits[:i] + fits[0] + digits[i + 1 :])[:6]}-{s[6:]}"}
        if len(fits) == 1
        else set()
    )


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
