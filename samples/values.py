"""Fake but realistic values for the signing block: organisations, numbers, places, people.

Every value exists twice: as *printed* on the form (``Norrbottens län``, ``11/5 2023``)
and as the *truth* the engine must output (``Norrbotten``, ``2023-05-11``).

Organisation numbers carry a valid Luhn check digit over their last 10 digits. A few
forms print a typo'd number whose check digit fails; for those the truth value is
``None`` (an invalid number is not a value the engine may hand on as read) and the
printed string is kept as ``organisation_number_printed`` in the truth.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from samples import names
from samples.names import MONTHS, PLACES


def luhn_digit(digits: str) -> int:
    """The check digit that makes ``digits + check`` pass Luhn."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def luhn_valid(orgnr: str) -> bool:
    digits = orgnr.replace("-", "")
    return len(digits) == 10 and digits.isdigit() and luhn_digit(digits[:-1]) == int(digits[-1])


def make_orgnr(rng: random.Random, kind: str) -> str:
    prefix = rng.choice(names.ORGNR_PREFIX[kind])
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(9 - len(prefix)))
    full = body + str(luhn_digit(body))
    return f"{full[:6]}-{full[6:]}"


def typo_orgnr(rng: random.Random, orgnr: str) -> str:
    """The same number with one digit changed so that Luhn fails (a typing slip)."""
    digits = list(orgnr.replace("-", ""))
    i = rng.randrange(6, 10)
    digits[i] = str((int(digits[i]) + rng.randrange(1, 10)) % 10)
    if luhn_valid("".join(digits)):  # a single changed digit always breaks Luhn; guard anyway
        digits[9] = str((int(digits[9]) + 1) % 10)
    s = "".join(digits)
    return f"{s[:6]}-{s[6:]}"


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    title: str
    email: str | None


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str
    kind: str
    orgnr: str
    county: str


def municipality(place: str) -> str:
    """``Luleå kommun``, ``Bodens kommun``, ``Kalix kommun``."""
    genitive = place if place[-1] in "aeiouyåäösx" else place + "s"
    return f"{genitive} kommun"


def make_organisation(rng: random.Random, *, municipal_only: bool = False) -> Organisation:
    county = rng.choice(("Norrbotten", "Västerbotten"))
    roll = rng.random()
    if municipal_only:
        if roll < 0.75:
            name, kind = municipality(rng.choice(PLACES[county])), "kommun"
        else:
            name, kind = f"Region {county}", "region"
    elif roll < 0.35:
        name, kind = rng.choice(names.SEED_ORGANISATIONS)
        county = names.SEED_COUNTY.get(name, county)
    elif roll < 0.65:
        name, kind = f"{rng.choice(names.STEMS)} {rng.choice(names.TRADES)} AB", "ab"
    elif roll < 0.75:
        name, kind = municipality(rng.choice(PLACES[county])), "kommun"
    elif roll < 0.85:
        name, kind = f"Stiftelsen {rng.choice(names.STEMS).rstrip('s')}gården", "stiftelse"
    elif roll < 0.92:
        name = "Luleå tekniska universitet" if county == "Norrbotten" else "Umeå universitet"
        kind = "myndighet"
    else:
        name, kind = f"Region {county}", "region"
    return Organisation(name=name, kind=kind, orgnr=make_orgnr(rng, kind), county=county)


def address(org: Organisation) -> str:
    """A postal address line for the organisation's letterhead (derived, no randomness)."""
    n = sum(map(ord, org.name))
    town = PLACES[org.county][n % len(PLACES[org.county])]
    zip_code = f"{(97 if org.county == 'Norrbotten' else 90) + n % 3}{n % 10} {n % 90 + 10}"
    site = _ascii_mail(org.name.replace(" ", ""))[:20]
    return f"Box {n % 900 + 100} · {zip_code} {town} · www.{site}.se"


def _ascii_mail(text: str) -> str:
    table = str.maketrans("åäöéÅÄÖÉ", "aaoeaaoe")
    return "".join(c for c in text.lower().translate(table) if c.isalnum() or c in ".-")


def make_person(rng: random.Random, org: Organisation, *, with_email: bool) -> Person:
    first, last = rng.choice(names.FIRST), rng.choice(names.LAST)
    name = f"{first} {last}"
    email = None
    if with_email:
        domain = _ascii_mail(org.name.split(" AB")[0].replace(" ", ""))[:18] or "org"
        local = _ascii_mail(f"{first}.{last.split()[0]}")
        email = f"{local}@{domain}.se"
    return Person(name=name, title=rng.choice(names.TITLES[org.kind]), email=email)


def _month_name(date: dt.date) -> str:
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}"


# the day-first ways a date is written on real forms (the month's name is the one with letters)
DATE_STYLES = (
    dt.date.isoformat,
    _month_name,
    lambda d: f"{d.day}/{d.month} {d.year}",
    lambda d: f"{d.day}.{d.month}.{d.year}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
)
DIGIT_STYLES = tuple(s for s in DATE_STYLES if s is not _month_name)


def format_date(rng: random.Random, date: dt.date, *, month_names: bool = True) -> str:
    """One of the day-first formats seen on real forms; only digits if not ``month_names``."""
    styles = DATE_STYLES if month_names else DIGIT_STYLES
    return styles[rng.randrange(len(styles))](date)


def format_place_date(rng: random.Random, place: str | None, date_text: str | None) -> str:
    if place and date_text:
        return f"{place}{rng.choice((' ', ', '))}{date_text}"
    return place or date_text or ""


def make_date(rng: random.Random) -> dt.date:
    start = dt.date(2021, 1, 1)
    return start + dt.timedelta(days=rng.randrange(4 * 365))


def printed_county(rng: random.Random, county: str) -> str:
    return rng.choice((county, county, f"{county}s län"))
