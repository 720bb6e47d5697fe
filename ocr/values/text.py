"""Free-text values: organisation, signatory name and title, place.

Strips what OCR brings along with a value: label remnants (``Namnförtydligande:``),
underscores and dotted leaders of the line the value is written on, table borders,
stray punctuation at the ends; normalises whitespace; keeps å, ä, ö.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ocr.values.county import COUNTIES
from ocr.values.kinds import (
    has_label_word,
    has_organisation_word,
    has_title_word,
    is_county_name,
    looks_like_person,
)
from ocr.values.lexicon import closest, fold, load
from ocr.values.months import MONTHS
from ocr.values.parsed import Parsed
from ocr.values.places import municipalities, place_match

KNOWN_LABELS: tuple[str, ...] = (
    "Organisationens namn",
    "Företag/organisation",
    "Organisationsnummer",
    "Organisation",
    "Företag",
    "Kommun/region",
    "Namnförtydligande",
    "Namn förtydligande",
    "Förtydligande",
    "Befattning",
    "Titel",
    "Roll",
    "Ort och datum",
    "Ort, datum",
    "Ort/datum",
    "Ort & datum",
    "Datum och ort",
    "Underskrift",
    "Namnteckning",
    "E-postadress",
    "E-post",
    "Län",
)
_LEADERS = re.compile(r"_{1,}|\.{2,}|…+|·{2,}|-{3,}|[|¦]+")
_EDGE = " \t\r\n:;,.-–—|/\\\"'`´~*()[]{}<>=+_°§"
_SPACES = re.compile(r"\s+")
# a table's border bar read as a letter before the value ("I Kommunstyrelsens ordförande")
_BORDER_LEAD = re.compile(r"^[Il|!]\s+(?=[A-ZÅÄÖ][a-zåäö])")
_LONE_Q = re.compile(r"(?<=[A-Za-zÅÄÖåäö])q(?![uvw])")
# a hand-drawn hyphen read as a dash or two ("HR—-chef"): one hyphen
_HYPHEN = re.compile(r"(?<=\w)[-–—‐‑]{1,3}(?=\w)")
_NAME_OK = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’\-. ]*[A-Za-zÀ-ÖØ-öø-ÿ.]$")
_TITLE_OK = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ0-9][A-Za-zÀ-ÖØ-öø-ÿ0-9&/,.'’\- ()]*$")
_ORG_OK = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ0-9][A-Za-zÀ-ÖØ-öø-ÿ0-9&/,.:'’\- ()+]*$")
_PLACE_OK = re.compile(r"^[A-ZÅÄÖÉÜ][A-Za-zÀ-ÖØ-öø-ÿ\- ]*[a-zåäöéü]$")


def clean_text(text: str, labels: Sequence[str] = ()) -> str:
    """``text`` without label remnants, leaders, border bars and edge punctuation."""
    text = unicodedata.normalize("NFC", text)
    text = _HYPHEN.sub("-", text)
    text = _LEADERS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip(_EDGE)
    given = {label.lower() for label in labels}
    for label in sorted({*given, *(k.lower() for k in KNOWN_LABELS)}, key=len, reverse=True):
        if not text.lower().startswith(label):
            continue
        rest = text[len(label) :]
        if rest[:1].isalpha():
            continue  # a longer word that starts like a label
        # a known label is dropped only when it cannot be part of a value: given for this
        # field, followed by a colon, or long (a short one may start a name: "Roll AB")
        if label in given or rest.lstrip().startswith(":") or len(label) >= 8:
            text = rest.strip(_EDGE)
            break
    return _SPACES.sub(" ", text).strip(_EDGE)


def clean_name(text: str, labels: Sequence[str] = ()) -> Parsed:
    """A signer's printed name: capitalised words of letters, two or more."""
    value = _BORDER_LEAD.sub("", clean_text(text, labels))
    if not value:
        return Parsed.invalid(text)
    if not _NAME_OK.match(value) or len(value.split()) < 2:
        return Parsed(value=value, valid=False, certainty=0.3, raw=text)
    if has_organisation_word(value) or has_title_word(value) or has_label_word(value):
        return Parsed(value=value, valid=False, certainty=0.3, raw=text)  # another field's
    certainty = 0.95 if looks_like_person(value) else 0.6  # "ke Wikström": a letter lost
    if _LONE_Q.search(value):  # "Aqneta": a q not before u or v is a handwritten g
        return Parsed(_LONE_Q.sub("g", value), valid=True, certainty=0.6, raw=text, read=value)
    return Parsed(value=value, valid=True, certainty=certainty, raw=text)


