"""Open and validate a PDF: the first step, before any pixel is decoded.

:func:`open_pdf` turns bytes into a :class:`PdfDocument` or raises an
:class:`~ocr.errors.ExtractionError` with a reason and a one-line message a person can
act on ("not a PDF: the file starts like a Word document (DOCX/ZIP)"). It checks the
limits of :class:`~ocr.limits.Limits` on the *declared* sizes (page count, image
``/Width`` × ``/Height``, stream ``/Length``) so that a decompression bomb is refused
without being inflated: also the size an image codec's own header declares
(:mod:`ocr.image_headers`), the images' soft masks, and the decoded size of each page's
content streams (counted while inflating, never held, stopped at the limit). A limit
pypdf itself hits while parsing (an object stream inflating to gigabytes) is a
:class:`~ocr.errors.LimitExceeded` too. Nothing of the document is ever run: what
active content it holds (scripts, launch actions, embedded files) is reported in
:attr:`PdfDocument.active_content` (:mod:`ocr.active`). pypdf's own warnings and log
lines stay inside this module.
"""

from __future__ import annotations

import logging
import re
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pypdf
import pypdfium2 as pdfium
from pypdf.errors import (
    DependencyError,
    DeprecationError,
    LimitReachedError,
    PdfReadError,
    PyPdfError,
)
from pypdf.generic import IndirectObject

from ocr.active import find_active_content
from ocr.errors import InvalidInput, LimitExceeded, NoPageImage, Reason
from ocr.image_headers import jbig2_size, jpeg_size, jpx_size
from ocr.limits import DEFAULT_LIMITS, MB, Limits
from ocr.matrix import multiply
from ocr.sniff import describe_non_pdf

_PDFIUM_ONLY = "pdfium"
# what pypdf raises on a damaged file, besides its own errors: it narrows types with
# assert, and follows damaged references into attributes and indexes that are not there
_DAMAGED = (
    PdfReadError,
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    AssertionError,
    RecursionError,
    DeprecationError,  # not a PyPdfError: e.g. /Fl, an inline image's filter name, on a stream
)  # a document pypdf cannot decrypt but pdfium opens (AES, empty password)


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
    # kinds of active content found (ocr.active.ActiveContent values): never run here,
    # but a person opening the original in a viewer should be told
    active_content: tuple[str, ...] = ()

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
        if _is_encrypted(reader):
            backend = _decrypt(reader, data)
        active: tuple[str, ...] = ()
        if backend == _PDFIUM_ONLY:
            pages = _pdfium_pages(data, limits)
        else:
            pages = _pypdf_pages(reader, limits)
            active = _active_content(reader)
    if not any(p.images or p.has_content for p in pages):
        raise NoPageImage(
            f"the PDF has {len(pages)} page(s) but no scanned image or text on any of them"
        )
    return PdfDocument(
        data=data, pages=pages, limits=limits, backend=backend, active_content=active
    )


def _is_encrypted(reader: pypdf.PdfReader) -> bool:
    try:
        return bool(reader.is_encrypted)
    except LimitReachedError as e:
        raise _pypdf_limit(e) from e
    except _DAMAGED as e:
        raise InvalidInput(
            f"the PDF is damaged: its trailer cannot be read ({_short(e)})",
            reason=Reason.MALFORMED,
        ) from e


def _active_content(reader: pypdf.PdfReader) -> tuple[str, ...]:
    try:
        root = reader.trailer.raw_get("/Root")
    except _DAMAGED:
        return ()
    return tuple(find_active_content(root))


def _pypdf_limit(e: LimitReachedError) -> LimitExceeded:
    return LimitExceeded(
        f"the PDF passes a safety limit while being read ({_short(e)}): a decompression "
        "bomb or a damaged file?",
        reason=Reason.STREAM_TOO_LARGE,
    )


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
    except LimitReachedError as e:
        raise _pypdf_limit(e) from e
    except NotImplementedError as e:  # an /Encrypt handler other than the standard one
        raise InvalidInput(
            "the PDF is encrypted with a certificate or an unknown security handler "
            f"({_short(e)}); send it without encryption",
            reason=Reason.ENCRYPTED,
        ) from e
    except _DAMAGED as e:
        raise InvalidInput(
            f"the PDF is damaged: its cross-reference table cannot be read ({_short(e)})",
            reason=Reason.TRUNCATED,
        ) from e


