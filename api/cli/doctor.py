"""``signreg doctor``: is this machine ready to run the registry, and if not, what to do.

Each check gives one line, ``OK``, ``WARN`` or ``FAIL``, what it found and, for a
problem, what to do about it; ``--json`` gives the same for machines. The exit status
is 0 when nothing failed (warnings allowed), 1 otherwise. Nothing is changed: no
migration is run, no folder made (that a folder *can* be made is tried in its parent
with a temporary folder, removed at once), no database file created.

- Tesseract: the ``tesseract`` program and its version (5 is what this is built and
  tested with), its models for Swedish (``swe``), English (``eng``: e-mail addresses
  are read with it) and orientation (``osd``, installed by the set-up; the reader finds
  orientation itself, so only a warning);
- tesserocr, the in-process binding the workers use by default (without it they fall
  back to the ``tesseract`` program, several times slower);
- the database: reachable, and its schema at this signreg's migration head
  (``registry.db.SCHEMA_HEAD``, read with one query);
- the folders (data, archive, quarantine, inbox, cache): each a folder that can be
  written, or missing but possible to make;
- free disk space where the data folder is.

Chromium is not needed at run time and is not checked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer

from api.cli import app

OK, WARN, FAIL = "OK", "WARN", "FAIL"
GIB = 1024**3
MIN_FREE_BYTES = GIB  # warn below this …
MIN_FREE_FRACTION = 0.05  # … or below this share of the disk
CRITICAL_FREE_BYTES = 100 * 1024**2  # fail below this: archiving would stop soon
APT_TESSERACT = "apt-get install tesseract-ocr tesseract-ocr-swe tesseract-ocr-osd"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # OK | WARN | FAIL
    found: str
    fix: str | None = None


def _run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=True)
    return done.stdout + done.stderr


def check_tesseract() -> list[Check]:
    exe = shutil.which("tesseract")
    if exe is None:
        return [Check("tesseract", FAIL, "no tesseract program on PATH", APT_TESSERACT)]
    try:
        version_text, langs_text = _run(exe, "--version"), _run(exe, "--list-langs")
    except (OSError, subprocess.SubprocessError) as e:
        return [Check("tesseract", FAIL, f"{exe} does not run: {e}", APT_TESSERACT)]
    version = version_text.split()[1] if len(version_text.split()) > 1 else "?"
    major = int(version.lstrip("v").split(".")[0]) if version[:1].lstrip("v").isdigit() else 0
    if major >= 5:
        program = Check("tesseract", OK, f"{version} ({exe})")
    else:
        status = WARN if major == 4 else FAIL
        program = Check("tesseract", status, f"{version} ({exe}); built for 5", APT_TESSERACT)
    return [program, _languages(langs_text)]


def _languages(listing: str) -> Check:
    lines = listing.strip().splitlines()
    where = lines[0].split('"')[1] if lines and lines[0].count('"') >= 2 else "?"
    found = {line.strip() for line in lines[1:]}
    missing_needed = [lang for lang in ("swe", "eng") if lang not in found]
    shown = f"{', '.join(sorted(found)) or 'none'} in {where}"
    if missing_needed:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing_needed)
        return Check(
            "tesseract models",
            FAIL,
            f"{', '.join(missing_needed)} missing; found {shown}",
            f"apt-get install {packages} (or put the .traineddata in TESSDATA_PREFIX)",
        )
    if "osd" not in found:
        return Check(
            "tesseract models",
            WARN,
            f"osd missing; found {shown}",
            "apt-get install tesseract-ocr-osd (the set-up installs it; not needed to read)",
        )
    return Check("tesseract models", OK, shown)


def check_tesserocr(engine: str) -> Check:
    if engine == "pytesseract":
        return Check("tesserocr", OK, "not used (SIGNREG_OCR_ENGINE=pytesseract)")
    try:
        import tesserocr

        from ocr.tesseract import LANG, TESSDATA
    except ImportError as e:
        status = FAIL if engine == "tesserocr" else WARN
        return Check(
            "tesserocr",
            status,
            f"cannot be imported ({e}); the workers use the slower tesseract program",
            "install the project's requirements (make run does), with libtesseract-dev",
        )
    _path, languages = tesserocr.get_languages(TESSDATA)
    if LANG not in languages:
        return Check(
            "tesserocr",
            FAIL,
            f"no {LANG} model in {TESSDATA}, where tesserocr looks",
            "set TESSDATA_PREFIX to the folder that holds swe.traineddata",
        )
    library = tesserocr.tesseract_version().split()[1]
    return Check("tesserocr", OK, f"{tesserocr.__version__} (Tesseract {library}), {TESSDATA}")


def check_database(url: str) -> list[Check]:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from registry.backup import is_known_revision
    from registry.db import SCHEMA_HEAD, make_engine, normalise_url, schema_revision

    sa_url = make_url(normalise_url(url))
    shown = make_url(url).render_as_string(hide_password=True)  # as the user wrote it
    migrate = "signreg migrate (signreg run, watch and serve also migrate at start)"
    if sa_url.get_backend_name() == "sqlite":
        path = Path(sa_url.database or "")
        if sa_url.database not in (None, "", ":memory:") and not path.is_file():
            return [Check("database", WARN, f"no database file yet at {path}", migrate)]
    extra = {} if sa_url.get_backend_name() == "sqlite" else _pg_args()
    try:
        engine = make_engine(url, **extra)
    except (SQLAlchemyError, ImportError) as e:
        return [Check("database", FAIL, f"{shown}: {e}", "correct SIGNREG_DATABASE_URL")]
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        revision = schema_revision(engine)
    except (SQLAlchemyError, OSError) as e:  # reported; the other checks go on
        cause = str(getattr(e, "orig", None) or e).strip()  # the driver's words
        first = cause.splitlines()[0] if cause else type(e).__name__
        return [
            Check(
                "database",
                FAIL,
                f"cannot connect to {shown}: {first}",
                "start the database server, or correct SIGNREG_DATABASE_URL",
            )
        ]
    finally:
        engine.dispose()
    reached = Check("database", OK, f"{shown} answers")
    if revision == SCHEMA_HEAD:
        return [reached, Check("schema", OK, f"at {SCHEMA_HEAD} (newest)")]
    if revision is None:
        return [reached, Check("schema", WARN, "empty: no tables yet", migrate)]
    if is_known_revision(revision):
        found = f"at {revision}, this signreg needs {SCHEMA_HEAD}"
        return [reached, Check("schema", WARN, found, migrate)]
    return [
        reached,
        Check(
            "schema",
            FAIL,
            f"at {revision}, a revision this signreg does not know (a newer version's?)",
            "run the signreg version that made this database, or restore a backup",
        ),
    ]


def _pg_args() -> dict[str, object]:
    return {"connect_args": {"connect_timeout": 5}, "pool_pre_ping": False}


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def check_folder(label: str, path: Path, setting: str = "SIGNREG_DATA_DIR") -> Check:
    """``path`` is a folder this user can write, or one that can be made."""
    name = f"{label} folder"
    owner = f"give the user running signreg (uid {os.getuid()}) write access, or set {setting}"
    elsewhere = f"move it away, or set {setting} to another folder"
    if path.exists():
        if not path.is_dir():
            return Check(name, FAIL, f"{path} is a file, not a folder", elsewhere)
        try:
            fd, probe = tempfile.mkstemp(dir=path, prefix=".signreg-doctor-")
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            return Check(name, FAIL, f"{path} cannot be written: {e.strerror}", owner)
        return Check(name, OK, f"{path} is writable")
    parent = _nearest_existing(path.parent)
    if not parent.is_dir():
        return Check(name, FAIL, f"{path} cannot be made: {parent} is a file", elsewhere)
    try:
        os.rmdir(tempfile.mkdtemp(dir=parent, prefix=".signreg-doctor-"))
    except OSError as e:
        return Check(name, FAIL, f"{path} cannot be made in {parent}: {e.strerror}", owner)
    return Check(name, OK, f"{path} does not exist yet; it will be made at start")


def size_text(size: int) -> str:
    """``72.9 GiB``, ``2.1 MiB``, ``512 bytes``: a small disk is not ``0.0 GiB``."""
    for unit, scale in (("GiB", GIB), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def disk_status(free: int, total: int) -> str:
    if free < CRITICAL_FREE_BYTES:
        return FAIL
    if free < MIN_FREE_BYTES or (total and free / total < MIN_FREE_FRACTION):
        return WARN
    return OK


def check_disk(data_dir: Path) -> Check:
    where = _nearest_existing(data_dir)
    usage = shutil.disk_usage(where)
    share = usage.free / usage.total if usage.total else 0.0
    found = f"{size_text(usage.free)} free of {size_text(usage.total)} ({share:.0%}) at {where}"
    status = disk_status(usage.free, usage.total)
    fix = None if status == OK else "free space or move SIGNREG_DATA_DIR to a larger disk"
    return Check("disk", status, found, fix)


def run_checks(*, database_url: str, data_dir: Path, inbox: Path, engine: str) -> list[Check]:
    folders = {
        "data": data_dir,
        "archive": data_dir / "archive",
        "quarantine": data_dir / "quarantine",
        "cache": data_dir / "cache",
    }
    return [
        *check_tesseract(),
        check_tesserocr(engine),
        *check_database(database_url),
        *(check_folder(label, path) for label, path in folders.items()),
        check_folder("inbox", inbox, "SIGNREG_INBOX"),
        check_disk(data_dir),
    ]


@app.command("doctor")
def doctor_command(
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
) -> None:
    """Check Tesseract, the database, the folders and free disk; say what to fix."""
    from api.settings import get_settings

    settings = get_settings()
    checks = run_checks(
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        inbox=settings.inbox,
        engine=settings.ocr_engine,
    )
    failed = sum(c.status == FAIL for c in checks)
    if as_json:
        body = {"ok": not failed, "checks": [asdict(c) for c in checks]}
        typer.echo(json.dumps(body, ensure_ascii=False))
    else:
        for c in checks:
            typer.echo(f"{c.status:<5} {c.name:<17} {c.found}")
            if c.fix:
                typer.echo(f"{'':<5} {'':<17} → {c.fix}")
        warned = sum(c.status == WARN for c in checks)
        typer.echo(f"{failed} to fix, {warned} to look at" if failed or warned else "all well")
    raise typer.Exit(1 if failed else 0)
