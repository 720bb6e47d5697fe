"""OCR workers on SQLite and PostgreSQL, with the fake engine: claim, complete, fail, lease."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from ingest.intake import Intake, utcnow
from ingest.worker import Worker, WorkerConfig
from registry import queue
from registry.errors import LeaseLost
from registry.models import Proposal
from tests.ingest.conftest import steals_while_busy, submissions, submit, with_fields
from tests.ingest.files import scan_pdf


def worker(config: WorkerConfig, intake: Intake, name: str = "w1") -> Worker:
    return Worker(config, intake.session_factory, name)


def proposals_per_submission(intake: Intake) -> dict[int, int]:
    with intake.session_factory() as session:
        rows = session.execute(
            select(Proposal.submission_id, func.count()).group_by(Proposal.submission_id)
        ).all()
    return {sid: n for sid, n in rows}


def test_a_worker_turns_each_submission_into_a_proposal(config, intake, inbox):
    ids = [submit(intake, inbox, seed) for seed in range(3)]
    handled = worker(config, intake).run(threading.Event(), until_idle=True)
    assert handled == 3
    assert [s.status for s in submissions(intake.session_factory)] == ["proposed"] * 3
    assert proposals_per_submission(intake) == {i: 1 for i in ids}


def test_an_extraction_error_quarantines_the_scan(config, intake, inbox, monkeypatch):
    monkeypatch.setenv("FAKE_OCR_RAISE", "no_page_image")
    sid = submit(intake, inbox, 11)
    worker(config, intake).run(threading.Event(), until_idle=True)
    [sub] = submissions(intake.session_factory)
    assert (sub.id, sub.status, sub.reason) == (sid, "quarantined", "no_page_image")
    [kept] = intake.quarantine.entries()
    assert kept.name == f"{sub.sha256[:12]}-scan-11.pdf"
    assert "reason: no_page_image" in kept.with_name(kept.name + ".reason.txt").read_text()


def test_an_engine_crash_is_retried_later_with_its_reason(config, intake, inbox, monkeypatch):
    monkeypatch.setenv("FAKE_OCR_RAISE", "crash")
    submit(intake, inbox, 12)
    assert worker(config, intake).run(threading.Event(), until_idle=True) == 1
    [sub] = submissions(intake.session_factory)
    assert (sub.status, sub.reason, sub.attempts) == ("received", "internal_error", 1)
    assert "RuntimeError: the fake engine crashed" in (sub.error or "")
    assert sub.not_before is not None and sub.not_before > utcnow()  # backing off
    assert worker(config, intake).run(threading.Event(), until_idle=True) == 0


def test_a_dead_workers_submission_is_taken_again_after_its_lease(config, intake, inbox):
    sid = submit(intake, inbox, 13)
    with intake.session_factory() as session, session.begin():  # worker "dead" claims, dies
        claimed = queue.claim_next(
            session=session, worker_id="dead", lease_seconds=0.3, now=utcnow()
        )
        assert claimed is not None and claimed.id == sid
    alive = worker(config, intake, "alive")
    assert alive.run(threading.Event(), until_idle=True) == 0  # lease still running
    time.sleep(0.4)
    assert alive.run(threading.Event(), until_idle=True) == 1
    with intake.session_factory() as session, session.begin(), pytest.raises(LeaseLost):
        queue.complete_submission(
            session=session,
            submission_id=sid,
            worker_id="dead",
            extraction=alive.extract(scan_pdf(13), {}),
            now=utcnow(),
        )
    assert proposals_per_submission(intake) == {sid: 1}
    [sub] = submissions(intake.session_factory)
    assert (sub.status, sub.attempts) == ("proposed", 2)


def test_the_lease_is_extended_while_a_slow_file_is_read(config, intake, inbox, monkeypatch):
    monkeypatch.setenv("FAKE_OCR_DELAY", "1.2")
    short = with_fields(config, lease_seconds=0.6)
    sid = submit(intake, inbox, 14)
    slow = worker(short, intake, "slow")
    thief = worker(short, intake, "thief")
    stolen = steals_while_busy(slow, thief, intake.session_factory)
    assert stolen == 0
    assert proposals_per_submission(intake) == {sid: 1}
