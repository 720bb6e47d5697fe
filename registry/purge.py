"""Rewriting the database's own files after an erasure, so that no old copy of an
erased value stays in freed pages, a write-ahead log or dead row versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

# tables whose rows erasure changes: their old row versions still hold the values
ERASED_TABLES = (
    "signatory",
    "proposal",
    "application",
    "audit_event",
    "submission",
    "submission_arrival",
    "mail_message",
)


def purge_old_row_versions(engine: Engine) -> str | None:
    """Rewrite the database's files so the erased values' old copies go too: SQLite
    keeps freed pages and its WAL (``VACUUM``, then the WAL checkpointed and truncated),
    PostgreSQL its dead row versions (``VACUUM FULL`` of the tables erasure changes; a
    short exclusive lock on each). Run after the erasure's commit.

    Returns ``None`` when done, else why not (the database busy past its timeout, say):
    the erasure stands; running it again rewrites the files then."""
    dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            cur = raw.cursor()  # the driver's own autocommit: VACUUM cannot run in a BEGIN
            try:
                cur.execute("VACUUM")
                busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                cur.close()
            if busy and busy[0]:  # a reader kept the WAL from being truncated
                return "the write-ahead log is in use by another connection"
        elif engine.dialect.name == "postgresql":
            driver: Any = raw.driver_connection
            driver.rollback()
            driver.autocommit = True
            try:
                driver.execute(f"VACUUM FULL {', '.join(ERASED_TABLES)}")
            finally:
                driver.autocommit = False
        return None
    except dbapi_error as e:
        return f"{type(e).__name__}: {e}".strip()
    finally:
        raw.close()
