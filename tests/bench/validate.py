"""Accuracy of the engine on a generated split, field by field, with the mistakes listed.

    python -m tests.bench.validate --split validation --count 40 --seed 5 [--workers 2]
                                   [--keep DIR] [--json-out FILE] [--mistakes]

For tuning and checking the engine: ``dev`` to tune on, ``validation`` to check that a
change generalises (see :mod:`samples.split`). Do not run it on ``heldout`` while tuning:
that split is the final measurement (``make bench``). Files are read through the same code
path as ``signreg extract --workers N`` and scored with :class:`tests.bench.scoring.Score`,
the comparison ``make bench`` uses.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from api.cli.extract_pool import extract_files
from ocr.model import FIELD_NAMES
from tests.bench.scoring import Score


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parser().parse_args(argv)
    from samples.generate import generate_set

    root = Path(args.keep or tempfile.mkdtemp(prefix=f"signreg-{args.split}-"))
    paths = generate_set(root / args.split, count=args.count, seed=args.seed, split=args.split)
    truths = {str(p): json.loads(p.with_suffix(".json").read_text(encoding="utf-8")) for p in paths}
    pages = sum(t["pages"] for t in truths.values())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    outcomes = list(
        extract_files(
            [str(p) for p in paths],
            workers=args.workers,
            timeout=120,
            second_read=args.second_read,
        )
    )
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    score = Score()
    by_font: dict[str, Score] = {}
    for o in outcomes:
        truth = truths[o.line["file"]]
        score.add_file(o.line, truth)
        font = truth["variant"]["value_font"]
        for group in {font, "typed" if font == "typed" else "(all hand-printed)"}:
            by_font.setdefault(group, Score()).add_file(o.line, truth)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    figures = {
        "split": args.split,
        "seed": args.seed,
        **score.summary(),
        "pages": pages,
        "seconds": seconds,
        "cpu_s_per_page": cpu / max(1, pages),
        "by_value_font": {font: _group(s) for font, s in sorted(by_font.items())},
        "mistakes": score.mistakes,
    }
    _print(figures, show_mistakes=args.mistakes)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(figures, indent=1, ensure_ascii=False))
    return figures


def _group(score: Score) -> dict[str, Any]:
    """Values right, sure and silently wrong among the documents of one value font."""
    s = score.summary()
    keys = ("files", "truth_values", "value_accuracy", "sure_share", "silent_errors")
    return {k: s[k] for k in keys}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.bench.validate")
    p.add_argument(
        "--split", choices=("dev", "validation", "stress", "outside"), default="validation"
    )
    p.add_argument("--count", type=int, default=40)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--keep", help="generate into this folder and keep it")
    p.add_argument("--json-out")
    p.add_argument("--mistakes", action="store_true", help="list every wrong value")
    p.add_argument("--second-read", action="store_true", help="hand-filled digits read again")
    return p


def _print(f: dict[str, Any], *, show_mistakes: bool) -> None:
    print(f"split {f['split']} seed {f['seed']}: {f['files']} files, {f['declarations']} decl.")
    for name in FIELD_NAMES:
        print(f"  {name:<14} {f['field_accuracy'][name]:7.1%}")
    print(f"  {'signature':<14} {f['signature_accuracy']:7.1%}")
    print(f"  {'declaration':<14} {f['declaration_accuracy']:7.1%}")
    print(f"  {'batch split':<14} {f['batch_split_accuracy']:7.1%}")
    print(f"  silent errors  {f['silent_errors']}   (wrong with confidence >= 0.9)")
    print(f"  share >= 0.9   {f['sure_share']:7.1%}")
    print(f"  file errors    {f['file_errors']}")
    print(f"  CPU s / page   {f['cpu_s_per_page']:.2f} ({f['pages']} pages, {f['seconds']:.0f} s)")
    print(f"  values right   {f['value_accuracy']:7.1%} of {f['truth_values']}, by value font:")
    for font, g in f["by_value_font"].items():
        print(
            f"    {font:<24} {g['value_accuracy']:7.1%} of {g['truth_values']:>3} values "
            f"({g['files']} files), sure {g['sure_share']:6.1%}, silent {g['silent_errors']}"
        )
    for m in f["mistakes"] if show_mistakes else [m for m in f["mistakes"] if m["silent"]]:
        flag = "SILENT " if m["silent"] else ""
        print(
            f"  {flag}{Path(m['file']).name} {m['field']}: want {m['truth']!r} "
            f"got {m['got']!r} ({m['confidence']:.2f})"
        )


if __name__ == "__main__":
    main()
