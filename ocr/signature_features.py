"""What the ink in a signing region measures: the evidence a signature verdict is made from.

Pure: a mask (or a grey crop) and boxes in, numbers out. Every length is in text heights
(``th``), every area in text-height squares, so one model serves every resolution. The
region and its ink mask are found by :mod:`ocr.signature`; the verdict is made from these
numbers by :mod:`ocr.signature_model`.

The features (:data:`FEATURE_NAMES`):

- ``ink_area``, ``span_w``, ``span_h``, ``fill``: the ink left after speckle is dropped,
  its bounding extent and how much of that extent it fills;
- ``n_comp``, ``big_area``, ``tall``, ``wide``: its connected pieces, the largest of them
  and the tallest and widest piece (handwriting has long connected strokes, print many
  small letters); ``level_base``, ``h_spread``: the share of pieces standing on one
  baseline and how much their heights differ (print letters stand level and alike);
- ``stroke_w``: the pen's width from a distance transform (twice the mean distance to
  paper along the strokes' middle); ``skel_len``, ``ends``, ``junctions``, ``turns``:
  the length of the strokes' skeleton and, per text height of it, its ends, junctions
  and direction changes (gradient directions: print is mostly upright and level);
- ``specks``: pieces dropped as speckle, per text-height square of region;
- ``label_cross``: ink that runs out of a label's box (a signature written across its
  label; the label's own letters stay inside it); ``blanked``: ink under the boxes of
  labels and values, blanked before measuring;
- ``rule_near``, ``above_rule``, ``rule_dy``, ``has_rule``: ink near the rule signed
  on, the share of ink above it and where the ink's middle stands from it;
- ``label_dx``, ``label_dy``: where the ink's middle stands from the label;
- ``pen_mark``, ``trail``, ``occupied``, ``rule_present``: the rule-based evidence of
  the earlier finder (a pen stroke a text height wide; a row of specks; a value read in
  the row; its verdict);
- ``src_guessed``, ``src_block``: the region was placed by a guessed label, or (no
  signature label at all) is the whole block; ``free_run``: the tallest run of ink in the
  block on no label and no value.

Colour is not among them: the engine renders pages grey.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ocr.layout import Box

FEATURE_NAMES: tuple[str, ...] = (
    "ink_area",
    "span_w",
    "span_h",
    "fill",
    "n_comp",
    "big_area",
    "tall",
    "wide",
    "level_base",
    "h_spread",
    "stroke_w",
    "skel_len",
    "ends",
    "junctions",
    "turns",
    "specks",
    "label_cross",
    "blanked",
    "rule_near",
    "above_rule",
    "rule_dy",
    "has_rule",
    "label_dx",
    "label_dy",
    "pen_mark",
    "trail",
    "occupied",
    "rule_present",
    "src_guessed",
    "src_block",
    "free_run",
)

SPECKLE = 0.04  # pieces smaller than this many text-height squares are speckle
PEN_MARK = (0.1, 1.0, 0.8)  # a pen mark: area, width, height (text heights)
RULE_BAND = 0.4  # text heights either side of a rule that count as "near" it
LEVEL = 0.15  # text heights: pieces whose bottoms are this near stand on one baseline
SOURCES = ("label", "guessed", "block")


@dataclass(frozen=True, slots=True)
class Measured:
    """The numbers of one region, and the ink box found (crop pixels) if any."""

    values: dict[str, float]
    ink_box: Box | None


@dataclass(frozen=True, slots=True)
class Context:
    """Where the region stands on the page (crop pixels): its label, the rules found
    in it, the rule-based evidence and where the region came from."""

    label: Box | None
    rules_y: tuple[int, ...]
    occupied: bool
    source: str  # one of SOURCES
    blanked_px: int = 0
    label_cross_px: int = 0
    free_run: float = 0.0  # text heights


def speckle_px(th: float) -> float:
    return max(3.0, th * th * SPECKLE)


def kept_pieces(mask: np.ndarray, th: float) -> tuple[np.ndarray, np.ndarray, int]:
    """(the mask without speckle, the kept pieces' stats rows, pieces dropped)."""
    m = mask.astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n <= 1:
        return np.zeros_like(mask, dtype=bool), np.zeros((0, 5), np.int32), 0
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = areas >= speckle_px(th)
    lut = np.concatenate([[False], keep])
    return lut[labels], stats[1:][keep], int((~keep).sum())


def rule_rows(rules: np.ndarray, min_share: float = 0.3) -> tuple[int, ...]:
    """Rows of a rule mask where a rule runs across at least ``min_share`` of the width
    (one row per rule, its middle)."""
    if rules.size == 0:
        return ()
    counts = (rules > 0).sum(axis=1)
    rows = np.nonzero(counts >= min_share * rules.shape[1])[0]
    out: list[int] = []
    runs: list[list[int]] = []
    for r in rows.tolist():
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    out = [(run[0] + run[-1]) // 2 for run in runs]
    return tuple(out)


def crossing_px(ink: np.ndarray, box: Box, pad: int) -> int:
    """Ink pixels outside ``box`` (grown by ``pad``) in pieces that also lie inside it:
    strokes that run out of a label's box. ``ink`` and ``box`` in the same pixels."""
    h, w = ink.shape
    x0, y0 = max(0, box.x0 - pad), max(0, box.y0 - pad)
    x1, y1 = min(w, box.x1 + pad), min(h, box.y1 + pad)
    if x1 <= x0 or y1 <= y0:
        return 0
    n, labels = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    if n <= 1:
        return 0
    inside = np.unique(labels[y0:y1, x0:x1])
    inside = inside[inside > 0]
    if inside.size == 0:
        return 0
    lut = np.zeros(n, bool)
    lut[inside] = True
    touching = lut[labels]
    touching[y0:y1, x0:x1] = False
    return int(touching.sum())


def _skeleton(mask: np.ndarray) -> np.ndarray:
    """Morphological skeleton (Lantuéjoul): cheap, a few iterations for pen strokes."""
    img: np.ndarray = mask.astype(np.uint8)
    skel = np.zeros(mask.shape, bool)
    kernel = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for _ in range(64):
        if not img.any():
            break
        eroded: np.ndarray = cv2.erode(img, kernel)
        opened = cv2.dilate(eroded, kernel)
        skel |= (img > 0) & (opened == 0)
        img = eroded
    return skel


def _stroke(kept: np.ndarray, th: float) -> dict[str, float]:
    ink = kept.astype(np.uint8)
    if not ink.any():
        return {"stroke_w": 0.0, "skel_len": 0.0, "ends": 0.0, "junctions": 0.0, "turns": 0.0}
    dist = cv2.distanceTransform(np.pad(ink, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    skel = _skeleton(kept)
    n_skel = int(skel.sum())
    stroke_w = 2.0 * float(dist[skel].mean()) if n_skel else 0.0
    s = skel.astype(np.uint8)
    neigh = cv2.filter2D(s, -1, np.ones((3, 3), np.float32), borderType=cv2.BORDER_CONSTANT) - s
    ends = int(((neigh == 1) & skel).sum())
    junctions = int(((neigh >= 3) & skel).sum())
    # direction changes: gradient directions along the ink's edge, in 8 bins of 22.5°;
    # the share of edge pixels that are neither upright nor level
    f = ink.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    edge = mag > 0.5
    if edge.any():
        ang = np.degrees(np.arctan2(gy[edge], gx[edge])) % 180.0
        off = np.minimum(np.abs(ang - 90.0), np.minimum(ang, 180.0 - ang))  # 0 = upright/level
        turns = float((off > 22.5).mean())
    else:
        turns = 0.0
    length = max(n_skel / th, 1e-6)
    return {
        "stroke_w": stroke_w / th,
        "skel_len": n_skel / th,
        "ends": ends / length,
        "junctions": junctions / length,
        "turns": turns,
    }


def measure(mask: np.ndarray, th: float, ctx: Context) -> Measured:
    """The features of a region's ink ``mask`` (labels and values already blanked)."""
    h, w = mask.shape[:2]
    kept, stats, dropped = kept_pieces(mask, th)
    area_th = max(h * w / (th * th), 1e-6)
    v: dict[str, float] = dict.fromkeys(FEATURE_NAMES, 0.0)
    v["specks"] = dropped / area_th
    v["label_cross"] = ctx.label_cross_px / (th * th)
    v["blanked"] = ctx.blanked_px / (th * th)
    v["occupied"] = float(ctx.occupied)
    v["src_guessed"] = float(ctx.source == "guessed")
    v["src_block"] = float(ctx.source == "block")
    v["free_run"] = ctx.free_run
    v["has_rule"] = float(bool(ctx.rules_y))
    ink_box = None
    if len(stats):
        ink = int(stats[:, cv2.CC_STAT_AREA].sum())
        x0 = int(stats[:, 0].min())
        y0 = int(stats[:, 1].min())
        x1 = int((stats[:, 0] + stats[:, 2]).max())
        y1 = int((stats[:, 1] + stats[:, 3]).max())
        ink_box = Box(x0, y0, x1, y1)
        v["ink_area"] = ink / (th * th)
        v["span_w"] = (x1 - x0) / th
        v["span_h"] = (y1 - y0) / th
        v["fill"] = ink / max(1, (x1 - x0) * (y1 - y0))
        v["n_comp"] = float(len(stats))
        v["big_area"] = float(stats[:, cv2.CC_STAT_AREA].max()) / (th * th)
        v["tall"] = float(stats[:, cv2.CC_STAT_HEIGHT].max()) / th
        v["wide"] = float(stats[:, cv2.CC_STAT_WIDTH].max()) / th
        bottoms = stats[:, 1] + stats[:, 3]
        if len(stats) >= 3:
            base = float(np.median(bottoms))
            v["level_base"] = float((np.abs(bottoms - base) <= LEVEL * th).mean())
        v["h_spread"] = float(stats[:, cv2.CC_STAT_HEIGHT].std()) / th
        a, pw, ph = PEN_MARK
        v["pen_mark"] = float(
            np.any(
                (stats[:, cv2.CC_STAT_AREA] >= a * th * th)
                & (stats[:, cv2.CC_STAT_WIDTH] >= pw * th)
                & (stats[:, cv2.CC_STAT_HEIGHT] >= ph * th)
            )
        )
        v.update(_stroke(kept, th))
        ys, xs = np.nonzero(kept)
        cy, cx = float(ys.mean()), float(xs.mean())
        if ctx.rules_y:
            rule = min(ctx.rules_y, key=lambda r: abs(r - cy))
            v["rule_near"] = float((np.abs(ys - rule) <= RULE_BAND * th).sum()) / (th * th)
            v["above_rule"] = float((ys < rule).mean())
            v["rule_dy"] = (cy - rule) / th
        if ctx.label is not None:
            v["label_dx"] = (cx - ctx.label.x1) / th
            v["label_dy"] = (cy - (ctx.label.y0 + ctx.label.y1) / 2) / th
    return Measured(v, ink_box)


def blank_boxes(
    mask: np.ndarray, boxes: Sequence[Box], origin: tuple[int, int], pad: int
) -> tuple[np.ndarray, int]:
    """``mask`` with ``boxes`` (page pixels, grown by ``pad``) cleared, and how many ink
    pixels that cleared. ``origin`` is the crop's top-left corner on the page."""
    ox, oy = origin
    out = mask.copy()
    for b in boxes:
        out[
            max(0, b.y0 - pad - oy) : max(0, b.y1 + pad - oy),
            max(0, b.x0 - pad - ox) : max(0, b.x1 + pad - ox),
        ] = False
    return out, int(mask.sum() - out.sum())
