"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL.

``make_engine`` accepts URLs as users write them: ``sqlite:///data/signreg.db`` (the
parent folder is created; WAL mode, a busy timeout, foreign keys on, and every
transaction opened with ``BEGIN IMMEDIATE`` so that two processes never claim the same
queue row) and ``postgresql://user@host:port/db`` (mapped to the psycopg 3 driver). PostgreSQL
connections are checked when taken from the pool (``pool_pre_ping``), so a server
restarted under a running process costs it no failed request once it is back;
:func:`database_unavailable` tells such outages from other errors.

The schema is only ever changed by Alembic migrations (``registry/migrations``);
:func:`upgrade` applies them programmatically.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

if TYPE_CHECKING:  # Alembic is loaded only when the schema is looked at or changed …
    from alembic.config import Config
    from sqlalchemy.orm import Session, sessionmaker  # … the ORM when sessions are made

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_SECONDS = 10
READ_ONLY_OPTION = "signreg_read_only"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
STARTUP_LOCK_ID = 72656769  # PostgreSQL advisory lock: one process sets up at a time
# The newest migration. Read-only commands compare the database's revision with it
# instead of loading Alembic (a test checks it is Alembic's head).
SCHEMA_HEAD = "0003"


# SQLite's OperationalError also stands for mistakes in a statement or schema; these are
# not the database being away
_SQLITE_NOT_TRANSIENT = ("no such ", "syntax error", "has no column", "already exists")


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached or used just now (server
    stopped, restarting, connection dropped, pool exhausted, SQLite locked or its disk
    full), so that the same work can succeed later unchanged: a caller waits and tries
    again (workers, the watcher) or answers 503 (the web); anything else is a bug or bad
    data and is not retried as this. Both SQLAlchemy's errors and the driver's own (as
    a raw connection raises them: PEP 249 ``OperationalError``, ``InterfaceError``)."""
    if isinstance(error, DisconnectionError | PoolTimeout):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    cause = error.orig if isinstance(error, DBAPIError) else error
    kinds = {c.__name__ for c in (*type(error).__mro__, *type(cause).__mro__)}
    if not kinds & {"OperationalError", "InterfaceError"}:
        return False
    if type(cause).__module__.startswith("sqlite3"):
        return not any(s in str(cause).lower() for s in _SQLITE_NOT_TRANSIENT)
    return True


def lock_for_startup(conn: Connection | Session) -> None:
    """Within the current transaction, wait until no other process is setting up the
    database (PostgreSQL advisory lock; SQLite's BEGIN IMMEDIATE already serialises)."""
    dialect = conn.dialect if isinstance(conn, Connection) else conn.get_bind().dialect
    if dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": STARTUP_LOCK_ID})


def normalise_url(url: str) -> str:
    """Map the URL a user writes to the one SQLAlchemy needs (psycopg 3 for PostgreSQL)."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    sa_url = make_url(normalise_url(url))
    if sa_url.get_backend_name() == "sqlite":
        return _sqlite_engine(sa_url, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    # a server that does not answer at all (a host down, a network cut) is an outage
    # like a refused connection, told within seconds, not after the system's TCP timeout
    kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS} | kwargs.get(
        "connect_args", {}
    )
    return create_engine(sa_url, **kwargs)


def _sqlite_engine(sa_url: Any, **kwargs: Any) -> Engine:
    database = sa_url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(sa_url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own transaction handling is off).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # One writer at a time, decided when the transaction starts: a claim that read a
        # row as free cannot be overtaken by another process before it writes.
        # Sessions made by make_read_sessionmaker only read: a deferred BEGIN lets them
        # run beside a writer (WAL) instead of queueing for the write lock.
        deferred = conn.get_execution_options().get(READ_ONLY_OPTION, False)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(bind=engine, expire_on_commit=False)


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reading only (web pages, listings). On SQLite their transactions
    start deferred, so they never wait for a writer; do not write through them."""
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(
        bind=engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
    )


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (the newest by default)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def schema_revision(engine: Engine) -> str | None:
    """The database's migration revision, read with one query (no Alembic)."""
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:  # no such table: a database never migrated
            conn.rollback()
            return None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
