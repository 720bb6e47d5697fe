"""Ingest fixtures: an inbox and data folder per test, an intake on the shared databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.archive import Archive
from ingest.intake import Intake
from ingest.quarantine import Quarantine
from registry.models import Submission, SubmissionArrival
from tests.ingest.proc import FAKE_ENGINE  # noqa: F401  (re-exported for the tests)


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


def submissions(factory: sessionmaker[Session]) -> list[Submission]:
    with factory() as session:
        return list(session.scalars(select(Submission).order_by(Submission.id)))


def arrivals(factory: sessionmaker[Session]) -> list[SubmissionArrival]:
    with factory() as session:
        return list(session.scalars(select(SubmissionArrival).order_by(SubmissionArrival.id)))


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