def _decrypt(reader: pypdf.PdfReader, data: bytes) -> str:
    """Open a PDF protected with an empty user password; refuse one that needs a password."""
    try:
        ok = reader.decrypt("")
    except LimitReachedError as e:
        raise _pypdf_limit(e) from e
    except (DependencyError, NotImplementedError):
        ok = None  # pypdf lacks the cipher (AES without `cryptography`): ask pdfium
    except _DAMAGED as e:
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
    except LimitReachedError as e:
        raise _pypdf_limit(e) from e
    except _DAMAGED as e:
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
        except LimitReachedError as e:
            raise _pypdf_limit(e) from e
        except _DAMAGED as e:
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
    budget = _Budget(limits, width * height)
    forms: set[int] = set()
    images = tuple(_declared_images(page.get("/Resources"), index, limits, budget, forms, 0))
    contents = page.get("/Contents")
    has_content = contents is not None and _content_length(contents) > 0
    if has_content:
        _check_decoded(contents, index, budget)
    rotate = int(page.get("/Rotate", 0) or 0) % 360
    return PageInfo(index, width, height, rotate - rotate % 90, images, has_content)


class _Budget:
    """The decoded bytes of content streams one page may still use, the limits, and
    the page's area."""

    def __init__(self, limits: Limits, page_pt: float) -> None:
        self.limits = limits
        self.left = limits.max_content_bytes
        self.page_pt = page_pt  # the page's area, square points


def _declared_images(
    resources: Any,
    page_index: int,
    limits: Limits,
    budget: _Budget,
    forms: set[int],
    depth: int,
) -> Iterator[ImageInfo]:
    """Image XObjects of a page, including those inside form XObjects, from their dicts.

    Each form is looked into once per page (``forms``: their object numbers), so forms
    that draw each other, or one form named many times over, cost one visit each; the
    XObjects met on the page's way, forms and all, count towards
    ``max_images_per_page``."""
    resources = _resolve(resources)
    if depth > 8 or not hasattr(resources, "get"):
        return
    xobjects = _resolve(resources.get("/XObject"))
    if not hasattr(xobjects, "items"):
        return
    for name, ref in xobjects.items():
        if isinstance(ref, IndirectObject):
            if ref.idnum in forms:
                continue  # already looked at on this page
            forms.add(ref.idnum)
        if len(forms) > limits.max_images_per_page:
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
            for mask_key in ("/SMask", "/Mask"):
                mask = _resolve(obj.get(mask_key))
                if hasattr(mask, "get") and mask.get("/Width") is not None:
                    _image_info(f"{name}{mask_key}", mask, page_index, limits)
        elif obj.get("/Subtype") == "/Form":
            _check_decoded(obj, page_index, budget)
            yield from _declared_images(
                obj.get("/Resources"), page_index, limits, budget, forms, depth + 1
            )


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
    _check_codec_size(name, obj, height, page_index, limits)
    return ImageInfo(name=name, width=width, height=height)


_DCT = {"/DCTDecode", "/DCT"}
_CCITT = {"/CCITTFaxDecode", "/CCF"}
_PREDICTED = {"/FlateDecode", "/Fl", "/LZWDecode", "/LZW"}


def _filters(obj: Any) -> tuple[list[str], list[Any]]:
    """The stream's filter names and their decode parameters (None where there are none)."""
    filters = _resolve(obj.get("/Filter"))
    names = [str(_resolve(f)) for f in (filters if isinstance(filters, list) else [filters])]
    names = [] if names == ["None"] else names
    parms = _resolve(obj.get("/DecodeParms", obj.get("/DP")))
    parms = list(parms) if isinstance(parms, list) else [parms] * len(names)
    parms = [_resolve(p) if hasattr(_resolve(p), "get") else None for p in parms]
    return names, parms + [None] * (len(names) - len(parms))


