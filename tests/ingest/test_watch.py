"""The watched inbox end to end: half-written files, kill -9 and restart, two watchers.

The subprocess tests run the real ``signreg watch`` (with the fake OCR engine: they are
about queueing and crashes, not reading) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import collections
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from ingest.intake import Intake
from ingest.watcher import InboxWatcher
from registry.db import make_engine, make_sessionmaker
from registry.models import Submission, SubmissionArrival
from tests.ingest.conftest import FAKE_ENGINE, files_in, submissions
from tests.ingest.files import bad_files, scan_pdf

REPO = Path(__file__).resolve().parents[2]
SIGNREG = Path(sys.executable).parent / "signreg"


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


def _env(db_url: str, data: Path, inbox: Path, journal: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SIGNREG_DATABASE_URL": db_url,
        "SIGNREG_DATA_DIR": str(data),
        "SIGNREG_INBOX": str(inbox),
        "SIGNREG_OCR_ENGINE": FAKE_ENGINE,
        "SIGNREG_STABLE_SECONDS": "0.2",
        "SIGNREG_POLL_SECONDS": "0.2",
        "SIGNREG_LEASE_SECONDS": "2",
        "SIGNREG_ORPHAN_SECONDS": "1",
        "FAKE_OCR_DELAY": "0.15",
        "FAKE_OCR_JOURNAL": str(journal),
    }


def _watch(env: dict[str, str], log: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    with log.open("ab") as err:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [str(SIGNREG), "watch", "--workers", str(workers)],
            env=env,
            cwd=log.parent,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # its own process group: kill -9 takes the workers too
        )


def _kill9(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            _kill9(proc)


def _drop(inbox: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        temp = inbox / f".{name}.part"
        temp.write_bytes(data)
        temp.rename(inbox / name)


def _wait_until_settled(url: str, expected_arrivals: int, timeout: float = 180) -> None:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with factory() as session:
                    arrived = len(session.scalars(select(SubmissionArrival.id)).all())
                    busy = session.scalars(
                        select(Submission.id).where(
                            Submission.status.in_(["received", "processing"])
                        )
                    ).all()
                if arrived >= expected_arrivals and not busy:
                    return
            except (OperationalError, ProgrammingError):  # not migrated yet
                pass
            time.sleep(0.3)
        raise AssertionError(f"not settled after {timeout} s")
    finally:
        engine.dispose()


def _wait_for_log(logs: list[Path], event: str, *, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = sum(p.read_text().count(event) for p in logs if p.exists())
        if seen >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{event} not seen {count} times in {timeout} s")


def _unique_scans(start: int, count: int) -> dict[str, bytes]:
    return {f"scan-{n:04d}.pdf": scan_pdf(n) for n in range(start, start + count)}


def _journal_counts(journal: Path) -> collections.Counter[str]:
    lines = journal.read_text().split("\n") if journal.exists() else []
    return collections.Counter(line.split()[1] for line in lines if line)


def test_watch_killed_9_mid_run_and_restarted_takes_every_file_exactly_once(
    db_url: str, tmp_path: Path
):
    inbox, data, journal = tmp_path / "inbox", tmp_path / "data", tmp_path / "journal"
    inbox.mkdir()
    env = _env(db_url, data, inbox, journal)
    log = tmp_path / "watch.log"
    first = _unique_scans(0, 12)
    dups = {"kopia-0001.pdf": first["scan-0001.pdf"], "kopia-0002.pdf": first["scan-0002.pdf"]}
    bad = {name: content for name, (content, _) in bad_files(5).items()}
    second = _unique_scans(100, 6)

    proc = _watch(env, log)
    try:
        _drop(inbox, first)
        deadline = time.monotonic() + 120  # wait until reading is under way, then crash
        while len(_journal_counts(journal)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        _drop(inbox, dups | bad)
        time.sleep(0.25)
    finally:
        _kill9(proc)
    _drop(inbox, second)  # while it is down
    proc = _watch(env, log)
    try:
        _wait_until_settled(db_url, len(first) + len(dups) + len(bad) + len(second))
    finally:
        _stop(proc)

    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    try:
        subs = submissions(factory)
        with factory() as session:
            arrivals = session.execute(
                select(SubmissionArrival.file_name, SubmissionArrival.duplicate)
            ).all()
    finally:
        engine.dispose()
    good = first | second
    by_sha = {s.sha256: s for s in subs}
    assert {hashlib.sha256(d).hexdigest() for d in good.values()} <= set(by_sha)
    assert len(subs) == len(good) + len(bad)  # one per content: 0 lost, 0 doubled
    assert collections.Counter(s.status for s in subs) == {
        "proposed": len(good),
        "quarantined": len(bad),
    }
    assert sorted(name for name, dup in arrivals if dup) == sorted(dups)
    assert len(arrivals) == len(good) + len(dups) + len(bad)
    assert files_in(inbox) == []  # the claimed-files folder too
    assert len(list((data / "archive").glob("??/*.pdf"))) == len(good)
    assert len([p for p in files_in(data / "quarantine") if p.suffix == ".pdf"]) == len(bad)


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
    env = _env(pg_database, data, inbox, journal) | {"FAKE_OCR_DELAY": "0.1"}
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    a = _watch(env, logs[0])
    b = _watch(env, logs[1])
    scans = _unique_scans(200, 30)
    try:
        _wait_for_log(logs, "worker.started", count=2)
        _drop(inbox, scans)
        _wait_until_settled(pg_database, len(scans))
    finally:
        _stop(a)
        _stop(b)
    reads = _journal_counts(journal)
    assert sorted(reads) == sorted(hashlib.sha256(d).hexdigest() for d in scans.values())
    assert set(reads.values()) == {1}  # every scan read once, by one worker
    readers = {line.split()[0] for line in journal.read_text().splitlines()}
    assert len(readers) == 2  # both workers took part
    engine = make_engine(pg_database)
    try:
        subs = submissions(make_sessionmaker(engine))
    finally:
        engine.dispose()
    assert len(subs) == len(scans)
    assert {s.status for s in subs} == {"proposed"}
