"""Fuzzing the PDF reader: a corpus of real PDFs, mutations of them, hostile structures,
and a child process that reads each input under a memory and a time limit.

Used by ``tests/ocr/test_pdf_fuzz.py`` (a few thousand inputs, hypothesis) and by
``python -m tests.bench.fuzz`` (many more, seeded random). What is checked of every
input: :func:`ocr.pdf.open_pdf` either refuses it with an
:class:`~ocr.errors.ExtractionError` and a :class:`~ocr.errors.Reason`, or accepts it
and then every page's image (:func:`ocr.pages.page_images`, the engine's page path)
comes out or the page is refused the same way. Anything else is a failure:

    crash    any other exception (a bug: a bad input must get a clear error)
    died     the child was killed by a signal (a segfault in a C library, say)
    hang     no answer within the time limit (the child is killed)
    memory   MemoryError under the child's address-space limit (RLIMIT_AS: what the
             fork inherited plus MEMORY_LIMIT)

Each input runs in a forked child (:class:`Reader`) that is reused until something
goes wrong, then replaced.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import multiprocessing
import os
import random
import re
import resource
import signal
import time
import traceback
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ocr.errors import ExtractionError
from ocr.limits import DEFAULT_LIMITS, Limits
from ocr.pages import page_images
from ocr.pdf import open_pdf
from tests.ocr import pdf_factory as make

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "samples" / "committed"
FUZZ_CASES = Path(__file__).resolve().parent / "fuzz_cases"
GB = 1024**3
MEMORY_LIMIT = 3 * GB  # address space of the reading child
TIME_LIMIT = 20.0  # seconds for one input, open and every page
PAGE_DPI = 72.0  # pages are taken at this resolution (the code paths are the same)
FAILURES = ("crash", "died", "hang", "memory")


# ---------------------------------------------------------------- the corpus


def small_scan(kind: str, pages: int = 1) -> bytes:
    return make.scan_pdf(kind, dpi=50, pages=pages, size=(300, 420))


@cache
def corpus() -> dict[str, bytes]:
    """Seeds: the committed samples and small generated PDFs of each kind we read."""
    seeds = {p.stem: p.read_bytes() for p in sorted(COMMITTED.glob("*.pdf"))}
    for kind in ("flate", "jpeg", "g4", "flate-1bit", "jpeg-grey"):
        seeds[f"small-{kind}"] = small_scan(kind)
    seeds["small-2-pages"] = small_scan("g4", pages=2)
    seeds["rotated-90"] = make.rotated(small_scan("jpeg"), 90)
    seeds["vector-text"] = make.vector_text_pdf()
    seeds["encrypted-rc4"] = make.encrypted(small_scan("flate"), user_password="")
    seeds["encrypted-aes"] = make.encrypted(small_scan("g4"), "", algorithm="AES-128")
    seeds["form-xobject"] = form_xobject_pdf()
    return seeds


def form_xobject_pdf() -> bytes:
    """A page drawing a form XObject that draws a small Flate image."""
    image = make.stream(
        b"/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode",
        zlib.compress(bytes(range(64))),
    )
    form = make.stream(
        b"/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /Im0 6 0 R >> >>",
        b"q 1 0 0 1 0 0 cm /Im0 Do Q",
    )
    return make.pages_pdf(
        [b"q 595 0 0 842 0 0 cm /Fm0 Do Q"],
        resources=b"<< /XObject << /Fm0 5 0 R >> >>",
        extra=[form, image],
    )


# ---------------------------------------------------------------- mutations

# tokens a splice may insert: the words the parsers branch on
TOKENS: tuple[bytes, ...] = (
    b"obj",
    b"endobj",
    b"stream\n",
    b"\nendstream",
    b"xref",
    b"trailer",
    b"startxref",
    b"%%EOF",
    b"<<",
    b">>",
    b"[",
    b"]",
    b"(",
    b")",
    b"/Length 999999999",
    b"/Length -1",
    b"/Width 4294967295",
    b"/Height 0",
    b"/Count 2147483647",
    b"/Kids [2 0 R]",
    b"/Parent 3 0 R",
    b"/Filter /FlateDecode",
    b"/Filter [/FlateDecode /FlateDecode]",
    b"/Filter /JBIG2Decode",
    b"/Filter /JPXDecode",
    b"/Filter /CCITTFaxDecode",
    b"/Filter /LZWDecode",
    b"/DecodeParms << /Predictor 15 /Columns 99999999 >>",
    b"/BitsPerComponent 16",
    b"/ColorSpace /DeviceCMYK",
    b"/ColorSpace [/Indexed /DeviceRGB 255 <00>]",
    b"/Rotate 45",
    b"/MediaBox [0 0 1e30 1e30]",
    b"/MediaBox [0 0 0 0]",
    b"/Type /ObjStm /N 99999 /First 0",
    b"1 0 R",
    b"99999 0 R",
    b"-1",
    b"1e308",
    b"\x00",
    b"\xff\xd8\xff",
)
_NUMBER = re.compile(rb"(?<=[ /\[])\d{1,10}(?=[ \]>\n\r/])")
_STARTXREF = re.compile(rb"startxref\s+(\d+)")
_LENGTH = re.compile(rb"/Length (\d+)")
_DIMENSION = re.compile(rb"/(Width|Height|Columns|Rows|Count|N|First) (\d+)")
HUGE = (0, 1, 2**31 - 1, 2**31, 2**32 - 1, 2**32 + 1, 2**63, 10**12, 65_536, 200_000)

Op = tuple[str, int, int]  # (kind, a, b): two numbers whose meaning depends on the kind
OP_KINDS = (
    "flip",
    "byte",
    "truncate",
    "delete",
    "duplicate",
    "splice",
    "token",
    "number",
    "length",
    "startxref",
    "dimension",
    "cut_tail",
)


def apply_ops(data: bytes, ops: Sequence[Op], seeds: Sequence[bytes] = ()) -> bytes:
    """``data`` with every op applied in turn (each op is total: any numbers will do)."""
    out = bytearray(data)
    for kind, a, b in ops:
        out = bytearray(_apply(bytes(out), kind, a, b, seeds))
    return bytes(out)


def _apply(data: bytes, kind: str, a: int, b: int, seeds: Sequence[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return data
    at = a % n
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ (1 << (b % 8))]) + data[at + 1 :]
    if kind == "byte":
        return data[:at] + bytes([b % 256]) + data[at + 1 :]
    if kind == "truncate":
        return data[:at]
    if kind == "cut_tail":  # keep the %%EOF: a damaged middle, not a short file
        return data[: max(0, n - 64 - b % 4096)] + data[-64:]
    if kind == "delete":
        return data[:at] + data[at + 1 + b % 512 :]
    if kind == "duplicate":
        size = 1 + b % 2048
        return data[:at] + data[at : at + size] * 2 + data[at + size :]
    if kind == "splice" and seeds:
        other = seeds[b % len(seeds)]
        start = (a * 7919 + b) % len(other)
        return data[:at] + other[start : start + 1 + (a ^ b) % 4096] + data[at:]
    if kind == "token":
        return data[:at] + b" " + TOKENS[b % len(TOKENS)] + b" " + data[at:]
    if kind == "number":
        return _nth_sub(_NUMBER, data, a, lambda m: b"%d" % HUGE[b % len(HUGE)])
    if kind == "length":
        return _nth_sub(_LENGTH, data, a, lambda m: b"/Length %d" % _damage(int(m[1]), b))
    if kind == "startxref":
        return _nth_sub(_STARTXREF, data, a, lambda m: b"startxref\n%d" % _damage(int(m[1]), b))
    if kind == "dimension":
        return _nth_sub(_DIMENSION, data, a, lambda m: m[1].join((b"/", b" %d" % HUGE[b % 10])))
    return data


def _damage(value: int, b: int) -> int:
    choices = (0, value - 1, value + 1, value * 2, value // 2, 2**31, value + 1000, 10**15)
    return max(0, choices[b % len(choices)])


def _nth_sub(
    pattern: re.Pattern[bytes], data: bytes, a: int, repl: Callable[[Any], bytes]
) -> bytes:
    found = list(pattern.finditer(data))
    if not found:
        return data
    m = found[a % len(found)]
    return data[: m.start()] + repl(m) + data[m.end() :]


# ---------------------------------------------------------------- hostile structures


def deep_array_pdf(depth: int) -> bytes:
    nested = b"[" * depth + b"]" * depth
    return make.pages_pdf([b"q 1 0 0 1 0 0 cm Q"], resources=b"<< /Foo " + nested + b" >>")


def deep_dict_pdf(depth: int) -> bytes:
    nested = b"<< /A " * depth + b"1" + b" >>" * depth
    return make.pages_pdf([b"BT ET"], resources=nested)


def deep_content_pdf(depth: int) -> bytes:
    return make.pages_pdf([b"q " * depth + b"0 0 1 1 re f " + b"Q " * depth])


def page_tree_loop_pdf() -> bytes:
    """The page tree's kids name the tree itself."""
    return make.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            make.stream(b"", b"0 0 1 1 re f"),
        ]
    )


