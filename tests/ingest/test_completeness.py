"""The cheap looks at an inbox file: is it a whole PDF, is a writer still holding it?"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.completeness import incomplete_reason, open_for_writing, unfinished_reason
from tests.ingest.files import scan_pdf

PDF = scan_pdf(3, noise=20)
HOLD_OPEN = "f = open({path!r}, 'r+b'); print('open', flush=True); input()"


def written(tmp_path: Path, data: bytes, name: str = "scan.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def with_startxref(data: bytes, value: bytes) -> bytes:
    head, tail = data.rsplit(b"startxref", 1)
    return head + b"startxref\n" + value + b"\n%%EOF\n"


def incremental_update(data: bytes) -> bytes:
    """``data`` with an appended update (a new info object, its xref and trailer)."""
    offset = len(data)
    obj = b"99 0 obj\n<< /Producer (scanner page 2) >>\nendobj\n"
    xref_at = offset + len(obj)
    xref = b"xref\n99 1\n%010d 00000 n \n" % offset
    trailer = b"trailer << /Size 100 /Prev 0 >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return data + obj + xref + trailer


def xref_stream_pdf() -> bytes:
    pikepdf = pytest.importorskip("pikepdf")
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(PDF)) as pdf:
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        PDF,
        PDF + b"\r\n\n  \0\0",  # trailing blanks and NULs after %%EOF
        incremental_update(PDF),
        b"PK\x03\x04" + bytes(2000),  # a whole ZIP (a Word file): no PDF ever, taken now
        b"\x89PNG\r\n" + bytes(range(256)) * 8,
    ],
    ids=["whole", "trailing-blanks", "incremental-update", "zip", "png"],
)
def test_finished_files_are_not_held(tmp_path, data):
    assert incomplete_reason(written(tmp_path, data)) is None


def test_a_pdf_with_a_cross_reference_stream_is_whole(tmp_path):
    assert incomplete_reason(written(tmp_path, xref_stream_pdf())) is None


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "no %PDF- header yet"),
        (b"%PD", "no %PDF- header yet"),
        (bytes(len(PDF)), "no %PDF- header yet"),  # pre-sized with zeros, not yet written
        (PDF[: len(PDF) // 2], "no %%EOF at the end"),
        (PDF[:-200] + bytes(200 + 2048), "no %%EOF at the end"),  # the tail still zeros
        (PDF.replace(b"startxref", b"startxrff"), "no startxref before %%EOF"),
        (with_startxref(PDF, b"99999999"), "is past the end"),
        (with_startxref(PDF, b"40"), "points at no cross-reference"),
    ],
    ids=[
        "empty",
        "header-half-written",
        "zeros",
        "half",
        "tail-zeros",
        "no-startxref",
        "startxref-past-end",
        "startxref-elsewhere",
    ],
)
def test_unfinished_files_say_why(tmp_path, data, why):
    reason = incomplete_reason(written(tmp_path, data))
    assert reason is not None and why in reason


def test_a_short_file_that_is_no_pdf_yet_may_still_become_one(tmp_path):
    assert incomplete_reason(written(tmp_path, b"PK\x03\x04 word")) == "no %PDF- header yet"


def _leases_work(path: Path) -> bool:
    return open_for_writing(path) is not None


def test_a_file_open_for_writing_is_busy_until_closed(tmp_path):
    path = written(tmp_path, PDF)
    if not _leases_work(path):
        pytest.skip("file leases are not available here")
    with path.open("ab") as writer:
        assert open_for_writing(path) is True
        assert unfinished_reason(path) == "open for writing"
        writer.flush()
    assert open_for_writing(path) is False
    assert unfinished_reason(path) is None
    with path.open("rb"):
        assert open_for_writing(path) is False  # readers do not count


def test_a_writer_in_another_process_makes_the_file_busy(tmp_path):
    path = written(tmp_path, PDF)
    if not _leases_work(path):
        pytest.skip("file leases are not available here")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"f = open({str(path)!r}, 'r+b'); print('open', flush=True); input()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"open\n"
        assert open_for_writing(path) is True
    finally:
        holder.communicate(b"\n", timeout=10)
    assert open_for_writing(path) is False


def test_a_writer_opening_during_the_look_is_not_blocked_for_long(tmp_path):
    path = written(tmp_path, PDF)
    if not _leases_work(path):
        pytest.skip("file leases are not available here")
    started = time.monotonic()
    for _ in range(200):  # the lease lasts two system calls; a breaker never waits 45 s
        assert open_for_writing(path) is False
        with path.open("r+b"):
            pass
    assert time.monotonic() - started < 5


def test_a_file_gone_meanwhile_is_not_judged(tmp_path):
    assert unfinished_reason(tmp_path / "gone.pdf") is None


def _photo(kind: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, kind)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_a_photo_is_held_until_its_end_marker_is_written(tmp_path, kind):
    """A phone's photo copied in parts is held like a PDF without its %%EOF (taken at
    once, it was quarantined as cut short and the rest became another file)."""
    whole = _photo(kind)
    assert incomplete_reason(written(tmp_path, whole, "foto")) is None
    half = incomplete_reason(written(tmp_path, whole[: len(whole) // 2], "foto"))
    assert half is not None and "yet" in half
    padded = whole + b"\0" * 12  # some cameras pad after the end marker
    assert incomplete_reason(written(tmp_path, padded, "foto")) is None
