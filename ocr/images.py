"""Image files (a phone's JPEG or PNG, a scanner's TIFF) as the engine takes them.

    image_kind(data) -> "jpeg" | "png" | "tiff" | "heic" | None     from the first bytes
    check_image(data, limits) -> ImageInfo     the quick checks the intake runs, nothing decoded
    decode(data, limits) -> [RGB or L arrays]  EXIF orientation applied, one per frame
    page_of(data, index, dpi, limits, colour=)  page ``index`` of a PDF, photo or TIFF

A JPEG or PNG is a *photo*: the page is found in it (:mod:`ocr.photo`). A TIFF is a
*scan*: each frame is a page, its resolution from the file (200 dpi when it says none).
A HEIC photo (an iPhone's default) is a photo too, decoded by libheif (``pillow-heif``).
Pure: bytes in, arrays out.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr.errors import ExtractionError, InvalidInput, LimitExceeded, Reason
from ocr.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from ocr.pages import PageImage

Kind = Literal["jpeg", "png", "tiff", "heic"]
TIFF_DEFAULT_DPI = 200.0
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")
AVIF_MESSAGE = "AVIF images are not read: send JPEG, HEIC or PDF"


def image_kind(data: bytes) -> Kind | None:
    """Which image file ``data`` is, from its magic bytes; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "heic"
    return None


# a file of these kinds is whole once its last bytes hold the format's end marker (a
# little padding after a JPEG's end-of-image is common); TIFF and HEIC carry none
END_MARKERS: dict[Kind, bytes] = {"jpeg": b"\xff\xd9", "png": b"IEND\xaeB`\x82"}
END_SLACK = 64  # bytes at the end a marker is looked for in


def is_image(data: bytes) -> bool:
    return image_kind(data) is not None


@dataclass(frozen=True, slots=True)
class ImageInfo:
    kind: Kind
    width: int
    height: int
    frames: int
    dpi: float | None  # as the file says (TIFF scans), None when it says nothing


