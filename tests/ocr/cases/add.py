"""Add a case to the regression corpus from a generated sample.

    python -m tests.ocr.cases.add --split stress --seed 61 --index 61 --field organisation \
        --name tra-r-under-the-t --commit ab2f7c6 --what "'Trä' read 'Tä' (0.99)"

Regenerates the sample, cuts its declaration's signing block out of the block's page (as
the engine reads that page: grey, at most 300 dpi, upright), reads the crop through
:func:`tests.ocr.cases.corpus.read` and writes ``<name>.png`` and ``<name>.json`` here.
The expected value is the generator's truth; the mode (see ``corpus.MODES``) is taken
from ``--mode`` or else from what the engine gives now, and ``checked`` is false: a
person looks at the crop, checks the verdict and sets ``checked`` to true. The crop must
still show the failure with the rule undone (README.md says how to check that).
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from tests.ocr.cases.corpus import (
    CASES_DIR,
    MODES,
    SURE,
    Case,
    block_box,
    judge,
    read,
    sample_page,
    save_png,
    write_json,
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.ocr.cases.add", description=__doc__)
    p.add_argument("--split", required=True, choices=("dev", "validation", "stress", "heldout"))
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--declaration", type=int, default=0, help="which declaration of the file")
    p.add_argument("--field", required=True, help="a field name, or 'signature'")
    p.add_argument("--name", required=True, help="file name of the case, without suffix")
    p.add_argument("--mode", choices=sorted(MODES), help="how the verdict is judged")
    p.add_argument("--commit", default="", help="the commit that made the rule")
    p.add_argument("--what", default="", help="the failure, in words")
    p.add_argument("--hand-digits", action="store_true", help="number and date in MNIST digits")
    p.add_argument("--second-read", action="store_true", help="read with SecondRead on")
    p.add_argument(
        "--narrow", action="store_true", help="crop from the left margin to the values' end"
    )
    p.add_argument(
        "--from-top",
        action="store_true",
        help="crop from the page's top (where a read of the block changes with the title above)",
    )
    p.add_argument("--dir", type=Path, default=CASES_DIR)
    p.add_argument("--force", action="store_true", help="overwrite an existing case")
    return p


def _default_mode(right: bool, confidence: float) -> str:
    if right:
        return "right_sure" if confidence >= SURE else "right_unsure"
    return "never_sure_wrong" if confidence < SURE else "right"  # "right": fails until mended


def main(argv: list[str] | None = None) -> Path:
    args = _parser().parse_args(argv)
    if args.split == "heldout":
        raise SystemExit(
            "heldout is the final measurement: take cases from dev, validation or stress"
        )
    out = args.dir / f"{args.name}.json"
    if out.exists() and not args.force:
        raise SystemExit(f"{out} exists (--force to overwrite)")
    sp = sample_page(
        args.split, args.seed, args.index, args.declaration, hand_digits=args.hand_digits
    )
    if args.field == "signature":
        want = bool(sp.truth["signature"]["present"])
    else:
        want = sp.truth["fields"][args.field]
    x0, y0, x1, y1 = block_box(sp, full_width=not args.narrow)
    y0 = 0 if args.from_top else y0
    crop = sp.image[y0:y1, x0:x1]
    png = out.with_suffix(".png")
    meta = {
        "what": args.what,
        "commit": args.commit,
        "source": {
            "split": args.split,
            "seed": args.seed,
            "index": args.index,
            "declaration": args.declaration,
            "page": sp.truth["signature"]["page"],
            "hand_digits": args.hand_digits,
            "variant": {
                k: sp.variant.get(k)
                for k in ("layout", "value_font", "colour", "noise", "skew", "punch_holes")
            },
        },
        "page_px": [int(sp.image.shape[1]), int(sp.image.shape[0])],
        "crop_px": [x0, y0, x1, y1],
        "dpi": sp.dpi,
        "scan_dpi": sp.scan_dpi,
        "entry": "ocr.pipeline.analyse_page (tests.ocr.cases.corpus.read)",
        "second_read": args.second_read or args.hand_digits,
        "expect": {"field": args.field, "value": want, "mode": args.mode or "right"},
        "checked": False,
    }
    meta["grey_levels"] = save_png(crop, png)
    write_json(meta, out)
    case = Case.load(out)
    got = read(case)
    mode = args.mode or _default_mode(got.value == want, got.confidence)
    meta["expect"]["mode"] = mode
    meta["engine_at_add"] = {
        "value": got.value,
        "confidence": round(got.confidence, 4),
        "commit": _head(),
    }
    write_json(meta, out)
    problem = judge(Case.load(out), got)
    print(
        f"{png.name}: {crop.shape[1]}x{crop.shape[0]} px at {sp.dpi:g} dpi, "
        f"{png.stat().st_size} bytes, {meta['grey_levels']} grey levels"
    )
    print(f"  truth {want!r}; engine now {got.value!r} at {got.confidence:.3f}; mode {mode}")
    if problem:
        print(f"  FAILS NOW: {problem}")
    return out


def _head() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


if __name__ == "__main__":
    main()
