"""Opening and validating PDFs: every bad input has its reason and a clear message."""

from __future__ import annotations

import pickle

import pytest

from ocr.errors import InvalidInput, LimitExceeded, NoPageImage, Reason
from ocr.limits import Limits
from ocr.pages import page_images
from ocr.pdf import PdfDocument, _pdfium_pages, open_pdf
from tests.ocr import pdf_factory as make

pytestmark = pytest.mark.timeout(60)


def test_scan_opens_with_page_facts() -> None:
    doc = open_pdf(make.scan_pdf("flate", pages=2))
    assert doc.page_count == 2
    page = doc.pages[0]
    assert page.images[0].width == 1654 and page.images[0].height == 2339
    assert page.rotate == 0
    assert abs(page.width_pt - 1654 / 200 * 72) < 1
    assert pickle.loads(pickle.dumps(doc)) == doc


@pytest.mark.parametrize(
    "data, looks_like",
    [
        (make.docx_like(), "a Word document (DOCX/ZIP)"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "a PNG image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "a JPEG image"),
        (b"II*\x00" + b"\x00" * 100, "a TIFF image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "an old Microsoft Office document"),
        (b"<!DOCTYPE html><html><body>Hej</body></html>", "an HTML page"),
        ("Hej! Här kommer vår avsiktsförklaring.\n".encode(), "plain text"),
        (b"{\\rtf1\\ansi hej}", "an RTF document"),
        (b"PK\x03\x04" + b"\x00" * 100, "a ZIP archive"),
        (bytes(range(256)) * 4, "unknown binary data"),
    ],
)
def test_not_a_pdf_says_what_it_looks_like(data: bytes, looks_like: str) -> None:
    with pytest.raises(InvalidInput) as err:
        open_pdf(data)
    assert err.value.reason is Reason.NOT_PDF
    assert str(err.value).startswith("not a PDF: the file starts like ")
    assert looks_like in str(err.value)


def test_empty_file() -> None:
    with pytest.raises(InvalidInput) as err:
        open_pdf(b"")
    assert err.value.reason is Reason.EMPTY
    assert "empty" in str(err.value)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated(fraction: float) -> None:
    data = make.scan_pdf("jpeg")
    with pytest.raises(InvalidInput) as err:
        open_pdf(data[: int(len(data) * fraction)])
    assert err.value.reason is Reason.TRUNCATED
    assert "truncated" in str(err.value)


def test_broken_xref_is_reported_not_crashed() -> None:
    data = make.scan_pdf("flate")
    broken = data.replace(b"xref", b"xrfe").replace(b"/Root", b"/Rxxt")
    with pytest.raises(InvalidInput) as err:
        open_pdf(broken)
    assert err.value.reason in (Reason.TRUNCATED, Reason.MALFORMED)
    assert "damaged" in str(err.value)


def test_encrypted_with_password_is_refused() -> None:
    data = make.encrypted(make.scan_pdf("flate"), user_password="hemligt")
    with pytest.raises(InvalidInput) as err:
        open_pdf(data)
    assert err.value.reason is Reason.ENCRYPTED
    assert "password" in str(err.value)


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_encrypted_with_empty_user_password_opens(algorithm: str) -> None:
    doc = open_pdf(make.encrypted(make.scan_pdf("flate"), user_password="", algorithm=algorithm))
    assert doc.backend == "pypdf"
    assert doc.page_count == 1


def test_too_many_pages() -> None:
    data = make.scan_pdf("g4", pages=4, size=(200, 280))
    with pytest.raises(LimitExceeded) as err:
        open_pdf(data, Limits(max_pages=3))
    assert err.value.reason is Reason.TOO_MANY_PAGES
    assert "4 pages" in str(err.value)


def test_file_too_large() -> None:
    data = make.scan_pdf("flate")
    with pytest.raises(LimitExceeded) as err:
        open_pdf(data, Limits(max_bytes=len(data) - 1))
    assert err.value.reason is Reason.FILE_TOO_LARGE


def test_decompression_bomb_refused_before_decoding() -> None:
    data = make.image_bomb_pdf(200_000, 200_000)  # 40 Gpx declared, 1 KB of data
    assert len(data) < 5_000
    with pytest.raises(LimitExceeded) as err:
        open_pdf(data)
    assert err.value.reason is Reason.TOO_MANY_PIXELS
    assert "200000×200000" in str(err.value)


def test_total_pixels_limit() -> None:
    data = make.scan_pdf("g4", pages=3, size=(400, 500))
    with pytest.raises(LimitExceeded) as err:
        open_pdf(data, Limits(max_total_pixels=500_000))
    assert err.value.reason is Reason.TOO_MANY_PIXELS


def test_stream_limit() -> None:
    data = make.scan_pdf("flate")
    with pytest.raises(LimitExceeded) as err:
        open_pdf(data, Limits(max_stream_bytes=1000))
    assert err.value.reason is Reason.STREAM_TOO_LARGE


def test_pages_without_anything() -> None:
    with pytest.raises(NoPageImage) as err:
        open_pdf(make.empty_pages_pdf(2))
    assert err.value.reason is Reason.NO_PAGE_IMAGE
    assert "no scanned image" in str(err.value)


def test_no_pages_at_all() -> None:
    data = make.raw_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    )
    with pytest.raises(NoPageImage):
        open_pdf(data)


def test_vector_page_opens() -> None:
    doc = open_pdf(make.vector_text_pdf())
    assert doc.pages[0].images == ()
    assert doc.pages[0].has_content


def test_garbage_after_header_is_an_error_not_a_hang() -> None:
    data = b"%PDF-1.4\n" + bytes(range(256)) * 200 + b"\n%%EOF\n"
    with pytest.raises(InvalidInput) as err:
        open_pdf(data)
    assert err.value.reason in (Reason.TRUNCATED, Reason.MALFORMED)


def test_pdfium_only_backend_renders_every_page() -> None:
    """A PDF pypdf cannot decrypt but pdfium opens is read by rendering each page."""
    data = make.encrypted(
        make.scan_pdf("g4", pages=2, size=(400, 560)), user_password="", algorithm="AES-256"
    )
    pages = _pdfium_pages(data, Limits())
    assert [p.index for p in pages] == [0, 1]
    doc = PdfDocument(data=data, pages=pages, backend="pdfium")
    rendered = list(page_images(doc, target_dpi=100))
    assert len(rendered) == 2
    assert rendered[0].dpi == 100
    assert rendered[0].image.min() < 50 and rendered[0].image.max() > 250
