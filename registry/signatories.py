"""Signatories (verified memberships): dates, snapshots for the audit trail, the public list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from registry.models import Declaration, Organisation, Signatory


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus ``years`` calendar years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


_SNAPSHOT_FIELDS = (
    "signed_date",
    "signer_name",
    "signer_title",
    "signer_email",
    "verified_by",
    "verified_at",
    "follow_up_due",
    "source",
    "proposal_id",
    "active",
)


def snapshot(member: Signatory) -> dict[str, Any]:
    out: dict[str, Any] = {"id": member.id}
    for name in _SNAPSHOT_FIELDS:
        value = getattr(member, name)
        out[name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def restore_snapshot(member: Signatory, snap: dict[str, Any]) -> None:
    for name in _SNAPSHOT_FIELDS:
        value = snap[name]
        if name in ("signed_date", "follow_up_due"):
            value = dt.date.fromisoformat(value)
        elif name == "verified_at":
            value = dt.datetime.fromisoformat(value)
        setattr(member, name, value)


def public_query(
    *, declaration: str | None = None, county: str | None = None, q: str | None = None
) -> Select[Any]:
    stmt = (
        select(Signatory)
        .join(Organisation, Signatory.organisation_id == Organisation.id)
        .join(Declaration, Signatory.declaration_id == Declaration.id)
        .where(Signatory.active.is_(True))
    )
    if declaration:
        stmt = stmt.where(Declaration.slug == declaration)
    if county:
        stmt = stmt.where(func.lower(Organisation.county) == county.strip().lower())
    if q and q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Organisation.name).like(like),
                Organisation.organisation_number.like(like),
            )
        )
    return stmt


def public_signatories(
    *,
    session: Session,
    declaration: str | None = None,
    county: str | None = None,
    q: str | None = None,
    page: int = 1,
    page_size: int | None = None,
) -> tuple[list[Signatory], int]:
    """Verified memberships, ordered by organisation name; (page of rows, total)."""
    stmt = public_query(declaration=declaration, county=county, q=q)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(func.lower(Organisation.name), Signatory.id)
    if page_size:
        stmt = stmt.offset((max(page, 1) - 1) * page_size).limit(page_size)
    return list(session.scalars(stmt)), int(total)
