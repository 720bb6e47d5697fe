"""Watch the inbox: watchdog events for speed, a periodic full rescan for certainty.

Network shares (SMB, NFS) and some file systems deliver no events, and events can be
dropped under load, so the inbox is also rescanned every ``poll_seconds``; events only
make a new file noticed sooner. The inbox is watched with its sub-folders (a folder of
scans moved in is taken file by file); hidden and temp folders, the intake's own
``.signreg-taking`` among them, are skipped (:func:`~ingest.stability.is_candidate`).
Emptied sub-folders are left in place: a scanner's scan-to-folder destination is often
one, and removing it would make the scanner's next delivery fail.

Each stat feeds the :class:`StabilityTracker`. A file stable long enough is looked at
once more (:func:`~ingest.completeness.unfinished_reason`: a whole PDF? a writer still
holding it?); an unfinished one is held until it changes or the incomplete grace has
passed, every other one is handed to ``on_stable`` (the intake), one at a time, in the
watcher's own thread. Claimed files orphaned by a crash are recovered on each rescan.
"""

from __future__ import annotations

import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import structlog
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ingest.completeness import unfinished_reason
from ingest.stability import FileState, StabilityTracker, is_candidate

log = structlog.get_logger("ingest.watcher")

Unfinished = Callable[[Path], "str | None"]


def stat_state(path: Path) -> FileState | None:
    """What a stat of ``path`` says; ``None`` if it is gone or not a regular file."""
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return FileState(size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino)


def inbox_files(inbox: Path) -> Iterator[Path]:
    """Every candidate file in the inbox and its candidate sub-folders (no symlinked
    folders followed)."""
    for root, folders, names in os.walk(inbox):
        folders[:] = [d for d in folders if is_candidate(d)]
        for name in names:
            if is_candidate(name):
                yield Path(root) / name


def in_inbox(inbox: Path, path: Path) -> bool:
    """Whether ``path`` is a candidate inside the inbox: every part of it below the
    inbox a candidate name (so nothing in a hidden or temp folder)."""
    try:
        parts = path.relative_to(inbox).parts
    except ValueError:
        return False
    return bool(parts) and all(is_candidate(part) for part in parts)


class _Events(FileSystemEventHandler):
    """Queues the paths events name; a folder event queues the inbox itself, which asks
    the loop for a rescan (a folder moved in may bring files no event names)."""

    def __init__(self, inbox: Path, paths: queue.SimpleQueue[Path]) -> None:
        self.inbox = inbox
        self.paths = paths

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory and event.event_type not in ("created", "moved"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = Path(os.fsdecode(raw))
                if in_inbox(self.inbox, path):
                    self.paths.put(self.inbox if event.is_directory else path)


class InboxWatcher:
    """The watch loop: events and rescans in, finished paths out to ``on_stable``."""

    def __init__(
        self,
        inbox: Path,
        *,
        stable_seconds: float,
        poll_seconds: float,
        on_stable: Callable[[Path], object],
        on_rescan: Callable[[], object] = lambda: None,
        use_events: bool = True,
        incomplete_grace_seconds: float = 60.0,
        unfinished: Unfinished = unfinished_reason,
    ) -> None:
        self.inbox = inbox
        self.poll_seconds = poll_seconds
        self.on_stable = on_stable
        self.on_rescan = on_rescan
        self.use_events = use_events
        self.unfinished = unfinished
        self.tracker = StabilityTracker(
            stable_seconds,
            incomplete_grace_seconds=incomplete_grace_seconds,
            recheck_seconds=min(poll_seconds, 1.0),
        )
        self._events: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self._rescan_soon = False

    def rescan(self) -> None:
        """Stat every candidate in the inbox tree (a full, event-independent look)."""
        present: set[Path] = set()
        for path in inbox_files(self.inbox):
            state = stat_state(path)
            if state is not None:
                present.add(path)
                self.tracker.observe(path, state)
        self.tracker.retain(present)

    def take_stable(self, stop: threading.Event) -> int:
        """Re-stat each file the tracker thinks stable; hand over those still unchanged
        and finished (or overdue), hold the others."""
        taken = 0
        for path in self.tracker.stable():
            if stop.is_set():
                break
            self.tracker.observe(path, stat_state(path))
            if path not in self.tracker.stable():
                continue  # changed or gone since
            if not self.tracker.overdue(path):
                why = self.unfinished(path)
                if why is not None:
                    if not self.tracker.held(path):
                        log.info("watcher.waiting", file=self._name(path), why=why)
                    self.tracker.hold(path)
                    continue
            elif self.tracker.held(path):
                log.warning("watcher.unfinished_taken", file=self._name(path))
            self.tracker.forget(path)
            self.on_stable(path)
            taken += 1
        return taken

    def run(self, stop: threading.Event) -> None:
        """Watch until ``stop`` is set."""
        self.inbox.mkdir(parents=True, exist_ok=True)
        observer = self._start_observer()
        log.info("watcher.started", inbox=str(self.inbox), events=observer is not None)
        next_rescan = 0.0
        try:
            while not stop.is_set():
                now = time.monotonic()
                if now >= next_rescan or self._rescan_soon:
                    self._rescan_soon = False
                    self.rescan()
                    self.on_rescan()
                    next_rescan = now + self.poll_seconds
                self.take_stable(stop)
                self._wait_for_events(stop, next_rescan)
        finally:
            if observer is not None:
                observer.stop()
                observer.join()
            log.info("watcher.stopped")

    def _name(self, path: Path) -> str:
        return path.relative_to(self.inbox).as_posix()

    def _wait_for_events(self, stop: threading.Event, next_rescan: float) -> None:
        deadline = min(next_rescan, self.tracker.next_deadline() or next_rescan)
        timeout = max(0.01, deadline - time.monotonic())
        try:
            path = self._events.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            if path == self.inbox:
                self._rescan_soon = True  # a folder came or went
            else:
                self.tracker.observe(path, stat_state(path))
            try:
                path = self._events.get_nowait()
            except queue.Empty:
                return

    def _start_observer(self) -> Observer | None:  # type: ignore[valid-type]
        if not self.use_events:
            return None
        observer = Observer()
        observer.schedule(_Events(self.inbox, self._events), str(self.inbox), recursive=True)
        observer.daemon = True
        observer.start()
        return observer
