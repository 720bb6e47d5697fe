"""Fake values: organisation numbers, dates and names are what the truth says they are."""

from __future__ import annotations

import datetime as dt
import random

from samples import values as v


def test_luhn_accepts_real_numbers_and_rejects_typos() -> None:
    assert v.luhn_valid("202100-2460")  # Länsstyrelsen Västerbotten (seed 000)
    assert not v.luhn_valid("202100-2461")
    rng = random.Random(3)
    for kind in ("ab", "kommun", "region", "myndighet", "stiftelse", "förening"):
        for _ in range(50):
            number = v.make_orgnr(rng, kind)
            assert v.luhn_valid(number) and len(number) == 11 and number[6] == "-"
            assert not v.luhn_valid(v.typo_orgnr(rng, number))


def _parse_swedish(text: str) -> dt.date:
    """Day-first, as the engine must read them."""
    parts = text.replace("/", " ").replace(".", " ").split()
    if "-" in text:
        return dt.date.fromisoformat(text)
    day, month, year = parts
    month_no = v.MONTHS.index(month) + 1 if month in v.MONTHS else int(month)
    return dt.date(int(year), month_no, int(day))


def test_every_printed_date_format_means_the_truth_date() -> None:
    rng = random.Random(5)
    seen = set()
    for _ in range(200):
        date = v.make_date(rng)
        printed = v.format_date(rng, date)
        assert _parse_swedish(printed) == date, printed
        seen.add(printed.count("/") + 2 * printed.count(".") + 4 * printed.count("-"))
    assert len(seen) >= 4  # slash, dots, ISO, month names


def test_places_belong_to_the_county_and_municipality_names_read_right() -> None:
    assert v.municipality("Luleå") == "Luleå kommun"
    assert v.municipality("Boden") == "Bodens kommun"
    assert v.municipality("Kalix") == "Kalix kommun"
    rng = random.Random(9)
    for _ in range(100):
        org = v.make_organisation(rng)
        assert org.county in v.PLACES
        assert v.address(org).split(" · ")[1].split()[-1] in v.PLACES[org.county]
        person = v.make_person(rng, org, with_email=True)
        assert person.email is not None and person.email.isascii() and "@" in person.email


def test_value_fonts_draw_every_letter_the_values_use() -> None:
    """Otherwise the printed value would differ from the truth (a missing å is dropped)."""
    from PIL import ImageFont

    from samples.signature import _has_glyph
    from samples.split import SPLITS

    letters = "abcdefghijklmnopqrstuvwxyzåäöéABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖÉ0123456789@.-/,:&"
    for spec in SPLITS.values():
        paths = [*spec.hand_fonts, *(p for f in spec.text_fonts for p in (f.regular, f.bold))]
        for path in paths:
            font = ImageFont.truetype(path, 40)
            assert [c for c in letters if not _has_glyph(font, c)] == [], path
