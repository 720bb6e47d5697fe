"""Serialised public bodies, cached per (list version, normalised query), never stale.

Every request reads the list's version (``registry.listversion``: raised inside every
transaction that changes a signatory, organisation or declaration) with one SELECT on
a DBAPI connection from the pool (:class:`VersionReader`: about 14 µs on SQLite, 55 µs
on PostgreSQL; a SQLAlchemy ``Connection`` costs about 90 µs, an ORM session more).
A body cached for that version is served as it is; otherwise it is built once
(concurrent requests for the same query and version share the build) in a worker
thread and kept in a bounded LRU. Each web process has its own cache and reads the
version itself, so several processes on one PostgreSQL database never serve a list
older than the newest commit.

A build is stamped with the version read at the start of its own transaction: on
PostgreSQL (READ COMMITTED) a build may see a commit made while it runs, and is then
stamped older than its rows, which costs one more build, never a stale body.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from api.public_query import Kind, PublicQuery
from registry.listversion import current_version

VERSION_SQL = "SELECT version FROM list_version WHERE id = 1"
MAX_ENTRIES = 512
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Built:
    """A body as a builder makes it."""

    body: bytes
    media_type: str
    filename: str | None = None  # sent as Content-Disposition (CSV, feed)


Builder = Callable[[Session, PublicQuery], Built]


@dataclass(frozen=True, slots=True)
class CachedBody:
    version: int
    etag: str  # quoted, strong
    body: bytes
    media_type: str
    filename: str | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)  # filled by the cache


def read_version(engine: Engine) -> int:
    """The list's version now: one SELECT on a pooled DBAPI connection, no ORM, no
    SQLAlchemy transaction (SQLite connections run in autocommit, so this never takes
    the write lock; on PostgreSQL the pool's reset ends the implicit transaction)."""
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        try:
            cursor.execute(VERSION_SQL)
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        conn.close()
    return int(row[0]) if row and row[0] is not None else 0


class VersionReader:
    """Reads the version for one web process.

    SQLite: :func:`read_version` (a pool checkout is about 14 µs). PostgreSQL: a pool
    checkout costs a ping, the SELECT and a ROLLBACK, about 300 µs of round trips that
    block the event loop; so one connection is taken from the pool, detached, set to
    autocommit and kept (about 55 µs a read; each SELECT still sees the newest commit).
    It is closed when the engine is disposed (``Registry.close``), and made anew after
    a connection error.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._keep = engine.dialect.name == "postgresql"
        self._conn: Any = None
        self._lock = threading.Lock()
        if self._keep:
            event.listen(engine, "engine_disposed", self._close)

    def __call__(self) -> int:
        if not self._keep:
            return read_version(self._engine)
        with self._lock:
            try:
                return self._read()
            except self._engine.dialect.loaded_dbapi.Error:
                self._close_locked()
                return self._read()  # once more, on a new connection

    def _read(self) -> int:
        if self._conn is None:
            fairy = self._engine.raw_connection()
            fairy.rollback()
            conn: Any = fairy.driver_connection
            fairy.detach()  # ours now: the pool neither counts nor resets it
            conn.autocommit = True
            self._conn = conn
        row = self._conn.execute(VERSION_SQL).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _close(self, *_args: object) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


class PublicCache:
    """The bodies of one web process, keyed on (kind, normalised query)."""

    def __init__(
        self,
        *,
        engine: Engine,
        read_sessions: sessionmaker[Session],
        builders: Mapping[Kind, Builder],
        headers: Callable[[CachedBody], list[tuple[bytes, bytes]]],
        generation: str,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self._version = VersionReader(engine)
        self._read_sessions = read_sessions
        self._builders = builders
        self._headers = headers
        self._generation = generation  # changes when the code that shapes bodies does
        self._max_entries, self._max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[tuple[Kind, str], CachedBody] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._building: dict[tuple[int, Kind, str, int], asyncio.Task[CachedBody]] = {}
        self.builds = 0  # for tests and the bench: how many bodies were made

    def version(self) -> int:
        return self._version()

    async def get(self, kind: Kind, query: PublicQuery, *, key: str | None = None) -> CachedBody:
        """The body for ``query`` (whose ``query.key(kind)`` may be handed in) as of
        the list's version now."""
        version = self.version()
        cache_key = (kind, query.key(kind) if key is None else key)
        hit = self._lookup(cache_key, version)
        if hit is not None:
            return hit
        flight = (id(asyncio.get_running_loop()), kind, cache_key[1], version)
        task = self._building.get(flight)
        if task is None:
            task = asyncio.ensure_future(self._build(cache_key, query))
            self._building[flight] = task
            task.add_done_callback(lambda _t: self._building.pop(flight, None))
        return await asyncio.shield(task)

    def etag(self, kind: Kind, query_key: str, version: int) -> str:
        digest = hashlib.sha256(f"{self._generation}\n{kind}?{query_key}".encode()).hexdigest()
        return f'"v{version}-{digest[:20]}"'

    def _lookup(self, key: tuple[Kind, str], version: int) -> CachedBody | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version < version:
                return None
            self._entries.move_to_end(key)
            return entry

    async def _build(self, key: tuple[Kind, str], query: PublicQuery) -> CachedBody:
        version, built = await anyio.to_thread.run_sync(self._build_in_thread, key[0], query)
        entry = CachedBody(
            version=version,
            etag=self.etag(key[0], key[1], version),
            body=built.body,
            media_type=built.media_type,
            filename=built.filename,
        )
        entry.headers.extend(self._headers(entry))
        self._store(key, entry)
        return entry

    def _build_in_thread(self, kind: Kind, query: PublicQuery) -> tuple[int, Built]:
        with self._read_sessions() as session:
            version = current_version(session)
            built = self._builders[kind](session, query)
        self.builds += 1
        return version, built

    def _store(self, key: tuple[Kind, str], entry: CachedBody) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None and old.version > entry.version:
                entry = old  # a newer build landed first
            self._bytes += len(entry.body) - (len(old.body) if old else 0)
            self._entries[key] = entry
            while self._entries and (
                len(self._entries) > self._max_entries or self._bytes > self._max_bytes
            ):
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)
