"""Ingest fixtures: an inbox and data folder per test, an intake on the shared databases."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.archive import Archive
from ingest.intake import Intake
from ingest.quarantine import Quarantine
from ingest.worker import Worker, WorkerConfig
from registry.models import Submission, SubmissionArrival
from tests.ingest.files import scan_pdf
from tests.ingest.proc import FAKE_ENGINE


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def intake(inbox: Path, data_dir: Path, session_factory: sessionmaker[Session]) -> Intake:
    return Intake(
        inbox=inbox,
        archive=Archive(data_dir / "archive"),
        quarantine=Quarantine(data_dir / "quarantine"),
        session_factory=session_factory,
        orphan_seconds=0.0,
    )


@pytest.fixture
def config(db_url: str, data_dir: Path) -> WorkerConfig:
    """A fake-OCR worker's settings on the test's database and data folder."""
    return WorkerConfig(
        database_url=db_url,
        archive_dir=data_dir / "archive",
        quarantine_dir=data_dir / "quarantine",
        engine=FAKE_ENGINE,
        lease_seconds=30,
        idle_seconds=0.05,
    )


def with_fields(config: WorkerConfig, **changes: object) -> WorkerConfig:
    fields = {name: getattr(config, name) for name in WorkerConfig.__dataclass_fields__}
    return WorkerConfig(**{**fields, **changes})  # type: ignore[arg-type]


def submit(intake: Intake, inbox: Path, seed: int) -> int:
    """A one-page scan dropped and taken; its submission id."""
    path = inbox / f"scan-{seed}.pdf"
    path.write_bytes(scan_pdf(seed))
    result = intake.take(path)
    assert result.submission_id is not None
    return result.submission_id


def submissions(factory: sessionmaker[Session]) -> list[Submission]:
    with factory() as session:
        return list(session.scalars(select(Submission).order_by(Submission.id)))


def arrivals(factory: sessionmaker[Session]) -> list[SubmissionArrival]:
    with factory() as session:
        return list(session.scalars(select(SubmissionArrival).order_by(SubmissionArrival.id)))


def steals_while_busy(slow: Worker, thief: Worker, factory: sessionmaker[Session]) -> int:
    """Run ``slow`` on the queue until it is idle and, once it holds the first
    submission's lease, ``thief`` over and over meanwhile; how many jobs the thief did."""
    reading = threading.Thread(
        target=slow.run, args=(threading.Event(),), kwargs={"until_idle": True}
    )
    reading.start()
    while submissions(factory)[0].lease_owner != slow.worker_id:
        time.sleep(0.02)
    stolen = 0
    while reading.is_alive():
        stolen += thief.run(threading.Event(), until_idle=True)
        time.sleep(0.1)
    reading.join()
    return stolen


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
