"""A phone photo of a form, taken like a scan: the page found, set upright, its light evened.

    photo_page(data, limits, colour=) -> PageImage    JPEG/PNG bytes in, the page as a scan
    find_page(rgb) -> Quad                              where the page lies in the photo
    flatten(rgb, quad, colour=) -> PageImage           perspective corrected, lighting evened

Finding the page (on a copy about 800 pixels across, EXIF orientation applied first):
candidate regions come from Otsu thresholds of three maps (brightness; brightness
with colour held against it, so a wooden or cloth table falls out; brightness over its
local maximum, so a light gradient across the frame does not), each region's outline is
fitted with a quadrilateral (the four hull points spanning the most area, each side
then refitted to the outline's points along it, so a corner cut off by the frame edge
is found where the sides meet). A candidate counts only where its sides are edges: a
brighter inside than outside along most of each side visible in the frame (measured in
log brightness, so shadows and gradients do not matter). Of those the best supported,
then the largest, is taken; its inside must be paper with ink on it (neutral, bright,
dark marks on a small part) and its shape a page's (long side over short 1.15–1.8)
and at least 12 % of the frame. Where no region has edges at all and the whole frame
is paper with ink, the page fills the frame and the frame is taken. Otherwise:
:class:`~ocr.errors.NoPageInPhoto`, with what was wrong.

The page is then warped to A4 portrait at 300 dpi, the resolution the engine reads
values at (:data:`ocr.fields.READ_DPI`), whatever the photo holds: a page a 3 or 8 MP
frame holds at about 95–245 dpi is brought up to it by cubic interpolation, not read at
its own coarser grid (on dev seed 4 the e-mail and organisation letters a blurred photo
lost came back). It is divided by its own background (a closing over 8 mm,
lightly blurred: paper becomes even white whatever the light), sharpened a little (an
unsharp mask: a phone's slight blur; its radius grows with the enlargement, up to
1.5 times, since the blur grows with it) and its ink deepened to a scan's (the darkest
ink to about 40), a thin rim set to paper. Which way up the page is, is left to the engine
(:mod:`ocr.orient`), as for a scan fed sideways.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from ocr.errors import NoPageInPhoto
from ocr.images import decode
from ocr.limits import DEFAULT_LIMITS, Limits
from ocr.pages import PageImage, _split_colour

A4_IN = (210 / 25.4, 297 / 25.4)
DETECT_SIDE = 800  # pixels across the long side of the copy the page is looked for on
PAGE_DPI = 300.0  # the flattened page's resolution, whatever the photo holds
ASPECT = (1.15, 1.8)  # long side over short side of a page seen in perspective
MIN_AREA = 0.12  # of the frame
EDGE_CONTRAST = 0.07  # log brightness step across a side that counts as the page's edge
COLOUR_STEP = 0.06  # or brighter, and a step this large in one channel (a cream cloth)
SIDE_SUPPORT = 0.6  # share of a visible side's points that must show the step
PAPER_WHITE = 245
SHARPEN = 0.6
SHARPEN_GROWTH = 1.5  # the unsharp mask's radius grows with the enlargement up to this
INK_LEVEL = 40  # where the darkest ink is brought to, as on a scan
_BG_MM = 8.0  # the background filter's width: wider than any stroke, narrower than light


@dataclass(frozen=True, slots=True)
class Quad:
    """The page's corners in the photo's pixels (TL, TR, BR, BL as seen) and how sure."""

    corners: np.ndarray  # float32 4×2
    support: float  # share of the visible sides' points showing an edge (1.0 = all)
    how: str  # "edges" or "frame"


def photo_page(data: bytes, limits: Limits = DEFAULT_LIMITS, *, colour: bool = False) -> PageImage:
    """The page in a JPEG/PNG photo as the engine reads a scanned page."""
    _, frames = decode(data, limits, colour=True)
    rgb = frames[0]
    if rgb.ndim == 2:
        rgb = cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB)
    return flatten(rgb, find_page(rgb), colour=colour)


# ---------------------------------------------------------------- finding the page


def _maps(small: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Log brightness, and the maps thresholded for candidates (uint8)."""
    f = small.astype(np.float32) / 255.0
    grey = cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)
    hi = f.max(axis=2)
    lo = f.min(axis=2)
    sat = (hi - lo) / np.maximum(hi, 1e-3)
    white = grey * np.clip(1.0 - 1.5 * sat, 0.0, 1.0)
    k = max(3, small.shape[1] // 8) | 1
    envelope = cv2.GaussianBlur(cv2.dilate(grey, np.ones((k, k), np.uint8)), (0, 0), k / 2)
    local = np.clip(grey / np.maximum(envelope, 1e-3), 0, 1)
    logc = np.log(cv2.GaussianBlur(f, (3, 3), 0) + 0.01)
    maps = [np.clip(m * 255, 0, 255).astype(np.uint8) for m in (grey, white, local)]
    return logc, maps


def _regions(m: np.ndarray) -> list[np.ndarray]:
    """Outlines of the large bright regions of one map, at a few thresholds."""
    h, w = m.shape
    blurred = cv2.GaussianBlur(m, (5, 5), 0)
    otsu, _ = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    out = []
    k = max(3, w // 60) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    k2 = max(5, w // 20) | 1  # wider than a tablecloth's check: what sticks to the page
    wide = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k2, k2))
    for t in (otsu, otsu * 0.85 + 255 * 0.15, otsu * 0.85):
        mask = cv2.morphologyEx((blurred > t).astype(np.uint8), cv2.MORPH_CLOSE, kernel)
        for opening in (kernel, wide):
            opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, opening)
            contours, _ = cv2.findContours(opened, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            out += [c for c in contours if cv2.contourArea(c) > 0.08 * h * w]
    return out


def _edge_regions(logc: np.ndarray) -> list[np.ndarray]:
    """Outlines of the large regions closed by edges (Canny on log brightness, so a page
    on a table nearly as light is cut out as well in the shade as in the light)."""
    h, w = logc.shape[:2]
    grey = np.clip((logc.mean(axis=2) - np.log(0.1)) / (np.log(1.01) - np.log(0.1)), 0, 1)
    img = cv2.GaussianBlur((grey * 255).astype(np.uint8), (5, 5), 0)
    out = []
    for low, high in ((12, 30), (20, 50)):
        edges = cv2.dilate(cv2.Canny(img, low, high), np.ones((3, 3), np.uint8))
        free = (edges == 0).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(free, connectivity=4)
        for i in range(1, n):
            if stats[i, cv2.CC_STAT_AREA] < 0.06 * h * w:
                continue
            mask = (labels == i).astype(np.uint8)
            contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            out += [c for c in contours if cv2.contourArea(c) > 0.08 * h * w]
    return out


def _order(pts: np.ndarray) -> np.ndarray:
    """Corners in the order TL, TR, BR, BL as they lie in the image."""
    c = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    pts = pts[np.argsort(angles)]  # clockwise on screen (y down), from the left
    start = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -start, axis=0).astype(np.float32)


