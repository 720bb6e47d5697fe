from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ocr.errors import InvalidInput, Reason, UnreadablePage
from registry import queue
from registry.errors import LeaseLost
from registry.models import Proposal, Submission, SubmissionArrival
from tests.registry.helpers import (
    T0,
    add_submissions,
    drain,
    drain_in_process,
    extraction,
    result,
    sha,
)

LATER = T0 + dt.timedelta(hours=1)


def test_same_content_twice_is_one_submission_and_a_duplicate_arrival(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        first, created = queue.record_submission(
            session=s, sha256=sha("a"), file_name="a.pdf", size=3, archive_path="x", now=T0
        )
        assert created
    with session_factory.begin() as s:
        again, created = queue.record_submission(
            session=s, sha256=sha("a"), file_name="copy of a.pdf", size=3, archive_path="x", now=T0
        )
        assert not created and again.id == first.id
        queue.record_duplicate_arrival(session=s, original=again, file_name="copy of a.pdf", now=T0)
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 1
        arrivals = s.scalars(select(SubmissionArrival).order_by(SubmissionArrival.id)).all()
        assert [(a.file_name, a.duplicate) for a in arrivals] == [
            ("a.pdf", False),
            ("copy of a.pdf", True),
        ]


def test_quarantined_file_is_recorded_and_not_claimable(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        sub = queue.record_quarantined(
            session=s,
            sha256=sha("bad"),
            file_name="letter.pdf",
            size=5,
            reason="not_pdf",
            error="not a PDF: the file starts like a Word document",
            now=T0,
        )
        assert sub.status == "quarantined"
        again = queue.record_quarantined(
            session=s,
            sha256=sha("bad"),
            file_name="letter2.pdf",
            size=5,
            reason="not_pdf",
            error="x",
            now=T0,
        )
        assert again.id == sub.id
    assert drain(session_factory, "w", LATER) == []
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(SubmissionArrival)) == 2


def test_claim_sets_lease_and_attempts(session_factory: sessionmaker[Session]) -> None:
    (sid,) = add_submissions(session_factory, 1)
    with session_factory.begin() as s:
        sub = queue.claim_next(session=s, worker_id="w1", lease_seconds=30, now=T0)
        assert sub is not None and sub.id == sid
        assert (sub.status, sub.lease_owner, sub.attempts) == ("processing", "w1", 1)
        assert sub.lease_expires_at == T0 + dt.timedelta(seconds=30)
    with session_factory.begin() as s:
        assert queue.claim_next(session=s, worker_id="w2", lease_seconds=30, now=T0) is None


def test_claims_go_oldest_first(session_factory: sessionmaker[Session]) -> None:
    ids = add_submissions(session_factory, 3)
    assert drain(session_factory, "w", LATER) == ids


def test_expired_lease_is_reclaimed_by_another_worker(
    session_factory: sessionmaker[Session],
) -> None:
    (sid,) = add_submissions(session_factory, 1)
    with session_factory.begin() as s:
        queue.claim_next(session=s, worker_id="dead", lease_seconds=30, now=T0)
    with session_factory.begin() as s:
        assert queue.claim_next(session=s, worker_id="w2", lease_seconds=30, now=T0) is None
    after = T0 + dt.timedelta(seconds=31)
    with session_factory.begin() as s:
        sub = queue.claim_next(session=s, worker_id="w2", lease_seconds=30, now=after)
        assert sub is not None and sub.id == sid and sub.attempts == 2
    # the dead worker comes back: its result is refused and nothing is written
    with session_factory.begin() as s, pytest.raises(LeaseLost):
        queue.complete_submission(
            session=s,
            submission_id=sid,
            worker_id="dead",
            extraction=extraction(result()),
            now=after,
        )
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Proposal)) == 0
        assert s.get(Submission, sid).lease_owner == "w2"  # type: ignore[union-attr]


def test_extend_lease_keeps_row_from_others(session_factory: sessionmaker[Session]) -> None:
    (sid,) = add_submissions(session_factory, 1)
    with session_factory.begin() as s:
        queue.claim_next(session=s, worker_id="w1", lease_seconds=30, now=T0)
    with session_factory.begin() as s:
        queue.extend_lease(
            session=s,
            submission_id=sid,
            worker_id="w1",
            lease_seconds=30,
            now=T0 + dt.timedelta(seconds=25),
        )
    with session_factory.begin() as s:
        late = T0 + dt.timedelta(seconds=40)
        assert queue.claim_next(session=s, worker_id="w2", lease_seconds=30, now=late) is None
    with session_factory.begin() as s, pytest.raises(LeaseLost):
        queue.extend_lease(session=s, submission_id=sid, worker_id="w2", lease_seconds=30, now=T0)


