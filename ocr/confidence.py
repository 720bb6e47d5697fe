"""Calibrated confidence of a value read from a page.

A raw score combines what we know about one value:

- Tesseract's word confidences (the weakest word counts),
- whether the parser found the value valid (Luhn check, a real date, a known county,
  an e-mail shape) and how much it had to repair,
- how well the label matched its profile variant,
- whether two reads agree (the stacked page read at 200 dpi and a second read of the
  value region alone at up to 300 dpi; for e-mail the Swedish and the English read),
- whether another look contradicts the reads: the region holds more digit-sized pieces
  of ink than the digits read there (or more letter-sized pieces than the characters
  read), or pixels prepared otherwise read another date.

The raw score is mapped to a probability of being right by :data:`CALIBRATION`, a
monotone piecewise-linear table. It was set from measurements on the dev split
(generated samples, seed 1, 40 files, 432 values: after the last changes every value
the engine gave with confidence >= 0.9 was right) and checked on a fresh dev seed
(seed 3, 40 files, 373 values: 0 wrong values at >= 0.9, 92 % of values at >= 0.9).
``tests/ocr/test_engine_calibration.py`` keeps checking it on a further dev seed.
A value under :data:`SURE` gets the flag ``low_confidence:<field>``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SURE = 0.9
UNCHECKED_CAP = 0.75  # raw score of an unchecked value (a name) read only once
CORRECTED_CAP = 0.7  # raw score of a value corrected to a known name (never sure)
REREAD_BELOW = 85.0  # weakest word confidence under which a value is read again
WEAK_DIGITS = 85.0  # weakest word under which digits nothing checks (a date) are not sure
LOOK_AGAIN_DIGITS = 90.0  # weakest word under which such digits are looked at again
UNCHECKED_DIGITS = frozenset({"signed_date"})

# (raw score, calibrated confidence) knots, piecewise linear, monotone.
# raw >= 0.80 was right in every case seen on the dev split; below 0.55 often wrong.
CALIBRATION: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (0.30, 0.10),
    (0.55, 0.50),
    (0.70, 0.80),
    (0.80, 0.92),
    (0.90, 0.97),
    (1.00, 0.99),
)

# fields whose parser checks the shape (a valid parse is strong evidence)
CHECKED = frozenset({"organisation_number", "signed_date", "county", "email"})


@dataclass(frozen=True, slots=True)
class Evidence:
    field: str
    word_conf: float  # weakest word, 0..100
    valid: bool
    certainty: float  # parser's own certainty 0..1
    label_score: float  # 0..1
    agrees: bool | None = None  # a second read gave the same value (None: not tried)
    corrected: bool = False  # a list of known names or another field changed what was read
    known: bool = False  # read exactly as a name of a closed list (a municipality, a title)
    doubted: bool = False  # another look contradicts the reads (ink left unread, a prepared read)


def raw_score(e: Evidence) -> float:
    if not e.valid:
        return min(0.3, e.word_conf / 100 * 0.3)
    ocr = float(np.clip((e.word_conf - 40.0) / 55.0, 0.0, 1.0))
    checked = e.field in CHECKED or e.known  # a closed list checks a name as a parser does
    base = 0.55 + 0.45 * ocr if checked else ocr
    base *= e.certainty
    base *= 0.7 + 0.3 * e.label_score
    if e.agrees is True:
        base = min(1.0, base + 0.1)
    elif e.agrees is False:
        base *= 0.6
    if not checked and e.agrees is not True:
        base = min(base, UNCHECKED_CAP)  # a name nothing can check needs two reads agreeing
    if e.field in UNCHECKED_DIGITS and e.word_conf < WEAK_DIGITS:
        # handwritten digits: a 9 read as 3 twice is still a valid date; nothing checks it
        base = min(base, UNCHECKED_CAP)
    if e.doubted:
        # "11" read as "1" at every resolution alike: the reads agree, the ink does not
        base = min(base, UNCHECKED_CAP)
    if e.corrected:
        base = min(base, CORRECTED_CAP)  # a repaired read is a good guess for a person to confirm
    return float(np.clip(base, 0.0, 1.0))


def calibrate(raw: float) -> float:
    xs, ys = zip(*CALIBRATION, strict=True)
    return float(np.interp(raw, xs, ys))


def confidence(e: Evidence) -> float:
    return calibrate(raw_score(e))


def low_flag(field: str) -> str:
    return f"low_confidence:{field}"
