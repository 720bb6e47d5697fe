"""The content-addressed archive: ``<root>/ab/abcdef….pdf`` for a file of sha256 ``abcdef…``
(``.jpg``, ``.png``, ``.tif`` or ``.heic`` for a photo or an image scan: the name says
what the bytes are).

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
from ocr.images import Kind, image_kind

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
PDF_SUFFIX = ".pdf"
IMAGE_SUFFIXES: dict[Kind, str] = {"jpeg": ".jpg", "png": ".png", "tiff": ".tif", "heic": ".heic"}
_HEAD = 16  # enough of a file's first bytes to tell an image from anything else


def suffix_for(head: bytes) -> str:
    """The archive name's suffix for a file starting with ``head``: its image kind's, or
    ``.pdf`` for anything else (the intake takes PDFs and images only)."""
    kind = image_kind(head)
    return IMAGE_SUFFIXES[kind] if kind is not None else PDF_SUFFIX


class ArchiveError(Exception):
    """The archive was asked for something that is not a sha256 or not stored."""


@dataclass(frozen=True, slots=True)
class Archive:
    root: Path

    def _stem(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ArchiveError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def path_for(self, sha256: str) -> Path:
        """Where the file of ``sha256`` is kept; for one not stored, where a PDF would be."""
        stem = self._stem(sha256)
        pdf = stem.with_name(stem.name + PDF_SUFFIX)
        if pdf.is_file():
            return pdf
        for suffix in IMAGE_SUFFIXES.values():
            path = stem.with_name(stem.name + suffix)
            if path.is_file():
                return path
        return pdf

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
        with staged.temp.open("rb") as f:
            suffix = suffix_for(f.read(_HEAD))
        stem = self._stem(staged.sha256)
        target = stem.with_name(stem.name + suffix)
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