def _check_codec_size(name: str, obj: Any, height: int, page_index: int, limits: Limits) -> None:
    """Refuse an image whose codec's own header (or decode parameters) declares more
    pixels than the limit, whatever its dictionary says."""
    names, parms = _filters(obj)
    if not names:
        return
    raw = getattr(obj, "_data", b"") or b""
    last, last_parms, alone = names[-1], parms[-1], len(names) == 1
    size: tuple[int, int] | None = None
    if last in _DCT and alone:
        size, codec = jpeg_size(raw), "JPEG"
    elif last == "/JPXDecode" and alone:
        size, codec = jpx_size(raw), "JPEG 2000"
    elif last == "/JBIG2Decode" and alone:
        size, codec = jbig2_size(raw), "JBIG2"
        if size is not None and size[1] == 0xFFFFFFFF:  # striped: height from the dict
            size = (size[0], height)
    elif last in _CCITT:
        columns = int(_resolve(last_parms.get("/Columns", 1728))) if last_parms else 1728
        rows = int(_resolve(last_parms.get("/Rows", 0))) if last_parms else 0
        size, codec = (columns, max(rows, height)), "fax"
    elif last in _PREDICTED and last_parms is not None:
        predictor = int(_resolve(last_parms.get("/Predictor", 1)))
        columns = int(_resolve(last_parms.get("/Columns", 1)))
        colours = int(_resolve(last_parms.get("/Colors", 1)))
        if predictor > 1:
            size, codec = (columns * max(1, colours), height), "predictor"
    if size is None:
        return
    pixels = abs(size[0]) * abs(size[1])
    if pixels > limits.max_page_pixels:
        raise LimitExceeded(
            f"page {page_index + 1}: image {name}'s {codec} data declares "
            f"{size[0]}×{size[1]} pixels ({pixels / 1e6:.0f} Mpx), more than the limit of "
            f"{limits.max_page_pixels / 1e6:.0f} Mpx (a decompression bomb?)",
            reason=Reason.TOO_MANY_PIXELS,
        )


def _check_decoded(contents: Any, page_index: int, budget: _Budget) -> None:
    """Count the decoded bytes of content stream(s) against the page's budget; refuse
    the page when they pass it (a Flate stream inflating to gigabytes), when an
    inline image in them declares more pixels than the limit, or when they draw an
    XObject over an area that the renderer would need more pixels than the limit for."""
    head = _decoded_head(contents, page_index, budget)
    _check_inline_images(head, page_index, budget.limits)
    _check_drawn_sizes(head, page_index, budget.limits, budget.page_pt)


def _decoded_head(contents: Any, page_index: int, budget: _Budget) -> bytes:
    contents = _resolve(contents)
    if isinstance(contents, list):  # the parts of one content stream, in order
        return b"\n".join(_decoded_head(part, page_index, budget) for part in contents)[:_HEAD]
    if not hasattr(contents, "get"):
        return b""
    size, head = _decoded(contents, max(0, budget.left))
    budget.left -= size
    if budget.left < 0:
        raise LimitExceeded(
            f"page {page_index + 1}: its content streams inflate to more than the limit "
            "(a decompression bomb?)",
            reason=Reason.STREAM_TOO_LARGE,
        )
    return head


