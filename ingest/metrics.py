"""This process's ingest counters, kept where ``/metrics`` can add them up.

The web answers ``/metrics``; the files are taken by the watcher and the pages read by
worker processes (spawned, several per machine, maybe on several machines). What lives
in the database (files received, queue, failures by their current reason, proposals,
approvals) is counted there at scrape time (:mod:`registry.ops`). What does not — how
long each page took, and every failed attempt even when a retry later succeeds — each
process writes to files in prometheus-client's multiprocess format in
``DATA_DIR/metrics/``, which the web reads with its ``MultiProcessCollector``.

Unlike prometheus-client's own multiprocess mode (one file per process id, kept open,
switched on for the whole process by ``PROMETHEUS_MULTIPROC_DIR``), each record here
opens the host's file under an exclusive ``flock``, updates it and closes it: one
``counter_<host>.db`` and one ``histogram_<host>.db`` per machine, however often its
processes restart, and counts that only grow (Prometheus's rates need nothing else).
Delete the folder to start from zero (Prometheus then sees a counter reset). Hosts
sharing one data folder over a network each write their own files.

Recording never stops ingest: a folder that cannot be written, or a damaged file, is
logged once per process and the count is lost, nothing else.

- ``signreg_ingest_files_total{outcome}``: files taken by an intake
  (``submitted``, ``duplicate``, ``quarantined``, ``already_recorded``);
- ``signreg_ingest_page_seconds``: seconds per page read, one observation per page (a
  file's reading time shared out over its pages), so ``_count`` is the pages read and
  ``_sum`` the seconds spent;
- ``signreg_ingest_read_failures_total{reason}``: failed reading attempts;
- ``signreg_ingest_intake_failures_total{reason}``: files an intake could not take
  (``disk_full``, ``database_unavailable``, ``error``), each left to be taken again.

The files are allocated in full on disk (``posix_fallocate``) each time they are
opened: an update through the memory map then never needs a new block, which on a full
disk (tmpfs above all) would kill the process with SIGBUS instead of failing a write;
a file that cannot be allocated is a record lost and logged, as above.
"""

from __future__ import annotations

import errno
import fcntl
import math
import os
import socket
import struct
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.utils import floatToGoString

log = structlog.get_logger("ingest.metrics")

METRICS_FOLDER = "metrics"
# reading one page takes about 1-4 s on one core; a slow page tens of seconds
PAGE_SECONDS_BUCKETS: tuple[float, ...] = (0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60, math.inf)


@dataclass(frozen=True, slots=True)
class Family:
    name: str  # without ``_total``
    documentation: str
    kind: str  # "counter" | "histogram"
    labelnames: tuple[str, ...] = ()


FILES = Family(
    "signreg_ingest_files",
    "Files taken by an intake process sharing this data folder, by outcome.",
    "counter",
    ("outcome",),
)
PAGE_SECONDS = Family(
    "signreg_ingest_page_seconds",
    "Seconds a worker took per page read (a file's time shared over its pages).",
    "histogram",
)
READ_FAILURES = Family(
    "signreg_ingest_read_failures",
    "Failed reading attempts by reason (also those a retry later made good).",
    "counter",
    ("reason",),
)
INTAKE_FAILURES = Family(
    "signreg_ingest_intake_failures",
    "Files an intake could not take just now (each stays to be taken again), by reason.",
    "counter",
    ("reason",),
)

# what a metrics file that cannot be written or read (damaged) raises
UNREADABLE = (OSError, ValueError, RuntimeError, struct.error)
_UNSUPPORTED = frozenset({errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL})
_INITIAL_SIZE = 1 << 16  # what prometheus-client's MmapedDict gives a new file
_LOCK = threading.Lock()  # one writer per process at a time; flock orders processes


def metrics_dir(data_dir: Path) -> Path:
    return data_dir / METRICS_FOLDER


