"""Structured logs (structlog): JSON lines for machines, readable lines on a terminal.

Configured once per process at an entry point (the CLI, each worker process).

Every line about a submission carries its ``sha256`` (the one name a file keeps from
inbox to archive, quarantine and review), so ``grep <sha256>`` over the logs of every
process tells one scan's story: the intake binds it for all it logs while handling a
file (:func:`about_file`), the worker binds it on its per-job logger, the watcher
passes it on the few lines it logs about a file itself.

A file that has not been read yet has no sha256: one still being written (the
watcher's ``watcher.waiting``: hashing it would name bytes that are not the file's),
or one that cannot be read at all. Its lines carry ``"sha256": null`` and, beside it,
``sha256_missing`` saying why (:data:`STILL_BEING_WRITTEN`, :data:`UNREADABLE`,
:data:`SYMLINK`), so a
search for lines without a hash finds only these; such a file is named by its path
in the inbox (``file``), and its first line once read has both.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import structlog


def configure_logging(
    *, json: bool | None = None, level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Send structlog's lines to ``stream`` (stderr); JSON unless it is a terminal."""
    stream = stream or sys.stderr
    as_json = not stream.isatty() if json is None else json
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if as_json:  # the console renderer formats exceptions itself
        processors.append(structlog.processors.format_exc_info)
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )


STILL_BEING_WRITTEN = "still being written: not read yet"
UNREADABLE = "the file cannot be read"
SYMLINK = "a symbolic link: removed, never followed or read"
NOT_DOWNLOADED = "a mail's attachment refused before it was downloaded"
EMPTY = "an empty attachment: nothing to hash"


def no_sha256(why: str) -> dict[str, Any]:
    """The fields of a line about a file that has no sha256 (yet), and why."""
    return {"sha256": None, "sha256_missing": why}


@contextmanager
def about_file(sha256: str | None, **more: Any) -> Iterator[None]:
    """Every line logged in this context (this thread) carries ``sha256`` and ``more``
    (a ``None`` sha256 as :func:`no_sha256` of :data:`UNREADABLE`)."""
    fields = {"sha256": sha256} if sha256 is not None else no_sha256(UNREADABLE)
    with structlog.contextvars.bound_contextvars(**fields, **more):
        yield
