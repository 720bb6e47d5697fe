"""The result of parsing one value read from a page."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Parsed:
    """A normalised value and how sure the parser is of it.

    ``valid`` says the value has the right shape (and check digit, where there is one);
    ``certainty`` (0–1) is lowered when the parser had to repair OCR slips or guess;
    ``raw`` is the text it was given; ``read`` is what was read when a list of known
    names (or another field) corrected it to ``value``, else None.
    """

    value: str | None
    valid: bool
    certainty: float
    raw: str
    read: str | None = None

    @classmethod
    def invalid(cls, raw: str) -> Parsed:
        return cls(value=None, valid=False, certainty=0.0, raw=raw)
