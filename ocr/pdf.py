"""Open and validate a PDF: the first step, before any pixel is decoded.

:func:`open_pdf` turns bytes into a :class:`PdfDocument` or raises an
:class:`~ocr.errors.ExtractionError` with a reason and a one-line message a person can
act on ("not a PDF: the file starts like a Word document (DOCX/ZIP)"). It checks the
limits of :class:`~ocr.limits.Limits` on the *declared* sizes (page count, image
``/Width`` × ``/Height``, stream ``/Length``) so that a decompression bomb is refused
without being inflated. pypdf's own warnings and log lines stay inside this module.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pypdf
import pypdfium2 as pdfium
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError
from pypdf.generic import IndirectObject

from ocr.errors import InvalidInput, LimitExceeded, NoPageImage, Reason
from ocr.limits import DEFAULT_LIMITS, Limits
from ocr.sniff import describe_non_pdf

_PDFIUM_ONLY = "pdfium"  # a document pypdf cannot decrypt but pdfium opens (AES, empty password)


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """An image XObject as declared in the page's resources (nothing decoded)."""

    name: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class PageInfo:
    """What :mod:`ocr.pages` needs to know about one page, all plain values."""

    index: int  # 0-based
    width_pt: float  # mediabox, unrotated
    height_pt: float
    rotate: int  # /Rotate normalised to 0, 90, 180, 270 (clockwise when displayed)
    images: tuple[ImageInfo, ...]
    has_content: bool  # a non-empty content stream

    @property
    def pixels(self) -> int:
        return sum(i.width * i.height for i in self.images)


@dataclass(frozen=True, slots=True)
class PdfDocument:
    """A validated PDF: its raw bytes (picklable, for page jobs) and per-page facts."""

    data: bytes
    pages: tuple[PageInfo, ...]
    limits: Limits = DEFAULT_LIMITS
    backend: str = "pypdf"  # "pypdf", or "pdfium" when only pdfium can read it

    @property
    def page_count(self) -> int:
        return len(self.pages)


@contextmanager
def quiet_pypdf() -> Iterator[None]:
    """Keep pypdf's warnings and log lines about odd files from escaping as warnings."""
    logger = logging.getLogger("pypdf")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(previous)


def open_pdf(data: bytes, limits: Limits = DEFAULT_LIMITS) -> PdfDocument:
    """Validate ``data`` as a PDF within ``limits``; raise with a reason when it is not."""
    _check_bytes(data, limits)
    with quiet_pypdf():
        reader = _reader(data)
        backend = "pypdf"
        if reader.is_encrypted:
            backend = _decrypt(reader, data)
        if backend == _PDFIUM_ONLY:
            pages = _pdfium_pages(data, limits)
        else:
            pages = _pypdf_pages(reader, limits)
    if not any(p.images or p.has_content for p in pages):
        raise NoPageImage(
            f"the PDF has {len(pages)} page(s) but no scanned image or text on any of them"
        )
    return PdfDocument(data=data, pages=pages, limits=limits, backend=backend)


def _check_bytes(data: bytes, limits: Limits) -> None:
    if not data:
        raise InvalidInput("the file is empty (0 bytes)", reason=Reason.EMPTY)
    if len(data) > limits.max_bytes:
        raise LimitExceeded(
            f"the file is {len(data) / 1e6:.0f} MB, more than the limit of "
            f"{limits.max_bytes / 1e6:.0f} MB",
            reason=Reason.FILE_TOO_LARGE,
        )
    if b"%PDF-" not in data[:1024]:
        what = describe_non_pdf(data)
        raise InvalidInput(f"not a PDF: the file starts like {what}", reason=Reason.NOT_PDF)
    if b"%%EOF" not in data[-2048:]:
        raise InvalidInput(
            f"the PDF is truncated: it does not end with %%EOF after {len(data)} bytes "
            "(an incomplete upload or copy?)",
            reason=Reason.TRUNCATED,
        )


def _reader(data: bytes) -> pypdf.PdfReader:
    try:
        return pypdf.PdfReader(BytesIO(data), strict=False)
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, RecursionError) as e:
        raise InvalidInput(
            f"the PDF is damaged: its cross-reference table cannot be read ({_short(e)})",
            reason=Reason.TRUNCATED,
        ) from e


def _decrypt(reader: pypdf.PdfReader, data: bytes) -> str:
    """Open a PDF protected with an empty user password; refuse one that needs a password."""
    try:
        ok = reader.decrypt("")
    except (DependencyError, NotImplementedError):
        ok = None  # pypdf lacks the cipher (AES without `cryptography`): ask pdfium
    except (PdfReadError, PyPdfError, ValueError, KeyError) as e:
        raise _encrypted() from e
    if ok is None:
        try:
            pdfium.PdfDocument(data).close()
        except pdfium.PdfiumError as e:
            raise _encrypted() from e
        return _PDFIUM_ONLY
    if not ok:
        raise _encrypted()
    return "pypdf"


def _encrypted() -> InvalidInput:
    return InvalidInput(
        "the PDF is password-protected (encrypted); send it without a password",
        reason=Reason.ENCRYPTED,
    )


