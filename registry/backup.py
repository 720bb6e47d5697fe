"""Back-up and restore of the database and the archive, consistent while the service runs.

A backup is a folder::

    manifest.json             written last: a folder without it is no backup
    database.sqlite           SQLite: the online backup API's copy   (registry.backup_db)
    database.pgdump           PostgreSQL: pg_dump of an exported snapshot
    archive/ab/abcdef….pdf    every archived scan the snapshot names
    quarantine/…              the quarantined files and their reasons, as found

**Consistent while running.** The database is copied first, as of one moment; the list
of archive files to copy is read from that very snapshot. A scan is archived (fsynced)
before its submission is recorded, and archived files are never changed, so every file
the snapshot names is there to copy: a submission recorded a moment later is simply
not in this backup, with its file. Each file is hard-linked where the backup is on the
archive's file system, copied otherwise, and its content checked against its name
(the archive is content-addressed). The quarantine is copied as it is found (a file a
person discards meanwhile may be missing).

**The manifest** (JSON) says when the backup was made, the schema revision, the rows
of every table, and the size and sha256 of every file, the database's included.

**Restore** goes into an empty database and an empty data folder (no file in the
archive or quarantine), or over them with ``force``. Before anything is written it
checks the manifest, the sha256 of every file, and that this signreg knows the
backup's schema revision (an older one is restored and then needs ``signreg
migrate``). The archive and quarantine files go first, the database last, so a
database never names a file that is missing; the restored database's row counts are
then compared with the manifest's.

Not backed up: the derived cache, the metrics files, the secret key (kept apart from
backups on purpose), the inbox (files not taken yet).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.backup_db import BackupError, Facts, dump, facts_of_file, kind_of, load, target_facts

FORMAT = "signreg-backup/1"
MANIFEST = "manifest.json"
ARCHIVE = "archive"
QUARANTINE = "quarantine"
_CHUNK = 1024 * 1024

__all__ = ["BackupError", "Manifest", "backup", "restore"]


@dataclass(frozen=True, slots=True)
class Manifest:
    body: dict[str, Any]

    @property
    def revision(self) -> str | None:
        return self.body["database"]["schema_revision"]

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.body["database"]["counts"])

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return dict(self.body["files"])

    def summary(self) -> str:
        counts = self.counts
        archived = sum(1 for p in self.files if p.startswith(f"{ARCHIVE}/"))
        quarantined = sum(1 for p in self.files if p.startswith(f"{QUARANTINE}/"))
        size = sum(int(f["size"]) for f in self.files.values())
        return (
            f"schema {self.revision}, {counts.get('submission', 0)} submissions, "
            f"{counts.get('proposal', 0)} proposals, {counts.get('signatory', 0)} signatories, "
            f"{counts.get('audit_event', 0)} audit events; {archived} archived scans, "
            f"{quarantined} quarantine files; {size / 1e6:.1f} MB"
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _place(source: Path, target: Path, *, link: bool) -> None:
    """``source`` at ``target`` (new), hard-linked if ``link`` and possible, else
    copied; durable."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if link:
        try:
            os.link(source, target)
            return
        except OSError:  # another file system, or links not allowed: copy
            pass
    temp = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, temp)
    _fsync(temp)
    os.replace(temp, target)


def _entry(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_of(path), "size": path.stat().st_size}


def _quarantine_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


# --- backup ----------------------------------------------------------------------------


