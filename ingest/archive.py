"""The content-addressed archive: ``<root>/ab/abcdef….pdf`` for a file of sha256 ``abcdef…``.

Every received scan is kept here exactly once, whatever names it arrived under. A file
is copied into a fsynced temp file at the archive root while it is hashed (so the name
is the hash of exactly the bytes kept), then renamed into its folder and the folders are
fsynced. Storing the same content again changes nothing. Several processes may share
one archive: the rename is atomic and the content under a name never differs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ingest.durable import Staged, publish, remove_stale_temps, stage_copy

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ArchiveError(Exception):
    """The archive was asked for something that is not a sha256 or not stored."""


@dataclass(frozen=True, slots=True)
class Archive:
    root: Path

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ArchiveError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / f"{sha256}.pdf"

    def relative_path(self, sha256: str) -> str:
        """The path stored in the database, relative to the archive root."""
        return self.path_for(sha256).relative_to(self.root).as_posix()

    def contains(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def stage(self, source: Path) -> Staged:
        """Copy ``source`` into a fsynced temp file in the archive, hashing it."""
        return stage_copy(source, self.root)

    def commit(self, staged: Staged) -> Path:
        """Move a staged copy to its content address (idempotent); returns the path."""
        target = self.path_for(staged.sha256)
        publish(staged.temp, target, replace=False)
        return target

    def store(self, source: Path) -> tuple[str, Path]:
        """Stage and commit ``source`` in one go; returns its sha256 and archive path."""
        staged = self.stage(source)
        return staged.sha256, self.commit(staged)

    def read(self, sha256: str) -> bytes:
        path = self.path_for(sha256)
        try:
            return path.read_bytes()
        except FileNotFoundError as e:
            raise ArchiveError(f"{sha256} is not in the archive at {self.root}") from e

    def clean_temps(self, *, older_than: float, now: float) -> int:
        """Remove temp files left by a crash mid-copy (older than ``older_than`` s)."""
        return remove_stale_temps(self.root, older_than=older_than, now=now)
