"""2-D codes on a page (the join-online form's QR code): found and decoded, their bytes
and where they are, nothing more.

The engine does not interpret what a code says or whether it can be trusted: the
registry holds the key and decides (``registry.applications``). One zxing-cpp call per
page, on the page image the pipeline has already rendered (at most 300 dpi): QR finder
patterns are found in any orientation, so zxing's extra 90-degree pass (meant for
linear barcodes) is left off, and its downscaled passes are tried only where a code was
seen but not read (:func:`find_codes`); a page turned 90/180/270 degrees or slightly
skewed needs no second try. About 10-30 ms a page, with or without a code (the engine
spends 0.5-2 s on the rest of it): tests/bench/CODES.md.
"""

from __future__ import annotations

import numpy as np
import zxingcpp

from ocr.model import BBox, CodeFinding

# the join-online form prints a QR code; DataMatrix ("QRCode,DataMatrix") would be read
# too if a form ever printed one, at about 10 ms more a page: not paid for until then
FORMATS = zxingcpp.barcode_formats_from_str("QRCode")
_FORMAT_NAMES = {
    zxingcpp.BarcodeFormat.QRCode: "qr",
    zxingcpp.BarcodeFormat.DataMatrix: "datamatrix",
}


def _bbox(position: zxingcpp.Position, width: int, height: int) -> BBox:
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    xs, ys = [p.x for p in corners], [p.y for p in corners]

    def clamp(v: float) -> float:
        return min(1.0, max(0.0, v))

    return (
        clamp(min(xs) / width),
        clamp(min(ys) / height),
        clamp(max(xs) / width),
        clamp(max(ys) / height),
    )


def _read(image: np.ndarray, *, downscale: bool) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(
        image,
        formats=FORMATS,
        try_rotate=False,
        try_downscale=downscale,
        try_invert=False,
        text_mode=zxingcpp.TextMode.Plain,
        return_errors=True,  # a code seen but not read is worth a second look
    )


def find_codes(image: np.ndarray, page_number: int) -> tuple[CodeFinding, ...]:
    """Every QR code readable on ``image`` (grey, the page as the bbox fractions are to
    be read against), in reading order (top to bottom).

    One look at full resolution; only where it saw a code it could not read (a checksum
    error: speckle, or the blur of turning and deskewing the page) a second, with
    zxing's downscaled passes, which smooth such noise away."""
    if image.size == 0:
        return ()
    h, w = image.shape[:2]
    pixels = np.ascontiguousarray(image)
    found = _read(pixels, downscale=False)
    if found and not any(b.valid for b in found):
        found = _read(pixels, downscale=True)
    codes = [
        CodeFinding(
            format=_FORMAT_NAMES.get(b.format, str(b.format)),
            data=bytes(b.bytes),
            page=page_number,
            bbox=_bbox(b.position, w, h),
        )
        for b in found
        if b.valid
    ]
    codes.sort(key=lambda c: (c.bbox[1], c.bbox[0]) if c.bbox else (0.0, 0.0))
    return tuple(codes)