def self_reference_pdf() -> bytes:
    """Objects that are references to themselves and to each other."""
    return make.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox 5 0 R /Resources 6 0 R /Contents 4 0 R >>",
            make.stream(b"", b"0 0 1 1 re f"),
            b"5 0 R",
            b"7 0 R",
            b"6 0 R",
        ]
    )


def form_loop_pdf() -> bytes:
    """A form XObject whose resources draw itself."""
    form = make.stream(
        b"/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /Fm0 5 0 R >> >>",
        b"/Fm0 Do",
    )
    return make.pages_pdf([b"/Fm0 Do"], resources=b"<< /XObject << /Fm0 5 0 R >> >>", extra=[form])


@cache
def zeros_deflated(size: int) -> bytes:
    """zlib of ``size`` zero bytes, made in chunks (1 GiB: about 1 MB)."""
    comp = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    parts = [comp.compress(chunk) for _ in range(size >> 20)]
    return b"".join(parts) + comp.flush()


def flate_content_bomb_pdf(size: int = GB) -> bytes:
    """A page whose content stream inflates to ``size`` bytes (spaces would do as well)."""
    return _pages_with_stream(make.stream(b"/Filter /FlateDecode", zeros_deflated(size)))


def _pages_with_stream(content_obj: bytes, resources: bytes = b"<< >>") -> bytes:
    return make.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources "
            + resources
            + b" /Contents 4 0 R >>",
            content_obj,
        ]
    )


