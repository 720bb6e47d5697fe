"""Retention (gallring) of received scans, per declaration.

A county board is an authority: what it receives is a public record, kept or deleted by
its retention rules, not at will. Each declaration holds its rules
(``Declaration.retention_rejected_months``, ``retention_approved_years``; ``None``
keeps for ever), and :func:`apply_retention`, run on a schedule by ``signreg
retention``, marks the scans past their time deleted, one audit event each; the files
go after the commit (``ingest.erase_files``). The row and its sha256 stay, so the same
file sent again is still recognised.

Which rule a scan follows, and from when its time runs (the latest of its decision, its
reading, and its last arrival: a file sent again starts its time anew):

- **approved**: a proposal read from it was approved; the approved rule of each such
  proposal's declaration, the longest of them (``None`` anywhere keeps it);
- **rejected**: every proposal read from it was rejected or replaced by a later file
  (a superseded scan, the earlier copy of a grown file); the rejected rule of each
  proposal's declaration, the longest of them;
- **unread**: no declaration was read from it (quarantined, discarded, failed, or a
  cover letter alone); no declaration's rule is its own, so it is kept as long as the
  most careful declaration keeps a rejected scan (the longest rejected rule; ``None``
  if any declaration keeps rejected scans for ever, or there is no declaration);
- a scan still in the queue or with a proposal waiting for review is never deleted.

Defaults for a declaration made from a new form profile (``registry.declarations``):
rejected, duplicate and unread scans 12 months, approved ones kept
(:data:`DEFAULT_REJECTED_MONTHS`, :data:`DEFAULT_APPROVED_YEARS`). A declaration that
existed before retention was added keeps everything until someone sets its rules.
Services here never commit.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from registry.audit import record_event
from registry.erasure import ScanFile
from registry.errors import NotFound, ValidationError
from registry.models import (
    Declaration,
    Proposal,
    ProposalStatus,
    Submission,
    SubmissionArrival,
    SubmissionStatus,
)

DEFAULT_REJECTED_MONTHS: int | None = 12
DEFAULT_APPROVED_YEARS: int | None = None
MAX_MONTHS = 1200
MAX_YEARS = 100
RETENTION_REASON = "retention"  # Submission.scan_deleted_reason
RETENTION_ACTION = "submission.retention"
SETTING_ACTION = "declaration.retention"
_IN_QUEUE = (SubmissionStatus.RECEIVED, SubmissionStatus.PROCESSING)
_DONE_WITH = (ProposalStatus.REJECTED, ProposalStatus.SUPERSEDED)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day);
    as ``registry.stats.add_months``, which this module may not import (a cycle through
    ``registry.declarations``, which reads the defaults here)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first_of_next = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last = (first_of_next - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(day.day, last))


class ScanKind(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    UNREAD = "unread"


@dataclass(frozen=True, slots=True)
class Rule:
    """How long: ``months`` (a rejected or unread scan) or ``years`` (an approved one)."""

    kind: ScanKind
    months: int | None = None
    years: int | None = None

    def until(self, since: dt.datetime) -> dt.datetime:
        months = self.months if self.months is not None else 12 * (self.years or 0)
        day = add_months(since.date(), months)
        return dt.datetime.combine(day, since.timetz())

    def describe(self) -> str:
        return f"{self.months} months" if self.months is not None else f"{self.years} years"


@dataclass(frozen=True, slots=True)
class DueScan:
    """A scan past its time (or, ``due`` False in a listing, one with a rule that is not
    yet up)."""

    submission_id: int
    sha256: str
    file_names: tuple[str, ...]
    status: str
    kind: ScanKind
    declarations: tuple[str, ...]
    rule: Rule
    since: dt.datetime  # its time runs from here
    deletes_at: dt.datetime

    @property
    def scan(self) -> ScanFile:
        return ScanFile(self.submission_id, self.sha256, self.file_names)

    def to_dict(self) -> dict[str, object]:
        return {
            "submission_id": self.submission_id,
            "sha256": self.sha256,
            "status": self.status,
            "kind": self.kind.value,
            "declarations": list(self.declarations),
            "rule": self.rule.describe(),
            "since": self.since.isoformat(),
            "deletes_at": self.deletes_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    now: dt.datetime
    due: tuple[DueScan, ...]  # past their time: deleted by apply_retention
    kept: int  # scans looked at and kept (no rule, a rule not yet up, or still in work)

    def to_dict(self) -> dict[str, object]:
        return {
            "now": self.now.isoformat(),
            "due": [d.to_dict() for d in self.due],
            "kept": self.kept,
        }


def _check(value: int | None, *, most: int, name: str) -> int | None:
    if value is None:
        return None
    if not 1 <= value <= most:
        raise ValidationError(f"{name} must be between 1 and {most}, or never", field=name)
    return value


def set_retention(
    *,
    session: Session,
    slug: str,
    rejected_months: int | None,
    approved_years: int | None,
    actor: str,
    now: dt.datetime,
) -> Declaration:
    """A declaration's retention rules (``None``: keep), audited."""
    row = session.scalar(select(Declaration).where(Declaration.slug == slug))
    if row is None:
        raise NotFound("declaration", slug)
    rejected = _check(rejected_months, most=MAX_MONTHS, name="rejected_months")
    approved = _check(approved_years, most=MAX_YEARS, name="approved_years")
    before = rules_of(row)
    row.retention_rejected_months, row.retention_approved_years = rejected, approved
    if rules_of(row) != before:
        record_event(
            session=session,
            actor=actor,
            action=SETTING_ACTION,
            entity="declaration",
            entity_id=row.slug,
            before=before,
            after=rules_of(row),
            now=now,
        )
    return row


