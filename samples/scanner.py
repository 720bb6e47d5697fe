"""What a scanner does to a clean page: paper tone, blur, skew, speckle, binarisation and
pages fed sideways or upside down.

``rotation`` is how far the page content is turned **clockwise** in the stored pixels;
the engine turns it back by the same angle counter-clockwise to get the upright page.
``skew_deg`` is a small counter-clockwise turn of the content (positive = anticlockwise).
Truth boxes are given on the upright, unskewed page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np
from PIL import Image

COLOURS = ("colour-jpeg", "grey-jpeg", "bw-g4", "bw-flate")


@dataclass(frozen=True, slots=True)
class ScanSpec:
    dpi: int
    colour: str
    jpeg_quality: int
    rotation: int
    pdf_rotate: bool
    skew: float
    noise: str
    blur: float
    paper: int

    def as_truth(self) -> dict[str, object]:
        return asdict(self)


def _speckle(arr: np.ndarray, rng: np.random.Generator, dpi: int, dark: int) -> None:
    h, w = arr.shape[:2]
    count = int(h * w * rng.uniform(2e-5, 8e-5))
    ys = rng.integers(0, h - 3, count)
    xs = rng.integers(0, w - 3, count)
    size = max(1, dpi // 200)
    for dy in range(size):
        for dx in range(size):
            arr[ys + dy, xs + dx] = dark


def _grain(arr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sensor grain: a random tile (odd size, so it never lines up with text) repeated."""
    h, w = arr.shape[:2]
    shape = (509, 509) if arr.ndim == 2 else (509, 509, 1)
    tile = rng.integers(0, 9, shape, dtype=np.uint8)
    reps = (h // 509 + 1, w // 509 + 1) if arr.ndim == 2 else (h // 509 + 1, w // 509 + 1, 3)
    return cv2.subtract(arr, np.tile(tile, reps)[:h, :w])


def scan(page: Image.Image, spec: ScanSpec, rng: np.random.Generator) -> Image.Image:
    """The stored image for one page: mode RGB, L or 1 according to ``spec.colour``."""
    arr: np.ndarray = np.asarray(page, dtype=np.uint8)
    if spec.colour != "colour-jpeg" and arr.ndim == 3:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY)
    white = (255, 255, 255) if arr.ndim == 3 else 255
    if spec.blur > 0:
        arr = cv2.GaussianBlur(arr, (0, 0), spec.blur)
    if spec.skew:
        h, w = arr.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), spec.skew, 1.0)
        arr = cv2.warpAffine(arr, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=white)
    if spec.paper:
        arr = cv2.convertScaleAbs(arr, alpha=(255 - spec.paper) / 255)
    elif not arr.flags.writeable:
        arr = arr.copy()
    if spec.colour in ("colour-jpeg", "grey-jpeg") and spec.noise != "none":
        arr = _grain(arr, rng)
    if spec.noise == "speckle":
        _speckle(arr, rng, spec.dpi, 40)
    if spec.colour.startswith("bw-"):
        threshold = int(rng.integers(150, 190)) * (255 - spec.paper) // 255
        _, arr = cv2.threshold(arr, threshold, 255, cv2.THRESH_BINARY)
    if spec.rotation:
        arr = np.ascontiguousarray(np.rot90(arr, k=-spec.rotation // 90))
    img = Image.fromarray(arr)
    return img.convert("1", dither=Image.Dither.NONE) if spec.colour.startswith("bw-") else img
