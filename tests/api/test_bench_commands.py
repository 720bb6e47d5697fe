"""The extraction bench's command timings (``tests.bench.extraction --commands``): the
baseline runs as a command the way ``signreg extract`` does, and a timed command's peak
memory is its whole process tree's."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench import extraction

pytestmark = pytest.mark.timeout(120)


def test_the_baseline_command_writes_one_line_per_file_in_order(tmp_path: Path) -> None:
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "text.pdf").write_bytes(b"not a pdf at all")
    files = [str(tmp_path / "empty.pdf"), str(tmp_path / "missing.pdf"), str(tmp_path / "text.pdf")]
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.baseline", "--workers", "2", *files],
        capture_output=True,
        text=True,
        timeout=100,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["file"] for line in lines] == files
    assert all(line["reason"] == "baseline" for line in lines)


def test_a_timed_command_counts_the_peak_of_its_children(tmp_path: Path) -> None:
    child = "x = bytearray(120 * 2**20); x[::4096] = b'1' * len(x[::4096])"
    parent = (
        "import json, subprocess, sys; "
        f"subprocess.run([sys.executable, '-c', {child!r}], check=True); "
        "print(json.dumps({'file': 'a'})); print(json.dumps({'file': 'b', 'error': 'x'}))"
    )
    run = extraction._timed([sys.executable, "-c", parent])
    assert run["status"] == 0
    assert run["lines"] == 2 and run["errors"] == 1
    assert run["peak_mb"] >= 120  # the child's, not the parent's few MB
    assert run["seconds"] > 0
    assert re.fullmatch(r"[\d.]+ [\d.]+ [\d.]+", run["loadavg"])
