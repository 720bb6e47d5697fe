"""Uploads into the intake on SQLite and PostgreSQL: the same steps as the inbox, a
safe name, the size limit with nothing left behind, an empty file refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ingest.intake import Intake
from ingest.upload import Refusal, UploadRefused, Uploads, upload_name
from tests.ingest.conftest import arrivals, files_in, submissions
from tests.ingest.files import scan_pdf


@pytest.mark.parametrize(
    ("client", "safe"),
    [
        ("../../x.pdf", "x.pdf"),
        ("a/b\\c.pdf", "c.pdf"),
        ("C:\\Users\\anna\\skanning 1.pdf", "skanning 1.pdf"),
        ("..", "unnamed"),
        ("", "unnamed"),
        (None, "unnamed"),
        ("ev\x00il\n.pdf", "evil.pdf"),
        ("Luleå kommun.pdf", "Luleå kommun.pdf"),
    ],
)
def test_a_client_name_becomes_a_safe_base_name(client: str | None, safe: str) -> None:
    assert upload_name(client) == safe


def _uploads(intake: Intake, data_dir: Path, max_bytes: int = 10_000_000) -> Uploads:
    return Uploads.in_data_dir(intake, data_dir, max_bytes=max_bytes)


def _send(uploads: Uploads, files: dict[str, bytes], chunk: int = 4096):  # type: ignore[no-untyped-def]
    batch = uploads.batch()
    for name, data in files.items():
        receiving = batch.receive(name)
        for i in range(0, len(data), chunk):
            receiving.write(data[i : i + chunk])
    return batch.take()


def test_uploads_go_through_the_intake_archived_deduplicated_quarantined(
    intake: Intake, data_dir: Path
) -> None:
    uploads = _uploads(intake, data_dir)
    good = scan_pdf(11)
    results = _send(uploads, {"../../a.pdf": good, "kopia.pdf": good, "x.pdf": b"hello, not a pdf"})
    assert [(r.file_name, r.outcome, r.reason) for r in results] == [
        ("a.pdf", "received", None),
        ("kopia.pdf", "duplicate", None),
        ("x.pdf", "quarantined", "not_pdf"),
    ]
    sha = hashlib.sha256(good).hexdigest()
    assert results[0].sha256 == sha and results[0].submission_id == results[1].submission_id
    assert intake.archive.read(sha) == good
    subs = submissions(intake.session_factory)
    assert [(s.file_name, s.status) for s in subs] == [
        ("a.pdf", "received"),
        ("x.pdf", "quarantined"),
    ]
    assert [a.duplicate for a in arrivals(intake.session_factory)] == [False, True, False]
    assert files_in(uploads.root) == []  # the private temp files are gone


def test_a_file_over_the_limit_is_stopped_and_nothing_is_left(
    intake: Intake, data_dir: Path
) -> None:
    uploads = _uploads(intake, data_dir, max_bytes=5000)
    batch = uploads.batch()
    first = batch.receive("small.pdf")
    first.write(b"%PDF-1.4 small")
    big = batch.receive("big.pdf")
    with pytest.raises(UploadRefused) as refused:
        for _ in range(10):
            big.write(b"x" * 1000)
    assert refused.value.reason == Refusal.TOO_LARGE and refused.value.file_name == "big.pdf"
    batch.discard()  # what the route does on any refusal
    assert files_in(data_dir) == []
    assert submissions(intake.session_factory) == []


def test_an_empty_file_is_refused_and_the_others_taken(intake: Intake, data_dir: Path) -> None:
    uploads = _uploads(intake, data_dir)
    results = _send(uploads, {"tom.pdf": b"", "b.pdf": scan_pdf(12)})
    assert [(r.outcome, r.reason) for r in results] == [("refused", "empty"), ("received", None)]
    assert len(submissions(intake.session_factory)) == 1
    assert files_in(uploads.root) == []


def test_too_many_files_refuses_the_request(intake: Intake, data_dir: Path) -> None:
    uploads = Uploads(intake=intake, root=data_dir / "uploads", max_bytes=100, max_files=2)
    batch = uploads.batch()
    batch.receive("1.pdf")
    batch.receive("2.pdf")
    with pytest.raises(UploadRefused) as refused:
        batch.receive("3.pdf")
    assert refused.value.reason == Refusal.TOO_MANY_FILES
    assert files_in(data_dir) == []
