"""Turn raw readings into parsed field values with calibrated confidence.

``place_date`` is one label on paper for two fields (``place``, ``signed_date``).
Bounding boxes become fractions of the upright page. A lexicon of verified
organisations (organisation number → name) confirms or questions the name read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace

from rapidfuzz import fuzz

from ocr.confidence import (
    CHECKED,
    LOOK_AGAIN_DIGITS,
    REREAD_BELOW,
    SURE,
    UNCHECKED_DIGITS,
    Evidence,
    confidence,
    low_flag,
)
from ocr.fields import VARIANTS, Reading
from ocr.layout import Box
from ocr.model import FIELD_NAMES, BBox, FieldValue
from ocr.values import (
    Parsed,
    clean_name,
    clean_organisation,
    clean_title,
    parse_county,
    parse_email,
    parse_orgnr,
    parse_place_date,
)
from ocr.values.email import (
    add_name_dot,
    domain_from_organisation,
    matches_signer,
    name_locals,
    one_letter_off_signer,
    repair_with_name,
)
from ocr.values.lexicon import load, one_letter_changed

_PARSERS: dict[str, Callable[[str], Parsed]] = {
    "organisation": clean_organisation,
    "organisation_number": parse_orgnr,
    "county": parse_county,
    "signatory_name": clean_name,
    "signatory_title": clean_title,
    "email": parse_email,
}


# checked values read again from other preparations of the pixels when still unparsed
# (not the e-mail: one misread in handwriting is put right from the signer's name)
_LOOK_AGAIN = CHECKED - {"email"}
_LOOKS_FIRM = 80.0  # weakest word of the small and thin looks that lets their agreement count
STRONG_READ = 90.0  # weakest word confidence of a read that no list overrules
# names nothing checks; read alike twice with a word weaker than WEAK_WORD, a third look
UNCHECKED_TEXT = frozenset({"organisation", "signatory_name", "signatory_title", "place"})
# values whose letters are counted against the ink (fields.unread_letter_ink)
_LETTERS_COUNTED = UNCHECKED_TEXT | {"email"}
WEAK_WORD = 90.0
_WORD = re.compile(r"[\w-]+")

# an e-mail without the shape of one is another field's text, not a bad address
_VOID_UNLESS_VALID = frozenset({"email"})
# a number that fails its check digit is not handed on (a registry must not take it);
# where it stands is kept, and the flag tells the reviewer a number was there
_INVALID_FLAGS = {"organisation_number": "invalid_orgnr"}


def _fraction(b: Box | None, size: tuple[int, int]) -> BBox | None:
    if b is None:
        return None
    w, h = size
    return (max(0.0, b.x0 / w), max(0.0, b.y0 / h), min(1.0, b.x1 / w), min(1.0, b.y1 / h))


def _parse(key: str, text: str) -> list[tuple[str, Parsed]]:
    if key == "place_date":
        place, date = parse_place_date(text)
        return [("place", place), ("signed_date", date)]
    if key in _PARSERS:
        return [(key, _PARSERS[key](text))]
    return []


def _good(parsed: list[tuple[str, Parsed]], reading: Reading) -> bool:
    """Sure enough after one read: every part parsed, checked and read with strong words."""
    return (
        all(p.valid and p.certainty >= 0.9 and name in CHECKED for name, p in parsed)
        and reading.conf >= REREAD_BELOW
    )


def _value(
    field: str,
    parsed: Parsed,
    reading: Reading,
    agrees: bool | None,
    page: int,
    size: tuple[int, int],
    word_floor: float | None = None,
    doubted: bool = False,
) -> FieldValue:
    if parsed.value is None or (field in _VOID_UNLESS_VALID and not parsed.valid):
        return FieldValue.missing()
    if field in _INVALID_FLAGS and not parsed.valid:
        return FieldValue(None, 0.0, page, _fraction(reading.box, size))
    if parsed.read is not None and field not in CHECKED and reading.conf >= STRONG_READ:
        # read clearly: a village or a title the lists do not know, not a misread
        parsed = replace(parsed, value=parsed.read)
    ev = Evidence(
        field=field,
        word_conf=reading.conf if word_floor is None else min(reading.conf, word_floor),
        valid=parsed.valid,
        certainty=parsed.certainty,
        label_score=reading.label.score,
        agrees=agrees,
        corrected=parsed.read is not None,
        known=parsed.read is None and _known(field, parsed.value),
        doubted=doubted,
    )
    return FieldValue(parsed.value, confidence(ev), page, _fraction(reading.box, size))


def _agree(name: str, p1: Parsed, p2: Parsed) -> bool:
    """Do two reads show the same value? For an organisation number, a read that fails the
    check digit by one digit against a read that passes it shows the other nine: one
    misread digit always fails the check, so the passing read is confirmed."""
    if p1.value is not None and p1.value == p2.value:
        return True
    if name != "organisation_number" or p1.value is None or p2.value is None:
        return False
    return p1.valid != p2.valid and one_letter_changed(p1.value, p2.value)


def _known(field: str, value: str | None) -> bool:
    """``value`` is exactly a name of the closed list for ``field``."""
    lists = {"place": "municipalities", "signatory_title": "titles"}
    return value is not None and field in lists and value in load(lists[field])


def _score(parsed: list[tuple[str, Parsed]], reading: Reading) -> tuple[int, int, float]:
    """Which of two reads to keep: more parts valid, then more parts that look right
    ("Sofia Öhman" over "Sofia ÖRmMan"), then the stronger weakest word."""
    return (
        sum(p.valid for _, p in parsed),
        sum(p.certainty >= 0.9 for _, p in parsed),
        reading.conf,
    )


def parse_readings(
    readings: Mapping[str, Reading],
    page: int,
    size: tuple[int, int],
    reread: Callable[..., Reading] | None = None,
    witnesses: Mapping[str, Reading] | None = None,
    variants: bool = False,
) -> tuple[dict[str, FieldValue], list[str]]:
    """Field values (every field key present) and flags for one signing block.

    A value that does not parse cleanly or was read with a weak word is read a second
    time from its region alone; agreement raises confidence, disagreement lowers it.
    With ``variants``, a checked value that still does not parse is read again from
    differently prepared pixels (``reread(key, variant)``) until one read parses.
    """
    fields: dict[str, FieldValue] = {name: FieldValue.missing() for name in FIELD_NAMES}
    invalid: list[str] = []
    chosen: dict[str, tuple[Parsed, Reading, bool | None]] = {}
    texts: dict[str, list[str]] = {}
    weakest: dict[str, float] = {}
    doubted: set[str] = set()  # fields another look contradicts
    for key, reading in readings.items():
        parsed = _parse(key, reading.text)
        agrees: dict[str, bool | None] = {name: None for name, _ in parsed}
        if witnesses and key in witnesses:
            agrees = {name: _witnessed(p, witnesses[key].text) for name, p in parsed}
            fallback = _parse(key, witnesses[key].text)
            if _score(fallback, witnesses[key])[0] > _score(parsed, reading)[0]:
                # only the first read parses (an italic "@" the other language misses)
                parsed, reading = fallback, witnesses[key]
                agrees = {name: None for name, _ in parsed}
        read_weakest = reading.conf
        looked = [reading]
        if reread is not None and key not in (witnesses or {}) and not _good(parsed, reading):
            second = reread(key)
            looked.append(second)
            read_weakest = min(reading.conf, second.conf)
            parsed2 = _parse(key, second.text)
            agrees = {
                name: _agree(name, p1, p2)
                for (name, p1), (_, p2) in zip(parsed, parsed2, strict=True)
            }
            for name, _ in parsed:  # digits nothing checks are as sure as the weaker read
                if name in UNCHECKED_DIGITS:
                    weakest[name] = read_weakest
                    if second.unread > 0:
                        doubted.add(name)
            if _score(parsed2, second) > _score(parsed, reading):
                parsed, reading = parsed2, second
        if any(r.unread_letters for r in looked):  # a letter left out at every resolution
            doubted.update(name for name, _ in parsed if name in _LETTERS_COUNTED)
        if reread is not None and variants:
            _third_look(key, parsed, agrees, weakest, doubted, reread, read_weakest)
        read_by = {name: reading for name, _ in parsed}
        if reread is not None and variants:
            parsed = _other_looks(key, parsed, read_by, agrees, reread)
        for name, p in parsed:
            reading = read_by[name]
            chosen[name] = (p, reading, agrees[name])
            if name in _INVALID_FLAGS and p.value is not None and not p.valid:
                invalid.append(_INVALID_FLAGS[name])
            texts[name] = [reading.text] + (
                [witnesses[key].text] if witnesses and key in witnesses else []
            )
    _cross_check(chosen, texts)
    for name, (p, reading, agree) in chosen.items():
        fields[name] = _value(
            name, p, reading, agree, page, size, weakest.get(name), name in doubted
        )
    flags = [
        low_flag(name) for name, v in fields.items() if v.value is not None and v.confidence < SURE
    ]
    flags += invalid
    return fields, flags


def _third_look(
    key: str,
    parsed: list[tuple[str, Parsed]],
    agrees: dict[str, bool | None],
    weakest: dict[str, float],
    doubted: set[str],
    reread: Callable[..., Reading],
    read_weakest: float,
) -> None:
    """Values read alike twice, once with a weak word, and that nothing else checks, are
    looked at a third time from pixels prepared otherwise: Tesseract misreads a typed
    "27" as "21", or a hand's "Wikblad" as "Wikblod", at two resolutions alike.
    A date's weak word no longer counts when two other looks (small, thin) agree, each
    sure of its digits; a name's agreement is void when the third look disagrees."""
    dates = [
        i
        for i, (name, p) in enumerate(parsed)
        if name in weakest and p.valid and agrees.get(name) and weakest[name] < LOOK_AGAIN_DIGITS
    ]
    names = [
        i
        for i, (name, p) in enumerate(parsed)
        if name in UNCHECKED_TEXT
        and p.valid
        and agrees.get(name)
        and read_weakest < WEAK_WORD
        and not _known(name, p.value)
    ]
    if not dates and not names:
        return
    third_read = reread(key, VARIANTS[0])
    third = _parse(key, third_read.text)
    alike = [i for i in dates if third[i][1].value == parsed[i][1].value]
    fourth_read = reread(key, VARIANTS[1]) if alike else None
    fourth = _parse(key, fourth_read.text) if fourth_read is not None else []
    # looks unsure of their own digits confirm nothing (a hand's 4 drawn like a 1)
    firm = fourth_read is not None and (
        min(_digit_conf(third_read), _digit_conf(fourth_read)) >= _LOOKS_FIRM
    )
    for i in dates:  # the thin look: a slanted hand's 9 read as 4 at every size
        name, p = parsed[i]
        if firm and i in alike and fourth[i][1].value == p.value:
            del weakest[name]
        else:
            doubted.add(name)
    for i in names:
        name, p = parsed[i]
        if not _words_within(p.value, third[i][1].raw):
            agrees[name] = None


