from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from registry.db import SCHEMA_HEAD, alembic_config, current_revision, downgrade, upgrade
from registry.models import Base
from tests.registry.helpers import start_registry


def test_upgrade_from_empty_reaches_head_and_matches_models(engine: Engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert current_revision(engine) == head
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_downgrade_empties(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())


def test_processes_starting_at_once_migrate_once(db_url: str) -> None:
    """Several workers starting together on an empty database: one migrates, the others
    wait and find the schema at head (advisory lock on PostgreSQL, BEGIN IMMEDIATE on
    SQLite). Processes, as in production: Alembic's context is per process."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(3, mp_context=ctx) as pool:
        barrier = manager.Barrier(3)
        revisions = [
            f.result(timeout=120)
            for f in [pool.submit(start_registry, db_url, barrier) for _ in range(3)]
        ]
    assert revisions == [SCHEMA_HEAD] * 3


def test_the_schema_head_read_only_commands_expect_is_alembics_head(engine: Engine) -> None:
    from registry.db import SCHEMA_HEAD, schema_revision

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head == SCHEMA_HEAD
    assert schema_revision(engine) is None
    upgrade(engine)
    assert schema_revision(engine) == head
