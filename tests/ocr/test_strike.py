"""A value struck through on paper is told from one printed clean (ocr.strike).

Small generated crops: a typed value drawn in a sans font at 300 dpi, once clean, once
crossed out with two pen strokes through its middle (as the code bench's changed forms
are), once with a dash and letters with long bars (the print most like a stroke), and a
solid block of ink. The value's box is where OCR would put it: its letters' ink.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr.model import FieldValue
from ocr.strike import FLAG, STROKE_MIN, stroke_length, struck_fields, struck_flags

_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TH = 34.0  # text height at 300 dpi for 11.5 pt type (about what the layout measures)


def _page(
    text: str, *, strokes: int = 0, blot: bool = False, rule: bool = False
) -> tuple[np.ndarray, tuple]:
    image = Image.new("L", (900, 160), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(_FONT, 48)
    draw.text((60, 50), text, font=font, fill=20)
    x0, y0, x1, y1 = draw.textbbox((60, 50), text, font=font)
    mid = (y0 + y1) / 2
    for i in range(strokes):  # a pen's strokes, from just before the value to just after
        dy = 5 * (2 * i - strokes + 1)
        draw.line((x0 - 12, mid + dy, x1 + 12, mid + dy + 2), fill=40, width=3)
    if blot:
        draw.rectangle((x0, y0, x1, y1), fill=30)
    if rule:  # the form's line, and a box that reaches down to it (tall hand-written ink)
        draw.line((40, y1 + 8, 880, y1 + 8), fill=20, width=2)
        y1 += 30
    return np.asarray(image), (x0, y0, x1, y1)


def _field(box: tuple, shape: tuple[int, ...], value: str = "x") -> FieldValue:
    h, w = shape
    x0, y0, x1, y1 = box
    return FieldValue(value, 0.95, 1, (x0 / w, y0 / h, x1 / w, y1 / h))


@pytest.mark.parametrize("strokes", [1, 2])
def test_a_value_crossed_out_is_struck(strokes: int) -> None:
    grey, box = _page("Arvidsjaur", strokes=strokes)
    assert stroke_length(grey, box, TH) >= STROKE_MIN
    assert struck_fields(grey, {"place": _field(box, grey.shape)}, TH) == ["place"]
    assert struck_flags(grey, {"place": _field(box, grey.shape)}, TH) == [FLAG.format("place")]


@pytest.mark.parametrize("text", ["Arvidsjaur", "556036-0793", "EEE HHH", "Vice VD – Ekerö"])
def test_a_clean_value_is_not_struck(text: str) -> None:
    grey, box = _page(text)
    assert stroke_length(grey, box, TH) < STROKE_MIN
    assert struck_fields(grey, {"place": _field(box, grey.shape)}, TH) == []


def test_the_rule_a_value_is_written_on_is_not_a_stroke() -> None:
    grey, box = _page("Jokkmokk, 22.9.2022", rule=True)
    assert stroke_length(grey, box, TH) < STROKE_MIN
    struck, box = _page("Jokkmokk", strokes=2, rule=True)
    assert stroke_length(struck, box, TH) >= STROKE_MIN


def test_a_short_value_crossed_out_is_struck() -> None:
    grey, box = _page("Luleå", strokes=2)
    assert struck_fields(grey, {"place": _field(box, grey.shape)}, TH) == ["place"]


def test_a_solid_block_of_ink_is_not_a_stroke() -> None:
    grey, box = _page("Arvidsjaur", blot=True)
    assert stroke_length(grey, box, TH) == 0.0


def test_only_the_struck_field_is_named_and_shared_ink_is_judged_once() -> None:
    struck, box = _page("Arvidsjaur", strokes=2)
    clean, clean_box = _page("Arvidsjaur")
    page = np.vstack([struck, clean])
    h = struck.shape[0]
    lower = (clean_box[0], clean_box[1] + h, clean_box[2], clean_box[3] + h)
    fields = {
        "place": _field(box, page.shape),
        "signed_date": _field(box, page.shape),  # the same row's ink: judged as the place
        "signatory_name": _field(lower, page.shape),
        "email": FieldValue.missing(),
    }
    assert struck_fields(page, fields, TH) == ["place"]