def _digit_conf(reading: Reading) -> float:
    """The weakest word with a digit in it (the date's, not the place's beside it)."""
    return min((w.conf for w in reading.words if any(c.isdigit() for c in w.text)), default=0.0)


def _words_within(value: str | None, text: str) -> bool:
    """``value``'s words stand in ``text`` in a row (a form's border read as "I" aside)."""
    if value is None:
        return False
    want, seen = _WORD.findall(value), _WORD.findall(text)
    return any(seen[i : i + len(want)] == want for i in range(len(seen) - len(want) + 1))


def _other_looks(
    key: str,
    parsed: list[tuple[str, Parsed]],
    read_by: dict[str, Reading],
    agrees: dict[str, bool | None],
    reread: Callable[..., Reading],
) -> list[tuple[str, Parsed]]:
    """Checked parts still unparsed, read from other preparations of the pixels (a
    handwritten value the plain reads miss); the first read that parses is kept, never
    sure: the plain reads disagree with it."""
    out = list(parsed)
    for variant in VARIANTS:
        todo = [i for i, (name, p) in enumerate(out) if name in _LOOK_AGAIN and not p.valid]
        if not todo:
            break
        other = reread(key, variant)
        found = _parse(key, other.text)
        for i in todo:
            name, p = found[i]
            if p.valid:
                out[i] = (name, p)
                read_by[name] = other
                agrees[name] = False  # the plain reads saw something else
    return out


