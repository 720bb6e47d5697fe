"""Alembic environment: the engine comes from ``registry.db`` (programmatic use) or,
for the ``alembic`` command run by hand, from ``SIGNREG_DATABASE_URL``."""

from __future__ import annotations

import os

from alembic import context

from registry.db import lock_for_startup, make_engine
from registry.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(os.environ.get("SIGNREG_DATABASE_URL", "sqlite:///data/signreg.db"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            lock_for_startup(connection)  # several processes starting: one migrates
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
