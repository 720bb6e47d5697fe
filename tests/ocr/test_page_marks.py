"""Page-level clean-up in ocr.pipeline before the page is read: binder's punch holes."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr.pages import PageImage
from ocr.pipeline import _no_holes

_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def test_a_punch_hole_touching_a_label_is_painted_over_and_the_letters_kept() -> None:
    """A binder's hole (6 mm across at 300 dpi: 71 px) touching "Förtydligande" is
    painted paper white; the letters stay. A bold bar as thick as the hole (a table's
    heading) is no hole, and a hole alone in the margin is left as it is."""
    img = Image.new("L", (2480, 1600), 235)
    draw = ImageDraw.Draw(img)
    draw.ellipse((106, 465, 177, 536), fill=60)
    draw.text((175, 470), "Förtydligande", fill=20, font=ImageFont.truetype(_FONT, 44))
    draw.rectangle((300, 900, 2000, 975), fill=20)
    draw.ellipse((106, 1300, 177, 1371), fill=60)  # nothing near it
    page = PageImage(0, np.asarray(img), 300.0, False)
    clean = _no_holes(page).image
    assert clean[500, 141] == 235  # the hole's centre is paper
    letters = (slice(460, 540), slice(190, 600))
    assert (clean[letters] < 128).sum() == (page.image[letters] < 128).sum()
    assert (clean[900:975, 300:2000] == 20).all()
    assert clean[1335, 141] == 60
