"""The watched inbox end to end: half-written files, kill -9 and restart, two watchers.

The subprocess tests run the real ``signreg watch`` (with the fake OCR engine: they are
about queueing and crashes, not reading) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import collections
import hashlib
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ingest.intake import Intake
from ingest.watcher import InboxWatcher
from registry.db import make_engine, make_sessionmaker
from registry.models import Proposal, SubmissionArrival
from tests.ingest.conftest import files_in, submissions
from tests.ingest.files import bad_files, scan_pdf
from tests.ingest.proc import Watch, drop_atomic, journal_counts, journal_lines, settle


@pytest.mark.parametrize("use_events", [True, False], ids=["events", "polling"])
def test_a_file_still_being_written_is_never_read_half(intake: Intake, inbox: Path, use_events):
    data = scan_pdf(21, noise=40)  # about 35 kB: 17 chunks
    taken: list[tuple[int, object]] = []

    def take(path: Path) -> object:
        taken.append((path.stat().st_size, result := intake.take(path)))
        return result

    stop = threading.Event()
    watcher = InboxWatcher(
        inbox, stable_seconds=0.5, poll_seconds=0.1, on_stable=take, use_events=use_events
    )
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    try:
        with (inbox / "slow-copy.pdf").open("wb") as f:  # a slow network copy
            for i in range(0, len(data), 2048):
                f.write(data[i : i + 2048])
                f.flush()
                time.sleep(0.15)
        deadline = time.monotonic() + 10
        while not taken and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join()
    assert [size for size, _ in taken] == [len(data)]
    [sub] = submissions(intake.session_factory)
    assert sub.status == "received"
    assert intake.archive.read(sub.sha256) == data


def _unique_scans(start: int, count: int) -> dict[str, bytes]:
    return {f"scan-{n:04d}.pdf": scan_pdf(n) for n in range(start, start + count)}


def _drop(inbox: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        drop_atomic(inbox / name, data)


def test_watch_killed_9_mid_run_and_restarted_takes_every_file_exactly_once(
    db_url: str, tmp_path: Path
):
    inbox, data, journal = tmp_path / "inbox", tmp_path / "data", tmp_path / "journal"
    inbox.mkdir()
    watch = Watch(db_url, data, inbox, journal, tmp_path / "watch.log", fake_delay=0.4)
    first = _unique_scans(0, 12)
    dups = {"kopia-0001.pdf": first["scan-0001.pdf"], "kopia-0002.pdf": first["scan-0002.pdf"]}
    bad = {name: content for name, (content, _) in bad_files(5).items()}
    second = _unique_scans(100, 6)

    watch.start()
    try:
        _drop(inbox, first)
        deadline = time.monotonic() + 120  # wait until reading is under way, then crash
        while len(journal_counts(journal)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        _drop(inbox, dups | bad)
        started = len(journal_lines(journal))
        while len(journal_lines(journal)) == started and time.monotonic() < deadline:
            time.sleep(0.01)  # a read has just begun (it takes 0.4 s): kill it mid-file
    finally:
        watch.kill9()
    [(_, killed_mid_read)] = journal_lines(journal)[-1:]
    _drop(inbox, second)  # while it is down
    watch.start()
    try:
        settle(db_url, len(first) + len(dups) + len(bad) + len(second))
    finally:
        watch.stop()

    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    try:
        subs = submissions(factory)
        with factory() as session:
            arrivals = session.execute(
                select(SubmissionArrival.file_name, SubmissionArrival.duplicate)
            ).all()
            per_submission = session.execute(
                select(Proposal.submission_id, func.count()).group_by(Proposal.submission_id)
            ).all()
    finally:
        engine.dispose()
    good = first | second
    by_sha = {s.sha256: s for s in subs}
    assert {hashlib.sha256(d).hexdigest() for d in good.values()} <= set(by_sha)
    assert len(subs) == len(good) + len(bad)  # one per content: 0 lost, 0 doubled
    assert journal_counts(journal)[killed_mid_read] == 2  # read again after its lease ran out
    assert by_sha[killed_mid_read].attempts == 2
    assert sorted(n for _, n in per_submission) == [1] * len(good)  # never proposed twice
    assert collections.Counter(s.status for s in subs) == {
        "proposed": len(good),
        "quarantined": len(bad),
    }
    assert sorted(name for name, dup in arrivals if dup) == sorted(dups)
    assert len(arrivals) == len(good) + len(dups) + len(bad)
    assert files_in(inbox) == []  # the claimed-files folder too
    assert len(list((data / "archive").glob("??/*.pdf"))) == len(good)
    assert len([p for p in files_in(data / "quarantine") if p.suffix == ".pdf"]) == len(bad)


def test_after_kill_9_a_restarted_watch_reads_its_dead_workers_file_within_30_s(
    db_url: str, tmp_path: Path
):
    """Not when the lease runs out: with a 60 s lease, the restarted workers see that the
    holder on this host is dead and take the file at once."""
    inbox, data, journal = tmp_path / "inbox", tmp_path / "data", tmp_path / "journal"
    inbox.mkdir()
    watch = Watch(
        db_url,
        data,
        inbox,
        journal,
        tmp_path / "watch.log",
        fake_delay=4.0,
        lease_seconds=60.0,
        heartbeat_seconds=10.0,
    )
    scan = scan_pdf(90)
    watch.start()
    try:
        watch.wait_started()
        drop_atomic(inbox / "scan.pdf", scan)
        deadline = time.monotonic() + 60
        while not journal_lines(journal):  # the read has begun (it takes 4 s)
            assert time.monotonic() < deadline, "never read"
            time.sleep(0.02)
        time.sleep(1.0)
    finally:
        watch.kill9()
    restarted = time.monotonic()
    watch.start()
    try:
        while len(journal_lines(journal)) < 2 and time.monotonic() < restarted + 90:
            time.sleep(0.02)
        reread = time.monotonic() - restarted
        settle(db_url, 1, timeout=90)
        recovered = time.monotonic() - restarted
    finally:
        watch.stop()
    print(f"read again {reread:.1f} s and proposed {recovered:.1f} s after the restart")
    assert recovered < 30
    sha = hashlib.sha256(scan).hexdigest()
    assert journal_counts(journal) == {sha: 2}  # read again once, by the restarted worker
    engine = make_engine(db_url)
    try:
        [sub] = submissions(make_sessionmaker(engine))
        with make_sessionmaker(engine)() as session:
            proposals = session.scalar(select(func.count()).select_from(Proposal))
    finally:
        engine.dispose()
    assert (sub.status, sub.attempts, proposals) == ("proposed", 2, 1)
    assert "worker.released_dead_holders" in (tmp_path / "watch.log").read_text()


@pytest.mark.postgres
def test_two_watchers_on_postgres_never_read_the_same_submission_twice(
    pg_database: str, tmp_path: Path
):
    import psycopg

    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    inbox, data, journal = tmp_path / "inbox", tmp_path / "data", tmp_path / "journal"
    inbox.mkdir()
    a = Watch(pg_database, data, inbox, journal, tmp_path / "a.log", fake_delay=0.1)
    b = Watch(pg_database, data, inbox, journal, tmp_path / "b.log", fake_delay=0.1)
    scans = _unique_scans(200, 30)
    try:
        a.start()
        b.start()
        a.wait_started()
        b.wait_started()
        _drop(inbox, scans)
        settle(pg_database, len(scans))
    finally:
        a.stop()
        b.stop()
    reads = journal_counts(journal)
    assert sorted(reads) == sorted(hashlib.sha256(d).hexdigest() for d in scans.values())
    assert set(reads.values()) == {1}  # every scan read once, by one worker
    readers = {pid for pid, _ in journal_lines(journal)}
    assert len(readers) == 2  # both workers took part
    engine = make_engine(pg_database)
    try:
        subs = submissions(make_sessionmaker(engine))
    finally:
        engine.dispose()
    assert len(subs) == len(scans)
    assert {s.status for s in subs} == {"proposed"}
