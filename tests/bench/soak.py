"""Soak test of the watched inbox (``python -m tests.bench.soak``; part of ``make bench``).

1. **Crash soak** (SQLite, the embedded default; fake OCR, since this is about the queue):
   500 unique scans from ``samples.generate.generate_set`` plus duplicates and bad files,
   dropped in bursts (some renamed into place, some copied slowly in place, some copied
   in two parts with a 1 s stall between) while ``signreg watch`` is killed with SIGKILL
   (its whole process group, workers included) three times and restarted. Leases as in
   production (30 s, renewed every 10 s): files a killed worker held are taken again
   because the restarted workers see their holder is dead, not because a lease ran out.
   Every file must be accounted for exactly once.
2. **Two watchers on PostgreSQL** sharing one inbox, each with its worker: no scan read
   twice (the fake engine's journal counts reads per sha256).
3. **Latency with real OCR**: one 1-page scan at a time on an otherwise idle inbox, from
   the moment it lands (renamed into the inbox) to its proposal row (stability wait
   included); p50 and p95.

Prints the figures; exits 1 when an invariant is broken.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select

from registry.db import make_engine, make_sessionmaker
from registry.models import Proposal, Submission, SubmissionArrival
from tests.ingest.files import bad_files
from tests.ingest.proc import (
    PG_ADMIN,
    Watch,
    drop_atomic,
    drop_in_two_parts,
    drop_slowly,
    journal_counts,
    journal_lines,
    settle,
)

REPO = Path(__file__).resolve().parents[2]


def scans(cache: Path, count: int, *, seed: int, dpi: int | None) -> list[Path]:
    """``count`` generated scans (cached between runs)."""
    from samples.generate import generate_set

    cache.mkdir(parents=True, exist_ok=True)
    have = sorted(cache.glob("*.pdf"))
    if len(have) >= count:
        return have[:count]
    return generate_set(cache, count=count, seed=seed, split="dev", dpi=dpi)


def crash_soak(
    work: Path, pdfs: list[Path], *, kills: int, real: int, workers: int, rng: random.Random
) -> dict[str, object]:
    inbox, data, journal = work / "inbox", work / "data", work / "journal"
    inbox.mkdir(parents=True)
    url = f"sqlite:///{work / 'signreg.db'}"
    files: list[tuple[str, bytes]] = [
        (f"scan-{i:04d}.pdf", p.read_bytes()) for i, p in enumerate(pdfs)
    ]
    # declarations in each scan by its truth (a batch holds several signed forms)
    truth = {
        hashlib.sha256(content).hexdigest(): len(
            json.loads(p.with_suffix(".json").read_text())["declarations"]
        )
        for (_, content), p in zip(files, pdfs, strict=True)
    }
    dups = [
        (f"kopia-{i:04d}.pdf", files[i][1])
        for i in rng.sample(range(len(files)), max(2, len(files) * 8 // 100))
    ]
    bad = [
        (f"bad-{n}", content) for seed in range(4) for n, (content, _) in bad_files(seed).items()
    ]
    bad = [(n, c) for n, c in bad if c or n == "bad-empty-0.pdf"]  # one empty file
    # these scans are read by the real engine (Tesseract), the rest by the fake one
    real_shas = {hashlib.sha256(c).hexdigest() for _, c in rng.sample(files, min(real, len(files)))}
    (work / "real.txt").write_text("".join(f"{s}\n" for s in sorted(real_shas)))
    everything = files + dups + bad
    rng.shuffle(everything)
    size = -(-len(everything) // 10)  # ten bursts
    bursts = [everything[i : i + size] for i in range(0, len(everything), size)]
    kill_after = set(rng.sample(range(1, len(bursts) - 1), kills))

    watch = Watch(
        url,
        data,
        inbox,
        journal,
        work / "watch.log",
        fake_delay=0.02,
        lease_seconds=30.0,
        heartbeat_seconds=10.0,
        workers=workers,
    )
    watch.env["FAKE_OCR_REAL"] = str(work / "real.txt")
    started = time.monotonic()
    watch.start()
    killed = 0
    for n, burst in enumerate(bursts):
        for name, content in burst:
            how = rng.random()
            if how < 0.1:
                threading.Thread(target=drop_slowly, args=(inbox / name, content)).start()
            elif how < 0.15:
                threading.Thread(target=drop_in_two_parts, args=(inbox / name, content)).start()
            else:
                drop_atomic(inbox / name, content)
        time.sleep(rng.uniform(0.5, 3.0))
        if n in kill_after:
            watch.kill9()
            killed += 1
            time.sleep(rng.uniform(0.2, 1.5))
            watch.start()
    settle(url, len(everything), timeout=3600)
    wall = time.monotonic() - started
    watch.stop()

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with factory() as session:
        subs = session.execute(select(Submission.sha256, Submission.status)).all()
        arrivals = session.execute(select(SubmissionArrival.duplicate)).all()
        per_sub = dict(
            session.execute(
                select(Submission.sha256, func.count())
                .join(Proposal, Proposal.submission_id == Submission.id)
                .group_by(Submission.sha256)
            ).all()
        )
        # the same declaration of a scan proposed twice (a read repeated after a kill
        # that recorded its proposals again)
        doubled_proposals = session.scalar(
            select(func.count()).select_from(
                select(Proposal.submission_id, Proposal.index)
                .group_by(Proposal.submission_id, Proposal.index)
                .having(func.count() > 1)
                .subquery()
            )
        )
    engine.dispose()
    good_shas = {hashlib.sha256(c).hexdigest() for _, c in files}
    sub_shas = collections.Counter(s.sha256 for s in subs)
    statuses = collections.Counter(s.status for s in subs)
    archive_files = len(list((data / "archive").glob("??/*.pdf")))
    quarantine_files = len(list((data / "quarantine").glob("*.reason.txt")))
    dup_arrivals = sum(1 for a in arrivals if a.duplicate)
    reads = journal_counts(journal)
    leftovers = [p for p in inbox.rglob("*") if p.is_file()]
    return {
        "files_dropped": len(everything),
        "unique_scans": len(files),
        "duplicates_dropped": len(dups),
        "bad_dropped": len(bad),
        "kills": killed,
        "read_by_real_ocr": len(real_shas),
        "real_ocr_proposed": sum(
            1 for s in subs if s.sha256 in real_shas and s.status == "proposed"
        ),
        "wall_seconds": round(wall, 1),
        "submissions": len(subs),
        "statuses": dict(statuses),
        "lost": len(good_shas - set(sub_shas)),
        "doubled_submissions": sum(1 for n in sub_shas.values() if n > 1),
        "doubled_proposals": doubled_proposals,
        # the fake engine proposes one declaration per scan
        "fake_reads_with_more_than_one_proposal": sum(
            1 for sha, n in per_sub.items() if sha not in real_shas and n > 1
        ),
        # the real engine one per signed form it finds: against the generator's truth
        "real_reads_batches": sum(1 for sha in real_shas if truth[sha] > 1),
        "real_reads_with_proposals_as_in_truth": sum(
            1 for sha in real_shas if per_sub.get(sha, 0) == truth[sha]
        ),
        "proposed_good_scans": statuses.get("proposed", 0),
        # read by the fake engine but not proposed (the real engine may find no block)
        "fake_read_not_proposed": sum(
            1 for s in subs if s.sha256 in good_shas - real_shas and s.status != "proposed"
        ),
        "unfinished": sum(1 for s in subs if s.status in ("received", "processing")),
        "archive_files": archive_files,
        "quarantine_files": quarantine_files,
        "duplicate_arrivals": dup_arrivals,
        "archive+quarantine+duplicates": archive_files + quarantine_files + dup_arrivals,
        "arrivals_recorded": len(arrivals),
        "reads_repeated_after_a_kill": sum(n - 1 for n in reads.values() if n > 1),
        "files_left_in_inbox": len(leftovers),
    }


def two_watchers(work: Path, pdfs: list[Path]) -> dict[str, object]:
    import psycopg

    name = f"signreg_soak_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    inbox, data, journal = work / "inbox", work / "data", work / "journal"
    inbox.mkdir(parents=True)
    a = Watch(url, data, inbox, journal, work / "a.log", fake_delay=0.05)
    b = Watch(url, data, inbox, journal, work / "b.log", fake_delay=0.05)
    try:
        a.start()
        b.start()
        a.wait_started()
        b.wait_started()
        for i, p in enumerate(pdfs):
            drop_atomic(inbox / f"pg-{i:04d}.pdf", p.read_bytes())
        settle(url, len(pdfs), timeout=900)
    finally:
        a.stop()
        b.stop()
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            subs = session.scalar(select(func.count()).select_from(Submission))
            proposed = session.scalar(
                select(func.count()).select_from(Submission).where(Submission.status == "proposed")
            )
        engine.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    reads = journal_counts(journal)
    readers = collections.Counter(pid for pid, _ in journal_lines(journal))
    return {
        "files_dropped": len(pdfs),
        "submissions": subs,
        "proposed": proposed,
        "scans_read_once": sum(1 for n in reads.values() if n == 1),
        "scans_read_twice_or_more": sum(1 for n in reads.values() if n > 1),
        "reads_per_worker": sorted(readers.values()),
    }


def latency(work: Path, pdfs: list[Path], *, stable_seconds: float) -> dict[str, object]:
    inbox, data = work / "inbox", work / "data"
    inbox.mkdir(parents=True)
    url = f"sqlite:///{work / 'signreg.db'}"
    watch = Watch(
        url,
        data,
        inbox,
        None,
        work / "watch.log",
        engine="auto",
        stable_seconds=stable_seconds,
        poll_seconds=1.0,
        workers=1,
    )
    watch.start()
    watch.wait_started()
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    seconds: list[float] = []
    try:
        for i, p in enumerate(pdfs):
            name = f"lat-{i:03d}.pdf"
            landed = time.time()
            drop_atomic(inbox / name, p.read_bytes())
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with factory() as session:
                    row = session.execute(
                        select(Submission.status, func.min(Proposal.created_at))
                        .join(Proposal, Proposal.submission_id == Submission.id, isouter=True)
                        .where(Submission.file_name == name)
                        .group_by(Submission.status)
                    ).first()
                if row is not None and row[0] in ("proposed", "failed", "quarantined"):
                    break
                time.sleep(0.02)
            if row is not None and row[1] is not None:
                seconds.append(row[1].timestamp() - landed)
            time.sleep(0.5)  # idle between files
    finally:
        watch.stop()
        engine.dispose()
    seconds.sort()
    return {
        "scans": len(pdfs),
        "with_proposal": len(seconds),
        "stable_seconds": stable_seconds,
        "p50_s": round(statistics.median(seconds), 3) if seconds else None,
        "p95_s": round(seconds[max(0, int(round(0.95 * len(seconds))) - 1)], 3)
        if seconds
        else None,
        "max_s": round(max(seconds), 3) if seconds else None,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def one_page(pdfs: list[Path]) -> list[Path]:
    return [p for p in pdfs if json.loads(p.with_suffix(".json").read_text())["pages"] == 1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--real", type=int, default=200, help="scans read by real OCR")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-count", type=int, default=200)
    parser.add_argument("--latency-count", type=int, default=20)
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--cache", type=Path, default=REPO / "samples" / "out" / "soak")
    parser.add_argument("--parts", default="crash,pg,latency")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    rng = random.Random(20261123)
    pdfs = scans(args.cache, args.count, seed=4242, dpi=args.dpi)
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="signreg-soak-") as tmp:
        work = Path(tmp)
        if "crash" in parts:
            report["crash_soak_sqlite"] = crash_soak(
                work / "crash",
                pdfs,
                kills=args.kills,
                real=args.real,
                workers=args.workers,
                rng=rng,
            )
        if "pg" in parts:
            report["two_watchers_postgres"] = two_watchers(work / "pg", pdfs[: args.pg_count])
        if "latency" in parts:
            report["latency_real_ocr"] = latency(
                work / "latency", one_page(pdfs)[: args.latency_count], stable_seconds=0.5
            )
        if os.environ.get("SOAK_KEEP"):
            shutil.copytree(work, os.environ["SOAK_KEEP"], dirs_exist_ok=True)
    print(json.dumps(report, indent=1))
    sys.exit(0 if invariants_hold(report) else 1)


def invariants_hold(report: dict[str, object]) -> bool:
    ok = True
    crash = report.get("crash_soak_sqlite")
    if isinstance(crash, dict):
        ok &= crash["lost"] == 0 and crash["doubled_submissions"] == 0
        ok &= crash["doubled_proposals"] == 0
        ok &= crash["fake_reads_with_more_than_one_proposal"] == 0
        ok &= crash["archive+quarantine+duplicates"] == crash["files_dropped"]
        ok &= crash["arrivals_recorded"] == crash["files_dropped"]
        ok &= crash["fake_read_not_proposed"] == 0 and crash["unfinished"] == 0
        ok &= crash["files_left_in_inbox"] == 0
    pg = report.get("two_watchers_postgres")
    if isinstance(pg, dict):
        ok &= pg["scans_read_twice_or_more"] == 0 and pg["proposed"] == pg["files_dropped"]
    return bool(ok)


if __name__ == "__main__":
    main()
