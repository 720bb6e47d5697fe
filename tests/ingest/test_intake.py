"""Intake on SQLite and PostgreSQL: archive, record, dedupe, quarantine, crash recovery."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from ingest.intake import SCAN_DELETED, TAKING_DIR, Intake, utcnow
from ingest.service import IngestConfig, build_intake, migrate
from registry import queue
from registry.db import make_sessionmaker
from registry.models import ArrivalSource, Submission
from tests.ingest.conftest import arrivals, files_in, submissions
from tests.ingest.files import bad_files, scan_pdf


def drop(inbox: Path, name: str, data: bytes) -> Path:
    path = inbox / name
    path.write_bytes(data)
    return path


def test_a_good_scan_is_archived_and_recorded_before_it_leaves_the_inbox(intake: Intake, inbox):
    data = scan_pdf(1)
    result = intake.take(drop(inbox, "scan-0001.pdf", data))
    sha = hashlib.sha256(data).hexdigest()
    assert (result.outcome, result.sha256) == ("submitted", sha)
    assert intake.archive.read(sha) == data
    assert files_in(inbox) == []
    [sub] = submissions(intake.session_factory)
    assert (sub.sha256, sub.file_name, sub.size, sub.status) == (
        sha,
        "scan-0001.pdf",
        len(data),
        "received",
    )
    assert sub.archive_path == f"{sha[:2]}/{sha}.pdf"


def test_same_content_under_two_names_is_one_submission_and_a_duplicate(intake, inbox):
    data = scan_pdf(2)
    first = intake.take(drop(inbox, "a.pdf", data))
    second = intake.take(drop(inbox, "kopia av a.pdf", data))
    assert (first.outcome, second.outcome) == ("submitted", "duplicate")
    assert first.submission_id == second.submission_id
    assert len(submissions(intake.session_factory)) == 1
    dup = [a for a in arrivals(intake.session_factory) if a.duplicate]
    assert [a.file_name for a in dup] == ["kopia av a.pdf"]
    assert len(files_in(intake.archive.root)) == 1
    assert files_in(inbox) == []


def test_a_scan_deleted_and_sent_again_is_recorded_but_not_kept(intake, inbox):
    """Erased or past its retention, then the same file arrives again: the arrival is
    recorded as a duplicate, the copy the intake archived on the way is not kept."""
    data = scan_pdf(3)
    first = intake.take(drop(inbox, "a.pdf", data))
    sha = first.sha256 or ""
    with intake.session_factory.begin() as s:
        sub = s.get(Submission, first.submission_id)
        assert sub is not None
        sub.scan_deleted_at, sub.scan_deleted_reason = utcnow(), "erasure"
    intake.archive.path_for(sha).unlink()
    again = intake.take(drop(inbox, "igen.pdf", data))
    assert (again.outcome, again.reason, again.submission_id) == (
        "duplicate",
        SCAN_DELETED,
        first.submission_id,
    )
    assert not intake.archive.contains(sha) and files_in(intake.archive.root) == []
    assert [a.file_name for a in arrivals(intake.session_factory) if a.duplicate] == ["igen.pdf"]
    assert files_in(inbox) == []
    # a scan still kept is a plain duplicate, its file left alone
    kept = intake.take(drop(inbox, "b.pdf", scan_pdf(4)))
    dup = intake.take(drop(inbox, "b igen.pdf", scan_pdf(4)))
    assert (dup.outcome, dup.reason) == ("duplicate", None)
    assert intake.archive.contains(kept.sha256 or "")


@pytest.mark.parametrize("kind", ["empty", "letter", "truncated", "locked"])
def test_bad_files_are_quarantined_with_their_reason(intake, inbox, kind):
    name, (data, reason) = next((n, v) for n, v in bad_files(7).items() if n.startswith(kind))
    result = intake.take(drop(inbox, name, data))
    assert (result.outcome, result.reason) == ("quarantined", reason)
    sha = hashlib.sha256(data).hexdigest()
    kept = intake.quarantine.root / f"{sha[:12]}-{name}"
    assert kept.read_bytes() == data
    text = kept.with_name(kept.name + ".reason.txt").read_text()
    assert text.startswith(f"reason: {reason}\nmessage: ")
    [sub] = submissions(intake.session_factory)
    assert (sub.status, sub.reason, sub.file_name) == ("quarantined", reason, name)
    assert sub.error
    assert files_in(intake.archive.root) == []
    assert files_in(inbox) == []


def test_a_file_gone_before_it_is_claimed_is_ignored(intake, inbox):
    assert intake.take(inbox / "vanished.pdf").outcome == "gone"
    assert submissions(intake.session_factory) == []


# Crash recovery: the state a kill between two steps leaves behind, then a restart.


def orphan(inbox: Path, name: str, data: bytes) -> Path:
    taking = inbox / TAKING_DIR
    taking.mkdir(exist_ok=True)
    return drop(taking, f"{uuid.uuid4().hex}__{name}", data)


def test_killed_after_claiming_the_file_is_taken_after_restart(intake, inbox):
    orphan(inbox, "claimed.pdf", scan_pdf(3))
    [result] = intake.recover_orphans()
    assert result.outcome == "submitted"
    assert [s.file_name for s in submissions(intake.session_factory)] == ["claimed.pdf"]
    assert files_in(inbox) == []


def test_killed_after_archiving_it_is_recorded_after_restart(intake, inbox):
    data = scan_pdf(4)
    intake.archive.store(orphan(inbox, "archived.pdf", data))
    [result] = intake.recover_orphans()
    assert result.outcome == "submitted"
    assert len(submissions(intake.session_factory)) == 1
    assert len(files_in(intake.archive.root)) == 1


def test_killed_after_recording_it_is_only_removed_after_restart(intake, inbox):
    data = scan_pdf(5)
    path = drop(inbox, "recorded.pdf", data)
    intake.take(path)
    dup = intake.take(drop(inbox, "recorded-copy.pdf", data))
    assert dup.outcome == "duplicate"
    # the same two files, as if the process died after the commit, before the unlink
    orphan(inbox, "recorded.pdf", data)
    orphan(inbox, "recorded-copy.pdf", data)
    outcomes = sorted(r.outcome for r in intake.recover_orphans())
    assert outcomes == ["already_recorded", "already_recorded"]
    assert len(submissions(intake.session_factory)) == 1
    assert len(arrivals(intake.session_factory)) == 2
    assert files_in(inbox) == []


def test_killed_after_quarantining_it_is_recorded_once(intake, inbox):
    data, reason = bad_files(9)["letter-9.pdf"]
    intake.take(drop(inbox, "letter-9.pdf", data))
    orphan(inbox, "letter-9.pdf", data)
    [result] = intake.recover_orphans()
    assert (result.outcome, result.reason) == ("already_recorded", reason)
    assert len(submissions(intake.session_factory)) == 1
    assert len(arrivals(intake.session_factory)) == 1
    assert len(intake.quarantine.entries()) == 1


def test_a_fresh_claim_is_not_an_orphan(intake, inbox):
    fresh = Intake(
        inbox=intake.inbox,
        archive=intake.archive,
        quarantine=intake.quarantine,
        session_factory=intake.session_factory,
        orphan_seconds=3600,
    )
    path = orphan(inbox, "being-taken.pdf", scan_pdf(6))
    os.utime(path)
    assert fresh.recover_orphans() == []
    assert path.exists()


def test_start_up_applies_the_migrations_to_an_empty_database(
    db_url: str, engine: Engine, tmp_path: Path
):
    assert inspect(engine).get_table_names() == []
    config = IngestConfig(database_url=db_url, data_dir=tmp_path / "d", inbox=tmp_path / "i")
    migrate(db_url)
    built = build_intake(config, make_sessionmaker(engine))
    assert {"submission", "proposal", "submission_arrival"} <= set(
        inspect(engine).get_table_names()
    )
    with built.session_factory() as session, session.begin():
        assert (
            queue.claim_next(session=session, worker_id="t", lease_seconds=5, now=utcnow()) is None
        )


def test_each_arrival_records_how_it_came_duplicates_and_bad_files_included(
    intake: Intake, inbox, tmp_path
):
    """Inbox, command line, upload and mail arrivals each keep their source (and a
    mail's sender, subject and Message-ID), whether new, a repeat or quarantined."""
    data = scan_pdf(2)
    intake.take(drop(inbox, "scan.pdf", data))
    intake.take_copy(drop(tmp_path, "named.pdf", data))
    private = tmp_path / "private"
    private.mkdir()
    mail = queue.Origin(
        ArrivalSource.MAIL, sender="kontakt@example.se", subject="Avsikt", message_id="<m1@x>"
    )
    intake.take_private(drop(private, "bilaga.pdf", data), "bilaga.pdf", mail)
    intake.take_private(drop(private, "bad.pdf", b"not a pdf at all"), "bad.pdf", mail)
    intake.take_private(drop(private, "upload.pdf", scan_pdf(3)), "upload.pdf")
    got = [
        (a.file_name, a.source, a.duplicate, a.sender, a.subject, a.message_id)
        for a in arrivals(intake.session_factory)
    ]
    assert got == [
        ("scan.pdf", "inbox", False, None, None, None),
        ("named.pdf", "cli", True, None, None, None),
        ("bilaga.pdf", "mail", True, "kontakt@example.se", "Avsikt", "<m1@x>"),
        ("bad.pdf", "mail", False, "kontakt@example.se", "Avsikt", "<m1@x>"),
        ("upload.pdf", "upload", False, None, None, None),
    ]


def test_a_fresh_claim_of_an_old_file_is_no_orphan(intake, inbox):
    """The claim's time is in its name: a file last changed long ago, just claimed by one
    watcher, is not taken for a crashed watcher's leftover by another."""
    path = drop(inbox, "old.pdf", scan_pdf(4))
    os.utime(path, (946_684_800, 946_684_800))  # 2000-01-01
    claimed = intake._claim(path, "old.pdf")
    assert claimed is not None and claimed.stat().st_mtime == 946_684_800  # untouched
    patient = Intake(
        inbox=inbox,
        archive=intake.archive,
        quarantine=intake.quarantine,
        session_factory=intake.session_factory,
        orphan_seconds=30.0,
    )
    assert patient.recover_orphans() == []
    assert [r.outcome for r in intake.recover_orphans()] == ["submitted"]  # orphan_seconds=0


TAKE_AS_OTHER_USER = """
import sys
from pathlib import Path
from ingest.service import IngestConfig, build_intake
from registry.bootstrap import open_registry
url, data, inbox = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
registry = open_registry(url)
intake = build_intake(IngestConfig(database_url=url, data_dir=data, inbox=inbox), registry.sessions)
print(intake.take(inbox / "scan.pdf").outcome)
"""


@pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/usr/bin/setpriv"),
    reason="needs root (and util-linux's setpriv) to make a file the service cannot write",
)
def test_a_file_another_user_owns_and_the_service_cannot_write_is_taken(tmp_path):
    """A scan copied in by another account (root on a container's host, a scanner's
    user) is readable, in a writable inbox, but not writable by the service: it is taken
    all the same (the claim used to touch the file first: permission denied, and the
    scan waited in the inbox for ever). The service runs as root without the
    capabilities that let root write others' files (FOWNER, DAC_OVERRIDE)."""
    import subprocess
    import sys

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    data.mkdir()
    scan = drop(inbox, "scan.pdf", scan_pdf(5))
    os.chown(scan, 65534, 65534)  # nobody's, read-only for everyone else
    scan.chmod(0o644)
    done = subprocess.run(
        ["/usr/bin/setpriv", "--bounding-set=-fowner,-dac_override", sys.executable, "-c"]
        + [TAKE_AS_OTHER_USER, f"sqlite:///{data}/r.db", str(data), str(inbox)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    outcome = done.stdout.strip().splitlines()[-1:]  # the last line; the log goes first
    assert (done.returncode, outcome) == (0, ["submitted"]), done.stderr[-2000:]
    assert not scan.exists()


@pytest.mark.parametrize("length", [200, 250])
def test_a_file_name_too_long_to_claim_under_is_taken_under_its_shortened_name(
    intake, inbox, length
):
    """The claim folder's name for a file adds 48 bytes to its name: one of 210 bytes or
    more failed with 'file name too long' and waited in the inbox for ever."""
    name = "å" * (length // 2) + ".pdf"  # two bytes a letter
    result = intake.take(drop(inbox, name, scan_pdf(6)))
    assert result.outcome == "submitted"
    assert result.file_name.endswith(".pdf") and len(result.file_name.encode()) <= 207
    assert result.file_name.startswith("å" * 20)
    assert files_in(inbox) == []
    [sub] = submissions(intake.session_factory)
    assert sub.file_name == result.file_name
