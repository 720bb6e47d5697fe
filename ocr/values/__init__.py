"""Parsers and validators for the values of a signing block.

Each takes the text read next to a label and returns a :class:`Parsed` (normalised
value, valid, certainty, raw); none of them reads files or keeps state.
"""

from __future__ import annotations

from ocr.values.county import COUNTIES, parse_county
from ocr.values.dates import parse_date, parse_place_date
from ocr.values.email import parse_email
from ocr.values.orgnr import luhn_ok, parse_orgnr
from ocr.values.parsed import Parsed
from ocr.values.text import clean_name, clean_organisation, clean_place, clean_title

__all__ = [
    "COUNTIES",
    "Parsed",
    "clean_name",
    "clean_organisation",
    "clean_place",
    "clean_title",
    "luhn_ok",
    "parse_county",
    "parse_date",
    "parse_email",
    "parse_orgnr",
    "parse_place_date",
]
