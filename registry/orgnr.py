"""Swedish organisation numbers: ``NNNNNN-NNNN``, the last digit a Luhn check digit."""

from __future__ import annotations

import re

_NON_DIGIT = re.compile(r"\D")


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def normalise_orgnr(text: str | None) -> str | None:
    """``NNNNNN-NNNN`` when ``text`` holds a well-formed, Luhn-valid number, else None.

    A 12-digit form with the century (``16``/``19``/``20`` prefix) is accepted too.
    """
    if not text:
        return None
    digits = _NON_DIGIT.sub("", text)
    if len(digits) == 12 and digits[:2] in {"16", "19", "20"}:
        digits = digits[2:]
    if len(digits) != 10 or not luhn_ok(digits):
        return None
    return f"{digits[:6]}-{digits[6:]}"
