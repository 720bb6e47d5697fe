"""The submissions table is the work queue.

A file arrives once per content (sha256); every file dropped is one
:class:`SubmissionArrival` (duplicates included, so files dropped = arrivals). Workers
claim rows with a lease: ``received`` rows, or ``processing`` rows whose lease expired
(the worker died), whose back-off (``not_before``) has passed and that have attempts
left. On PostgreSQL the claim is ``SELECT … FOR UPDATE SKIP LOCKED``; on SQLite the
engine opens every transaction with ``BEGIN IMMEDIATE`` so one process claims at a time.

Outcomes: ``proposed`` (one proposal per declaration read); ``failed`` with a reason
(``no_declaration`` when the file held no signing block, ``max_attempts`` when retries
ran out, or the error's reason when it cannot succeed on retry); ``quarantined`` (a bad
file). Services here never commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ocr.errors import ExtractionError, Reason
from ocr.model import Extraction
from registry.errors import LeaseLost, NotFound
from registry.models import (
    ArrivalSource,
    Proposal,
    Submission,
    SubmissionArrival,
    SubmissionStatus,
)
from registry.proposals import build_proposals

MAX_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 600.0
NO_DECLARATION = "no_declaration"
MAX_ATTEMPTS_REASON = "max_attempts"  # retries ran out


@dataclass(frozen=True, slots=True)
class Origin:
    """How a file came: through the inbox (the default), an upload, the command line or
    an e-mail (then its sender, subject and Message-ID). Recorded on its arrival."""

    source: ArrivalSource = ArrivalSource.INBOX
    sender: str | None = None
    subject: str | None = None
    message_id: str | None = None

    def arrival(
        self, *, submission_id: int, file_name: str, now: dt.datetime, duplicate: bool
    ) -> SubmissionArrival:
        return SubmissionArrival(
            submission_id=submission_id,
            file_name=file_name,
            arrived_at=now,
            duplicate=duplicate,
            source=self.source,
            sender=self.sender,
            subject=self.subject,
            message_id=self.message_id,
        )


INBOX = Origin()


def backoff(attempts: int, *, base: float = BACKOFF_BASE_SECONDS) -> dt.timedelta:
    """Wait before retry number ``attempts + 1``: base, 2×base, 4×base … capped."""
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def record_submission(
    *,
    session: Session,
    sha256: str,
    file_name: str,
    size: int,
    archive_path: str | None,
    now: dt.datetime,
    origin: Origin = INBOX,
) -> tuple[Submission, bool]:
    """The submission for this content; ``created`` is False when it was already known
    (the caller then records the repeat with :func:`record_duplicate_arrival`)."""
    existing = session.scalar(select(Submission).where(Submission.sha256 == sha256))
    if existing is not None:
        return existing, False
    sub = Submission(
        sha256=sha256,
        file_name=file_name,
        size=size,
        archive_path=archive_path,
        received_at=now,
        status=SubmissionStatus.RECEIVED,
        attempts=0,
    )
    session.add(sub)
    session.flush()
    session.add(origin.arrival(submission_id=sub.id, file_name=file_name, now=now, duplicate=False))
    return sub, True


def record_duplicate_arrival(
    *,
    session: Session,
    original: Submission,
    file_name: str,
    now: dt.datetime,
    origin: Origin = INBOX,
) -> SubmissionArrival:
    arrival = origin.arrival(
        submission_id=original.id, file_name=file_name, now=now, duplicate=True
    )
    session.add(arrival)
    return arrival


def record_quarantined(
    *,
    session: Session,
    sha256: str,
    file_name: str,
    size: int,
    reason: str,
    error: str,
    now: dt.datetime,
    origin: Origin = INBOX,
) -> Submission:
    """A bad file, kept out of the queue. The same bad content again is recorded as a
    duplicate arrival of the first (and the existing row returned)."""
    sub, created = record_submission(
        session=session,
        sha256=sha256,
        file_name=file_name,
        size=size,
        archive_path=None,
        now=now,
        origin=origin,
    )
    if not created:
        record_duplicate_arrival(
            session=session, original=sub, file_name=file_name, now=now, origin=origin
        )
        return sub
    sub.status, sub.reason, sub.error, sub.processed_at = (
        SubmissionStatus.QUARANTINED,
        reason,
        error,
        now,
    )
    return sub


def _claimable(now: dt.datetime, max_attempts: int):  # type: ignore[no-untyped-def]
    return and_(
        or_(
            Submission.status == SubmissionStatus.RECEIVED,
            and_(
                Submission.status == SubmissionStatus.PROCESSING,
                Submission.lease_expires_at < now,
            ),
        ),
        or_(Submission.not_before.is_(None), Submission.not_before <= now),
        Submission.attempts < max_attempts,
    )


def claim_next(
    *,
    session: Session,
    worker_id: str,
    lease_seconds: float,
    now: dt.datetime,
    max_attempts: int = MAX_ATTEMPTS,
) -> Submission | None:
    """Lease the oldest claimable submission to ``worker_id``; None when there is none."""
    _expire_exhausted(session=session, now=now, max_attempts=max_attempts)
    stmt = (
        select(Submission)
        .where(_claimable(now, max_attempts))
        .order_by(Submission.received_at, Submission.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    sub = session.scalar(stmt)
    if sub is None:
        return None
    sub.status = SubmissionStatus.PROCESSING
    sub.lease_owner = worker_id
    sub.lease_expires_at = now + dt.timedelta(seconds=lease_seconds)
    sub.attempts += 1
    sub.error = None
    session.flush()
    return sub


def release_dead_leases(
    *, session: Session, dead: Callable[[str], bool], now: dt.datetime
) -> list[int]:
    """End now the leases whose holder ``dead(owner)`` says is gone (a worker killed on
    this host), so that :func:`claim_next` may take them at once instead of when the
    lease runs out; the attempt stays counted. Returns the released submissions' ids."""
    held = session.execute(
        select(Submission.id, Submission.lease_owner).where(
            Submission.status == SubmissionStatus.PROCESSING,
            Submission.lease_expires_at >= now,
        )
    ).all()
    released = []
    for sub_id, owner in held:
        if owner and dead(owner):
            session.execute(
                update(Submission)
                .where(
                    Submission.id == sub_id,
                    Submission.status == SubmissionStatus.PROCESSING,
                    Submission.lease_owner == owner,
                )
                .values(lease_expires_at=now - dt.timedelta(seconds=1))
                .execution_options(synchronize_session=False)
            )
            released.append(sub_id)
    return released


