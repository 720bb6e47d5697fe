"""Say what a file that is not a PDF looks like, from its first bytes.

Used for the one-line error "not a PDF: the file starts like a Word document
(DOCX/ZIP)", so a person knows what was sent instead.
"""

from __future__ import annotations

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document (DOC/XLS, OLE2)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"{\\rtf", "an RTF document"),
    (b"%!PS", "a PostScript file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"BM", "a BMP image"),
)

_ZIP_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"word/", "a Word document (DOCX/ZIP)"),
    (b"xl/", "an Excel workbook (XLSX/ZIP)"),
    (b"ppt/", "a PowerPoint presentation (PPTX/ZIP)"),
    (b"application/vnd.oasis.opendocument", "an OpenDocument file (ODT/ZIP)"),
)


def describe_non_pdf(data: bytes) -> str:
    """A short noun phrase for what ``data`` looks like: ``"a PNG image"``, …"""
    head = data[:4096]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        for marker, kind in _ZIP_KINDS:
            if marker in data[:65536]:
                return kind
        return "a ZIP archive"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "a WebP image"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "a HEIC image"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return _describe_text(head)


def _describe_text(head: bytes) -> str:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head.decode("cp1252")
        except UnicodeDecodeError:
            return "unknown binary data"
        if sum(ch.isprintable() or ch.isspace() for ch in text) < 0.95 * len(text):
            return "unknown binary data"
    if "\x00" in text:
        return "unknown binary data"
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered[:512]:
        return "an HTML page"
    if lowered.startswith("<?xml") or lowered.startswith("<svg"):
        return "an XML document" if "<svg" not in lowered[:512] else "an SVG image"
    if lowered.startswith(("{", "[")):
        return "JSON text"
    if lowered.startswith(("from:", "received:", "mime-version:", "return-path:")):
        return "an e-mail message"
    return "plain text"
