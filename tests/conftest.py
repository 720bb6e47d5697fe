"""Shared database fixtures: every registry/ingest test runs on SQLite and PostgreSQL.

``db_url`` gives an empty database (no tables): a fresh SQLite file per test, or on
PostgreSQL a uniquely named database per test module whose schema is emptied before
each test (dropped at the end of the module). ``session_factory`` migrates it to head.
PostgreSQL tests are skipped when the server is unreachable, unless ``CI`` is set, in
which case they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from registry.db import make_engine, make_sessionmaker, upgrade

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
PG_URL = "postgresql://postgres@127.0.0.1:5432/{name}"


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as e:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required in CI: {e}")
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 unreachable: {e}")


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A uniquely named PostgreSQL database for this test module; its URL."""
    name = f"signreg_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield PG_URL.format(name=name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _empty_pg_schema(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'signreg.db'}"
    url: str = request.getfixturevalue("pg_database")
    _empty_pg_schema(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    upgrade(engine)
    return make_sessionmaker(engine)
