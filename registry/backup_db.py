"""The database half of a backup: one snapshot file, and what that snapshot holds.

- **SQLite**: SQLite's online backup API (``sqlite3.Connection.backup``) copies the
  whole database in one step, inside one read transaction: writers go on (WAL) and the
  copy is the database as of one moment. The copy is made a self-contained file
  (rollback journal instead of WAL). Restoring goes through the same API the other
  way, into the live file, so a process that still has it open sees either the old
  database or the new one, never a torn file or a stale WAL.
- **PostgreSQL**: ``pg_dump`` in its custom format, of a snapshot this module exports
  from a ``REPEATABLE READ`` read-only transaction it keeps open meanwhile
  (``pg_export_snapshot()``, ``pg_dump --snapshot``). The facts written into the
  manifest (schema revision, row counts, the archive files named) are read in that
  same transaction, so they describe exactly what the dump holds. ``pg_dump`` rather
  than an export in Python: it is PostgreSQL's own tool, keeps sequences, constraints
  and indexes exactly, and ``pg_restore --single-transaction`` restores all or nothing.
  It needs Debian's ``postgresql-client`` of the server's major version or newer.

The password never appears on a command line (``PGPASSWORD`` in the child's
environment only).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from registry.db import make_engine, normalise_url
from registry.errors import RegistryError

SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"


class BackupError(RegistryError):
    """A backup or a restore could not be made, or was refused; nothing was half done."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What one snapshot of the database holds."""

    revision: str | None
    counts: dict[str, int]  # every table → rows
    archived: list[tuple[str, str]]  # (sha256, archive path) of every archived scan


def kind_of(url: str) -> str:
    return "sqlite" if _url(url).get_backend_name() == "sqlite" else "postgresql"


def _url(url: str) -> URL:
    return make_url(normalise_url(url))


def read_facts(conn: Connection) -> Facts:
    names = sorted(inspect(conn).get_table_names())
    counts = {
        n: int(conn.execute(select(func.count()).select_from(table(n))).scalar_one()) for n in names
    }
    revision = None
    if "alembic_version" in names:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    archived: list[tuple[str, str]] = []
    if "submission" in names:
        rows = conn.execute(
            text(
                "SELECT sha256, archive_path FROM submission "
                "WHERE archive_path IS NOT NULL ORDER BY id"
            )
        )
        archived = [(str(sha), str(path)) for sha, path in rows]
    return Facts(revision=revision, counts=counts, archived=archived)


def target_facts(url: str) -> Facts | None:
    """What the database to restore into holds now; None when it does not exist yet
    (a SQLite file not made)."""
    if kind_of(url) == "sqlite" and not _sqlite_path(url).exists():
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return read_facts(conn)
    finally:
        engine.dispose()


def facts_of_file(path: Path) -> Facts:
    """The facts of a SQLite snapshot file (opened as it is, never made WAL)."""
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return read_facts(conn)
    finally:
        engine.dispose()


# --- taking the snapshot -------------------------------------------------------------


def dump(url: str, folder: Path) -> tuple[str, Facts]:
    """Write the database's snapshot into ``folder``; its file name and facts."""
    if kind_of(url) == "sqlite":
        return SQLITE_FILE, _dump_sqlite(_sqlite_path(url), folder / SQLITE_FILE)
    return PG_FILE, _dump_pg(url, folder / PG_FILE)


def _sqlite_path(url: str) -> Path:
    database = _url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"a backup needs a SQLite file, not {database or 'memory'}")
    return Path(database)


def _dump_sqlite(source: Path, target: Path) -> Facts:
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # every page in one step: one read transaction, one moment
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()
    return facts_of_file(target)


def _dump_pg(url: str, target: Path) -> Facts:
    exe = _pg_tool("pg_dump")
    engine = make_engine(url, poolclass=NullPool)
    try:
        repeatable = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        with repeatable as conn, conn.begin():
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            facts = read_facts(conn)
            # the transaction stays open until pg_dump has taken the snapshot over
            _run(
                exe,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                url=url,
            )
    finally:
        engine.dispose()
    return facts


# --- restoring it ------------------------------------------------------------------------


def load(url: str, snapshot: Path, *, replace: bool) -> None:
    """Put the snapshot into the database at ``url`` (``replace``: over what is there)."""
    if kind_of(url) == "sqlite":
        _load_sqlite(snapshot, _sqlite_path(url))
        return
    options = ["--clean", "--if-exists"] if replace else []
    _run(
        _pg_tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        *options,
        str(snapshot),
        url=url,
    )


def _load_sqlite(snapshot: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        check = src.execute("PRAGMA integrity_check").fetchone()
        if not check or check[0] != "ok":
            raise BackupError(f"{snapshot} is damaged: {check}")
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _pg_tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise BackupError(
            f"{name} not found: install postgresql-client (the server's major version or newer)"
        )
    return exe


def _run(exe: str, *args: str, url: str) -> None:
    """Run a PostgreSQL tool on the database of ``url``: where to connect as a libpq
    connection string, the password in the environment only."""
    sa_url = _url(url)
    params = {
        "host": sa_url.host,
        "port": sa_url.port,
        "user": sa_url.username,
        "dbname": sa_url.database,
        **{k: v for k, v in sa_url.query.items() if isinstance(v, str)},
    }
    conninfo = " ".join(f"{k}='{_quoted(str(v))}'" for k, v in params.items() if v is not None)
    env = dict(os.environ)
    if sa_url.password is not None:
        env["PGPASSWORD"] = str(sa_url.password)
    done = subprocess.run(
        [exe, f"--dbname={conninfo}", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        name = Path(exe).name
        raise BackupError(f"{name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
