"""The long fuzz run of the PDF reader (``python -m tests.bench.fuzz``).

Mutations of the corpus of ``tests.ocr.fuzzing`` (the committed samples and small
generated PDFs: byte flips, truncations, splices, tokens, damaged lengths, xref offsets
and declared sizes), seeded so a run is repeatable, plus every hand-made hostile PDF;
each read by a forked child under a memory limit (RLIMIT_AS) and a time limit, two
children side by side. Prints the inputs run, the outcomes by reason, the failures
(crash, died, hang, memory) with a way to reproduce each, the slowest input and the
children's peak RSS; ``--save DIR`` writes every failing input there. Exits 1 on any
failure.

    python -m tests.bench.fuzz --count 20000 --seconds 600 --seed 1
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
from pathlib import Path

from tests.ocr import fuzzing as fz


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="mutated inputs to run")
    parser.add_argument("--seconds", type=float, default=600.0, help="stop after this long")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="reading children (max 2)")
    parser.add_argument("--time-limit", type=float, default=fz.TIME_LIMIT)
    parser.add_argument("--memory-gb", type=float, default=fz.MEMORY_LIMIT / fz.GB)
    parser.add_argument("--save", type=Path, default=None, help="write failing inputs here")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    seeds = fz.corpus()
    names = sorted(seeds)
    values = [seeds[n] for n in names]
    hostile = fz.hostile()
    outcomes: collections.Counter[str] = collections.Counter()
    failures: list[tuple[str, fz.Verdict, bytes]] = []
    slowest = (0.0, "")
    biggest = (0, "")  # the input at which a child's peak RSS rose to its highest
    run = 0
    start = time.monotonic()
    batch_size = 50 * args.workers
    with fz.Readers(
        min(2, args.workers),
        memory_limit=int(args.memory_gb * fz.GB),
        time_limit=args.time_limit,
    ) as readers:
        pending: list[tuple[str, bytes]] = list(hostile.items())
        made = 0
        while True:
            while len(pending) < batch_size and made < args.count:
                name = rng.choice(names)
                ops = fz.random_ops(rng, rng.randint(1, 4))
                pending.append((f"{name} {ops}", fz.apply_ops(seeds[name], ops, values)))
                made += 1
            if not pending or time.monotonic() - start > args.seconds:
                break
            verdicts = readers.read_many([data for _, data in pending])
            for (label, data), v in zip(pending, verdicts, strict=True):
                run += 1
                outcomes[v.kind if v.kind != "error" else f"error:{v.detail}"] += 1
                if v.seconds > slowest[0]:
                    slowest = (v.seconds, label[:120])
                if v.peak_rss_kb > biggest[0]:
                    biggest = (v.peak_rss_kb, label[:120])
                if v.failed:
                    failures.append((label, v, data))
            pending = []
        peak = readers.peak_rss_kb
    elapsed = time.monotonic() - start

    print(
        f"inputs run: {run} ({len(hostile)} hand-made hostile, {run - len(hostile)} mutated; "
        f"seed {args.seed}) in {elapsed:.0f} s, {run / elapsed:.0f}/s, {args.workers} children"
    )
    print(f"limits per input: {args.time_limit:.0f} s, address space {args.memory_gb:.1f} GiB")
    for kind, n in sorted(outcomes.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:28} {n}")
    failed = collections.Counter(v.kind for _, v, _ in failures)
    print(
        "crashes: {crash}, died: {died}, hangs: {hang}, out of memory: {memory}".format(
            **{k: failed.get(k, 0) for k in fz.FAILURES}
        )
    )
    print(f"slowest input: {slowest[0]:.2f} s ({slowest[1]})")
    print(f"peak RSS of a reading child: {peak / 1024:.0f} MB (reached at {biggest[1]})")
    for label, v, _data in failures[:50]:
        print(f"FAIL {v.kind}: {v.detail[:300]}\n     input: {label}")
    if args.save and failures:
        args.save.mkdir(parents=True, exist_ok=True)
        for i, (_label, v, data) in enumerate(failures):
            (args.save / f"{i:04d}-{v.kind}.pdf").write_bytes(data)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
