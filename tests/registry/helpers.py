"""Builders for extraction results and queue workers used by the registry tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ocr.model import FIELD_NAMES, DeclarationResult, Extraction, FieldValue, SignatureFinding
from registry import queue
from registry.db import make_engine, make_sessionmaker

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
SLUG = "jamstalld-industri"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def result(
    *,
    confidence: float = 0.97,
    signed: bool = True,
    declaration: str | None = SLUG,
    flags: tuple[str, ...] = (),
    **values: str | None,
) -> DeclarationResult:
    base: dict[str, str | None] = {
        "organisation": "Kuusakoski Sverige AB",
        "organisation_number": "556051-3102",
        "county": "Norrbotten",
        "place": "Luleå",
        "signed_date": "2023-05-11",
        "signatory_name": "Anna Berg",
        "signatory_title": "VD",
        "email": "anna.berg@example.se",
    }
    base.update(values)
    fields = {
        name: (
            FieldValue(base[name], confidence, 1, (0.1, 0.5, 0.6, 0.55))
            if base.get(name) is not None
            else FieldValue.missing()
        )
        for name in FIELD_NAMES
    }
    signature = SignatureFinding(signed, 0.95 if signed else 0.9, 1, (0.1, 0.7, 0.5, 0.8))
    return DeclarationResult(
        pages=(1,), declaration=declaration, fields=fields, signature=signature, flags=flags
    )


def extraction(*results: DeclarationResult) -> Extraction:
    return Extraction(pages=1, declarations=tuple(results))


def add_submissions(factory: sessionmaker[Session], count: int, *, prefix: str = "f") -> list[int]:
    ids = []
    with factory.begin() as s:
        for i in range(count):
            sub, _ = queue.record_submission(
                session=s,
                sha256=sha(f"{prefix}{i}"),
                file_name=f"{prefix}{i}.pdf",
                size=10,
                archive_path=f"archive/{prefix}{i}.pdf",
                now=T0 + dt.timedelta(seconds=i),
            )
            ids.append(sub.id)
    return ids


def drain(factory: sessionmaker[Session], worker_id: str, now: dt.datetime) -> list[int]:
    """Claim until the queue is empty; the ids this worker got."""
    got: list[int] = []
    while True:
        with factory.begin() as s:
            sub = queue.claim_next(session=s, worker_id=worker_id, lease_seconds=60, now=now)
            if sub is None:
                return got
            got.append(sub.id)


def drain_in_process(url: str, worker_id: str, now_iso: str, barrier: Any) -> list[int]:
    """Entry point of a separate process (SQLite concurrency test); starts draining when
    every process is ready (``barrier``)."""
    engine = make_engine(url)
    try:
        barrier.wait()
        return drain(make_sessionmaker(engine), worker_id, dt.datetime.fromisoformat(now_iso))
    finally:
        engine.dispose()


class Profile:
    """Stands in for ``ocr.profile.FormProfile`` where only slug, title, interval matter."""

    def __init__(self, slug: str = SLUG, title: str = "Jämställd industri", years: int = 2):
        self.slug, self.title, self.follow_up_years = slug, title, years


def seed_declaration(factory: sessionmaker[Session], slug: str = SLUG, years: int = 2) -> None:
    from registry.declarations import ensure_declarations

    with factory.begin() as s:
        ensure_declarations(session=s, profiles=[Profile(slug, years=years)])


def propose(
    factory: sessionmaker[Session], *results: DeclarationResult, name: str = "scan"
) -> list[int]:
    """One submission through the queue to proposals; their ids."""
    with factory.begin() as s:
        sub, _ = queue.record_submission(
            session=s,
            sha256=sha(name),
            file_name=f"{name}.pdf",
            size=1,
            archive_path=None,
            now=T0,
        )
        claimed = queue.claim_next(session=s, worker_id="w", lease_seconds=60, now=T0)
        assert claimed is not None and claimed.id == sub.id
        made = queue.complete_submission(
            session=s,
            submission_id=sub.id,
            worker_id="w",
            extraction=extraction(*results),
            now=T0,
        )
        return [p.id for p in made]


def start_registry(url: str, barrier: Any) -> str | None:
    """Entry point of a separate process: open (and so migrate) the registry at once."""
    from registry.bootstrap import open_registry
    from registry.db import current_revision

    barrier.wait()
    registry = open_registry(url)
    try:
        return current_revision(registry.engine)
    finally:
        registry.close()
