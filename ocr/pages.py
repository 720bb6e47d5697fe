"""Page images: the pixels of each page, upright as stored, as greyscale (and RGB).

Fast path: a scanned page is one embedded image drawn over the whole page; it is
taken as stored via pypdf (JPEG, Flate, CCITT G4, …) without rasterising anything,
its resolution is image pixels / page size, and the page's ``/Rotate`` is applied.
Every other page (vector text, several images, an image pypdf cannot decode) is
rendered with pypdfium2. Works from bytes alone (:func:`page_image`), so a page job
for a process pool is just ``(data, index, target_dpi)``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import cv2
import numpy as np
import pypdf
import pypdfium2 as pdfium
from PIL import Image

from ocr.decode import decode_image
from ocr.errors import LimitExceeded, NoPageImage, Reason
from ocr.limits import DEFAULT_LIMITS, Limits
from ocr.pdf import PageInfo, PdfDocument, open_pdf, quiet_pypdf
from ocr.placement import full_page_image

_ROTATIONS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
_COLOUR_SPREAD = 24  # channel spread (0–255) above which a pixel counts as coloured
_DECODE_ERRORS = (
    pypdf.errors.PyPdfError,  # LimitReachedError among them: pdfium decodes within its own
    pypdf.errors.DependencyError,  # JBIG2 without the jbig2dec program: pdfium draws it
    pypdf.errors.DeprecationError,  # a filter named /Fl outside an inline image: pdfium
    OSError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    NotImplementedError,
    IndexError,
    ZeroDivisionError,
    AssertionError,  # pypdf narrows types with assert (a damaged content stream)
    RecursionError,
    Image.DecompressionBombError,
    zlib.error,  # a damaged Flate stream: let pdfium draw what it can
)


@dataclass(frozen=True, slots=True)
class PageImage:
    """One page's pixels, upright as stored (``/Rotate`` applied, no deskew yet)."""

    index: int  # 0-based
    image: np.ndarray  # uint8 greyscale, H×W
    dpi: float
    colour: bool  # the scan holds colour (e.g. blue ink)
    rgb: np.ndarray | None = None  # uint8 H×W×3, only for colour scans

    @property
    def number(self) -> int:
        """1-based page number, as the JSON contract counts pages."""
        return self.index + 1


def page_images(
    doc: PdfDocument, *, target_dpi: float | None = None, colour: bool = True
) -> Iterator[PageImage]:
    """Every page of ``doc`` in order (see :func:`render_page` for one).

    ``colour=False``: greyscale only, quicker (a colour JPEG's luma is decoded alone);
    the pages then say ``colour=False`` and carry no RGB array."""
    reader = _Reader(doc)
    for info in doc.pages:
        yield _page(doc, info, target_dpi, reader, colour)


def page_image(
    data: bytes,
    index: int,
    target_dpi: float | None = None,
    limits: Limits = DEFAULT_LIMITS,
    *,
    colour: bool = True,
) -> PageImage:
    """One page from the raw PDF bytes alone: what a worker process calls."""
    doc = open_pdf(data, limits)
    if not 0 <= index < doc.page_count:
        raise IndexError(f"page index {index} outside 0..{doc.page_count - 1}")
    return _page(doc, doc.pages[index], target_dpi, _Reader(doc), colour)


def render_page(doc: PdfDocument, index: int, dpi: float) -> PageImage:
    """Rasterise page ``index`` with pdfium at ``dpi`` (capped by the pixel limit)."""
    return _render(doc, doc.pages[index], dpi)


class _Reader:
    """One pypdf reader per call of :func:`page_images`, opened on first need."""

    def __init__(self, doc: PdfDocument) -> None:
        self._doc = doc
        self._reader: pypdf.PdfReader | None = None

    def page(self, index: int) -> pypdf.PageObject:
        if self._reader is None:
            self._reader = pypdf.PdfReader(BytesIO(self._doc.data), strict=False)
            if self._reader.is_encrypted:
                self._reader.decrypt("")
        return self._reader.pages[index]


def _page(
    doc: PdfDocument,
    info: PageInfo,
    target_dpi: float | None,
    reader: _Reader,
    colour: bool = True,
) -> PageImage:
    if doc.backend == "pypdf" and len(info.images) == 1:
        page = _embedded(doc, info, target_dpi, reader, colour)
        if page is not None:
            return _downscale(page, target_dpi)
    return _render(doc, info, target_dpi or doc.limits.render_dpi, colour)


