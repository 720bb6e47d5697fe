"""Fake but realistic values for the signing block: organisations, numbers, places, people.

Every value exists twice: as *printed* on the form (``Norrbottens län``, ``11/5 2023``)
and as the *truth* the engine must output (``Norrbotten``, ``2023-05-11``).

Organisation numbers carry a valid Luhn check digit over their last 10 digits. A few
forms print a typo'd number whose check digit fails; for those the truth value is
``None`` (an invalid number is not a value the engine may hand on as read) and the
printed string is kept in ``orgnr_printed`` so a bench can tell the cases apart.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

SEED_ORGANISATIONS: tuple[tuple[str, str], ...] = (
    # (name, kind) — the published list of seed 001 plus a few from the other seeds
    ("Boliden Rönnskär", "ab"),
    ("Byggföretagen", "förening"),
    ("Försvarsmakten", "myndighet"),
    ("H2 Green Steel", "ab"),
    ("IUC Norr", "ab"),
    ("Kaunis Iron", "ab"),
    ("Kuusakoski Sverige AB", "ab"),
    ("Luleå tekniska universitet", "myndighet"),
    ("Luleå kommun", "kommun"),
    ("LKAB", "ab"),
    ("Länsstyrelsen Norrbotten", "myndighet"),
    ("Länsstyrelsen Västerbotten", "myndighet"),
    ("Nymek AB", "ab"),
    ("Polarbröd", "ab"),
    ("Region Norrbotten", "region"),
    ("Region Västerbotten", "region"),
    ("Polismyndigheten", "myndighet"),
    ("Skellefteå kommun", "kommun"),
    ("SSAB", "ab"),
    ("Stiftelsen Adopticum", "stiftelse"),
    ("Substorm AB", "ab"),
    ("Swedlist AB", "ab"),
    ("Talga AB", "ab"),
    ("Träbranschnorr", "förening"),
    ("Tromb", "ab"),
    ("Umeå universitet", "myndighet"),
    ("Vännäs kommun", "kommun"),
)

PLACES: dict[str, tuple[str, ...]] = {
    "Norrbotten": (
        "Luleå",
        "Piteå",
        "Boden",
        "Kiruna",
        "Gällivare",
        "Kalix",
        "Haparanda",
        "Älvsbyn",
        "Överkalix",
        "Övertorneå",
        "Pajala",
        "Jokkmokk",
        "Arjeplog",
        "Arvidsjaur",
    ),
    "Västerbotten": (
        "Umeå",
        "Skellefteå",
        "Lycksele",
        "Vännäs",
        "Vindeln",
        "Robertsfors",
        "Nordmaling",
        "Bjurholm",
        "Storuman",
        "Sorsele",
        "Vilhelmina",
        "Dorotea",
        "Åsele",
        "Malå",
        "Norsjö",
    ),
}

_STEMS = (
    "Norrskens",
    "Älvdals",
    "Malmfälts",
    "Kustlands",
    "Tjärn",
    "Fjällbäcks",
    "Björkö",
    "Råneå",
    "Sävast",
    "Örnvik",
    "Storforsens",
    "Hällnäs",
    "Ängsö",
    "Bottenvikens",
    "Gruvbergs",
    "Lövånger",
    "Norrlands",
    "Järnvägs",
    "Tallbacka",
    "Kallax",
)
_TRADES = (
    "Mekaniska",
    "Stål",
    "Energi",
    "Bygg",
    "Gjuteri",
    "Elteknik",
    "Trä",
    "Logistik",
    "Verkstad",
    "Plåt",
    "Maskin",
    "Industriservice",
    "Automation",
    "Hydraulik",
)
_FIRST = (
    "Anna",
    "Åsa",
    "Märta",
    "Björn",
    "Örjan",
    "Håkan",
    "Lena",
    "Göran",
    "Sofia",
    "Jörgen",
    "Linnéa",
    "Mikael",
    "Ingrid",
    "Pär",
    "Karin",
    "Tomas",
    "Frida",
    "Annika",
    "Ståle",
    "Maja",
    "Helén",
    "Ove",
    "Kjell",
    "Solveig",
    "Mårten",
    "Elin",
    "Jonas",
    "Agneta",
    "Åke",
    "Sara",
)
_LAST = (
    "Lindh Wikblad",
    "Öberg",
    "Åström",
    "Söderström",
    "Lundström",
    "Nyström",
    "Sjölander",
    "Bäckström",
    "Forsman",
    "Moestam",
    "Hellmark",
    "Wikström",
    "Granström",
    "Isaksson",
    "Lindqvist",
    "Strömbäck",
    "Häggström",
    "Marklund",
    "Nilsson",
    "Johansson",
    "Holmgren",
    "Burström",
    "Öhman",
    "Enqvist",
    "Sandström",
    "Lidén",
)
_TITLES: dict[str, tuple[str, ...]] = {
    "ab": ("VD", "Verkställande direktör", "HR-chef", "Platschef", "Personalchef", "Fabrikschef"),
    "kommun": ("Kommundirektör", "Kommunstyrelsens ordförande", "HR-direktör", "Personalchef"),
    "region": ("Regiondirektör", "Regionstyrelsens ordförande", "HR-direktör"),
    "myndighet": ("Landshövding", "Generaldirektör", "Rektor", "Förvaltningschef", "HR-chef"),
    "stiftelse": ("Verksamhetsledare", "Ordförande", "VD"),
    "förening": ("Ordförande", "Förbundsdirektör", "Verksamhetsledare"),
}
_ORGNR_PREFIX = {
    "ab": ("556", "559"),
    "kommun": ("2120",),
    "region": ("2321",),
    "myndighet": ("2021",),
    "stiftelse": ("802",),
    "förening": ("802", "717"),
}
MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


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
    prefix = rng.choice(_ORGNR_PREFIX[kind])
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


_SEED_COUNTY = {
    "Boliden Rönnskär": "Västerbotten",
    "Luleå tekniska universitet": "Norrbotten",
    "Luleå kommun": "Norrbotten",
    "LKAB": "Norrbotten",
    "Länsstyrelsen Norrbotten": "Norrbotten",
    "Länsstyrelsen Västerbotten": "Västerbotten",
    "Region Norrbotten": "Norrbotten",
    "Region Västerbotten": "Västerbotten",
    "Skellefteå kommun": "Västerbotten",
    "Umeå universitet": "Västerbotten",
    "Vännäs kommun": "Västerbotten",
    "Kaunis Iron": "Norrbotten",
    "Polarbröd": "Norrbotten",
    "H2 Green Steel": "Norrbotten",
    "Talga AB": "Norrbotten",
}


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
        name, kind = rng.choice(SEED_ORGANISATIONS)
        county = _SEED_COUNTY.get(name, county)
    elif roll < 0.65:
        name, kind = f"{rng.choice(_STEMS)} {rng.choice(_TRADES)} AB", "ab"
    elif roll < 0.75:
        name, kind = municipality(rng.choice(PLACES[county])), "kommun"
    elif roll < 0.85:
        name, kind = f"Stiftelsen {rng.choice(_STEMS).rstrip('s')}gården", "stiftelse"
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
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    name = f"{first} {last}"
    email = None
    if with_email:
        domain = _ascii_mail(org.name.split(" AB")[0].replace(" ", ""))[:18] or "org"
        local = _ascii_mail(f"{first}.{last.split()[0]}")
        email = f"{local}@{domain}.se"
    return Person(name=name, title=rng.choice(_TITLES[org.kind]), email=email)


def format_date(rng: random.Random, date: dt.date) -> str:
    """One of the day-first formats seen on real forms."""
    style = rng.randrange(5)
    if style == 0:
        return date.isoformat()
    if style == 1:
        return f"{date.day} {MONTHS[date.month - 1]} {date.year}"
    if style == 2:
        return f"{date.day}/{date.month} {date.year}"
    if style == 3:
        return f"{date.day}.{date.month}.{date.year}"
    return f"{date.day:02d}.{date.month:02d}.{date.year}"


def format_place_date(rng: random.Random, place: str | None, date_text: str | None) -> str:
    if place and date_text:
        return f"{place}{rng.choice((' ', ', '))}{date_text}"
    return place or date_text or ""


def make_date(rng: random.Random) -> dt.date:
    start = dt.date(2021, 1, 1)
    return start + dt.timedelta(days=rng.randrange(4 * 365))


def printed_county(rng: random.Random, county: str) -> str:
    return rng.choice((county, county, f"{county}s län"))
