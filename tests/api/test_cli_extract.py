"""``signreg extract``: the real command on real scans, bad files, crashes and hangs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from api.cli.extract_pool import extract_files
from ocr.errors import InvalidInput, Reason
from ocr.model import FIELD_NAMES, Extraction
from tests.ocr import pdf_factory as make

SIGNREG = Path(sys.executable).parent / "signreg"
COMMITTED = Path(__file__).resolve().parents[2] / "samples" / "committed"
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two real sample scans: the committed ones, or two generated the same way."""
    committed = sorted(COMMITTED.glob("*.pdf"))[:2]
    if len(committed) == 2:
        return committed
    from samples.generate import render_sample

    out = tmp_path_factory.mktemp("scans")
    paths = []
    for index in range(2):
        data, _truth = render_sample(index, 11, "dev")
        path = out / f"scan-{index}.pdf"
        path.write_bytes(data)
        paths.append(path)
    return paths


def _run(*args: str | Path, cwd: Path) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        [str(SIGNREG), "extract", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def test_extract_good_and_bad_files_in_input_order(scans: list[Path], tmp_path: Path) -> None:
    (tmp_path / "letter.pdf").write_bytes(make.docx_like())
    (tmp_path / "empty.pdf").write_bytes(b"")
    truncated = make.scan_pdf("jpeg")
    (tmp_path / "cut.pdf").write_bytes(truncated[: len(truncated) // 2])
    order = ["letter.pdf", str(scans[0]), "missing.pdf", "empty.pdf", str(scans[1]), "cut.pdf"]
    code, lines = _run(*order, "--jsonl", "--workers", "2", cwd=tmp_path)
    assert code == 1
    assert [line["file"] for line in lines] == order
    letter, first, missing, empty, second, cut = lines
    assert letter["reason"] == Reason.NOT_PDF
    assert letter["error"] == "not a PDF: the file starts like a Word document (DOCX/ZIP)"
    assert missing["reason"] == "unreadable"
    assert empty["reason"] == Reason.EMPTY
    assert cut["reason"] == Reason.TRUNCATED
    for line in (first, second):
        assert "error" not in line
        assert line["pages"] >= 1
        for declaration in line["declarations"]:
            assert set(declaration["fields"]) == set(FIELD_NAMES)
            signature = declaration["signature"]
            assert set(signature) - {"evidence"} == {"present", "confidence", "page", "bbox"}
            if "evidence" in signature:  # the fitted model's inputs, with its probability
                assert 0.0 <= signature["evidence"]["p_signed"] <= 1.0
    for line in (letter, missing, empty, cut):
        assert set(line) == {"file", "error", "reason"}
        assert "\n" not in line["error"]


def test_exit_zero_when_every_file_read(scans: list[Path], tmp_path: Path) -> None:
    code, lines = _run(scans[0], "--jsonl", "--workers", "1", cwd=tmp_path)
    assert code == 0
    assert len(lines) == 1 and "declarations" in lines[0]


# --- a misbehaving extraction, to check the supervision (the real one should not crash)


def misbehaving_extract(data: bytes, profiles: Any = None, **_: Any) -> Extraction:
    if data.startswith(b"CRASH"):
        os.abort()
    if data.startswith(b"HANG"):
        time.sleep(120)
    if data.startswith(b"BAD"):
        raise InvalidInput("made up", reason=Reason.MALFORMED)
    if data.startswith(b"BUG"):
        raise ZeroDivisionError("a bug")
    return Extraction(pages=len(data))


def test_crash_and_hang_become_error_lines(tmp_path: Path) -> None:
    names = ["ok1", "CRASH", "ok2", "HANG", "BAD", "BUG", "ok3"]
    files = []
    for name in names:
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(name.encode())
        files.append(str(path))
    target = "tests.api.test_cli_extract:misbehaving_extract"
    outcomes = list(extract_files(files, workers=2, timeout=10, target=target))
    assert [o.file for o in outcomes] == files
    lines = {name: o.line for name, o in zip(names, outcomes, strict=True)}
    assert lines["ok1"] == {"file": files[0], "pages": 3, "declarations": []}
    assert lines["ok3"]["pages"] == 3
    assert lines["CRASH"]["reason"] == Reason.OCR_FAILED
    assert "crashed" in lines["CRASH"]["error"]
    assert lines["HANG"]["reason"] == Reason.TIMEOUT
    assert lines["BAD"] == {"file": files[4], "error": "made up", "reason": "malformed"}
    assert lines["BUG"]["reason"] == "internal_error"
    assert all(o.worker_peak_kb for o in outcomes if o.ok)


def test_second_read_reads_hand_written_digits_only_when_asked(tmp_path: Path) -> None:
    """``signreg extract --second-read``: a form whose organisation number is written in
    real MNIST digits gives the right number with it, not without (Tesseract alone);
    without either flag (and no SIGNREG_SECOND_READ) the second read is on."""
    from samples.generate import render_sample

    pdf, truth = render_sample(0, 1, "dev", hand_digits=True)
    path = tmp_path / "hand.pdf"
    path.write_bytes(pdf)
    want = truth["declarations"][0]["fields"]["organisation_number"]
    got = {}
    for flag in ("--second-read", "--no-second-read", ""):
        done = subprocess.run(
            [str(SIGNREG), "extract", "--jsonl", "-w", "1", *([flag] if flag else []), str(path)],
            capture_output=True,
            text=True,
            timeout=300,
            env={k: v for k, v in os.environ.items() if k != "SIGNREG_SECOND_READ"},
        )
        assert done.returncode == 0, done.stderr[-2000:]
        [declaration] = json.loads(done.stdout)["declarations"]
        got[flag] = declaration["fields"]["organisation_number"]["value"]
    assert got["--second-read"] == want and got["--no-second-read"] != want
    assert got[""] == want  # on by default
