"""The service's operational numbers, read from the database (for ``/metrics``).

Everything here is a count or an age, never a name: no file name, organisation or
signer appears, and every label is a value of a closed set (a status, a reason code),
so the numbers can be shown to anyone. Read at scrape time in one short read-only
transaction, they are right whatever number of processes and machines do the work.

- files received: every file dropped or uploaded (arrivals, duplicates included), and
  how many of them repeated a content already known;
- submissions by status; the queue (``received`` and ``processing``): its depth and the
  age of its oldest submission;
- pages read (of every submission read so far);
- failed and quarantined submissions by reason (as they stand now: a retried file
  leaves the count);
- proposals by status, and the age of the longest-waiting one;
- decisions taken: approvals and rejections (from the append-only audit trail, so the
  counts only grow, even when a decision is reopened);
- memberships in the register by standing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from registry.models import (
    AuditEvent,
    Proposal,
    ProposalStatus,
    Signatory,
    SignatoryStatus,
    Submission,
    SubmissionArrival,
    SubmissionStatus,
)

QUEUED = (SubmissionStatus.RECEIVED, SubmissionStatus.PROCESSING)
APPROVE_ACTION = "proposal.approve"
REJECT_ACTION = "proposal.reject"


@dataclass(frozen=True, slots=True)
class OpsNumbers:
    files_received: int
    duplicate_files: int
    submissions: dict[str, int]  # every SubmissionStatus → count (zeros included)
    queue_depth: int
    queue_oldest_age: float  # seconds; 0 when the queue is empty
    pages_read: int
    failed: dict[str, int]  # reason → failed submissions
    quarantined: dict[str, int]  # reason → submissions in quarantine (not discarded)
    proposals: dict[str, int]  # every ProposalStatus → count
    oldest_proposal_age: float  # seconds the longest-waiting proposal has waited; 0: none
    approvals: int
    rejections: int
    signatories: dict[str, int]  # every SignatoryStatus → memberships in the register

    @property
    def proposals_waiting(self) -> int:
        return self.proposals[ProposalStatus.PROPOSED]


def _by(session: Session, stmt: Select[str, int], keys: Iterable[str] = ()) -> dict[str, int]:
    """``key → count`` rows as a dict; every one of ``keys`` present (zero if absent)."""
    found = {str(key): int(count) for key, count in session.execute(stmt)}
    return {**dict.fromkeys(map(str, keys), 0), **dict(sorted(found.items()))}


def _age(oldest: dt.datetime | None, now: dt.datetime) -> float:
    return 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)


def _reasons(session: Session, status: str) -> dict[str, int]:
    stmt = (
        select(Submission.reason, func.count())
        .where(Submission.status == status)
        .group_by(Submission.reason)
    )
    found: dict[str, int] = {}
    for reason, count in session.execute(stmt):
        key = reason or "unknown"
        found[key] = found.get(key, 0) + int(count)
    return dict(sorted(found.items()))


def _count(session: Session, stmt: Select[int]) -> int:
    return int(session.scalar(stmt) or 0)


def read_numbers(*, session: Session, now: dt.datetime) -> OpsNumbers:
    """Every number, in the caller's transaction (a read-only session will do)."""
    arrivals = session.execute(
        select(func.count(), func.count().filter(SubmissionArrival.duplicate.is_(True)))
    ).one()
    queue_depth, oldest_queued = session.execute(
        select(func.count(), func.min(Submission.received_at)).where(Submission.status.in_(QUEUED))
    ).one()
    oldest_proposal = session.scalar(
        select(func.min(Proposal.created_at)).where(Proposal.status == ProposalStatus.PROPOSED)
    )
    decisions = _by(
        session,
        select(AuditEvent.action, func.count())
        .where(AuditEvent.action.in_((APPROVE_ACTION, REJECT_ACTION)))
        .group_by(AuditEvent.action),
    )
    return OpsNumbers(
        files_received=int(arrivals[0]),
        duplicate_files=int(arrivals[1]),
        submissions=_by(
            session,
            select(Submission.status, func.count()).group_by(Submission.status),
            SubmissionStatus,
        ),
        queue_depth=int(queue_depth),
        queue_oldest_age=_age(oldest_queued, now),
        pages_read=_count(session, select(func.coalesce(func.sum(Submission.pages), 0))),
        failed=_reasons(session, SubmissionStatus.FAILED),
        quarantined=_reasons(session, SubmissionStatus.QUARANTINED),
        proposals=_by(
            session,
            select(Proposal.status, func.count()).group_by(Proposal.status),
            ProposalStatus,
        ),
        oldest_proposal_age=_age(oldest_proposal, now),
        approvals=decisions.get(APPROVE_ACTION, 0),
        rejections=decisions.get(REJECT_ACTION, 0),
        signatories=_by(
            session,
            select(Signatory.status, func.count())
            .where(Signatory.active.is_(True))
            .group_by(Signatory.status),
            SignatoryStatus,
        ),
    )