def _cross_check(
    chosen: dict[str, tuple[Parsed, Reading, bool | None]], texts: Mapping[str, list[str]]
) -> None:
    """The e-mail against the signer's name and the organisation, read elsewhere on the form.

    An address that does not parse is put right from the name (its ``@`` or a dot misread:
    a repair, never sure), and a domain a letter or two off the organisation's name is
    that name (never sure); a valid address that is exactly ``firstname.lastname@`` the
    organisation's own domain counts as read twice.
    """
    name = chosen.get("signatory_name")
    if "email" not in chosen or name is None or name[0].value is None:
        return
    parsed, reading, agree = chosen["email"]
    org = chosen.get("organisation")
    org_name = org[0].value if org is not None and org[0].valid else None
    if _spelt_in_address(name[0], parsed):  # the address spells the name: read twice
        chosen["signatory_name"] = (name[0], name[1], True)
    if parsed.valid and parsed.value is not None:
        if one_letter_off_signer(parsed.value, name[0].value):
            # one of the two is misread: the address, if its own reads disagree; else either
            if agree is not False:
                chosen["signatory_name"] = (name[0], name[1], False)
            chosen["email"] = (parsed, reading, False)
            return
        if agree is not False and matches_signer(parsed.value, name[0].value, org_name):
            chosen["email"] = (parsed, reading, True)
            return
        value = add_name_dot(parsed.value, name[0].value) or parsed.value  # "parnilsson@"
        if org_name is not None:  # "@aselecommun.se" for Åsele kommun
            value = domain_from_organisation(value, org_name) or value
        if value != parsed.value:
            chosen["email"] = (replace(parsed, value=value, read=parsed.value), reading, None)
        return
    for text in texts.get("email", []):
        repaired = repair_with_name(text, name[0].value)
        if repaired is not None and repaired.value is not None:
            if org_name is not None:
                fixed = domain_from_organisation(repaired.value, org_name)
                repaired = replace(repaired, value=fixed or repaired.value)
            chosen["email"] = (repaired, reading, None)
            return