def _embedded(
    doc: PdfDocument,
    info: PageInfo,
    target_dpi: float | None,
    reader: _Reader,
    colour: bool = True,
) -> PageImage | None:
    """The page's one full-page image as stored, or None when the page is not that."""
    declared = info.images[0]
    with quiet_pypdf():
        try:
            pobj = reader.page(info.index)
            placed = full_page_image(pobj, info)
            if placed is None:
                return None
            stored_dpi = declared.width / (placed[0] / 72.0)
            scale = min(1.0, target_dpi / stored_dpi) if target_dpi else 1.0
            resources: Any = pobj["/Resources"]
            xobj = resources["/XObject"][declared.name].get_object()
            pil = decode_image(xobj, scale=scale, grey=not colour) or pobj.images[0].image
        except _DECODE_ERRORS:
            return None
    if pil is None or pil.width * pil.height > doc.limits.max_page_pixels:
        return None
    fx, fy = pil.width / declared.width, pil.height / declared.height
    if abs(fx - fy) > 0.01 or fx > 1.0:
        return None  # something odd (a mask applied, a crop): let pdfium draw it
    dpi = (pil.width / (placed[0] / 72.0) + pil.height / (placed[1] / 72.0)) / 2.0
    grey, rgb = _to_arrays(pil, colour)
    return _rotated(info.index, grey, rgb, dpi, info.rotate)


def _to_arrays(pil: Image.Image, colour: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    if pil.mode == "L":
        return np.asarray(pil, dtype=np.uint8), None
    if pil.mode in ("1", "I;16", "I", "F", "LA"):
        return np.asarray(pil.convert("L"), dtype=np.uint8), None
    rgb = np.asarray(pil if pil.mode == "RGB" else pil.convert("RGB"), dtype=np.uint8)
    if not colour:
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), None
    return _split_colour(rgb)


def _split_colour(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    small = rgb[::8, ::8].astype(np.int16)
    spread = small.max(axis=2) - small.min(axis=2)
    coloured = int((spread > _COLOUR_SPREAD).sum())
    return grey, (rgb if coloured >= 20 else None)


def _rotated(
    index: int, grey: np.ndarray, rgb: np.ndarray | None, dpi: float, rotate: int
) -> PageImage:
    if rotate in _ROTATIONS:
        grey = cv2.rotate(grey, _ROTATIONS[rotate])
        rgb = None if rgb is None else cv2.rotate(rgb, _ROTATIONS[rotate])
    return PageImage(
        index=index, image=np.ascontiguousarray(grey), dpi=dpi, colour=rgb is not None, rgb=rgb
    )


def _downscale(page: PageImage, target_dpi: float | None) -> PageImage:
    if target_dpi is None or page.dpi <= target_dpi * 1.05:
        return page
    scale = target_dpi / page.dpi
    height, width = page.image.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # area averaging for big reductions; bilinear is as good and far quicker near 1
    how = cv2.INTER_AREA if scale <= 0.55 else cv2.INTER_LINEAR
    if page.rgb is None:
        grey, rgb = cv2.resize(page.image, size, interpolation=how), None
    else:
        rgb = cv2.resize(page.rgb, size, interpolation=how)
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return PageImage(index=page.index, image=grey, dpi=target_dpi, colour=page.colour, rgb=rgb)


def _render(doc: PdfDocument, info: PageInfo, dpi: float, colour: bool = True) -> PageImage:
    pixels_at_1dpi = (info.width_pt / 72.0) * (info.height_pt / 72.0)
    max_dpi = (doc.limits.max_page_pixels / pixels_at_1dpi) ** 0.5
    dpi = min(dpi, max_dpi)
    if dpi < 50:
        raise LimitExceeded(
            f"page {info.index + 1} is {info.width_pt / 72:.0f}×{info.height_pt / 72:.0f} "
            "inches: too large to render within the pixel limit",
            reason=Reason.TOO_MANY_PIXELS,
        )
    try:
        pdf = pdfium.PdfDocument(doc.data)
    except pdfium.PdfiumError as e:
        raise NoPageImage(f"page {info.index + 1} cannot be rendered ({e})") from e
    try:
        page = pdf[info.index]
        try:
            bitmap = page.render(scale=dpi / 72.0, rev_byteorder=True)
            rgb = bitmap.to_numpy()[:, :, :3].copy()
        finally:
            page.close()
    except pdfium.PdfiumError as e:
        raise NoPageImage(f"page {info.index + 1} cannot be rendered ({e})") from e
    finally:
        pdf.close()
    if not colour:
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        return PageImage(index=info.index, image=grey, dpi=dpi, colour=False)
    grey, colour_rgb = _split_colour(rgb)
    return PageImage(
        index=info.index, image=grey, dpi=dpi, colour=colour_rgb is not None, rgb=colour_rgb
    )
