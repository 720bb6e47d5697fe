"""Scanned page images into a PDF the way scanners write them: one image per page,
JPEG (DCT), CCITT G4 or 1-bit Flate, page size from the image's resolution.
"""

from __future__ import annotations

import io

import img2pdf
import pypdf
from PIL import Image

from samples.scanner import ScanSpec


def encode_page(img: Image.Image, spec: ScanSpec) -> bytes:
    """The image file img2pdf embeds without re-encoding."""
    buf = io.BytesIO()
    dpi = (spec.dpi, spec.dpi)
    if spec.colour == "bw-g4":
        img.save(buf, "TIFF", compression="group4", dpi=dpi)
    elif spec.colour == "bw-flate":
        img.save(buf, "PNG", dpi=dpi, optimize=False)
    else:
        img.save(buf, "JPEG", quality=spec.jpeg_quality, dpi=dpi)
    return buf.getvalue()


def write_pdf(pages: list[bytes], *, pdf_rotate: list[int] | None = None) -> bytes:
    """A PDF of ``pages`` (encoded images); ``pdf_rotate`` sets /Rotate per page."""
    data: bytes = img2pdf.convert(pages, nodate=True, engine=img2pdf.Engine.internal)
    if not pdf_rotate or not any(pdf_rotate):
        return data
    reader = pypdf.PdfReader(io.BytesIO(data))
    writer = pypdf.PdfWriter()
    for page, angle in zip(reader.pages, pdf_rotate, strict=True):
        if angle:
            page.rotate(angle)
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
