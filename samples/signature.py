"""Handwriting-like signatures: a name set in a script font, slanted, rotated and inked;
or a freehand scribble of random Bézier strokes.

The signature is drawn as a mask into its own layer and pasted onto the page in ink,
so its ink bounding box is exact.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from samples.canvas import Box, Canvas, font

INKS: dict[str, tuple[int, int, int]] = {
    "blue": (28, 52, 160),
    "dark-blue": (20, 30, 110),
    "black": (25, 25, 30),
}


_PLAIN = str.maketrans("åäöÅÄÖéÉ", "aaoAAOeE")


def _has_glyph(f: ImageFont.FreeTypeFont, ch: str) -> bool:
    """False when the font would draw its .notdef box (or nothing) for ``ch``."""
    if ch.isspace():
        return True
    mask = f.getmask(ch)
    if 0 in mask.size or mask.getbbox() is None:
        return False
    return bytes(mask) != bytes(f.getmask("\U0010fffd"))


def _drawable(text: str, f: ImageFont.FreeTypeFont) -> str:
    return "".join(ch if _has_glyph(f, ch) else ch.translate(_PLAIN) for ch in text)


def _signed_text(rng: random.Random, name: str) -> str:
    parts = name.split()
    style = rng.randrange(4)
    if style == 0:
        return name
    if style == 1:
        return f"{parts[0][0]}. {parts[-1]}"
    if style == 2:
        return f"{parts[0]} {parts[1][0]}"
    return parts[-1]


def _bezier(p: list[tuple[float, float]], steps: int = 40) -> list[tuple[float, float]]:
    out = []
    for i in range(steps + 1):
        t = i / steps
        a = (1 - t) ** 3
        b = 3 * (1 - t) ** 2 * t
        c = 3 * (1 - t) * t**2
        d = t**3
        out.append(
            (
                a * p[0][0] + b * p[1][0] + c * p[2][0] + d * p[3][0],
                a * p[0][1] + b * p[1][1] + c * p[2][1] + d * p[3][1],
            )
        )
    return out


def _scribble(rng: random.Random, w: int, h: int, stroke: int) -> Image.Image:
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    x, y = w * 0.05, h * rng.uniform(0.4, 0.7)
    for _ in range(rng.randint(3, 6)):
        nx = min(w * 0.95, x + w * rng.uniform(0.12, 0.3))
        ny = h * rng.uniform(0.2, 0.8)
        ctrl = [
            (x, y),
            (x + (nx - x) * rng.uniform(-0.5, 1.5), h * rng.uniform(0, 1)),
            (x + (nx - x) * rng.uniform(-0.5, 1.5), h * rng.uniform(0, 1)),
            (nx, ny),
        ]
        draw.line(_bezier(ctrl), fill=255, width=stroke, joint="curve")
        x, y = nx, ny
    return mask


def _script(
    rng: random.Random, text: str, font_path: str, w: int, h: int, stroke: int
) -> Image.Image:
    size = int(h * rng.uniform(0.45, 0.7))
    f = font(font_path, size)
    text = _drawable(text, f)
    length = f.getlength(text)
    if length > w * 0.95:
        f = font(font_path, max(8, int(size * w * 0.95 / length)))
    mask = Image.new("L", (w * 2, h * 2), 0)
    draw = ImageDraw.Draw(mask)
    draw.text(
        (w * 0.5, h), text, font=f, fill=255, anchor="lm", stroke_width=stroke, stroke_fill=255
    )
    if rng.random() < 0.5:  # a flourish under the name
        bb = mask.getbbox() or (0, 0, w, h)
        y0 = bb[3] - (bb[3] - bb[1]) * 0.1
        pts = [
            (bb[0], y0),
            (bb[0] + (bb[2] - bb[0]) * 0.4, y0 + h * 0.15),
            (bb[2] - (bb[2] - bb[0]) * 0.2, y0 - h * 0.1),
            (bb[2] + w * 0.05, y0),
        ]
        draw.line(_bezier(pts), fill=255, width=max(1, stroke + 1), joint="curve")
    slant = rng.uniform(-0.35, 0.15)
    mask = mask.transform(
        mask.size,
        Image.Transform.AFFINE,
        (1, slant, -slant * h, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )
    mask = mask.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BILINEAR, center=(w, h))
    ink = mask.getbbox()
    return mask.crop(ink) if ink else mask


@dataclass(frozen=True, slots=True)
class Signed:
    box: Box  # ink box in page pixels
    style: str  # the script font's file stem, or "scribble"


def draw_signature(
    canvas: Canvas, rng: random.Random, *, name: str, font_path: str, area: Box, ink: str
) -> Signed:
    """Sign ``name`` inside ``area`` (pixels; ink may spill over)."""
    x0, y0, x1, y1 = area
    w, h = max(x1 - x0, 8), max(y1 - y0, 8)
    stroke = rng.choice((0, 0, 1, 2)) * max(1, canvas.dpi // 200)
    scribble = rng.random() < 0.2
    if scribble:
        sw = int(w * rng.uniform(0.35, 0.7))
        mask = _scribble(
            rng, sw, int(h * rng.uniform(0.6, 1.1)), max(1, int(canvas.dpi / 150) + stroke)
        )
    else:
        mask = _script(
            rng,
            _signed_text(rng, name),
            font_path,
            int(w * rng.uniform(0.5, 0.95)),
            int(h * rng.uniform(0.8, 1.3)),
            stroke,
        )
    if canvas.dpi >= 300:
        mask = mask.filter(ImageFilter.GaussianBlur(0.4))
    mw, mh = mask.size
    px = x0 + int(max(0, w - mw) * rng.uniform(0.0, 0.6))
    # baseline region: the lower part of the area; sometimes dips over the line / label
    py = y1 - mh + int(mh * rng.uniform(-0.15, 0.35))
    ink_layer = Image.new(canvas.image.mode, mask.size, canvas.ink(INKS[ink]))
    canvas.image.paste(ink_layer, (px, py), mask)
    bb = mask.getbbox() or (0, 0, mw, mh)
    page_w, page_h = canvas.image.size
    box = (
        max(0, px + bb[0]),
        max(0, py + bb[1]),
        min(page_w, px + bb[2]),
        min(page_h, py + bb[3]),
    )
    return Signed(box, "scribble" if scribble else Path(font_path).stem)
