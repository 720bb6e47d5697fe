"""Reviewers: accounts with argon2-hashed passwords."""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit import record_event
from registry.errors import Conflict, ValidationError
from registry.models import Reviewer

_hasher = PasswordHasher()
MIN_PASSWORD = 8


def create_reviewer(
    *,
    session: Session,
    username: str,
    password: str,
    display_name: str | None = None,
    actor: str = "system",
    now: dt.datetime,
) -> Reviewer:
    username = username.strip()
    if not username:
        raise ValidationError("a reviewer needs a user name", field="username")
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"a password needs at least {MIN_PASSWORD} characters", field="password"
        )
    if session.scalar(select(Reviewer).where(Reviewer.username == username)) is not None:
        raise Conflict(f"reviewer {username} exists already")
    row = Reviewer(
        username=username,
        password_hash=_hasher.hash(password),
        display_name=display_name or username,
        active=True,
        created_at=now,
    )
    session.add(row)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        action="reviewer.create",
        entity="reviewer",
        entity_id=row.id,
        after={"username": username, "display_name": row.display_name},
        now=now,
    )
    return row


def authenticate(*, session: Session, username: str, password: str) -> Reviewer | None:
    """The active reviewer with this name and password, else None (re-hashes old hashes)."""
    row = session.scalar(select(Reviewer).where(Reviewer.username == username.strip()))
    if row is None or not row.active:
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    return row
