"""Swedish organisation numbers as the registry stores them: ``NNNNNN-NNNN``.

Strict on purpose: values typed by reviewers or imported from lists are not repaired
(that is the OCR side's job, ``ocr.values.orgnr``, whose Luhn check is shared here).
"""

from __future__ import annotations

import re

from ocr.values.orgnr import luhn_ok

__all__ = ["luhn_ok", "normalise_orgnr"]

_NON_DIGIT = re.compile(r"\D")


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
