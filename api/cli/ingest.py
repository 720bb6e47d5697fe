"""``signreg ingest | watch | run | serve``: the inbox, the workers and the web app."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli import app

if TYPE_CHECKING:  # the commands import what they need: `signreg --help` stays light
    from api.settings import Settings
    from ingest.batch import BatchReport
    from ingest.service import IngestConfig


def get_settings() -> Settings:
    from api.settings import get_settings as read

    return read()


def configure_logging(level: int = logging.INFO) -> None:
    from ingest.logs import configure_logging as configure

    configure(level=level)


WorkersOpt = Annotated[
    int | None, typer.Option("--workers", "-w", help="OCR worker processes (default: cores)")
]


def ingest_config(settings: Settings, workers: int | None = None) -> IngestConfig:
    from ingest.service import IngestConfig
    from registry.applications import code_key

    return IngestConfig(
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        inbox=settings.inbox,
        workers=settings.ocr_workers if workers is None else workers,
        engine=settings.ocr_engine,
        stable_seconds=settings.stable_seconds,
        poll_seconds=settings.poll_seconds,
        incomplete_grace_seconds=settings.incomplete_grace_seconds,
        lease_seconds=settings.lease_seconds,
        heartbeat_seconds=settings.heartbeat_seconds,
        max_attempts=settings.max_attempts,
        orphan_seconds=settings.orphan_seconds,
        supersede_window_seconds=settings.supersede_window_seconds,
        code_key=code_key(settings.secret()),
        nice=settings.ocr_nice,
        second_read=settings.second_read,
    )


@app.command("ingest")
def ingest_command(
    paths: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    workers: WorkersOpt = None,
) -> None:
    """Take files as if dropped into the inbox, read them, return when done."""
    from ingest.batch import ingest_paths
    from ingest.service import stop_on_signals

    tty = sys.stderr.isatty()
    configure_logging(level=logging.WARNING if tty else logging.INFO)  # the bar says the rest
    stop = threading.Event()
    stop_on_signals(stop)
    config = ingest_config(get_settings(), workers)
    if tty:
        report = _with_progress_bar(config, paths, stop)
    else:
        report = ingest_paths(config, paths, stop=stop)
    for item in report.items:
        if tty:
            mark = "ok " if item.ok else "BAD"
            print(
                f"{mark} {item.file_name}: {item.status} ({item.outcome})"
                + (f" - {item.error}" if item.error else ""),
                file=sys.stderr,
            )
        else:
            import structlog

            structlog.get_logger("signreg").info(
                "ingest.file",
                file=item.file_name,
                intake=item.outcome,
                submission_id=item.submission_id,
                status=item.status,
                error=item.error,
            )
    if stop.is_set():
        raise typer.Exit(130)
    if report.failed:
        raise typer.Exit(1)


def _with_progress_bar(
    config: IngestConfig, paths: list[Path], stop: threading.Event
) -> BatchReport:
    from rich.console import Console
    from rich.progress import Progress as Bar

    from ingest.batch import Progress, ingest_paths

    with Bar(console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("reading", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        on_progress: Progress = progress
        return ingest_paths(config, paths, stop=stop, progress=on_progress)


@app.command("watch")
def watch_command(workers: WorkersOpt = None) -> None:
    """Watch the inbox and run the OCR workers until stopped (SIGTERM/SIGINT)."""
    from api.cli.mail import start_mail_thread
    from ingest.service import run_watch, stop_on_signals

    configure_logging()
    stop = threading.Event()
    stop_on_signals(stop)
    settings = get_settings()
    start_mail_thread(settings, stop)  # scans by e-mail too, when SIGNREG_MAIL_HOST is set
    run_watch(ingest_config(settings, workers), stop)


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
) -> None:
    """Serve the web app (public API, reviewer pages)."""
    import uvicorn

    from ingest.service import migrate

    settings = get_settings()
    migrate(settings.database_url)  # idempotent; the web may start before any watcher
    uvicorn.run(
        "api.app:create_app", factory=True, host=host or settings.host, port=port or settings.port
    )


@app.command("run")
def run_command(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: WorkersOpt = None,
) -> None:
    """Migrate, then serve the web app and watch the inbox together, until stopped."""
    import uvicorn

    from api.app import create_app
    from api.cli.mail import start_mail_thread
    from ingest.service import migrate, run_watch, stop_on_signals

    configure_logging()
    settings = get_settings()
    migrate(settings.database_url)
    stop = threading.Event()
    stop_on_signals(stop)
    host, port = host or settings.host, port or settings.port
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port))
    web = threading.Thread(target=server.run, name="web", daemon=True)
    web.start()  # not the main thread: uvicorn leaves the signals to us
    while not server.started and web.is_alive():
        web.join(timeout=0.05)
    if not server.started:  # e.g. the port is taken: say so, start nothing else
        typer.echo(f"signreg: the web app could not listen on {host}:{port}", err=True)
        raise typer.Exit(1)
    print(
        f"signatory-registry: drop scans into {settings.inbox.resolve()}/\n"
        f"  reviewer pages  http://{host}:{port}/review  (first admin: "
        "signreg reviewer add NAME --role admin)\n"
        f"  public list     http://{host}:{port}/api/v1/signatories  "
        f"embed http://{host}:{port}/embed/signatories  API docs http://{host}:{port}/docs\n"
        f"  database        {settings.database_url}",
        file=sys.stderr,
        flush=True,
    )
    start_mail_thread(settings, stop)  # scans by e-mail too, when SIGNREG_MAIL_HOST is set
    try:
        run_watch(ingest_config(settings, workers), stop)  # migrates first
    finally:
        server.should_exit = True
        web.join(timeout=10)
