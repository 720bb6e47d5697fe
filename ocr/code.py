"""2-D codes on a page (the join-online form's QR code): found and decoded, their bytes
and where they are, nothing more.

The engine does not interpret what a code says or whether it can be trusted: the
registry holds the key and decides (``registry.applications``). One zxing-cpp call per
page (a second only where a code was seen but not read), on the page image the
pipeline has already rendered (at most 300 dpi): QR finder patterns are found in any
orientation, so zxing's extra 90-degree pass (meant for linear barcodes) is left off; a
page turned 90/180/270 degrees or slightly skewed needs no second try. Its cost per
page, with or without a code, is measured in tests/bench/CODES.md.
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


def _read(image: np.ndarray, binarizer: zxingcpp.Binarizer) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(
        image,
        formats=FORMATS,
        try_rotate=False,
        try_downscale=True,
        try_invert=False,
        text_mode=zxingcpp.TextMode.Plain,
        binarizer=binarizer,
        return_errors=True,  # a code seen but not read is worth a second look
    )


def find_codes(image: np.ndarray, page_number: int) -> tuple[CodeFinding, ...]:
    """Every QR code readable on ``image`` (grey, the page as the bbox fractions are to
    be read against), in reading order (top to bottom).

    One look, at full resolution and smaller (zxing's downscaled passes smooth away
    speckle and the blur of turning and deskewing a page: without them a 600 dpi
    speckled scan's code was missed, tests/bench/CODES.md); only where it saw a code it
    could not read (a checksum error), a second look with the global binariser."""
    if image.size == 0:
        return ()
    h, w = image.shape[:2]
    pixels = np.ascontiguousarray(image)
    found = _read(pixels, zxingcpp.Binarizer.LocalAverage)
    if found and not any(b.valid for b in found):
        found = _read(pixels, zxingcpp.Binarizer.GlobalHistogram)
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
