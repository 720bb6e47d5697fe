"""An OCR worker: claim a submission, read it, hand the proposals to the registry; repeat.

One worker per core by default, each its own process (see :mod:`ingest.service`). A
claim is a short lease in the database (30 s by default) that a heartbeat thread renews
while the worker reads (every 10 s), and a worker killed mid-file (even ``kill -9``)
simply stops renewing it, so another takes the submission again once the lease has run
out, never lost and, because completing checks the lease (``LeaseLost``), never
recorded twice. Sooner still on the same host: before each claim a worker ends the
leases of holders it can tell are dead (:mod:`ingest.holders`), so a watcher restarted
after ``kill -9`` takes its dead workers' files at once.

A scan that grew after one of its earlier versions was reviewed has its proposals
flagged ``grown_after_review`` as they are recorded (:mod:`registry.supersede`).

Failures, each recorded with its reason, none swallowed:

- :class:`~ocr.errors.ExtractionError`: the registry's ``disposition_for`` decides.
  A bad PDF the quick intake checks let through, a page with no image, …: not
  retryable; the scan is copied to the quarantine with its ``.reason.txt`` and the
  submission becomes ``quarantined`` with the error's reason. OCR failures and
  timeouts: retryable.
- :class:`ExtractionTimeout` and any other exception: retryable; the registry backs
  off and retries until its attempts run out.

The database going away (stopped, restarting, a dropped connection:
:func:`registry.db.database_unavailable`) is none of these: it is waited out. Each
step that needs the database (claiming, the lexicon, recording what was read or why
it failed) is tried again until it gets through, after 0.5 s, then twice as long each
time up to ``max_backoff_seconds`` (5 s), each wait logged as
``worker.database_unavailable`` and the first success after as
``worker.database_back``. A file read while the database was away is recorded once it
is back, if the worker still holds its lease (another may have taken it after the lease
ran out; the first to complete records it, the other is told ``LeaseLost``). Told to
stop meanwhile, a worker gives up the step and exits; its lease lets another take the
file.

The engine is ``ocr.extract``. A test can replace it with ``engine="plugin:MODULE"``,
a module exposing ``extract(data: bytes, *, lexicon: dict[str, str]) -> Extraction``
(as OCRmyPDF's tests inject crashing Tesseract plugins); production never sets it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

import ocr
from ingest import holders
from ingest import metrics as ingest_metrics
from ingest.archive import Archive
from ingest.intake import utcnow
from ingest.memory import trim
from ingest.quarantine import Quarantine
from ocr.errors import ExtractionError
from ocr.model import Extraction
from registry import queue, supersede
from registry.db import database_unavailable
from registry.errors import LeaseLost
from registry.lexicon import verified_lexicon
from registry.models import Submission

log = structlog.get_logger("ingest.worker")

Extractor = Callable[[bytes, dict[str, str]], Extraction]
PLUGIN_PREFIX = "plugin:"
FIRST_BACKOFF_SECONDS = 0.5
T = TypeVar("T")


class ExtractionTimeout(Exception):
    """Reading one submission took longer than the worker allows."""


class _Stopped(BaseException):
    """Told to stop while waiting for the database to come back (a BaseException: no
    ``except Exception`` recording a failure may take it for one)."""


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Plain, picklable settings of one worker process."""

    database_url: str
    archive_dir: Path
    quarantine_dir: Path
    engine: str = "auto"
    page_workers: int = 1
    lease_seconds: float = 30.0
    heartbeat_seconds: float = 10.0  # the lease is renewed this often while reading
    max_attempts: int = 3
    idle_seconds: float = 0.2
    timeout_seconds: float = 240.0
    supersede_window_seconds: float = 900.0
    code_key: bytes | None = None  # checks join-online forms' codes (registry.applications)
    max_backoff_seconds: float = 5.0  # longest wait between tries of an unreachable database
    second_read: bool = True  # hand-filled digits read again (ocr.handread.SecondRead)


@dataclass(frozen=True, slots=True)
class Job:
    submission_id: int
    sha256: str
    file_name: str


