"""Is a file in the inbox finished? A small pure tracker of size and mtime over time.

A file is *stable* once its size, mtime and inode have stayed the same for
``stable_seconds`` of the tracker's clock. The tracker never touches the file system:
the watcher stats files and feeds :meth:`StabilityTracker.observe`; tests feed it by
hand and move a fake clock.

Edge cases, and what happens:

- **Chunked network copies** (SMB/NFS, ``cp`` of a large file): every chunk changes
  size and mtime and restarts the clock; a pause between chunks longer than
  ``stable_seconds`` would let a half-copied file through, so on slow shares raise
  ``SIGNREG_STABLE_SECONDS``. A half-written PDF that slips through anyway fails the
  cheap validation (no ``%%EOF``) and is quarantined, never half-archived as good.
- **Scanners that reopen the file** to append pages: the append changes size and mtime
  and restarts the clock, like any write.
- **A file that shrinks or is replaced** (rewritten from the start, or another file
  renamed over it: a new inode): the clock restarts.
- **Temp files renamed into place** (``.part``, ``.tmp``, ``.crdownload``, dotfiles,
  Office's ``~$`` lock files): never tracked, see :func:`is_candidate`; the final name
  appears as a new path with a fresh clock.
- **A zero-byte file that stays zero-byte** is still reported stable: intake
  quarantines it as empty rather than leaving it in the inbox for ever.
- **A file that disappears** (moved away, taken by another watcher) is forgotten.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Clock = Callable[[], float]

_IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".download", ".swp")


def is_candidate(name: str) -> bool:
    """Whether an inbox entry named ``name`` may be a finished scan worth tracking."""
    lowered = name.lower()
    if not lowered or lowered.startswith((".", "~$")):
        return False
    return not lowered.endswith(_IGNORED_SUFFIXES)


@dataclass(frozen=True, slots=True)
class FileState:
    """What one ``stat`` said about a file."""

    size: int
    mtime_ns: int
    inode: int = 0


@dataclass(slots=True)
class _Tracked:
    state: FileState
    since: float  # clock time when ``state`` was first seen


class StabilityTracker:
    """Tracks inbox files until each has kept one :class:`FileState` long enough."""

    def __init__(self, stable_seconds: float, clock: Clock = time.monotonic) -> None:
        if stable_seconds < 0:
            raise ValueError("stable_seconds must be >= 0")
        self.stable_seconds = stable_seconds
        self._clock = clock
        self._files: dict[Path, _Tracked] = {}

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, path: object) -> bool:
        return path in self._files

    def observe(self, path: Path, state: FileState | None) -> None:
        """Record what a stat of ``path`` said now; ``None`` means it is gone."""
        if state is None:
            self._files.pop(path, None)
            return
        tracked = self._files.get(path)
        if tracked is None or tracked.state != state:
            self._files[path] = _Tracked(state=state, since=self._clock())

    def forget(self, path: Path) -> None:
        self._files.pop(path, None)

    def retain(self, present: set[Path]) -> None:
        """Forget every tracked path not in ``present`` (after a full rescan)."""
        for path in [p for p in self._files if p not in present]:
            del self._files[path]

    def stable(self) -> list[Path]:
        """Paths whose state has not changed for ``stable_seconds``, oldest first."""
        now = self._clock()
        ready = [
            (t.since, p) for p, t in self._files.items() if now - t.since >= self.stable_seconds
        ]
        return [p for _, p in sorted(ready)]

    def next_deadline(self) -> float | None:
        """Clock time at which the earliest still-settling file would become stable."""
        if not self._files:
            return None
        return min(t.since for t in self._files.values()) + self.stable_seconds
