"""The consume-folder failures Paperless-ngx users report, each on a real watched inbox.

Its issues #1279, #1286, #9698, #9277 and #5881: a scan copied in two parts, a scanner
adding pages to the same PDF, copies under a temp name renamed into place, folders of
scans moved in, files still open for writing, hundreds of files over a slow link. Each
test runs the real :class:`InboxWatcher` in a thread (watchdog events, or polling
alone) on real files in a temporary inbox, with the real intake on SQLite and
PostgreSQL; the growing scan also runs a real worker with the fake OCR engine.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from ingest.completeness import open_for_writing
from ingest.intake import Intake, IntakeResult
from ingest.service import inbox_name
from ingest.watcher import InboxWatcher
from ingest.worker import Worker, WorkerConfig
from registry.models import Proposal
from tests.ingest.conftest import FAKE_ENGINE, arrivals, files_in, submissions
from tests.ingest.files import scan_pages, scan_pdf
from tests.ingest.proc import drop_atomic

MODES = pytest.mark.parametrize("use_events", [True, False], ids=["events", "polling"])


@contextmanager
def watching(
    intake: Intake,
    *,
    grace: float,
    stable: float = 0.3,
    poll: float = 0.2,
    use_events: bool = True,
    read: bool = False,
) -> Iterator[list[IntakeResult]]:
    """The watcher (and, with ``read``, one fake-OCR worker) running on ``intake``'s
    inbox; yields the intake results as they come."""
    results: list[IntakeResult] = []

    def take(path: Path) -> IntakeResult:
        result = intake.take(path, inbox_name(intake.inbox, path))
        results.append(result)
        return result

    stop = threading.Event()
    watcher = InboxWatcher(
        intake.inbox,
        stable_seconds=stable,
        poll_seconds=poll,
        on_stable=take,
        use_events=use_events,
        incomplete_grace_seconds=grace,
    )
    threads = [threading.Thread(target=watcher.run, args=(stop,))]
    if read:
        config = WorkerConfig(
            database_url="",
            archive_dir=intake.archive.root,
            quarantine_dir=intake.quarantine.root,
            engine=FAKE_ENGINE,
            idle_seconds=0.05,
        )
        worker = Worker(config, intake.session_factory, "reader")
        threads.append(threading.Thread(target=worker.run, args=(stop,)))
    for thread in threads:
        thread.start()
    try:
        yield results
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def wait_until(done: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"not done after {timeout} s"
        time.sleep(0.05)


def outcomes(results: list[IntakeResult]) -> list[tuple[str, str]]:
    return [(r.outcome, r.file_name) for r in results]


@MODES
def test_a_scan_copied_in_two_parts_is_taken_whole_once(intake, inbox, use_events):
    data = scan_pdf(31, noise=40)
    with watching(intake, grace=15, use_events=use_events) as results:
        with (inbox / "scan.pdf").open("wb") as f:
            f.write(data[: len(data) // 2])
        time.sleep(4.0)  # the share stalls mid-copy
        assert results == []  # half a PDF: held, not quarantined as truncated
        with (inbox / "scan.pdf").open("ab") as f:
            f.write(data[len(data) // 2 :])
        wait_until(lambda: results, 10)
        time.sleep(0.5)
    assert outcomes(results) == [("submitted", "scan.pdf")]
    [sub] = submissions(intake.session_factory)
    assert intake.archive.read(sub.sha256) == data
    assert files_in(intake.quarantine.root) == []


def test_a_file_left_unfinished_is_quarantined_after_the_grace(intake, inbox):
    data = scan_pdf(32)
    with watching(intake, grace=2.0) as results:
        (inbox / "half.pdf").write_bytes(data[: len(data) // 2])
        written = time.monotonic()
        wait_until(lambda: results, 10)
        waited = time.monotonic() - written
    assert 2.0 <= waited < 6.0  # the grace, not the stable wait (0.3 s)
    [result] = results
    assert (result.outcome, result.reason) == ("quarantined", "truncated")


@pytest.mark.parametrize("how", ["renamed", "in-place"])
def test_a_whole_pdf_is_still_taken_at_once(intake, inbox, how):
    with watching(intake, grace=30) as results:
        dropped = time.monotonic()
        if how == "renamed":
            drop_atomic(inbox / "scan.pdf", scan_pdf(33))
        else:
            (inbox / "scan.pdf").write_bytes(scan_pdf(33))
        wait_until(lambda: results, 10)
        waited = time.monotonic() - dropped
    assert waited < 5.0  # the stable wait (0.3 s), not the grace (30 s)
    assert outcomes(results) == [("submitted", "scan.pdf")]


@pytest.mark.parametrize("temp", ["{}.filepart", ".~{}", "{}.part", ".{}.tmp", "{}.crdownload"])
def test_a_copy_under_a_temp_name_is_taken_once_under_its_final_name(intake, inbox, temp):
    data = scan_pdf(34, noise=20)
    with watching(intake, grace=30) as results:
        partial = inbox / temp.format("x.pdf")
        with partial.open("wb") as f:
            f.write(data[: len(data) // 2])
            f.flush()
            time.sleep(1.0)  # longer than the stable wait
            f.write(data[len(data) // 2 :])
        assert results == []
        partial.rename(inbox / "x.pdf")
        wait_until(lambda: results, 10)
        time.sleep(0.6)
    assert outcomes(results) == [("submitted", "x.pdf")]
    assert files_in(intake.quarantine.root) == []
    assert files_in(inbox) == []


@MODES
def test_a_folder_of_scans_moved_in_is_taken_file_by_file(intake, inbox, tmp_path, use_events):
    outside = tmp_path / "scans"
    wanted = {
        "batch/a.pdf": scan_pdf(40),
        "batch/scan.pdf": scan_pdf(41),
        "batch/sub/b.pdf": scan_pdf(42),
        "batch/sub/deeper/c.pdf": scan_pdf(43),
        "batch2/scan.pdf": scan_pdf(44, noise=30),  # same file name, larger: no growth
    }
    left = {"batch/.hidden/d.pdf": scan_pdf(45), "batch/e.pdf.part": scan_pdf(46)}
    for name, data in (wanted | left).items():
        (outside / name).parent.mkdir(parents=True, exist_ok=True)
        (outside / name).write_bytes(data)
    orphan = inbox / ".signreg-taking" / "0123__z.pdf"  # the intake's own, not the watcher's
    orphan.parent.mkdir()
    orphan.write_bytes(scan_pdf(47))
    with watching(intake, grace=30, use_events=use_events) as results:
        time.sleep(0.3)
        (outside / "batch").rename(inbox / "batch")
        (outside / "batch2").rename(inbox / "batch2")
        wait_until(lambda: len(results) >= len(wanted), 15)
        time.sleep(0.6)
    assert sorted(outcomes(results)) == sorted(("submitted", name) for name in wanted)
    subs = submissions(intake.session_factory)
    assert {s.file_name: s.status for s in subs} == {name: "received" for name in wanted}
    for sub in subs:
        assert intake.archive.read(sub.sha256) == wanted[sub.file_name]
    assert files_in(inbox) == sorted([orphan, *(inbox / name for name in left)])


def test_a_file_copied_slowly_into_a_sub_folder_is_taken_whole(intake, inbox):
    data = scan_pdf(48, noise=40)
    (inbox / "scanner-1").mkdir()
    with watching(intake, grace=10) as results:
        with (inbox / "scanner-1" / "page.pdf").open("wb") as f:
            for i in range(0, len(data), 4096):
                f.write(data[i : i + 4096])
                f.flush()
                time.sleep(0.5)  # each pause longer than the stable wait
        wait_until(lambda: results, 10)
        time.sleep(0.5)
    assert outcomes(results) == [("submitted", "scanner-1/page.pdf")]
    assert (inbox / "scanner-1").is_dir()  # a scan-to-folder destination stays


def _leases_or_skip(inbox: Path) -> None:
    probe = inbox / "probe.bin"
    probe.write_bytes(b"x")
    try:
        if open_for_writing(probe) is None:
            pytest.skip("file leases are not available here: stability alone decides")
    finally:
        probe.unlink()


def test_a_file_still_open_for_writing_waits_until_closed(intake, inbox):
    _leases_or_skip(inbox)
    data = scan_pdf(50)
    with watching(intake, grace=30) as results:
        with (inbox / "busy.pdf").open("wb") as f:
            f.write(data)  # whole, but the writer keeps it open
            f.flush()
            time.sleep(2.0)
            assert results == []
        closed = time.monotonic()
        wait_until(lambda: results, 10)
        waited = time.monotonic() - closed
    assert waited < 5.0  # looked at again within a recheck (0.2 s), not after the grace
    assert outcomes(results) == [("submitted", "busy.pdf")]


def test_a_file_held_open_past_the_grace_is_taken_then(intake, inbox):
    _leases_or_skip(inbox)
    data = scan_pdf(51)
    with watching(intake, grace=1.5) as results, (inbox / "stuck.pdf").open("wb") as f:
        f.write(data)
        f.flush()
        opened = time.monotonic()
        wait_until(lambda: results, 10)
        waited = time.monotonic() - opened
    assert 1.5 <= waited < 6.0
    assert outcomes(results) == [("submitted", "stuck.pdf")]


def _copy_slowly(inbox: Path, files: dict[str, bytes], rng: random.Random) -> None:
    for name, data in files.items():
        step = -(-len(data) // 4)
        with (inbox / name).open("wb") as f:
            for i in range(0, len(data), step):
                f.write(data[i : i + step])
                f.flush()
                time.sleep(rng.uniform(0.05, 0.8))  # a slow link: some pauses > stable


def test_200_files_copied_at_once_over_a_slow_link_become_200_submissions(intake, inbox):
    files = {f"scan-{n:03d}.pdf": scan_pdf(1000 + n) for n in range(200)}
    names = list(files)
    with watching(intake, grace=5.0, poll=0.5) as results:
        writers = [
            threading.Thread(
                target=_copy_slowly,
                args=(inbox, {n: files[n] for n in names[k::20]}, random.Random(k)),
            )
            for k in range(20)
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        wait_until(lambda: len(results) >= len(files), 60)
        time.sleep(1.0)
    assert collections.Counter(r.outcome for r in results) == {"submitted": 200}
    subs = submissions(intake.session_factory)
    assert sorted(s.file_name for s in subs) == names  # none twice, none lost
    assert len(arrivals(intake.session_factory)) == 200
    assert files_in(intake.quarantine.root) == []


def test_a_scanner_adding_pages_to_one_pdf_leaves_one_proposal(intake, inbox):
    with watching(intake, grace=5.0, read=True) as results:
        for pages in (1, 2, 3):  # a page "a minute" apart, the whole PDF written each time
            (inbox / "scan.pdf").write_bytes(scan_pages(60, pages))

            def proposed(pages: int = pages) -> bool:
                return [s.status for s in submissions(intake.session_factory)][-1:] == [
                    "proposed"
                ] and len(results) == pages

            wait_until(proposed, 15)
            time.sleep(0.5)
    subs = submissions(intake.session_factory)
    assert [(s.status, s.pages) for s in subs] == [
        ("superseded", 1),
        ("superseded", 2),
        ("proposed", 3),
    ]
    assert [r.superseded_id for r in results] == [None, subs[0].id, subs[1].id]
    with intake.session_factory() as session:
        proposals = session.execute(select(Proposal.submission_id, Proposal.status)).all()
    assert sorted(proposals) == [
        (subs[0].id, "superseded"),
        (subs[1].id, "superseded"),
        (subs[2].id, "proposed"),
    ]