def load_extractor(engine: str, page_workers: int, second_read: bool = True) -> Extractor:
    if engine.startswith(PLUGIN_PREFIX):
        module = importlib.import_module(engine.removeprefix(PLUGIN_PREFIX))
        plugin: Callable[..., Extraction] = module.extract
        return lambda data, lexicon: plugin(data, lexicon=lexicon)
    from ocr.handread import SECOND_READ_OFF, SecondRead

    second = SecondRead(enabled=True) if second_read else SECOND_READ_OFF
    return lambda data, lexicon: ocr.extract(
        data, engine=engine, workers=page_workers, lexicon=lexicon, second=second
    )


class Worker:
    """Claims and processes submissions until told to stop (or until idle)."""

    def __init__(
        self, config: WorkerConfig, session_factory: sessionmaker[Session], worker_id: str
    ) -> None:
        self.config = config
        self.session_factory = session_factory
        self.worker_id = worker_id
        self.archive = Archive(config.archive_dir)
        self.quarantine = Quarantine(config.quarantine_dir)
        self.extract = load_extractor(config.engine, config.page_workers, config.second_read)
        self.metrics = ingest_metrics.for_data_dir(config.archive_dir.parent)
        self.log = log.bind(worker_id=worker_id)
        self._stop = threading.Event()

    def run(self, stop: threading.Event, *, until_idle: bool = False) -> int:
        """Process submissions until ``stop`` is set; returns how many were handled."""
        handled = 0
        self._stop = stop
        self.log.info("worker.started", engine=self.config.engine)
        try:
            while not stop.is_set():
                job = self._with_database("claim", self.claim)
                if job is None:
                    if until_idle:
                        break
                    stop.wait(self.config.idle_seconds)
                    continue
                self.process(job)
                trim()  # what the file's reading freed goes back before the next claim
                handled += 1
        except _Stopped:
            self.log.info("worker.stopped_waiting_for_database")
        return handled

    def _with_database(self, step: str, run: Callable[[], T], **about: Any) -> T:
        """``run`` (one transaction), tried again while the database is unavailable,
        backing off; raises :class:`_Stopped` if told to stop meanwhile."""
        failures, since = 0, time.monotonic()
        while True:
            try:
                result = run()
            except SQLAlchemyError as e:
                if not database_unavailable(e):
                    raise
                failures += 1
                wait = min(
                    FIRST_BACKOFF_SECONDS * 2 ** (failures - 1), self.config.max_backoff_seconds
                )
                self.log.warning(
                    "worker.database_unavailable",
                    step=step,
                    failures=failures,
                    retry_in_seconds=wait,
                    error=_first_line(e),
                    **about,
                )
                if self._stop.wait(wait):
                    raise _Stopped() from e
                continue
            if failures:
                self.log.info(
                    "worker.database_back",
                    step=step,
                    failures=failures,
                    after_seconds=round(time.monotonic() - since, 2),
                    **about,
                )
            return result

    def _lexicon(self) -> dict[str, str]:
        with self.session_factory() as session, session.begin():
            return verified_lexicon(session=session)

    def claim(self) -> Job | None:
        with self.session_factory() as session, session.begin():
            now = utcnow()
            released = queue.release_dead_leases(session=session, dead=holders.dead, now=now)
            if released:
                self.log.warning("worker.released_dead_holders", submission_ids=released)
            sub = queue.claim_next(
                session=session,
                worker_id=self.worker_id,
                lease_seconds=self.config.lease_seconds,
                max_attempts=self.config.max_attempts,
                now=now,
            )
            if sub is None:
                return None
            return Job(submission_id=sub.id, sha256=sub.sha256, file_name=sub.file_name)

    def process(self, job: Job) -> None:
        jlog = self.log.bind(submission_id=job.submission_id, sha256=job.sha256)
        jlog.info("worker.claimed", file=job.file_name)
        about = {"submission_id": job.submission_id, "sha256": job.sha256}
        try:
            lexicon = self._with_database("lexicon", self._lexicon, **about)
            data = self.archive.read(job.sha256)
            started = time.monotonic()
            with self._lease_kept(job), _time_limit(self.config.timeout_seconds):
                extraction = self.extract(data, lexicon)
            self.metrics.pages_read(extraction.pages, time.monotonic() - started)
        except ExtractionError as e:
            how = queue.disposition_for(e)
            jlog.warning("worker.extraction_error", reason=how.reason, error=e.message)
            if how.quarantine:
                self.quarantine.put_bytes(
                    data,
                    sha256=job.sha256,
                    file_name=job.file_name,
                    reason=how.reason,
                    message=e.message,
                    now=utcnow(),
                )
            self._fail(
                job,
                reason=how.reason,
                error=e.message,
                retryable=how.retryable,
                quarantine=how.quarantine,
            )
            return
        except Exception as e:  # recorded as retryable with its type, never swallowed
            jlog.exception("worker.error")
            reason = "timeout" if isinstance(e, ExtractionTimeout) else "internal_error"
            self._fail(job, reason=reason, error=f"{type(e).__name__}: {e}", retryable=True)
            return
        self._complete(job, extraction, jlog)

    def _complete(self, job: Job, extraction: Extraction, jlog: structlog.BoundLogger) -> None:
        def record() -> tuple[list[int], object]:
            with self.session_factory() as session, session.begin():
                proposals = queue.complete_submission(
                    session=session,
                    submission_id=job.submission_id,
                    worker_id=self.worker_id,
                    extraction=extraction,
                    now=utcnow(),
                    code_key=self.config.code_key,
                )
                grown = supersede.flag_grown(
                    session=session,
                    submission=session.get_one(Submission, job.submission_id),
                    proposals=proposals,
                    window=dt.timedelta(seconds=self.config.supersede_window_seconds),
                )
                return [p.id for p in proposals], grown

        about = {"submission_id": job.submission_id, "sha256": job.sha256}
        try:
            ids, grown = self._with_database("complete", record, **about)
        except LeaseLost:
            jlog.warning("worker.lease_lost")
            return
        jlog.info("worker.proposed", proposals=ids, pages=extraction.pages, grown=grown)

    def _fail(
        self, job: Job, *, reason: str, error: str, retryable: bool, quarantine: bool = False
    ) -> None:
        self.metrics.read_failed(reason)

        def record() -> None:
            with self.session_factory() as session, session.begin():
                queue.fail_submission(
                    session=session,
                    submission_id=job.submission_id,
                    worker_id=self.worker_id,
                    error=error,
                    reason=reason,
                    retryable=retryable,
                    quarantine=quarantine,
                    max_attempts=self.config.max_attempts,
                    now=utcnow(),
                )

        about = {"submission_id": job.submission_id, "sha256": job.sha256}
        try:
            self._with_database("fail", record, **about)
        except LeaseLost:
            self.log.warning("worker.lease_lost", **about)

    @contextmanager
    def _lease_kept(self, job: Job) -> Iterator[None]:
        """Renew the lease every ``heartbeat_seconds`` (at most a third of the lease)
        while the body runs; a database error is logged and the next beat tries again
        (the lease outlasts two missed beats)."""
        done = threading.Event()
        beat = min(self.config.heartbeat_seconds, self.config.lease_seconds / 3)
        about = {"submission_id": job.submission_id, "sha256": job.sha256}

        def keep() -> None:
            while not done.wait(beat):
                try:
                    with self.session_factory() as session, session.begin():
                        queue.extend_lease(
                            session=session,
                            submission_id=job.submission_id,
                            worker_id=self.worker_id,
                            lease_seconds=self.config.lease_seconds,
                            now=utcnow(),
                        )
                except LeaseLost:
                    self.log.warning("worker.lease_lost", **about)
                    return
                except SQLAlchemyError as e:
                    if not database_unavailable(e):
                        self.log.exception("worker.heartbeat_failed", **about)
                    else:  # the lease outlasts a short outage; a long one may lose it
                        self.log.warning("worker.heartbeat_failed", error=_first_line(e), **about)

        keeper = threading.Thread(target=keep, name=f"lease-{job.submission_id}", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            done.set()
            keeper.join()


def _first_line(error: BaseException) -> str:
    """The driver's own words for a database error, without SQLAlchemy's statement."""
    cause = str(getattr(error, "orig", None) or error).strip().splitlines()
    return cause[0] if cause else type(error).__name__


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`ExtractionTimeout` in the main thread after ``seconds`` (POSIX)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise ExtractionTimeout(f"reading took longer than {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
