"""Hard signing rows, as an outside corpus showed them (opt-in: ``--signing-hazards``).

Signed forms whose signature is written across its ``Underskrift`` label (out of the
space left for it, into the label beside, above or under it), blocks whose labels stand
small under the lines, and unsigned forms with something in the signing space that is
no signature: a received or company stamp, specks, the signer's name typed near the
line. A quarter of the signed forms are left unsigned, so that the unsigned ones the
signature model is fitted and checked on are not few.

Every choice comes from its own random stream (``hazard:seed:split:index``), so a
sample drawn with hazards differs from the one drawn without only in these marks (and
in the forms left unsigned).
"""

from __future__ import annotations

import random
from dataclasses import replace

from PIL import Image, ImageDraw

from samples.canvas import Box, Canvas, font
from samples.layouts import BlockStyle

STAMP_INKS = ((170, 30, 45), (95, 40, 140), (30, 60, 150), (40, 40, 45))
UNSIGNED_KINDS = ("stamp", "specks", "typed_name", "none")
UNSIGN_SHARE = 0.25  # of the signed forms, left unsigned
ACROSS_SHARE = 0.4  # of the signed forms, signed across the label
SMALL_LABEL_SHARE = 0.5  # of the blocks with labels under or above the lines

# where the signature label stands, seen from the space left for signing
_LABEL_SIDE = {
    "label_left": "left",
    "table": "left",
    "two_column": "left",
    "letterhead": "left",
    "label_above": "above",
    "label_under": "below",
}


def hazard_rng(seed: int, split: str, index: int, form: int) -> random.Random:
    return random.Random(f"hazard:{seed}:{split}:{index}:{form}")


def unsign(rng: random.Random, signed: bool) -> bool:
    """Whether this signed form is to be left unsigned."""
    return signed and rng.random() < UNSIGN_SHARE


def restyle(style: BlockStyle, rng: random.Random) -> BlockStyle:
    """Labels under (or above) the lines set small: 6-7.5 pt."""
    if style.family in ("label_under", "label_above") and rng.random() < SMALL_LABEL_SHARE:
        return replace(style, label_pt=rng.uniform(6.0, 7.5))
    return style


def signing_area(
    canvas: Canvas, rng: random.Random, family: str, area: Box
) -> tuple[Box, str | None]:
    """The area the signer writes in: the one left for it, or (``across_label``) one
    moved over the signature label so the strokes cross its letters."""
    if rng.random() >= ACROSS_SHARE:
        return area, None
    x0, y0, x1, y1 = area
    w = x1 - x0
    side = _LABEL_SIDE.get(family, "left")
    if side == "left":  # the label is set at the block's left edge, its column 28-68 mm
        d = canvas.px(rng.uniform(8, 22) if family == "letterhead" else rng.uniform(25, 50))
        nx0 = max(0, x0 - d)
        return (nx0, y0, nx0 + int(w * rng.uniform(0.55, 0.9)), y1), "across_label"
    if side == "above":
        d = canvas.px(rng.uniform(4, 7))
        return (x0, y0 - d, x1, y1 - d), "across_label"
    d = canvas.px(rng.uniform(3, 6))  # label under the line: the strokes run down into it
    return (x0, y0 + d, x1, y1 + d), "across_label"


def draw_distractor(
    canvas: Canvas,
    rng: random.Random,
    area: Box,
    *,
    name: str,
    value_font: str,
    label_font: str,
    value_pt: float,
) -> str | None:
    """Something in the signing space of an unsigned form that is no signature."""
    kind = rng.choice(UNSIGNED_KINDS)
    x0, y0, x1, y1 = area
    w, h = max(8, x1 - x0), max(8, y1 - y0)
    if kind == "stamp":
        _stamp(canvas, rng, area, label_font)
    elif kind == "specks":
        dpi = canvas.dpi
        for _ in range(rng.randint(3, 25)):
            cx, cy = x0 + rng.uniform(0, w), y0 + rng.uniform(0.2 * h, 1.1 * h)
            r = max(1.0, rng.uniform(0.1, 0.35) * dpi / 25.4)
            g = rng.randint(20, 120)
            canvas.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=canvas.ink((g, g, g)))
        if rng.random() < 0.4:  # a pen touched down: a short tick
            cx, cy = x0 + rng.uniform(0, w * 0.8), y0 + rng.uniform(0.4 * h, h)
            dx = rng.uniform(0.5, 2.0) * dpi / 25.4
            canvas.draw.line(
                (cx, cy, cx + dx, cy - dx * rng.uniform(-0.5, 0.5)),
                fill=canvas.ink((30, 40, 120)),
                width=max(1, dpi // 200),
            )
    elif kind == "typed_name":
        pt = value_pt * rng.uniform(0.85, 1.1)
        x_mm = canvas.mm(x0) + rng.uniform(0, max(1.0, canvas.mm(w) * 0.4))
        base = canvas.mm(y1) - rng.uniform(0.8, 2.0)
        canvas.text(x_mm, base, name, value_font, pt)
    else:
        return None
    return kind


def _stamp(canvas: Canvas, rng: random.Random, area: Box, font_path: str) -> None:
    """A small rubber stamp (border, two or three lines of capitals) in the signing space."""
    dpi = canvas.dpi
    x0, y0, x1, y1 = area
    w = round(rng.uniform(30, 45) / 25.4 * dpi)
    h = round(rng.uniform(9, 14) / 25.4 * dpi)
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    stroke = max(1, round(dpi / 150))
    draw.rectangle((stroke, stroke, w - stroke, h - stroke), outline=255, width=stroke * 2)
    day = f"{rng.randint(2023, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    case = f"DNR {rng.randint(100, 899)}-{rng.randint(1000, 9999)}"
    lines = rng.choice((("INKOM", day), ("KOPIA",), ("MOTTAGET", case)))
    y = h * 0.15
    size = round(h * 0.7 / (len(lines) * 1.2))
    for text in lines:
        f = font(font_path, size)
        draw.text((w / 2, y), text, font=f, fill=255, anchor="ma")
        y += size * 1.25
    mask = mask.rotate(rng.uniform(-6, 6), expand=True, resample=Image.Resampling.BILINEAR)
    px = x0 + int(max(0, x1 - x0 - mask.size[0]) * rng.uniform(0, 1))
    py = y1 - mask.size[1] + int(mask.size[1] * rng.uniform(-0.3, 0.3))
    ink = canvas.ink(rng.choice(STAMP_INKS))
    canvas.image.paste(Image.new(canvas.image.mode, mask.size, ink), (px, py), mask)
