"""Decoding a CTC probability matrix under a field's constraint (a prefix beam search).

A recogniser such as :class:`ocr.handwriting.Recogniser` gives, for each timestep, the
probability of every character and of the CTC blank. Reading its best path alone throws
away what the model was unsure between; here the beam keeps the likeliest *prefixes a
field's value may start with* — an organisation number ``NNNNNN-NNNN`` whose last digit
passes Luhn, a date that exists, a county, place or title from its list — and returns
the likeliest whole value, its runner-up, and how its probability compares with the
likeliest string of any kind (:attr:`Decoded.score`, 1.0 when the model itself read a
valid value, small when the beam had to force one).

A :class:`Constraint` is a small automaton: ``start()``, ``step(state, ch)`` (the next
state, or None where ``ch`` may not come next) and ``value(state)`` (the normalised value
where the ink may end, else None). Spaces may come anywhere but first and change no
state (a hand leaves gaps the model may or may not read as spaces); prefixes that reach
the same state with the same last character are one hypothesis, so spellings of one
value (``11/5 2023``, ``11/52023``) add up.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

import numpy as np

from ocr.values.dates import MONTHS
from ocr.values.orgnr import luhn_ok

State = Hashable
BLANK = 0
SPACE = " "
BEAM = 24
FREE_BEAM = 16
MIN_CHAR_P = 1e-5  # a character less likely than this at a timestep is not tried there
FREE_MIN_CHAR_P = 1e-3
# a value at least this likely against the unconstrained read is a reading of the ink, not
# one forced onto ink of another kind
PLAUSIBLE = 0.01
# characters the model may write for the one a constraint asks for (its character set
# is Chinese-first: a dash can come out as "一", a digit as a full-width one)
EQUIVALENTS: Mapping[str, str] = {
    "-": "-‐‑–—―−一_~",
    "/": "/／",
    ".": ".。·,，",
    **{d: d + chr(0xFF10 + int(d)) for d in "0123456789"},
}


class Constraint(Protocol):
    """What a value may be, as an automaton over its characters."""

    @property
    def alphabet(self) -> str: ...

    def start(self) -> State: ...

    def step(self, state: State, ch: str) -> State | None: ...

    def value(self, state: State) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Decoded:
    """The best value the constraint allows, and how sure the matrix is of it."""

    value: str | None  # normalised (NNNNNN-NNNN, YYYY-MM-DD, the list's own spelling)
    text: str  # the likeliest spelling of it that was read
    score: float  # P(value) / P(likeliest unconstrained string), at most 1
    margin: float  # P(value) / (P(value) + P(runner-up)): 0.5 a tie, 1.0 no rival
    runner_up: str | None
    free_text: str  # the likeliest unconstrained string
    probability: float = 0.0  # P(value) itself: its spellings' CTC mass (a beam's lower bound)

    @property
    def confidence(self) -> float:
        """One number to set a threshold on (see :meth:`confidence_at`)."""
        return self.confidence_at(PLAUSIBLE)

    def confidence_at(self, plausible: float) -> float:
        """How far the value stands above its rival among the values the constraint
        allows (the margin), lowered where the value is less likely than ``plausible``
        times the unconstrained read. A constraint that can repair a read (a check digit
        choosing the misread digit) wants a high ``plausible``: a repair the model did
        not believe may be two misreads that cancel; for a date (any digit changed is
        still a date) a low one only keeps ink of another kind out."""
        if not self.value:
            return 0.0
        return self.margin * min(1.0, self.score / plausible)


NOTHING = Decoded(None, "", 0.0, 0.0, None, "")


# ---------------------------------------------------------------- constraints


class Orgnr:
    """``NNNNNN-NNNN`` (the dash optional in the ink), the last digit passing Luhn."""

    alphabet = "0123456789-"

    def start(self) -> State:
        return ("", False)

    def step(self, state: State, ch: str) -> State | None:
        digits, dashed = cast(tuple[str, bool], state)
        if ch == "-":
            return (digits, True) if len(digits) == 6 and not dashed else None
        if not ch.isdigit() or len(digits) >= 10:
            return None
        new = digits + ch
        if len(new) == 10 and not luhn_ok(new):
            return None
        return (new, dashed)

    def value(self, state: State) -> str | None:
        digits, _ = cast(tuple[str, bool], state)
        if len(digits) == 10 and luhn_ok(digits):
            return f"{digits[:6]}-{digits[6:]}"
        return None


# a loose list's letters: each stands for itself in either case and with or without its
# diacritics (a hand's "a" and "å", "o" and "O" are the model's guess between look-alikes;
# a list's entries differ in more than that)
_DIACRITICS = {"a": "åäàáâ", "e": "éèêë", "o": "öóòôø", "u": "üúù", "i": "íì", "y": "ý"}
LOOSE: Mapping[str, str] = {
    ch: "".join(
        dict.fromkeys(ch + _DIACRITICS.get(ch, "") + (ch + _DIACRITICS.get(ch, "")).upper())
    )
    for ch in "abcdefghijklmnopqrstuvwxyz"
}
_FOLD = {v: ch for ch, variants in LOOSE.items() for v in variants}


def loose(text: str) -> str:
    """``text`` as a loose list spells it: lower case, no diacritics, no spaces."""
    return "".join(_FOLD.get(ch, ch) for ch in text if ch != SPACE)


class Lexicon:
    """Any of a list of spellings (a trie), each standing for a normalised value.

    ``fold``: the trie is over :func:`loose` spellings and each of its letters reads the
    model's columns of every case and diacritic of it (:data:`LOOSE`); two values one
    loose spelling stands for (``Habo``, ``Håbo``) are neither read from it."""

    def __init__(self, spellings: Iterable[tuple[str, str]], *, fold: bool = False) -> None:
        self._children: list[dict[str, int]] = [{}]
        self._values: dict[int, str] = {}
        self.equivalents: Mapping[str, str] = LOOSE if fold else {}
        ambiguous: set[int] = set()
        letters: set[str] = set()
        for spelling, value in spellings:
            node = 0
            for ch in loose(spelling) if fold else spelling.replace(SPACE, ""):
                letters.add(ch)
                nxt = self._children[node].get(ch)
                if nxt is None:
                    nxt = len(self._children)
                    self._children.append({})
                    self._children[node][ch] = nxt
                node = nxt
            if node and self._values.setdefault(node, value) != value:
                ambiguous.add(node)
        for node in ambiguous:
            del self._values[node]
        self.alphabet = "".join(sorted(letters))

    def start(self) -> State:
        return 0

    def step(self, state: State, ch: str) -> State | None:
        return self._children[cast(int, state)].get(ch)

    def value(self, state: State) -> str | None:
        return self._values.get(cast(int, state))

    def __len__(self) -> int:
        return len(self._values)


def _month_names() -> dict[int, tuple[str, ...]]:
    """Each month's names as the form's parser reads them (``maj``, ``augusti``, ``aug``),
    in lower case and capitalised."""
    out: dict[int, list[str]] = {}
    for name, month in MONTHS.items():
        out.setdefault(month, []).extend((name, name.capitalize()))
    return {m: tuple(names) for m, names in out.items()}


MONTH_NAMES = _month_names()


def date_spellings(day: dt.date) -> list[str]:
    """The formats the form allows for one date (day first; ISO; compact; the month by
    name: ``29 maj 2023``, ``5 Dec 2021``)."""
    d, m, y = day.day, day.month, day.year
    return [
        *(f"{d} {name} {y}" for name in MONTH_NAMES[m]),
        day.isoformat(),
        f"{y}-{m}-{d}",
        f"{d}/{m} {y}",
        f"{d}/{m}-{y}",
        f"{d}/{m}/{y}",
        f"{d:02d}/{m:02d} {y}",
        f"{d}.{m}.{y}",
        f"{d:02d}.{m:02d}.{y}",
        f"{d}-{m}-{y}",
        f"{y}{m:02d}{d:02d}",
    ]


def dates(earliest: dt.date, latest: dt.date) -> Lexicon:
    """Every date from ``earliest`` to ``latest`` in the formats the form allows."""
    days = (latest - earliest).days
    if days < 0:
        raise ValueError("latest before earliest")
    spellings: list[tuple[str, str]] = []
    for i in range(days + 1):
        day = earliest + dt.timedelta(days=i)
        spellings.extend((s, day.isoformat()) for s in date_spellings(day))
    return Lexicon(spellings)


def names(values: Iterable[str], *, suffixes: Sequence[str] = (), fold: bool = False) -> Lexicon:
    """A list of names, each as written, in lower and upper case, with any suffixes
    (``fold``: in any case and with or without diacritics, see :class:`Lexicon`)."""
    spellings: list[tuple[str, str]] = []
    for name in values:
        for form in (name,) if fold else (name, name.lower(), name.upper()):
            spellings.append((form, name))
            spellings.extend((form + s, name) for s in suffixes)
    return Lexicon(spellings, fold=fold)


def counties(values: Iterable[str], *, fold: bool = False) -> Lexicon:
    """Counties as ``Norrbotten``, ``Norrbottens``, ``Norrbottens län``."""
    return names(values, suffixes=("s", "s län", " län", "slän"), fold=fold)


# ---------------------------------------------------------------- decoding


def _columns(
    characters: Sequence[str],
    index: Mapping[str, int],
    alphabet: str,
    equivalents: Mapping[str, str] = EQUIVALENTS,
) -> list[list[int]]:
    """For each character of ``alphabet`` + space, the model's columns that write it."""
    cols: list[list[int]] = []
    for ch in alphabet + SPACE:
        found = [index[c] for c in equivalents.get(ch, ch) if c in index]
        cols.append(found)
    return cols


