"""The ingest service: the inbox watcher and intake in this process, OCR workers beside it.

``run_watch`` migrates the database, starts ``workers`` OCR worker processes (spawned,
each with its own database engine), then runs the watch loop in the calling thread
until ``stop`` is set (the CLI sets it on SIGTERM/SIGINT). Shutting down, workers finish
the file in hand and exit; one that does not within ``grace_seconds`` is terminated,
and its lease lets another worker take the file later.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Protocol

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ingest import holders
from ingest.archive import Archive
from ingest.intake import Intake, failure_reason, transient
from ingest.logs import configure_logging
from ingest.quarantine import Quarantine
from ingest.watcher import InboxWatcher, TryLater
from ingest.worker import Worker, WorkerConfig
from registry.bootstrap import open_registry
from registry.db import make_engine, make_sessionmaker

log = structlog.get_logger("ingest.service")

_TEMP_MAX_AGE = 3600.0  # a staging temp file older than this is a crash's leftover


class StopFlag(Protocol):
    def is_set(self) -> bool: ...
    def set(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """Everything the ingest service needs, as plain values read once by the CLI."""

    database_url: str
    data_dir: Path
    inbox: Path
    workers: int = 1
    engine: str = "auto"
    page_workers: int = 1
    stable_seconds: float = 0.5
    poll_seconds: float = 1.0
    incomplete_grace_seconds: float = 60.0
    lease_seconds: float = 30.0
    heartbeat_seconds: float = 10.0
    max_attempts: int = 3
    orphan_seconds: float = 30.0
    idle_seconds: float = 0.2
    grace_seconds: float = 30.0
    use_events: bool = True
    supersede_window_seconds: float = 900.0
    code_key: bytes | None = None  # checks join-online forms' codes (registry.applications)
    # the OCR worker processes' niceness: reading is batch work, so a web request or the
    # watcher that shares the machine gets the CPU first; an idle machine reads as fast
    nice: int = 10
    second_read: bool = True  # hand-filled digits read again (ocr.handread.SecondRead)

    @property
    def worker_config(self) -> WorkerConfig:
        return WorkerConfig(
            database_url=self.database_url,
            archive_dir=self.data_dir / "archive",
            quarantine_dir=self.data_dir / "quarantine",
            engine=self.engine,
            page_workers=self.page_workers,
            lease_seconds=self.lease_seconds,
            heartbeat_seconds=self.heartbeat_seconds,
            max_attempts=self.max_attempts,
            idle_seconds=self.idle_seconds,
            supersede_window_seconds=self.supersede_window_seconds,
            code_key=self.code_key,
            second_read=self.second_read,
        )


def worker_id() -> str:
    """This process's lease owner id, ``HOST:PID:NS.START`` (:mod:`ingest.holders`)."""
    return holders.owner_id()


def migrate(database_url: str) -> None:
    """Apply the registry's migrations and sync declarations (idempotent)."""
    open_registry(database_url).close()


def build_intake(config: IngestConfig, sessions: sessionmaker[Session]) -> Intake:
    """The intake on an opened (migrated) registry; stale staging files removed."""
    archive = Archive(config.data_dir / "archive")
    quarantine = Quarantine(config.data_dir / "quarantine")
    now = time.time()
    archive.clean_temps(older_than=_TEMP_MAX_AGE, now=now)
    quarantine.clean_temps(older_than=_TEMP_MAX_AGE, now=now)
    return Intake(
        inbox=config.inbox,
        archive=archive,
        quarantine=quarantine,
        session_factory=sessions,
        orphan_seconds=config.orphan_seconds,
        supersede_window_seconds=config.supersede_window_seconds,
    )


