"""The real service for browser tests and screenshots: a fresh SQLite registry in a
folder, reviewers made with the CLI, committed sample scans ingested by the real engine
(``signreg ingest``), then ``signreg serve`` on a free port."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SIGNREG = Path(sys.executable).with_name("signreg")
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "korrekt häst batteri"
# as the probe of this machine starts it: no background connections to a closed network
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Norrbotten (typed; the place left blank on the form) and Västerbotten
SCANS = ("bw-g4-table.pdf", "heldout-two-column.pdf")
REVIEWERS = (
    ("admin", ["--role", "admin"]),
    ("norr", ["--county", "Norrbotten"]),
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Site:
    url: str
    env: dict[str, str]
    root: Path

    def signreg(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(SIGNREG), *args],
            env=self.env,
            cwd=self.root,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"signreg serve exited with {proc.returncode}:\n{tail}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("signreg serve did not answer /healthz")


@contextlib.contextmanager
def running_site(root: Path) -> Iterator[Site]:
    """The service on a free port, with its data in ``root``, until the block ends."""
    port = _free_port()
    env = {
        **os.environ,
        "SIGNREG_DATABASE_URL": f"sqlite:///{root / 'signreg.db'}",
        "SIGNREG_DATA_DIR": str(root / "data"),
        "SIGNREG_INBOX": str(root / "inbox"),
        "SIGNREG_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SIGNREG_OCR_WORKERS": "2",
    }
    env.pop("SIGNREG_SECRET_KEY", None)
    s = Site(url=f"http://127.0.0.1:{port}", env=env, root=root)
    s.signreg("migrate")
    for name, options in REVIEWERS:
        s.signreg("reviewer", "add", name, *options, "--password-stdin", stdin=PASSWORD + "\n")
    scans = root / "scans"
    scans.mkdir()
    for name in SCANS:
        shutil.copy(ROOT / "samples" / "committed" / name, scans / name)
    s.signreg("ingest", *(str(scans / n) for n in SCANS))
    log = (root / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(SIGNREG), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(s.url, proc, root / "serve.log")
        yield s
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def launch_chromium(playwright: object) -> object:
    """Debian's Chromium, headless, as this machine's probe starts it."""
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )


def sign_in(page: object, site: Site, username: str) -> None:
    page.goto(f"{site.url}/login")  # type: ignore[attr-defined]
    page.fill("#username", username)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url(f"{site.url}/review**")  # type: ignore[attr-defined]
