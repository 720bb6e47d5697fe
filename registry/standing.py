"""A membership's public standing: withdraw it, mark its follow-up lapsed, reinstate it.

    active ──withdraw──► withdrawn ──reinstate──► active
      │                     ▲
      └──lapse──► lapsed ───┘ (withdraw)   lapsed ──reinstate──► active

The row stays in the register, with ``status``, ``status_since`` (the day it took
effect) and ``status_reason``: the public list shows a withdrawn or lapsed
organisation as such, with the date, where asked (``?status=``), and never as
active. Only a membership in the register (``active``) has a standing; an undone
approval has none. Each change is one AuditEvent with before and after; services
never commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from registry.audit import record_event
from registry.errors import InvalidTransition, NotFound, ValidationError
from registry.models import Declaration, Organisation, Signatory, SignatoryStatus
from registry.reviewers import Scope
from registry.signatories import StatusFilter, snapshot

_FROM = {
    SignatoryStatus.WITHDRAWN: (SignatoryStatus.ACTIVE, SignatoryStatus.LAPSED),
    SignatoryStatus.LAPSED: (SignatoryStatus.ACTIVE,),
    SignatoryStatus.ACTIVE: (SignatoryStatus.WITHDRAWN, SignatoryStatus.LAPSED),
}
_ACTION = {
    SignatoryStatus.WITHDRAWN: "signatory.withdraw",
    SignatoryStatus.LAPSED: "signatory.lapse",
    SignatoryStatus.ACTIVE: "signatory.reinstate",
}


def get_member(*, session: Session, signatory_id: int) -> Signatory:
    """A membership in the register (locked for the change), else :class:`NotFound`."""
    member = session.scalar(
        select(Signatory)
        .where(Signatory.id == signatory_id, Signatory.active.is_(True))
        .with_for_update()
    )
    if member is None:
        raise NotFound("signatory", signatory_id)
    return member


def standing_snapshot(member: Signatory) -> dict[str, Any]:
    """The membership as the audit trail keeps it, with its standing."""
    return {
        **snapshot(member),
        "status": member.status,
        "status_since": member.status_since.isoformat() if member.status_since else None,
        "status_reason": member.status_reason,
    }


def effective_date(member: Signatory, on: dt.date, *, today: dt.date) -> dt.date:
    """``on`` if it is a day the change can have taken effect: not in the future (a day
    of slack: ``today`` is UTC's, Sweden's day may have begun), not before the
    declaration was signed."""
    if on > today + dt.timedelta(days=1):
        raise ValidationError(f"{on.isoformat()} is in the future", field="date")
    if on < member.signed_date:
        raise ValidationError(
            f"{on.isoformat()} is before the declaration was signed "
            f"({member.signed_date.isoformat()})",
            field="date",
        )
    return on


def _change(
    *,
    session: Session,
    signatory_id: int,
    to: SignatoryStatus,
    actor: str,
    on: dt.date,
    reason: str | None,
    now: dt.datetime,
) -> Signatory:
    member = get_member(session=session, signatory_id=signatory_id)
    if member.status not in _FROM[to]:
        raise InvalidTransition("signatory", signatory_id, member.status, to)
    since = effective_date(member, on, today=now.date())
    before = standing_snapshot(member)
    member.status, member.status_since = to, since
    member.status_reason = reason.strip() if reason and reason.strip() else None
    record_event(
        session=session,
        actor=actor,
        action=_ACTION[to],
        entity="signatory",
        entity_id=member.id,
        before=before,
        after=standing_snapshot(member),
        now=now,
    )
    return member


def withdraw_signatory(
    *,
    session: Session,
    signatory_id: int,
    actor: str,
    reason: str,
    on: dt.date,
    now: dt.datetime,
) -> Signatory:
    """The organisation left the declaration (or staff withdrew it) on ``on``."""
    if not reason or not reason.strip():
        raise ValidationError("a withdrawal needs a reason", field="reason")
    return _change(
        session=session,
        signatory_id=signatory_id,
        to=SignatoryStatus.WITHDRAWN,
        actor=actor,
        on=on,
        reason=reason,
        now=now,
    )


def mark_lapsed(
    *,
    session: Session,
    signatory_id: int,
    actor: str,
    on: dt.date,
    reason: str | None = None,
    now: dt.datetime,
) -> Signatory:
    """The follow-up was not answered: the membership lapsed on ``on``."""
    return _change(
        session=session,
        signatory_id=signatory_id,
        to=SignatoryStatus.LAPSED,
        actor=actor,
        on=on,
        reason=reason or "follow-up not answered",
        now=now,
    )


def reinstate_signatory(
    *,
    session: Session,
    signatory_id: int,
    actor: str,
    reason: str | None = None,
    now: dt.datetime,
) -> Signatory:
    """Back in the active list from today (a withdrawal or lapse made in error, or the
    organisation took it up again)."""
    return _change(
        session=session,
        signatory_id=signatory_id,
        to=SignatoryStatus.ACTIVE,
        actor=actor,
        on=now.date(),
        reason=reason,
        now=now,
    )


STATUS_CHOICES = tuple(StatusFilter)  # active, withdrawn, lapsed, all: as the public list


def members_in_scope(
    scope: Scope,
    *columns: Any,
    declaration: str | None = None,
    county: str | None = None,
) -> Select[Any]:
    """Memberships in the register (not undone) within ``scope``, joined to their
    organisation and declaration, selecting ``columns`` (the rows by default); narrowed
    to one declaration (slug) and one county (any case) when given."""
    stmt = (
        select(*(columns or (Signatory,)))
        .join(Organisation, Signatory.organisation_id == Organisation.id)
        .join(Declaration, Signatory.declaration_id == Declaration.id)
        .where(Signatory.active.is_(True), scope.where(Organisation.county, Declaration.slug))
    )
    if declaration:
        stmt = stmt.where(Declaration.slug == declaration)
    if county:
        stmt = stmt.where(func.lower(Organisation.county) == county.strip().lower())
    return stmt


def register_entries(
    *,
    session: Session,
    scope: Scope,
    q: str | None = None,
    declaration: str | None = None,
    county: str | None = None,
    status: str = StatusFilter.ACTIVE,
    page: int = 1,
    page_size: int = 100,
) -> tuple[list[Signatory], int]:
    """Memberships in the register as reviewers see them (with their signers), in
    ``scope``, by organisation name; (one page, total). ``status`` is one of
    :data:`STATUS_CHOICES`."""
    if status not in STATUS_CHOICES:
        raise ValidationError(f"status must be one of {', '.join(STATUS_CHOICES)}", field="status")
    stmt = members_in_scope(scope, declaration=declaration, county=county)
    if status != StatusFilter.ALL:
        stmt = stmt.where(Signatory.status == status)
    if q and q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Organisation.name).like(like),
                Organisation.organisation_number.like(like),
                func.lower(Signatory.signer_name).like(like),
                func.lower(Signatory.signer_email).like(like),
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = (
        stmt.options(joinedload(Signatory.organisation), joinedload(Signatory.declaration))
        .order_by(func.lower(Organisation.name), Declaration.slug, Signatory.id)
        .offset((max(page, 1) - 1) * page_size)
        .limit(page_size)
    )
    return list(session.scalars(stmt)), int(total)
