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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.archive import Archive
from ingest.durable import fsync_dir, sha256_file
from ingest.quarantine import REASON_SUFFIX, Quarantine
from registry.erasure import FilesDeleted, ScanFile


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
