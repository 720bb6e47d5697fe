"""Place names for "Ort och datum": Sweden's 290 municipalities (``ocr/lexicons/``).

Nearly every signatory signs in a municipality's main town, named as the municipality.
A place read exactly as one of them is sure; one read a little off (a lost ring,
a handwritten letter misread) is corrected to the real name but marked unsure; any
other well-shaped place name is accepted as it is (a village is a place too).
"""

from __future__ import annotations

from ocr.values.lexicon import Match, closest, load


def municipalities() -> tuple[str, ...]:
    return load("municipalities")


def place_match(text: str) -> Match | None:
    return closest(text, municipalities(), threshold=80.0, margin=8.0, min_len=6)