_TOKEN = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)|/[^\s/\[\]()<>{}%]+|[A-Za-z'\"*]+")
_INLINE_DATA = re.compile(rb"(?<![A-Za-z])ID\s.*?\sEI(?![A-Za-z])", re.DOTALL)


def _check_drawn_sizes(content: bytes, page_index: int, limits: Limits, page_pt: float) -> None:
    """Refuse a page that draws an XObject (``Do``) transformed (``cm``) to cover more
    than the renderer could draw within ``max_page_pixels`` at ``render_dpi``: pdfium
    allocates for the whole transformed image (a skewed 2 MB scan drew with 1.9 GB).
    Forms' own matrices are not followed; numbers in text strings may be misread, so
    only areas well past a page's (at least 16 times it) are refused."""
    if b"Do" not in content:
        return
    limit_pt = max(16 * page_pt, limits.max_page_pixels / (limits.render_dpi / 72.0) ** 2)
    ctm: tuple[float, ...] = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    stack: list[tuple[float, ...]] = []
    numbers: list[float] = []
    for token in _TOKEN.findall(_INLINE_DATA.sub(b" ", content)):
        first = token[:1]
        if first.isdigit() or first in b"+-.":
            try:
                numbers.append(float(token))
            except ValueError:
                numbers.clear()
            continue
        if token == b"q":
            stack.append(ctm)
        elif token == b"Q":
            ctm = stack.pop() if stack else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        elif token == b"cm" and len(numbers) >= 6:
            ctm = multiply(tuple(numbers[-6:]), ctm)
        elif token == b"Do" and _drawn_area(ctm) > limit_pt:
            raise LimitExceeded(
                f"page {page_index + 1} draws an image or form over "
                f"{_drawn_area(ctm) / page_pt:.0f} times the page's area: too large to "
                "render within the pixel limit (a decompression bomb?)",
                reason=Reason.TOO_MANY_PIXELS,
            )
        if not token.startswith(b"/"):
            numbers.clear()


def _drawn_area(ctm: tuple[float, ...]) -> float:
    """The area (square points) of the box around the unit square under ``ctm``."""
    a, b, c, d = ctm[:4]
    width = abs(a) + abs(c)
    height = abs(b) + abs(d)
    area = width * height
    return area if area == area else float("inf")  # NaN: refuse


_INLINE = re.compile(rb"(?<![A-Za-z])BI\s(.{0,4096}?)\sID\s", re.DOTALL)
_INLINE_W = re.compile(rb"/W(?:idth)?\s*(\d{1,12})")
_INLINE_H = re.compile(rb"/H(?:eight)?\s*(\d{1,12})")


def _check_inline_images(content: bytes, page_index: int, limits: Limits) -> None:
    """Refuse an inline image (``BI … ID … EI``) that declares more pixels than the limit."""
    if b"BI" not in content:
        return
    for match in _INLINE.finditer(content):
        w, h = _INLINE_W.search(match[1]), _INLINE_H.search(match[1])
        if w is None or h is None:
            continue
        width, height = int(w[1]), int(h[1])
        if width * height > limits.max_page_pixels:
            raise LimitExceeded(
                f"page {page_index + 1}: an inline image of {width}×{height} pixels "
                f"({width * height / 1e6:.0f} Mpx) passes the limit of "
                f"{limits.max_page_pixels / 1e6:.0f} Mpx (a decompression bomb?)",
                reason=Reason.TOO_MANY_PIXELS,
            )


_HEAD = 4 * MB  # the decoded bytes of a content stream looked at for inline images


def _decoded(stream: Any, budget: int) -> tuple[int, bytes]:
    """The size ``stream`` decodes to, counted up to just past ``budget``, and the
    first :data:`_HEAD` bytes of what it decodes to."""
    raw = getattr(stream, "_data", b"") or b""
    names, _parms = _filters(stream)
    if not names:
        return len(raw), raw[:_HEAD]
    if names[0] in ("/FlateDecode", "/Fl"):
        inflated, head = _inflated(raw, budget)
        if len(names) == 1 or inflated > budget:
            return inflated, head
    try:
        data = stream.get_data()  # other filters: pypdf's own output limits hold
    except LimitReachedError:
        return budget + 1, b""
    except (*_DAMAGED, NotImplementedError, zlib.error):
        return 0, b""  # undecodable: drawn as nothing
    return len(data), data[:_HEAD]


def _inflated(raw: bytes, budget: int) -> tuple[int, bytes]:
    """Bytes a zlib (or raw deflate) stream inflates to, counted 1 MB at a time and
    stopped once past ``budget``, and the first of them; a damaged stream counts what
    came before the damage."""
    best: tuple[int, bytes] = (0, b"")
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        inflater = zlib.decompressobj(wbits)
        total, head = 0, bytearray()
        try:
            chunk = inflater.decompress(raw, _CHUNK)
            while True:
                total += len(chunk)
                if len(head) < _HEAD:
                    head += chunk[: _HEAD - len(head)]
                if not inflater.unconsumed_tail or total > budget:
                    break
                chunk = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
            if total <= budget:
                rest = inflater.flush()
                total += len(rest)
                head += rest[: max(0, _HEAD - len(head))]
        except zlib.error:
            pass
        if total > best[0]:
            best = (total, bytes(head))
        if best[0] > budget or total > 0:
            break
    return best


_CHUNK = 1 << 20


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
