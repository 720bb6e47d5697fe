"""PostgreSQL stopped for 30 s under a running service, files still arriving, then started.

The test runs its own PostgreSQL cluster (``initdb`` and ``pg_ctl`` as the ``postgres``
user, on a free port), never the shared server at 5432 that other tests use, and on it
the real ``signreg watch`` (watcher, intake and two OCR worker processes; the fake OCR
engine keeps reading fast) and the real ``signreg serve``. While the server is down:

- every web answer that needs the database is 503 with ``Retry-After``: ``/healthz``
  and the public API as JSON, pages (the public embed, a reviewer page) as a page with
  the message in Swedish (``?lang=en``: English), never a 500 and its trace. The public
  API does not serve its cache meanwhile: it cannot tell whether the list changed;
- the watcher and the workers stay up (the same processes before and after), wait and
  back off, and say so in their logs;
- files dropped meanwhile stay in the inbox, none lost.

Once it is back, without restarting anything: every file dropped has exactly one
submission (duplicates as arrivals of it), each read and proposed once, nothing left
in the inbox, and the web answers 200. How long after the database is back the first
outage file is recorded and proposed, and the web answers, is printed (``-s``).

Beside it, quick tests of what counts as the database being away and of one worker
waiting for it (a session factory that refuses a few times) and stopping meanwhile.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import hashlib
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ingest.intake import Intake
from ingest.logs import configure_logging
from ingest.worker import Worker, WorkerConfig
from registry.db import database_unavailable, make_engine, make_sessionmaker
from registry.models import Proposal, Submission, SubmissionArrival
from tests.ingest.conftest import arrivals, files_in, submissions, submit
from tests.ingest.files import bad_files, scan_pdf
from tests.ingest.proc import REPO, SIGNREG, Watch, drop_atomic, journal_counts, settle

PG_BIN = Path("/usr/local/bin")
OUTAGE_SECONDS = 30.0


def _free_port(start: int = 55432) -> int:
    for port in range(start, start + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port from 55432 on")


def _as_postgres(*args: str) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, timeout=60
    )


@dataclass
class OwnPostgres:
    """A throw-away PostgreSQL 15 cluster of this test's own."""

    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Start the server; returns once it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "server.log")
        pg_ctl = str(PG_BIN / "pg_ctl")
        _as_postgres(pg_ctl, "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "stop", "-m", mode, "-w")


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
        pytest.fail("this test needs /usr/local/bin/initdb and pg_ctl and runuser (root)")
    root = Path(tempfile.mkdtemp(prefix="signreg-outage-pg-"))  # not under pytest's 0700 tmp
    shutil.chown(root, "postgres")
    pg = OwnPostgres(root=root, port=_free_port())
    _as_postgres(
        str(PG_BIN / "initdb"), "-D", str(pg.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
        "--no-sync",
    )  # fmt: skip
    pg.start()
    try:
        yield pg
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            pg.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Web:
    """``signreg serve`` on a free port."""

    def __init__(self, env: dict[str, str], root: Path) -> None:
        self.port = _free_port(18000)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "serve.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(SIGNREG), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                cwd=root,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(self.url + path, timeout=5, **kwargs)  # type: ignore[arg-type]

    def wait_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text(errors="replace")[-3000:]
            try:
                if self.get("/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("signreg serve did not answer /healthz")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _scans(start: int, count: int) -> dict[str, bytes]:
    return {f"scan-{n:04d}.pdf": scan_pdf(n) for n in range(start, start + count)}


def _check_unavailable(web: Web) -> None:
    """What every kind of answer is while the database is away."""
    health = web.get("/healthz")
    assert health.status_code == 503, health.text
    assert health.json()["status"] == "unavailable"
    assert health.headers["retry-after"].isdigit()
    api = web.get("/api/v1/signatories")
    assert api.status_code == 503, api.text
    assert "database" in api.json()["detail"] and api.headers["retry-after"]
    for path, cookies in (("/embed/signatories", {}), ("/review", {"signreg_session": "x"})):
        page = web.get(path, cookies=cookies)
        assert page.status_code == 503, (path, page.text[:500])
        assert "text/html" in page.headers["content-type"]
        assert "Registrets databas går inte att nå just nu" in page.text
        assert "Traceback" not in page.text and "psycopg" not in page.text
    english = web.get("/embed/signatories?lang=en")
    assert english.status_code == 503
    assert "database cannot be reached just now" in english.text


def _log_events(log: Path) -> list[dict[str, object]]:
    events = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events


def test_postgres_stopped_30_s_mid_run_loses_nothing_and_everything_recovers(
    own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    pg = own_postgres
    inbox, data, journal = tmp_path / "inbox", tmp_path / "data", tmp_path / "journal"
    inbox.mkdir()
    watch = Watch(pg.url, data, inbox, journal, tmp_path / "watch.log", workers=2, fake_delay=0.1)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SIGNREG_DATABASE_URL": pg.url,
        "SIGNREG_DATA_DIR": str(data),
        "SIGNREG_INBOX": str(inbox),
    }
    before = _scans(0, 6)
    bad = {n: c for n, (c, _) in bad_files(3).items() if n.startswith(("letter", "truncated"))}
    during = _scans(100, 8)
    during_dups = {
        "kopia-0100.pdf": during["scan-0100.pdf"],
        "kopia-0001.pdf": before["scan-0001.pdf"],
    }
    during_bad = {n: c for n, (c, _) in bad_files(11).items() if n.startswith(("letter", "locked"))}
    dropped = before | bad | during | during_dups | during_bad

    watch.start()
    web = Web(env, tmp_path)
    try:
        watch.wait_started()
        web.wait_up()
        for name, content in (before | bad).items():
            drop_atomic(inbox / name, content)
        settle(pg.url, len(before) + len(bad), timeout=60)
        assert watch.proc is not None
        workers = _children(watch.proc.pid)
        assert len(workers) >= 2, workers  # two workers (and maybe multiprocessing's tracker)
        assert web.get("/api/v1/signatories").status_code == 200

        pg.stop("fast")
        down = time.monotonic()
        outage_files = list((during | during_dups | during_bad).items())
        spacing = OUTAGE_SECONDS * 0.8 / len(outage_files)  # arriving all through it
        checked = 0
        while (elapsed := time.monotonic() - down) < OUTAGE_SECONDS:
            if outage_files and elapsed >= 1 + spacing * (len(dropped) - len(outage_files)
                                                          - len(before | bad)):  # fmt: skip
                name, content = outage_files.pop(0)
                drop_atomic(inbox / name, content)
            if elapsed > 2 + checked * 9:  # three looks at the web: early, middle, late
                _check_unavailable(web)
                checked += 1
            time.sleep(0.1)
        for name, content in outage_files:  # any left (none, normally)
            drop_atomic(inbox / name, content)
        assert checked >= 3
        assert watch.proc.poll() is None, "signreg watch exited during the outage"
        assert all(_alive(pid) for pid in workers), "a worker died during the outage"
        waiting = {p.name for p in inbox.iterdir() if p.is_file()}
        assert waiting, "no file waited in the inbox during the outage"
        assert waiting <= set(dropped)

        pg.start()
        back = time.monotonic()
        firsts = _wait_recovery(pg.url, web, set(during) | set(during_bad), back)
        settle(pg.url, len(dropped), timeout=60)
        settled = time.monotonic() - back
        assert web.get("/api/v1/signatories").status_code == 200
        assert web.get("/embed/signatories").status_code == 200
        assert _children(watch.proc.pid) >= workers  # the same workers, never restarted
    finally:
        web.stop()
        watch.stop()
    print(
        f"\nafter PostgreSQL was back: first outage file recorded {firsts['recorded']:.2f} s, "
        f"first proposed {firsts['proposed']:.2f} s, web /healthz 200 {firsts['web']:.2f} s, "
        f"all {len(dropped)} files settled {settled:.2f} s"
    )

    engine = make_engine(pg.url)
    factory = make_sessionmaker(engine)
    try:
        with factory() as session:
            subs = list(session.scalars(select(Submission)))
            arrivals = session.execute(
                select(SubmissionArrival.file_name, SubmissionArrival.duplicate)
            ).all()
            proposals = session.execute(
                select(Proposal.submission_id, func.count()).group_by(Proposal.submission_id)
            ).all()
    finally:
        engine.dispose()
    contents = {hashlib.sha256(d).hexdigest() for d in dropped.values()}
    assert sorted(s.sha256 for s in subs) == sorted(contents)  # one each: none lost, none doubled
    good = {hashlib.sha256(d).hexdigest() for d in (before | during).values()}
    by_sha = {s.sha256: s for s in subs}
    assert {sha: by_sha[sha].status for sha in good} == dict.fromkeys(good, "proposed")
    assert {by_sha[sha].status for sha in contents - good} == {"quarantined"}
    assert sorted(n for _, n in proposals) == [1] * len(good)  # proposed once each
    assert sorted(name for name, _ in arrivals) == sorted(dropped)  # every file, once
    assert sorted(name for name, dup in arrivals if dup) == sorted(during_dups)
    assert files_in(inbox) == []  # nothing left in the inbox, nor in its claim folder
    assert set(journal_counts(journal)) == good  # every good scan read (twice at most)

    events = collections.Counter(str(e.get("event")) for e in _log_events(watch.log))
    for expected in (
        "worker.database_unavailable",
        "worker.database_back",
        "intake.database_unavailable",
        "watcher.backing_off",
        "watcher.resumed",
    ):
        assert events[expected], (expected, events)
    assert not [e for e in _log_events(watch.log) if "exception" in e]  # no trace logged
    named = [e for e in _log_events(watch.log) if "file" in e]  # each with its sha256
    assert named and all(e.get("sha256") or e.get("sha256_missing") for e in named)
    assert "web.database_unavailable" in web.log.read_text(errors="replace")


def _wait_recovery(url: str, web: Web, outage_names: set[str], back: float) -> dict[str, float]:
    """Seconds after ``back`` until the first outage file is recorded, the first is
    proposed, and /healthz answers 200."""
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    firsts: dict[str, float] = {}
    try:
        while len(firsts) < 3:
            now = time.monotonic() - back
            assert now < 60, f"not recovered 60 s after the database came back: {firsts}"
            if "web" not in firsts:
                try:
                    if web.get("/healthz").status_code == 200:
                        firsts["web"] = now
                except httpx.HTTPError:
                    pass
            try:
                with factory() as session:
                    statuses = session.scalars(
                        select(Submission.status).where(Submission.file_name.in_(outage_names))
                    ).all()
            except Exception:  # noqa: BLE001 - the server is still starting up
                statuses = []
            if statuses and "recorded" not in firsts:
                firsts["recorded"] = now
            if "proposed" in statuses and "proposed" not in firsts:
                firsts["proposed"] = now
            time.sleep(0.05)
    finally:
        engine.dispose()
    return firsts


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (psycopg.OperationalError("connection refused"), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("no such table: submission"), False),
        (psycopg.errors.UndefinedTable("relation does not exist"), False),
        (psycopg.errors.UniqueViolation("duplicate key"), False),
        (ValueError("not a database error"), False),
    ],
)
def test_what_counts_as_the_database_being_away(error: Exception, expected: bool) -> None:
    assert database_unavailable(error) is expected  # the driver's own, from a raw connection
    for driver in (psycopg.Error, sqlite3.Error):
        if isinstance(error, driver):
            wrapped = DBAPIError.instance("SELECT 1", {}, error, driver)
            assert database_unavailable(wrapped) is expected  # as SQLAlchemy raises it


class _Flaky:
    """A session factory that raises the driver's "connection refused" ``failures``
    times (the database away), then gives real sessions."""

    def __init__(self, factory: sessionmaker[Session], failures: int) -> None:
        self.factory, self.failures = factory, failures

    def __call__(self) -> Session:
        if self.failures:
            self.failures -= 1
            raise OperationalError("connect", {}, psycopg.OperationalError("refused"))
        return self.factory()


def test_a_worker_waits_for_the_database_and_then_reads_the_file(
    config: WorkerConfig, intake: Intake, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission_id = submit(intake, inbox, 7)
    stream = io.StringIO()
    configure_logging(json=True, stream=stream)
    try:
        worker = Worker(config, _Flaky(intake.session_factory, 3), "w1")  # type: ignore[arg-type]
        monkeypatch.setattr("ingest.worker.FIRST_BACKOFF_SECONDS", 0.01)
        assert worker.run(threading.Event(), until_idle=True) == 1
    finally:
        structlog.reset_defaults()
    [sub] = submissions(intake.session_factory)
    assert (sub.id, sub.status, sub.attempts) == (submission_id, "proposed", 1)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    waits = [line for line in lines if line["event"] == "worker.database_unavailable"]
    assert [w["failures"] for w in waits] == [1, 2, 3]
    assert [w["retry_in_seconds"] for w in waits] == [0.01, 0.02, 0.04]  # backing off
    assert waits[0]["error"] == "refused" and waits[0]["step"] == "claim"
    [back] = [line for line in lines if line["event"] == "worker.database_back"]
    assert back["failures"] == 3


def test_a_worker_told_to_stop_while_the_database_is_away_stops(
    config: WorkerConfig, intake: Intake
) -> None:
    stop = threading.Event()
    worker = Worker(config, _Flaky(intake.session_factory, 10**6), "w1")  # type: ignore[arg-type]
    runner = threading.Thread(target=worker.run, args=(stop,))
    runner.start()
    time.sleep(0.3)
    assert runner.is_alive()  # waiting, not crashed
    stop.set()
    runner.join(timeout=10)
    assert not runner.is_alive()


class _AnswerLost(Session):
    """A session whose commit goes through but whose answer never comes back (the
    server stopped just after committing)."""

    def commit(self) -> None:
        super().commit()
        lost = psycopg.OperationalError("server closed the connection unexpectedly")
        raise OperationalError("COMMIT", {}, lost)


def test_a_record_whose_commit_answer_was_lost_is_recovered_never_doubled(
    intake: Intake, inbox: Path
) -> None:
    """Put back in the inbox, the file would be taken again as new and recorded as a
    duplicate of itself; it stays claimed and is recovered as already recorded."""
    real = intake.session_factory
    lost = sessionmaker(bind=real.kw["bind"], class_=_AnswerLost, expire_on_commit=False)
    scan = scan_pdf(41)
    (inbox / "skanning.pdf").write_bytes(scan)
    with pytest.raises(OperationalError) as raised:
        dataclasses.replace(intake, session_factory=lost).take(inbox / "skanning.pdf")
    assert database_unavailable(raised.value)  # the watcher backs off, the web says 503
    assert not (inbox / "skanning.pdf").exists()  # not put back: it may be recorded
    assert len(files_in(intake.taking_dir)) == 1
    [result] = intake.recover_orphans()  # the database back
    assert result.outcome == "already_recorded"
    assert files_in(inbox) == []
    [sub] = submissions(intake.session_factory)
    assert sub.sha256 == hashlib.sha256(scan).hexdigest()
    assert [a.file_name for a in arrivals(intake.session_factory)] == ["skanning.pdf"]


def test_a_record_refused_before_it_was_committed_is_put_back_in_the_inbox(
    intake: Intake, inbox: Path
) -> None:
    scan = scan_pdf(42)
    (inbox / "skanning.pdf").write_bytes(scan)
    refused = dataclasses.replace(intake, session_factory=_Flaky(intake.session_factory, 1))
    with pytest.raises(OperationalError):
        refused.take(inbox / "skanning.pdf")
    assert (inbox / "skanning.pdf").read_bytes() == scan  # back where it was, whole
    assert files_in(intake.taking_dir) == []
    assert submissions(intake.session_factory) == []
    assert intake.take(inbox / "skanning.pdf").outcome == "submitted"
