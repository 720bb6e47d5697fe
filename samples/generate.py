"""Synthetic scanned declaration PDFs with their truth.

    generate_set(out_dir, count=N, seed=S, split="dev"|"heldout"|"validation") -> [pdf paths]
    generate_bad_inputs(out_dir) -> [(path, expected ocr.errors.Reason value or "")]

CLI: ``python -m samples.generate --out DIR --count N --seed S --split SPLIT [--bad]``

Each sample ``NNNN.pdf`` has ``NNNN.json`` beside it: the values the engine must output
(normalised), which pages hold which declaration, where the signature is, and how the
sample was made (``variant``). What the ``heldout`` split keeps back is the table in
:mod:`samples.split`. Same seed, same split → byte-identical files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from samples.bad import generate_bad_inputs
from samples.canvas import Box, Canvas
from samples.forms import DrawnForm, draw_cover_letter, draw_form
from samples.hazards import hazard_rng, unsign
from samples.marks import draw_stamp, edge_shadow, punch_holes
from samples.pdfwrite import encode_page, write_pdf
from samples.plan import DocPlan, FormPlan, numpy_rng, plan_sample
from samples.scanner import scan
from samples.split import SPLIT_NAMES, Split, missing_fonts

__all__ = ["generate_bad_inputs", "generate_set", "render_sample", "write_sample"]


def _frac(box: Box | None, canvas: Canvas) -> list[float] | None:
    if box is None:
        return None
    w, h = canvas.image.size
    return [round(box[0] / w, 4), round(box[1] / h, 4), round(box[2] / w, 4), round(box[3] / h, 4)]


def _variant(plan: DocPlan) -> dict[str, Any]:
    return {
        "document": plan.kind,
        "layout": plan.family,
        "font": plan.font.name,
        "value_font": Path(plan.value_font).stem
        if plan.value_font != plan.font.regular
        else "typed",
        "labels": sorted({label for form in plan.forms for label in form.labels.values()}),
        "margin_mm": round(plan.margin_mm, 1),
        "value_pt": round(plan.value_pt, 1),
        "row_pitch_mm": round(plan.row_pitch_mm, 1),
        "stamp": plan.extras.stamp,
        "punch_holes": plan.extras.punch_holes,
        "edge_shadow": plan.extras.edge_shadow,
        **plan.scan.as_truth(),
    }


def _declaration_truth(form: FormPlan, drawn: DrawnForm, first: int) -> dict[str, Any]:
    block_canvas = drawn.pages[drawn.block_page]
    block_page = first + drawn.block_page
    boxes = {
        f: {"page": block_page, "bbox": _frac(b, block_canvas)}
        for f, b in drawn.value_boxes.items()
        if f != "place_date"
    }
    declaration: dict[str, Any] = {
        "pages": list(range(first, first + len(drawn.pages))),
        "declaration": form.declaration,
        "fields": dict(form.truth),
        "signature": {
            "present": form.signed,
            "page": block_page,
            "bbox": _frac(drawn.signature_box, block_canvas),
        },
        "value_boxes": boxes,
        "printed": dict(form.printed),
    }
    if drawn.signature_style:
        declaration["signature_style"] = {"style": drawn.signature_style, "ink": form.ink}
    if drawn.hazard:
        declaration["signature_hazard"] = drawn.hazard
    if form.orgnr_printed_invalid:
        declaration["organisation_number_printed"] = form.orgnr_printed_invalid
    return declaration


def _stamp(plan: DocPlan, form: FormPlan, page: Canvas, rng: random.Random) -> None:
    received = dt.date.fromisoformat(form.truth["signed_date"] or "2023-01-01")
    received += dt.timedelta(days=plan.extras.stamp_days)
    draw_stamp(
        page, rng, board=plan.extras.stamp_board, received=received, font_path=plan.font.bold
    )


def _wear(plan: DocPlan, page: Canvas) -> None:
    if plan.extras.punch_holes:
        punch_holes(page)
    if plan.extras.edge_shadow:
        edge_shadow(page, plan.extras.edge_shadow)


def draw_document(
    plan: DocPlan,
    seed: int,
    split: Split,
    index: int,
    *,
    hand_digits: bool = False,
    signing_hazards: bool = False,
) -> tuple[list[Canvas], list[dict[str, Any]]]:
    """Sample ``index``'s pages, drawn and worn (before the scanner), and the truth of
    each declaration on them. ``signing_hazards``: hard signing rows
    (:mod:`samples.hazards`)."""
    rng = random.Random(f"draw:{seed}:{split}:{index}")
    marks_rng = random.Random(f"marks:{seed}:{split}:{index}")
    pages: list[Canvas] = []
    declarations: list[dict[str, Any]] = []
    if plan.cover_letter:
        pages.append(draw_cover_letter(plan, plan.forms[0], rng))
    for n, form in enumerate(plan.forms):
        hazard = hazard_rng(seed, split, index, n) if signing_hazards else None
        if hazard is not None and unsign(hazard, form.signed):
            form = replace(form, signed=False)
        drawn = draw_form(plan, form, rng, hazard)
        if plan.extras.stamp:
            _stamp(plan, form, drawn.pages[0], marks_rng)
        declarations.append(_declaration_truth(form, drawn, len(pages) + 1))
        if hand_digits:
            declarations[-1]["hand_digits"] = _hand_digits(drawn, form, seed, split, index)
        pages.extend(drawn.pages)
    for page in pages:
        _wear(plan, page)
    return pages, declarations


def render_sample(
    index: int,
    seed: int,
    split: Split,
    *,
    dpi: int | None = None,
    hand_digits: bool = False,
    signing_hazards: bool = False,
) -> tuple[bytes, dict[str, Any]]:
    """The PDF bytes and the truth of sample ``index`` (the file name is left to the caller).

    ``hand_digits``: the organisation number and the date written by hand in real MNIST
    digits (:mod:`samples.handwriting`) instead of typed; what was written is in the
    declaration's truth as ``hand_digits``. Every other choice stays as the seed makes it.
    """
    plan = plan_sample(index, seed, split, dpi=dpi)
    pages, declarations = draw_document(
        plan, seed, split, index, hand_digits=hand_digits, signing_hazards=signing_hazards
    )
    specs = [
        replace(plan.scan, rotation=180) if i == plan.extras.flip_page else plan.scan
        for i in range(len(pages))
    ]
    nrng = numpy_rng(index, seed, split)
    encoded = [
        encode_page(scan(p.image, spec, nrng), spec) for p, spec in zip(pages, specs, strict=True)
    ]
    rotate = [(360 - spec.rotation) % 360 if spec.pdf_rotate else 0 for spec in specs]
    truth = {
        "pages": len(pages),
        "split": split,
        "variant": {**_variant(plan), "page_rotations": [spec.rotation for spec in specs]},
        "declarations": declarations,
    }
    return write_pdf(encoded, pdf_rotate=rotate), truth


def _hand_digits(
    drawn: DrawnForm, form: FormPlan, seed: int, split: Split, index: int
) -> dict[str, str]:
    from samples.handwriting import HAND_FIELDS, write_on_form

    values = {f: form.truth[f] for f in HAND_FIELDS if form.printed.get(f) == form.truth.get(f)}
    rng = random.Random(f"hand:{seed}:{split}:{index}:{form.declaration}")
    return write_on_form(drawn.pages[drawn.block_page].image, drawn.value_boxes, values, rng)


def write_sample(
    out_dir: Path,
    index: int,
    *,
    seed: int,
    split: Split,
    dpi: int | None = None,
    hand_digits: bool = False,
    signing_hazards: bool = False,
) -> Path:
    """Write sample ``index`` as ``out_dir/NNNN.pdf`` with its truth ``NNNN.json``."""
    pdf, truth = render_sample(
        index, seed, split, dpi=dpi, hand_digits=hand_digits, signing_hazards=signing_hazards
    )
    name = f"{index:04d}"
    pdf_path = Path(out_dir) / f"{name}.pdf"
    pdf_path.write_bytes(pdf)
    truth = {"file": pdf_path.name, **truth}
    (Path(out_dir) / f"{name}.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return pdf_path


def _write_one(job: tuple[Any, ...]) -> str:
    """Pool worker: ``(out_dir, index, seed, split[, dpi[, hand_digits[, hazards]]])``."""
    out_dir, index, seed, split, *rest = job
    return str(
        write_sample(
            Path(out_dir),
            index,
            seed=seed,
            split=split,
            dpi=rest[0] if rest else None,
            hand_digits=bool(rest[1]) if len(rest) > 1 else False,
            signing_hazards=bool(rest[2]) if len(rest) > 2 else False,
        )
    )


def generate_set(
    out_dir: Path,
    *,
    count: int,
    seed: int,
    split: Split,
    workers: int | None = None,
    dpi: int | None = None,
    hand_digits: bool = False,
    signing_hazards: bool = False,
) -> list[Path]:
    """Write ``out_dir/NNNN.pdf`` and ``NNNN.json`` for ``count`` samples; returns the PDFs.

    ``workers`` defaults to one process per core; ``dpi`` overrides every sample's scan
    resolution (quick tests), leaving every other choice as the seed makes it.
    """
    if split not in SPLIT_NAMES:
        raise ValueError(f"split must be one of {', '.join(SPLIT_NAMES)}, not {split!r}")
    missing = missing_fonts(split)
    if missing:
        raise FileNotFoundError(
            f"fonts for the {split} split are not installed (make apt): {', '.join(missing)}"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, int, int, Split, int | None, bool, bool]] = [
        (str(out_dir), i, seed, split, dpi, hand_digits, signing_hazards) for i in range(count)
    ]
    n = workers if workers is not None else min(os.cpu_count() or 1, count)
    if n <= 1 or count < 3:
        return [Path(_write_one(job)) for job in jobs]
    with Pool(n) as pool:
        return [Path(p) for p in pool.map(_write_one, jobs, chunksize=1)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m samples.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", choices=SPLIT_NAMES, default="dev")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--dpi", type=int, default=None, help="override every scan's dpi")
    parser.add_argument("--bad", action="store_true", help="also write the broken inputs")
    parser.add_argument(
        "--hand-digits",
        action="store_true",
        help="organisation numbers and dates written in real MNIST digits",
    )
    parser.add_argument(
        "--signing-hazards",
        action="store_true",
        help="hard signing rows: signed across the label, small labels, stamps, specks",
    )
    args = parser.parse_args(argv)
    paths = generate_set(
        args.out,
        count=args.count,
        seed=args.seed,
        split=args.split,
        workers=args.workers,
        dpi=args.dpi,
        hand_digits=args.hand_digits,
        signing_hazards=args.signing_hazards,
    )
    print(f"wrote {len(paths)} samples to {args.out}")
    if args.bad:
        bad = generate_bad_inputs(args.out / "bad")
        (args.out / "bad" / "expected.json").write_text(
            json.dumps({p.name: r for p, r in bad}, indent=1) + "\n", encoding="utf-8"
        )
        print(f"wrote {len(bad)} bad inputs to {args.out / 'bad'}")


if __name__ == "__main__":
    main()