def flate_image_bomb_pdf(width: int = 10_000, height: int = 10_000, size: int = GB) -> bytes:
    """An image whose dictionary is within the limits but whose stream inflates to GBs."""
    image = make.stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode" % (width, height),
        zeros_deflated(size),
    )
    return make.pages_pdf(
        [b"q 595 0 0 842 0 0 cm /Im0 Do Q"],
        resources=b"<< /XObject << /Im0 5 0 R >> >>",
        extra=[image],
    )


def object_stream_bomb_pdf(size: int = GB) -> bytes:
    """A page's resources kept in an object stream (found through an xref stream) that
    inflates to ``size`` bytes."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources 5 0 R /Contents 6 0 R >>",
        make.stream(b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", zeros_deflated(size)),
        b"",  # object 5 lives in object stream 4
        make.stream(b"", b"0 0 1 1 re f"),
    ]
    offsets: dict[int, int] = {}
    for number, body in enumerate(bodies, start=1):
        if body:
            offsets[number] = out.tell()
            out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    rows = [b"\x00" + bytes(4) + b"\xff\xff"]
    for number in range(1, 8):
        if number == 5:
            rows.append(b"\x02" + (4).to_bytes(4, "big") + (0).to_bytes(2, "big"))
        elif number == 7:
            rows.append(b"\x01" + out.tell().to_bytes(4, "big") + bytes(2))
        else:
            rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + bytes(2))
    xref_at = out.tell()
    table = b"".join(rows)
    out.write(
        b"7 0 obj\n"
        + make.stream(b"/Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R", table)
        + b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    )
    return out.getvalue()


def jpeg_header(width: int, height: int, components: int = 1) -> bytes:
    """A JPEG (baseline) whose frame header declares ``width``×``height``; the rest is a
    real tiny image's data, so a decoder believes the header and allocates for it."""
    buf = io.BytesIO()
    from PIL import Image

    Image.new("L" if components == 1 else "RGB", (8, 8), 255).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def jpeg_bomb_pdf(
    declared: tuple[int, int] = (600, 800), inner: tuple[int, int] = (65_000, 65_000)
) -> bytes:
    """A DCT image whose dictionary says a small size but whose JPEG says 65000×65000."""
    image = make.stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /DCTDecode" % declared,
        jpeg_header(*inner),
    )
    return make.pages_pdf(
        [b"q 595 0 0 842 0 0 cm /Im0 Do Q"],
        resources=b"<< /XObject << /Im0 5 0 R >> >>",
        extra=[image],
    )


