"""The quarantine: bad files, kept for a person to look at, each with its reason beside it.

``<root>/<sha256[:12]>-<original name>`` holds the bytes and
``<root>/<sha256[:12]>-<original name>.reason.txt`` says why, in three lines::

    reason: not_pdf
    message: not a PDF: the file starts like a Word document (DOCX/ZIP)
    time: 2026-11-23T09:41:07+00:00

Both are written durably (temp file, fsync, rename, fsync dir), the bytes first, so a
``.reason.txt`` never points at a missing file. Putting the same file twice rewrites
the same two files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.durable import Staged, publish, remove_stale_temps, stage_copy, write_atomic

REASON_SUFFIX = ".reason.txt"
_UNSAFE = re.compile(r"[^\w.\- ()+,=@]+")


def safe_name(name: str) -> str:
    """A file name without path separators or control characters, at most 150 bytes
    of UTF-8 (``<sha12>-NAME.reason.txt`` stays within a file system's 255 bytes)."""
    cleaned = _UNSAFE.sub("_", Path(name).name).strip(" .")
    return cleaned.encode("utf-8")[:150].decode("utf-8", "ignore") or "unnamed"


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    path: Path
    reason_path: Path
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Quarantine:
    root: Path

    def path_for(self, sha256: str, file_name: str) -> Path:
        return self.root / f"{sha256[:12]}-{safe_name(file_name)}"

    def stage(self, source: Path) -> Staged:
        return stage_copy(source, self.root)

    def put(
        self, staged: Staged, *, file_name: str, reason: str, message: str, now: datetime
    ) -> QuarantineEntry:
        """Move a staged copy into the quarantine and write its ``.reason.txt``."""
        target = self.path_for(staged.sha256, file_name)
        publish(staged.temp, target, replace=True)
        return self._write_reason(target, reason=reason, message=message, now=now)

    def put_bytes(
        self,
        data: bytes,
        *,
        sha256: str,
        file_name: str,
        reason: str,
        message: str,
        now: datetime,
    ) -> QuarantineEntry:
        """Quarantine bytes already held (a worker's copy of an archived file)."""
        target = self.path_for(sha256, file_name)
        write_atomic(target, data)
        return self._write_reason(target, reason=reason, message=message, now=now)

    def _write_reason(
        self, target: Path, *, reason: str, message: str, now: datetime
    ) -> QuarantineEntry:
        one_line = " ".join(message.split())
        text = f"reason: {reason}\nmessage: {one_line}\ntime: {now.isoformat()}\n"
        reason_path = target.with_name(target.name + REASON_SUFFIX)
        write_atomic(reason_path, text.encode("utf-8"))
        return QuarantineEntry(
            path=target, reason_path=reason_path, reason=reason, message=one_line
        )

    def entries(self) -> list[Path]:
        """Quarantined files (not their reasons), sorted by name."""
        if not self.root.is_dir():
            return []
        return sorted(
            p
            for p in self.root.iterdir()
            if p.is_file() and not p.name.endswith(REASON_SUFFIX) and not p.name.startswith(".")
        )

    def clean_temps(self, *, older_than: float, now: float) -> int:
        return remove_stale_temps(self.root, older_than=older_than, now=now)
