"""Active content (scripts, launch actions, embedded files): found, reported, never run.

The pages of such a PDF are read as any other's (we only rasterise); the document says
what it holds in ``PdfDocument.active_content`` and every declaration read from it
carries the ``active_content`` flag."""

from __future__ import annotations

import io

import pypdf
import pytest
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from ocr.active import FLAG, ActiveContent, find_active_content, flag_active_content
from ocr.model import DeclarationResult, Extraction, SignatureFinding
from ocr.pages import page_images
from ocr.pdf import open_pdf
from tests.ocr import pdf_factory as make

pytestmark = pytest.mark.timeout(60)


def _scan_writer() -> pypdf.PdfWriter:
    writer = pypdf.PdfWriter()
    for page in pypdf.PdfReader(io.BytesIO(make.scan_pdf("g4", size=(400, 560)))).pages:
        writer.add_page(page)
    return writer


def _bytes(writer: pypdf.PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_javascript() -> bytes:
    """A document-level script in the catalog's /Names /JavaScript name tree."""
    writer = _scan_writer()
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.launchURL('https://example.invalid/');"),
        }
    )
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("x"), writer._add_object(action)])}
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )
    return _bytes(writer)


def with_attachment() -> bytes:
    writer = _scan_writer()
    writer.add_attachment("faktura.pdf.exe", b"MZ\x90\x00 not really a program")
    return _bytes(writer)


def with_open_action_launch() -> bytes:
    writer = _scan_writer()
    launch = DictionaryObject(
        {
            NameObject("/S"): NameObject("/Launch"),
            NameObject("/F"): TextStringObject("cmd.exe"),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(launch)
    return _bytes(writer)


def with_page_actions_and_file_annotation() -> bytes:
    annot = (
        b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] "
        b"/FS << /Type /Filespec /F (x.exe) /EF << /F 7 0 R >> >> >>"
    )
    return make.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Annots [6 0 R] /AA << /O 5 0 R >> >>",
            make.stream(b"", b"0 0 100 100 re f"),
            b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
            annot,
            make.stream(b"/Type /EmbeddedFile", b"MZ"),
        ]
    )


def with_xfa_and_submit() -> bytes:
    return make.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 5 0 R >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
            b"/A << /S /SubmitForm /F (https://example.invalid/) >> >>] >>",
            make.stream(b"", b"0 0 100 100 re f"),
            make.stream(b"", b"<xdp:xdp/>"),
        ]
    )


@pytest.mark.parametrize(
    "make_pdf, kinds",
    [
        (with_javascript, {ActiveContent.JAVASCRIPT}),
        (with_attachment, {ActiveContent.EMBEDDED_FILE}),
        (with_open_action_launch, {ActiveContent.OPEN_ACTION, ActiveContent.LAUNCH}),
        (
            with_page_actions_and_file_annotation,
            {
                ActiveContent.JAVASCRIPT,
                ActiveContent.ADDITIONAL_ACTIONS,
                ActiveContent.EMBEDDED_FILE,
            },
        ),
        (with_xfa_and_submit, {ActiveContent.XFA, ActiveContent.SUBMIT_FORM}),
    ],
    ids=["javascript", "attachment", "open-action-launch", "page-actions", "xfa-submit"],
)
def test_active_content_is_reported_and_the_pages_are_still_read(make_pdf, kinds) -> None:  # type: ignore[no-untyped-def]
    doc = open_pdf(make_pdf())
    assert set(doc.active_content) == {k.value for k in kinds}
    pages = list(page_images(doc, target_dpi=72))
    assert len(pages) == 1 and pages[0].image.min() < 128  # drawn like any page


def test_a_plain_scan_has_no_active_content() -> None:
    assert open_pdf(make.scan_pdf("jpeg")).active_content == ()
    assert open_pdf(make.vector_text_pdf()).active_content == ()


def test_a_link_to_a_page_or_a_destination_array_is_not_active() -> None:
    data = make.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /Dest [3 0 R /Fit] >>] >>",
            make.stream(b"", b"0 0 100 100 re f"),
        ]
    )
    assert open_pdf(data).active_content == ()


def test_a_damaged_or_looping_catalog_is_walked_without_raising() -> None:
    reader = pypdf.PdfReader(io.BytesIO(with_javascript()))
    loop = DictionaryObject()
    loop[NameObject("/Self")] = loop  # a direct loop: only the depth bound stops it
    assert find_active_content(loop) == ()
    assert find_active_content(None) == ()
    assert find_active_content(reader.trailer.raw_get("/Root")) == (ActiveContent.JAVASCRIPT,)


def test_the_flag_goes_on_every_declaration_once() -> None:
    sig = SignatureFinding(present=True, confidence=0.9)
    one = DeclarationResult(pages=(1,), declaration=None, fields={}, signature=sig)
    two = DeclarationResult(
        pages=(2,), declaration=None, fields={}, signature=sig, flags=("unsigned", FLAG)
    )
    extraction = Extraction(pages=2, declarations=(one, two))
    assert flag_active_content(extraction, ()) is extraction
    flagged = flag_active_content(extraction, ("javascript",))
    assert [d.flags for d in flagged.declarations] == [(FLAG,), ("unsigned", FLAG)]
