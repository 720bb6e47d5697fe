"""Phone photos of the generator's forms, with their truth; and photos of something else.

    render_photo(index, seed, split) -> (JPEG bytes, truth)
    render_scan(index, seed, split, dpi=200) -> (PDF bytes, truth)   the same page, scanned
    render_not_a_page(index, seed) -> JPEG bytes                      a table, a mug, a card

A photo is of one page: the signing-block page of the sample's first declaration
(:func:`samples.generate.render_sample` draws the same document; here it is drawn at
300 dpi and photographed instead of scanned). :func:`render_scan` scans the *same*
page with the sample's own scanner defects at ``dpi`` (200), so the two can be compared
page for page. The truth is the generator's for that declaration, its ``pages`` set to
``[1]``, plus ``photo``: the page's corners in the stored image as displayed (EXIF
orientation applied), in the page's own order (top-left, top-right, bottom-right,
bottom-left of the upright page), and how the photo was made.

What a photo gets: the page on a table (wood, cloth, desk, tiles, a light or a dark
surface), seen by a pinhole camera tilted 5–25° off the page's normal, the phone held
at 0/90/180/270° plus a few degrees, the page covering 35–85 % of the frame (a few
fill it, edges cut), a soft shadow of the page on the table, uneven light (a gradient,
the shadow of a hand or phone, vignetting), a colour cast, slight blur and sensor
noise, JPEG compression; a phone's 12 MP (3024×4032), 8 MP or 3 MP frame; a third
are stored sideways with an EXIF orientation tag, as phones store them.

A page on a surface of its own colour (cream paper on a cream cloth) is not drawn: the
light squares of the cloth are a darker cream than any paper.

CLI: ``python -m samples.photo --out DIR --count N --seed S --split SPLIT [--others K]``.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from samples.canvas import Canvas
from samples.generate import _variant, draw_document
from samples.pdfwrite import encode_page, write_pdf
from samples.plan import DocPlan, numpy_rng, plan_sample
from samples.scanner import scan
from samples.split import Split

PHOTO_DPI = 300  # the page is drawn at this resolution before it is photographed
FRAMES = ((3024, 4032), (2448, 3264), (1512, 2016))  # 12 MP, 8 MP, 3 MP (portrait)
FRAME_WEIGHTS = (50, 30, 20)
SURFACES = ("wood", "dark", "desk", "cloth", "tiles", "light")
# EXIF orientation tag: how the stored pixels are turned to display them
_EXIF_TURN = {1: 0, 6: 90, 3: 180, 8: 270}  # tag -> clockwise degrees to display


@dataclass(frozen=True, slots=True)
class PhotoSpec:
    frame: tuple[int, int]  # width, height of the displayed photo (portrait)
    surface: str
    tilt_deg: float  # the camera's tilt off the page's normal
    tilt_axis_deg: float  # direction of the tilt in the page's plane
    turn_deg: float  # the phone's turn about its axis: 0/90/180/270 + a few degrees
    cover: float  # the page's height over the frame's (before perspective)
    fills: bool  # the page fills the frame, its edges cut
    light: float  # darkest corner of the light gradient (1 = even)
    shadow: float  # darkness of a hand/phone shadow (0 = none)
    cast: tuple[float, float, float]  # white balance
    blur: float  # Gaussian sigma in pixels of the 12 MP frame
    noise: float
    quality: int  # JPEG quality
    exif: int  # EXIF orientation tag the file carries (1 = as stored)

    def as_truth(self) -> dict[str, Any]:
        return {
            "frame": list(self.frame),
            "surface": self.surface,
            "tilt_deg": round(self.tilt_deg, 1),
            "turn_deg": round(self.turn_deg, 1),
            "cover": round(self.cover, 2),
            "fills": self.fills,
            "light": round(self.light, 2),
            "shadow": round(self.shadow, 2),
            "blur": round(self.blur, 2),
            "quality": self.quality,
            "exif": self.exif,
        }


def plan_photo(index: int, seed: int, split: str) -> PhotoSpec:
    rng = random.Random(f"photo:{seed}:{split}:{index}")
    frame = rng.choices(FRAMES, weights=FRAME_WEIGHTS)[0]
    fills = rng.random() < 0.06
    turn = rng.choice((0, 0, 0, 90, 180, 270)) + rng.uniform(-8, 8)
    return PhotoSpec(
        frame=frame,
        surface=rng.choice(SURFACES),
        tilt_deg=rng.uniform(5, 25),
        tilt_axis_deg=rng.uniform(0, 360),
        turn_deg=turn,
        cover=rng.uniform(1.02, 1.12) if fills else rng.uniform(0.55, 0.88),
        fills=fills,
        light=rng.uniform(0.55, 1.0),
        shadow=rng.uniform(0.15, 0.45) if rng.random() < 0.4 else 0.0,
        cast=(rng.uniform(0.9, 1.0), rng.uniform(0.95, 1.0), rng.uniform(0.85, 1.0)),
        blur=rng.uniform(0.4, 1.6),
        noise=rng.uniform(1.5, 5.0),
        quality=rng.choice((70, 80, 85, 92)),
        exif=rng.choice((1, 1, 6, 8)),
    )


# ---------------------------------------------------------------- the page, drawn


def _pages(plan: DocPlan, seed: int, split: Split, index: int) -> tuple[list[Canvas], dict]:
    """The document's pages, drawn and worn as :func:`render_sample` does, and the truth
    of its first declaration."""
    pages, declarations = draw_document(plan, seed, split, index)
    return pages, declarations[0]


def _one_page_truth(plan: DocPlan, declaration: dict[str, Any], split: Split) -> dict[str, Any]:
    page = declaration["signature"]["page"]
    d = dict(declaration)
    d["pages"] = [1]
    d["signature"] = {**d["signature"], "page": 1}
    d["value_boxes"] = {k: {**v, "page": 1} for k, v in d["value_boxes"].items()}
    return {
        "pages": 1,
        "split": split,
        "source_page": page,
        "variant": _variant(plan),
        "declarations": [d],
    }


def block_page(index: int, seed: int, split: Split, dpi: int) -> tuple[Image.Image, dict, DocPlan]:
    """The signing-block page of the first declaration, drawn at ``dpi``, and its truth."""
    plan = plan_sample(index, seed, split, dpi=dpi)
    pages, declaration = _pages(plan, seed, split, index)
    page = pages[declaration["signature"]["page"] - 1]
    return page.image.convert("RGB"), _one_page_truth(plan, declaration, split), plan


def render_scan(
    index: int, seed: int, split: Split, dpi: int = 200
) -> tuple[bytes, dict[str, Any]]:
    """The same page as :func:`render_photo`, scanned at ``dpi`` with the sample's own
    scanner defects, as a one-page PDF."""
    image, truth, plan = block_page(index, seed, split, dpi)
    spec = plan.scan
    pixels = scan(image, spec, numpy_rng(index, seed, split))
    rotate = [(360 - spec.rotation) % 360 if spec.pdf_rotate else 0]
    return write_pdf([encode_page(pixels, spec)], pdf_rotate=rotate), truth


# ---------------------------------------------------------------- the camera


def _rotation(tilt: float, axis: float, turn: float) -> np.ndarray:
    """Camera rotation: a tilt of ``tilt`` degrees about an axis in the page's plane at
    ``axis`` degrees, then a turn of the phone about its own axis."""
    a = math.radians(axis)
    k = np.array([math.cos(a), math.sin(a), 0.0])
    r_tilt, _ = cv2.Rodrigues(k * math.radians(tilt))
    r_turn, _ = cv2.Rodrigues(np.array([0.0, 0.0, math.radians(turn)]))
    return np.asarray(r_turn @ r_tilt)


def _project(corners_mm: np.ndarray, spec: PhotoSpec, rng: random.Random) -> np.ndarray:
    """Where the page's corners fall in the frame (pixels)."""
    w, h = spec.frame
    f = 0.9 * max(w, h)  # a phone's main camera: about 26 mm equivalent
    rot = _rotation(spec.tilt_deg, spec.tilt_axis_deg, spec.turn_deg)
    pts = np.c_[corners_mm - corners_mm.mean(axis=0), np.zeros(4)] @ rot.T
    dist = 400.0
    pts[:, 2] += dist
    uv = f * pts[:, :2] / pts[:, 2:3]
    # scale so the page's extent matches the cover asked for, then place it
    span = uv.max(axis=0) - uv.min(axis=0)
    if spec.fills:  # larger than the frame in one direction: two edges cut
        scale = spec.cover * min(h / span[1], w / span[0])
    else:
        scale = min(spec.cover * h / span[1], 0.96 * w / span[0], 0.96 * h / span[1])
    uv *= scale
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    room = np.array([w, h]) - (hi - lo)
    if spec.fills:
        offset = np.array([w, h]) / 2 - (lo + hi) / 2
    else:
        offset = -lo + np.array([rng.uniform(0.1, 0.9) * room[0], rng.uniform(0.1, 0.9) * room[1]])
    return np.asarray(uv + offset, dtype=np.float32)


