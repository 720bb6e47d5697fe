"""E-mail addresses, with the OCR slips they typically suffer repaired."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from ocr.values.lexicon import one_letter_changed
from ocr.values.parsed import Parsed

_SHAPE = re.compile(
    r"^[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}$"
)
_AT = re.compile(r"\s*(?:\(at\)|\[at\]|\{at\}|<at>|©|®|\s@\s|@)\s*", re.IGNORECASE)
_DOT = re.compile(r"\s*(?:\(dot\)|\[dot\])\s*|\s*\.\s*", re.IGNORECASE)
_LABEL = re.compile(r"^\s*(?:e-?post(?:adress)?|e-?mail|mail)\s*[:.]?\s*", re.IGNORECASE)
_TLD_COMMA = re.compile(r",(se|com|nu|org|net|eu|fi|no|dk)$")
_EDGE = " \t\r\n:;,.!?'\"()[]<>|_-"
# a capitalised word run on after the top-level domain ("….seNamnförtydligande Solveig")
_RUN_ON = re.compile(r"(@\S+?\.(?:se|com|nu|org|net|eu))(?:[A-ZÅÄÖ][^@]*)?\s+[A-ZÅÄÖ][^@]*$")


def parse_email(text: str) -> Parsed:
    """A lower-case address such as ``anna.svensson@lulea.se``."""
    value = _LABEL.sub("", text.strip())
    # what follows an address ending in its domain, in capitalised words (the label
    # and value of the next column run on into the same line), is not part of it
    repaired = value
    value = _RUN_ON.sub(r"\1", value)
    value = _AT.sub("@", value)
    guessed = "@" not in value and value.count("Q") == 1
    if guessed:  # an italic or handwritten @ is read as a capital Q
        value = value.replace("Q", "@")
    value = _DOT.sub(".", value)
    value = value.strip(_EDGE).lower()
    value = _TLD_COMMA.sub(r".\1", value)
    value = "".join(value.split())
    if value.count("@") != 1:
        return Parsed(value=value or None, valid=False, certainty=0.0, raw=text)
    if not _SHAPE.match(value):
        return Parsed(value=value, valid=False, certainty=0.1, raw=text)
    tidy = repaired.strip(_EDGE).lower() == value
    certainty = 0.6 if guessed else 1.0 if tidy else 0.85
    return Parsed(value=value, valid=True, certainty=certainty, raw=text)


_ASCII = str.maketrans("åäöéèüáà", "aaoeeuaa")
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*$")
_TLDS = ("se", "com", "nu", "org", "net", "eu")


def name_locals(name: str) -> list[str]:
    """The local parts an address of ``Anna-Lena Öberg`` most likely has."""
    parts = [re.sub(r"[^a-z\-]", "", p) for p in name.casefold().translate(_ASCII).split()]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return []
    first, *rest = parts
    # double surnames: "Göran Lindh Wikblad" writes goran.lindh@ or goran.wikblad@
    return list(
        dict.fromkeys([f"{first}.{rest[-1]}", ".".join(parts), *(f"{first}.{p}" for p in rest)])
    )


def org_key(organisation: str) -> str:
    """``Arvidsjaurs kommun`` → ``arvidsjaurskommun``, ``Substorm AB`` → ``substorm``."""
    words = organisation.casefold().translate(_ASCII).split()
    if words and words[-1] in ("ab", "hb", "kb"):
        words = words[:-1]
    return re.sub(r"[^a-z0-9\-]", "", "".join(words))


def repair_with_name(text: str, name: str) -> Parsed | None:
    """An address whose ``@`` or dots were misread (``anna. marklundearvidsjaur…``), put
    right from the signer's name read elsewhere on the form: the local part is the name's,
    the character after it stands for ``@``. None when the read does not start like it."""
    seen = "".join(_LABEL.sub("", text).casefold().translate(_ASCII).split()).strip(_EDGE)
    seen = seen.replace(",", ".")
    best: tuple[float, str, str] | None = None
    for local in name_locals(name):
        if seen.count("@") == 1:
            head, domain = seen.split("@")
            cuts = [(head, domain)]
        else:
            cuts = [
                (seen[:k], seen[k + 1 :]) for k in range(max(1, len(local) - 2), len(local) + 2)
            ]
        for head, domain in cuts:
            score = fuzz.ratio(head, local)
            if score >= 85 and (best is None or score > best[0]):
                best = (score, local, domain)
    if best is None:
        return None
    _, local, domain = best
    domain = domain.strip(_EDGE)
    if "." not in domain:  # "lkabse": the dot before the country lost
        tld = next((t for t in _TLDS if domain.endswith(t) and len(domain) > len(t) + 1), None)
        if tld is None:
            return None
        domain = f"{domain[: -len(tld)]}.{tld}"
    if not _DOMAIN.match(domain) or not re.search(r"\.[a-z]{2,}$", domain):
        return None
    value = f"{local}@{domain}"
    if not _SHAPE.match(value):
        return None
    return Parsed(value=value, valid=True, certainty=0.7, raw=text, read=text)


def matches_signer(value: str, name: str, organisation: str | None) -> bool:
    """The address is the signer's name at the organisation's own domain (both read
    elsewhere on the form): ``anna.marklund@arvidsjaurskommun.se``."""
    if "@" not in value or organisation is None:
        return False
    local, domain = value.split("@", 1)
    label = domain.rsplit(".", 1)[0]
    return local in name_locals(name) and label == org_key(organisation) and len(label) >= 4


def one_letter_off_signer(value: str, name: str) -> bool:
    """The address's local part is the signer's name with one letter changed
    (``ingrid.moestam@`` for "Ingrid Moestom"): one of the two is misread."""
    local = value.partition("@")[0]
    return any(one_letter_changed(c, local) for c in name_locals(name))


def add_name_dot(value: str, name: str) -> str | None:
    """``parnilsson@…`` → ``par.nilsson@…`` when the signer is Pär Nilsson (a dot lost)."""
    local, _, domain = value.partition("@")
    if "." in local:
        return None
    for candidate in name_locals(name):
        if candidate.replace(".", "") == local:
            return f"{candidate}@{domain}"
    return None


def domain_from_organisation(value: str, organisation: str) -> str | None:
    """``…@aselecommun.se`` → ``…@aselekommun.se`` when the organisation read elsewhere is
    Åsele kommun: a domain a letter or two off the organisation's name is its name."""
    local, _, domain = value.partition("@")
    label, dot, tld = domain.rpartition(".")
    key = org_key(organisation)
    if not dot or len(key) < 5 or label == key or "." in label:
        return None
    if len(label) != len(key):  # a shortened name ("luleatekniskaunive") is no misread
        return None
    if fuzz.ratio(label, key) < 85:
        return None
    return f"{local}@{key}.{tld}"