def jbig2_bomb_pdf(width: int = 1000, height: int = 1000) -> bytes:
    """A JBIG2 image whose page information segment declares 2^31×2^31 pixels."""
    # segment header: number, flags (type 48: page information), referred-to, page, length
    info = (
        (0xFFFF_FFF0).to_bytes(4, "big")
        + (0x7FFF_FFFF).to_bytes(4, "big")
        + (72).to_bytes(4, "big") * 2
        + b"\x00\x00\x00"
    )
    segment = (0).to_bytes(4, "big") + b"\x30\x00\x01" + (len(info)).to_bytes(4, "big") + info
    image = make.stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 1 /Filter /JBIG2Decode" % (width, height),
        segment,
    )
    return make.pages_pdf(
        [b"q 595 0 0 842 0 0 cm /Im0 Do Q"],
        resources=b"<< /XObject << /Im0 5 0 R >> >>",
        extra=[image],
    )


def ccitt_bomb_pdf(columns: int = 2_000_000_000, rows: int = 2_000_000_000) -> bytes:
    """A fax image whose /DecodeParms declare far more than its /Width and /Height."""
    image = make.stream(
        b"/Type /XObject /Subtype /Image /Width 1000 /Height 1000 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 1 /Filter /CCITTFaxDecode "
        b"/DecodeParms << /K -1 /Columns %d /Rows %d >>" % (columns, rows),
        b"\x00" * 64,
    )
    return make.pages_pdf(
        [b"q 595 0 0 842 0 0 cm /Im0 Do Q"],
        resources=b"<< /XObject << /Im0 5 0 R >> >>",
        extra=[image],
    )


def png_predictor_bomb_pdf(columns: int = 200_000_000) -> bytes:
    """A Flate image with PNG predictors whose /Columns are far wider than its /Width."""
    image = make.stream(
        b"/Type /XObject /Subtype /Image /Width 100 /Height 100 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode "
        b"/DecodeParms << /Predictor 15 /Colors 1 /Columns %d >>" % columns,
        zeros_deflated(64 << 20),
    )
    return make.pages_pdf(
        [b"q 595 0 0 842 0 0 cm /Im0 Do Q"],
        resources=b"<< /XObject << /Im0 5 0 R >> >>",
        extra=[image],
    )


def many_pages_pdf(count: int = 100_000) -> bytes:
    """A page tree that declares and holds very many (tiny) pages."""
    kids = b" ".join(b"3 0 R" for _ in range(count))
    return make.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            make.stream(b"", b"0 0 1 1 re f"),
        ]
    )


def form_fanout_pdf(width: int = 60, depth: int = 8) -> bytes:
    """Forms naming the next one ``width`` times, ``depth`` deep: ``width ** depth``
    paths to walk for a reader that does not remember where it has been."""
    objects = []
    for level in range(depth):
        names = b" ".join(b"/F%d %d 0 R" % (i, 6 + level) for i in range(width))
        objects.append(
            make.stream(
                b"/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << "
                + names
                + b" >> >>",
                b"/F0 Do",
            )
        )
    objects[-1] = make.stream(b"/Type /XObject /Subtype /Form /BBox [0 0 1 1]", b"0 0 1 1 re f")
    return make.pages_pdf([b"/F0 Do"], resources=b"<< /XObject << /F0 5 0 R >> >>", extra=objects)


def inline_image_bomb_pdf(width: int = 60_000, height: int = 60_000) -> bytes:
    """An inline image (BI … ID … EI) declaring 3.6 Gpx, its data a small Flate bomb."""
    content = (
        b"q 595 0 0 842 0 0 cm BI /W %d /H %d /CS /G /BPC 8 /F /Fl ID " % (width, height)
        + zeros_deflated(64 << 20)
        + b" EI Q"
    )
    return make.pages_pdf([content])


