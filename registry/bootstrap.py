"""Open the registry at start-up: engine, migrations to head, declarations from profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from registry.db import SCHEMA_HEAD, make_engine, make_sessionmaker, schema_revision
from registry.errors import RegistryError

if TYPE_CHECKING:  # the ORM is loaded by those that make sessions, not by every reader
    from sqlalchemy.orm import Session, sessionmaker


class SchemaOutOfDate(RegistryError):
    """A read-only command met a database whose schema is not this code's."""


@dataclass(frozen=True, slots=True)
class Registry:
    engine: Engine
    sessions: sessionmaker[Session]

    def close(self) -> None:
        self.engine.dispose()


def sync_declarations(sessions: sessionmaker[Session]) -> list[str]:
    """A Declaration row for every form profile shipped in ``ocr/profiles``; their slugs."""
    from ocr.profile import load_profiles
    from registry.db import lock_for_startup
    from registry.declarations import ensure_declarations

    with sessions.begin() as session:
        lock_for_startup(session)
        return [d.slug for d in ensure_declarations(session=session, profiles=load_profiles())]


def open_registry(url: str, *, migrate: bool = True) -> Registry:
    """The database at ``url``, migrated to the newest schema, declarations in step."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    if migrate:
        from registry.db import upgrade

        upgrade(engine)
        sync_declarations(sessions)
    return Registry(engine=engine, sessions=sessions)


def open_registry_for_reading(url: str) -> Registry:
    """The database at ``url`` as it is, for commands that only read: no migrations
    (they cost a second at start), but a clear error where the schema is not ours."""
    engine = engine_for_reading(url)
    return Registry(engine=engine, sessions=make_sessionmaker(engine))


def engine_for_reading(url: str) -> Engine:
    """The engine of :func:`open_registry_for_reading`, for a reader that needs no ORM
    session (``signreg submissions``)."""
    engine = make_engine(url)
    revision = schema_revision(engine)
    if revision != SCHEMA_HEAD:
        engine.dispose()
        found = f"at {revision}" if revision else "empty"
        raise SchemaOutOfDate(
            f"the database is {found}, this signreg needs schema {SCHEMA_HEAD}: "
            "run `signreg migrate` first"
        )
    return engine
