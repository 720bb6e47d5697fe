"""Sane limits on what a PDF may ask of us.

A scanned declaration is a few pages of 200–600 dpi images. Anything far beyond that
is a mistake or an attack (a decompression bomb: a small stream declaring a huge
image), and is refused *before* anything is decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Upper bounds checked by :func:`ocr.pdf.open_pdf` and :mod:`ocr.pages`.

    ``max_page_pixels``: 600 dpi A3 is about 70 Mpx, so 120 Mpx leaves room.
    ``max_stream_bytes``: the largest decoded (or declared) stream we will hold.
    ``max_total_pixels``: the sum over all page images of one file.
    ``max_content_bytes``: what one page's content streams (its own and its forms')
    may inflate to; a scan's is a few hundred bytes, a page of vector text some KB.
    ``max_images_per_page``: image and form XObjects met on one page, each counted once.
    """

    max_bytes: int = 200 * MB
    max_pages: int = 200
    max_page_pixels: int = 120_000_000
    max_stream_bytes: int = 256 * MB
    max_total_pixels: int = 2_000_000_000
    max_images_per_page: int = 64
    max_content_bytes: int = 64 * MB
    render_dpi: float = 300.0


DEFAULT_LIMITS = Limits()