def smask_bomb_pdf() -> bytes:
    """A small image whose soft mask declares 200000×200000 pixels."""
    image = make.stream(
        b"/Type /XObject /Subtype /Image /Width 10 /Height 10 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /SMask 6 0 R",
        b"\x80" * 100,
    )
    mask = make.stream(
        b"/Type /XObject /Subtype /Image /Width 200000 /Height 200000 /ColorSpace "
        b"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
        zeros_deflated(1 << 20),
    )
    return make.pages_pdf(
        [b"q 595 0 0 842 0 0 cm /Im0 Do Q"],
        resources=b"<< /XObject << /Im0 5 0 R >> >>",
        extra=[image, mask],
    )


@cache
def hostile() -> dict[str, bytes]:
    """Hand-made hostile PDFs, each meant to hang, exhaust or crash a careless reader."""
    return {
        "deep-array-100k": deep_array_pdf(100_000),
        "deep-dict-10k": deep_dict_pdf(10_000),
        "deep-content-100k": deep_content_pdf(100_000),
        "page-tree-loop": page_tree_loop_pdf(),
        "self-reference": self_reference_pdf(),
        "form-loop": form_loop_pdf(),
        "flate-content-bomb-1g": flate_content_bomb_pdf(GB),
        "flate-image-bomb-1g": flate_image_bomb_pdf(),
        "object-stream-bomb-1g": object_stream_bomb_pdf(),
        "jpeg-bomb-65000": jpeg_bomb_pdf(),
        "jbig2-bomb": jbig2_bomb_pdf(),
        "ccitt-bomb": ccitt_bomb_pdf(),
        "png-predictor-bomb": png_predictor_bomb_pdf(),
        "many-pages-100k": many_pages_pdf(),
        "image-bomb-declared": make.image_bomb_pdf(200_000, 200_000),
        "form-fanout-60x8": form_fanout_pdf(),
        "inline-image-bomb": inline_image_bomb_pdf(),
        "smask-bomb": smask_bomb_pdf(),
        # a 2 MB scan drawn skewed 20000 pt high: pdfium allocated 1.9 GB for it
        "skewed-image": make.image_bomb_pdf(1654, 2339, cm=b"595 20000 0 842 0 0"),
    }


# ---------------------------------------------------------------- reading one input


@dataclass(frozen=True, slots=True)
class Verdict:
    """What became of one input."""

    kind: str  # "pages", "error", or one of FAILURES
    detail: str  # the reason's value, the exception, the signal
    pages: int = 0
    seconds: float = 0.0
    peak_rss_kb: int = 0  # the child's peak so far

    @property
    def failed(self) -> bool:
        return self.kind in FAILURES


def read_all(
    data: bytes, limits: Limits = DEFAULT_LIMITS, dpi: float = PAGE_DPI
) -> tuple[str, str, int]:
    """Open ``data`` and take every page's image: ("pages", "", n) or ("error", reason, n)."""
    pages = 0
    try:
        doc = open_pdf(data, limits)
        for page in page_images(doc, target_dpi=dpi, colour=pages % 2 == 0):
            assert page.image.ndim == 2 and page.image.size > 0
            pages += 1
    except ExtractionError as e:
        return "error", e.reason.value, pages
    return "pages", "", pages


