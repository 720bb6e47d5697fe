"""``signreg ingest`` end to end with real Tesseract on committed sample scans."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SIGNREG = Path(sys.executable).parent / "signreg"
SAMPLES = REPO / "samples" / "committed"


def signreg(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SIGNREG), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SIGNREG_DATABASE_URL": db_url,
        "SIGNREG_DATA_DIR": str(tmp_path / "data"),
        "SIGNREG_INBOX": str(tmp_path / "inbox"),
    }


def test_ingest_reads_a_real_scan_into_a_proposal(env, tmp_path: Path):
    scan = tmp_path / "signed-label-left.pdf"
    shutil.copy(SAMPLES / scan.name, scan)
    truth = json.loads((SAMPLES / "signed-label-left.json").read_text())["declarations"][0]
    done = signreg("ingest", str(scan), "--workers", "1", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert scan.exists()  # named on the command line: read, not removed
    listed = signreg("submissions", "--json", env=env, cwd=tmp_path)
    [sub] = json.loads(listed.stdout)
    assert (sub["file"], sub["status"], len(sub["proposals"])) == (scan.name, "proposed", 1)
    shown = signreg("review", "list", "--json", env=env, cwd=tmp_path)
    [proposal] = json.loads(shown.stdout)
    number = proposal["fields"]["organisation_number"]
    assert number["value"] == truth["fields"]["organisation_number"]
    assert proposal["signature"]["present"] is True


def test_ingest_exits_1_when_a_file_is_quarantined(env, tmp_path: Path):
    good = tmp_path / "unsigned.pdf"
    shutil.copy(SAMPLES / good.name, good)
    bad = tmp_path / "brev.pdf"
    bad.write_bytes(b"Hej! Blanketten kommer senare.\n")
    done = signreg("ingest", str(good), str(bad), "--workers", "1", env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    listed = {
        s["file"]: s
        for s in json.loads(signreg("submissions", "--json", env=env, cwd=tmp_path).stdout)
    }
    assert listed["unsigned.pdf"]["status"] == "proposed"
    assert listed["brev.pdf"]["status"] == "quarantined"
    assert "not a PDF" in listed["brev.pdf"]["error"]
    reasons = list((tmp_path / "data" / "quarantine").glob("*.reason.txt"))
    assert len(reasons) == 1 and "reason: not_pdf" in reasons[0].read_text()


def test_run_serves_healthz_and_watches_the_inbox_until_sigterm(db_url: str, tmp_path: Path):
    import signal
    import socket
    import time

    import httpx

    from tests.ingest.files import scan_pdf
    from tests.ingest.proc import FAKE_ENGINE, drop_atomic, settle

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = tmp_path / "inbox"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SIGNREG_DATABASE_URL": db_url,
        "SIGNREG_DATA_DIR": str(tmp_path / "data"),
        "SIGNREG_INBOX": str(inbox),
        "SIGNREG_OCR_ENGINE": FAKE_ENGINE,
        "SIGNREG_STABLE_SECONDS": "0.2",
    }
    cmd = [str(SIGNREG), "run", "--port", str(port), "--workers", "1"]
    with (tmp_path / "run.log").open("wb") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
                time.sleep(0.2)
        assert response.json() == {"status": "ok"}
        while not inbox.is_dir():  # the watcher makes the inbox as it starts, maybe later
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.2)
        drop_atomic(inbox / "scan.pdf", scan_pdf(1))
        settle(db_url, 1, timeout=120)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=90)
    assert code == 0, (tmp_path / "run.log").read_text()
    listed = json.loads(signreg("submissions", "--json", env=env, cwd=tmp_path).stdout)
    assert [(s["file"], s["status"]) for s in listed] == [("scan.pdf", "proposed")]
