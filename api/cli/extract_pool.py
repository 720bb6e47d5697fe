"""Supervised worker processes for ``signreg extract``: one file per task.

Each worker is a long-lived process (the OCR model stays loaded) that reads one file,
calls :func:`ocr.extract` and sends back the JSON-ready result. The parent gives each
worker one task at a time, so when a worker dies (a crash in a native library, the
kernel's OOM killer) or passes the per-file time limit, exactly one file is to blame:
it becomes an error line, the worker is replaced, and the run goes on. Results are
yielded in input order.

A worker also reports its peak resident memory (``VmHWM``) after every task, which
the benchmark prints, and gives the memory the file's reading freed back to the system
before the next (:func:`ingest.memory.trim`): a large scan's peak is not kept for good.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import multiprocessing as mp
import os
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ocr.errors import ExtractionError, Reason

DEFAULT_TARGET = "ocr:extract"
UNREADABLE = "unreadable"  # the path could not be read: not an extraction reason


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """One input file's line of output, and what it cost."""

    file: str
    line: dict[str, Any]  # the JSON object written for this file
    seconds: float
    worker_pid: int | None = None
    worker_peak_kb: int | None = None  # VmHWM of the worker after this file

    @property
    def ok(self) -> bool:
        return "error" not in self.line


@dataclass(slots=True)
class _Worker:
    process: Any
    conn: Connection
    task: int | None = None
    started: float = 0.0
    peak_kb: int = 0
    ready: bool = False  # imports done and profiles loaded: the clock starts at a task


@dataclass(slots=True)
class _Run:
    files: Sequence[str]
    pending: list[int] = field(default_factory=list)
    done: dict[int, FileOutcome] = field(default_factory=dict)


# what every worker process is set up with: engine, extraction function, second read
Spec = tuple[str, str, bool]


def error_line(file: str, message: str, reason: str) -> dict[str, Any]:
    return {"file": file, "error": " ".join(message.split()), "reason": reason}


def extract_files(
    files: Sequence[str],
    *,
    workers: int,
    timeout: float,
    engine: str = "auto",
    target: str = DEFAULT_TARGET,
    second_read: bool = False,
) -> Iterator[FileOutcome]:
    """Extract every file in worker processes; yield outcomes in input order.

    ``target`` (``"module:function"``) is the extraction function the workers call, with
    the signature of :func:`ocr.extract`; tests name one that crashes or hangs.
    """
    run = _Run(files=files, pending=list(range(len(files))))
    count = max(1, min(workers, len(files)))
    inner = max(1, workers // max(1, len(files)))  # few files: pages in parallel inside
    ctx = mp.get_context("spawn")
    spec = (engine, target, second_read)
    pool = [_start(ctx, spec) for _ in range(count)]
    next_out = 0
    try:
        while next_out < len(files):
            for worker in pool:
                if worker.ready and worker.task is None and run.pending:
                    _assign(worker, run, inner)
            _collect(pool, run, ctx, spec, timeout)
            while next_out in run.done:
                yield run.done.pop(next_out)
                next_out += 1
    finally:
        for worker in pool:
            _stop(worker)


def _start(ctx: Any, spec: Spec) -> _Worker:
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(child, spec), daemon=False)
    process.start()
    child.close()
    return _Worker(process=process, conn=parent)


def _assign(worker: _Worker, run: _Run, inner: int) -> None:
    index = run.pending.pop(0)
    worker.task = index
    worker.started = time.monotonic()
    worker.conn.send((index, run.files[index], inner))


