"""Decode a scan's image XObject straight from its stream, for the common cases.

pypdf's general image extraction re-encodes every image (a JPEG is decoded and saved
again, a Flate image saved as PNG) before handing it over: most of the time spent
getting a page. The cases scanners write are decoded here directly instead:

- ``/DCTDecode`` grey or RGB: Pillow opens the JPEG as stored, and libjpeg's DCT
  scaling (``draft``) decodes a 600 dpi scan at 1/2 or 1/4 size when less is needed;
  when only grey is wanted, a colour JPEG's luma alone is decoded (no chroma at all);
- ``/FlateDecode`` 8-bit grey or RGB, and 1-bit grey: the stream (pypdf applies the
  predictor and its output limits) read into an array; a stream with PNG row filters
  (``/Predictor`` ≥ 10, what img2pdf and most scanners write) is a PNG's image data, so
  it is wrapped in a PNG header and Pillow undoes the filters in C;
- ``/CCITTFaxDecode`` (G3/G4): pypdf's TIFF wrapping of the fax data, opened by Pillow.

Anything else (JBIG2, CMYK, indexed colours, ``/Decode`` arrays, masks) returns
None and the caller falls back to pypdf's path or to rendering.
"""

from __future__ import annotations

import struct
import zlib
from io import BytesIO
from typing import Any

import numpy as np
from PIL import Image

_GREY = {"/DeviceGray", "/CalGray"}
_RGB = {"/DeviceRGB", "/CalRGB"}


def decode_image(xobj: Any, *, scale: float = 1.0, grey: bool = False) -> Image.Image | None:
    """The image as Pillow ``L``, ``1`` or ``RGB``, at ≥ ``scale`` of its size; None: not
    handled. ``grey``: a colour JPEG may come back as ``L`` (its luma, decoded alone)."""
    if any(key in xobj for key in ("/Decode", "/SMask", "/Mask", "/ImageMask")):
        return None
    filters = xobj.get("/Filter")
    filters = list(filters) if isinstance(filters, list) else [filters]
    components = _components(xobj.get("/ColorSpace"))
    if components is None:
        return None
    width, height = int(xobj["/Width"]), int(xobj["/Height"])
    bits = int(xobj.get("/BitsPerComponent", 8))
    if filters == ["/DCTDecode"]:
        return _jpeg(xobj._data, width, height, components, scale, grey)
    if filters == ["/CCITTFaxDecode"]:
        return _ccitt(xobj.get_data(), width, height)  # pypdf wraps the fax data in a TIFF
    if filters == ["/FlateDecode"]:
        png = _png(xobj, width, height, components, bits)
        if png is not None:
            return png
        if bits < 8:  # pypdf mis-applies PNG predictors to sub-byte rows: undo them here
            return _flate(_inflate_bits(xobj, width, height, bits), width, height, 1, bits)
        return _flate(xobj.get_data(), width, height, components, bits)
    return None


_MAX_SLOW_BYTES = 1_000_000


class Undecodable(ValueError):
    """The image is valid but better drawn by the renderer than decoded here or by pypdf."""


def _inflate_bits(xobj: Any, width: int, height: int, bits: int) -> bytes:
    row = (width * bits + 7) // 8
    parms = xobj.get("/DecodeParms") or {}
    parms = parms[0] if isinstance(parms, list) else parms
    predictor = int(parms.get("/Predictor", 1)) if hasattr(parms, "get") else 1
    if predictor == 1:
        return xobj.get_data()
    if predictor < 10 or int(parms.get("/Colors", 1)) != 1:
        raise Undecodable("TIFF predictor or colour sub-byte image")
    expected = (row + 1) * height
    raw = zlib.decompressobj().decompress(xobj._data, expected)
    if len(raw) < expected:
        raise Undecodable("short image stream")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, row + 1)
    kinds, data = rows[:, 0], rows[:, 1:].astype(np.uint16)
    if int(np.count_nonzero(kinds > 2)) * row > _MAX_SLOW_BYTES:
        raise Undecodable("many PNG Average/Paeth rows")  # byte by byte: pdfium is quicker
    out = np.empty((height, row), dtype=np.uint8)
    previous = np.zeros(row, dtype=np.uint16)
    for y in range(height):
        line = data[y]
        if kinds[y] == 1:  # Sub (1 byte per pixel group below 8 bits)
            line = np.cumsum(line)
        elif kinds[y] == 2:  # Up
            line = line + previous
        elif kinds[y] in (3, 4):
            line = _sequential(line.tolist(), previous.tolist(), paeth=kinds[y] == 4)
        elif kinds[y] != 0:
            raise Undecodable(f"unknown PNG filter {kinds[y]}")
        previous = line % 256
        out[y] = previous
    return out.tobytes()