def _reduce(probs: np.ndarray, cols: list[list[int]]) -> np.ndarray:
    """(T, 1 + K): the blank, then each character's probability (its equivalents summed)."""
    out = np.zeros((probs.shape[0], len(cols) + 1), dtype=np.float64)
    out[:, 0] = probs[:, BLANK]
    for k, c in enumerate(cols, start=1):
        if c:
            out[:, k] = probs[:, c].sum(axis=1)
    return out


@dataclass(slots=True)
class _Beam:
    pb: float  # ending in a blank
    pnb: float  # ending in its last character
    text: str

    @property
    def total(self) -> float:
        return self.pb + self.pnb


def decode(
    probs: np.ndarray,
    characters: Sequence[str],
    index: Mapping[str, int],
    constraint: Constraint,
    *,
    beam: int = BEAM,
) -> Decoded:
    """The likeliest value ``constraint`` allows in ``probs`` (T × characters)."""
    if probs.ndim != 2 or probs.shape[0] == 0:
        return NOTHING
    alphabet = constraint.alphabet
    own: Mapping[str, str] = getattr(constraint, "equivalents", {})
    equivalents = {**EQUIVALENTS, **own} if own else EQUIVALENTS
    reduced = _reduce(probs, _columns(characters, index, alphabet, equivalents))
    chars = alphabet + SPACE
    space_k = len(chars)  # column of the space (blank is column 0)
    beams: dict[tuple[State, str], _Beam] = {(constraint.start(), ""): _Beam(1.0, 0.0, "")}
    log_scale = 0.0
    for row in reduced:
        active = [k for k in np.nonzero(row[1:] >= MIN_CHAR_P)[0].tolist()]
        new: dict[tuple[State, str], _Beam] = {}
        for (state, last), b in beams.items():
            total = b.total
            _add(new, (state, last), b.text, total * row[0], 0.0)
            if last:
                _add(new, (state, last), b.text, 0.0, b.pnb * row[chars.index(last) + 1])
            for k in active:
                ch = chars[k]
                p = row[k + 1]
                if k + 1 == space_k:
                    if not b.text:
                        continue
                    nstate: State | None = state
                else:
                    nstate = constraint.step(state, ch)
                    if nstate is None:
                        continue
                mass = b.pb * p if ch == last else total * p
                _add(new, (nstate, ch), b.text + ch, 0.0, mass)
        if not new:
            return NOTHING
        kept = sorted(new.items(), key=lambda kv: kv[1].total, reverse=True)[:beam]
        norm = sum(b.total for _, b in kept)
        if norm <= 0.0:
            return NOTHING
        log_scale += math.log(norm)
        beams = {}
        for key, b in kept:
            beams[key] = _Beam(b.pb / norm, b.pnb / norm, b.text)
    by_value: dict[str, tuple[float, str, float]] = {}
    for (state, _), b in beams.items():
        value = constraint.value(state)
        if value is None:
            continue
        total, text, best = by_value.get(value, (0.0, "", 0.0))
        if b.total > best:
            text, best = b.text.strip(), b.total
        by_value[value] = (total + b.total, text, best)
    free_text, free_log = free_decode(probs, characters)
    if not by_value:
        return Decoded(None, "", 0.0, 0.0, None, free_text)
    ranked = sorted(by_value.items(), key=lambda kv: kv[1][0], reverse=True)
    value, (p_best, text, _) = ranked[0]
    p_second = ranked[1][1][0] if len(ranked) > 1 else 0.0
    log_best = math.log(p_best) + log_scale if p_best > 0 else -math.inf
    score = 1.0 if log_best >= free_log else math.exp(log_best - free_log)
    return Decoded(
        value=value,
        text=text,
        score=score,
        margin=p_best / (p_best + p_second) if p_best > 0 else 0.0,  # no mass left: none
        runner_up=ranked[1][0] if len(ranked) > 1 else None,
        free_text=free_text,
        probability=math.exp(log_best) if log_best > -700 else 0.0,
    )


