"""Marks a page collects on its way to the scanner: the county board's received stamp
(``INKOM`` with its own date and a case number: a date the engine must not take for the
signing date) and punch holes from the binder.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from samples.canvas import A4_MM, Canvas, font

STAMP_INKS = ((170, 30, 45), (95, 40, 140), (30, 60, 150))


@dataclass(frozen=True, slots=True)
class Extras:
    """Choices drawn from their own random stream, so adding them changed no other choice."""

    stamp: bool
    stamp_days: int
    stamp_board: str
    punch_holes: bool
    flip_page: int | None  # a page (0-based) of a batch fed upside down, alone
    edge_shadow: str | None  # "left", "right", "top" or "bottom": the lid's shadow


def draw_stamp(
    canvas: Canvas, rng: random.Random, *, board: str, received: dt.date, font_path: str
) -> None:
    """A rubber stamp near the top right corner, slightly turned, in red or violet ink."""
    dpi = canvas.dpi
    w, h = round(62 / 25.4 * dpi), round(24 / 25.4 * dpi)
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    stroke = max(1, round(dpi / 150))
    draw.rounded_rectangle(
        (stroke, stroke, w - stroke, h - stroke), radius=h // 8, outline=255, width=stroke * 2
    )
    lines = (
        board.upper(),
        f"INKOM {received.isoformat()}",
        f"Dnr {rng.randint(100, 899)}-{rng.randint(1000, 19999)}-{received.year % 100:02d}",
    )
    sizes = (0.2, 0.27, 0.2)
    y = h * 0.1
    for text, rel in zip(lines, sizes, strict=True):
        size = round(h * rel)
        f = font(font_path, size)
        if f.getlength(text) > w * 0.88:
            f = font(font_path, max(6, int(size * w * 0.88 / f.getlength(text))))
        draw.text((w / 2, y), text, font=f, fill=255, anchor="ma")
        y += h * rel * 1.25
    mask = mask.rotate(rng.uniform(-5, 5), expand=True, resample=Image.Resampling.BILINEAR)
    # worn stamp: knock out some ink
    noise = np.random.default_rng(rng.getrandbits(32)).random((mask.size[1], mask.size[0]))
    keep = np.where(noise < 0.25, 0.35, 1.0)
    mask = Image.fromarray((np.asarray(mask) * keep).astype(np.uint8))
    x = canvas.px(rng.uniform(112, 132))
    y0 = canvas.px(rng.uniform(6, 30))
    ink = Image.new(canvas.image.mode, mask.size, canvas.ink(rng.choice(STAMP_INKS)))
    canvas.image.paste(ink, (x, y0), mask)


def punch_holes(canvas: Canvas) -> None:
    """Two binder holes in the left margin: dark where the scanner lid shows through."""
    r = canvas.px(3)
    x = canvas.px(12)
    for y_mm in (A4_MM[1] / 2 - 40, A4_MM[1] / 2 + 40):
        y = canvas.px(y_mm)
        canvas.draw.ellipse((x - r, y - r, x + r, y + r), fill=canvas.ink((60, 60, 60)))


def edge_shadow(canvas: Canvas, side: str) -> None:
    """A dark band fading inwards along one edge, where the scanner lid did not close."""
    w, h = canvas.image.size
    band = canvas.px(6)
    ramp = (np.linspace(1.0, 0.0, band) ** 2 * 200).astype(np.uint8)
    if side in ("left", "right"):
        mask = np.tile(ramp if side == "left" else ramp[::-1], (h, 1))
        at = (0, 0) if side == "left" else (w - band, 0)
    else:
        mask = np.tile((ramp if side == "top" else ramp[::-1])[:, None], (1, w))
        at = (0, 0) if side == "top" else (0, h - band)
    dark = Image.new(canvas.image.mode, (mask.shape[1], mask.shape[0]), canvas.ink((50, 50, 50)))
    canvas.image.paste(dark, at, Image.fromarray(mask))
