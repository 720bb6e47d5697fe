"""The size an image stream's own header declares, read from its first bytes.

A PDF image has two sizes: ``/Width`` × ``/Height`` in its dictionary, and the one
its codec's header states (a JPEG's frame header, a JPEG 2000 image header, a JBIG2
page information segment, a fax stream's ``/Columns`` × ``/Rows``, a predictor's
``/Columns``). Decoders allocate for the second, so a small dictionary over a header
claiming 65000 × 65000 pixels is a decompression bomb all the same. These functions
only read headers (a few hundred bytes, nothing decoded) and return the declared
size, or None when the header is not there or says nothing.
"""

from __future__ import annotations

import struct

_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RSTn: markers without a length
_MAX_SCAN = 1 << 20  # markers are looked for in the first MB of a stream


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a JPEG's first frame header (SOFn), or None."""
    if not data.startswith(b"\xff\xd8"):
        return None
    at, end = 2, min(len(data), _MAX_SCAN)
    while at + 4 <= end:
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _STANDALONE:
            at += 2
            continue
        (length,) = struct.unpack_from(">H", data, at + 2)
        if marker in _SOF:
            if at + 9 > len(data):
                return None
            height, width = struct.unpack_from(">HH", data, at + 5)
            return width, height
        if marker == 0xDA or length < 2:  # start of scan before any frame: no size
            return None
        at += 2 + length
    return None


def jpx_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a JPEG 2000 stream: the JP2 image header box, or the raw
    codestream's SIZ marker segment."""
    head = data[:_MAX_SCAN]
    box = head.find(b"ihdr")
    if box >= 4 and box + 12 <= len(head):
        height, width = struct.unpack_from(">II", head, box + 4)
        return width, height
    siz = head.find(b"\xff\x4f\xff\x51")
    if siz >= 0 and siz + 14 <= len(head):
        # Lsiz(2) Rsiz(2) Xsiz(4) Ysiz(4) XOsiz(4) YOsiz(4)
        xsiz, ysiz = struct.unpack_from(">II", head, siz + 8)
        if siz + 22 <= len(head):
            xo, yo = struct.unpack_from(">II", head, siz + 16)
            return max(0, xsiz - xo), max(0, ysiz - yo)
        return xsiz, ysiz
    return None


def jbig2_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of the first page information segment of an embedded JBIG2
    stream (the PDF form: segments without a file header); a height of 0xFFFFFFFF
    (striped, height unknown) is returned as it is."""
    at = 0
    for _ in range(64):  # segments before the page information: symbol dictionaries
        if at + 11 > len(data):
            return None
        flags = data[at + 4]
        kind = flags & 0x3F
        number = struct.unpack_from(">I", data, at)[0]
        at += 5
        count_byte = data[at]
        count = count_byte >> 5
        if count == 7:  # long form: a 29-bit count and a retention bit field
            if at + 4 > len(data):
                return None
            count = struct.unpack_from(">I", data, at)[0] & 0x1FFFFFFF
            at += 4 + (count + 8) // 8
        else:
            at += 1
        ref_size = 1 if number <= 256 else 2 if number <= 65536 else 4
        at += count * ref_size
        at += 4 if flags & 0x40 else 1  # page association
        if at + 4 > len(data):
            return None
        (length,) = struct.unpack_from(">I", data, at)
        at += 4
        if kind == 48:  # page information
            if at + 8 > len(data):
                return None
            width, height = struct.unpack_from(">II", data, at)
            return width, height
        if length == 0xFFFFFFFF:  # unknown length: cannot skip to the next segment
            return None
        at += length
    return None
