"""Where a page draws its one image: is it a full-page scan we may take as stored?

A scanner's PDF page is ``q W 0 0 H 0 0 cm /Im0 Do Q`` (sometimes with an invisible
text layer). The image is taken as stored only when it is drawn upright, unflipped and
covers most of the page; anything else (rotated by the matrix, a logo on a letter) is
left to the renderer, which draws exactly what a viewer shows.
"""

from __future__ import annotations

from typing import Any

import pypdf
from pypdf.generic import ContentStream

from ocr.matrix import IDENTITY, Matrix, multiply
from ocr.pdf import PageInfo

_MAX_PARSED_CONTENT = 256 * 1024  # parse content streams up to this size (pure Python)
_MIN_COVER = 0.85


def full_page_image(page: pypdf.PageObject, info: PageInfo) -> tuple[float, float] | None:
    """The placed size in points of the page's one image when it is a full-page scan."""
    image = info.images[0]
    matrix = _image_matrix(page, image.name)
    page_area = info.width_pt * info.height_pt
    if matrix is None:  # content too large to parse: judge by aspect ratio alone
        aspect_img = image.width / image.height
        aspect_page = info.width_pt / info.height_pt
        if abs(aspect_img / aspect_page - 1.0) > 0.03:
            return None
        return info.width_pt, info.height_pt
    a, b, c, d, _, _ = matrix
    if abs(b) > 1e-6 or abs(c) > 1e-6 or a <= 0 or d <= 0:
        return None
    if a * d < _MIN_COVER * page_area:
        return None
    return a, d


def _image_matrix(page: pypdf.PageObject, name: str) -> Matrix | None:
    contents = page.get_contents()
    if contents is None:
        return None
    data = contents.get_data()
    if len(data) > _MAX_PARSED_CONTENT:
        return None
    ops = ContentStream(contents, page.pdf).operations
    return _find_do(ops, name)


def _find_do(ops: list[tuple[Any, bytes]], name: str) -> Matrix | None:
    ctm = IDENTITY
    stack: list[Matrix] = []
    for operands, operator in ops:
        if operator == b"q":
            stack.append(ctm)
        elif operator == b"Q":
            ctm = stack.pop() if stack else IDENTITY
        elif operator == b"cm" and len(operands) == 6:
            m = tuple(float(v) for v in operands)
            ctm = multiply(m, ctm)
        elif operator == b"Do" and operands and str(operands[0]) == name:
            return ctm
    return None
