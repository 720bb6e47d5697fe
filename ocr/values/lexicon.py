"""Closed lists of names (data files in ``ocr/lexicons/``) and fuzzy lookup in them.

The lists come from public knowledge, not from any sample: Sweden's 290 municipalities
and common Swedish job titles. A read is matched in steps, each less sure than the one
before: exactly, without its diacritics (``Lulea``), by edit similarity (``Reberlsfors``),
and by the *shape* of handwriting, where letters that look alike in a hand-printed word
are one class (``rr`` and ``m``, the round vowels, the tall strokes: ``Nambatlen`` for
``Norrbotten``). A step matches only when one name is clearly closer than every other.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from rapidfuzz import fuzz, process

_FOLD = str.maketrans("åäöéüáàèô", "aaoeuaaeo")
# letters a hand-printed word turns into one another in Tesseract's reading
_SHAPE_PAIRS = ((re.compile(r"rr|rn|nn|m"), "m"),)
_SHAPE_CLASSES = {"o": "aeouc", "q": "qg", "l": "jtlifk1", "b": "hbd"}
_SHAPE = str.maketrans({ch: cls for cls, chars in _SHAPE_CLASSES.items() for ch in chars})


@dataclass(frozen=True, slots=True)
class Match:
    name: str  # the list's spelling
    score: float  # 0..1 similarity of the step that matched
    how: str  # "exact", "folded", "fuzzy" or "shape"


@functools.cache
def load(name: str) -> tuple[str, ...]:
    """The names of ``ocr/lexicons/<name>.txt`` (``#`` lines are comments)."""
    text = (resources.files("ocr") / "lexicons" / f"{name}.txt").read_text(encoding="utf-8")
    return tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(text.translate(_FOLD).split())


def one_letter_changed(a: str, b: str) -> bool:
    """``a`` and ``b`` are alike but for one character changed (``janvari``, ``januari``)."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def shape(text: str) -> str:
    """A key under which handwriting's look-alike letters are equal."""
    key = fold(text).replace("-", " ")
    for pattern, repl in _SHAPE_PAIRS:
        key = pattern.sub(repl, key)
    return key.translate(_SHAPE)


@functools.cache
def _index(names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    exact = {unicodedata.normalize("NFC", n).casefold(): n for n in names}
    folded = {fold(n): n for n in names}
    shaped: dict[str, list[str]] = {}
    for n in names:
        shaped.setdefault(shape(n), []).append(n)
    return exact, folded, shaped


def closest(
    text: str,
    names: Sequence[str],
    *,
    threshold: float = 80.0,
    margin: float = 8.0,
    shape_threshold: float = 85.0,
    min_len: int = 4,
) -> Match | None:
    """The name ``text`` reads as, or None when none is close or two are about as close."""
    names = tuple(names)
    exact, folded, shaped = _index(names)
    key = unicodedata.normalize("NFC", text).casefold().strip()
    if key in exact:
        return Match(exact[key], 1.0, "exact")
    fkey = fold(text)
    if fkey in folded:
        return Match(folded[fkey], 0.95, "folded")
    if len(fkey) < min_len:
        return None
    best = _unique(fkey, list(folded), threshold, margin)
    if best is not None:
        return Match(folded[best[0]], best[1], "fuzzy")
    skey = shape(text)
    best = _unique(skey, list(shaped), shape_threshold, margin)
    if best is not None and len(shaped[best[0]]) == 1:
        return Match(shaped[best[0]][0], best[1], "shape")
    return None


def _unique(
    key: str, choices: list[str], threshold: float, margin: float
) -> tuple[str, float] | None:
    found = process.extract(key, choices, scorer=fuzz.ratio, limit=2)
    if not found or found[0][1] < threshold:
        return None
    if len(found) > 1 and found[0][1] - found[1][1] < margin:
        return None
    return found[0][0], found[0][1] / 100.0