def _quad_area(q: np.ndarray) -> float:
    return float(cv2.contourArea(q.astype(np.float32)))


def _fit_quad(contour: np.ndarray, size: tuple[int, int]) -> np.ndarray | None:
    """The quadrilateral of an outline: the four hull points spanning the most area,
    then each side refitted to the outline's points along it."""
    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    approx = cv2.approxPolyDP(hull, 0.004 * peri, True).reshape(-1, 2).astype(np.float32)
    if len(approx) < 4:
        return None
    if len(approx) > 18:
        approx = cv2.approxPolyDP(hull, 0.01 * peri, True).reshape(-1, 2).astype(np.float32)
    best, best_area = None, 0.0
    for idx in itertools.combinations(range(len(approx)), 4):
        q = approx[list(idx)]
        a = _quad_area(q)
        if a > best_area:
            best, best_area = q, a
    if best is None:
        return None
    quad = _order(best)
    return _refit(quad, contour.reshape(-1, 2).astype(np.float32), size)


def _refit(quad: np.ndarray, pts: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    on_border = (pts[:, 0] <= 2) | (pts[:, 1] <= 2) | (pts[:, 0] >= w - 3) | (pts[:, 1] >= h - 3)
    free = pts[~on_border]
    diag = float(np.hypot(w, h))
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        d = b - a
        length = float(np.hypot(*d))
        if length < 1:
            return quad
        u = d / length
        n = np.array([-u[1], u[0]])
        rel = free - a
        along = rel @ u
        across = np.abs(rel @ n)
        near = free[(across < 0.015 * diag) & (along > 0.1 * length) & (along < 0.9 * length)]
        if len(near) >= 12:
            vx, vy, x0, y0 = cv2.fitLine(near, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
            lines.append((np.array([x0, y0]), np.array([vx, vy])))
        else:
            lines.append((a, u))
    corners = []
    for i in range(4):
        p = _meet(lines[i - 1], lines[i])
        if p is None or float(np.hypot(*(p - quad[i]))) > 0.08 * diag:
            p = quad[i]
        corners.append(p)
    return np.array(corners, np.float32)


def _meet(
    l1: tuple[np.ndarray, np.ndarray], l2: tuple[np.ndarray, np.ndarray]
) -> np.ndarray | None:
    (p, r), (q, s) = l1, l2
    cross = r[0] * s[1] - r[1] * s[0]
    if abs(cross) < 1e-6:
        return None
    t = ((q - p)[0] * s[1] - (q - p)[1] * s[0]) / cross
    return np.asarray(p + t * r, np.float32)


def _support(quad: np.ndarray, logc: np.ndarray) -> tuple[float, int]:
    """Share of the visible sides' points where the inside is brighter than the outside,
    the worst visible side's; and how many sides are visible."""
    h, w = logc.shape[:2]
    delta = max(3.0, w / 200)
    centre = quad.mean(axis=0)
    worst, visible = 1.0, 0
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        t = np.linspace(0.05, 0.95, 60)[:, None]
        pts = a + t * (b - a)
        d = b - a
        n = np.array([-d[1], d[0]]) / max(1e-6, float(np.hypot(*d)))
        if float(np.dot(centre - a, n)) > 0:
            n = -n  # outward
        inner = pts - n * delta
        outer = pts + n * delta * 1.5
        ok = (
            (outer[:, 0] >= 1)
            & (outer[:, 0] < w - 1)
            & (outer[:, 1] >= 1)
            & (outer[:, 1] < h - 1)
            & (inner[:, 0] >= 1)
            & (inner[:, 0] < w - 1)
            & (inner[:, 1] >= 1)
            & (inner[:, 1] < h - 1)
        )
        if ok.sum() < 0.3 * len(pts):
            continue  # this side lies outside the frame (the page is cut there)
        visible += 1
        vin = logc[inner[ok, 1].astype(int), inner[ok, 0].astype(int)]
        vout = logc[outer[ok, 1].astype(int), outer[ok, 0].astype(int)]
        step = vin - vout  # per channel; the page is brighter, or another colour
        brighter = step.mean(axis=1)
        edge = (brighter > EDGE_CONTRAST) | (
            (brighter > 0) & (np.abs(step).max(axis=1) > COLOUR_STEP)
        )
        worst = min(worst, float(np.mean(edge)))
    return (worst if visible else 0.0), visible


def _snap(quad: np.ndarray, logc: np.ndarray) -> np.ndarray:
    """Each side moved (its two ends apart, up to 2 % of the frame) to where the step
    from page to table across it is steepest: a side fitted to an outline that took in
    a little of the table (a cloth's checks) comes back to the paper's edge."""
    h, w = logc.shape[:2]
    grey = logc.mean(axis=2)
    reach = max(3, round(0.02 * max(h, w)))
    offsets = np.arange(-reach, reach + 1, dtype=np.float32)
    delta = max(2.0, w / 300)
    centre = quad.mean(axis=0)
    t = np.linspace(0.08, 0.92, 48, dtype=np.float32)[:, None]
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        d = b - a
        n = np.array([-d[1], d[0]], np.float32) / max(1e-6, float(np.hypot(*d)))
        if float(np.dot(centre - a, n)) > 0:
            n = -n
        # every (offset of a, offset of b): the side's points, inside and outside
        oa, ob = np.meshgrid(offsets, offsets, indexing="ij")
        ends_a = a[None, None, :] + oa[..., None] * n
        ends_b = b[None, None, :] + ob[..., None] * n
        pts = ends_a[:, :, None, :] + t[None, None, :, :] * (ends_b - ends_a)[:, :, None, :]
        inner, outer = pts - n * delta, pts + n * delta
        ok = np.all((inner >= 0) & (inner < [w, h]) & (outer >= 0) & (outer < [w, h]), axis=-1)
        if ok.mean() < 0.5:
            lines.append((a, d / max(1e-6, float(np.hypot(*d)))))
            continue
        ix = np.clip(inner.astype(int), 0, [w - 1, h - 1])
        ox = np.clip(outer.astype(int), 0, [w - 1, h - 1])
        step = np.clip(grey[ix[..., 1], ix[..., 0]] - grey[ox[..., 1], ox[..., 0]], -0.3, 0.6)
        score = np.where(ok, step, 0).sum(axis=-1) / np.maximum(ok.sum(axis=-1), 1)
        j, k = np.unravel_index(int(np.argmax(score)), score.shape)
        na, nb = ends_a[j, k], ends_b[j, k]
        dd = nb - na
        lines.append((na, dd / max(1e-6, float(np.hypot(*dd)))))
    corners = [_meet(lines[i - 1], lines[i]) for i in range(4)]
    if any(c is None for c in corners):
        return quad
    return np.array(corners, np.float32)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Two quadrilaterals (corners in the same order) within 1 % of the frame."""
    span = float(max(np.ptp(b[:, 0]), np.ptp(b[:, 1]), 1.0))
    return bool(np.abs(a - b).max() < 0.01 * span * 1.5)


def _aspect(quad: np.ndarray) -> float:
    sides = [float(np.hypot(*(quad[(i + 1) % 4] - quad[i]))) for i in range(4)]
    a, b = (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2
    return max(a, b) / max(1e-6, min(a, b))


def _paper_with_ink(small: np.ndarray, quad: np.ndarray | None) -> bool:
    """Is the region paper (bright, neutral, even after its light is divided out) with
    ink on a small part of it, as a filled-in form is?"""
    if quad is None:
        view = small
    else:
        dst = np.array([[0, 0], [299, 0], [299, 423], [0, 423]], np.float32)
        m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
        view = cv2.warpPerspective(small, m, (300, 424), flags=cv2.INTER_AREA)
    f = view.astype(np.float32) / 255.0
    view_core = f[12:-12, 12:-12]
    grey = cv2.cvtColor(view_core, cv2.COLOR_RGB2GRAY)
    hi, lo = view_core.max(axis=2), view_core.min(axis=2)
    sat = float(np.median((hi - lo) / np.maximum(hi, 1e-3)))
    bg = cv2.GaussianBlur(cv2.dilate(grey, np.ones((15, 15), np.uint8)), (0, 0), 8)
    ratio = grey / np.maximum(bg, 1e-3)
    ink = float(np.mean(ratio < 0.7))
    paper = float(np.median(bg))
    return sat < 0.3 and paper > 0.12 and 0.002 < ink < 0.35


def _all_paper(small: np.ndarray) -> bool:
    """Could the whole frame be paper (a page photographed edge to edge)? Bright, with
    hardly anything coloured on it."""
    f = small.astype(np.float32) / 255.0
    hi, lo = f.max(axis=2), f.min(axis=2)
    coloured = float(np.mean((hi - lo) / np.maximum(hi, 1e-3) > 0.25))
    return float(np.median(hi)) >= 0.55 and coloured < 0.05


def find_page(rgb: np.ndarray) -> Quad:
    """Where the page lies in a photo (RGB, upright as displayed)."""
    h, w = rgb.shape[:2]
    scale = DETECT_SIDE / max(h, w)
    small = cv2.resize(
        rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    sh, sw = small.shape[:2]
    logc, maps = _maps(small)
    candidates: list[tuple[float, float, np.ndarray]] = []
    seen: list[np.ndarray] = []
    outlines = [c for m in maps for c in _regions(m)] + _edge_regions(logc)
    for contour in outlines:
        if True:
            quad = _fit_quad(contour, (sw, sh))
            if quad is None or any(_same(quad, q) for q in seen):
                continue
            seen.append(quad)
            quad = _snap(quad, logc)
            support, visible = _support(quad, logc)
            if visible < 2 or support < SIDE_SUPPORT:
                continue
            candidates.append((round(support, 2), _quad_area(quad) / (sw * sh), quad))
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    problem = "no page found in the photo: photograph the whole form, flat, on a darker surface"
    for support, area, quad in candidates:
        aspect = _aspect(quad)
        if not ASPECT[0] <= aspect <= ASPECT[1]:
            problem = (
                f"the photo shows something that is not a form page (its sides are 1:{aspect:.2f}, "
                "an A4 page's 1:1.41)"
            )
            continue
        if area < MIN_AREA:
            problem = "the page is too small in the photo: hold the phone closer"
            continue
        if not _paper_with_ink(small, quad):
            continue
        return Quad(quad / scale, support, "edges")
    frame_aspect = max(h, w) / min(h, w)
    fills = not candidates and ASPECT[0] <= frame_aspect <= ASPECT[1] and _all_paper(small)
    if fills and _paper_with_ink(small, None):
        corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
        return Quad(corners, 0.0, "frame")
    raise NoPageInPhoto(problem)


# ---------------------------------------------------------------- setting it flat


def _portrait(corners: np.ndarray) -> np.ndarray:
    """The corners turned so that the first side (top) is a short side."""
    top = float(np.hypot(*(corners[1] - corners[0])))
    left = float(np.hypot(*(corners[3] - corners[0])))
    return corners if top <= left else np.roll(corners, -1, axis=0)


def _background(grey: np.ndarray, dpi: float) -> np.ndarray:
    """The paper's brightness under every pixel: a closing over 8 mm (no stroke is that
    wide, every shadow is wider) on a copy an eighth the size, lightly blurred."""
    step = 8
    small = cv2.resize(
        grey,
        (max(1, grey.shape[1] // step), max(1, grey.shape[0] // step)),
        interpolation=cv2.INTER_AREA,
    )
    k = max(3, round(_BG_MM / 25.4 * dpi / step)) | 1
    shape = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, shape).astype(np.float32)
    blurred = cv2.GaussianBlur(closed, (0, 0), max(1.0, k / 4))
    bg = cv2.resize(blurred, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.maximum(bg, 8.0)


def _gain(evened: np.ndarray) -> float:
    """How much to deepen the ink: a photo's strokes are softer than a scanner's; the
    darkest ink is brought to about INK_LEVEL (at most threefold)."""
    h, w = evened.shape[:2]
    inside = evened[h // 25 : h - h // 25 : 2, w // 25 : w - w // 25 : 2]  # not the rim
    ink = float(np.percentile(inside, 0.5))
    return float(min(3.0, max(1.0, (PAPER_WHITE - INK_LEVEL) / max(1.0, PAPER_WHITE - ink))))


def _sharpen(grey: np.ndarray, dpi: float, held: float) -> np.ndarray:
    """An unsharp mask: a phone's slight blur taken back a little. ``held`` is the
    resolution the photo held the page at: enlarged to ``dpi``, its blur is wider by
    as much, and so is the mask (up to :data:`SHARPEN_GROWTH`)."""
    grow = min(SHARPEN_GROWTH, max(1.0, dpi / max(held, 1.0)))
    soft = cv2.GaussianBlur(grey, (0, 0), max(0.8, dpi / 200) * grow)
    return cv2.addWeighted(grey, 1 + SHARPEN, soft, -SHARPEN, 0)


def _even(channel: np.ndarray, bg: np.ndarray, gain: float | None = None) -> np.ndarray:
    """``channel`` divided by the paper's brightness (paper at PAPER_WHITE), its ink deepened."""
    out = channel.astype(np.float32) * (PAPER_WHITE / bg)
    g = _gain(out) if gain is None else gain
    out = PAPER_WHITE - (PAPER_WHITE - out) * g
    return np.clip(out, 0, 255).astype(np.uint8)


def held_dpi(corners: np.ndarray) -> float:
    """The resolution the photo holds the page at: its mean side over A4's (corners
    turned portrait, :func:`_portrait`)."""
    sides = [float(np.hypot(*(corners[(i + 1) % 4] - corners[i]))) for i in range(4)]
    return ((sides[1] + sides[3]) / 2 / A4_IN[1] + (sides[0] + sides[2]) / 2 / A4_IN[0]) / 2


def flatten(rgb: np.ndarray, quad: Quad, *, colour: bool = False) -> PageImage:
    """The page in ``quad`` as an upright A4 scan at :data:`PAGE_DPI`, its light evened."""
    corners = _portrait(quad.corners)
    held = held_dpi(corners)
    dpi = PAGE_DPI
    width, height = round(A4_IN[0] * dpi), round(A4_IN[1] * dpi)
    dst = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    m = cv2.getPerspectiveTransform(corners.astype(np.float32), dst)
    # enlarged: cubic (sharper letters than linear); otherwise linear (warpPerspective
    # has no area filter; a 12 MP frame holds the page at 190-300 dpi, hardly more)
    how = cv2.INTER_CUBIC if held < dpi else cv2.INTER_LINEAR
    rim = max(2, round(dpi * 1.5 / 25.4))  # 1.5 mm: where the table may show
    if colour:
        page = cv2.warpPerspective(
            rgb, m, (width, height), flags=how, borderMode=cv2.BORDER_REPLICATE
        )
        grey_page = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
        bg = _background(grey_page, dpi)
        gain = _gain(grey_page.astype(np.float32) * (PAPER_WHITE / bg))
        evened = np.dstack(
            [_even(page[:, :, c], _background(page[:, :, c], dpi), gain) for c in range(3)]
        )
        evened[:rim], evened[-rim:], evened[:, :rim], evened[:, -rim:] = (PAPER_WHITE,) * 4
        grey, colour_rgb = _split_colour(np.ascontiguousarray(evened))
        return PageImage(
            index=0, image=grey, dpi=dpi, colour=colour_rgb is not None, rgb=colour_rgb
        )
    grey_in = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    page = cv2.warpPerspective(
        grey_in, m, (width, height), flags=how, borderMode=cv2.BORDER_REPLICATE
    )
    grey = _even(_sharpen(page, dpi, held), _background(page, dpi))
    grey[:rim], grey[-rim:], grey[:, :rim], grey[:, -rim:] = (PAPER_WHITE,) * 4
    return PageImage(index=0, image=np.ascontiguousarray(grey), dpi=dpi, colour=False)
