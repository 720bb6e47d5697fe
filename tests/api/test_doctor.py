"""``signreg doctor``: real Tesseract, real databases (migrated, empty, unknown, down),
real folders that cannot be written even by root, and the exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from api.cli import app
from api.cli.doctor import (
    CRITICAL_FREE_BYTES,
    FAIL,
    GIB,
    OK,
    WARN,
    Check,
    check_database,
    check_folder,
    check_tesseract,
    check_tesserocr,
    disk_status,
)
from registry.db import SCHEMA_HEAD, upgrade

runner = CliRunner()
TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_tesseract_and_its_models_are_found() -> None:
    found = by_name(check_tesseract())
    assert found["tesseract"].status == OK and found["tesseract"].found.startswith("5.")
    models = found["tesseract models"]
    assert models.status == OK and {"swe", "eng", "osd"} <= set(
        models.found.replace(",", " ").split()
    )
    assert check_tesserocr("auto").status == OK


def test_a_missing_swedish_model_fails_and_a_missing_osd_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_eng = tmp_path / "eng-only"
    only_eng.mkdir()
    (only_eng / "eng.traineddata").symlink_to(TESSDATA / "eng.traineddata")
    monkeypatch.setenv("TESSDATA_PREFIX", str(only_eng))
    models = by_name(check_tesseract())["tesseract models"]
    assert models.status == FAIL and models.found.startswith("swe missing")
    assert models.fix and "tesseract-ocr-swe" in models.fix
    (only_eng / "swe.traineddata").symlink_to(TESSDATA / "swe.traineddata")
    models = by_name(check_tesseract())["tesseract models"]
    assert models.status == WARN and "osd" in models.found


def test_no_tesseract_program_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    [found] = check_tesseract()
    assert found.status == FAIL and found.fix and "apt-get install tesseract-ocr" in found.fix


def test_a_migrated_database_is_ok(db_url: str, engine: Engine) -> None:
    upgrade(engine)
    found = by_name(check_database(db_url))
    assert found["database"].status == OK
    assert (found["schema"].status, found["schema"].found) == (OK, f"at {SCHEMA_HEAD} (newest)")


def test_an_empty_database_asks_for_migrate(db_url: str, engine: Engine) -> None:
    with engine.begin() as conn:  # it exists (SQLite: the file), but has no tables
        conn.exec_driver_sql("CREATE TABLE unrelated (x INTEGER)")
    schema = by_name(check_database(db_url))["schema"]
    assert schema.status == WARN and schema.fix and "signreg migrate" in schema.fix


def test_an_older_schema_warns_and_an_unknown_one_fails(db_url: str, engine: Engine) -> None:
    upgrade(engine, "0001")
    older = by_name(check_database(db_url))["schema"]
    assert (older.status, older.found) == (WARN, f"at 0001, this signreg needs {SCHEMA_HEAD}")
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    unknown = by_name(check_database(db_url))["schema"]
    assert unknown.status == FAIL and "does not know" in unknown.found


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "signreg.db"
    [found] = check_database(f"sqlite:///{path}")
    assert found.status == WARN and "no database file yet" in found.found
    assert not path.exists() and not path.parent.exists()


def test_a_file_that_is_no_database_fails(tmp_path: Path) -> None:
    path = tmp_path / "signreg.db"
    path.write_bytes(b"this is not SQLite " * 100)
    [found] = check_database(f"sqlite:///{path}")
    assert found.status == FAIL and "not a database" in found.found


def test_an_unreachable_postgresql_fails_without_showing_the_password() -> None:
    [found] = check_database("postgresql://signreg:hemligt@127.0.0.1:1/signreg")
    assert found.status == FAIL
    assert (
        "cannot connect to postgresql://signreg:***@127.0.0.1:1/signreg: connection failed"
        in found.found
    )
    assert "hemligt" not in found.found
    assert found.fix and "SIGNREG_DATABASE_URL" in found.fix


def test_folders_writable_missing_or_impossible(tmp_path: Path) -> None:
    assert check_folder("data", tmp_path).status == OK
    missing = tmp_path / "a" / "b"
    made = check_folder("data", missing)
    assert made.status == OK and "will be made" in made.found
    assert not (tmp_path / "a").exists()  # the doctor made nothing
    assert list(tmp_path.iterdir()) == []  # not even its probe
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert check_folder("inbox", a_file).status == FAIL
    under_a_file = check_folder("data", a_file / "data")
    assert under_a_file.status == FAIL and "is a file" in under_a_file.found
    # root may write anywhere a mode allows; /proc takes no new entries from anyone
    assert check_folder("archive", Path("/proc")).status == FAIL
    impossible = check_folder("archive", Path("/proc/signreg/archive"))
    assert impossible.status == FAIL and "cannot be made in /proc" in impossible.found


def test_disk_thresholds() -> None:
    total = 100 * GIB
    assert disk_status(50 * GIB, total) == OK
    assert disk_status(4 * GIB, total) == WARN  # under 5 %
    assert disk_status(GIB // 2, 2 * GIB) == WARN  # under 1 GiB
    assert disk_status(CRITICAL_FREE_BYTES - 1, total) == FAIL


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    return {
        "SIGNREG_DATABASE_URL": url,
        "SIGNREG_DATA_DIR": str(tmp_path / "data"),
        "SIGNREG_INBOX": str(tmp_path / "inbox"),
    }


def test_the_command_exits_0_when_nothing_fails_and_says_so_in_json(
    tmp_path: Path, engine: Engine, db_url: str
) -> None:
    upgrade(engine)
    res = runner.invoke(app, ["doctor", "--json"], env=_env(tmp_path, db_url))
    assert res.exit_code == 0, res.stdout
    body = json.loads(res.stdout)
    assert body["ok"] is True
    names = [c["name"] for c in body["checks"]]
    assert names[:4] == ["tesseract", "tesseract models", "tesserocr", "database"]
    assert {"data folder", "archive folder", "inbox folder", "disk"} <= set(names)
    assert all(set(c) == {"name", "status", "found", "fix"} for c in body["checks"])


def test_the_command_exits_1_and_says_what_to_do(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    env = _env(tmp_path, "postgresql://postgres@127.0.0.1:1/signreg")
    res = runner.invoke(app, ["doctor"], env=env)
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert any(line.startswith("FAIL  database") for line in lines)
    assert any(line.startswith("FAIL  data folder") for line in lines)
    assert any("→ start the database server" in line for line in lines)
    assert any("→ move it away, or set SIGNREG_DATA_DIR" in line for line in lines)
    # the database, and the data folder with the three inside it
    assert lines[-1].startswith("5 to fix")


def test_sizes_are_told_in_a_unit_that_fits():
    from api.cli.doctor import size_text

    assert [size_text(n) for n in (72 * GIB + GIB // 2, 3 * 1024**2, 1536, 512)] == [
        "72.5 GiB",
        "3.0 MiB",
        "1.5 KiB",
        "512 bytes",
    ]
