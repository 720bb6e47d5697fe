"""Declarations: one row per form profile, kept in step with ``ocr/profiles``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import NotFound
from registry.models import Declaration
from registry.retention import DEFAULT_APPROVED_YEARS, DEFAULT_REJECTED_MONTHS
from registry.reviewers import Scope

DEFAULT_FOLLOW_UP_YEARS = 2


class ProfileLike(Protocol):
    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def follow_up_years(self) -> int: ...


def ensure_declarations(*, session: Session, profiles: Iterable[ProfileLike]) -> list[Declaration]:
    """A Declaration for every profile (title and interval updated from the profile); a
    new one gets the default retention rules (``registry.retention``)."""
    rows = []
    for profile in profiles:
        row = session.scalar(select(Declaration).where(Declaration.slug == profile.slug))
        if row is None:
            row = Declaration(
                slug=profile.slug,
                profile=profile.slug,
                title=profile.title,
                retention_rejected_months=DEFAULT_REJECTED_MONTHS,
                retention_approved_years=DEFAULT_APPROVED_YEARS,
            )
            session.add(row)
        row.title = profile.title
        row.follow_up_years = profile.follow_up_years or DEFAULT_FOLLOW_UP_YEARS
        rows.append(row)
    session.flush()
    return rows


def get_declaration(*, session: Session, slug: str) -> Declaration:
    row = session.scalar(select(Declaration).where(Declaration.slug == slug))
    if row is None:
        raise NotFound("declaration", slug)
    return row


def declarations_in(*, session: Session, scope: Scope | None = None) -> list[Declaration]:
    """The declarations a reviewer's ``scope`` takes in (every one without it), by title."""
    stmt = select(Declaration).order_by(Declaration.title)
    if scope is not None and scope.declarations:
        stmt = stmt.where(Declaration.slug.in_(sorted(scope.declarations)))
    return list(session.scalars(stmt))
