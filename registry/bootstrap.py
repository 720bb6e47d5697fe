"""Open the registry at start-up: engine, migrations to head, declarations from profiles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ocr.profile import load_profiles
from registry.db import lock_for_startup, make_engine, make_sessionmaker, upgrade
from registry.declarations import ensure_declarations


@dataclass(frozen=True, slots=True)
class Registry:
    engine: Engine
    sessions: sessionmaker[Session]

    def close(self) -> None:
        self.engine.dispose()


def sync_declarations(sessions: sessionmaker[Session]) -> list[str]:
    """A Declaration row for every form profile shipped in ``ocr/profiles``; their slugs."""
    with sessions.begin() as session:
        lock_for_startup(session)
        return [d.slug for d in ensure_declarations(session=session, profiles=load_profiles())]


def open_registry(url: str, *, migrate: bool = True) -> Registry:
    """The database at ``url``, migrated to the newest schema, declarations in step."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    if migrate:
        upgrade(engine)
        sync_declarations(sessions)
    return Registry(engine=engine, sessions=sessions)