def _components(space: Any) -> int | None:
    space = space.get_object() if hasattr(space, "get_object") else space
    if isinstance(space, list) and space:
        name = str(space[0])
        if name == "/ICCBased":
            n = space[1].get_object().get("/N")
            return int(n) if n in (1, 3) else None
        return 1 if name in _GREY else 3 if name in _RGB else None
    name = str(space)
    return 1 if name in _GREY else 3 if name in _RGB else None


def _jpeg(
    data: bytes, width: int, height: int, components: int, scale: float, grey: bool = False
) -> Image.Image | None:
    image = Image.open(BytesIO(data))
    if image.size != (width, height) or image.mode not in ("L", "RGB"):
        return None
    if (image.mode == "L") != (components == 1):
        return None
    mode = "L" if grey else image.mode
    if scale < 0.99 or mode != image.mode:
        size = (max(1, int(width * scale)), max(1, int(height * scale)))
        image.draft(mode, size if scale < 0.99 else None)
    image.load()
    return image


_PNG_COLOUR_TYPE = {1: 0, 3: 2}  # grey, RGB


def _png(xobj: Any, width: int, height: int, components: int, bits: int) -> Image.Image | None:
    """A Flate image with PNG row filters, decoded as the PNG it is (None: not one)."""
    parms = xobj.get("/DecodeParms") or {}
    parms = parms[0] if isinstance(parms, list) else parms
    if not hasattr(parms, "get") or int(parms.get("/Predictor", 1)) < 10:
        return None
    if int(parms.get("/Colors", 1)) != components or int(parms.get("/Columns", 1)) != width:
        return None
    if bits not in (1, 8) or (bits == 1 and components != 1):
        return None
    if int(parms.get("/BitsPerComponent", 8)) != bits and bits != 1:
        return None
    header = struct.pack(">IIBBBBB", width, height, bits, _PNG_COLOUR_TYPE[components], 0, 0, 0)
    png = b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", xobj._data),
            _chunk(b"IEND", b""),
        )
    )
    try:
        image = Image.open(BytesIO(png))
        image.load()
    except (OSError, ValueError, SyntaxError, zlib.error):
        return None  # damaged or short: the slower paths say what is wrong
    if image.size != (width, height):
        return None
    return image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _ccitt(tiff: bytes, width: int, height: int) -> Image.Image | None:
    image = Image.open(BytesIO(tiff))
    if image.size != (width, height) or image.mode != "1":
        return None
    image.load()
    return image


def _flate(data: bytes, width: int, height: int, components: int, bits: int) -> Image.Image | None:
    if bits == 8:
        expected = width * height * components
        if len(data) < expected:
            return None
        pixels = np.frombuffer(data, dtype=np.uint8, count=expected)
        shape = (height, width) if components == 1 else (height, width, 3)
        return Image.fromarray(pixels.reshape(shape), "L" if components == 1 else "RGB")
    if bits == 1 and components == 1:
        row = (width + 7) // 8
        if len(data) < row * height:
            return None
        packed = np.frombuffer(data, dtype=np.uint8, count=row * height).reshape(height, row)
        grey = np.unpackbits(packed, axis=1)[:, :width] * np.uint8(255)  # 1 = white
        return Image.fromarray(grey, "L")
    return None


def _sequential(line: list[int], above: list[int], *, paeth: bool) -> np.ndarray:
    """PNG Average (3) or Paeth (4) for one row, one byte per pixel group."""
    out: list[int] = []
    left = up_left = 0
    for raw, up in zip(line, above, strict=True):
        if paeth:
            p = left + up - up_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
            guess = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
        else:
            guess = (left + up) // 2
        value = (raw + guess) % 256
        out.append(value)
        left, up_left = value, up
    return np.asarray(out, dtype=np.uint16)
