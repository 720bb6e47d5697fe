"""Compose the steps: one page job per page, merged in page order.

    open_pdf ─► page_image ─► orient ─► layout ─► scan_page (labels, form)
             ─► locate + read values ─► parse + confidence ─► signature
    parent: batch.split ─► one DeclarationResult per signing block

A :class:`PageJob` is plain picklable data and :func:`process_page` the worker
function, so pages run in a process pool as OCRmyPDF runs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ocr import orient
from ocr.active import flag_active_content
from ocr.batch import PageFacts, split
from ocr.block import PageScan, guessed_signature_label, scan_page
from ocr.code import find_codes
from ocr.fields import Reading, Region, collect, locate, mark_unlisted, read_region
from ocr.handread import SECOND_READ_OFF, SecondRead, second_read, with_lexicon
from ocr.images import image_pages, is_image
from ocr.interpret import apply_lexicon, parse_readings, plausibility
from ocr.layout import Layout, analyse
from ocr.limits import DEFAULT_LIMITS, Limits
from ocr.model import CodeFinding, DeclarationResult, Extraction, FieldValue, SignatureFinding
from ocr.pages import PageImage, page_image, page_images
from ocr.pdf import open_pdf
from ocr.profile import FormProfile, load_profiles
from ocr.signature import block_signature, detect_signature, no_label
from ocr.strike import struck_flags
from ocr.tesseract import LANG, LANG_FOR, get_engine
from ocr.tuning import DEFAULT_TUNING, Tuning

LAYOUT_DPI = 150.0
MAX_DPI = 300.0
DOUBT_CONF = 75.0
UNSURE_CONF = 85.0  # the same where the upside-down test was not clear
PRINT_CONF = 60.0


@dataclass(frozen=True, slots=True)
class PageJob:
    data: bytes
    index: int
    profiles: tuple[FormProfile, ...]
    engine: str
    limits: Limits
    second: SecondRead = SECOND_READ_OFF
    tuning: Tuning = DEFAULT_TUNING


@dataclass(frozen=True, slots=True)
class PageResult:
    number: int
    has_block: bool
    profile: str | None
    continues: bool
    fields: dict[str, FieldValue]
    signature: SignatureFinding | None
    flags: tuple[str, ...]
    codes: tuple[CodeFinding, ...] = ()  # 2-D codes on the page (bytes and box)


def _paper_white(page: PageImage) -> PageImage:
    """Paper is light: a page image that is mostly dark came in with inverted polarity."""
    small = page.image[::16, ::16]
    if float(small.mean()) >= 110:
        return page
    return replace(page, image=255 - page.image)


_HOLE_DPI = 100.0  # the resolution punch holes are looked for at
_HOLE_MM = (2.0, 4.5)  # radius of a binder's punch hole (about 6 mm across)
_HOLE_CORE_MM = 1.5  # how deep inside the ink the hole's core lies
_HOLE_NEAR_MM = 3.0  # ink this near a hole's rim may be letters it joins


def _touches_ink(dark: np.ndarray, cx: float, cy: float, r0: float, r1: float) -> bool:
    """Is there ink in the ring between radii ``r0`` and ``r1`` around (cx, cy)?"""
    h, w = dark.shape
    x0, x1 = max(0, int(cx - r1)), min(w, int(cx + r1) + 1)
    y0, y1 = max(0, int(cy - r1)), min(h, int(cy + r1) + 1)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    d2 = (xx - cx) ** 2 + (yy - cy) ** 2
    ring = (d2 >= r0 * r0) & (d2 <= r1 * r1)
    return int(dark[y0:y1, x0:x1][ring].sum()) >= 3


def _no_holes(page: PageImage) -> PageImage:
    """Binder's punch holes (filled dark disks, the lid showing through) painted paper
    white. Beside a label, a hole joins its letters into one run that no longer reads as
    the label; in a signing row it is ink. A disk is told from a bar or a block of ink
    by its core (the ink deeper than 1.5 mm inside), which is as small as the disk."""
    step = max(1, round(page.dpi / _HOLE_DPI))
    small = np.ascontiguousarray(page.image[::step, ::step])  # every pixel: cheap
    f = 1.0 / step
    paper = float(np.percentile(small[::4, ::4], 75))
    dark = (small < paper - max(35.0, 0.25 * paper)).astype(np.uint8)
    mm = page.dpi * f / 25.4  # pixels per millimetre
    # no square of ink as wide as the core's inner square: no core (most pages, cheaply)
    k = max(1, int(_HOLE_CORE_MM * mm / np.sqrt(2)) - 1)
    if not cv2.erode(dark, np.ones((2 * k + 1, 2 * k + 1), np.uint8)).any():
        return page
    dist = cv2.distanceTransform(dark, cv2.DIST_L2, 3)
    core = (dist > _HOLE_CORE_MM * mm).astype(np.uint8)
    if not core.any():
        return page
    n, labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
    holes = []
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i, :4])
        radius = float(dist[y : y + h, x : x + w][labels[y : y + h, x : x + w] == i].max())
        if not _HOLE_MM[0] * mm <= radius <= _HOLE_MM[1] * mm:
            continue
        if max(w, h) > 2 * (radius - _HOLE_CORE_MM * mm) + 3:
            continue  # a core longer than a disk's: a bar, not a hole
        cx, cy = x + w / 2, y + h / 2
        if not _touches_ink(dark, cx, cy, radius + 0.5 * mm, radius + _HOLE_NEAR_MM * mm):
            continue  # alone in the margin: no letters to part from it, the page is left as is
        holes.append((cx / f, cy / f, (radius + 0.5 * mm) / f))
    if not holes:
        return page
    image = page.image.copy()
    for cx, cy, r in holes:
        cv2.circle(image, (round(cx), round(cy)), round(r), int(paper), thickness=-1)
    return replace(page, image=image)


def _scan(page: PageImage, job_profiles: Sequence[FormProfile], engine_name: str):
    engine = get_engine(engine_name)
    o = orient.detect(page.image, page.dpi)
    # the page is read the other way up only when the first read is poor: no signing
    # block and weak words (upside down, print reads at a mean confidence of 20-45).
    # Where the ink test was not clear, the bar is higher.
    bar = DOUBT_CONF if o.certain else UNSURE_CONF
    tries = [o]
    best = None
    for cand in tries:
        grey = orient.apply(page.image, cand)
        f = LAYOUT_DPI / page.dpi
        small = cv2.resize(grey, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        layout = analyse(small, LAYOUT_DPI, f)
        scan = scan_page(grey, page.dpi, layout, job_profiles, engine)
        key = (len(scan.keys), scan.mean_conf)
        if best is None or key > best[0]:
            best = (key, cand, grey, layout, scan)
        if len(tries) == 1 and not scan.has_block and scan.mean_conf < bar:
            tries.append(orient.flipped(o))  # a page that reads badly may be upside down
    assert best is not None
    _, o, grey, layout, scan = best
    return o, grey, layout, scan


def _locate(
    scan: PageScan, layout: Layout, page_w: int
) -> tuple[dict[str, Region], dict[str, Reading]]:
    """Value regions and the words the stacked read saw in them.

    Where values sit above or below their labels, the labels' vote decides; where the
    other reading makes more values parse (an organisation number, a county, a date
    under their own labels rather than their neighbours'), the vote was misled (a label
    hidden under a stamp, say) and the other reading is taken. No new OCR either way.
    """
    regions = locate(scan, layout, page_w)

    def words(rs: dict[str, Region]) -> dict[str, Reading]:
        return {key: collect(r, scan.strips) for key, r in rs.items() if key != "signature"}

    collected = words(regions)
    vertical = [r.where for r in regions.values() if r.where in ("above", "below")]
    if not vertical:
        return regions, collected
    other = locate(scan, layout, page_w, go_up=vertical[0] != "above")
    other_collected = words(other)
    if plausibility(other_collected) > plausibility(collected):
        return other, other_collected
    return regions, collected


def analyse_page(
    page: PageImage,
    profiles: Sequence[FormProfile],
    engine_name: str,
    second: SecondRead = SECOND_READ_OFF,
    tuning: Tuning = DEFAULT_TUNING,
) -> PageResult:
    page = _no_holes(_paper_white(page))
    o, grey, layout, scan = _scan(page, profiles, engine_name)
    codes = find_codes(grey, page.number)  # on the upright page already made (ocr.code)
    if not scan.has_block:
        return PageResult(page.number, False, scan.profile, scan.continues, {}, None, (), codes)
    engine = get_engine(engine_name)
    h, w = grey.shape[:2]
    th = layout.text_height / layout.scale
    runs = [s.scaled(1 / layout.scale) for s in layout.segments]
    guessed = guessed_signature_label(scan.labels, runs, th)
    if guessed is not None:  # a signature written over its label
        scan = replace(scan, labels=(*scan.labels, guessed))
    regions, collected = _locate(scan, layout, w)
    # fields the page's language cannot spell are read again in theirs; the first read
    # stays as a witness
    readings = {
        key: read_region(grey, page.dpi, regions[key], th, engine, LANG_FOR[key])
        if key in LANG_FOR
        else r
        for key, r in collected.items()
    }
    witnesses = {key: collected[key] for key in readings if key in LANG_FOR}

    def reread(key: str, variant: str | None = None) -> Reading:
        lang = LANG_FOR.get(key, LANG)
        return read_region(grey, page.dpi, regions[key], th, engine, lang, variant)

    fields, flags = parse_readings(readings, page.number, (w, h), reread, witnesses, variants=True)
    # hand-filled digits Tesseract is unsure of, read again where asked (off by default)
    fields, flags = second_read(fields, flags, regions, grey, th, second, page=page.number)
    flags += struck_flags(grey, fields, th, tuning.strike)  # crossed out on paper (ocr.strike)
    fields, flags = mark_unlisted(fields, flags, regions)  # labels the profile lacks
    sig_region = regions.get("signature")
    if sig_region is None:  # no signature label, not even a guessed one: the block's ink
        signature = block_signature(
            grey,
            page.dpi,
            th,
            page_number=page.number,
            labels=[lab.box for lab in scan.labels],
            values=[r.box for r in regions.values() if r.box is not None],
            runs=runs,
            tuning=tuning.signature,
        )
    else:
        # every value read, and whether it was read as print (handwriting reads weakly)
        read = [
            (r.box, r.label.box, r.conf >= PRINT_CONF)
            for r in readings.values()
            if r.box is not None
        ]
        col_end = min(
            (
                lab.box.x0
                for lab in scan.labels
                if lab.box.x0 > sig_region.label.box.x1
                and lab.segment.v_overlap(sig_region.label.segment) >= 0.5
            ),
            default=w,
        )
        signature = detect_signature(
            sig_region,
            grey,
            page.dpi,
            th,
            page_number=page.number,
            col_end=col_end,
            labels=[lab.box for lab in scan.labels],
            values=read,
            source="label" if guessed is None else "guessed",  # the model weighs a guess
            tuning=tuning.signature,
        )
    if scan.profile_by_labels:
        flags.append("declaration_from_labels")  # no title read: a reviewer confirms
    return PageResult(
        page.number, True, scan.profile, scan.continues, fields, signature, tuple(flags), codes
    )


def process_page(job: PageJob) -> PageResult:
    page = page_image(job.data, job.index, MAX_DPI, job.limits, colour=False)
    return analyse_page(page, job.profiles, job.engine, job.second, job.tuning)


def extract(
    pdf_bytes: bytes,
    profiles: Sequence[FormProfile] | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    engine: str = "auto",
    workers: int = 1,
    lexicon: Mapping[str, str] | None = None,
    second: SecondRead = SECOND_READ_OFF,
    tuning: Tuning = DEFAULT_TUNING,
) -> Extraction:
    """Read every declaration in one PDF (see :class:`~ocr.model.Extraction`), with the
    thresholds of ``tuning`` (:mod:`ocr.tuning`)."""
    profs = tuple(profiles) if profiles is not None else load_profiles()
    second = with_lexicon(second, lexicon)  # hand-printed organisations snap to its names
    get_engine(engine) if workers <= 1 else None  # fail fast on an unknown engine name
    if is_image(pdf_bytes):  # a photo (JPEG/PNG: the page found in it) or a TIFF scan
        pages = image_pages(pdf_bytes, limits, colour=False)
        return merge(
            [analyse_page(p, profs, engine, second, tuning) for p in pages], profs, lexicon
        )
    doc = open_pdf(pdf_bytes, limits)
    if workers <= 1 or doc.page_count == 1:
        results = [
            analyse_page(p, profs, engine, second, tuning)
            for p in page_images(doc, target_dpi=MAX_DPI, colour=False)
        ]
    else:
        jobs = [
            PageJob(pdf_bytes, i, profs, engine, limits, second, tuning)
            for i in range(doc.page_count)
        ]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(process_page, jobs))
    return flag_active_content(merge(results, profs, lexicon), doc.active_content)


def merge(
    results: Sequence[PageResult],
    profiles: Sequence[FormProfile],
    lexicon: Mapping[str, str] | None,
) -> Extraction:
    facts = [PageFacts(r.number, r.has_block, r.profile, r.continues) for r in results]
    by_number = {r.number: r for r in results}
    default = profiles[0].slug if len(profiles) == 1 else None
    declarations = []
    for g in split(facts):
        r = by_number[g.block_page]
        fields = dict(r.fields)
        flags = list(r.flags)
        if lexicon:
            fields, extra = apply_lexicon(fields, lexicon)
            flags += extra
        slug = g.profile or default
        if slug is None:
            flags.append("unknown_declaration")
        signature = r.signature or no_label(r.number)
        if not signature.present:
            flags.append("unsigned")
        declarations.append(
            DeclarationResult(
                pages=g.pages,
                declaration=slug,
                fields=fields,
                signature=signature,
                flags=tuple(flags),
                codes=tuple(c for n in g.pages if n in by_number for c in by_number[n].codes),
            )
        )
    return Extraction(pages=len(results), declarations=tuple(declarations))
