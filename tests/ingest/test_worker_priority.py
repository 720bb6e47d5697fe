"""OCR is batch work: ``signreg watch``'s worker processes run nicer than the watcher
(``SIGNREG_OCR_NICE``, 10 by default), so the web app and the watcher on the same
machine get the CPU first and the public list keeps its latency while scans are read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ingest.proc import Watch


def _children(pid: int) -> list[int]:
    return [
        int(c)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for c in (task / "children").read_text().split()
    ]


@pytest.mark.parametrize("nice", ["10", "0"])
def test_the_workers_run_at_the_set_niceness_and_the_watcher_does_not(tmp_path, nice):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    (tmp_path / "inbox").mkdir()
    watch = Watch(url, tmp_path / "data", tmp_path / "inbox", None, tmp_path / "w.log", workers=2)
    watch.env["SIGNREG_OCR_NICE"] = nice
    watch.start()
    try:
        watch.wait_started()
        assert watch.proc is not None
        own = os.getpriority(os.PRIO_PROCESS, watch.proc.pid)
        workers = [
            os.getpriority(os.PRIO_PROCESS, c)
            for c in _children(watch.proc.pid)
            if "signreg-worker" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")
            or "spawn_main" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")
        ]
    finally:
        watch.stop()
    assert own == os.getpriority(os.PRIO_PROCESS, 0)  # the watcher as it was started
    assert workers == [own + int(nice)] * 2
