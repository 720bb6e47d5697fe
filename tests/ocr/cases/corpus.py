"""The regression corpus: crops of the failures the engine's rules were made for.

Each case is ``<name>.png`` (a grey crop of one page's signing block, at the resolution
the engine read the page at) and ``<name>.json`` (what it is, the commit that made the
rule, where the crop came from, and the verdict the engine must give). A case is read
through :func:`ocr.pipeline.analyse_page`, the engine's whole page step (holes, polarity,
orientation, layout, labels, values, confidence, signature) on a plain page image: no
generator and no seed is needed to run it. See ``README.md`` beside this file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

CASES_DIR = Path(__file__).resolve().parent
SURE = 0.9  # a value given at or above this must be right (ocr.confidence.SURE)

# how a verdict is judged against the case's ``value``
MODES = {
    "right_sure": "the value, at >= 0.9",
    "right": "the value, at any confidence",
    "right_unsure": "the value, below 0.9 (a reviewer confirms it)",
    "unsure": "any value, below 0.9 (the engine must not be sure here)",
    "never_sure_wrong": "the value, or anything below 0.9 (never a silent wrong value)",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the engine gave for the case's field (or the signature: ``value`` is
    ``present``)."""

    value: Any
    confidence: float


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    field: str  # a field name of ocr.model.FIELD_NAMES, or "signature"
    value: Any  # the right value (a string, None, or for the signature True/False)
    mode: str  # a key of MODES
    dpi: float
    second_read: bool  # read with ocr.handread.SecondRead(enabled=True)
    page_size: tuple[int, int]  # the page the crop was cut from, width and height in pixels
    at: tuple[int, int]  # where the crop's top left corner lay on that page
    png: Path
    meta: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Case:
        data = json.loads(path.read_text(encoding="utf-8"))
        expect = data["expect"]
        if expect["mode"] not in MODES:
            raise ValueError(f"{path.name}: unknown mode {expect['mode']!r}")
        return cls(
            name=path.stem,
            field=expect["field"],
            value=expect["value"],
            mode=expect["mode"],
            dpi=float(data["dpi"]),
            second_read=bool(data.get("second_read", False)),
            page_size=(int(data["page_px"][0]), int(data["page_px"][1])),
            at=(int(data["crop_px"][0]), int(data["crop_px"][1])),
            png=path.with_name(data.get("png", path.stem + ".png")),  # a crop two cases share
            meta=data,
        )


def load_cases(folder: Path = CASES_DIR) -> list[Case]:
    return [Case.load(p) for p in sorted(folder.glob("*.json"))]


def crop_image(case: Case) -> np.ndarray:
    with Image.open(case.png) as im:
        return np.asarray(im.convert("L"))


def page_of(case: Case, crop: np.ndarray | None = None) -> np.ndarray:
    """The crop where it lay on a page of its page's size, the rest of the page plain
    paper (the crop's median grey). The engine judges body text by the page's width and
    finds the text height and skew over the page: the page keeps its size, but all that
    is on it is the block."""
    grey = crop_image(case) if crop is None else crop
    w, h = case.page_size
    x, y = case.at
    page = np.full((h, w), int(np.median(grey)), np.uint8)
    page[y : y + grey.shape[0], x : x + grey.shape[1]] = grey
    return page


def read(case: Case, image: np.ndarray | None = None) -> Verdict:
    """The engine's verdict on the case's crop (its page step on :func:`page_of`)."""
    from ocr.pages import PageImage
    from ocr.pipeline import analyse_page
    from ocr.profile import load_profiles

    page = PageImage(index=0, image=page_of(case, image), dpi=case.dpi, colour=False)
    second: tuple[Any, ...] = ()  # off, the default
    if case.second_read:
        from ocr.handread import SecondRead

        second = (SecondRead(enabled=True),)
    result = analyse_page(page, load_profiles(), "auto", *second)
    return verdict_of(result, case.field)


def verdict_of(result: Any, field: str) -> Verdict:
    """The field's (or the signature's) verdict in a page result; a page where no signing
    block was found gives no value (None at 0) and no signature (absent at 0)."""
    if field == "signature":
        sig = result.signature
        return Verdict(False, 0.0) if sig is None else Verdict(bool(sig.present), sig.confidence)
    fv = result.fields.get(field)
    return Verdict(None, 0.0) if fv is None else Verdict(fv.value, fv.confidence)


