"""``signreg extract PATH... --jsonl [--workers N]``: read PDFs, touch no database.

Writes one JSON object per input file to stdout, in input order, as soon as it and
every file before it are done: ``{"file", "pages", "declarations"}``, or ``{"file",
"error", "reason"}`` when the file could not be read (see the design's contract).
Exit status 0 when every file was read, 1 when any gave an error. Files are read in
supervised worker processes (:mod:`api.cli.extract_pool`): a file that crashes its
worker or passes ``--timeout`` becomes an error line, never a crash or a hang.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from api.cli import app
from api.cli.extract_pool import default_workers, extract_files


@app.command("extract")
def extract_command(
    paths: Annotated[list[Path], typer.Argument(help="PDF files to read.", show_default=False)],
    jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per file.")] = True,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Worker processes (default: cores)."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1.0, help="Seconds allowed per file.")
    ] = 300.0,
    engine: Annotated[
        str | None, typer.Option("--engine", help="auto | tesserocr | pytesseract")
    ] = None,
    second_read: Annotated[
        bool | None,
        typer.Option(
            "--second-read/--no-second-read",
            help="Read hand-filled numbers and dates again with PP-OCRv6 "
            "(default: SIGNREG_SECOND_READ).",
        ),
    ] = None,
) -> None:
    """Read declarations from PDFs and print what was found, one JSON line per file."""
    from api.settings import get_settings

    if not jsonl:
        raise typer.BadParameter("only --jsonl output exists", param_hint="--jsonl")
    settings = get_settings()
    count = workers or settings.ocr_workers or default_workers()
    failed = False
    files = [str(p) for p in paths]
    for outcome in extract_files(
        files,
        workers=count,
        timeout=timeout,
        engine=engine or settings.ocr_engine,
        second_read=settings.second_read if second_read is None else second_read,
    ):
        failed |= not outcome.ok
        sys.stdout.write(json.dumps(outcome.line, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    raise typer.Exit(1 if failed else 0)
