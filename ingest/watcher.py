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

When the intake cannot take a file for a passing reason (the disk full, the database
away), ``on_stable`` raises :class:`TryLater`; the file is back in the inbox, and the
watcher takes nothing (and recovers nothing) for a while, longer after each failure
in a row: ``poll_seconds``, doubled each time up to ``max_backoff_seconds`` (5 s).
It keeps rescanning meanwhile; the first file taken after that ends the back-off. So
an outage costs no file and no busy loop, and files flow again within one back-off of
the cause going away.
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
from ingest.durable import sha256_file
from ingest.logs import STILL_BEING_WRITTEN, UNREADABLE, no_sha256
from ingest.stability import FileState, StabilityTracker, is_candidate

log = structlog.get_logger("ingest.watcher")

Unfinished = Callable[[Path], "str | None"]


def stat_state(path: Path) -> FileState | None:
    """What a stat of ``path`` says; ``None`` if it is gone or not a regular file (a
    symlink is not: never followed out of the inbox)."""
    try:
        st = path.lstat()
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


class TryLater(Exception):
    """Raised by ``on_stable`` or ``on_rescan``: nothing can be taken just now (``reason``:
    ``disk_full``, ``database_unavailable``); the file is left in the inbox."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def about_unread(path: Path) -> dict[str, object]:
    """The sha256 of a file the watcher hands over (it is whole by now), for its log line."""
    try:
        return {"sha256": sha256_file(path)[0]}
    except OSError:
        return no_sha256(UNREADABLE)


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
        max_backoff_seconds: float = 5.0,
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
        self.max_backoff_seconds = max_backoff_seconds
        self._failures = 0  # TryLater in a row
        self._failing_since = 0.0
        self._paused_until = 0.0

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
                        log.info(
                            "watcher.waiting",
                            file=self._name(path),
                            why=why,
                            **no_sha256(STILL_BEING_WRITTEN),
                        )
                    self.tracker.hold(path)
                    continue
            elif self.tracker.held(path):
                log.warning("watcher.unfinished_taken", file=self._name(path), **about_unread(path))
            self.tracker.forget(path)
            try:
                self.on_stable(path)
            except TryLater as e:
                self._back_off(e.reason)
                break
            self._resumed()
            taken += 1
        return taken

    def paused(self) -> bool:
        """Backing off after a :class:`TryLater`: nothing is taken until it has passed."""
        return time.monotonic() < self._paused_until

    def _back_off(self, reason: str) -> None:
        now = time.monotonic()
        if self._failures == 0:
            self._failing_since = now
        self._failures += 1
        wait = min(self.poll_seconds * 2 ** (self._failures - 1), self.max_backoff_seconds)
        self._paused_until = now + wait
        log.warning(
            "watcher.backing_off",
            reason=reason,
            failures=self._failures,
            retry_in_seconds=round(wait, 2),
        )

    def _resumed(self) -> None:
        if self._failures:
            log.info(
                "watcher.resumed",
                failures=self._failures,
                after_seconds=round(time.monotonic() - self._failing_since, 2),
            )
            self._failures = 0
            self._paused_until = 0.0

    def _recover(self) -> None:
        try:
            self.on_rescan()
        except TryLater as e:
            self._back_off(e.reason)

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
                    if not self.paused():
                        self._recover()
                    next_rescan = now + self.poll_seconds
                if self.paused():
                    self._wait_for_events(stop, min(next_rescan, self._paused_until), idle=True)
                    continue
                self.take_stable(stop)
                self._wait_for_events(stop, next_rescan)
        finally:
            if observer is not None:
                observer.stop()
                observer.join()
            log.info("watcher.stopped")

    def _name(self, path: Path) -> str:
        return path.relative_to(self.inbox).as_posix()

    def _wait_for_events(
        self, stop: threading.Event, next_rescan: float, *, idle: bool = False
    ) -> None:
        """Until an event, the next rescan or (unless ``idle``: backing off) the next
        file due for a look."""
        deadline = (
            next_rescan if idle else min(next_rescan, self.tracker.next_deadline() or next_rescan)
        )
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
