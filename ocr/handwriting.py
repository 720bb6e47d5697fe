"""A second recogniser for hand-filled values: PaddleOCR's PP-OCRv6 text-line model.

The model ships inside the ``rapidocr`` wheel (``rapidocr/models/PP-OCRv6_rec_small.onnx``)
and runs on onnxruntime on the CPU. :class:`Recogniser` is made from the model's bytes
(:func:`bundled_model` reads them from the installed package; nothing is downloaded) —
one per process, never one per call — and reads grey crops of a field's value region.
Each :class:`Reading` carries the model's per-timestep character probabilities (what
:mod:`ocr.ctc` decodes under a field's constraint), its greedy text and that text's
confidence.

Preprocessing follows rapidocr's own ``TextRecognizer.resize_norm_img``: height 48, the
width by the crop's aspect ratio, at least 320, ``(x / 255 - 0.5) / 0.5``, zero padding
on the right, each crop to its own width (so what one crop reads never depends on the
other crops of the page; crops of the same width share an ONNX call, at most
:data:`MAX_BATCH_COLUMNS` wide in all, so one call's memory is bounded whatever the page
holds). The session keeps no memory arena: a wide crop's buffers are given back after its
call (the arena would keep its largest call's, rounded up to a power of two, for the
worker's life). Its character list is the model's ``character`` metadata with the CTC
blank put first and a space put last (rapidocr's ``CTCLabelDecode.get_character``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import cv2
import numpy as np

MODEL_PACKAGE = "rapidocr"
MODEL_FILE = "models/PP-OCRv6_rec_small.onnx"
HEIGHT = 48
MIN_WIDTH = 320  # rapidocr's rec_img_shape [3, 48, 320]
MAX_WIDTH = 1600  # a crop wider than this is squeezed (a value is never that long)
MAX_BATCH_COLUMNS = MAX_WIDTH  # one ONNX call's input at most (N crops x width): memory
BLANK = 0
INK_LEVEL = 160  # darker than this on a 0..255 grey crop is ink
PAD = 6  # pixels of paper kept around the ink before resizing


@dataclass(frozen=True, slots=True)
class Reading:
    """The model's read of one crop."""

    probs: np.ndarray  # (T, C) float32: probability of each character at each timestep
    text: str  # best path, repeats merged, blanks removed
    confidence: float  # mean probability of the best path's characters (rapidocr's score)


def bundled_model() -> bytes:
    """The PP-OCRv6 recognition model as it ships in the installed rapidocr wheel."""
    return (resources.files(MODEL_PACKAGE) / MODEL_FILE).read_bytes()


class Recogniser:
    """PP-OCRv6 text-line recognition; make one per process (loading takes ~0.3 s)."""

    def __init__(self, model: bytes, *, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        options.enable_cpu_mem_arena = False  # see the module: memory given back per call
        self._session = ort.InferenceSession(
            model, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        meta = self._session.get_modelmeta().custom_metadata_map
        self.characters: tuple[str, ...] = ("", *meta["character"].splitlines(), " ")
        self.index: dict[str, int] = {}
        for i, ch in enumerate(self.characters):
            if i != BLANK:
                self.index.setdefault(ch, i)

    def read(self, crop: np.ndarray) -> Reading:
        return self.read_many([crop])[0]

    def read_many(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """Each crop's reading. Each crop is padded to its own width only (so its reading
        does not depend on the other crops of the page); crops of the same padded width
        share an ONNX call, at most :data:`MAX_BATCH_COLUMNS` of width per call."""
        prepared = [_prepare(c) for c in crops]
        out: list[Reading | None] = [None] * len(prepared)
        for chunk in _batches([max(MIN_WIDTH, p.shape[1]) for p in prepared]):
            width = max(MIN_WIDTH, prepared[chunk[0]].shape[1])
            batch = np.zeros((len(chunk), 3, HEIGHT, width), dtype=np.float32)
            for row, i in enumerate(chunk):
                p = prepared[i]
                batch[row, :, :, : p.shape[1]] = p[np.newaxis]
            (probs,) = self._session.run(None, {self._input: batch})
            del batch
            for row, i in enumerate(chunk):
                out[i] = self._greedy(np.ascontiguousarray(probs[row], dtype=np.float32))
        return [r for r in out if r is not None]

    def _greedy(self, probs: np.ndarray) -> Reading:
        best = probs.argmax(axis=1)
        keep = np.ones(len(best), dtype=bool)
        keep[1:] = best[1:] != best[:-1]
        keep &= best != BLANK
        chosen = best[keep]
        confs = probs[np.arange(len(best))[keep], chosen]
        text = "".join(self.characters[i] for i in chosen)
        confidence = float(confs.mean()) if len(confs) else 0.0
        return Reading(probs=probs, text=text, confidence=confidence)


def _prepare(crop: np.ndarray) -> np.ndarray:
    """A grey crop → (48, W) float32 in -1..1, trimmed to its ink with a little paper."""
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    grey = np.ascontiguousarray(grey, dtype=np.uint8)
    ink = np.argwhere(grey < INK_LEVEL)
    if len(ink):
        (y0, x0), (y1, x1) = ink.min(axis=0), ink.max(axis=0)
        grey = grey[
            max(0, y0 - PAD) : min(grey.shape[0], y1 + PAD + 1),
            max(0, x0 - PAD) : min(grey.shape[1], x1 + PAD + 1),
        ]
    h, w = grey.shape
    width = min(MAX_WIDTH, max(1, math.ceil(HEIGHT * w / max(h, 1))))
    resized = cv2.resize(grey, (width, HEIGHT), interpolation=cv2.INTER_LINEAR)
    return (resized.astype(np.float32) / 255.0 - 0.5) / 0.5


def _batches(widths: Sequence[int]) -> list[list[int]]:
    """Indices of crops grouped by their padded width, each group at most
    :data:`MAX_BATCH_COLUMNS` wide in all (one crop alone when wider)."""
    groups: dict[int, list[int]] = {}
    for i, w in enumerate(widths):
        groups.setdefault(w, []).append(i)
    out: list[list[int]] = []
    for w, members in sorted(groups.items()):
        per_call = max(1, MAX_BATCH_COLUMNS // w)
        out.extend(members[k : k + per_call] for k in range(0, len(members), per_call))
    return out


@functools.cache
def get_recogniser(threads: int = 1) -> Recogniser:
    """The recogniser for this process (one per thread count, made on first use)."""
    return Recogniser(bundled_model(), threads=threads)
