"""Swedish month names and their usual short forms, with the month each names.

Read by :mod:`ocr.values.dates` (dates with the month by name) and by
:mod:`ocr.values.text` (a value that holds a date is no organisation), which
:mod:`ocr.values.dates` itself imports.
"""

from __future__ import annotations

MONTHS: dict[str, int] = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "feb": 2,
    "febr": 2,
    "mars": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "maj": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "augusti": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
