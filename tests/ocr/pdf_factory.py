"""Small real PDFs for the PDF and page-image tests: scans via img2pdf, odd ones by hand."""

from __future__ import annotations

import io
import zlib

import img2pdf
import pypdf
from PIL import Image, ImageDraw

A4_PX_200 = (1654, 2339)


def page_picture(mode: str = "L", size: tuple[int, int] = A4_PX_200) -> Image.Image:
    """A white page with a black bar top-left (to check orientation) and a blue mark."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((w // 16, h // 12, w // 2, h // 12 + h // 40), fill="black")
    draw.rectangle((w // 2, h // 2, w // 2 + w // 10, h // 2 + h // 40), fill=(20, 40, 200))
    return image.convert(mode) if mode != "RGB" else image


def scan_pdf(
    kind: str = "flate", *, dpi: int = 200, pages: int = 1, size: tuple[int, int] = A4_PX_200
) -> bytes:
    """A scanner-like PDF: each page one full-page image (``flate``, ``jpeg``, ``g4``)."""
    images = []
    for _ in range(pages):
        buf = io.BytesIO()
        if kind == "g4":
            page_picture("1", size).save(buf, "TIFF", compression="group4")
        elif kind == "jpeg":
            page_picture("RGB", size).save(buf, "JPEG", quality=85)
        elif kind == "flate-1bit":
            page_picture("1", size).save(buf, "PNG")
        elif kind == "jpeg-grey":
            page_picture("L", size).save(buf, "JPEG", quality=85)
        else:
            page_picture("L", size).save(buf, "PNG")
        images.append(buf.getvalue())
    return img2pdf.convert(images, layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi)))


def rotated(data: bytes, degrees: int) -> bytes:
    reader = pypdf.PdfReader(io.BytesIO(data))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    for page in writer.pages:
        page.rotate(degrees)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted(data: bytes, user_password: str, algorithm: str = "RC4-128") -> bytes:
    reader = pypdf.PdfReader(io.BytesIO(data))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF from object bodies (object 1 is the catalog), with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def pages_pdf(contents: list[bytes], resources: bytes = b"<< >>", extra: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    """Pages with the given content streams; ``extra`` objects are numbered from 3 + pages."""
    n = len(contents)
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n),
    ]
    for i, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources %s /Contents %d 0 R >>" % (resources, 4 + 2 * i)
        )
        objects.append(stream(b"", content))
    return raw_pdf(objects + list(extra))


def vector_text_pdf(text: str = "Organisation Boliden Mineral AB") -> bytes:
    font_ref = b"%d 0 R" % (3 + 2)
    content = b"BT /F1 24 Tf 72 700 Td (" + text.encode("latin-1") + b") Tj ET"
    return pages_pdf(
        [content],
        resources=b"<< /Font << /F1 " + font_ref + b" >> >>",
        extra=[b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"],
    )


def image_bomb_pdf(width: int, height: int, cm: bytes = b"595 0 0 842 0 0") -> bytes:
    """One page drawing an image that declares ``width``×``height`` grey pixels."""
    data = zlib.compress(b"\xff" * 1024)
    image = stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
        b"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode" % (width, height),
        data,
    )
    return pages_pdf(
        [b"q " + cm + b" cm /Im0 Do Q"], resources=b"<< /XObject << /Im0 5 0 R >> >>", extra=[image]
    )


def empty_pages_pdf(count: int = 1) -> bytes:
    return pages_pdf([b""] * count)


def docx_like() -> bytes:
    return (
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"
        + b"[Content_Types].xml"
        + b"\x00" * 40
        + b"word/document.xml"
        + b"\x00" * 200
    )