def _pypdf_pages(reader: pypdf.PdfReader, limits: Limits) -> tuple[PageInfo, ...]:
    try:
        count = len(reader.pages)
    except (
        PdfReadError,
        PyPdfError,
        FileNotDecryptedError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
    ) as e:
        raise InvalidInput(
            f"the PDF is damaged: its page tree cannot be read ({_short(e)})",
            reason=Reason.TRUNCATED,
        ) from e
    _check_page_count(count, limits)
    pages: list[PageInfo] = []
    total = 0
    for index in range(count):
        try:
            info = _page_info(reader.pages[index], index, limits)
        except (
            PdfReadError,
            PyPdfError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            RecursionError,
        ) as e:
            raise InvalidInput(
                f"the PDF is damaged: page {index + 1} cannot be read ({_short(e)})",
                reason=Reason.MALFORMED,
            ) from e
        total += info.pixels
        if total > limits.max_total_pixels:
            raise LimitExceeded(
                f"the page images add up to more than {limits.max_total_pixels / 1e6:.0f} "
                f"million pixels by page {index + 1}",
                reason=Reason.TOO_MANY_PIXELS,
            )
        pages.append(info)
    return tuple(pages)


def _check_page_count(count: int, limits: Limits) -> None:
    if count == 0:
        raise NoPageImage("the PDF has no pages")
    if count > limits.max_pages:
        raise LimitExceeded(
            f"the PDF has {count} pages, more than the limit of {limits.max_pages}",
            reason=Reason.TOO_MANY_PAGES,
        )


def _page_info(page: pypdf.PageObject, index: int, limits: Limits) -> PageInfo:
    box = page.mediabox
    width, height = abs(float(box.width)), abs(float(box.height))
    if width < 1 or height < 1:
        raise InvalidInput(f"page {index + 1} has an empty page box", reason=Reason.MALFORMED)
    images = tuple(_declared_images(page.get("/Resources"), index, limits, depth=0))
    contents = page.get("/Contents")
    has_content = contents is not None and _content_length(contents) > 0
    rotate = int(page.get("/Rotate", 0) or 0) % 360
    return PageInfo(index, width, height, rotate - rotate % 90, images, has_content)


def _declared_images(
    resources: Any, page_index: int, limits: Limits, *, depth: int
) -> Iterator[ImageInfo]:
    """Image XObjects of a page, including those inside form XObjects, from their dicts."""
    resources = _resolve(resources)
    if depth > 8 or not hasattr(resources, "get"):
        return
    xobjects = _resolve(resources.get("/XObject"))
    if not hasattr(xobjects, "items"):
        return
    for count, (name, ref) in enumerate(xobjects.items()):
        if count >= limits.max_images_per_page:
            raise LimitExceeded(
                f"page {page_index + 1} holds more than {limits.max_images_per_page} images",
                reason=Reason.TOO_MANY_PIXELS,
            )
        obj = _resolve(ref)
        if not hasattr(obj, "get"):
            continue
        _check_stream_length(obj, page_index, limits)
        if obj.get("/Subtype") == "/Image":
            yield _image_info(str(name), obj, page_index, limits)
        elif obj.get("/Subtype") == "/Form":
            yield from _declared_images(obj.get("/Resources"), page_index, limits, depth=depth + 1)


def _image_info(name: str, obj: Any, page_index: int, limits: Limits) -> ImageInfo:
    width, height = int(_resolve(obj.get("/Width", 0))), int(_resolve(obj.get("/Height", 0)))
    if width <= 0 or height <= 0:
        raise InvalidInput(
            f"page {page_index + 1}: image {name} declares no size ({width}×{height})",
            reason=Reason.MALFORMED,
        )
    if width * height > limits.max_page_pixels:
        raise LimitExceeded(
            f"page {page_index + 1}: an image of {width}×{height} pixels "
            f"({width * height / 1e6:.0f} Mpx) passes the limit of "
            f"{limits.max_page_pixels / 1e6:.0f} Mpx (a decompression bomb?)",
            reason=Reason.TOO_MANY_PIXELS,
        )
    return ImageInfo(name=name, width=width, height=height)


def _check_stream_length(obj: Any, page_index: int, limits: Limits) -> None:
    length = len(getattr(obj, "_data", b"") or b"")  # encoded bytes (pypdf drops /Length)
    if length > limits.max_stream_bytes:
        raise LimitExceeded(
            f"page {page_index + 1}: a stream of {length / 1e6:.1f} MB passes the limit of "
            f"{limits.max_stream_bytes / 1e6:.1f} MB",
            reason=Reason.STREAM_TOO_LARGE,
        )


def _content_length(contents: Any) -> int:
    contents = _resolve(contents)
    if isinstance(contents, list):
        return sum(_content_length(c) for c in contents)
    raw = getattr(contents, "_data", b"") or b""
    return len(raw.strip())


def _pdfium_pages(data: bytes, limits: Limits) -> tuple[PageInfo, ...]:
    """Page facts from pdfium, for documents pypdf cannot decrypt (all pages rendered)."""
    doc = pdfium.PdfDocument(data)
    try:
        _check_page_count(len(doc), limits)
        pages = []
        for index in range(len(doc)):
            page = doc[index]
            width, height = page.get_size()  # rotated size
            rotate = page.get_rotation() % 360
            if rotate in (90, 270):
                width, height = height, width
            pages.append(PageInfo(index, width, height, rotate, (), True))
            page.close()
        return tuple(pages)
    finally:
        doc.close()


def _resolve(obj: Any) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _short(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 120 else text[:117] + "…"
