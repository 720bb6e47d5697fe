"""``signreg backup DEST`` and ``signreg restore SRC [--force]``: the database and the
archive, backed up while the service runs and restored into an empty set-up.

The work is :mod:`registry.backup`'s; a refusal or failure is one line on stderr and
exit status 1, and nothing half done is left behind.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from api.cli import app

JsonOpt = Annotated[bool, typer.Option("--json", help="the manifest as JSON on stdout")]


@app.command("backup")
def backup_command(
    dest: Annotated[Path, typer.Argument(help="a new or empty folder for the backup")],
    as_json: JsonOpt = False,
) -> None:
    """Back up the database and the archive (and quarantine) into DEST, while running."""
    from api.cli.registry import registry_errors
    from api.settings import get_settings
    from registry.backup import backup

    settings = get_settings()
    started = time.monotonic()
    with registry_errors():
        manifest = backup(database_url=settings.database_url, data_dir=settings.data_dir, dest=dest)
    if as_json:
        typer.echo(json.dumps(manifest.body, ensure_ascii=False))
        return
    typer.echo(f"backup in {dest}: {manifest.summary()}; {time.monotonic() - started:.1f} s")


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="a folder made by signreg backup")],
    force: Annotated[
        bool, typer.Option("--force", help="replace a database and data folder in use")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into an empty database and data folder (stop signreg first)."""
    from api.cli.registry import registry_errors
    from api.settings import get_settings
    from registry.backup import restore
    from registry.db import SCHEMA_HEAD

    settings = get_settings()
    started = time.monotonic()
    with registry_errors():
        manifest = restore(
            database_url=settings.database_url,
            data_dir=settings.data_dir,
            source=source,
            force=force,
        )
    if as_json:
        typer.echo(json.dumps(manifest.body, ensure_ascii=False))
        return
    made = manifest.body["created_at"]
    typer.echo(f"restored {source} (made {made}): {manifest.summary()}")
    typer.echo(f"{time.monotonic() - started:.1f} s")
    if manifest.revision != SCHEMA_HEAD:
        typer.echo(f"the schema is at {manifest.revision}: run `signreg migrate` next")