def host_id() -> str:
    """This machine's part of the file names (containers have their own host names)."""
    return socket.gethostname().replace(os.sep, "-") or "localhost"


class ProcessMetrics:
    """Records into ``directory``'s files for this host."""

    def __init__(self, directory: Path, host: str | None = None) -> None:
        self.directory = directory
        self.host = host or host_id()
        self._warned = False

    def file_taken(self, outcome: str) -> None:
        self._add(FILES, [((outcome,), "_total", (), 1.0)])

    def read_failed(self, reason: str) -> None:
        self._add(READ_FAILURES, [((reason,), "_total", (), 1.0)])

    def intake_failed(self, reason: str) -> None:
        self._add(INTAKE_FAILURES, [((reason,), "_total", (), 1.0)])

    def pages_read(self, pages: int, seconds: float) -> None:
        if pages <= 0:
            return
        seconds = max(seconds, 0.0)
        bucket = next(b for b in PAGE_SECONDS_BUCKETS if seconds / pages <= b)
        # every bucket is written (most with 0), as prometheus-client's own histogram
        # does: the collector shows only the buckets a file holds
        self._add(
            PAGE_SECONDS,
            [
                ((), "_sum", (), seconds),
                *(
                    (
                        (),
                        "_bucket",
                        (("le", floatToGoString(b)),),
                        float(pages if b == bucket else 0),
                    )
                    for b in PAGE_SECONDS_BUCKETS
                ),
            ],
        )

    def _add(
        self,
        family: Family,
        samples: Sequence[tuple[tuple[str, ...], str, tuple[tuple[str, str], ...], float]],
    ) -> None:
        """Add to samples: (label values, sample suffix, extra labels, amount)."""
        try:
            with self._file(family.kind) as values:
                for labelvalues, suffix, extra, amount in samples:
                    key = mmap_key(
                        family.name,
                        family.name + suffix,
                        [*family.labelnames, *(n for n, _ in extra)],
                        [*labelvalues, *(v for _, v in extra)],
                        family.documentation,
                    )
                    value, _ = values.read_value(key)
                    values.write_value(key, value + amount, 0.0)
        except UNREADABLE as e:
            if not self._warned:
                self._warned = True
                log.warning("metrics.not_recorded", folder=str(self.directory), error=str(e))

    @contextmanager
    def _file(self, kind: str) -> Iterator[MmapedDict]:
        path = self.directory / f"{kind}_{self.host}.db"
        with _LOCK:
            self.directory.mkdir(parents=True, exist_ok=True)
            lock_fd = os.open(self.directory / f".{kind}_{self.host}.lock", os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
                if not path.exists():
                    _create(path)
                _allocate(path)
                values = MmapedDict(str(path))
                try:
                    yield values
                finally:
                    values.close()
            finally:
                os.close(lock_fd)  # releases the flock


def _allocate(path: Path) -> None:
    """Give every block of ``path`` its place on disk (the library makes it sparse); a
    file system that cannot tell (no ``fallocate``) is left as it is."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, max(os.fstat(fd).st_size, 1))
    except OSError as e:
        if e.errno not in _UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def _create(path: Path) -> None:
    """An empty metrics file, made whole before it appears (a scrape never meets a file
    without its header)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:  # allocated zeros, not the library's sparse file: no block is left to find
        os.posix_fallocate(fd, 0, _INITIAL_SIZE)
    except OSError as e:
        if e.errno not in _UNSUPPORTED:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise
    os.close(fd)
    MmapedDict(str(temp)).close()  # the library writes its header
    os.replace(temp, path)


_BY_FOLDER: dict[Path, ProcessMetrics] = {}


def for_data_dir(data_dir: Path) -> ProcessMetrics:
    """The recorder for one data folder (one per folder and process)."""
    folder = metrics_dir(data_dir)
    found = _BY_FOLDER.get(folder)
    if found is None:
        found = _BY_FOLDER.setdefault(folder, ProcessMetrics(folder))
    return found
