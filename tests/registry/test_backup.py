"""Back-up and restore on SQLite and PostgreSQL: a round trip gives the same rows and
files; a backup taken while a writer works is whole; a non-empty target, a damaged
backup and an unknown schema are refused before anything is written."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli import app
from ingest.archive import Archive
from ingest.intake import Intake
from ingest.quarantine import Quarantine
from ingest.worker import Worker, WorkerConfig
from registry.backup import BackupError, backup, read_manifest, restore, verify
from registry.backup_db import facts_of_file, target_facts
from registry.db import make_engine, make_sessionmaker
from registry.models import Proposal
from registry.review import approve_proposal, reject_proposal
from tests.conftest import PG_URL, _pg_admin
from tests.ingest.files import scan_pdf
from tests.ingest.proc import FAKE_ENGINE
from tests.registry.helpers import seed_declaration

TABLES = (
    *("submission", "submission_arrival", "proposal", "organisation", "signatory"),
    *("audit_event", "declaration", "list_version", "alembic_version"),
)
SIGNED = {"signed_date": "2024-05-02"}


@pytest.fixture
def other_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind, to restore into."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'signreg.db'}"
        return
    name = f"signreg_restore_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(name=name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


class Site:
    """A database and data folder with scans taken, read, approved and rejected."""

    def __init__(self, url: str, sessions: sessionmaker[Session], root: Path) -> None:
        self.url, self.sessions, self.data, self.inbox = url, sessions, root / "data", root / "in"
        self.inbox.mkdir(parents=True)
        self.intake = Intake(
            inbox=self.inbox,
            archive=Archive(self.data / "archive"),
            quarantine=Quarantine(self.data / "quarantine"),
            session_factory=sessions,
        )
        config = WorkerConfig(
            database_url=url,
            archive_dir=self.data / "archive",
            quarantine_dir=self.data / "quarantine",
            engine=FAKE_ENGINE,
            idle_seconds=0.01,
        )
        self.worker = Worker(config, sessions, "w")

    def drop(self, name: str, data: bytes) -> None:
        (self.inbox / name).write_bytes(data)
        self.intake.take(self.inbox / name)

    def read_all(self) -> None:
        self.worker.run(threading.Event(), until_idle=True)

    def decide(self, *, approve: bool) -> bool:
        """Decide the oldest waiting proposal; False when none waits."""
        now = dt.datetime.now(dt.UTC)
        with self.sessions.begin() as s:
            pid = s.scalar(select(Proposal.id).where(Proposal.status == "proposed").limit(1))
            if pid is None:
                return False
            if approve:
                approve_proposal(
                    session=s, proposal_id=pid, reviewer="t", corrections=SIGNED, now=now
                )
            else:
                reject_proposal(session=s, proposal_id=pid, reviewer="t", reason="x", now=now)
        return True


@pytest.fixture
def site(db_url: str, session_factory: sessionmaker[Session], tmp_path: Path) -> Site:
    seed_declaration(session_factory)
    here = Site(db_url, session_factory, tmp_path / "site")
    scans = [scan_pdf(n) for n in range(4)]
    for n, data in enumerate(scans):
        here.drop(f"skanning-{n}.pdf", data)
    here.drop("kopia.pdf", scans[0])  # a duplicate arrival (the same bytes: img2pdf dates)
    here.drop("brev.docx", b"PK\x03\x04 not a PDF")  # quarantined with its reason
    here.read_all()
    assert here.decide(approve=True) and here.decide(approve=True)
    assert here.decide(approve=False)
    return here


def rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                for t in TABLES
            }
    finally:
        engine.dispose()


def files(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_round_trip_gives_the_same_rows_and_files(
    site: Site, other_url: str, tmp_path: Path
) -> None:
    manifest = backup(database_url=site.url, data_dir=site.data, dest=tmp_path / "b")
    assert manifest.counts["submission"] == 5 and manifest.counts["signatory"] == 2
    archived = [n for n in manifest.files if n.startswith("archive/")]
    assert (
        len(archived) == 4 and len([n for n in manifest.files if n.startswith("quarantine/")]) == 2
    )
    # same file system: the backup's scans are hard links of the archive's
    first = tmp_path / "b" / archived[0]
    assert first.stat().st_ino == (site.data / archived[0]).stat().st_ino
    target = tmp_path / "restored-data"
    restore(database_url=other_url, data_dir=target, source=tmp_path / "b")
    before, after = rows(site.url), rows(other_url)
    for table in TABLES:
        assert after[table] == before[table], table
    assert len(after["audit_event"]) == 3 and len(after["signatory"]) == 2
    assert files(target / "archive") == files(site.data / "archive")
    assert files(target / "quarantine") == files(site.data / "quarantine")
    # work goes on in the restored registry (PostgreSQL: its sequences came along)
    engine = make_engine(other_url)
    try:
        restored = Site(other_url, make_sessionmaker(engine), tmp_path / "restored-site")
        assert restored.decide(approve=True)
        assert len(rows(other_url)["audit_event"]) == 4
    finally:
        engine.dispose()


def test_a_target_in_use_is_refused_unless_forced(site: Site, tmp_path: Path) -> None:
    backup(database_url=site.url, data_dir=site.data, dest=tmp_path / "b")
    site.drop("senare.pdf", scan_pdf(9))  # work done after the backup
    with pytest.raises(BackupError, match="holds data"):
        restore(database_url=site.url, data_dir=site.data, source=tmp_path / "b")
    assert len(rows(site.url)["submission"]) == 6  # untouched
    restore(database_url=site.url, data_dir=site.data, source=tmp_path / "b", force=True)
    assert len(rows(site.url)["submission"]) == 5  # as it was at the backup


def test_a_damaged_backup_is_refused_before_anything_is_written(
    site: Site, other_url: str, tmp_path: Path
) -> None:
    manifest = backup(database_url=site.url, data_dir=site.data, dest=tmp_path / "b")
    name = next(n for n in manifest.files if n.startswith("archive/"))
    scan = tmp_path / "b" / name
    scan.unlink()  # a hard link: change the backup's copy only
    scan.write_bytes(b"%PDF-1.4 something else")
    with pytest.raises(BackupError, match="damaged"):
        restore(database_url=other_url, data_dir=tmp_path / "t", source=tmp_path / "b")
    assert files(tmp_path / "t") == {}
    facts = target_facts(other_url)
    assert facts is None or not facts.counts  # no table made


def test_an_unknown_schema_or_another_kind_is_refused(site: Site, tmp_path: Path) -> None:
    backup(database_url=site.url, data_dir=site.data, dest=tmp_path / "b")
    path = tmp_path / "b" / "manifest.json"
    body = json.loads(path.read_text())
    body["database"]["schema_revision"] = "9999"
    path.write_text(json.dumps(body))
    with pytest.raises(BackupError, match="newer than this signreg knows"):
        restore(database_url=site.url, data_dir=site.data, source=tmp_path / "b", force=True)
    other = (
        "postgresql://postgres@127.0.0.1:1/x" if site.url.startswith("sqlite") else "sqlite:///x.db"
    )
    with pytest.raises(BackupError, match="cannot be restored into"):
        restore(database_url=other, data_dir=tmp_path / "t", source=tmp_path / "b")
    (tmp_path / "b" / "manifest.json").unlink()
    with pytest.raises(BackupError, match="not a backup, or an unfinished one"):
        read_manifest(tmp_path / "b")


def test_a_backup_taken_while_a_writer_works_is_whole(
    site: Site, other_url: str, tmp_path: Path
) -> None:
    stop, done = threading.Event(), [0]

    def write() -> None:
        n = 100
        while not stop.is_set():
            site.drop(f"ny-{n}.pdf", scan_pdf(n))
            site.read_all()
            site.decide(approve=n % 2 == 0)
            n += 1
            done[0] += 1

    writer = threading.Thread(target=write)
    writer.start()
    backups = []
    try:
        for k in range(3):
            while done[0] < 3 * (k + 1):
                stop.wait(0.01)
            dest = tmp_path / f"b{k}"
            backup(database_url=site.url, data_dir=site.data, dest=dest)
            backups.append(dest)
    finally:
        stop.set()
        writer.join()
    sizes = []
    for k, dest in enumerate(backups):
        manifest = read_manifest(dest)
        verify(dest, manifest)
        if site.url.startswith("sqlite"):
            named = facts_of_file(dest / "database.sqlite").archived
        else:  # what the dump holds, read back from a restore of it
            restore(database_url=other_url, data_dir=tmp_path / f"t{k}", source=dest, force=True)
            facts = target_facts(other_url)
            assert facts is not None
            named = facts.archived
        assert named and all(f"archive/{path}" in manifest.files for _, path in named)
        assert all((dest / "archive" / path).is_file() for _, path in named)
        sizes.append(manifest.counts["submission"])
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]  # the writer moved on between


def test_the_commands(site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNREG_DATABASE_URL", site.url)
    monkeypatch.setenv("SIGNREG_DATA_DIR", str(site.data))
    runner = CliRunner()
    made = runner.invoke(app, ["backup", str(tmp_path / "b")])
    assert made.exit_code == 0, made.output
    assert "4 archived scans, 2 quarantine files" in made.stdout
    again = runner.invoke(app, ["backup", str(tmp_path / "b")])
    assert again.exit_code == 1 and "is not an empty folder" in again.stderr
    refused = runner.invoke(app, ["restore", str(tmp_path / "b")])
    assert refused.exit_code == 1 and "--force" in refused.stderr
    forced = runner.invoke(app, ["restore", str(tmp_path / "b"), "--force", "--json"])
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["database"]["counts"]["submission"] == 5


def test_a_failed_backup_leaves_nothing(site: Site, tmp_path: Path) -> None:
    scan = next((site.data / "archive").rglob("*.pdf"))
    scan.unlink()  # the database names a scan the archive lost
    with pytest.raises(BackupError, match="1 archived scans named in the database are missing"):
        backup(database_url=site.url, data_dir=site.data, dest=tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_scans_recorded_during_the_copy_wait_for_the_next_backup(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic: a scan archived and recorded while the backup copies files is in
    neither its database nor its files; everything the backup's database names is."""
    import registry.backup as module

    place, late = module._place, threading.Event()

    def place_and_write(source: Path, target: Path, *, link: bool) -> None:
        if not late.is_set():
            late.set()
            site.drop("under-tiden.pdf", scan_pdf(77))
        place(source, target, link=link)

    monkeypatch.setattr(module, "_place", place_and_write)
    manifest = backup(database_url=site.url, data_dir=site.data, dest=tmp_path / "b")
    assert late.is_set() and len(rows(site.url)["submission"]) == 6
    assert manifest.counts["submission"] == 5
    verify(tmp_path / "b", manifest)
    archived = {n for n in manifest.files if n.startswith("archive/")}
    assert len(archived) == 4 and len(files(site.data / "archive")) == 5


def test_a_freshly_set_up_target_counts_as_empty(
    site: Site, other_url: str, tmp_path: Path
) -> None:
    """`signreg migrate` (or a first start) on the new machine before the restore."""
    from registry.bootstrap import open_registry

    open_registry(other_url).close()  # migrated, declarations written
    backup(database_url=site.url, data_dir=site.data, dest=tmp_path / "b")
    restore(database_url=other_url, data_dir=tmp_path / "t", source=tmp_path / "b")
    assert rows(other_url) == rows(site.url)