def _open(data: bytes, limits: Limits) -> tuple[Kind, Image.Image]:
    kind = image_kind(data)
    if kind is None:
        raise InvalidInput("not an image (JPEG, PNG or TIFF)", reason=Reason.NOT_PDF)
    if len(data) > limits.max_bytes:
        raise LimitExceeded(
            f"the image is {len(data) // (1024 * 1024)} MB, more than the "
            f"{limits.max_bytes // (1024 * 1024)} MB allowed",
            reason=Reason.FILE_TOO_LARGE,
        )
    if kind == "heic" and data[8:12] == b"avif":  # the same container, another codec
        raise InvalidInput(AVIF_MESSAGE, reason=Reason.UNSUPPORTED_IMAGE)
    if kind == "heic":
        return kind, _open_heic(data, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise LimitExceeded(f"the image is too large: {e}", reason=Reason.TOO_MANY_PIXELS) from e
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise InvalidInput(f"the {kind.upper()} image cannot be read ({e})") from e
    return kind, image


def _open_heic(data: bytes, limits: Limits) -> Image.Image:
    """A HEIC/HEIF photo (an iPhone's default) through libheif (``pillow-heif``): its
    size is checked from the header before anything is decoded; the primary image only,
    EXIF kept for the orientation."""
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
        width, height = heif.size
    except (ValueError, RuntimeError, OSError) as e:
        raise InvalidInput(f"the HEIC image cannot be read ({e})", reason=Reason.TRUNCATED) from e
    _pixel_check("heic", width, height, 1, limits)
    try:
        return heif.to_pillow()
    except (ValueError, RuntimeError, OSError) as e:
        raise InvalidInput(
            f"the HEIC image is damaged or cut short ({e})", reason=Reason.TRUNCATED
        ) from e


def _pixel_check(kind: Kind, width: int, height: int, frames: int, limits: Limits) -> None:
    if width < 1 or height < 1:
        raise InvalidInput(f"the {kind.upper()} image has no pixels")
    if width * height > limits.max_page_pixels:
        raise LimitExceeded(
            f"the image is {width}×{height} pixels, more than the "
            f"{limits.max_page_pixels // 1_000_000} Mpx allowed",
            reason=Reason.TOO_MANY_PIXELS,
        )
    if frames > limits.max_pages:
        raise LimitExceeded(
            f"the TIFF has {frames} pages, more than the {limits.max_pages} allowed",
            reason=Reason.TOO_MANY_PAGES,
        )
    if width * height * frames > limits.max_total_pixels:
        raise LimitExceeded(
            f"the TIFF's pages hold more than {limits.max_total_pixels // 1_000_000} Mpx",
            reason=Reason.TOO_MANY_PIXELS,
        )


def check_received(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """The intake's quick checks of a received file, whichever kind it is: an image
    (:func:`check_image`) or a PDF (``ocr.pdf.open_pdf``). Raises
    :class:`~ocr.errors.ExtractionError` with its reason when the file is refused."""
    if is_image(data):
        check_image(data, limits)
    else:
        from ocr.pdf import open_pdf

        open_pdf(data, limits)


def check_image(data: bytes, limits: Limits = DEFAULT_LIMITS) -> ImageInfo:
    """The intake's quick checks of an image file (kind, size, pixel count, pages); only
    the header is read. Raises :class:`~ocr.errors.ExtractionError` when it is refused.
    Whether a photo shows a page is only known once it is read (``no_page_in_photo``)."""
    if not data:
        raise InvalidInput("the file is empty", reason=Reason.EMPTY)
    kind, image = _open(data, limits)
    with image:
        frames = int(getattr(image, "n_frames", 1)) if kind == "tiff" else 1
        _pixel_check(kind, image.width, image.height, frames, limits)
        dpi = _dpi(image) if kind == "tiff" else None
        if kind == "jpeg" and not data.rstrip(b"\x00")[-2:] == b"\xff\xd9":
            raise InvalidInput(
                "the JPEG image is cut short (it has no end marker)", reason=Reason.TRUNCATED
            )
        try:  # a cut-short PNG is found here, cheaply: the chunks are read, not decoded
            image.verify()
        except Exception as e:
            raise InvalidInput(
                f"the {kind.upper()} image is damaged or cut short ({e})", reason=Reason.TRUNCATED
            ) from e
    return ImageInfo(kind, image.width, image.height, frames, dpi)


def _dpi(image: Image.Image) -> float | None:
    value = image.info.get("dpi")
    if not value:
        return None
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (x + y) / 2 if 50 <= x <= 2400 and 50 <= y <= 2400 else None


def _array(frame: Image.Image, colour: bool) -> np.ndarray:
    if frame.mode in ("1", "L", "I;16", "I", "F", "LA"):
        return np.asarray(frame.convert("L"), dtype=np.uint8)
    rgb = frame.convert("RGB")
    if not colour:
        return np.asarray(rgb.convert("L"), dtype=np.uint8)
    return np.asarray(rgb, dtype=np.uint8)


def decode(
    data: bytes, limits: Limits = DEFAULT_LIMITS, *, colour: bool = True
) -> tuple[ImageInfo, list[np.ndarray]]:
    """Every frame's pixels (H×W×3 RGB or H×W greyscale), EXIF orientation applied."""
    info = check_image(data, limits)
    _, image = _open(data, limits)
    frames: list[np.ndarray] = []
    try:
        with image:
            for i in range(info.frames):
                image.seek(i)
                image.load()
                upright = ImageOps.exif_transpose(image) if info.kind != "tiff" else image
                frames.append(_array(upright if upright is not None else image, colour))
    except ExtractionError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        raise InvalidInput(
            f"the {info.kind.upper()} image is damaged or cut short ({e})", reason=Reason.TRUNCATED
        ) from e
    return info, frames


def tiff_pages(
    data: bytes, limits: Limits = DEFAULT_LIMITS, *, colour: bool = False
) -> list[PageImage]:
    """A TIFF scan's pages, as stored (each frame a page, no page finding)."""
    from ocr.pages import PageImage, _split_colour

    info, frames = decode(data, limits, colour=colour)
    dpi = info.dpi or TIFF_DEFAULT_DPI
    pages = []
    for i, pixels in enumerate(frames):
        if pixels.ndim == 3:
            grey, rgb = _split_colour(pixels)
        else:
            grey, rgb = pixels, None
        pages.append(PageImage(index=i, image=grey, dpi=dpi, colour=rgb is not None, rgb=rgb))
    return pages


def image_pages(
    data: bytes, limits: Limits = DEFAULT_LIMITS, *, colour: bool = False
) -> list[PageImage]:
    """The pages of an image file: a photo's one page found and flattened, a TIFF's
    frames as scanned."""
    if image_kind(data) == "tiff":
        return tiff_pages(data, limits, colour=colour)
    from ocr.photo import photo_page

    return [photo_page(data, limits, colour=colour)]


def page_of(
    data: bytes,
    index: int,
    target_dpi: float | None = None,
    limits: Limits = DEFAULT_LIMITS,
    *,
    colour: bool = True,
) -> PageImage:
    """Page ``index`` of a PDF (:func:`ocr.pages.page_image`) or of an image file."""
    if not is_image(data):
        from ocr.pages import page_image

        return page_image(data, index, target_dpi, limits, colour=colour)
    pages = image_pages(data, limits, colour=colour)
    if not 0 <= index < len(pages):
        raise IndexError(f"page index {index} outside 0..{len(pages) - 1}")
    return pages[index]
