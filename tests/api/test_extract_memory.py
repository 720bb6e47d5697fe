"""A ``signreg extract`` worker's memory over many files (issue 13: < 500 MB per worker
with both recognisers loaded): freed memory goes back between files, and reading the
same form again and again does not make the worker grow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.cli.extract_pool import extract_files

pytestmark = pytest.mark.timeout(300)

CHUNK = 100_000  # bytes: under glibc's mmap threshold, so the chunks live in the heap
CHUNKS = 800  # 80 MB a file
KEEP_EVERY = 40  # one chunk in 40 outlives the file: the heap cannot shrink from its top
_kept: list[np.ndarray] = []  # in the worker process: what outlives each file


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class _Line:
    def __init__(self, rss_kb: int) -> None:
        self.rss_kb = rss_kb

    def to_dict(self) -> dict[str, Any]:
        return {"pages": 1, "declarations": [], "rss_kb": self.rss_kb}


def fragmenting_extract(data: bytes, profiles: Any, *, engine: str, workers: int) -> _Line:
    """A reading that frees most of the 80 MB it used, keeping a few chunks spread over
    the heap; reports the worker's resident memory before it starts."""
    before = _rss_kb()
    chunks = [np.ones(CHUNK, dtype=np.uint8) for _ in range(CHUNKS)]
    _kept.extend(chunks[KEEP_EVERY - 1 :: KEEP_EVERY])
    del chunks
    return _Line(before)


def test_a_worker_gives_what_a_file_freed_back_before_the_next(tmp_path: Path) -> None:
    files = []
    for i in range(4):
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(b"%PDF")
        files.append(str(path))
    target = "tests.api.test_extract_memory:fragmenting_extract"
    outcomes = list(extract_files(files, workers=1, timeout=60, target=target))
    rss = [o.line["rss_kb"] for o in outcomes]
    kept_mb = CHUNKS * CHUNK / KEEP_EVERY / 1e6  # 2 MB a file
    # without giving memory back each file would start about 80 MB above the one before
    for before, after in zip(rss, rss[1:], strict=False):
        assert (after - before) / 1024 < kept_mb + 20, rss


def test_reading_the_same_form_again_does_not_grow_the_worker(tmp_path: Path) -> None:
    """Both recognisers loaded (the second read on, hand-written digits on the form): the
    worker's peak after the sixth reading is where it was after the second."""
    from samples.generate import render_sample

    pdf, _truth = render_sample(0, 1, "dev", hand_digits=True)
    files = []
    for i in range(6):
        path = tmp_path / f"form-{i}.pdf"
        path.write_bytes(pdf)
        files.append(str(path))
    outcomes = list(extract_files(files, workers=1, timeout=240, second_read=True))
    assert all(o.ok for o in outcomes), [o.line for o in outcomes]
    assert len({o.worker_pid for o in outcomes}) == 1
    lines = [o.line for o in outcomes]
    assert all(line == {**lines[0], "file": line["file"]} for line in lines)  # read alike
    peaks_mb = [(o.worker_peak_kb or 0) / 1024 for o in outcomes]
    assert peaks_mb[-1] - peaks_mb[1] < 15, peaks_mb
    assert peaks_mb[-1] < 500, peaks_mb