# how like a listed title a read must be to be taken for it: a hand's "Personaleled" is
# "Personalchef" (a guess for the reviewer, never sure; a clearly read title stays as read)
_TITLE_MATCH = 65.0


def clean_title(text: str, labels: Sequence[str] = ()) -> Parsed:
    """A job title such as ``VD``, ``Kommundirektör``, ``HR-chef``."""
    value = _BORDER_LEAD.sub("", clean_text(text, labels))
    if not value:
        return Parsed.invalid(text)
    if not _TITLE_OK.match(value) or sum(ch.isalpha() for ch in value) < 2:
        return Parsed(value=value, valid=False, certainty=0.4, raw=text)
    known = closest(
        value, load("titles"), threshold=_TITLE_MATCH, margin=8.0, shape_threshold=101.0
    )
    if known is not None and known.how != "exact" and fold(known.name) in fold(value):
        known = None  # "Vice VD, ekonomichef": a listed title and more, not a misread
    if known is not None and known.how != "exact":  # "HR-ckef": a known title misread
        return Parsed(value=known.name, valid=True, certainty=0.7, raw=text, read=value)
    if known is not None:  # a hand's "o" and "O" differ in size only: the list's spelling
        value = known.name
    if has_title_word(value):
        certainty = 0.95
    elif looks_like_person(value) or has_organisation_word(value) or has_label_word(value):
        certainty = 0.4  # a name or an organisation where the title should be
    elif sum(ch.isalpha() for ch in value) < 4:
        certainty = 0.6  # an unlisted short title: a listed one misread ("vp" for "VD")
    else:
        certainty = 0.85  # a title we do not know the words of
    return Parsed(value=value, valid=certainty > 0.5, certainty=certainty, raw=text)


def clean_organisation(text: str, labels: Sequence[str] = ()) -> Parsed:
    """An organisation's name: ``Boliden Mineral AB``, ``Luleå kommun``, ``H2 Green Steel``."""
    value = clean_text(text, labels)
    if not value:
        return Parsed.invalid(text)
    shaped = bool(_ORG_OK.match(value)) and sum(ch.isalpha() for ch in value) >= 2
    mixed = (
        has_label_word(value)
        or sum(ch.isdigit() for ch in value) >= 6
        or "@" in value  # an e-mail address
        or bool(_DATE_IN.search(value))  # "Kiruna, 4 februari 2024": the place and date
    )
    if not shaped or mixed or is_county_name(value):
        return Parsed(value=value, valid=False, certainty=0.3, raw=text)
    if value[0].islower():  # "av behörig företrädare …": running text, not a name
        return Parsed(value=value, valid=False, certainty=0.4, raw=text)
    public = _public_body(value)
    if public is not None and public != value:  # "Gällkvare kommun": a known name misread
        return Parsed(value=public, valid=True, certainty=0.7, raw=text, read=value)
    small = _small_dotted(value)
    if small != value:  # "JÄrnvägs Energi AB"
        return Parsed(value=small, valid=True, certainty=0.7, raw=text, read=value)
    if _INNER_STOP.search(value):  # "Norrlands. Elteknik AB": a speck read as a full stop
        return Parsed(value=value, valid=True, certainty=0.6, raw=text)
    return Parsed(value=value, valid=True, certainty=0.95, raw=text)


