"""Every JSON log line about a submission carries its sha256: taken, read, quarantined
(at the intake and by a worker), superseded by a grown scan, recovered after a crash,
and in the watcher's own lines; only a file still being written (not read yet) is
named with ``sha256: null`` and the reason it has none."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from ingest.intake import TAKING_DIR, Intake
from ingest.logs import STILL_BEING_WRITTEN, configure_logging
from ingest.service import recover_logged, take_logged
from ingest.watcher import InboxWatcher
from ingest.worker import Worker, WorkerConfig
from tests.ingest.conftest import submissions
from tests.ingest.files import scan_pages, scan_pdf


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(json=True, stream=stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def _mentions(line: dict[str, Any], needle: str) -> bool:
    return any(needle in json.dumps(v) for k, v in line.items() if k != "sha256")


def test_every_line_about_a_file_carries_its_sha256(
    config: WorkerConfig,
    intake: Intake,
    inbox: Path,
    log_lines: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = {
        "god-skanning.pdf": scan_pdf(1),
        "brev.pdf": b"PK\x03\x04 a Word file, not a PDF",
        "vaxande.pdf": scan_pages(7, 1),
    }
    for name, data in files.items():
        (inbox / name).write_bytes(data)
        intake.take(inbox / name)
    grown = scan_pages(7, 2)  # the scanner added a page: supersedes the first
    (inbox / "vaxande.pdf").write_bytes(grown)
    intake.take(inbox / "vaxande.pdf")
    taking = inbox / TAKING_DIR  # a file a crashed watcher had claimed
    (taking / f"{uuid.uuid4().hex}__aterfunnen.pdf").write_bytes(scan_pdf(2))
    intake.recover_orphans()
    Worker(config, intake.session_factory, "w1").run(threading.Event(), until_idle=True)
    monkeypatch.setenv("FAKE_OCR_RAISE", "no_page_image")  # a worker quarantines this one
    (inbox / "utan-bild.pdf").write_bytes(scan_pdf(3))
    intake.take(inbox / "utan-bild.pdf")
    Worker(config, intake.session_factory, "w2").run(threading.Event(), until_idle=True)

    shas: dict[str, set[str]] = {}
    by_id: dict[int, str] = {}
    for sub in submissions(intake.session_factory):
        shas.setdefault(sub.file_name, set()).add(sub.sha256)
        by_id[sub.id] = sub.sha256
    assert set(shas) == {*files, "aterfunnen.pdf", "utan-bild.pdf"}
    assert shas["vaxande.pdf"] == {
        hashlib.sha256(files["vaxande.pdf"]).hexdigest(),
        hashlib.sha256(grown).hexdigest(),
    }
    lines = _lines(log_lines)
    events = {line["event"] for line in lines}
    assert {"intake.done", "intake.recovering", "worker.claimed", "worker.proposed"} <= events
    assert "worker.extraction_error" in events
    seen: dict[str, set[str]] = {name: set() for name in shas}
    for line in lines:
        for name, known in shas.items():
            if _mentions(line, name):
                assert line.get("sha256") in known, line
                seen[name].add(line["event"])
        if line.get("submission_id") in by_id:
            assert line.get("sha256") == by_id[line["submission_id"]], line
    read = {"intake.done", "worker.claimed"}
    assert seen == {
        "god-skanning.pdf": read,
        "brev.pdf": {"intake.done"},  # quarantined at once
        "vaxande.pdf": read,  # the grown one read, the first superseded
        "aterfunnen.pdf": {"intake.recovering", *read},
        "utan-bild.pdf": read,  # the worker line saying why names no file: its sha256
    }
    superseding = [line for line in lines if line.get("superseded_id")]
    assert [line["sha256"] for line in superseding] == [hashlib.sha256(grown).hexdigest()]


def _until(check: Any, stream: io.StringIO, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s:\n{stream.getvalue()}"
        time.sleep(0.05)


def test_the_watcher_names_every_file_by_its_sha256_or_says_why_it_has_none(
    config: WorkerConfig, intake: Intake, inbox: Path, log_lines: io.StringIO
) -> None:
    """The real watcher loop (its intake and recovery as ``signreg watch`` wires them)
    over a good scan, a copy of it, one in a sub-folder, a Word file, and a scan still
    being written (half of it, a pause, the rest), then a worker over the queue: every
    JSON line naming a file has its sha256, except the lines about the half-written
    one, which say ``sha256: null`` and why."""
    whole, grown = scan_pdf(31, noise=40), scan_pdf(32)
    files = {
        "skanning.pdf": whole,
        "kopia.pdf": whole,
        "mapp/i-mapp.pdf": scan_pdf(33),
        "brev.pdf": b"PK\x03\x04 a Word file, not a PDF" + bytes(2000),  # never one
        "halvfardig.pdf": grown,
    }
    watcher = InboxWatcher(
        inbox,
        stable_seconds=0.2,
        poll_seconds=0.2,
        on_stable=take_logged(intake),
        on_rescan=recover_logged(intake),
        incomplete_grace_seconds=30.0,
    )
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    try:
        (inbox / "mapp").mkdir()
        half = inbox / "halvfardig.pdf"
        with half.open("wb") as f:  # a copy that stalls half-way
            f.write(grown[: len(grown) // 2])
        for name, data in files.items():
            if name != "halvfardig.pdf":
                (inbox / name).write_bytes(data)
        _until(lambda: '"watcher.waiting"' in log_lines.getvalue(), log_lines)
        with half.open("ab") as f:
            f.write(grown[len(grown) // 2 :])
        _until(lambda: log_lines.getvalue().count('"intake.done"') == len(files), log_lines)
    finally:
        stop.set()
        thread.join()
    Worker(config, intake.session_factory, "w1").run(threading.Event(), until_idle=True)

    shas = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    lines = _lines(log_lines)
    about: dict[str, set[str]] = {name: set() for name in files}
    for line in lines:
        named = [name for name in files if _mentions(line, name)]
        if "file" in line:
            assert "sha256" in line, line  # every line with a file has the key
        for name in named:
            about[name].add(line["event"])
            if line["sha256"] is None:
                assert (name, line["event"]) == ("halvfardig.pdf", "watcher.waiting"), line
                assert line["sha256_missing"] == STILL_BEING_WRITTEN
            else:
                assert line["sha256"] == shas[name], line
    assert about["halvfardig.pdf"] == {"watcher.waiting", "intake.done", "worker.claimed"}
    assert about["brev.pdf"] == {"intake.done"}  # quarantined at once, never read
    for name in ("skanning.pdf", "mapp/i-mapp.pdf"):
        assert about[name] == {"intake.done", "worker.claimed"}, name
    assert about["kopia.pdf"] == {"intake.done"}  # a duplicate: nothing more to read
    assert sorted(s.file_name for s in submissions(intake.session_factory)) == sorted(
        set(files) - {"kopia.pdf"}
    )
