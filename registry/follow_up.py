"""The follow-up every second year: who is due, who is overdue, and recording one done.

Each membership's ``follow_up_due`` is its signed date plus the declaration's
``follow_up_years``; a follow-up done on a day moves it on by the same interval from
that day (:func:`mark_followed_up`, audited). Only memberships in the register and in
good standing (``active``) are followed up: a withdrawn or lapsed one is not due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func
from sqlalchemy.orm import Session, joinedload

from registry.audit import record_event
from registry.errors import InvalidTransition
from registry.models import Organisation, Signatory, SignatoryStatus
from registry.reviewers import Scope
from registry.signatories import add_years
from registry.standing import effective_date, get_member, members_in_scope, standing_snapshot
from registry.stats import add_months

EVERYTHING = Scope()


def _in_good_standing(
    scope: Scope = EVERYTHING, *, declaration: str | None = None, county: str | None = None
) -> Select[Any]:
    return (
        members_in_scope(scope, declaration=declaration, county=county)
        .where(Signatory.status == SignatoryStatus.ACTIVE)
        .options(joinedload(Signatory.organisation), joinedload(Signatory.declaration))
    )


def due_for_follow_up(*, session: Session, on: dt.date) -> list[Signatory]:
    """Memberships in good standing whose follow-up is due on or before ``on``,
    soonest first (``signreg follow-up``)."""
    stmt = _in_good_standing().where(Signatory.follow_up_due <= on)
    return list(session.scalars(stmt.order_by(Signatory.follow_up_due, Signatory.id)))


@dataclass(frozen=True, slots=True)
class FollowUps:
    """The follow-ups of a day: overdue (due before ``today``) and due within the
    coming months (``today`` up to and including ``until``), soonest first."""

    today: dt.date
    until: dt.date
    overdue: list[Signatory]
    due: list[Signatory]


def follow_ups(
    *,
    session: Session,
    today: dt.date,
    months: int,
    scope: Scope = EVERYTHING,
    declaration: str | None = None,
    county: str | None = None,
) -> FollowUps:
    until = add_months(today, months)
    stmt = _in_good_standing(scope, declaration=declaration, county=county)
    stmt = stmt.where(Signatory.follow_up_due <= until).order_by(
        Signatory.follow_up_due, func.lower(Organisation.name), Signatory.id
    )
    rows = list(session.scalars(stmt))
    return FollowUps(
        today=today,
        until=until,
        overdue=[r for r in rows if r.follow_up_due < today],
        due=[r for r in rows if r.follow_up_due >= today],
    )


def mark_followed_up(
    *, session: Session, signatory_id: int, actor: str, on: dt.date, now: dt.datetime
) -> Signatory:
    """The follow-up was done on ``on``: the next is due the declaration's interval on."""
    member = get_member(session=session, signatory_id=signatory_id)
    if member.status != SignatoryStatus.ACTIVE:
        raise InvalidTransition("signatory", signatory_id, member.status, "followed up")
    done = effective_date(member, on, today=now.date())
    before = standing_snapshot(member)
    member.follow_up_due = add_years(done, member.declaration.follow_up_years)
    record_event(
        session=session,
        actor=actor,
        action="signatory.followed_up",
        entity="signatory",
        entity_id=member.id,
        before=before,
        after={**standing_snapshot(member), "followed_up_on": done.isoformat()},
        now=now,
    )
    return member
