"""Join-online forms printed, signed and scanned: is the code found, verified, and right?

    python -m tests.bench.codes [--count 256] [--seed 12] [--workers 2] [--second-read]
                                [--write]

Each sample is a personalised form (``samples.prefilled``: every rotation at 200, 300,
400 and 600 dpi, colour and grey JPEG, B/W G4 and B/W Flate, skew, blur, speckle,
signed and dated by hand, in a hand font or in real MNIST digits; some changed on paper,
some with a forged code). Genuine forms get their application in a throw-away SQLite
registry first, as the web makes them, made some days or weeks before the form was
signed (the plan's ``applied_at``); the scan is taken as arrived a little after signing
(``arrived_at``, the registry's ``received_at``); forged ones carry a code altered after
signing, signed under another key, or for an application that was never made. Every
page goes through the real engine (``ocr.extract``, Tesseract included) and the
registry's check (``registry.applications.apply_code``), as a worker would.

Reported: on genuine pages, the share whose code was found and verified and whether
every value taken from the code is the typed one; on forged pages, how many were
accepted (must be 0); on forms changed on paper, how many were flagged
``code_value_differs`` or ``code_value_crossed_out`` (and on unchanged forms, how many
falsely); the hand-written date (right, flagged unsure, or wrong and not flagged), for
font-written and MNIST-written dates apart, and how often ``date_outside_application``
fired; and what the one zxing call costs per page. ``--second-read`` reads hand-filled
digits again (``ocr.handread``, PP-OCRv6), as ``SIGNREG_SECOND_READ`` does in a worker.
``--write`` puts the table in ``tests/bench/CODES.md``.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).parent
KEY_SECRET = b"bench-secret"


def _job(job: tuple[int, int, float, float, str, bool]) -> dict[str, Any]:
    """Worker: render sample ``index`` for ``application_id``, read it as a worker does."""
    from ocr import extract
    from ocr.code import find_codes
    from ocr.handread import SECOND_READ_OFF, SecondRead
    from ocr.limits import DEFAULT_LIMITS
    from ocr.pages import page_images
    from ocr.pdf import open_pdf
    from ocr.pipeline import MAX_DPI
    from registry.applications import code_key
    from samples.prefilled import plan_prefilled, render_prefilled

    index, seed, forged, changed, app_id, second_read = job
    plan = plan_prefilled(index, seed, forged_share=forged, changed_share=changed)
    t0 = time.perf_counter()
    pdf, truth = render_prefilled(plan, key=code_key(KEY_SECRET), application_id=app_id)
    t1 = time.perf_counter()
    extraction = extract(pdf, second=SecondRead(enabled=True) if second_read else SECOND_READ_OFF)
    t2 = time.perf_counter()
    # what the pipeline's one zxing call costs: the same call on the same page image
    page = next(iter(page_images(open_pdf(pdf, DEFAULT_LIMITS), target_dpi=MAX_DPI, colour=False)))
    t3 = time.perf_counter()
    find_codes(page.image, 1)
    t4 = time.perf_counter()
    decls = [
        {
            "declaration": d.declaration,
            "fields": {k: f.to_dict() for k, f in d.fields.items()},
            "flags": list(d.flags),
            "codes": [(c.format, c.data, c.page, c.bbox) for c in d.codes],
            "signature": d.signature.present,
        }
        for d in extraction.declarations
    ]
    return {
        "index": index,
        "truth": truth,
        "declarations": decls,
        "render_s": t1 - t0,
        "extract_s": t2 - t1,
        "zxing_s": t4 - t3,
    }


def _fixed_id(seed: int, index: int) -> str:
    import hashlib

    from registry.applications import ID_ALPHABET

    digest = hashlib.sha256(f"codes-bench:{seed}:{index}".encode()).digest()
    return "".join(ID_ALPHABET[b % len(ID_ALPHABET)] for b in digest[:16])


def _plans(count: int, seed: int, forged: float, changed: float) -> list[Any]:
    from samples.prefilled import plan_prefilled

    return [
        plan_prefilled(i, seed, forged_share=forged, changed_share=changed) for i in range(count)
    ]


def run(
    count: int, seed: int, workers: int, forged: float, changed: float, second_read: bool = False
) -> dict[str, Any]:
    from ocr.model import FIELD_NAMES, CodeFinding, FieldValue
    from registry import applications as apps
    from registry.bootstrap import open_registry

    tmp = Path(tempfile.mkdtemp(prefix="codes-bench-"))
    registry = open_registry(f"sqlite:///{tmp / 'bench.db'}")
    from samples.prefilled import LIFETIME

    key = apps.code_key(KEY_SECRET)
    plans = _plans(count, seed, forged, changed)
    jobs = []
    with registry.sessions.begin() as s:
        for plan in plans:
            app_id = _fixed_id(seed, plan.index)  # the same forms, codes and figures each run
            if plan.forged != "unknown":  # an unknown one is never stored
                apps.create_application(
                    session=s,
                    declaration_slug=plan.declaration,
                    values=plan.values,
                    client="bench",
                    now=plan.applied_at,
                    lifetime=LIFETIME,
                    application_id=app_id,
                )
            jobs.append((plan.index, seed, forged, changed, app_id, second_read))
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_job, jobs, chunksize=1))
    wall = time.perf_counter() - started

    tally: collections.Counter[str] = collections.Counter()
    by: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    misses: list[dict[str, Any]] = []
    false_differs: list[dict[str, Any]] = []
    wrong_dates: list[dict[str, Any]] = []
    accepted_forged: list[dict[str, Any]] = []
    missed_changes: list[dict[str, Any]] = []
    for res in results:
        truth = res["truth"]
        variant = truth["variant"]
        keys = [
            f"rotation {variant['rotation']}",
            f"{variant['dpi']} dpi",
            variant["colour"],
        ]
        decl = res["declarations"][0] if res["declarations"] else None
        codes = [CodeFinding(f, d, p, b) for f, d, p, b in (decl["codes"] if decl else [])]
        found = apps.first_of_ours(codes) is not None
        fields = (
            decl["fields"] if decl else {n: FieldValue.missing().to_dict() for n in FIELD_NAMES}
        )
        arrived = dt.datetime.fromisoformat(truth["arrived_at"])
        with registry.sessions.begin() as s:
            coded = apps.apply_code(
                session=s,
                key=key,
                codes=codes,
                declaration_slug=decl["declaration"] if decl else None,
                fields=fields,
                now=arrived + dt.timedelta(minutes=10),  # a worker takes it soon after
                read_flags=decl["flags"] if decl else (),
                received_at=arrived,
            )
        verified = coded.check is not None and coded.check.verified
        if truth["forged"]:
            tally["forged"] += 1
            tally["forged_found"] += found
            if verified:
                tally["forged_accepted"] += 1
                accepted_forged.append({"index": res["index"], "forged": truth["forged"]})
            else:
                tally["forged_flagged"] += apps.CODE_NOT_VERIFIED in coded.flags
            continue
        tally["genuine"] += 1
        tally["found"] += found
        tally["verified"] += verified
        for k in keys:
            by[k]["pages"] += 1
            by[k]["verified"] += verified
        if not verified:
            misses.append({"index": res["index"], "found": found, **variant})
            continue
        code_values = {n: coded.fields[n]["value"] or "" for n in apps.VALUE_FIELDS}
        sources_ok = all(
            coded.fields[n]["source"] == apps.SOURCE_CODE for n, v in truth["values"].items() if v
        )
        right = code_values == truth["values"] and sources_ok
        tally["values_right"] += right
        changed_field = (truth.get("changed") or {}).get("field")
        differs = apps.CODE_VALUE_DIFFERS in coded.flags
        crossed = apps.CODE_VALUE_CROSSED_OUT in coded.flags
        if changed_field:
            tally["changed"] += 1
            tally["changed_flagged"] += differs or crossed
            tally["changed_flagged_differs"] += differs
            tally["changed_flagged_crossed_out"] += crossed
            if not (differs or crossed):
                missed_changes.append(
                    {
                        "index": res["index"],
                        "field": changed_field,
                        "read": fields.get(changed_field, {}).get("value"),
                    }
                )
        else:
            tally["unchanged_flagged"] += differs or crossed
            tally["unchanged_flagged_differs"] += differs
            tally["unchanged_flagged_crossed_out"] += crossed
            if differs or crossed:
                false_differs.append(
                    {
                        "index": res["index"],
                        "read": {
                            n: e["ocr_value"] for n, e in coded.fields.items() if "ocr_value" in e
                        },
                        "crossed_out": [n for n, e in coded.fields.items() if e.get("crossed_out")],
                    }
                )
        date = coded.fields["signed_date"]
        hand = truth.get("date_hand", "font")
        outside = apps.DATE_OUTSIDE_APPLICATION in coded.flags
        tally[f"dates_{hand}"] += 1
        if date["value"] == truth["signed_date"]:
            tally["date_right"] += 1
            tally[f"date_right_{hand}"] += 1
            tally["date_outside_right"] += outside  # a right date flagged: a false flag
        elif date["value"] is None or (date["confidence"] or 0) < 0.9:
            tally["date_unsure_flagged"] += 1
            tally[f"date_unsure_flagged_{hand}"] += 1
            tally["date_outside_wrong"] += outside  # a wrong date the window caught
        else:
            tally["date_wrong_unflagged"] += 1
            tally[f"date_wrong_unflagged_{hand}"] += 1
            wrong_dates.append(
                {
                    "index": res["index"],
                    "hand": hand,
                    "written": truth["date_text"],
                    "truth": truth["signed_date"],
                    "read": date["value"],
                    "confidence": date["confidence"],
                    "window": date.get("window"),
                }
            )
        tally["signed_found"] += bool(decl and decl["signature"])
    n = len(results)
    summary = {
        "command": f"python -m tests.bench.codes --count {count} --seed {seed} "
        f"--workers {workers} --forged {forged} --changed {changed}"
        + (" --second-read" if second_read else ""),
        "pages": n,
        "wall_s": round(wall, 1),
        "extract_s_per_page": round(sum(r["extract_s"] for r in results) / n, 3),
        "zxing_ms_per_page": round(1000 * sum(r["zxing_s"] for r in results) / n, 1),
        "tally": dict(tally),
        "verified_share": round(tally["verified"] / max(1, tally["genuine"]), 4),
        "by": {k: dict(v) for k, v in sorted(by.items())},
        "misses": misses,
        "accepted_forged": accepted_forged,
        "false_differs": false_differs,
        "missed_changes": missed_changes,
        "wrong_dates": wrong_dates,
    }
    registry.close()
    return summary


def markdown(summary: dict[str, Any]) -> str:
    t = summary["tally"]
    g = t.get("genuine", 0)
    rows = [
        "# Join-online codes: found, verified and right on printed, signed, scanned forms",
        "",
        "Measured with (2 cores, shared machine):",
        "",
        "    " + summary["command"],
        "",
        f"{summary['pages']} pages in {summary['wall_s']} s "
        f"({summary['extract_s_per_page']} s per page for the whole engine, Tesseract "
        f"included; the one zxing call per page costs {summary['zxing_ms_per_page']} ms).",
        "",
        "| figure | result | target |",
        "|---|---|---|",
        f"| genuine pages: code found | {t.get('found', 0)} / {g} | |",
        f"| genuine pages: code found and verified | {t.get('verified', 0)} / {g} "
        f"({100 * summary['verified_share']:.2f} %) | ≥ 99.5 % |",
        f"| verified pages: every value right (source code) | {t.get('values_right', 0)} / "
        f"{t.get('verified', 0)} | all |",
        f"| forged or altered codes accepted | {t.get('forged_accepted', 0)} / "
        f"{t.get('forged', 0)} | 0 |",
        f"| forged codes flagged code_not_verified | {t.get('forged_flagged', 0)} / "
        f"{t.get('forged', 0)} | |",
        f"| changed on paper: flagged (code_value_differs or code_value_crossed_out) | "
        f"{t.get('changed_flagged', 0)} / {t.get('changed', 0)} | all |",
        f"| ... flagged code_value_differs | {t.get('changed_flagged_differs', 0)} | |",
        f"| ... flagged code_value_crossed_out | {t.get('changed_flagged_crossed_out', 0)} | |",
        f"| unchanged forms flagged either | {t.get('unchanged_flagged', 0)} / "
        f"{g - t.get('changed', 0)} | rare |",
        f"| ... code_value_differs / code_value_crossed_out | "
        f"{t.get('unchanged_flagged_differs', 0)} / {t.get('unchanged_flagged_crossed_out', 0)} "
        "| |",
        f"| hand-written date right | {t.get('date_right', 0)} / {t.get('verified', 0)} | |",
        f"| date unsure or missing (flagged low_confidence) | "
        f"{t.get('date_unsure_flagged', 0)} | |",
        f"| date wrong and not flagged | {t.get('date_wrong_unflagged', 0)} | 0 |",
        f"| date_outside_application on a wrong date (caught) | "
        f"{t.get('date_outside_wrong', 0)} | |",
        f"| date_outside_application on a right date (false) | "
        f"{t.get('date_outside_right', 0)} | 0 |",
        f"| signature found | {t.get('signed_found', 0)} / {t.get('verified', 0)} | |",
        "",
        "The hand-written date by how it was written (verified pages):",
        "",
        "| written in | dates | right | unsure, flagged | wrong, not flagged |",
        "|---|---|---|---|---|",
        *(
            f"| {label} | {t.get(f'dates_{hand}', 0)} | {t.get(f'date_right_{hand}', 0)} | "
            f"{t.get(f'date_unsure_flagged_{hand}', 0)} | "
            f"{t.get(f'date_wrong_unflagged_{hand}', 0)} |"
            for hand, label in (("font", "hand fonts"), ("mnist", "real MNIST digits"))
        ),
        "",
        "Verified share by scan condition (genuine pages):",
        "",
        "| condition | verified / pages |",
        "|---|---|",
    ]
    for k, v in summary["by"].items():
        rows.append(f"| {k} | {v.get('verified', 0)} / {v.get('pages', 0)} |")
    rows += ["", "Pages whose code was not verified:", ""]
    if summary["misses"]:
        for m in summary["misses"]:
            rows.append(
                f"- sample {m['index']}: found={m['found']}, {m['dpi']} dpi, rotation "
                f"{m['rotation']}, {m['colour']}, skew {m['skew']}, blur {m['blur']}, "
                f"noise {m['noise']}"
            )
    else:
        rows.append("- none")
    rows += ["", "Hand-written dates read wrong with confidence (not flagged):", ""]
    rows += [
        f"- sample {d['index']} ({d['hand']}): written {d['written']!r} ({d['truth']}), read "
        f"{d['read']} at {d['confidence']} (window {d['window']})"
        for d in summary["wrong_dates"]
    ] or ["- none"]
    rows += ["", "Forms not changed on paper but flagged as changed:", ""]
    rows += [
        f"- sample {d['index']}: the page reads {d['read']}, crossed out {d['crossed_out']}"
        for d in summary["false_differs"]
    ] or ["- none"]
    rows += ["", "Forms changed on paper and not flagged:", ""]
    rows += [
        f"- sample {d['index']}: {d['field']} read {d['read']!r}" for d in summary["missed_changes"]
    ] or ["- none"]
    return "\n".join(rows) + "\n"


def overhead(count: int, seed: int) -> dict[str, Any]:
    """What the code search adds to the engine: the generator's scans (no code on them,
    as most scans) read with and without the one zxing call per page, interleaved and
    paired page for page, in this one process."""
    import statistics

    import ocr.pipeline as pipeline
    from samples.generate import render_sample

    real = pipeline.find_codes
    pdfs = [render_sample(i, seed, "dev", dpi=300)[0] for i in range(count)]
    with_code: list[float] = []
    without: list[float] = []
    try:
        for rep in range(2):
            for pdf in pdfs:
                for on in (True, False) if rep == 0 else (False, True):
                    pipeline.find_codes = real if on else (lambda image, n: ())  # type: ignore[assignment]
                    t = time.perf_counter()
                    pages = pipeline.extract(pdf).pages
                    (with_code if on else without).append((time.perf_counter() - t) / pages)
    finally:
        pipeline.find_codes = real  # type: ignore[assignment]
    diffs = [a - b for a, b in zip(with_code, without, strict=True)]
    return {
        "command": f"python -m tests.bench.codes --overhead {count} --seed {seed}",
        "runs": len(diffs),
        "with_s_per_page": round(statistics.median(with_code), 3),
        "without_s_per_page": round(statistics.median(without), 3),
        "paired_median_ms": round(1000 * statistics.median(diffs), 1),
        "paired_mean_ms": round(1000 * statistics.mean(diffs), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.codes", description=__doc__)
    parser.add_argument("--count", type=int, default=256)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--forged", type=float, default=0.1)
    parser.add_argument("--changed", type=float, default=0.1)
    parser.add_argument("--write", action="store_true", help="write tests/bench/CODES.md")
    parser.add_argument(
        "--second-read", action="store_true", help="hand-filled digits read again (PP-OCRv6)"
    )
    parser.add_argument(
        "--overhead", type=int, default=0, metavar="N", help="only: the code search's cost"
    )
    args = parser.parse_args()
    if args.overhead:
        print(json.dumps(overhead(args.overhead, args.seed), indent=1))
        return
    summary = run(args.count, args.seed, args.workers, args.forged, args.changed, args.second_read)
    print(json.dumps(summary, indent=1, default=str))
    if args.write:
        (BENCH_DIR / "CODES.md").write_text(markdown(summary), encoding="utf-8")


if __name__ == "__main__":
    main()
