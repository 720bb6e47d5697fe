"""The reviewers' queue as queries: filters, counts per filter value, pages, next and
previous, and the earlier approved scan of a renewal.

Every query is limited to what the reviewer may see (``Scope.where`` in SQL), so a
reviewer limited to Norrbotten neither lists nor counts a Västerbotten proposal.

Order: newest first, by id. Ids are given in the order proposals are recorded (one
sequence per database), which is the order of ``created_at``; ordering by the primary
key lets ``status = ? AND id < ? ORDER BY id DESC LIMIT 1`` (the next proposal) be a
seek in the ``ix_proposal_status`` index (whose entries end with the row id on SQLite)
or a backward walk of the primary key (PostgreSQL), never a sort of the whole queue.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, case, cast, func, select
from sqlalchemy.orm import Session, selectinload

from registry.flags import matched_candidate
from registry.matching import Candidate
from registry.models import Proposal, ProposalStatus
from registry.reviewers import Scope

NO_COUNTY = "-"  # the filter value for proposals whose county was not read
AGE_DAYS = (1, 7, 14, 30)  # "older than N days" choices offered with their counts
STATUSES = tuple(s.value for s in ProposalStatus)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the reviewer narrowed the queue to; ``None`` everywhere means everything
    (``status`` None: every status)."""

    status: str | None = ProposalStatus.PROPOSED
    declaration: str | None = None
    county: str | None = None  # NO_COUNTY: proposals without a county
    flag: str | None = None
    older_than_days: int | None = None

    def conditions(
        self, scope: Scope, now: dt.datetime, *, without: str | None = None
    ) -> list[ColumnElement[bool]]:
        """The SQL conditions, the scope's first; ``without`` leaves one filter out (to
        count the values of that filter)."""
        out: list[ColumnElement[bool]] = [scope.where(Proposal.county, Proposal.declaration_slug)]
        if self.status and without != "status":
            out.append(Proposal.status == self.status)
        if self.declaration and without != "declaration":
            out.append(Proposal.declaration_slug == self.declaration)
        if self.county and without != "county":
            out.append(
                Proposal.county.is_(None)
                if self.county == NO_COUNTY
                else func.lower(Proposal.county) == self.county.lower()
            )
        if self.flag and without != "flag":
            out.append(has_flag(self.flag))
        if self.older_than_days is not None and without != "age":
            out.append(Proposal.created_at < now - dt.timedelta(days=self.older_than_days))
        return out


def has_flag(flag: str) -> ColumnElement[bool]:
    """``flag`` is one of the proposal's flags: the JSON list's text holds it quoted
    (the same on SQLite and PostgreSQL; LIKE's wildcards in the code escaped)."""
    literal = flag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(Proposal.flags, String).like(f'%"{literal}"%', escape="\\")


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[Proposal]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True, slots=True)
class Facets:
    """How many proposals each filter value would show, the other filters kept."""

    status: dict[str, int]
    declaration: dict[str | None, int]
    county: dict[str | None, int]
    flag: dict[str, int]
    older_than: dict[int, int]


def list_queue(
    *,
    session: Session,
    scope: Scope,
    filters: QueueFilter,
    now: dt.datetime,
    page: int = 1,
    page_size: int = 50,
    with_submission: bool = False,
) -> QueuePage:
    """One page of the filtered queue, newest first (``with_submission``: each row's
    submission loaded alongside, in one more query)."""
    conditions = filters.conditions(scope, now)
    total = session.scalar(select(func.count()).select_from(Proposal).where(*conditions)) or 0
    page = max(1, page)
    stmt = (
        select(Proposal)
        .where(*conditions)
        .order_by(Proposal.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    if with_submission:
        stmt = stmt.options(selectinload(Proposal.submission))
    return QueuePage(list(session.scalars(stmt)), int(total), page, page_size)


def facet_counts(
    *, session: Session, scope: Scope, filters: QueueFilter, now: dt.datetime
) -> Facets:
    def grouped(column: Any, facet: str) -> dict[Any, int]:
        stmt = (
            select(column, func.count())
            .where(*filters.conditions(scope, now, without=facet))
            .group_by(column)
        )
        return {value: int(n) for value, n in session.execute(stmt)}

    flags: Counter[str] = Counter()
    for row in session.scalars(
        select(Proposal.flags).where(*filters.conditions(scope, now, without="flag"))
    ):
        flags.update(set(row or ()))
    ages = [
        func.sum(case((Proposal.created_at < now - dt.timedelta(days=d), 1), else_=0))
        for d in AGE_DAYS
    ]
    aged = session.execute(select(*ages).where(*filters.conditions(scope, now, without="age")))
    older = dict(zip(AGE_DAYS, (int(n or 0) for n in aged.one()), strict=True))
    return Facets(
        status=grouped(Proposal.status, "status"),
        declaration=grouped(Proposal.declaration_slug, "declaration"),
        county=grouped(Proposal.county, "county"),
        flag=dict(sorted(flags.items())),
        older_than=older,
    )


def _first_id(session: Session, stmt: Select[int]) -> int | None:
    return session.scalar(stmt.limit(1))


def neighbours(
    *, session: Session, scope: Scope, filters: QueueFilter, proposal_id: int, now: dt.datetime
) -> tuple[int | None, int | None]:
    """The proposals before (newer) and after (older) this one in the filtered queue."""
    conditions = filters.conditions(scope, now)
    newer = _first_id(
        session,
        select(Proposal.id)
        .where(*conditions, Proposal.id > proposal_id)
        .order_by(Proposal.id.asc()),
    )
    older = _first_id(
        session,
        select(Proposal.id)
        .where(*conditions, Proposal.id < proposal_id)
        .order_by(Proposal.id.desc()),
    )
    return newer, older


def next_after(
    *, session: Session, scope: Scope, filters: QueueFilter, proposal_id: int, now: dt.datetime
) -> int | None:
    """Where a reviewer goes once a proposal is decided: the next older one in the
    filtered queue, else (the bottom reached) the newest one left; None when none is."""
    _newer, older = neighbours(
        session=session, scope=scope, filters=filters, proposal_id=proposal_id, now=now
    )
    if older is not None:
        return older
    return _first_id(
        session,
        select(Proposal.id)
        .where(*filters.conditions(scope, now), Proposal.id != proposal_id)
        .order_by(Proposal.id.desc()),
    )


def queue_size(*, session: Session, scope: Scope, filters: QueueFilter, now: dt.datetime) -> int:
    stmt = select(func.count()).select_from(Proposal).where(*filters.conditions(scope, now))
    return int(session.scalar(stmt) or 0)


def matched_organisation_id(proposal: Proposal) -> int | None:
    """The organisation this proposal is about: the one it was approved for, else the
    candidate taken to be it (number exact, or a name close enough)."""
    if proposal.organisation_id is not None:
        return proposal.organisation_id
    match = matched_candidate(Candidate(**c) for c in proposal.candidates or ())
    return None if match is None else match.organisation_id


def earlier_approval(*, session: Session, proposal: Proposal) -> Proposal | None:
    """For a renewal: the latest other approved proposal of the same organisation and
    declaration (its scan holds the signature to compare with)."""
    org_id = matched_organisation_id(proposal)
    if org_id is None:
        return None
    stmt = (
        select(Proposal)
        .where(
            Proposal.status == ProposalStatus.APPROVED,
            Proposal.organisation_id == org_id,
            Proposal.declaration_slug == proposal.declaration_slug,
            Proposal.id != proposal.id,
        )
        .order_by(Proposal.decided_at.desc(), Proposal.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)