def _mapped_bytes() -> int:
    """This process's address space now (``/proc/self/statm``: its size in pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def _child(conn: Connection, memory_limit: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.disable()  # a child killed by a signal is the finding, not a dump
    quiet = os.open(os.devnull, os.O_WRONLY)  # libtiff's and pdfium's own complaints
    os.dup2(quiet, 2)
    # the limit is on top of what the fork inherited: a test process that has loaded a
    # model (onnxruntime maps a lot) left a child with no room under a flat 3 GiB
    limit = _mapped_bytes() + memory_limit
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        data, limits, dpi = job
        start = time.perf_counter()
        try:
            kind, detail, pages = read_all(data, limits, dpi)
        except MemoryError:
            kind, detail, pages = "memory", "MemoryError", 0
        except BaseException as e:  # noqa: BLE001 - every other exception is the finding
            kind, detail, pages = "crash", _trace(e), 0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        conn.send((kind, detail, pages, time.perf_counter() - start, peak))


def _trace(e: BaseException) -> str:
    frames = traceback.extract_tb(e.__traceback__)[-4:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))
    return f"{type(e).__name__}: {str(e)[:200]} at {where}"


class Reader:
    """A forked child that reads inputs one at a time, replaced when one kills or hangs it
    (or after ``recycle`` inputs, so its peak memory is not one huge input's forever)."""

    def __init__(
        self,
        *,
        memory_limit: int = MEMORY_LIMIT,
        time_limit: float = TIME_LIMIT,
        limits: Limits = DEFAULT_LIMITS,
        dpi: float = PAGE_DPI,
        recycle: int = 500,
    ) -> None:
        self.memory_limit, self.time_limit = memory_limit, time_limit
        self.limits, self.dpi, self.recycle = limits, dpi, recycle
        self.peak_rss_kb = 0
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._done = 0

    def _start(self) -> Connection:
        ctx = multiprocessing.get_context("fork")
        ours, theirs = ctx.Pipe()
        self._process = ctx.Process(target=_child, args=(theirs, self.memory_limit), daemon=True)
        self._process.start()
        theirs.close()
        self._conn, self._done = ours, 0
        return ours

    def read(self, data: bytes) -> Verdict:
        if self._conn is None or self._done >= self.recycle:
            self.close()
            conn = self._start()
        else:
            conn = self._conn
        self._done += 1
        start = time.perf_counter()
        try:
            conn.send((data, self.limits, self.dpi))
            answered = conn.poll(self.time_limit)
            if answered:
                kind, detail, pages, seconds, peak = conn.recv()
                self.peak_rss_kb = max(self.peak_rss_kb, peak)
                if kind in FAILURES:
                    self.close()  # a child that ran out of memory is not trusted again
                return Verdict(kind, detail, pages, seconds, peak)
        except (EOFError, BrokenPipeError, ConnectionResetError):
            pass
        else:
            self.close()
            return Verdict("hang", f"no answer in {self.time_limit:.0f} s", 0, self.time_limit)
        code = self._reap()
        return Verdict("died", f"child exit code {code}", 0, time.perf_counter() - start)

    def _reap(self) -> int | None:
        process = self._process
        self._process, self._conn = None, None
        if process is None:
            return None
        process.join(5)
        return process.exitcode

    def close(self) -> None:
        process, conn = self._process, self._conn
        self._process, self._conn = None, None
        if conn is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                conn.send(None)
            conn.close()
        if process is not None:
            process.join(0.5)
            if process.is_alive():
                os.kill(process.pid, signal.SIGKILL)
                process.join(5)

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Readers:
    """``count`` readers side by side; :meth:`read_many` keeps the inputs' order."""

    def __init__(self, count: int = 2, **kwargs: Any) -> None:
        self.readers = [Reader(**kwargs) for _ in range(count)]
        self._pool = ThreadPoolExecutor(max_workers=count)

    def read_many(self, inputs: Sequence[bytes]) -> list[Verdict]:
        slices = [inputs[i :: len(self.readers)] for i in range(len(self.readers))]
        futures = [
            self._pool.submit(lambda r, s: [r.read(d) for d in s], reader, part)
            for reader, part in zip(self.readers, slices, strict=True)
        ]
        results = [f.result() for f in futures]
        out: list[Verdict] = []
        for i in range(len(inputs)):
            out.append(results[i % len(self.readers)][i // len(self.readers)])
        return out

    @property
    def peak_rss_kb(self) -> int:
        return max(r.peak_rss_kb for r in self.readers)

    def close(self) -> None:
        for reader in self.readers:
            reader.close()
        self._pool.shutdown()

    def __enter__(self) -> Readers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def random_ops(rng: random.Random, count: int) -> list[Op]:
    """Mutations drawn from ``rng`` (the bench's way; the test draws with hypothesis)."""
    return [
        (rng.choice(OP_KINDS), rng.randrange(1 << 30), rng.randrange(1 << 16)) for _ in range(count)
    ]