def _collect(pool: list[_Worker], run: _Run, ctx: Any, spec: Spec, timeout: float) -> None:
    busy = [w for w in pool if w.task is not None]
    starting = [w for w in pool if not w.ready]
    watched = busy + starting
    if not watched:
        return
    deadline = min((w.started for w in busy), default=time.monotonic()) + timeout
    wait(
        [w.conn for w in watched] + [w.process.sentinel for w in watched],
        timeout=max(0.0, deadline - time.monotonic()) + 0.01,
    )
    for worker in starting:
        _check_started(worker)
    for slot, worker in enumerate(pool):
        if worker.task is None:
            continue
        index, file = worker.task, run.files[worker.task]
        elapsed = time.monotonic() - worker.started
        if worker.conn.poll():
            try:
                _, line, peak_kb = worker.conn.recv()
            except (EOFError, OSError):
                line = None
            if line is not None:
                worker.peak_kb = max(worker.peak_kb, peak_kb)
                run.done[index] = FileOutcome(file, line, elapsed, worker.process.pid, peak_kb)
                worker.task = None
                continue
        if not worker.process.is_alive() or elapsed > timeout:
            if worker.process.is_alive():
                message = f"reading the file took longer than {timeout:.0f} s and was stopped"
                reason = Reason.TIMEOUT.value
            else:
                message = (
                    f"the reading process crashed (exit code {worker.process.exitcode}) "
                    "on this file"
                )
                reason = Reason.OCR_FAILED.value
            _stop(worker)
            run.done[index] = FileOutcome(
                file,
                error_line(file, message, reason),
                elapsed,
                worker.process.pid,
                worker.peak_kb or None,
            )
            pool[slot] = _start(ctx, spec)


def _check_started(worker: _Worker) -> None:
    if worker.conn.poll():
        try:
            worker.ready = worker.conn.recv() == "ready"
        except (EOFError, OSError):
            worker.ready = False
    if not worker.ready and not worker.process.is_alive():
        raise RuntimeError(
            f"an extraction worker failed to start (exit code {worker.process.exitcode}); "
            "see the error above"
        )


def _stop(worker: _Worker) -> None:
    with contextlib.suppress(OSError, ValueError):  # already gone: nothing to tell it
        worker.conn.send(None)
    worker.process.join(timeout=1.0)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join(timeout=5.0)
    worker.conn.close()


def _serve(conn: Connection, spec: Spec) -> None:
    """Worker loop: send "ready", then per ``(index, path, inner)`` send ``(index, line, peak)``."""
    # one OCR thread per worker: the workers are the parallelism (set before tesseract loads)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    import cv2

    cv2.setNumThreads(1)  # OpenCV's thread pool only spins against the other workers
    from ingest.memory import trim
    from ocr.profile import load_profiles

    engine, target, second_read = spec
    module, _, name = target.partition(":")
    extract = getattr(importlib.import_module(module), name)
    if second_read:  # hand-filled digits read again (ocr.handread)
        from ocr.handread import SecondRead

        extract = functools.partial(extract, second=SecondRead(enabled=True))
    profiles = load_profiles()
    conn.send("ready")
    while True:
        try:
            task = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if task is None:
            return
        index, file, inner = task
        line = read_one(file, profiles=profiles, engine=engine, workers=inner, extract=extract)
        trim()  # what this file's reading freed goes back before the next file
        conn.send((index, line, peak_rss_kb()))


def read_one(
    file: str, *, profiles: Any, engine: str, workers: int, extract: Any
) -> dict[str, Any]:
    """The output line for one file: the extraction, or an error with its reason."""
    try:
        data = Path(file).read_bytes()
    except OSError as e:
        return error_line(file, f"cannot read the file: {e.strerror or e}", UNREADABLE)
    try:
        result = extract(data, profiles, engine=engine, workers=workers)
    except ExtractionError as e:
        return error_line(file, str(e), e.reason.value)
    except Exception as e:  # a bug, not the file's fault: say so, keep the trace on stderr
        traceback.print_exc()
        return error_line(file, f"internal error: {type(e).__name__}: {e}", "internal_error")
    return {"file": file, **result.to_dict()}


def peak_rss_kb(pid: int | str = "self") -> int:
    """``VmHWM`` (peak resident set) of a process in kB, from /proc (0 when unknown)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def default_workers() -> int:
    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