def rules_of(row: Declaration) -> dict[str, int | None]:
    return {
        "rejected_months": row.retention_rejected_months,
        "approved_years": row.retention_approved_years,
    }


def _longest(rules: Iterable[Rule]) -> Rule | None:
    """The rule keeping longest; ``None`` (keep) if any keeps for ever or there is none."""
    found = list(rules)
    if not found or any(r.months is None and r.years is None for r in found):
        return None
    return max(found, key=lambda r: r.months if r.months is not None else 12 * (r.years or 0))


def _rule(kind: ScanKind, slugs: set[str | None], decls: dict[str, Declaration]) -> Rule | None:
    """The rule a scan of ``kind`` read for ``slugs`` follows; ``None``: kept."""
    known = [decls[s] for s in slugs if s is not None and s in decls]
    complete = bool(known) and len(known) == len(slugs)
    if kind is ScanKind.APPROVED:  # an approval's declaration is known; if not, keep
        if not complete:
            return None
        return _longest(Rule(kind, years=d.retention_approved_years) for d in known)
    if kind is ScanKind.REJECTED and complete:
        return _longest(Rule(kind, months=d.retention_rejected_months) for d in known)
    # unread, or rejected with no (or an unknown) declaration read: the most careful rule
    return _longest(Rule(kind, months=d.retention_rejected_months) for d in decls.values())


def _classify(sub: Submission) -> tuple[ScanKind, set[str | None], dt.datetime | None] | None:
    """The scan's kind, its declarations and its latest decision; ``None``: in work."""
    if sub.status in _IN_QUEUE:
        return None
    proposals: list[Proposal] = list(sub.proposals)
    if any(p.status == ProposalStatus.PROPOSED for p in proposals):
        return None
    approved = [p for p in proposals if p.status == ProposalStatus.APPROVED]
    if approved:
        decided = max((p.decided_at for p in approved if p.decided_at), default=None)
        return ScanKind.APPROVED, {p.declaration_slug for p in approved}, decided
    if proposals and all(p.status in _DONE_WITH for p in proposals):
        decided = max((p.decided_at for p in proposals if p.decided_at), default=None)
        return ScanKind.REJECTED, {p.declaration_slug for p in proposals}, decided
    return ScanKind.UNREAD, set(), None


def plan_retention(*, session: Session, now: dt.datetime) -> RetentionPlan:
    """The scans past their time now (nothing is changed)."""
    decls = {d.slug: d for d in session.scalars(select(Declaration))}
    last_arrival = dict(
        session.execute(
            select(
                SubmissionArrival.submission_id, func.max(SubmissionArrival.arrived_at)
            ).group_by(SubmissionArrival.submission_id)
        ).all()
    )
    stmt = (
        select(Submission)
        .where(Submission.scan_deleted_at.is_(None))
        .options(selectinload(Submission.proposals), selectinload(Submission.arrivals))
        .order_by(Submission.id)
    )
    due: list[DueScan] = []
    kept = 0
    for sub in session.scalars(stmt):
        found = _classify(sub)
        rule = None if found is None else _rule(found[0], found[1], decls)
        if found is None or rule is None:
            kept += 1
            continue
        kind, slugs, decided = found
        times = [sub.received_at, sub.processed_at, decided, last_arrival.get(sub.id)]
        since = max(t for t in times if t is not None)
        deletes_at = rule.until(since)
        if deletes_at > now:
            kept += 1
            continue
        names = dict.fromkeys([sub.file_name, *(a.file_name for a in sub.arrivals)])
        due.append(
            DueScan(
                submission_id=sub.id,
                sha256=sub.sha256,
                file_names=tuple(names),
                status=sub.status,
                kind=kind,
                declarations=tuple(sorted(s for s in slugs if s is not None)),
                rule=rule,
                since=since,
                deletes_at=deletes_at,
            )
        )
    return RetentionPlan(now=now, due=tuple(due), kept=kept)


def apply_retention(*, session: Session, now: dt.datetime, actor: str) -> RetentionPlan:
    """Mark every scan past its time deleted, one audit event each (its sha256, kind,
    rule and dates; no name); returns what was due. Delete the files after the commit."""
    plan = plan_retention(session=session, now=now)
    for item in plan.due:
        sub = session.get(Submission, item.submission_id, with_for_update=True)
        if sub is None or sub.scan_deleted_at is not None:  # another run got there first
            continue
        sub.scan_deleted_at, sub.scan_deleted_reason = now, RETENTION_REASON
        after = {
            **item.to_dict(),
            "scan_deleted_at": now.isoformat(),
            "scan_deleted_reason": RETENTION_REASON,
        }
        record_event(
            session=session,
            actor=actor,
            action=RETENTION_ACTION,
            entity="submission",
            entity_id=sub.id,
            before={"scan_deleted_at": None},
            after=after,
            now=now,
        )
    return plan


def deleted_scans(*, session: Session) -> list[ScanFile]:
    """Every scan the database says is deleted (by erasure or retention): the files to
    make sure are gone (a crash after a commit, or the same file received again)."""
    stmt = (
        select(Submission)
        .where(Submission.scan_deleted_at.is_not(None))
        .options(selectinload(Submission.arrivals))
        .order_by(Submission.id)
    )
    out = []
    for sub in session.scalars(stmt):
        names = dict.fromkeys([sub.file_name, *(a.file_name for a in sub.arrivals)])
        out.append(ScanFile(sub.id, sub.sha256, tuple(names)))
    return out