def backup(*, database_url: str, data_dir: Path, dest: Path) -> Manifest:
    """Back up the database and the archive into ``dest`` (new, or an empty folder)."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder")
    made = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        return _backup_into(database_url, data_dir, dest)
    except BaseException:  # leave no half backup behind
        if made:
            shutil.rmtree(dest)
        else:
            for child in dest.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        raise


def _backup_into(database_url: str, data_dir: Path, dest: Path) -> Manifest:
    started = dt.datetime.now(dt.UTC)
    db_file, facts = dump(database_url, dest)
    files = {db_file: _entry(dest / db_file)}
    archive = data_dir / ARCHIVE
    link = _same_device(archive, dest)
    missing = []
    for sha, relative in facts.archived:
        source, name = archive / relative, f"{ARCHIVE}/{relative}"
        if not source.is_file():
            missing.append(relative)
            continue
        _place(source, dest / name, link=link)
        entry = _entry(dest / name)
        if entry["sha256"] != sha:
            raise BackupError(f"archive file {relative} does not hold its content {sha}")
        files[name] = entry
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise BackupError(
            f"{len(missing)} archived scans named in the database are missing: {shown}"
        )
    quarantine = data_dir / QUARANTINE
    for path in _quarantine_files(quarantine):
        name = f"{QUARANTINE}/{path.relative_to(quarantine).as_posix()}"
        try:
            _place(path, dest / name, link=False)  # the quarantine's files may be replaced
        except FileNotFoundError:  # discarded meanwhile
            continue
        files[name] = _entry(dest / name)
    body = {
        "format": FORMAT,
        "created_at": started.isoformat(),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(),
        "database": {
            "kind": kind_of(database_url),
            "file": db_file,
            "schema_revision": facts.revision,
            "counts": facts.counts,
        },
        "files": files,
    }
    _write_manifest(dest, body)
    return Manifest(body)


def _same_device(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_dev == b.stat().st_dev
    except FileNotFoundError:
        return False


def _write_manifest(dest: Path, body: dict[str, Any]) -> None:
    temp = dest / f".{MANIFEST}.part"
    temp.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _fsync(temp)
    os.replace(temp, dest / MANIFEST)
    _fsync(dest)


# --- restore ---------------------------------------------------------------------------


def read_manifest(source: Path) -> Manifest:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} has no {MANIFEST}: not a backup, or an unfinished one")
    body = json.loads(path.read_text(encoding="utf-8"))
    if body.get("format") != FORMAT:
        raise BackupError(f"{path} is not a {FORMAT} manifest")
    return Manifest(body)


def verify(source: Path, manifest: Manifest) -> None:
    """Every file the manifest lists is there with its size and sha256; an archived
    scan's content is also the one its name says."""
    for name, entry in manifest.files.items():
        path = source / name
        if not path.is_file():
            raise BackupError(f"the backup lacks {name}")
        if path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            raise BackupError(f"{name} in the backup is damaged (its sha256 differs)")
        if name.startswith(f"{ARCHIVE}/") and not path.name.startswith(entry["sha256"]):
            raise BackupError(f"{name} does not hold the content its name says")


def is_known_revision(revision: str) -> bool:
    """Whether this signreg's migrations know ``revision``."""
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    from registry.db import MIGRATIONS_DIR

    try:
        return ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(revision) is not None
    except CommandError:
        return False


# what a freshly set-up database holds before any work (signreg migrate writes them)
SET_UP_TABLES = frozenset({"alembic_version", "declaration", "list_version"})


def _refuse_unless_empty(facts: Facts | None, data_dir: Path) -> None:
    used = [n for n, rows in (facts.counts if facts else {}).items() if rows]
    used = [n for n in used if n not in SET_UP_TABLES]
    if used:
        raise BackupError(
            f"the database holds data (in {', '.join(used[:4])}): restore refuses to "
            "replace it; --force does"
        )
    for folder in (data_dir / ARCHIVE, data_dir / QUARANTINE):
        if _quarantine_files(folder):
            raise BackupError(f"{folder} is not empty: restore refuses to mix; --force does")


def restore(*, database_url: str, data_dir: Path, source: Path, force: bool = False) -> Manifest:
    """Restore the backup in ``source`` (see the module's docstring)."""
    manifest = read_manifest(source)
    database = manifest.body["database"]
    if database["kind"] != kind_of(database_url):
        raise BackupError(
            f"a {database['kind']} backup cannot be restored into {kind_of(database_url)}"
        )
    revision = manifest.revision
    if revision is not None and not is_known_revision(revision):
        raise BackupError(f"the backup's schema {revision} is newer than this signreg knows")
    before = target_facts(database_url)
    if not force:
        _refuse_unless_empty(before, data_dir)
    verify(source, manifest)
    if database["kind"] == "sqlite":
        _check_sqlite_snapshot(source / database["file"], manifest)
    for name, entry in manifest.files.items():
        if name.startswith((f"{ARCHIVE}/", f"{QUARANTINE}/")):
            _restore_file(source / name, data_dir / name, entry["sha256"])
    # tables there already (set up, or --force): replaced
    load(database_url, source / database["file"], replace=bool(before and before.counts))
    restored = target_facts(database_url)
    counts = {n: (restored.counts.get(n) if restored else None) for n in manifest.counts}
    if counts != manifest.counts:
        raise BackupError("the restored database's rows differ from the manifest's counts")
    return manifest


def _restore_file(source: Path, target: Path, sha256: str) -> None:
    if target.is_file():
        if sha256_of(target) == sha256:
            return  # the same content already there (--force over the same archive)
        target.unlink()
    _place(source, target, link=False)
    if sha256_of(target) != sha256:
        raise BackupError(f"{target} was not written whole (its sha256 differs)")


def _check_sqlite_snapshot(path: Path, manifest: Manifest) -> None:
    facts: Facts = facts_of_file(path)
    if facts.revision != manifest.revision or facts.counts != manifest.counts:
        raise BackupError(f"{path} does not hold what the manifest says")
