"""OCR slips between digits and letters, repaired only where digits are expected."""

from __future__ import annotations

import re

DIGIT_LOOKALIKES: dict[str, str] = {
    "O": "0",
    "o": "0",
    "Q": "0",
    "D": "0",
    "U": "0",
    "I": "1",
    "l": "1",
    "|": "1",
    "!": "1",
    "i": "1",
    "L": "1",
    "Z": "2",
    "z": "2",
    "S": "5",
    "s": "5",
    "G": "6",
    "b": "6",
    "T": "7",
    "B": "8",
    "g": "9",
    "q": "9",
}
LOOKALIKE_CLASS = "0-9" + re.escape("".join(DIGIT_LOOKALIKES))
_LETTER = "A-Za-zÅÄÖåäöÉéÜü"
# a run of digits and look-alikes, not part of a longer word
_RUN = re.compile(rf"(?<![{_LETTER}])[{LOOKALIKE_CLASS}]+(?![{_LETTER}])")


def to_digits(token: str) -> tuple[str, int]:
    """``token`` with look-alikes mapped to digits, and how many were repaired."""
    out = []
    repaired = 0
    for ch in token:
        if ch in DIGIT_LOOKALIKES:
            out.append(DIGIT_LOOKALIKES[ch])
            repaired += 1
        else:
            out.append(ch)
    return "".join(out), repaired


def repair_digit_runs(text: str) -> tuple[str, int]:
    """Map look-alikes to digits inside runs that already hold a digit and no word."""
    repaired = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal repaired
        run = match.group(0)
        if not any(ch.isdigit() for ch in run):
            return run
        fixed, count = to_digits(run)
        repaired += count
        return fixed

    return _RUN.sub(fix, text), repaired
