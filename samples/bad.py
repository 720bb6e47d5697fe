"""Broken and hostile inputs, each with the ``ocr.errors.Reason`` value the engine must give.

The reason ``""`` means the file is not broken and must be read without error: the
born-digital form (vector text, no scanned image) is rendered by the engine like any page.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import pypdf
from PIL import Image

from ocr.errors import Reason

BOMB_SIDE = 50_000  # pixels each way: 2.5 gigapixels, a ~300 kB Flate stream of zeros


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            zipfile.ZipInfo("[Content_Types].xml", (2024, 1, 1, 0, 0, 0)),
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Override PartName='
            '"/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            zipfile.ZipInfo("_rels/.rels", (2024, 1, 1, 0, 0, 0)),
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
            'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        z.writestr(
            zipfile.ZipInfo("word/document.xml", (2024, 1, 1, 0, 0, 0)),
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://'
            'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
            "<w:t>Avsiktsförklaring Jämställd industri</w:t></w:r></w:p></w:body>"
            "</w:document>",
        )
    return buf.getvalue()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buf, "PNG")
    return buf.getvalue()


def _pdf(objects: list[bytes]) -> bytes:
    """A minimal PDF from numbered objects (1 = catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _pixel_bomb() -> bytes:
    z = zlib.compressobj(9)
    row_block = bytes(BOMB_SIDE // 8 * 1000)
    data = b"".join(z.compress(row_block) for _ in range(BOMB_SIDE // 1000)) + z.flush()
    image = _stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
        b" /BitsPerComponent 1 /Filter /FlateDecode" % (BOMB_SIDE, BOMB_SIDE),
        data,
    )
    content = _stream(b"", b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /XObject << /Im0 5 0 R >> >> >>",
            content,
            image,
        ]
    )


_VECTOR_LINES = (
    (72, 770, 16, "Avsiktsförklaring Jämställd industri"),
    (72, 740, 10, "Organisationen åtar sig att bedriva ett ledningsstyrt jämställdhetsarbete."),
    (72, 600, 11, "Organisation:            Nymek AB"),
    (72, 575, 11, "Organisationsnummer:  556677-8899"),
    (72, 550, 11, "Län:                          Västerbotten"),
    (72, 525, 11, "Ort och datum:           Umeå 2023-05-11"),
    (72, 480, 11, "Underskrift:"),
    (72, 440, 11, "Namnförtydligande:     Åsa Öberg"),
    (72, 415, 11, "Befattning:                VD"),
)


def _vector_text() -> bytes:
    ops = []
    for x, y, size, text in _VECTOR_LINES:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(
            b"BT /F1 %d Tf %d %d Td (" % (size, x, y) + escaped.encode("cp1252") + b") Tj ET"
        )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(b"", b"\n".join(ops)),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ]
    )


def _many_pages(n: int) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(n):
        writer.add_blank_page(595, 842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _encrypted(pdf: bytes) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password="hemligt", owner_password="ägare", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def generate_bad_inputs(out_dir: Path) -> list[tuple[Path, str]]:
    """Write the broken files into ``out_dir``; returns ``(path, expected reason)`` pairs."""
    from samples.generate import render_sample  # a real scan to cut and to lock

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    real, _ = render_sample(0, 424242, "dev")
    files: list[tuple[str, bytes, str]] = [
        ("empty.pdf", b"", Reason.EMPTY.value),
        ("word-renamed.pdf", _docx(), Reason.NOT_PDF.value),
        # an image is read as a phone's photo now: a blank one shows no form page
        ("png-renamed.pdf", _png(), Reason.NO_PAGE_IN_PHOTO.value),
        ("plain-text.pdf", "Hej! Blanketten kommer i nästa mejl.\n".encode(), Reason.NOT_PDF.value),
        ("truncated.pdf", real[: len(real) // 2], Reason.TRUNCATED.value),
        ("encrypted.pdf", _encrypted(real), Reason.ENCRYPTED.value),
        ("five-thousand-pages.pdf", _many_pages(5000), Reason.TOO_MANY_PAGES.value),
        ("pixel-bomb.pdf", _pixel_bomb(), Reason.TOO_MANY_PIXELS.value),
        ("vector-text.pdf", _vector_text(), ""),
    ]
    out = []
    for name, data, reason in files:
        path = out_dir / name
        path.write_bytes(data)
        out.append((path, reason))
    return out