def _spelt_in_address(name: Parsed, email: Parsed) -> bool:
    """The e-mail, as read (not repaired), starts with the name letter for letter: a name
    of plain letters (no å, ä, ö, é: an address drops them) written a second time."""
    if not (name.valid and email.valid and email.read is None) or email.value is None:
        return False
    if name.value is None or not name.value.isascii():
        return False
    local = email.value.split("@", 1)[0]
    return local in name_locals(name.value)


def plausibility(readings: Mapping[str, Reading]) -> int:
    """How many of the checked values (number, county, date, e-mail) parse as valid
    under their labels: the evidence that values were matched to the right labels."""
    return sum(
        p.valid
        for key, reading in readings.items()
        for name, p in _parse(key, reading.text)
        if name in CHECKED
    )


def _witnessed(parsed: Parsed, text: str) -> bool:
    """Does a read in another language show the same address (its "@" aside)?"""
    if parsed.value is None or "@" not in parsed.value:
        return False
    local, domain = parsed.value.split("@", 1)
    seen = "".join(text.lower().split())
    return (
        bool(local) and local in seen and domain in seen and seen.find(local) < seen.rfind(domain)
    )


def apply_lexicon(
    fields: dict[str, FieldValue], lexicon: Mapping[str, str]
) -> tuple[dict[str, FieldValue], list[str]]:
    """Raise the name's confidence when the number is known and the names agree."""
    number, name = fields.get("organisation_number"), fields.get("organisation")
    if number is None or number.value is None or number.value not in lexicon:
        return fields, []
    known = lexicon[number.value]
    if name is None or name.value is None:
        return fields, ["orgnr_name_mismatch"]
    similarity = fuzz.token_sort_ratio(known.lower(), name.value.lower())
    if similarity >= 90:
        out = dict(fields)
        out["organisation"] = replace(name, value=known, confidence=max(name.confidence, 0.97))
        return out, []
    return fields, ["orgnr_name_mismatch"]
