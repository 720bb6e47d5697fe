"""Links dropped into the inbox: never followed to read, touch or delete a file outside it.

Whoever may drop files into the inbox (a scanner's share) must not make the service
read a file they cannot (``/etc/shadow``, another folder's scans) by dropping a link to
it, nor make it delete or touch one. A symlinked file or folder in the inbox is left
alone by the watcher; one that reaches the intake (swapped in after the watcher
looked, or named to ``take``) is removed as a link, its target untouched and unread.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from ingest.intake import Intake
from ingest.watcher import InboxWatcher, inbox_files, stat_state
from tests.ingest.conftest import submissions
from tests.ingest.files import scan_pdf


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files the inbox's users may not read: a valid scan (it would be archived if read)
    and a folder of them, with their times set in the past to see any touch."""
    root = tmp_path / "outside"
    (root / "folder").mkdir(parents=True)
    (root / "secret.pdf").write_bytes(scan_pdf(901))
    (root / "folder" / "other.pdf").write_bytes(scan_pdf(902))
    for path in (root / "secret.pdf", root / "folder" / "other.pdf"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    return root


def _state(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_the_watcher_leaves_links_alone_and_takes_the_real_file(
    intake: Intake, inbox: Path, outside: Path
) -> None:
    before = _state(outside)
    (inbox / "link.pdf").symlink_to(outside / "secret.pdf")
    (inbox / "linked-folder").symlink_to(outside / "folder", target_is_directory=True)
    (inbox / "dangling.pdf").symlink_to(outside / "nothing-here.pdf")
    real = scan_pdf(903)
    (inbox / "real.pdf").write_bytes(real)
    assert stat_state(inbox / "link.pdf") is None  # a link is not a regular file to us
    taken: list[Path] = []

    def take(path: Path) -> object:
        taken.append(path)
        return intake.take(path, path.relative_to(inbox).as_posix())

    watcher = InboxWatcher(
        inbox, stable_seconds=0.2, poll_seconds=0.05, on_stable=take, use_events=False
    )
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not taken and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # long enough for the links to be taken too, were they candidates
    finally:
        stop.set()
        thread.join()
    assert taken == [inbox / "real.pdf"]
    [sub] = submissions(intake.session_factory)
    assert sub.file_name == "real.pdf" and sub.sha256 == hashlib.sha256(real).hexdigest()
    secret_sha = hashlib.sha256((outside / "secret.pdf").read_bytes()).hexdigest()
    assert not intake.archive.path_for(secret_sha).exists()
    assert _state(outside) == before  # not read into the archive, not touched, not deleted
    assert (inbox / "link.pdf").is_symlink()  # left where it was, for a person to see


def test_a_link_handed_to_the_intake_is_removed_as_a_link_never_read(
    intake: Intake, inbox: Path, outside: Path
) -> None:
    """A link that reaches the intake anyway (swapped in after the watcher's look, a
    folder consumed, a claimed link a crash left behind) is not followed."""
    before = _state(outside)
    link = inbox / "swapped.pdf"
    link.symlink_to(outside / "secret.pdf")
    result = intake.take(link)
    assert result.outcome == "gone" and result.sha256 is None
    assert not link.exists() and not link.is_symlink()
    assert submissions(intake.session_factory) == []
    assert _state(outside) == before
    assert list(intake.taking_dir.iterdir()) == []
    assert not any(p.is_file() for p in (intake.archive.root).rglob("*"))


def test_inbox_listing_does_not_descend_into_a_linked_folder(inbox: Path, outside: Path) -> None:
    (inbox / "linked-folder").symlink_to(outside / "folder", target_is_directory=True)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "a.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert sorted(p.relative_to(inbox).as_posix() for p in inbox_files(inbox)) == ["sub/a.pdf"]


def test_a_bad_file_with_a_long_non_ascii_name_is_quarantined(
    intake: Intake, tmp_path: Path
) -> None:
    """A long name handed to the intake with a private file (a mail's attachment, an
    upload: 300 'å' and '.pdf', 604 bytes) once made the quarantine's
    ``<sha12>-NAME.reason.txt`` too long to create (ENAMETOOLONG): the file could not
    be taken at all."""
    name = "å" * 300 + ".pdf"
    private = tmp_path / "private"
    private.mkdir()
    path = private / "attachment-1.part"
    path.write_bytes(b"Hej, det har ar ingen PDF.\n")
    result = intake.take_private(path, name)
    assert result.outcome == "quarantined" and result.reason == "not_pdf"
    [sub] = submissions(intake.session_factory)
    assert sub.file_name == name  # recorded as it came; only the kept copy's name is short
    kept = [p for p in intake.quarantine.root.iterdir() if p.is_file()]
    assert len(kept) == 2 and all(len(p.name.encode()) <= 255 for p in kept)
    assert not path.exists()
