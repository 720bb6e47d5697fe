"""Small real files for the ingest tests: unique one-page scan PDFs and bad files."""

from __future__ import annotations

import io
import random

import img2pdf
import pypdf
from PIL import Image, ImageDraw


def scan_pdf(seed: int, *, size: tuple[int, int] = (827, 1170), noise: int = 0) -> bytes:
    """A one-page 100 dpi greyscale 'scan', different for every ``seed``; ``noise`` rows
    of random pixels make it larger (they do not compress)."""
    image = Image.new("L", size, 255)
    if noise:
        image.paste(
            Image.frombytes("L", (size[0], noise), random.Random(seed).randbytes(size[0] * noise)),
            (0, size[1] - noise),
        )
    draw = ImageDraw.Draw(image)
    draw.text((60, 60), f"Avsiktsforklaring {seed}", fill=0)
    draw.rectangle((60 + seed % 500, 300, 120 + seed % 500, 320), fill=0)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return img2pdf.convert(buf.getvalue(), layout_fun=img2pdf.get_fixed_dpi_layout_fun((100, 100)))


def scan_pages(seed: int, pages: int) -> bytes:
    """A ``pages``-page scan whose first pages are those of every shorter one (a scanner
    adding a page at a time and writing the whole PDF again)."""
    reader_pages = [
        pypdf.PdfReader(io.BytesIO(scan_pdf(seed * 100 + n))).pages[0] for n in range(pages)
    ]
    writer = pypdf.PdfWriter()
    for page in reader_pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(seed: int) -> bytes:
    reader = pypdf.PdfReader(io.BytesIO(scan_pdf(seed)))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password="hemligt", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bad_files(seed: int) -> dict[str, tuple[bytes, str]]:
    """name -> (content, expected quarantine reason)."""
    pdf = scan_pdf(seed)
    return {
        f"empty-{seed}.pdf": (b"", "empty"),
        f"letter-{seed}.pdf": (b"PK\x03\x04" + bytes(f"word document {seed}", "ascii"), "not_pdf"),
        f"truncated-{seed}.pdf": (pdf[: len(pdf) // 2], "truncated"),
        f"locked-{seed}.pdf": (encrypted_pdf(seed), "encrypted"),
    }
