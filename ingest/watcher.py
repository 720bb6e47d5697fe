"""Watch the inbox: watchdog events for speed, a periodic full rescan for certainty.

Network shares (SMB, NFS) and some file systems deliver no events, and events can be
dropped under load, so the inbox is also rescanned every ``poll_seconds``; events only
make a new file noticed sooner. Each stat feeds the :class:`StabilityTracker`; a file
stable long enough is handed to ``on_stable`` (the intake), one at a time, in the
watcher's own thread. Claimed files orphaned by a crash are recovered on each rescan.
"""

from __future__ import annotations

import queue
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import structlog
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ingest.stability import FileState, StabilityTracker, is_candidate

log = structlog.get_logger("ingest.watcher")


def stat_state(path: Path) -> FileState | None:
    """What a stat of ``path`` says; ``None`` if it is gone or not a regular file."""
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return FileState(size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino)


class _Events(FileSystemEventHandler):
    def __init__(self, inbox: Path, paths: queue.SimpleQueue[Path]) -> None:
        self.inbox = inbox
        self.paths = paths

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = Path(str(raw))
                if path.parent == self.inbox:
                    self.paths.put(path)


class InboxWatcher:
    """The watch loop: events and rescans in, stable paths out to ``on_stable``."""

    def __init__(
        self,
        inbox: Path,
        *,
        stable_seconds: float,
        poll_seconds: float,
        on_stable: Callable[[Path], object],
        on_rescan: Callable[[], object] = lambda: None,
        use_events: bool = True,
    ) -> None:
        self.inbox = inbox
        self.poll_seconds = poll_seconds
        self.on_stable = on_stable
        self.on_rescan = on_rescan
        self.use_events = use_events
        self.tracker = StabilityTracker(stable_seconds)
        self._events: queue.SimpleQueue[Path] = queue.SimpleQueue()

    def rescan(self) -> None:
        """Stat every candidate in the inbox (a full, event-independent look)."""
        present: set[Path] = set()
        for entry in self.inbox.iterdir():
            if is_candidate(entry.name):
                state = stat_state(entry)
                if state is not None:
                    present.add(entry)
                    self.tracker.observe(entry, state)
        self.tracker.retain(present)

    def take_stable(self, stop: threading.Event) -> int:
        """Re-stat each file the tracker thinks stable; hand over those still unchanged."""
        taken = 0
        for path in self.tracker.stable():
            if stop.is_set():
                break
            self.tracker.observe(path, stat_state(path))
            if path in self.tracker.stable():
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
                if now >= next_rescan:
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

    def _wait_for_events(self, stop: threading.Event, next_rescan: float) -> None:
        deadline = min(next_rescan, self.tracker.next_deadline() or next_rescan)
        timeout = max(0.01, deadline - time.monotonic())
        try:
            path = self._events.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            if is_candidate(path.name):
                self.tracker.observe(path, stat_state(path))
            try:
                path = self._events.get_nowait()
            except queue.Empty:
                return

    def _start_observer(self) -> Observer | None:  # type: ignore[valid-type]
        if not self.use_events:
            return None
        observer = Observer()
        observer.schedule(_Events(self.inbox, self._events), str(self.inbox), recursive=False)
        observer.daemon = True
        observer.start()
        return observer
