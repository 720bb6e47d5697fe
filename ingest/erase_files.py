"""Deleting a scan's files from the data folder, after the database says it is deleted.

Erasure on request (``registry.erasure``) and retention (``registry.retention``) mark a
submission's scan deleted in the database; once that has committed, the caller hands
the scans here and :meth:`ScanFiles.delete` removes, for each sha256:

- the archived copy, ``archive/ab/<sha256>.pdf`` (``ingest.archive``);
- a quarantined copy and its ``.reason.txt``, ``quarantine/<sha256[:12]>-<name>``
  (``ingest.quarantine``), checked to hold those very bytes before it goes;
- every derived file in the cache, ``cache/<kind>/ab/<sha256>-…`` (the page images
  and crops of ``api.page_images``: the cache keys every file by its scan's sha256).

Deleting what is already gone is no error, so the same scans may be handed over again
(a re-run after a crash between the commit and the deletion finishes the work). Each
folder that lost a file is fsynced.

:func:`run_erasure` and :func:`run_retention` are the whole of each for the command
line and the admin pages: the database's transaction, then the files, in that order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ingest.archive import Archive
from ingest.durable import fsync_dir, sha256_file
from ingest.quarantine import REASON_SUFFIX, Quarantine
from registry.erasure import ErasureReport, FilesDeleted, ScanFile, erase
from registry.purge import purge_old_row_versions
from registry.retention import RetentionPlan, apply_retention, deleted_scans, plan_retention


@dataclass(frozen=True, slots=True)
class ScanFiles:
    archive: Archive
    quarantine: Quarantine
    cache_dir: Path

    @classmethod
    def at(cls, *, archive_dir: Path, quarantine_dir: Path, cache_dir: Path) -> ScanFiles:
        return cls(Archive(archive_dir), Quarantine(quarantine_dir), cache_dir)

    def present(self, scans: Iterable[ScanFile]) -> list[ScanFile]:
        """The scans of which a file is still there (the archive's or a quarantined copy)."""
        return [s for s in scans if self._archived(s) is not None or self._quarantined(s)]

    def delete(self, scans: Iterable[ScanFile]) -> FilesDeleted:
        wanted = list(scans)
        touched: set[Path] = set()
        archive = quarantine = 0
        for scan in wanted:
            path = self._archived(scan)
            if path is not None:
                path.unlink(missing_ok=True)
                touched.add(path.parent)
                archive += 1
            for copy in self._quarantined(scan):
                copy.with_name(copy.name + REASON_SUFFIX).unlink(missing_ok=True)
                copy.unlink(missing_ok=True)
                touched.add(copy.parent)
                quarantine += 1
        images = self._delete_derived({s.sha256 for s in wanted}, touched)
        for folder in touched:
            fsync_dir(folder)
        return FilesDeleted(archive=archive, quarantine=quarantine, page_images=images)

    def _archived(self, scan: ScanFile) -> Path | None:
        path = self.archive.path_for(scan.sha256)
        return path if path.is_file() else None

    def _quarantined(self, scan: ScanFile) -> list[Path]:
        """The quarantine's copies of this content (by name, then by their bytes)."""
        names = {self.quarantine.path_for(scan.sha256, n) for n in scan.file_names}
        root = self.quarantine.root
        if root.is_dir():  # a copy under a name the row does not know
            names.update(p for p in root.glob(f"{scan.sha256[:12]}-*") if p.is_file())
        return sorted(
            p
            for p in names
            if p.is_file()
            and not p.name.endswith(REASON_SUFFIX)
            and sha256_file(p)[0] == scan.sha256
        )

    def _delete_derived(self, shas: set[str], touched: set[Path]) -> int:
        """Every ``cache/<kind>/<ab>/<sha256>…`` file of these scans; how many."""
        if not self.cache_dir.is_dir() or not shas:
            return 0
        prefixes = {s[:2] for s in shas}
        count = 0
        for kind in (p for p in self.cache_dir.iterdir() if p.is_dir()):
            for prefix in prefixes:
                folder = kind / prefix
                if not folder.is_dir():
                    continue
                for path in folder.iterdir():
                    if path.name[:64] in shas and path.is_file():
                        path.unlink(missing_ok=True)
                        touched.add(folder)
                        count += 1
        return count


def run_erasure(
    *,
    engine: Engine,
    sessions: sessionmaker[Session],
    files: ScanFiles,
    organisation_number: str,
    actor: str,
    now: dt.datetime,
    signatory_id: int | None = None,
    submission_id: int | None = None,
) -> ErasureReport:
    """Erase in one transaction, then delete the scans' files, then rewrite the
    database's files so no old copy of a value is left in them."""
    with sessions.begin() as session:
        report = erase(
            session=session,
            organisation_number=organisation_number,
            actor=actor,
            now=now,
            signatory_id=signatory_id,
            submission_id=submission_id,
        )
    deleted = files.delete(report.scans)
    return replace(report, files=deleted, not_rewritten=purge_old_row_versions(engine))


@dataclass(frozen=True, slots=True)
class RetentionRun:
    plan: RetentionPlan
    dry_run: bool
    files: FilesDeleted  # of the scans due now and of any marked deleted earlier
    leftover: int  # scans marked deleted earlier whose files were still there

    def to_dict(self) -> dict[str, object]:
        return {
            **self.plan.to_dict(),
            "dry_run": self.dry_run,
            "files": {
                "archive": self.files.archive,
                "quarantine": self.files.quarantine,
                "page_images": self.files.page_images,
            },
            "leftover": self.leftover,
        }


def run_retention(
    *,
    sessions: sessionmaker[Session],
    files: ScanFiles,
    now: dt.datetime,
    actor: str,
    dry_run: bool = False,
) -> RetentionRun:
    """List (``dry_run``) or apply retention; applied, the files of the scans due go,
    and so do those of every scan marked deleted before whose files are still there (a
    crash after an earlier commit, or the same file received and archived again)."""
    if dry_run:
        with sessions() as session:
            plan = plan_retention(session=session, now=now)
            earlier = deleted_scans(session=session)
        return RetentionRun(plan, True, FilesDeleted(), len(files.present(earlier)))
    with sessions.begin() as session:
        plan = apply_retention(session=session, now=now, actor=actor)
    due = {d.submission_id for d in plan.due}
    with sessions() as session:
        earlier = [s for s in deleted_scans(session=session) if s.submission_id not in due]
    leftover = files.present(earlier)
    deleted = files.delete([*(d.scan for d in plan.due), *leftover])
    return RetentionRun(plan, False, deleted, len(leftover))