def _add(
    new: dict[tuple[State, str], _Beam], key: tuple[State, str], text: str, pb: float, pnb: float
) -> None:
    b = new.get(key)
    if b is None:
        new[key] = _Beam(pb, pnb, text)
    else:
        b.pb += pb
        b.pnb += pnb


def free_decode(
    probs: np.ndarray, characters: Sequence[str], *, beam: int = FREE_BEAM
) -> tuple[str, float]:
    """The likeliest string of any characters and its log probability (a prefix beam)."""
    read = free_read(probs, characters, beam=beam)
    return read.text, read.log_p


@dataclass(frozen=True, slots=True)
class FreeRead:
    """The likeliest string of any characters (a name: no list to hold it to)."""

    text: str
    log_p: float  # its log probability (a beam's lower bound)
    margin: float  # P(text) / (P(text) + P(runner-up)) among strings that differ in more
    # than case and spaces: 0.5 a tie, 1.0 no rival
    runner_up: str


def _plain(text: str) -> str:
    return " ".join(text.casefold().split())


def free_read(probs: np.ndarray, characters: Sequence[str], *, beam: int = FREE_BEAM) -> FreeRead:
    """:func:`free_decode` with the best string's margin over its rival."""
    if probs.ndim != 2 or probs.shape[0] == 0:
        return FreeRead("", -math.inf, 0.0, "")
    beams: dict[str, _Beam] = {"": _Beam(1.0, 0.0, "")}
    log_scale = 0.0
    for row in probs:
        active = [int(i) for i in np.nonzero(row >= FREE_MIN_CHAR_P)[0] if i != BLANK]
        new: dict[str, _Beam] = {}
        for text, b in beams.items():
            total = b.total
            last = text[-1:] if text else ""
            nb = new.setdefault(text, _Beam(0.0, 0.0, text))
            nb.pb += total * float(row[BLANK])
            for i in active:
                ch = characters[i]
                p = float(row[i])
                if ch == last:
                    nb.pnb += b.pnb * p
                    ext = new.setdefault(text + ch, _Beam(0.0, 0.0, text + ch))
                    ext.pnb += b.pb * p
                else:
                    ext = new.setdefault(text + ch, _Beam(0.0, 0.0, text + ch))
                    ext.pnb += total * p
        kept = sorted(new.items(), key=lambda kv: kv[1].total, reverse=True)[:beam]
        norm = sum(b.total for _, b in kept)
        if norm <= 0.0:
            return FreeRead("", -math.inf, 0.0, "")
        log_scale += math.log(norm)
        beams = {t: _Beam(b.pb / norm, b.pnb / norm, t) for t, b in kept}
    by_plain: dict[str, tuple[float, str, float]] = {}  # case and spaces aside
    for t, b in beams.items():
        key = _plain(t)
        total, best_text, best = by_plain.get(key, (0.0, t, -1.0))
        if b.total > best:
            best_text, best = t, b.total
        by_plain[key] = (total + b.total, best_text, best)
    text = max(beams.items(), key=lambda kv: kv[1].total)[0]
    top = by_plain[_plain(text)][0]
    rival = max((v for k, v in by_plain.items() if k != _plain(text)), default=None)
    p_rival = rival[0] if rival else 0.0
    return FreeRead(
        text=text,
        log_p=math.log(beams[text].total) + log_scale,
        margin=top / (top + p_rival) if top > 0 else 0.0,
        runner_up=rival[1] if rival else "",
    )


