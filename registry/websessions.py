"""Signed-in browsers and the sign-in rate limit.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256,
so a leaked database copy signs nobody in. Each session has its own CSRF token, which
every form and every unsafe request must carry. Sign-in attempts are recorded, and a
user name or client address with too many failures in the window is refused before its
password is even checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from registry.models import LoginAttempt, Reviewer, WebSession


@dataclass(frozen=True, slots=True)
class RateLimit:
    max_failures: int = 5
    window_seconds: float = 900.0


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    *, session: Session, reviewer: Reviewer, now: dt.datetime, lifetime: dt.timedelta
) -> tuple[str, WebSession]:
    """A new session for ``reviewer``; the token (for the cookie) and its row."""
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=_hash(token),
        reviewer_id=reviewer.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return token, row


def find_session(*, session: Session, token: str | None, now: dt.datetime) -> WebSession | None:
    """The live session of this cookie token, its reviewer still active; else None."""
    if not token:
        return None
    row = session.scalar(
        select(WebSession)
        .options(joinedload(WebSession.reviewer))  # one query: every request asks for it
        .where(WebSession.token_hash == _hash(token))
    )
    if row is None or row.expires_at <= now or not row.reviewer.active:
        return None
    return row


def end_session(*, session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))


def end_sessions_of(*, session: Session, reviewer_id: int) -> None:
    """Sign a reviewer out everywhere (deactivated, password changed)."""
    session.execute(delete(WebSession).where(WebSession.reviewer_id == reviewer_id))


def too_many_failures(
    *, session: Session, username: str, client: str, now: dt.datetime, limit: RateLimit
) -> bool:
    since = now - dt.timedelta(seconds=limit.window_seconds)
    for column, key in (
        (LoginAttempt.username, username.strip().lower()),
        (LoginAttempt.client, client),
    ):
        failures = session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(column == key, LoginAttempt.at > since, LoginAttempt.success.is_(False))
        )
        if (failures or 0) >= limit.max_failures:
            return True
    return False


def record_attempt(
    *, session: Session, username: str, client: str, success: bool, now: dt.datetime
) -> None:
    session.add(
        LoginAttempt(
            at=now, username=username.strip().lower()[:100], client=client[:100], success=success
        )
    )


def prune(*, session: Session, now: dt.datetime, keep: dt.timedelta) -> None:
    """Forget expired sessions and attempts older than ``keep``."""
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - keep))