# ---------------------------------------------------------------- the scene


def _surface(kind: str, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A table under the page, RGB float 0–1, drawn small and scaled up."""
    w, h = size
    sw, sh = max(8, w // 4), max(8, h // 4)
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    noise = rng.normal(0, 1, (sh, sw)).astype(np.float32)
    if kind == "wood":
        angle = rng.uniform(0, math.pi)
        u = xx * math.cos(angle) + yy * math.sin(angle)
        wobble = cv2.GaussianBlur(noise, (0, 0), 25) * 60
        grain = 0.5 + 0.5 * np.sin((u + wobble) / rng.uniform(4, 12))
        base = np.array(rng.choice([(0.55, 0.36, 0.2), (0.72, 0.55, 0.36), (0.4, 0.25, 0.14)]))
        tone = 0.8 + 0.2 * grain + 0.03 * noise
        img = base[None, None, :] * tone[..., None]
    elif kind == "cloth":
        period = rng.uniform(10, 30)
        checks = ((xx // period + yy // period) % 2).astype(np.float32)
        a = np.array(rng.choice([(0.7, 0.15, 0.15), (0.2, 0.3, 0.6), (0.25, 0.5, 0.3)]))
        b = np.array((0.78, 0.74, 0.64))
        img = a * (1 - checks[..., None]) + b * checks[..., None]
        img = img * (0.95 + 0.05 * noise[..., None])
    elif kind == "tiles":
        period = rng.uniform(40, 90)
        grout = ((xx % period) < 2) | ((yy % period) < 2)
        base = np.array(rng.choice([(0.55, 0.55, 0.52), (0.35, 0.4, 0.45)]))
        img = np.where(grout[..., None], base * 0.6, base * (0.97 + 0.03 * noise[..., None]))
    else:
        base = {
            "dark": rng.choice([(0.12, 0.12, 0.14), (0.2, 0.17, 0.15)]),
            "desk": rng.choice([(0.5, 0.5, 0.5), (0.45, 0.47, 0.5), (0.6, 0.58, 0.55)]),
            "light": rng.choice([(0.78, 0.76, 0.72), (0.72, 0.74, 0.78)]),
        }[kind]
        smooth = cv2.GaussianBlur(noise, (0, 0), 3)
        img = np.array(base)[None, None, :] * (
            1 + 0.04 * smooth[..., None] + 0.02 * noise[..., None]
        )
    img = np.clip(np.asarray(img, np.float32), 0, 1)
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)


def _light(size: tuple[int, int], spec: PhotoSpec, rng: random.Random) -> np.ndarray:
    """A smooth light field over the frame: gradient, a soft shadow, vignetting."""
    w, h = size
    sw, sh = w // 8, h // 8
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    a = rng.uniform(0, 2 * math.pi)
    u = (xx / sw - 0.5) * math.cos(a) + (yy / sh - 0.5) * math.sin(a)
    u = (u - u.min()) / max(1e-6, float(u.max() - u.min()))
    field = spec.light + (1 - spec.light) * u
    r = np.hypot(xx / sw - 0.5, yy / sh - 0.5)
    field *= 1 - 0.25 * r**2
    if spec.shadow:
        mask = np.zeros((sh, sw), np.float32)
        cx, cy = rng.uniform(0, sw), rng.uniform(0, sh)
        pts = [
            (cx + rng.uniform(-0.5, 0.5) * sw, cy + rng.uniform(-0.5, 0.5) * sh) for _ in range(5)
        ]
        hull = cv2.convexHull(np.array(pts, np.float32)).astype(np.int32)
        cv2.fillPoly(mask, [hull], 1.0)
        soft = cv2.GaussianBlur(mask, (0, 0), sw * rng.uniform(0.03, 0.08))
        field *= 1 - spec.shadow * soft
    return cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)


def _finish(scene: np.ndarray, spec: PhotoSpec, nrng: np.random.Generator) -> bytes:
    """Blur, noise, the phone's frame size and its JPEG, stored as the phone stores it."""
    w, h = spec.frame
    sigma = spec.blur * w / 3024
    if sigma > 0.3:
        scene = cv2.GaussianBlur(scene, (0, 0), sigma)
    scene *= 255.0
    noise = np.empty(scene.shape[:2], np.float32)
    cv2.randn(noise, np.array([0.0]), np.array([spec.noise]))  # sensor noise, quicker than numpy
    scene += noise[..., None]
    pixels = np.clip(scene, 0, 255).astype(np.uint8)
    turn = _EXIF_TURN[spec.exif]
    if turn:  # stored turned back, so that displaying it by the tag shows the scene
        pixels = np.ascontiguousarray(np.rot90(pixels, k=turn // 90))
    image = Image.fromarray(pixels, "RGB")
    exif = Image.Exif()
    exif[0x0112] = spec.exif
    exif[0x010F] = "samples.photo"
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=spec.quality, exif=exif.tobytes())
    return buf.getvalue()


def photograph(
    page: Image.Image, spec: PhotoSpec, rng: random.Random, nrng: np.random.Generator
) -> tuple[bytes, np.ndarray]:
    """A phone photo of ``page``; the JPEG and the page's corners (TL, TR, BR, BL of
    the upright page) in the displayed photo."""
    w, h = spec.frame
    pw, ph = page.size
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    mm = src * 25.4 / PHOTO_DPI
    dst = _project(mm, spec, rng)
    # the page brought near the size it takes in the frame first: a cheap, clean warp
    span = float(max(np.ptp(dst[:, 0]), np.ptp(dst[:, 1])))
    shrink = min(1.0, 1.15 * span / max(pw, ph))
    small = page.resize((round(pw * shrink), round(ph * shrink)), Image.Resampling.BOX)
    m = cv2.getPerspectiveTransform(src * shrink, dst)
    warped = cv2.warpPerspective(
        np.asarray(small, np.uint8), m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0)
    )
    sw, sh = small.size
    mask = (
        cv2.warpPerspective(
            np.full((sh, sw), 255, np.uint8), m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0
        ).astype(np.float32)
        / 255.0
    )
    table = _surface(spec.surface, (w, h), nrng)
    # the page's own shadow on the table, a little offset
    off = np.array(
        [[1, 0, rng.uniform(-0.006, 0.006) * w], [0, 1, rng.uniform(0, 0.008) * h]], np.float32
    )
    q = cv2.resize(
        cv2.warpAffine(mask, off, (w, h)), (w // 4, h // 4), interpolation=cv2.INTER_AREA
    )
    drop = cv2.resize(cv2.GaussianBlur(q, (0, 0), 0.0015 * w), (w, h))
    light = _light((w, h), spec, rng)
    keep = (1 - 0.35 * drop) * (1 - mask) * light
    onto = mask * light / 255.0
    scene = warped.astype(np.float32) * onto[..., None] + table * keep[..., None]
    scene *= np.array(spec.cast, np.float32)[None, None, :]
    return _finish(np.asarray(scene, np.float32), spec, nrng), dst


def render_photo(
    index: int, seed: int, split: Split, spec: PhotoSpec | None = None
) -> tuple[bytes, dict[str, Any]]:
    """A phone photo of sample ``index``'s signing-block page, and its truth."""
    page, truth, _ = block_page(index, seed, split, PHOTO_DPI)
    spec = spec or plan_photo(index, seed, split)
    rng = random.Random(f"photo-scene:{seed}:{split}:{index}")
    nrng = np.random.default_rng([seed, index, 77])
    data, corners = photograph(page, spec, rng, nrng)
    truth["photo"] = {**spec.as_truth(), "corners": np.round(corners, 1).tolist()}
    return data, truth


# ---------------------------------------------------------------- not a page

OTHERS = ("table", "objects", "card", "receipt", "dark", "scene")


def render_not_a_page(index: int, seed: int) -> tuple[bytes, str]:
    """A photo with no A4 page in it: a bare table, things on a table, a square note,
    a long receipt, a dark room, a landscape-like scene. Returns (JPEG, kind)."""
    rng = random.Random(f"other:{seed}:{index}")
    nrng = np.random.default_rng([seed, index, 99])
    kind = OTHERS[index % len(OTHERS)]
    spec = replace(plan_photo(index, seed, "dev"), exif=1, shadow=0.0)
    w, h = spec.frame
    scene = _surface(rng.choice(SURFACES[:5]), (w, h), nrng)
    if kind == "objects":
        for _ in range(rng.randint(3, 7)):
            colour = tuple(rng.uniform(0.05, 0.95) for _ in range(3))
            centre = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
            axes = (int(rng.uniform(0.05, 0.2) * w), int(rng.uniform(0.05, 0.2) * h))
            cv2.ellipse(scene, centre, axes, rng.uniform(0, 180), 0, 360, colour, -1)
    elif kind in ("card", "receipt"):
        ch = rng.uniform(0.3, 0.45) * h if kind == "card" else rng.uniform(0.7, 0.9) * h
        cw = ch if kind == "card" else ch / 4.5  # a square note, a till receipt
        cx, cy = w / 2 + rng.uniform(-0.1, 0.1) * w, h / 2 + rng.uniform(-0.1, 0.1) * h
        box = cv2.boxPoints(((cx, cy), (cw, ch), rng.uniform(-15, 15)))
        cv2.fillPoly(scene, [box.astype(np.int32)], (0.95, 0.95, 0.93))
        for i in range(int(ch // 40)):
            y = int(cy - ch / 2 + 20 + i * 40)
            x0, x1 = int(cx - cw / 2 + 15), int(cx - cw / 2 + 15 + rng.uniform(0.3, 0.9) * cw)
            cv2.line(scene, (x0, y), (min(x1, int(cx + cw / 2 - 10)), y), (0.2, 0.2, 0.2), 4)
    elif kind == "dark":
        scene *= 0.15
    elif kind == "scene":
        yy = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        sky = np.array((0.55, 0.7, 0.95), np.float32) * (1 - 0.4 * yy)
        ground = np.array((0.25, 0.45, 0.2), np.float32) * (0.8 + 0.2 * yy)
        horizon = rng.uniform(0.35, 0.65)
        scene = np.where(yy < horizon, sky, ground) * np.ones((h, w, 1), np.float32)
    scene *= _light((w, h), spec, rng)[..., None]
    return _finish(np.asarray(scene, np.float32), spec, nrng), kind


# ---------------------------------------------------------------- CLI


def write_photo_set(out: Path, *, count: int, seed: int, split: Split, others: int = 0) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        data, truth = render_photo(i, seed, split)
        (out / f"{i:04d}.jpg").write_bytes(data)
        truth = {"file": f"{i:04d}.jpg", **truth}
        (out / f"{i:04d}.json").write_text(
            json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    for i in range(others):
        data, kind = render_not_a_page(i, seed)
        (out / f"other-{i:03d}-{kind}.jpg").write_bytes(data)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m samples.photo", description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--others", type=int, default=0)
    args = parser.parse_args(argv)
    write_photo_set(
        args.out, count=args.count, seed=args.seed, split=args.split, others=args.others
    )
    print(f"wrote {args.count} photos and {args.others} other photos to {args.out}")


if __name__ == "__main__":
    main()
