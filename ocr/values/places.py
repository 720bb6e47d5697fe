"""Place names known to the declarations' counties, for checking "Ort och datum".

The municipalities (kommuner) of Norrbotten and Västerbotten, where nearly every
signatory signs. A place read exactly as one of them is sure; one letter off is
corrected but marked unsure; any other well-shaped place name is accepted as it is
(organisations elsewhere sign too).
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

MUNICIPALITIES: tuple[str, ...] = (
    # Norrbottens län
    "Arjeplog", "Arvidsjaur", "Boden", "Gällivare", "Haparanda", "Jokkmokk", "Kalix",
    "Kiruna", "Luleå", "Pajala", "Piteå", "Älvsbyn", "Överkalix", "Övertorneå",
    # Västerbottens län
    "Bjurholm", "Dorotea", "Lycksele", "Malå", "Nordmaling", "Norsjö", "Robertsfors",
    "Skellefteå", "Sorsele", "Storuman", "Umeå", "Vilhelmina", "Vindeln", "Vännäs", "Åsele",
)  # fmt: skip
_BY_KEY = {name.casefold(): name for name in MUNICIPALITIES}
_FOLD = str.maketrans("åäöéü", "aaoeu")
_BY_FOLDED = {key.translate(_FOLD): name for key, name in _BY_KEY.items()}
_FUZZY_THRESHOLD = 85.0


def known_place(text: str) -> tuple[str, float] | None:
    """``(name, score 0–1)`` of the municipality ``text`` names, exactly or nearly."""
    key = text.casefold()
    if key in _BY_KEY:
        return _BY_KEY[key], 1.0
    folded = key.translate(_FOLD)
    if folded in _BY_FOLDED:  # "Lulea": the ring or dots lost
        return _BY_FOLDED[folded], 0.9
    if len(key) < 5:
        return None
    found = process.extract(folded, list(_BY_FOLDED), scorer=fuzz.ratio, limit=2)
    if not found or found[0][1] < _FUZZY_THRESHOLD:
        return None
    if len(found) > 1 and found[0][1] - found[1][1] < 10:
        return None  # two names about as close: do not choose
    return _BY_FOLDED[found[0][0]], found[0][1] / 100.0
