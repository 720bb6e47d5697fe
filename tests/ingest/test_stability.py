"""The stability tracker on a fake clock: when is an inbox file finished?"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.stability import FileState, StabilityTracker, is_candidate

A = Path("inbox/a.pdf")
B = Path("inbox/b.pdf")


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tracker(clock: FakeClock) -> StabilityTracker:
    return StabilityTracker(2.0, clock=clock)


def state(size: int, mtime: int = 1, inode: int = 7) -> FileState:
    return FileState(size=size, mtime_ns=mtime, inode=inode)


def test_unchanged_file_is_stable_only_after_the_wait(tracker, clock):
    tracker.observe(A, state(100))
    clock.advance(1.9)
    tracker.observe(A, state(100))
    assert tracker.stable() == []
    clock.advance(0.1)
    assert tracker.stable() == [A]


def test_chunked_copy_restarts_the_clock_on_every_chunk(tracker, clock):
    for i in range(1, 6):  # a network copy: a chunk every 1.5 s, never 2 s quiet
        tracker.observe(A, state(i * 4096, mtime=i))
        clock.advance(1.5)
        assert tracker.stable() == []
    clock.advance(0.5)
    assert tracker.stable() == [A]


def test_a_file_that_shrinks_or_is_rewritten_starts_over(tracker, clock):
    tracker.observe(A, state(5000, mtime=1))
    clock.advance(1.5)
    tracker.observe(A, state(10, mtime=2))  # truncated and rewritten from the start
    clock.advance(1.5)
    assert tracker.stable() == []
    clock.advance(0.5)
    assert tracker.stable() == [A]


def test_a_scanner_reopening_the_file_with_only_a_new_mtime_restarts_the_clock(tracker, clock):
    tracker.observe(A, state(100, mtime=1))
    clock.advance(1.9)
    tracker.observe(A, state(100, mtime=2))  # touched / reopened, same size
    clock.advance(1.9)
    assert tracker.stable() == []


def test_a_file_replaced_by_rename_is_a_new_file(tracker, clock):
    tracker.observe(A, state(100, inode=7))
    clock.advance(1.9)
    tracker.observe(A, state(100, inode=8))  # same size and mtime, another file renamed over
    clock.advance(1.9)
    assert tracker.stable() == []
    clock.advance(0.1)
    assert tracker.stable() == [A]


def test_zero_byte_file_that_stays_empty_is_still_taken(tracker, clock):
    tracker.observe(A, state(0))
    clock.advance(2.0)
    tracker.observe(A, state(0))
    assert tracker.stable() == [A]  # intake quarantines it as empty


def test_vanished_files_are_forgotten(tracker, clock):
    tracker.observe(A, state(1))
    tracker.observe(B, state(1))
    tracker.observe(A, None)
    tracker.retain({B, Path("inbox/c.pdf")})
    clock.advance(3)
    assert tracker.stable() == [B]
    assert len(tracker) == 1


def test_stable_files_come_oldest_first_and_deadline_is_the_earliest(tracker, clock):
    tracker.observe(B, state(1))
    clock.advance(0.5)
    tracker.observe(A, state(1))
    assert tracker.next_deadline() == pytest.approx(1002.0)
    clock.advance(2.0)
    assert tracker.stable() == [B, A]
    tracker.forget(B)
    tracker.forget(A)
    assert tracker.next_deadline() is None


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.pdf",
        "~$scan.pdf",
        "scan.pdf.part",
        "scan.PDF.TMP",
        "scan.pdf.crdownload",
        "scan.pdf.filepart",
        ".~scan.pdf",
        ".signreg-taking",
        "",
    ],
)
def test_temp_and_hidden_names_are_not_candidates(name):
    assert not is_candidate(name)


@pytest.mark.parametrize("name", ["scan.pdf", "Skanning 2023-05-11.PDF", "letter.docx"])
def test_ordinary_names_are_candidates(name):
    assert is_candidate(name)  # not a PDF is decided by content, then quarantined


def test_negative_wait_is_refused():
    with pytest.raises(ValueError):
        StabilityTracker(-1)


@pytest.fixture
def graceful(clock: FakeClock) -> StabilityTracker:
    return StabilityTracker(0.5, clock=clock, incomplete_grace_seconds=60.0, recheck_seconds=1.0)


def test_an_unfinished_file_is_held_and_looked_at_again_each_recheck(graceful, clock):
    graceful.observe(A, state(100))
    clock.advance(0.5)
    assert graceful.stable() == [A]
    graceful.hold(A)  # the watcher found no %%EOF
    assert graceful.stable() == [] and graceful.held(A) and not graceful.overdue(A)
    assert graceful.next_deadline() == pytest.approx(clock.t + 1.0)
    clock.advance(1.0)
    assert graceful.stable() == [A]  # look again: still held until looked at
    assert not graceful.overdue(A)


def test_a_held_file_that_stays_unfinished_is_overdue_after_the_grace(graceful, clock):
    graceful.observe(A, state(100))
    clock.advance(0.5)
    for _ in range(59):
        assert graceful.stable() == [A]
        graceful.hold(A)
        clock.advance(1.0)
    assert graceful.stable() == [A]
    assert not graceful.overdue(A)  # 59.5 s unchanged: taken only at 60
    graceful.hold(A)
    assert graceful.next_deadline() == pytest.approx(1060.0)  # the recheck is capped at the grace
    clock.advance(0.5)
    assert graceful.stable() == [A] and graceful.overdue(A)


def test_the_rest_of_a_paused_copy_releases_the_hold_and_restarts_the_clock(graceful, clock):
    graceful.observe(A, state(4096, mtime=1))
    clock.advance(4.0)  # the copy pauses 4 s after the first half
    graceful.hold(A)
    graceful.observe(A, state(8192, mtime=2))  # the rest appended
    assert not graceful.held(A)
    assert graceful.stable() == []
    clock.advance(0.5)
    assert graceful.stable() == [A] and not graceful.overdue(A)


def test_a_file_first_seen_unfinished_waits_the_whole_grace_from_then(graceful, clock):
    clock.advance(10_000)  # mtimes play no part: the tracker's own clock counts
    graceful.observe(A, state(100, mtime=1))
    clock.advance(59.0)
    assert not graceful.overdue(A)
    clock.advance(1.0)
    assert graceful.overdue(A)


def test_a_grace_shorter_than_the_stable_wait_is_the_stable_wait(clock):
    tracker = StabilityTracker(2.0, clock=clock, incomplete_grace_seconds=0.5)
    tracker.observe(A, state(1))
    clock.advance(1.0)
    assert not tracker.overdue(A)
    clock.advance(1.0)
    assert tracker.overdue(A)
