"""Structured logs (structlog): JSON lines for machines, readable lines on a terminal.

Configured once per process at an entry point (the CLI, each worker process).

Every line about a submission carries its ``sha256`` (the one name a file keeps from
inbox to archive, quarantine and review), so ``grep <sha256>`` over the logs of every
process tells one scan's story: the intake binds it for all it logs while handling a
file (:func:`about_file`), the worker binds it on its per-job logger.
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


@contextmanager
def about_file(sha256: str, **more: Any) -> Iterator[None]:
    """Every line logged in this context (this thread) carries ``sha256`` and ``more``."""
    with structlog.contextvars.bound_contextvars(sha256=sha256, **more):
        yield