def judge(case: Case, got: Verdict) -> str | None:
    """None when ``got`` is what the case expects; else what is wrong, in words."""
    right = got.value == case.value
    sure = got.confidence >= SURE
    ok = {
        "right_sure": right and sure,
        "right": right,
        "right_unsure": right and not sure,
        "unsure": not sure,
        "never_sure_wrong": right or not sure,
    }[case.mode]
    if ok:
        return None
    return (
        f"{case.name}: {case.field} want {case.value!r} ({MODES[case.mode]}), "
        f"got {got.value!r} at {got.confidence:.3f}"
    )


# --- making a case from a generated sample (used by add.py, never by the test) ---------


@dataclass(frozen=True, slots=True)
class SamplePage:
    image: np.ndarray  # the block's page, upright, as the engine reads it (<= 300 dpi)
    dpi: float
    scan_dpi: int
    truth: dict[str, Any]  # the declaration's truth
    variant: dict[str, Any]


def sample_page(
    split: str, seed: int, index: int, declaration: int = 0, *, hand_digits: bool = False
) -> SamplePage:
    """Regenerate sample ``index`` and return its ``declaration``'s block page, turned
    upright where the scanner stored it turned (so the truth's boxes fall on it)."""
    from ocr.pages import page_images
    from ocr.pdf import open_pdf
    from ocr.pipeline import MAX_DPI
    from samples.generate import render_sample

    more = {"hand_digits": True} if hand_digits else {}
    pdf, truth = render_sample(index, seed, split, **more)  # type: ignore[arg-type]
    decl = truth["declarations"][declaration]
    number = decl["signature"]["page"]
    variant = truth["variant"]
    pages = list(page_images(open_pdf(pdf), target_dpi=MAX_DPI, colour=False))
    page = pages[number - 1]
    image = page.image
    turned = variant["page_rotations"][number - 1]
    if turned and not variant["pdf_rotate"]:
        image = np.ascontiguousarray(np.rot90(image, k=turned // 90))
    return SamplePage(image, page.dpi, int(variant["dpi"]), decl, variant)


def block_box(
    sp: SamplePage, pad_mm: float = 4.0, *, full_width: bool = True
) -> tuple[int, int, int, int]:
    """Pixel box around the signing block: every value box and the signature's, a row
    pitch up and down (labels above or under), across the page's width (``full_width``:
    the page's deskew angle and reading are found over all of a line, and a narrower
    crop reads some values otherwise) or from the left margin (labels left of values)
    to the values' right end, clipped to the page."""
    h, w = sp.image.shape[:2]
    boxes: list[Sequence[float]] = [
        b["bbox"] for b in sp.truth["value_boxes"].values() if b.get("bbox") is not None
    ]
    if sp.truth["signature"].get("bbox"):
        boxes.append(sp.truth["signature"]["bbox"])
    mm = sp.dpi / 25.4
    pitch = sp.variant["row_pitch_mm"] * mm
    margin = max(0.0, sp.variant["margin_mm"] - pad_mm) * mm
    x0 = 0.0 if full_width else min(min(b[0] for b in boxes) * w, margin)
    x1 = w if full_width else max(b[2] for b in boxes) * w + 2 * pad_mm * mm
    y0 = min(b[1] for b in boxes) * h - 1.1 * pitch
    y1 = max(b[3] for b in boxes) * h + 1.1 * pitch
    return (max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1)))


PNG_BUDGET = 64_000  # bytes; a noisy grey scan's crop is stored with fewer grey levels


def save_png(image: np.ndarray, path: Path, budget: int = PNG_BUDGET) -> int:
    """Write a grey PNG (atomically: a temporary file moved into place); its grey levels.

    A crop of a JPEG scan holds the encoder's noise in every paper pixel, which a PNG
    cannot compress: where the crop would take more than ``budget`` bytes, its greys
    are rounded to 64, 32, 16 or 8 levels (the first that fits). The case is judged on
    the stored pixels, so whether the crop still shows the failure is checked on them."""
    tmp = path.with_suffix(".png.tmp")
    levels = 256
    for levels in (256, 64, 32, 16, 8):
        step = 256 // levels
        stored = image if step == 1 else (image // step * step + step // 2).astype(np.uint8)
        Image.fromarray(stored).save(tmp, format="PNG", optimize=True)
        if tmp.stat().st_size <= budget:
            break
    tmp.replace(path)
    return levels


def write_json(data: dict[str, Any], path: Path) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


Reader = Callable[[Case], Verdict]
