"""A newcomer's first minutes: clone the repository, type ``make run``, drop a scan.

The clone gets its own virtual environment from the lock file (``make run`` installs
it: the Debian packages are checked and found, as CI installed them), migrates its
SQLite registry, starts web + watcher + workers and prints where the inbox and the
pages are. A committed sample scan dropped into that inbox becomes a proposal read by
the real engine, the public list and the health check answer, and Ctrl-C (SIGINT to
the process group, as a terminal sends it) stops everything cleanly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.e2e.site import ROOT, _free_port

SCAN = ROOT / "samples" / "committed" / "bw-g4-table.pdf"
SETUP_SECONDS = 900  # a cold pip install of the lock file on a slow machine
READ_SECONDS = 600  # one page; generous for a machine busy with other work


def _wait_for(log: Path, pattern: str, proc: subprocess.Popen[bytes], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if re.search(pattern, text):
            return text
        assert proc.poll() is None, f"make run stopped early ({proc.returncode}):\n{text[-3000:]}"
        time.sleep(0.5)
    raise AssertionError(f"no {pattern!r} after {seconds} s:\n{log.read_text()[-3000:]}")


def _submissions(clone: Path, env: dict[str, str]) -> list[dict[str, object]]:
    done = subprocess.run(
        [str(clone / ".venv" / "bin" / "signreg"), "submissions", "--json"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def test_a_fresh_clone_installs_itself_and_make_run_reads_a_dropped_scan(tmp_path: Path) -> None:
    clone = tmp_path / "signatory-registry"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    assert not (clone / ".venv").exists() and not (clone / "data").exists()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNREG_", "VIRTUAL_ENV"))}
    env |= {"SIGNREG_PORT": str(port), "SIGNREG_COOKIE_SECURE": "false"}
    log = tmp_path / "make-run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["make", "run"], cwd=clone, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        text = _wait_for(log, r"drop scans into (\S+)/\n", proc, SETUP_SECONDS)
        inbox = Path(re.search(r"drop scans into (\S+)/\n", text)[1])  # type: ignore[index]
        assert inbox == (clone / "inbox").resolve()
        assert f"http://127.0.0.1:{port}/review" in text
        assert (clone / ".venv" / "bin" / "signreg").exists()

        shutil.copy(SCAN, inbox / "underskriven.pdf")
        deadline = time.monotonic() + READ_SECONDS
        rows = _submissions(clone, env)
        while time.monotonic() < deadline and [r["status"] for r in rows] != ["proposed"]:
            time.sleep(1)
            rows = _submissions(clone, env)
        got = [(r["file"], r["status"]) for r in rows]
        assert got == [("underskriven.pdf", "proposed")], log.read_text()[-4000:]
        assert rows[0]["proposals"]

        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        public = httpx.get(f"{base}/api/v1/signatories", timeout=10)
        assert public.status_code == 200 and public.json()["total"] == 0  # nothing approved yet
        review = httpx.get(f"{base}/review", timeout=10)
        assert review.status_code in (303, 401) or "logga in" in review.text.lower()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert not list((clone / "inbox").glob("*.pdf"))  # taken, not left behind
    assert (clone / "data" / "signreg.db").exists()