def worker_process_main(config: WorkerConfig, stop: StopFlag, nice: int = 0) -> None:
    """Entry point of one spawned worker process."""
    if nice:
        os.nice(nice)
    # one thread per worker for Tesseract (the CLI fallback) and OpenCV: the worker
    # processes are the parallelism
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    import cv2

    cv2.setNumThreads(1)
    configure_logging()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    threading.Thread(target=_stop_when_orphaned, args=(stop,), daemon=True).start()
    engine = make_engine(config.database_url)
    try:
        Worker(config, make_sessionmaker(engine), worker_id()).run(stop)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def _stop_when_orphaned(stop: StopFlag) -> None:
    """A parent killed with -9 cannot tell its workers: they notice and stop themselves
    after the file in hand (a file they were reading is taken again after its lease)."""
    parent = os.getppid()
    while not stop.wait(1.0):
        if os.getppid() != parent:
            log.warning("worker.orphaned", parent=parent)
            stop.set()


def start_workers(config: IngestConfig, stop: StopFlag) -> list[BaseProcess]:
    ctx = mp.get_context("spawn")
    processes: list[BaseProcess] = []
    for n in range(config.workers):
        p = ctx.Process(
            target=worker_process_main,
            args=(config.worker_config, stop, config.nice),
            name=f"signreg-worker-{n}",
        )
        p.start()
        processes.append(p)
    log.info("workers.started", count=len(processes), pids=[p.pid for p in processes])
    return processes


def stop_workers(processes: list[BaseProcess], stop: StopFlag, grace_seconds: float) -> None:
    stop.set()
    deadline = time.monotonic() + grace_seconds
    for p in processes:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            log.warning("worker.terminated", pid=p.pid)
            p.terminate()  # its handler only sets the flag: give it a moment, then kill
            p.join(5)
        if p.is_alive():
            log.warning("worker.killed", pid=p.pid)
            p.kill()
            p.join()


def inbox_name(inbox: Path, path: Path) -> str:
    """The name a file is recorded under: its path in the inbox (``batch/scan.pdf``)."""
    try:
        return path.relative_to(inbox).as_posix()
    except ValueError:
        return path.name


def take_logged(intake: Intake) -> Callable[[Path], object]:
    """The watcher's ``on_stable``: intake a file under its path in the inbox. A failure
    is logged by the intake, with the file's sha256, and the file is never dropped: for
    a passing reason (disk full, database away) it is back in the inbox and the watcher
    is told to back off (:class:`~ingest.watcher.TryLater`); for any other it stays
    claimed, to be recovered as an orphan later."""

    def take(path: Path) -> object:
        try:
            return intake.take(path, inbox_name(intake.inbox, path))
        except (OSError, SQLAlchemyError) as e:
            if transient(e):
                raise TryLater(failure_reason(e)) from e
            return None

    return take


def recover_logged(intake: Intake) -> Callable[[], object]:
    """The watcher's ``on_rescan``: recover orphaned claims; a passing failure backs off
    (each file's failure is logged by the intake), any other is logged here."""

    def recover() -> object:
        try:
            return intake.recover_orphans()
        except (OSError, SQLAlchemyError) as e:
            if transient(e):
                raise TryLater(failure_reason(e)) from e
            log.exception("intake.recovery_failed")
            return None

    return recover


def run_watch(config: IngestConfig, stop: threading.Event) -> None:
    """Watcher + intake here, ``config.workers`` OCR processes beside, until ``stop``."""
    registry = open_registry(config.database_url)  # migrations applied at start-up
    intake = build_intake(config, registry.sessions)
    worker_stop = mp.get_context("spawn").Event()
    processes = start_workers(config, worker_stop) if config.workers > 0 else []
    watcher = InboxWatcher(
        config.inbox,
        stable_seconds=config.stable_seconds,
        poll_seconds=config.poll_seconds,
        on_stable=take_logged(intake),
        on_rescan=recover_logged(intake),
        use_events=config.use_events,
        incomplete_grace_seconds=config.incomplete_grace_seconds,
    )
    try:
        watcher.run(stop)
    finally:
        stop_workers(processes, worker_stop, config.grace_seconds)
        registry.close()


def stop_on_signals(stop: threading.Event) -> None:
    """Set ``stop`` on SIGTERM and SIGINT (call from the main thread)."""

    def handler(signum: int, frame: object) -> None:
        log.info("service.stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
