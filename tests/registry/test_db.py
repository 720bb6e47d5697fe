from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from registry.db import make_engine, normalise_url
from registry.models import Submission


def test_urls_as_users_write_them() -> None:
    assert normalise_url("postgresql://u@h:5432/db") == "postgresql+psycopg://u@h:5432/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///data/x.db") == "sqlite:///data/x.db"
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/postgres")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_sqlite_engine_creates_folder_and_sets_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'deep' / 'er' / 'signreg.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert (tmp_path / "deep" / "er" / "signreg.db").exists()
    finally:
        engine.dispose()


def test_timestamps_round_trip_as_aware_utc(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    stockholm = dt.timezone(dt.timedelta(hours=2))
    at = dt.datetime(2026, 6, 1, 12, 0, tzinfo=stockholm)
    with session_factory.begin() as s:
        s.add(Submission(sha256="a" * 64, file_name="a.pdf", size=1, received_at=at))
    with session_factory() as s:
        got = s.query(Submission).one().received_at
        assert got == at and got.tzinfo == dt.UTC and got.hour == 10
    with session_factory.begin() as s, pytest.raises(Exception, match="timezone-aware"):
        s.add(
            Submission(
                sha256="b" * 64,
                file_name="b.pdf",
                size=1,
                received_at=dt.datetime(2026, 6, 1, 12, 0),
            )
        )
        s.flush()


def test_sqlite_reader_does_not_hold_the_write_lock(tmp_path: Path) -> None:
    from registry.db import make_read_sessionmaker, make_sessionmaker, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'signreg.db'}")
    try:
        upgrade(engine)
        reads, writes = make_read_sessionmaker(engine), make_sessionmaker(engine)
        with reads() as reader:
            assert reader.query(Submission).count() == 0  # a read transaction is open
            with writes.begin() as writer:  # would wait for the busy timeout, then fail
                writer.add(
                    Submission(
                        sha256="c" * 64,
                        file_name="c.pdf",
                        size=1,
                        received_at=dt.datetime.now(dt.UTC),
                    )
                )
            assert reader.query(Submission).count() == 0  # its snapshot (WAL)
        with reads() as reader:
            assert reader.query(Submission).count() == 1
    finally:
        engine.dispose()
