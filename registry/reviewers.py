"""Reviewers: accounts (argon2-hashed passwords), roles, and what each may see.

A reviewer may be limited to counties and to declarations (scans from Västerbotten go
to one contact, from Norrbotten to another); an empty list means all. Admins see
everything and manage accounts. :class:`Scope` is the one place that decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from registry.audit import record_event
from registry.errors import Conflict, NotFound, ValidationError
from registry.models import Reviewer, Role
from registry.websessions import end_sessions_of

_hasher = PasswordHasher()
MIN_PASSWORD = 8
LOCALES = ("sv", "en")


@dataclass(frozen=True, slots=True)
class Scope:
    """What one reviewer may see and decide: counties and declarations (empty: all)."""

    counties: frozenset[str] = frozenset()
    declarations: frozenset[str] = frozenset()

    @classmethod
    def of(cls, reviewer: Reviewer) -> Scope:
        if reviewer.role == Role.ADMIN:
            return cls()
        return cls(
            counties=frozenset(c.lower() for c in reviewer.counties or ()),
            declarations=frozenset(reviewer.declarations or ()),
        )

    @property
    def everything(self) -> bool:
        return not self.counties and not self.declarations

    def allows(self, *, county: str | None, declaration: str | None) -> bool:
        return self.allows_county(county) and self.allows_declaration(declaration)

    def allows_county(self, county: str | None) -> bool:
        return not self.counties or (county or "").strip().lower() in self.counties

    def allows_declaration(self, declaration: str | None) -> bool:
        return not self.declarations or declaration in self.declarations

    def where(self, county: Any, declaration: Any) -> ColumnElement[bool]:
        """The same rule as a SQL condition on two columns."""
        conditions: list[ColumnElement[bool]] = [true()]
        if self.counties:
            conditions.append(func.lower(county).in_(sorted(self.counties)))
        if self.declarations:
            conditions.append(declaration.in_(sorted(self.declarations)))
        return and_(*conditions)


def _snapshot(row: Reviewer) -> dict[str, Any]:
    return {
        "username": row.username,
        "display_name": row.display_name,
        "role": row.role,
        "counties": list(row.counties or []),
        "declarations": list(row.declarations or []),
        "active": row.active,
        "locale": row.locale,
        "email": row.email,
    }


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"a password needs at least {MIN_PASSWORD} characters", field="password"
        )


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError(
            f"no role {role!r}; roles: {', '.join(r.value for r in Role)}", field="role"
        ) from None


def _check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise ValidationError(f"no language {locale!r}", field="locale")
    return locale


def _clean(values: Iterable[str] | None) -> list[str]:
    return sorted({v.strip() for v in values or () if v and v.strip()})


def create_reviewer(
    *,
    session: Session,
    username: str,
    password: str,
    display_name: str | None = None,
    role: str = Role.REVIEWER,
    counties: Iterable[str] | None = None,
    declarations: Iterable[str] | None = None,
    email: str | None = None,
    locale: str = "sv",
    actor: str = "system",
    now: dt.datetime,
) -> Reviewer:
    username = username.strip()
    if not username:
        raise ValidationError("a reviewer needs a user name", field="username")
    _check_password(password)
    checked_role = _check_role(role)
    _check_locale(locale)
    taken = session.scalar(
        select(Reviewer).where(func.lower(Reviewer.username) == username.lower())
    )
    if taken is not None:
        raise Conflict(f"reviewer {username} exists already")
    row = Reviewer(
        username=username,
        password_hash=_hasher.hash(password),
        display_name=(display_name or "").strip() or username,
        active=True,
        created_at=now,
        role=checked_role,
        counties=_clean(counties),
        declarations=_clean(declarations),
        email=(email or "").strip() or None,
        locale=locale,
    )
    session.add(row)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        action="reviewer.create",
        entity="reviewer",
        entity_id=row.id,
        after=_snapshot(row),
        now=now,
    )
    return row


def get_reviewer(*, session: Session, reviewer_id: int) -> Reviewer:
    row = session.get(Reviewer, reviewer_id)
    if row is None:
        raise NotFound("reviewer", reviewer_id)
    return row


def list_reviewers(*, session: Session) -> list[Reviewer]:
    return list(session.scalars(select(Reviewer).order_by(func.lower(Reviewer.username))))


def update_reviewer(
    *,
    session: Session,
    reviewer_id: int,
    actor: str,
    now: dt.datetime,
    display_name: str | None = None,
    role: str | None = None,
    counties: Iterable[str] | None = None,
    declarations: Iterable[str] | None = None,
    active: bool | None = None,
    locale: str | None = None,
    email: str | None = None,
    password: str | None = None,
) -> Reviewer:
    """Change an account; ``None`` leaves a value as it is. Deactivating or a new
    password signs the reviewer out everywhere. The last active admin stays one."""
    row = get_reviewer(session=session, reviewer_id=reviewer_id)
    before = _snapshot(row)
    if display_name is not None and display_name.strip():
        row.display_name = display_name.strip()
    if role is not None:
        row.role = _check_role(role)
    if counties is not None:
        row.counties = _clean(counties)
    if declarations is not None:
        row.declarations = _clean(declarations)
    if locale is not None:
        row.locale = _check_locale(locale)
    if email is not None:
        row.email = email.strip() or None
    if active is not None:
        row.active = active
    if (
        before["role"] == Role.ADMIN
        and before["active"]
        and not (row.role == Role.ADMIN and row.active)
    ):
        others = session.scalar(
            select(func.count())
            .select_from(Reviewer)
            .where(Reviewer.role == Role.ADMIN, Reviewer.active.is_(True), Reviewer.id != row.id)
        )
        if not others:
            raise Conflict("the last active admin cannot lose the role or be deactivated")
    changed_password = False
    if password:
        _check_password(password)
        row.password_hash = _hasher.hash(password)
        changed_password = True
    if changed_password or (active is False):
        end_sessions_of(session=session, reviewer_id=row.id)
    after = _snapshot(row)
    if after != before or changed_password:
        record_event(
            session=session,
            actor=actor,
            action="reviewer.update",
            entity="reviewer",
            entity_id=row.id,
            before=before,
            after={**after, "password_changed": changed_password},
            now=now,
        )
    return row


def authenticate(*, session: Session, username: str, password: str) -> Reviewer | None:
    """The active reviewer with this name and password, else None (re-hashes old hashes).
    An unknown name costs a hash too, so timing does not tell which names exist."""
    row = session.scalar(
        select(Reviewer).where(func.lower(Reviewer.username) == username.strip().lower())
    )
    if row is None or not row.active:
        _hasher.hash(password or "-")
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    return row
