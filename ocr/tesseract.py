"""The one module that talks to Tesseract.

Two implementations of one small interface, :class:`Engine`:

- :class:`TesserocrEngine` — in-process (tesserocr), the Swedish model loaded once per
  process, lazily on first use, and reused for every crop. Reading a one-line crop
  costs about 0.03 s, so the pipeline can afford many small reads.
- :class:`PytesseractEngine` — the ``tesseract`` command line through pytesseract, the
  product owner's default fallback (about 0.2 s start-up per call).

:func:`get_engine` picks one (``"auto"`` prefers tesserocr when it imports) and keeps
one instance per process. Every Tesseract failure becomes
:class:`~ocr.errors.UnreadablePage`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PIL import Image

from ocr.errors import UnreadablePage
from ocr.layout import Box

TESSDATA = os.environ.get("TESSDATA_PREFIX", "/usr/share/tesseract-ocr/5/tessdata")
LANG = "swe"
# Swedish's model has no "@" at all: e-mail addresses are read with English's
LANG_FOR = {"email": "eng"}

# Page segmentation modes we use (Tesseract's numbering).
PSM_BLOCK = 6  # a uniform block of text: our stacked strips
PSM_LINE = 7  # one text line
PSM_SPARSE = 11  # sparse text

# Tesseract 5 reads every word it is unsure of a second time with the colours inverted
# (white print on black); pages here are made dark-on-light before any read
# (``pipeline._paper_white``), so that second read only costs time (~14 % of a read).
SETTINGS = {"tessedit_do_invert": "0"}


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word: pixel box in the image given, confidence 0..100."""

    text: str
    left: int
    top: int
    right: int
    bottom: int
    conf: float
    line: int  # running line number within one read

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


class Engine(Protocol):
    name: str

    def read_words(
        self, image: np.ndarray, *, psm: int, dpi: int, lang: str = LANG
    ) -> list[Word]: ...


def _as_pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(image))


def _set_image(api: object, image: np.ndarray) -> None:
    """Hand the pixels over as they are: no PIL image, no BMP encoding in between."""
    pixels = np.ascontiguousarray(image, dtype=np.uint8)
    if pixels.ndim == 2:
        depth = 1
    elif pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        depth = pixels.shape[2]
    else:
        raise UnreadablePage(f"cannot read an image of shape {pixels.shape}")
    height, width = pixels.shape[:2]
    api.SetImageBytes(  # type: ignore[attr-defined]
        pixels.tobytes(), width, height, depth, width * depth
    )


class TesserocrEngine:
    """In-process Tesseract; create through :func:`get_engine`, never at import."""

    name = "tesserocr"

    def __init__(self) -> None:
        import tesserocr

        self._tesserocr = tesserocr
        self._apis: dict[tuple[int, str], object] = {}

    def _api(self, psm: int, lang: str) -> object:
        api = self._apis.get((psm, lang))
        if api is None:
            tr = self._tesserocr
            try:
                api = tr.PyTessBaseAPI(path=TESSDATA, lang=lang, psm=psm)
            except RuntimeError as e:
                raise UnreadablePage(f"cannot start Tesseract: {e}") from e
            for name, value in SETTINGS.items():
                api.SetVariable(name, value)  # type: ignore[attr-defined]
            self._apis[(psm, lang)] = api
        return api

    def read_words(self, image: np.ndarray, *, psm: int, dpi: int, lang: str = LANG) -> list[Word]:
        api = self._api(psm, lang)
        try:
            _set_image(api, image)
            api.SetSourceResolution(int(dpi))  # type: ignore[attr-defined]
            if not api.Recognize():  # type: ignore[attr-defined]
                return []
            it = api.GetIterator()  # type: ignore[attr-defined]
        except RuntimeError as e:
            raise UnreadablePage(f"Tesseract failed on a region: {e}") from e
        if it is None:
            return []
        try:
            return self._collect(it)
        except RuntimeError as e:  # tesserocr: "No text returned" on an empty result
            if "no text" in str(e).lower():
                return []
            raise UnreadablePage(f"Tesseract failed on a region: {e}") from e

    def _collect(self, it: object) -> list[Word]:
        tr = self._tesserocr
        words: list[Word] = []
        line = 0
        level = tr.RIL.WORD
        for w in tr.iterate_level(it, level):
            text = w.GetUTF8Text(level)
            if not text or not text.strip():
                continue
            if w.IsAtBeginningOf(tr.RIL.TEXTLINE):
                line += 1
            box = w.BoundingBox(level)
            if box is None:
                continue
            x0, y0, x1, y1 = box
            conf = float(w.Confidence(level))
            words.append(Word(text.strip(), x0, y0, x1, y1, conf=conf, line=line))
        return words


class PytesseractEngine:
    """The ``tesseract`` CLI through pytesseract (one process per call)."""

    name = "pytesseract"

    def __init__(self) -> None:
        import pytesseract

        self._pt = pytesseract

    def read_words(self, image: np.ndarray, *, psm: int, dpi: int, lang: str = LANG) -> list[Word]:
        pt = self._pt
        config = f"--psm {psm} --dpi {int(dpi)} --tessdata-dir {TESSDATA}"
        config += "".join(f" -c {name}={value}" for name, value in SETTINGS.items())
        try:
            data = pt.image_to_data(
                _as_pil(image), lang=lang, config=config, output_type=pt.Output.DICT
            )
        except (pt.TesseractError, pt.TesseractNotFoundError, OSError) as e:
            raise UnreadablePage(f"tesseract failed on a region: {e}") from e
        words: list[Word] = []
        line_keys: dict[tuple[int, int, int], int] = {}
        for i, text in enumerate(data["text"]):
            conf = float(data["conf"][i])
            if not text or not text.strip() or conf < 0:
                continue
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            line = line_keys.setdefault(key, len(line_keys) + 1)
            x, y = int(data["left"][i]), int(data["top"][i])
            w, h = int(data["width"][i]), int(data["height"][i])
            words.append(Word(text.strip(), x, y, x + w, y + h, conf=conf, line=line))
        return words


ENGINES = ("auto", "tesserocr", "pytesseract")


@functools.cache
def get_engine(name: str = "auto") -> Engine:
    """The engine for this process (one instance per name, created on first use)."""
    if name not in ENGINES:
        raise ValueError(f"unknown OCR engine {name!r}; choose one of {', '.join(ENGINES)}")
    if name in ("auto", "tesserocr"):
        try:
            return TesserocrEngine()
        except ImportError:
            if name == "tesserocr":
                raise
    return PytesseractEngine()


def words_text(words: Sequence[Word]) -> str:
    """Words joined line by line (a line break between Tesseract lines)."""
    out: list[str] = []
    last = None
    for w in words:
        if last is not None:
            out.append("\n" if w.line != last else " ")
        out.append(w.text)
        last = w.line
    return "".join(out)


def words_box(words: Sequence[Word]) -> Box:
    """The box around ``words`` (at least one)."""
    return Box(
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.right for w in words),
        max(w.bottom for w in words),
    )
