"""Is a file in the inbox finished? A small pure tracker of size and mtime over time.

A file is *stable* once its size, mtime and inode have stayed the same for
``stable_seconds`` of the tracker's clock. The tracker never touches the file system:
the watcher stats files and feeds :meth:`StabilityTracker.observe`; tests feed it by
hand and move a fake clock.

A stable file may still be unfinished: the watcher then looks at it (is it a whole PDF,
is a writer holding it open: :mod:`ingest.completeness`) and, if not, calls
:meth:`StabilityTracker.hold`. A held file is offered again every ``recheck_seconds``
while its state stays the same, and once it has been unchanged for
``incomplete_grace_seconds`` it is *overdue*: the watcher takes it whatever it looks
like (intake then quarantines it with its reason). Any change of state releases the
hold and restarts the clock.

Edge cases, and what happens:

- **Chunked network copies** (SMB/NFS, ``cp`` of a large file): every chunk changes
  size and mtime and restarts the clock. A pause between chunks longer than
  ``stable_seconds`` makes a half-copied file stable, but it has no ``%%EOF`` yet: it is
  held, and the next chunk releases it.
- **A copy that pauses mid-file** (a scanner or a share stalling for seconds): the half
  file is held for up to the incomplete grace (``SIGNREG_INCOMPLETE_GRACE_SECONDS``,
  60 s); the rest arriving within it makes one whole file, taken once. Only a file left
  unfinished for the whole grace is taken (and quarantined as ``truncated``).
- **A file still open for writing** but unchanged for a while (a copier that keeps its
  handle, a scanner between pages): held like an incomplete one, taken when closed (at
  once, if it is whole by then), or when the grace has passed with it still open.
- **A file first seen already unfinished** (present when the watcher starts, or a
  crashed copy): its age is counted from when the tracker first saw it, never from its
  mtime (a share's clock may be minutes off), so it too waits the whole grace.
- **Scanners that reopen the file** to append pages: the append changes size and mtime
  and restarts the clock, like any write. A scanner that writes a complete PDF after
  each page makes several complete versions; each is taken, and the registry lets the
  later, larger one supersede the earlier (:mod:`registry.supersede`).
- **A file that shrinks or is replaced** (rewritten from the start, or another file
  renamed over it: a new inode): the clock restarts and any hold is released.
- **Temp files renamed into place** (``.part``, ``.filepart``, ``.tmp``,
  ``.crdownload``, dotfiles such as ``.~x.pdf``, Office's ``~$`` lock files): never
  tracked, see :func:`is_candidate`; the final name appears as a new path with a fresh
  clock. The same rule keeps the watcher out of hidden and temp *folders* (its own
  ``.signreg-taking`` among them).
- **A zero-byte file that stays zero-byte** is held as unfinished (copies create the
  file before writing it), then, after the grace, taken: intake quarantines it as
  empty rather than leaving it in the inbox for ever.
- **A file that disappears** (moved away, taken by another watcher) is forgotten.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Clock = Callable[[], float]

_IGNORED_SUFFIXES = (
    ".part",
    ".filepart",
    ".tmp",
    ".crdownload",
    ".partial",
    ".download",
    ".swp",
)


def is_candidate(name: str) -> bool:
    """Whether an inbox entry named ``name`` may be a finished scan worth tracking (or,
    for a folder, may hold some)."""
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
    recheck_at: float | None = None  # held as unfinished: not offered before this


class StabilityTracker:
    """Tracks inbox files until each has kept one :class:`FileState` long enough."""

    def __init__(
        self,
        stable_seconds: float,
        clock: Clock = time.monotonic,
        *,
        incomplete_grace_seconds: float = 60.0,
        recheck_seconds: float = 1.0,
    ) -> None:
        if min(stable_seconds, incomplete_grace_seconds, recheck_seconds) < 0:
            raise ValueError("stable, grace and recheck seconds must be >= 0")
        self.stable_seconds = stable_seconds
        self.grace_seconds = max(incomplete_grace_seconds, stable_seconds)
        self.recheck_seconds = recheck_seconds
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
        """Paths to look at now, oldest first: unchanged for ``stable_seconds`` and, if
        held, due for another look."""
        now = self._clock()
        ready = [
            (t.since, p)
            for p, t in self._files.items()
            if now - t.since >= self.stable_seconds
            and (t.recheck_at is None or now >= t.recheck_at)
        ]
        return [p for _, p in sorted(ready)]

    def hold(self, path: Path) -> None:
        """The watcher found ``path`` unfinished: offer it again after
        ``recheck_seconds`` (or when it becomes overdue), unless it changes first."""
        tracked = self._files.get(path)
        if tracked is not None:
            now = self._clock()
            overdue_at = tracked.since + self.grace_seconds
            tracked.recheck_at = min(now + self.recheck_seconds, overdue_at)

    def held(self, path: Path) -> bool:
        tracked = self._files.get(path)
        return tracked is not None and tracked.recheck_at is not None

    def overdue(self, path: Path) -> bool:
        """Unchanged for the incomplete grace: to be taken however unfinished it looks."""
        tracked = self._files.get(path)
        return tracked is not None and self._clock() - tracked.since >= self.grace_seconds

    def next_deadline(self) -> float | None:
        """Clock time at which the earliest file will next be due for a look."""
        if not self._files:
            return None
        return min(
            t.recheck_at if t.recheck_at is not None else t.since + self.stable_seconds
            for t in self._files.values()
        )
