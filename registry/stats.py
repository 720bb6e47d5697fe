"""The overview's numbers, each within one reviewer's scope.

- verified signatories (in the register, standing ``active``) per declaration and per
  county;
- memberships in the register signed per month over the last N months (by the date
  signed: an imported list lands in the months its organisations signed, not on the day
  of the import; a renewal counts in the month of its new signature);
- the queue: proposals waiting for a reviewer, by how long they have waited (from when
  the proposal was made), and the oldest;
- follow-ups of active memberships: overdue, and due within 3, 3–6 and 6–12 months.

A reviewer limited to counties or declarations sees only theirs (``Scope.where``); an
admin's scope is everything. Each function is one or two aggregate queries, so the page
costs the same with ten signatories or ten thousand.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Label, Select, case, func, select
from sqlalchemy.orm import Session

from registry.declarations import declarations_in
from registry.models import (
    Declaration,
    Organisation,
    Proposal,
    ProposalStatus,
    Signatory,
    SignatoryStatus,
)
from registry.reviewers import Scope
from registry.standing import members_in_scope

QUEUE_BUCKETS = ("under_1_day", "1_to_7_days", "7_to_30_days", "over_30_days")
FOLLOW_UP_BUCKETS = ("overdue", "within_3_months", "3_to_6_months", "6_to_12_months")


@dataclass(frozen=True, slots=True)
class DeclarationCount:
    slug: str
    title: str
    count: int


@dataclass(frozen=True, slots=True)
class QueueAge:
    waiting: int
    buckets: dict[str, int]  # QUEUE_BUCKETS → proposals
    oldest: dt.datetime | None  # when the longest-waiting proposal was made


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first_of_next = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last = (first_of_next - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(day.day, last))


def _verified(scope: Scope) -> Select[Any]:
    """Active memberships in scope, joined to their organisation and declaration."""
    return members_in_scope(scope, Signatory.id).where(Signatory.status == SignatoryStatus.ACTIVE)


def per_declaration(*, session: Session, scope: Scope) -> list[DeclarationCount]:
    """Every declaration in scope (none left out for having no signatory), by title."""
    counted = _verified(scope).with_only_columns(Declaration.id, func.count(Signatory.id))
    counts = dict(session.execute(counted.group_by(Declaration.id)).all())
    declarations = declarations_in(session=session, scope=scope)
    return [DeclarationCount(d.slug, d.title, counts.get(d.id, 0)) for d in declarations]


def per_county(*, session: Session, scope: Scope) -> list[tuple[str | None, int]]:
    """(county, count), most first; spellings that differ only in case are one county
    (shown as its most common spelling); ``None`` for organisations with no county."""
    stmt = _verified(scope).with_only_columns(Organisation.county, func.count(Signatory.id))
    totals: Counter[str | None] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for county, n in session.execute(stmt.group_by(Organisation.county)):
        spelt = (county or "").strip()
        key = spelt.casefold() or None
        totals[key] += n
        if key is not None:
            spellings.setdefault(key, Counter())[spelt] += n
    named = {k: (max(spellings[k].items(), key=_commonest)[0] if k else None) for k in totals}
    return sorted(
        ((named[k], n) for k, n in totals.items()),
        key=lambda kv: (-kv[1], kv[0] is None, (kv[0] or "").casefold()),
    )


def _commonest(item: tuple[str, int]) -> tuple[int, str]:
    return item[1], item[
        0
    ]  # a tie goes to the spelling that sorts last ('Norrbotten' > 'NORRBOTTEN')


def per_month(
    *, session: Session, scope: Scope, today: dt.date, months: int = 24
) -> list[tuple[str, int]]:
    """(``YYYY-MM``, memberships signed that month) for the last ``months`` months up to
    and including ``today``'s, oldest first, every month present."""
    start = add_months(today.replace(day=1), -(months - 1))
    stmt = (
        members_in_scope(scope, Signatory.signed_date, func.count(Signatory.id))
        .where(Signatory.signed_date >= start, Signatory.signed_date <= today)
        .group_by(Signatory.signed_date)
    )
    by_month: Counter[str] = Counter()
    for day, n in session.execute(stmt):
        by_month[f"{day:%Y-%m}"] += n
    keys = [f"{add_months(start, i):%Y-%m}" for i in range(months)]
    return [(k, by_month[k]) for k in keys]


def _bucket_sums(conditions: Mapping[str, ColumnElement[bool]]) -> list[Label[Any]]:
    return [
        func.coalesce(func.sum(case((c, 1), else_=0)), 0).label(k) for k, c in conditions.items()
    ]


def queue_age(*, session: Session, scope: Scope, now: dt.datetime) -> QueueAge:
    made = Proposal.created_at
    day, week, month = (now - dt.timedelta(days=d) for d in (1, 7, 30))
    conditions = {
        "under_1_day": made > day,
        "1_to_7_days": (made <= day) & (made > week),
        "7_to_30_days": (made <= week) & (made > month),
        "over_30_days": made <= month,
    }
    stmt = select(func.count(Proposal.id), func.min(made), *_bucket_sums(conditions)).where(
        Proposal.status == ProposalStatus.PROPOSED,
        scope.where(Proposal.county, Proposal.declaration_slug),
    )
    row = session.execute(stmt).one()
    waiting, oldest, *sums = row
    return QueueAge(
        waiting=int(waiting),
        buckets=dict(zip(QUEUE_BUCKETS, map(int, sums), strict=True)),
        oldest=oldest,
    )


def follow_ups(*, session: Session, scope: Scope, today: dt.date) -> dict[str, int]:
    """Active memberships by when their follow-up falls due (FOLLOW_UP_BUCKETS); one due
    today is within 3 months, not overdue."""
    due = Signatory.follow_up_due
    three, six, twelve = (add_months(today, m) for m in (3, 6, 12))
    conditions = {
        "overdue": due < today,
        "within_3_months": (due >= today) & (due < three),
        "3_to_6_months": (due >= three) & (due < six),
        "6_to_12_months": (due >= six) & (due < twelve),
    }
    stmt = _verified(scope).with_only_columns(*_bucket_sums(conditions))
    row = session.execute(stmt).one()
    return dict(zip(FOLLOW_UP_BUCKETS, map(int, row), strict=True))
