"""``signreg ingest PATH...``: files named on the command line, taken and read to the end.

Each file goes through the same intake as an inbox file (hash, validate, archive,
record; the file itself is left where it is), then OCR workers run until every
submission those files made has reached a final status: in this process when at most
one worker would be busy, otherwise in up to ``workers`` spawned worker processes,
exactly as under ``signreg watch``.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.intake import Intake, IntakeResult
from ingest.service import IngestConfig, build_intake, start_workers, stop_workers, worker_id
from ingest.worker import Worker
from registry.bootstrap import open_registry
from registry.models import Submission, SubmissionStatus

FINAL = frozenset(
    {
        SubmissionStatus.PROPOSED,
        SubmissionStatus.FAILED,
        SubmissionStatus.QUARANTINED,
        SubmissionStatus.SUPERSEDED,  # an inbox file of the same name grew past it
    }
)
BAD = frozenset({SubmissionStatus.FAILED, SubmissionStatus.QUARANTINED})

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True, slots=True)
class BatchItem:
    file_name: str
    outcome: str  # the intake's: submitted, duplicate, quarantined
    submission_id: int | None
    status: str | None  # the submission's final status
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status not in BAD


@dataclass(frozen=True, slots=True)
class BatchReport:
    items: tuple[BatchItem, ...]

    @property
    def failed(self) -> tuple[BatchItem, ...]:
        return tuple(i for i in self.items if not i.ok)


def ingest_paths(
    config: IngestConfig,
    paths: Sequence[Path],
    *,
    stop: threading.Event,
    progress: Progress = lambda done, total: None,
) -> BatchReport:
    registry = open_registry(config.database_url)  # migrations applied at start-up
    try:
        return _ingest(config, build_intake(config, registry.sessions), paths, stop, progress)
    finally:
        registry.close()


def _ingest(
    config: IngestConfig,
    intake: Intake,
    paths: Sequence[Path],
    stop: threading.Event,
    progress: Progress,
) -> BatchReport:
    taken = [intake.take_copy(p) for p in paths]
    ids = {r.submission_id for r in taken if r.submission_id is not None}
    total = len(ids)
    progress(_count_final(intake.session_factory, ids), total)
    workers = min(config.workers, total - _count_final(intake.session_factory, ids))
    if workers <= 1:  # starting a process costs more than it saves here
        _read_in_process(config, intake, ids, stop, progress)
    else:
        worker_stop = mp.get_context("spawn").Event()
        processes = start_workers(replace(config, workers=workers), worker_stop)
        try:
            while not stop.is_set():
                done = _count_final(intake.session_factory, ids)
                progress(done, total)
                if done == total:
                    break
                stop.wait(0.2)
        finally:
            stop_workers(processes, worker_stop, config.grace_seconds)
    return _report(intake.session_factory, taken)


def _read_in_process(
    config: IngestConfig,
    intake: Intake,
    ids: set[int],
    stop: threading.Event,
    progress: Progress,
) -> None:
    worker = Worker(config.worker_config, intake.session_factory, worker_id())
    while not stop.is_set():
        done = _count_final(intake.session_factory, ids)
        progress(done, len(ids))
        if done == len(ids):
            return
        if worker.run(stop, until_idle=True) == 0:
            stop.wait(config.idle_seconds)  # waiting out a retry's back-off


def _statuses(factory: sessionmaker[Session], ids: set[int]) -> dict[int, tuple[str, str | None]]:
    if not ids:
        return {}
    with factory() as session:
        rows = session.execute(
            select(Submission.id, Submission.status, Submission.error).where(Submission.id.in_(ids))
        ).all()
    return {row.id: (row.status, row.error) for row in rows}


def _count_final(factory: sessionmaker[Session], ids: set[int]) -> int:
    return sum(1 for status, _ in _statuses(factory, ids).values() if status in FINAL)


def _report(factory: sessionmaker[Session], taken: list[IntakeResult]) -> BatchReport:
    ids = {r.submission_id for r in taken if r.submission_id is not None}
    statuses = _statuses(factory, ids)
    items = []
    for r in taken:
        status, error = (
            statuses.get(r.submission_id, (None, None)) if r.submission_id else (None, None)
        )
        items.append(
            BatchItem(
                file_name=r.file_name,
                outcome=r.outcome,
                submission_id=r.submission_id,
                status=status,
                error=error,
            )
        )
    return BatchReport(items=tuple(items))