def _expire_exhausted(*, session: Session, now: dt.datetime, max_attempts: int) -> None:
    """A row whose worker died on its last attempt will never be claimed again: fail it."""
    session.execute(
        update(Submission)
        .where(
            Submission.status == SubmissionStatus.PROCESSING,
            Submission.lease_expires_at < now,
            Submission.attempts >= max_attempts,
        )
        .values(
            status=SubmissionStatus.FAILED,
            reason=MAX_ATTEMPTS_REASON,
            lease_owner=None,
            lease_expires_at=None,
            processed_at=now,
            error="the worker stopped (lease expired) on every attempt",
        )
        .execution_options(synchronize_session=False)
    )


def _held(session: Session, submission_id: int, worker_id: str) -> Submission:
    stmt = (
        select(Submission)
        .where(Submission.id == submission_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    sub = session.scalar(stmt)
    if sub is None:
        raise NotFound("submission", submission_id)
    if sub.status != SubmissionStatus.PROCESSING or sub.lease_owner != worker_id:
        raise LeaseLost(submission_id, worker_id)
    return sub


def extend_lease(
    *,
    session: Session,
    submission_id: int,
    worker_id: str,
    lease_seconds: float,
    now: dt.datetime,
) -> Submission:
    sub = _held(session, submission_id, worker_id)
    sub.lease_expires_at = now + dt.timedelta(seconds=lease_seconds)
    return sub


def complete_submission(
    *,
    session: Session,
    submission_id: int,
    worker_id: str,
    extraction: Extraction,
    now: dt.datetime,
    code_key: bytes | None = None,
) -> list[Proposal]:
    """Record what was read. Raises :class:`LeaseLost` (writing nothing) when another
    worker holds the row now. No declaration read → ``failed``/``no_declaration``.
    ``code_key`` checks join-online codes (``registry.applications``)."""
    sub = _held(session, submission_id, worker_id)
    sub.pages = extraction.pages
    sub.lease_owner, sub.lease_expires_at, sub.processed_at = None, None, now
    if not extraction.declarations:
        sub.status, sub.reason = SubmissionStatus.FAILED, NO_DECLARATION
        sub.error = "no signing block found"
        return []
    proposals = build_proposals(
        session=session, submission=sub, extraction=extraction, now=now, code_key=code_key
    )
    sub.status, sub.reason, sub.error = SubmissionStatus.PROPOSED, None, None
    return proposals


def fail_submission(
    *,
    session: Session,
    submission_id: int,
    worker_id: str,
    error: str,
    reason: str,
    retryable: bool,
    now: dt.datetime,
    quarantine: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
    backoff_base: float = BACKOFF_BASE_SECONDS,
) -> Submission:
    """Retryable with attempts left → back to ``received`` after a back-off; otherwise
    ``failed`` (``quarantined`` when ``quarantine``), with the reason kept."""
    sub = _held(session, submission_id, worker_id)
    sub.lease_owner, sub.lease_expires_at, sub.error, sub.reason = None, None, error, reason
    if retryable and sub.attempts < max_attempts:
        sub.status = SubmissionStatus.RECEIVED
        sub.not_before = now + backoff(sub.attempts, base=backoff_base)
        return sub
    sub.processed_at = now
    if quarantine:
        sub.status = SubmissionStatus.QUARANTINED
    else:
        sub.status = SubmissionStatus.FAILED
        if retryable:
            sub.reason = MAX_ATTEMPTS_REASON
            sub.error = f"{error} (after {sub.attempts} attempts; last reason {reason})"
    return sub


@dataclass(frozen=True, slots=True)
class Disposition:
    """How a worker should record an extraction error (the one place this is decided)."""

    reason: str
    retryable: bool
    quarantine: bool


_RETRYABLE = frozenset({Reason.OCR_FAILED, Reason.TIMEOUT})


def disposition_for(error: ExtractionError) -> Disposition:
    retry = error.reason in _RETRYABLE
    return Disposition(reason=error.reason.value, retryable=retry, quarantine=not retry)
