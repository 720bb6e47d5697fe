"""The data folder's disk full while the watcher archives: nothing half-written, nothing lost.

The data folder is a 3 MiB tmpfs mounted for the test (root, as the tests run here
and in CI), filled to the last byte. A scan dropped then cannot be staged: it stays in
the inbox under its name, whole; no temp file, no archive file, no submission row is
left; ``intake.disk_full`` says so with the folder, its free bytes and the file's
sha256; ``/metrics`` counts it; the watcher keeps running and backs off. Space freed,
the file is taken within a few poll cycles. ``signreg doctor`` flags the tiny disk.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ingest.logs import configure_logging
from ingest.service import IngestConfig, run_watch
from registry.bootstrap import open_registry
from registry.db import make_engine, make_sessionmaker
from tests.ingest.conftest import files_in, submissions
from tests.ingest.files import scan_pdf
from tests.ingest.proc import REPO, SIGNREG

POLL_SECONDS = 0.2


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs at ``tmp_path/data``, unmounted at the end."""
    folder = tmp_path / "data"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.fail(f"this test mounts a tmpfs (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(json=True, stream=stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()


def _events(stream: io.StringIO, name: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [line for line in lines if line.get("event") == name]


def _until(what: str, check: Any, timeout: float = 15.0) -> float:
    """Wait until ``check()`` is true; returns the seconds it took."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout} s"
        time.sleep(0.05)
    return time.monotonic() - started


def _fill(folder: Path) -> Path:
    """Write a file in ``folder`` until the disk refuses another byte."""
    filler = folder / "filler.bin"
    with filler.open("wb", buffering=0) as f:
        for size in (64 * 1024, 4096, 1):
            while True:
                try:
                    f.write(b"\0" * size)
                except OSError as e:
                    assert e.errno == errno.ENOSPC
                    break
    return filler


def test_a_full_data_disk_leaves_the_file_in_the_inbox_until_there_is_room(
    db_url: str, small_disk: Path, tmp_path: Path, log_lines: io.StringIO
) -> None:
    data, inbox = small_disk, tmp_path / "inbox"
    inbox.mkdir()
    config = IngestConfig(
        database_url=db_url,
        data_dir=data,
        inbox=inbox,
        workers=0,  # intake only: the workers read from the archive, they do not write it
        stable_seconds=0.2,
        poll_seconds=POLL_SECONDS,
        incomplete_grace_seconds=2.0,
    )
    stop = threading.Event()
    watcher = threading.Thread(target=run_watch, args=(config, stop), name="watch")
    watcher.start()
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    try:
        (inbox / "forsta.pdf").write_bytes(scan_pdf(1))
        _until("the first file taken", lambda: len(_events(log_lines, "intake.done")) == 1)

        filler = _fill(data)
        scan = scan_pdf(2, noise=40)
        sha = hashlib.sha256(scan).hexdigest()
        (inbox / "andra.pdf").write_bytes(scan)
        _until("disk full logged", lambda: _events(log_lines, "intake.disk_full"))
        _until("backed off twice", lambda: len(_events(log_lines, "watcher.backing_off")) >= 2)

        assert watcher.is_alive()
        assert (inbox / "andra.pdf").read_bytes() == scan  # still in the inbox, whole
        assert [p.name for p in files_in(inbox)] == ["andra.pdf"]  # none left claimed
        archived = files_in(data / "archive")
        [first] = submissions(factory)
        assert [p.relative_to(data / "archive").as_posix() for p in archived] == [
            first.archive_path
        ]  # no temp file, no file of the new scan, no row pointing at a missing file
        full = _events(log_lines, "intake.disk_full")[0]
        assert full["sha256"] == sha and full["file"] == "andra.pdf"
        assert full["path"] == str(data / "archive")
        assert isinstance(full["free_bytes"], int) and full["free_bytes"] < len(scan)
        assert full["message"].startswith("disk full: cannot write in ")
        assert full["stays"] == "andra.pdf" and full["level"] == "error"
        assert _failures_counted(config, tmp_path) >= 1

        doctor = _doctor_disk(data, inbox, db_url)
        assert doctor["status"] in ("WARN", "FAIL") and str(data) in doctor["found"]
        assert doctor["fix"]

        filler.unlink()
        took = _until(
            "taken once there is room", lambda: len(_events(log_lines, "intake.done")) == 2
        )
        assert watcher.is_alive()
    finally:
        stop.set()
        watcher.join(timeout=30)
    try:
        taken = sorted(s.sha256 for s in submissions(factory))
    finally:
        engine.dispose()
    print(f"\ntaken {took:.2f} s after space was freed (poll {POLL_SECONDS} s)")
    assert took < 10 * POLL_SECONDS + 5.0  # within the watcher's longest back-off (5 s)
    assert files_in(inbox) == []
    assert taken == sorted([first.sha256, sha])
    assert (data / "archive" / sha[:2] / f"{sha}.pdf").read_bytes() == scan
    assert _events(log_lines, "watcher.resumed")


def _failures_counted(config: IngestConfig, tmp_path: Path) -> float:
    """``signreg_ingest_intake_failures_total{reason="disk_full"}`` as ``/metrics`` says."""
    settings = Settings(
        database_url=config.database_url,
        data_dir=config.data_dir,
        inbox=config.inbox,
        secret_key="test-secret",
        _env_file=None,  # type: ignore[call-arg]
    )
    registry = open_registry(config.database_url)
    try:
        with TestClient(create_app(settings, registry=registry)) as client:
            text = client.get("/metrics").text
    finally:
        registry.close()
    for line in text.splitlines():
        if line.startswith('signreg_ingest_intake_failures_total{reason="disk_full"}'):
            return float(line.split()[-1])
    raise AssertionError(f"no disk_full failures in /metrics:\n{text}")


def _doctor_disk(data: Path, inbox: Path, db_url: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SIGNREG_DATA_DIR": str(data),
        "SIGNREG_INBOX": str(inbox),
        "SIGNREG_DATABASE_URL": db_url,
    }
    done = subprocess.run(
        [str(SIGNREG), "doctor", "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    [disk] = [c for c in json.loads(done.stdout)["checks"] if c["name"] == "disk"]
    return disk  # type: ignore[no-any-return]