PLACE_LETTERS = "abcdefghijklmnopqrstuvwxyzåäöéüABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖÉÜ,"


class AfterWords:
    """``inner`` after any words (``Skellefteå 2023-05-11``: the place before the date)."""

    def __init__(self, inner: Constraint, words: str = PLACE_LETTERS) -> None:
        self._inner = inner
        self._words = words
        self.alphabet = "".join(sorted(set(inner.alphabet) | set(words)))

    def start(self) -> State:
        return ("words", None)

    def step(self, state: State, ch: str) -> State | None:
        where, inner = cast(tuple[str, State], state)
        if where == "words":
            nxt = self._inner.step(self._inner.start(), ch)
            if nxt is not None:
                return ("value", nxt)
            return state if ch in self._words else None
        nxt = self._inner.step(inner, ch)
        return None if nxt is None else ("value", nxt)

    def value(self, state: State) -> str | None:
        where, inner = cast(tuple[str, State], state)
        return self._inner.value(inner) if where == "value" else None


PLACE_END = ",0123456789d"  # what may follow a place: a comma, the date, "den"
# the date after a place (a loose list's letters stand for either case: "Maj" too)
DATE_WORDS = "0123456789-/.,abcdefghijklmnopqrstuvwxyz"


class ThenWords:
    """``inner`` and then, optionally, any words (``Skellefteå 2023-05-11``: the place
    read from the region it shares with the date). The words must start with one of
    ``first`` (so ``Mark`` + ``aryd`` is not read as the place Mark)."""

    def __init__(self, inner: Constraint, words: str = DATE_WORDS, first: str = PLACE_END) -> None:
        self._inner = inner
        self._words = words
        self._first = first
        self.equivalents: Mapping[str, str] = getattr(inner, "equivalents", {})
        self.alphabet = "".join(sorted(set(inner.alphabet) | set(words)))

    def start(self) -> State:
        return ("value", self._inner.start())

    def step(self, state: State, ch: str) -> State | None:
        where, inner = cast(tuple[str, State], state)
        if where == "words":
            return state if ch in self._words else None
        nxt = self._inner.step(inner, ch)
        if nxt is not None:
            return ("value", nxt)
        value = self._inner.value(inner)
        if value is not None and ch in self._first:
            return ("words", value)
        return None

    def value(self, state: State) -> str | None:
        where, inner = cast(tuple[str, State], state)
        return cast(str, inner) if where == "words" else self._inner.value(inner)
