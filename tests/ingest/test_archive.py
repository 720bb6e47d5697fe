"""The content-addressed archive and the quarantine, on a real file system."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.archive import Archive, ArchiveError
from ingest.durable import sha256_file
from ingest.quarantine import Quarantine, safe_name


def test_store_puts_the_bytes_under_their_sha256(tmp_path: Path):
    src = tmp_path / "scan.pdf"
    src.write_bytes(b"%PDF-1.4 hello %%EOF")
    archive = Archive(tmp_path / "archive")
    sha, path = archive.store(src)
    assert sha == hashlib.sha256(src.read_bytes()).hexdigest()
    assert path == tmp_path / "archive" / sha[:2] / f"{sha}.pdf"
    assert archive.read(sha) == src.read_bytes()
    assert archive.relative_path(sha) == f"{sha[:2]}/{sha}.pdf"
    assert src.exists()  # storing copies; the intake removes the inbox file itself


def test_store_is_idempotent_and_leaves_no_temp_files(tmp_path: Path):
    archive = Archive(tmp_path / "archive")
    a = tmp_path / "a.pdf"
    b = tmp_path / "b.pdf"
    a.write_bytes(b"same content")
    b.write_bytes(b"same content")
    sha_a, path_a = archive.store(a)
    mtime = path_a.stat().st_mtime_ns
    sha_b, path_b = archive.store(b)
    assert (sha_a, path_a) == (sha_b, path_b)
    assert path_a.stat().st_mtime_ns == mtime  # kept, not rewritten
    files = [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert files == [path_a]


def test_large_file_is_hashed_in_chunks(tmp_path: Path):
    src = tmp_path / "big.pdf"
    data = os.urandom(3 * 1024 * 1024 + 17)
    src.write_bytes(data)
    assert sha256_file(src) == (hashlib.sha256(data).hexdigest(), len(data))
    sha, _ = Archive(tmp_path / "archive").store(src)
    assert sha == hashlib.sha256(data).hexdigest()


def test_stale_temp_files_from_a_crash_are_cleaned(tmp_path: Path):
    archive = Archive(tmp_path / "archive")
    staged = archive.stage(_write(tmp_path / "x.pdf", b"abc"))  # crash before commit
    assert staged.temp.exists()
    assert archive.clean_temps(older_than=3600, now=time.time()) == 0
    assert archive.clean_temps(older_than=0, now=time.time() + 1) == 1
    assert not staged.temp.exists()


def test_archive_refuses_what_is_not_a_sha256(tmp_path: Path):
    archive = Archive(tmp_path / "archive")
    with pytest.raises(ArchiveError):
        archive.path_for("../../etc/passwd")
    with pytest.raises(ArchiveError):
        archive.read("0" * 64)


def test_quarantine_keeps_the_file_and_its_reason(tmp_path: Path):
    q = Quarantine(tmp_path / "quarantine")
    src = _write(tmp_path / "brev.docx", b"PK\x03\x04 word")
    staged = q.stage(src)
    now = datetime(2026, 11, 23, 9, 41, 7, tzinfo=UTC)
    entry = q.put(
        staged,
        file_name="../brev.docx",
        reason="not_pdf",
        message="not a PDF:\n a Word document",
        now=now,
    )
    assert entry.path.name == f"{staged.sha256[:12]}-brev.docx"
    assert entry.path.read_bytes() == b"PK\x03\x04 word"
    assert entry.reason_path.read_text().splitlines() == [
        "reason: not_pdf",
        "message: not a PDF: a Word document",
        "time: 2026-11-23T09:41:07+00:00",
    ]
    assert q.entries() == [entry.path]


def test_safe_name_strips_paths_and_control_characters():
    assert safe_name("../../x/ev il\n.pdf") == "ev il_.pdf"
    assert safe_name("...") == "unnamed"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