def test_complete_makes_one_proposal_per_declaration(
    session_factory: sessionmaker[Session],
) -> None:
    (sid,) = add_submissions(session_factory, 1)
    with session_factory.begin() as s:
        queue.claim_next(session=s, worker_id="w", lease_seconds=30, now=T0)
    batch = extraction(result(), result(organisation="Talga AB", organisation_number=None))
    with session_factory.begin() as s:
        made = queue.complete_submission(
            session=s, submission_id=sid, worker_id="w", extraction=batch, now=T0
        )
        assert [p.index for p in made] == [0, 1]
    with session_factory() as s:
        sub = s.get(Submission, sid)
        assert sub is not None
        assert (sub.status, sub.lease_owner, sub.processed_at) == ("proposed", None, T0)
        assert [p.status for p in sub.proposals] == ["proposed", "proposed"]
        assert sub.proposals[0].fields["organisation"]["value"] == "Kuusakoski Sverige AB"


def test_complete_without_declarations_fails_with_reason(
    session_factory: sessionmaker[Session],
) -> None:
    (sid,) = add_submissions(session_factory, 1)
    with session_factory.begin() as s:
        queue.claim_next(session=s, worker_id="w", lease_seconds=30, now=T0)
    with session_factory.begin() as s:
        made = queue.complete_submission(
            session=s, submission_id=sid, worker_id="w", extraction=extraction(), now=T0
        )
        assert made == []
    with session_factory() as s:
        sub = s.get(Submission, sid)
        assert sub is not None
        assert (sub.status, sub.reason, sub.error) == (
            "failed",
            "no_declaration",
            "no signing block found",
        )


def test_retryable_failure_backs_off_then_fails_after_max_attempts(
    session_factory: sessionmaker[Session],
) -> None:
    (sid,) = add_submissions(session_factory, 1)
    now = T0
    for attempt in (1, 2, 3):
        with session_factory.begin() as s:
            sub = queue.claim_next(session=s, worker_id="w", lease_seconds=30, now=now)
            assert sub is not None and sub.attempts == attempt
        with session_factory.begin() as s:
            failed = queue.fail_submission(
                session=s,
                submission_id=sid,
                worker_id="w",
                error="tesseract crashed",
                reason="ocr_failed",
                retryable=True,
                now=now,
            )
            wait = queue.backoff(attempt)
        if attempt < 3:
            assert failed.status == "received" and failed.not_before == now + wait
            with session_factory.begin() as s:  # not before the back-off has passed
                early = now + wait - dt.timedelta(seconds=1)
                assert (
                    queue.claim_next(session=s, worker_id="w", lease_seconds=30, now=early) is None
                )
            now = now + wait
    assert failed.status == "failed" and failed.reason == "max_attempts"
    assert "tesseract crashed" in (failed.error or "")
    assert queue.backoff(1) < queue.backoff(2) < queue.backoff(3)
    assert drain(session_factory, "w", now + dt.timedelta(days=1)) == []


def test_worker_dying_on_every_attempt_ends_failed(session_factory: sessionmaker[Session]) -> None:
    (sid,) = add_submissions(session_factory, 1)
    now = T0
    for _ in range(3):
        with session_factory.begin() as s:
            assert queue.claim_next(session=s, worker_id="w", lease_seconds=30, now=now)
        now += dt.timedelta(seconds=31)
    with session_factory.begin() as s:
        assert queue.claim_next(session=s, worker_id="w", lease_seconds=30, now=now) is None
    with session_factory() as s:
        sub = s.get(Submission, sid)
        assert sub is not None and (sub.status, sub.reason) == ("failed", "max_attempts")


def test_bad_input_is_quarantined_without_retry(session_factory: sessionmaker[Session]) -> None:
    (sid,) = add_submissions(session_factory, 1)
    err = InvalidInput("not a PDF: the file starts like a Word document", reason=Reason.NOT_PDF)
    how = queue.disposition_for(err)
    assert (how.reason, how.retryable, how.quarantine) == ("not_pdf", False, True)
    assert queue.disposition_for(UnreadablePage("boom")).retryable
    with session_factory.begin() as s:
        queue.claim_next(session=s, worker_id="w", lease_seconds=30, now=T0)
    with session_factory.begin() as s:
        sub = queue.fail_submission(
            session=s,
            submission_id=sid,
            worker_id="w",
            error=str(err),
            reason=how.reason,
            retryable=how.retryable,
            quarantine=how.quarantine,
            now=T0,
        )
        assert (sub.status, sub.reason, sub.attempts) == ("quarantined", "not_pdf", 1)


def test_two_concurrent_claimers_take_each_submission_exactly_once(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    ids = add_submissions(session_factory, 40)
    if db_url.startswith("sqlite"):
        ctx = multiprocessing.get_context("spawn")
        with ctx.Manager() as manager, ProcessPoolExecutor(2, mp_context=ctx) as pool:
            barrier = manager.Barrier(2)
            futures = [
                pool.submit(drain_in_process, db_url, f"p{i}", LATER.isoformat(), barrier)
                for i in (1, 2)
            ]
            got = [f.result(timeout=120) for f in futures]
    else:
        got = [[], []]
        barrier = threading.Barrier(2)

        def run(i: int) -> None:
            barrier.wait()
            got[i] = drain(session_factory, f"t{i}", LATER)

        threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not set(got[0]) & set(got[1])
    assert sorted(got[0] + got[1]) == ids
    with session_factory() as s:
        subs = s.scalars(select(Submission)).all()
        assert {sub.attempts for sub in subs} == {1}
