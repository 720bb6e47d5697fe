"""Page images and crops for the reviewer pages, rendered once and kept on disk.

A page is rendered the way the engine reads it (``ocr.pages.page_image`` at the
engine's resolution, ``/Rotate`` applied, then ``ocr.orient`` turns and deskews it), so
the boxes read, fractions of the *upright* page, fall where they were read. That
upright image (the master) is kept; the page shown and every crop (a value, the
signature) are cut from it and kept too. Everything is keyed by the scan's sha256,
the page number and the size or box, plus :data:`RENDER_VERSION`, and written
atomically (a temp file beside it, then ``os.replace``): several threads or processes
may ask at once, the worst case is the same bytes written twice.

A page the engine turned by a further 180° because its first read was poor (an
upside-down page whose ink test was unclear) is not found without OCR; such a page
would be shown the other way up from its boxes. The committed samples have none.

Layout of the cache folder (safe to delete)::

    <cache_dir>/pages/ab/<sha256>-p1-v1.png          master, upright, engine resolution
    <cache_dir>/pages/ab/<sha256>-p1-w1100-v1.png    the page as shown
    <cache_dir>/pages/ab/<sha256>-p1-c<box>-v1.png   a crop
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ingest.archive import Archive

RENDER_VERSION = 1
VIEW_WIDTH = 1100  # pixels across the page as shown
PAPER_MEAN = 110  # a page darker than this on average came in inverted (as the engine says)
_DECODED = 2  # masters kept decoded in memory (one proposal's page, and its renewal's)


def upright_page(data: bytes, number: int) -> Image.Image:
    """Page ``number`` (1-based) of a PDF, upright as the engine read it (RGB where the
    scan holds colour, else greyscale)."""
    from ocr import orient  # the engine (OpenCV) loads on the first page rendered
    from ocr.images import page_of as page_image  # a PDF page, or a photo's page
    from ocr.pipeline import MAX_DPI

    shown = page_image(data, number - 1, MAX_DPI, colour=True)
    probe = shown.image
    if shown.rgb is not None:  # the engine looks at a greyscale decode
        probe = page_image(data, number - 1, MAX_DPI, colour=False).image
    pixels: np.ndarray = shown.rgb if shown.rgb is not None else shown.image
    if float(probe[::16, ::16].mean()) < PAPER_MEAN:
        probe, pixels = 255 - probe, 255 - pixels
    turned = orient.apply(pixels, orient.detect(probe, shown.dpi))
    return Image.fromarray(np.ascontiguousarray(turned))


def crop_box(
    bbox: Sequence[float], size: tuple[int, int], *, pad: float
) -> tuple[int, int, int, int]:
    """The pixel box of fractional ``bbox`` on an image of ``size``, widened by ``pad``
    times the box's height on every side (a value's box is tight around its ink)."""
    width, height = size
    x0, y0, x1, y1 = (float(v) for v in bbox)
    margin = max(y1 - y0, 0.01) * pad
    left = max(0, int((x0 - margin * height / width) * width))
    top = max(0, int((y0 - margin) * height))
    right = min(width, int(np.ceil((x1 + margin * height / width) * width)))
    bottom = min(height, int(np.ceil((y1 + margin) * height)))
    return left, top, max(right, left + 1), max(bottom, top + 1)


def _write_png(image: Image.Image, target: Path, *, compress_level: int = 6) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(f, "PNG", compress_level=compress_level)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@dataclass
class PageImages:
    """The cache. ``renders`` counts pages rendered from a PDF (tests, the bench)."""

    cache_dir: Path
    archive: Archive
    render: Callable[[bytes, int], Image.Image] = upright_page
    renders: int = 0
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)
    _decoded: OrderedDict[Path, Image.Image] = field(default_factory=OrderedDict)

    def _path(self, sha256: str, number: int, part: str = "") -> Path:
        self.archive.path_for(sha256)  # refuses anything but a sha256
        name = f"{sha256}-p{int(number)}{part}-v{RENDER_VERSION}.png"
        return self.cache_dir / "pages" / sha256[:2] / name

    def _lock(self, key: Path) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(str(key), threading.Lock())

    def _made(self, target: Path, make: Callable[[], Image.Image], level: int = 6) -> Path:
        if target.is_file():
            return target
        with self._lock(target):
            if not target.is_file():  # another thread made it while this one waited
                _write_png(make(), target, compress_level=level)
        return target

    def master(self, sha256: str, number: int) -> Path:
        """The upright page at the engine's resolution, rendered on first need only."""

        def make() -> Image.Image:
            image = self.render(self.archive.read(sha256), number)
            with self._guard:
                self.renders += 1
            return image

        return self._made(self._path(sha256, number), make, level=1)

    def _open_master(self, sha256: str, number: int) -> Image.Image:
        path = self.master(sha256, number)
        with self._guard:
            if path in self._decoded:
                self._decoded.move_to_end(path)
                return self._decoded[path]
        with Image.open(path) as f:
            image = f.copy()
        with self._guard:
            self._decoded[path] = image
            while len(self._decoded) > _DECODED:
                self._decoded.popitem(last=False)
        return image

    def page(self, sha256: str, number: int, width: int = VIEW_WIDTH) -> Path:
        """The page as shown beside the values: ``width`` pixels across."""

        def make() -> Image.Image:
            master = self._open_master(sha256, number)
            height = max(1, round(master.height * width / master.width))
            return master.resize((width, height), Image.Resampling.LANCZOS)

        return self._made(self._path(sha256, number, f"-w{int(width)}"), make)

    def crop(self, sha256: str, number: int, bbox: Sequence[float], *, pad: float) -> Path:
        """The part of the page under ``bbox`` (fractions of the upright page), padded."""
        key = ",".join(f"{float(v):.4f}" for v in (*bbox, pad))
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]

        def make() -> Image.Image:
            master = self._open_master(sha256, number)
            return master.crop(crop_box(bbox, master.size, pad=pad))

        return self._made(self._path(sha256, number, f"-c{digest}"), make)


_APP_CACHE_LOCK = threading.Lock()


def page_images_for(state: object, *, cache_dir: Path, archive_dir: Path) -> PageImages:
    """The app's one cache, made on first use and kept on ``app.state``."""
    with _APP_CACHE_LOCK:
        cache = getattr(state, "review_page_images", None)
        if cache is None:
            cache = PageImages(cache_dir=cache_dir, archive=Archive(archive_dir))
            state.review_page_images = cache  # type: ignore[attr-defined]
        return cache
