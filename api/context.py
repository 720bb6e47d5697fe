"""What the web app holds for its lifetime: plain settings values, the registry, the
languages. Built once by ``create_app`` and kept on ``app.state.ctx``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from api.i18n import I18n
from registry.bootstrap import Registry
from registry.websessions import RateLimit


@dataclass(frozen=True)
class WebConfig:
    """The settings the web needs, read once at the entry point."""

    data_dir: Path
    inbox: Path
    archive_dir: Path
    quarantine_dir: Path
    cache_dir: Path
    secret: bytes
    cookie_secure: bool
    session_lifetime: dt.timedelta
    rate_limit: RateLimit
    upload_max_bytes: int
    default_locale: str
    public_max_age: int
    public_url: str


@dataclass(frozen=True)
class WebContext:
    config: WebConfig
    registry: Registry
    read_sessions: sessionmaker[Session]
    i18n: I18n

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.registry.sessions
