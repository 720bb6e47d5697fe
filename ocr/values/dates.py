"""Swedish, day-first dates to ISO ``YYYY-MM-DD``, and "Ort och datum" lines.

Accepted: ``2023-05-11``, ``11 maj 2023``, ``den 11 maj 2023``, ``11/5 2023``,
``11/5-2023``, ``11.5.2023``, ``11.05.23``, ``20230511``; month names full or
abbreviated (``jan``, ``sept``, ``okt``, …), any case. Impossible dates are rejected;
a date outside 2015 … today + 1 year is returned as not valid.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from ocr.values.confusions import repair_digit_runs
from ocr.values.lexicon import one_letter_changed
from ocr.values.months import MONTHS
from ocr.values.parsed import Parsed
from ocr.values.text import clean_place

EARLIEST_YEAR = 2015
_MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
_WORD = r"[A-Za-zÅÄÖåäö]{3,10}"  # a month name misread: "janvari", "nevember", "waj"
# letters a hand's month name is misread with, each read as the letter a month name has
_MONTH_SLIPS = str.maketrans({"w": "m", "v": "u", "e": "o"})
_SEP = r"\s*[-–./]\s*"
_PATTERNS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (
        re.compile(rf"(?<!\d)(?P<y>\d{{4}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{1,2}})(?!\d)"),
        "ymd",
        1.0,
    ),
    (
        re.compile(
            rf"(?<!\d)(?P<d>\d{{1,2}})\s*\.?\s*(?P<m>{_MONTH_WORDS}|{_WORD})\b\.?\s*,?\s*"
            rf"(?P<y>\d{{4}}|\d{{2}})(?!\d)",
            re.IGNORECASE,
        ),
        "dMy",
        0.97,
    ),
    (
        re.compile(
            r"(?<![\d.])(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})"
            r"(?:\s*[/.\-]\s*|\s+)(?P<y>\d{4}|\d{2})(?![\d])"
        ),
        "dmy",
        0.95,
    ),
    (re.compile(r"(?<!\d)(?P<y>20\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)"), "ymd", 0.9),
)


@dataclass(frozen=True, slots=True)
class DateMatch:
    iso: str
    valid: bool
    certainty: float
    start: int
    end: int
    guessed: bool = False  # a month name read with a slip, taken for the nearest one


def parse_date(text: str, *, today: dt.date | None = None) -> Parsed:
    """The first Swedish date in ``text`` as ISO ``YYYY-MM-DD``."""
    found = find_date(text, today=today)
    if found is None:
        return Parsed.invalid(text)
    return _parsed(found, text)


def _parsed(found: DateMatch, text: str) -> Parsed:
    """A guessed month is a correction (never sure): what was read stays beside it."""
    read = text if found.guessed else None
    return Parsed(
        value=found.iso, valid=found.valid, certainty=found.certainty, raw=text, read=read
    )


def parse_place_date(text: str, *, today: dt.date | None = None) -> tuple[Parsed, Parsed]:
    """``(place, date)`` from ``Skellefteå 2023-05-11``, ``Luleå, 11 maj 2023``, or date first."""
    found = find_date(text, today=today)
    if found is None:  # no readable date: the place is what comes before any digit
        head = re.split(r"\d", text, maxsplit=1)[0]
        place = clean_place(head)
        if head != text and place.value is not None:
            place = replace(place, certainty=place.certainty * 0.8, raw=text)
        return place, Parsed.invalid(text)
    date = _parsed(found, text)
    repaired, _ = repair_digit_runs(text)
    before, after = repaired[: found.start], repaired[found.end :]
    before = re.sub(r"\bden\s*$", "", before.strip(), flags=re.IGNORECASE)
    place_text = before if _has_letters(before) else re.sub(r"^\W*i\s+", "", after)
    return clean_place(place_text), date


def find_date(text: str, *, today: dt.date | None = None) -> DateMatch | None:
    """The first date in ``text``, with its span (in ``text``), or None."""
    today = today or dt.date.today()
    repaired, slips = repair_digit_runs(text)
    candidates: list[DateMatch] = []
    for pattern, order, certainty in _PATTERNS:
        for m in pattern.finditer(repaired):
            date, guessed = _make_date(m, order)
            if date is None:
                continue
            valid = dt.date(EARLIEST_YEAR, 1, 1) <= date <= today + dt.timedelta(days=366)
            sure = certainty * (0.85 if slips else 1.0) * (1.0 if valid else 0.3)
            if len(m.group("y")) == 2:
                sure *= 0.95
            candidates.append(DateMatch(date.isoformat(), valid, sure, m.start(), m.end(), guessed))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (not c.valid, c.start))
    best = candidates[0]
    others = {c.iso for c in candidates if c.valid and not _overlaps(c, best)}
    if others - {best.iso}:  # two different dates on one line: say we are unsure
        return replace(best, certainty=best.certainty * 0.6)
    return best


def _make_date(m: re.Match[str], order: str) -> tuple[dt.date | None, bool]:
    """The date a match spells, and whether its month name was guessed from a slip."""
    year = int(m.group("y"))
    if year < 100:
        year += 2000
    month_text = m.group("m")
    guessed = False
    if order == "dMy":
        month = MONTHS.get(month_text.lower())
        if month is None:
            month, guessed = _month_from_slip(month_text), True
    else:
        month = int(month_text)
    if month is None:
        return None, False
    try:
        return dt.date(year, month, int(m.group("d"))), guessed
    except ValueError:
        return None, False


def _month_from_slip(word: str) -> int | None:
    """The month a misread full month name stands for: one letter off ("janvari",
    "nevember"), or a hand's look-alike letters ("waj", "wars"); None when unclear."""
    key = word.lower()
    full = {name: n for name, n in MONTHS.items() if len(name) >= 4 or name == "maj"}
    slipped = key.translate(_MONTH_SLIPS)
    found = {n for name, n in full.items() if name == slipped}
    if len(key) >= 5:
        found |= {n for name, n in full.items() if len(name) >= 5 and one_letter_changed(key, name)}
    return found.pop() if len(found) == 1 else None


def _overlaps(a: DateMatch, b: DateMatch) -> bool:
    return a.start < b.end and b.start < a.end


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)
