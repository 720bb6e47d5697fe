"""A real ``signreg watch`` in a subprocess, and the files dropped on it (tests and soak).

The process runs in its own process group, so :meth:`Watch.kill9` takes its workers
down with it, as a power cut or the OOM killer would.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from registry.db import make_engine, make_sessionmaker
from registry.models import Submission, SubmissionArrival

REPO = Path(__file__).resolve().parents[2]
SIGNREG = Path(sys.executable).parent / "signreg"
FAKE_ENGINE = "plugin:tests.ingest.fake_ocr"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"


class Watch:
    """``signreg watch`` on one database, data folder and inbox; start, kill -9, stop."""

    def __init__(
        self,
        url: str,
        data: Path,
        inbox: Path,
        journal: Path | None,
        log: Path,
        *,
        engine: str = FAKE_ENGINE,
        workers: int = 1,
        fake_delay: float = 0.15,
        stable_seconds: float = 0.2,
        poll_seconds: float = 0.2,
        lease_seconds: float = 2.0,
        heartbeat_seconds: float = 10.0,
        incomplete_grace_seconds: float = 2.0,
    ) -> None:
        self.log = log
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SIGNREG_DATABASE_URL": url,
            "SIGNREG_DATA_DIR": str(data),
            "SIGNREG_INBOX": str(inbox),
            "SIGNREG_OCR_ENGINE": engine,
            "SIGNREG_STABLE_SECONDS": str(stable_seconds),
            "SIGNREG_POLL_SECONDS": str(poll_seconds),
            "SIGNREG_LEASE_SECONDS": str(lease_seconds),
            "SIGNREG_HEARTBEAT_SECONDS": str(heartbeat_seconds),
            "SIGNREG_INCOMPLETE_GRACE_SECONDS": str(incomplete_grace_seconds),
            "SIGNREG_ORPHAN_SECONDS": "1",
            "FAKE_OCR_DELAY": str(fake_delay),
        }
        if journal is not None:
            self.env["FAKE_OCR_JOURNAL"] = str(journal)

    def start(self) -> None:
        with self.log.open("ab") as err:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [str(SIGNREG), "watch", "--workers", str(self.workers)],
                env=self.env,
                cwd=self.log.parent,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
        self.starts += 1

    def wait_started(self, timeout: float = 120) -> None:
        """Until every worker of every start so far has logged ``worker.started``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log.read_text() if self.log.exists() else ""
            if text.count("worker.started") >= self.starts * self.workers:
                return
            time.sleep(0.1)
        raise AssertionError(f"workers not started after {timeout} s; see {self.log}")

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError(f"signreg watch did not stop in 90 s:\n{self._tail()}") from None
        if code != 0:
            raise AssertionError(f"signreg watch exited {code}:\n{self._tail()}")

    def _tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def drop_atomic(path: Path, data: bytes) -> None:
    """Write under a temp name, then rename into the inbox (what good copiers do)."""
    temp = path.with_name(f".{path.name}.part")
    temp.write_bytes(data)
    temp.rename(path)


def drop_slowly(path: Path, data: bytes, *, chunks: int = 8, pause: float = 0.1) -> None:
    """Write in place, chunk by chunk (a slow network copy)."""
    size = max(1, len(data) // chunks)
    with path.open("wb") as f:
        for i in range(0, max(len(data), 1), size):
            f.write(data[i : i + size])
            f.flush()
            time.sleep(pause)


def drop_in_two_parts(path: Path, data: bytes, *, pause: float = 1.0) -> None:
    """Write half, stall ``pause`` seconds (longer than the stable wait), write the rest
    (a scanner or share that pauses mid-copy)."""
    with path.open("wb") as f:
        f.write(data[: len(data) // 2])
        f.flush()
        time.sleep(pause)
        f.write(data[len(data) // 2 :])


def settle(url: str, expected_arrivals: int, timeout: float = 180) -> None:
    """Until ``expected_arrivals`` files are recorded and no submission is pending."""
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    pending = ["received", "processing"]
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with factory() as session:
                    arrived = len(session.scalars(select(SubmissionArrival.id)).all())
                    busy = session.scalars(
                        select(Submission.id).where(Submission.status.in_(pending))
                    ).all()
                if arrived >= expected_arrivals and not busy:
                    return
            except (OperationalError, ProgrammingError):  # not migrated yet
                pass
            time.sleep(0.3)
        raise AssertionError(f"not settled after {timeout} s")
    finally:
        engine.dispose()


def journal_lines(journal: Path) -> list[tuple[str, str]]:
    """(pid, sha256) for each read the fake engine made."""
    if not journal.exists():
        return []
    return [(line.split()[0], line.split()[1]) for line in journal.read_text().splitlines() if line]


def journal_counts(journal: Path) -> collections.Counter[str]:
    """How often each sha256 was read."""
    return collections.Counter(sha for _, sha in journal_lines(journal))
