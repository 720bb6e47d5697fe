"""Quarantined submissions in the database: listed, sent back to the queue, or discarded.

A quarantined submission (a bad file, ``status = quarantined``) waits for a person.
They may retry it (``ingest.quarantine_review`` re-runs the intake's checks on the
stored bytes): passing, it becomes ``received`` and the workers read it as any other
file (:func:`requeue`); failing, it stays, with the reason found now
(:func:`keep_quarantined`). Or they discard it (:func:`discard`): the row stays,
``discarded``, so the file is never silently lost; the audit event says who, when,
and what the file was (sha256, name, reason). Services here never commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit import record_event
from registry.errors import InvalidTransition, NotFound
from registry.models import AuditEvent, Submission, SubmissionStatus

DISCARD_ACTION = "submission.discard"
RETRY_ACTION = "submission.retry"


def _state(sub: Submission) -> dict[str, Any]:
    return {
        "status": sub.status,
        "sha256": sub.sha256,
        "file_name": sub.file_name,
        "size": sub.size,
        "reason": sub.reason,
        "error": sub.error,
        "archive_path": sub.archive_path,
    }


def quarantined_submissions(*, session: Session, discarded: bool = False) -> list[Submission]:
    """Quarantined (or, with ``discarded``, discarded) submissions, newest first."""
    status = SubmissionStatus.DISCARDED if discarded else SubmissionStatus.QUARANTINED
    stmt = (
        select(Submission)
        .where(Submission.status == status)
        .order_by(Submission.processed_at.desc(), Submission.id.desc())
    )
    return list(session.scalars(stmt))


def discard_events(*, session: Session, submission_ids: list[int]) -> dict[int, AuditEvent]:
    """The discard event of each submission (who and when)."""
    if not submission_ids:
        return {}
    stmt = select(AuditEvent).where(
        AuditEvent.entity == "submission",
        AuditEvent.action == DISCARD_ACTION,
        AuditEvent.entity_id.in_([str(i) for i in submission_ids]),
    )
    return {int(e.entity_id): e for e in session.scalars(stmt)}


def get_quarantined(*, session: Session, submission_id: int) -> Submission:
    sub = session.scalar(select(Submission).where(Submission.id == submission_id).with_for_update())
    if sub is None:
        raise NotFound("submission", submission_id)
    if sub.status != SubmissionStatus.QUARANTINED:
        raise InvalidTransition("submission", submission_id, sub.status, "retried or discarded")
    return sub


def requeue(
    *, session: Session, submission_id: int, archive_path: str, actor: str, now: dt.datetime
) -> Submission:
    """The file passed the intake's checks now: back to the queue as ``received``."""
    sub = get_quarantined(session=session, submission_id=submission_id)
    before = _state(sub)
    sub.status, sub.reason, sub.error = SubmissionStatus.RECEIVED, None, None
    sub.archive_path, sub.attempts, sub.not_before, sub.processed_at = archive_path, 0, None, None
    _record_retry(session, sub, before, "received", actor=actor, now=now)
    return sub


def keep_quarantined(
    *,
    session: Session,
    submission_id: int,
    reason: str,
    error: str,
    actor: str,
    now: dt.datetime,
) -> Submission:
    """The file still fails the intake's checks: it stays, with today's reason."""
    sub = get_quarantined(session=session, submission_id=submission_id)
    before = _state(sub)
    sub.reason, sub.error = reason, error
    _record_retry(session, sub, before, "quarantined", actor=actor, now=now)
    return sub


def _record_retry(
    session: Session,
    sub: Submission,
    before: dict[str, Any],
    outcome: str,
    *,
    actor: str,
    now: dt.datetime,
) -> None:
    record_event(
        session=session,
        actor=actor,
        action=RETRY_ACTION,
        entity="submission",
        entity_id=sub.id,
        before=before,
        after={**_state(sub), "outcome": outcome},
        now=now,
    )


def discard(*, session: Session, submission_id: int, actor: str, now: dt.datetime) -> Submission:
    """Mark a quarantined submission discarded (its bytes are removed after this
    commits); the row and this event keep what it was."""
    sub = get_quarantined(session=session, submission_id=submission_id)
    before = _state(sub)
    sub.status, sub.processed_at = SubmissionStatus.DISCARDED, now
    record_event(
        session=session,
        actor=actor,
        action=DISCARD_ACTION,
        entity="submission",
        entity_id=sub.id,
        before=before,
        after=_state(sub),
        now=now,
    )
    return sub


def record_file_decision(
    *,
    session: Session,
    action: str,
    file_name: str,
    sha256: str,
    reason: str | None,
    outcome: str,
    actor: str,
    now: dt.datetime,
) -> AuditEvent:
    """A decision on a quarantined file no submission row names (a crash between its
    quarantine and its record): only the audit event can keep what it was."""
    return record_event(
        session=session,
        actor=actor,
        action=action,
        entity="quarantine_file",
        entity_id=file_name,
        before={"file_name": file_name, "sha256": sha256, "reason": reason},
        after={"outcome": outcome},
        now=now,
    )
