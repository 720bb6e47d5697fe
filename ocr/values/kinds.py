"""What kind of text a value looks like: a title, an organisation, a person's name.

Used to lower the certainty of a value that has the shape of another field's value
(a name read where the title should be, a county where the place should be, label
words inside an organisation), which is how values from neighbouring lines slip in.
"""

from __future__ import annotations

import re

TITLE_STEMS: tuple[str, ...] = (
    "chef", "direktör", "ordförande", "ansvarig", "rektor", "landshövding", "ägare",
    "kommunalråd", "regionråd", "ledamot", "sekreterare", "manager", "strateg",
    "samordnare", "koordinator", "handläggare", "controller", "ekonom", "officer",
    "president", "general", "överbefälhavare", "föreståndare", "förvaltare",
    "administratör", "konsult", "partner", "grundare", "specialist", "ingenjör",
    "ledare", "rådgivare", "styrelse", "ombud", "firmatecknare", "prefekt", "dekan",
    "head", "director", "chief", "owner", "vice", "biträdande", "ställföreträdande",
)  # fmt: skip
TITLE_WORDS = frozenset({"vd", "ceo", "cfo", "coo", "cto", "hr", "it", "ob"})
ORGANISATION_WORDS = frozenset({
    "ab", "hb", "kb", "aktiebolag", "kommun", "region", "län", "universitet", "stiftelsen",
    "stiftelse", "förening", "ekonomisk", "landsting", "sverige", "group", "koncern",
    "länsstyrelsen", "förbund", "kommunförbund", "regionförbund",
})  # fmt: skip
LABEL_WORDS = frozenset({
    "organisation", "organisationsnummer", "org.nr", "org.nummer", "orgnr", "org",
    "namnförtydligande", "förtydligande", "befattning", "titel", "underskrift",
    "namnteckning", "e-post", "e-postadress", "datum", "ort",
})  # fmt: skip
# other Swedish wordings of a signing block's labels, which the profiles may not list: a
# value that holds one is a label read where a value should be ("Tjänst", "Ort, dag")
OTHER_LABEL_WORDS = frozenset({
    "namn", "klartext", "undertecknad", "tjänst", "funktion", "signatur", "mejl", "mail",
    "e-postadr", "plats", "länstillhörighet", "säte", "organisationsnamn", "org-nr",
    "organisationsnr", "orgnummer",
})  # fmt: skip
# label words that are also names ("Dag Hammarskjöld"): a label's only when in small letters
SMALL_LABEL_WORDS = frozenset({"dag"})
COUNTY_NAMES = frozenset({"norrbotten", "norrbottens", "västerbotten", "västerbottens"})
NAME_PARTICLES = frozenset({"von", "af", "av", "de", "van", "der", "den", "la", "du", "di"})
_WORD = re.compile(r"[\wÅÄÖåäöÉéÜü.\-]+")


def words(text: str) -> list[str]:
    return [w.casefold().strip(".-") for w in _WORD.findall(text)]


def has_title_word(text: str) -> bool:
    lowered = text.casefold()
    return any(stem in lowered for stem in TITLE_STEMS) or bool(
        TITLE_WORDS & set(re.split(r"[\s,/\-]+", lowered))
    )


def has_organisation_word(text: str) -> bool:
    return bool(ORGANISATION_WORDS & set(words(text)))


def has_label_word(text: str, *, other: bool = True) -> bool:
    """A label's word in ``text``: a listed label's, and with ``other`` the other wordings'."""
    found = set(_WORD.findall(text.casefold()))
    found |= {w.strip(".:") for w in found}
    if LABEL_WORDS & found:
        return True
    small = {w.strip(".:") for w in _WORD.findall(text)}
    return other and bool(OTHER_LABEL_WORDS & found or SMALL_LABEL_WORDS & small)


def is_county_name(text: str) -> bool:
    parts = words(text)
    return bool(parts) and parts[0] in COUNTY_NAMES and set(parts[1:]) <= {"län", "lan"}


def looks_like_person(text: str) -> bool:
    """Two to four capitalised words of letters, such as ``Håkan Häggström``."""
    parts = text.split()
    if not 2 <= len(parts) <= 4:
        return False
    named = [p for p in parts if p.casefold() not in NAME_PARTICLES]
    return all(_capitalised(p) for p in named) and len(named) >= 2


def _capitalised(word: str) -> bool:
    """``Öhman``, ``Anna-Karin``: a capital, then small letters (``ÖRman`` is a misread)."""
    return all(s[:1].isupper() and s[1:].isalpha() and s[1:].islower() for s in word.split("-"))