_MONTHS = "|".join(sorted({name[:3] for name in MONTHS}))  # jan, feb, ... (and more letters)
_DATE_IN = re.compile(
    rf"\b\d{{1,2}}\.?\s*(?:{_MONTHS})[a-zå]*\.?\s+\d{{4}}\b"
    r"|\b\d{1,4}[./\-]\d{1,2}[./\-]\d{2,4}\b",
    re.IGNORECASE,
)
_INNER_STOP = re.compile(r"[^\W\d_]{3}\.\s+\S")
# a capital Å, Ä or Ö between small letters of one word is a small one read too tall
_TALL_DOTTED = re.compile(r"(?<=[A-ZÅÄÖa-zåäö])[ÅÄÖ](?=[a-zåäö]{2})")


def _small_dotted(value: str) -> str:
    """``JÄrnvägs`` → ``Järnvägs``; a word in capitals (``LKAB``, ``SÖDRA``) stays."""
    return _TALL_DOTTED.sub(lambda m: m.group(0).lower(), value)


_KOMMUN = re.compile(r"^(?P<name>\S.*?)\s+kommun$", re.IGNORECASE)
_REGION = re.compile(r"^region\s+(?P<name>\S.*)$", re.IGNORECASE)


def _public_body(value: str) -> str | None:
    """``<municipality> kommun`` or ``Region <county>`` spelt right, when ``value`` reads as one."""
    m = _KOMMUN.match(value)
    if m:
        part = m.group("name")
        found = closest(part, municipalities(), min_len=4)
        if found is None and part.endswith("s"):
            found = closest(part[:-1], municipalities(), min_len=4)
        if found is None:
            return None
        spelt = {found.name.casefold(), _genitive(found.name).casefold()}
        if found.how == "exact" and part.casefold() in spelt:
            return value
        return f"{_genitive(found.name)} kommun"
    m = _REGION.match(value)
    if m:
        found = closest(m.group("name"), COUNTIES, min_len=4)
        if found is None:
            return None
        return value if found.how == "exact" else f"Region {found.name}"
    return None


def _genitive(name: str) -> str:
    """``Arvidsjaur`` → ``Arvidsjaurs`` (``Arvidsjaurs kommun``); ``Kalix``, ``Luleå`` stay."""
    last = name[-1].casefold()
    return name if last in "aeiouyåäösxz" else f"{name}s"


def clean_place(text: str, labels: Sequence[str] = ()) -> Parsed:
    """A place name (``Skellefteå``, ``Övertorneå``, ``Piteå``), capitalised, letters only.

    A municipality read exactly is surest; one read a little off is corrected to the real
    name but with a low certainty, so a person confirms it.
    """
    value = clean_text(text, labels)
    value = re.sub(r"\s+den$", "", value, flags=re.IGNORECASE).strip(_EDGE)
    if not value:
        return Parsed.invalid(text)
    if is_county_name(value) or has_label_word(value):
        return Parsed(value=value, valid=False, certainty=0.2, raw=text)  # a county: no place
    known = place_match(value)
    if known is not None:
        if known.how == "exact":
            return Parsed(value=known.name, valid=True, certainty=0.98, raw=text)
        return Parsed(value=known.name, valid=True, certainty=0.7, raw=text, read=value)
    shaped = bool(_PLACE_OK.match(value)) and len(value) <= 40
    if not shaped:  # "Å rvidsjaur", "Arjepleg, IOM": a gap or junk in a known name
        parts = value.split()
        for guess in ("".join(parts), parts[0].strip(_EDGE)):
            known = place_match(guess)
            if known is not None and len(parts) > 1:
                return Parsed(value=known.name, valid=True, certainty=0.7, raw=text, read=value)
    return Parsed(value=value, valid=shaped, certainty=0.9 if shaped else 0.4, raw=text)
