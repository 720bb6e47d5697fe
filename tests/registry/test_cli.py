from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.cli import app
from registry import queue
from registry.db import SCHEMA_HEAD
from registry.reviewers import authenticate
from tests.registry.helpers import SLUG, T0, propose, result, seed_declaration, sha

runner = CliRunner()


@pytest.fixture
def cli_db(
    db_url: str, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> sessionmaker[Session]:
    monkeypatch.setenv("SIGNREG_DATABASE_URL", db_url)
    seed_declaration(session_factory)
    return session_factory


def run(*args: str, code: int = 0) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == code, (res.stdout, res.stderr, res.exception)
    return res.stdout


def test_review_list_approve_reject_and_the_public_list(cli_db: sessionmaker[Session]) -> None:
    a, b = propose(
        cli_db,
        result(organisation="Kuusakosk AB"),
        result(organisation="Talga AB", organisation_number=None, signed=False),
    )
    listed = json.loads(run("review", "list", "--json", "--status", "proposed"))
    assert [p["id"] for p in listed] == [a, b]
    first = listed[0]
    assert {"id", "sha256", "status", "fields", "signature", "flags", "candidates"} <= set(first)
    assert first["fields"]["organisation"]["value"] == "Kuusakosk AB"
    assert first["fields"]["organisation"]["confidence"] == pytest.approx(0.97)
    assert listed[1]["flags"] == ["unsigned", "low_confidence:organisation_number"]
    assert json.loads(run("review", "show", str(a)))["id"] == a

    out = run(
        "review",
        "approve",
        str(a),
        "--set",
        "organisation=Kuusakoski Sverige AB",
        "--reviewer",
        "maria",
    )
    assert "approved" in out and "2025-05-11" in out
    run("review", "reject", str(b), "--reason", "not signed")
    run("review", "approve", str(b), code=4)  # rejected: invalid transition
    run("review", "approve", "999", code=3)
    run("review", "reject", str(a), "--reason", "", code=4)
    assert json.loads(run("review", "list", "--json", "--status", "proposed")) == []

    public = json.loads(run("signatories", "--json"))
    assert public == [
        {
            "organisation": "Kuusakoski Sverige AB",
            "organisation_number": "556051-3102",
            "county": "Norrbotten",
            "declaration": SLUG,
            "signed_date": "2023-05-11",
            "verified_at": public[0]["verified_at"],
            "follow_up_due": "2025-05-11",
        }
    ]
    rows = list(csv.DictReader(io.StringIO(run("signatories", "--csv"))))
    assert [r["organisation"] for r in rows] == ["Kuusakoski Sverige AB"]
    assert "Anna Berg" not in run("signatories", "--csv")
    run("review", "reopen", str(a))
    assert json.loads(run("signatories", "--json")) == []


def test_approve_with_bad_correction_exits_2(cli_db: sessionmaker[Session]) -> None:
    (a,) = propose(cli_db, result())
    run("review", "approve", str(a), "--set", "signed_date=yesterday", code=2)
    run("review", "approve", str(a), "--set", "nonsense", code=2)


def test_submissions_json_shows_duplicates_and_quarantine(cli_db: sessionmaker[Session]) -> None:
    (pid,) = propose(cli_db, result(), name="scan")
    with cli_db.begin() as s:
        original, _ = queue.record_submission(
            session=s,
            sha256=sha("scan"),
            file_name="again.pdf",
            size=1,
            archive_path=None,
            now=T0,
        )
        queue.record_duplicate_arrival(session=s, original=original, file_name="again.pdf", now=T0)
        queue.record_quarantined(
            session=s,
            sha256=sha("word"),
            file_name="letter.pdf",
            size=9,
            reason="not_pdf",
            error="not a PDF",
            now=T0,
        )
    subs = json.loads(run("submissions", "--json"))
    got = [(x["file"], x["status"], x["proposals"], x["error"]) for x in subs]
    assert got == [
        ("scan.pdf", "proposed", [pid], None),
        ("again.pdf", "duplicate", [], None),
        ("letter.pdf", "quarantined", [], "not a PDF"),
    ]
    assert subs[0]["sha256"] == subs[1]["sha256"] == sha("scan")


def test_import_list_twice_and_reviewer_add(
    cli_db: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "organisation,organisation_number,county,signed_date\n"
        "Luleå kommun,212000-2411,Norrbotten,2021-09-15\n"
        "Byggföretagen,,Norrbotten,15/9 2021\n",
        encoding="utf-8",
    )
    res = runner.invoke(app, ["import-list", str(path), "--declaration", SLUG])
    assert res.exit_code == 1 and "list.csv:3:" in res.stderr
    assert "1 created" in res.stdout
    res = runner.invoke(app, ["import-list", str(path), "--declaration", SLUG])
    assert "0 created, 0 updated, 1 unchanged" in res.stdout
    assert len(json.loads(run("signatories", "--json"))) == 1
    run("import-list", str(path), "--declaration", "no-such", code=3)

    monkeypatch.setenv("SIGNREG_REVIEWER_PASSWORD", "correct horse")
    run("reviewer", "add", "maria", "--display-name", "Maria K")
    run("reviewer", "add", "maria", code=4)
    with cli_db() as s:
        assert authenticate(session=s, username="maria", password="correct horse") is not None
        assert authenticate(session=s, username="maria", password="wrong horse") is None


def test_migrate_on_an_empty_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNREG_DATABASE_URL", db_url)
    out = run("migrate")
    assert f"schema at {SCHEMA_HEAD}" in out and "jamstalld-industri" in out
    assert json.loads(run("follow-up", "--on", "2030-01-01", "--json")) == []


def test_read_only_commands_do_not_migrate_and_say_what_to_do(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import inspect

    from registry.db import make_engine

    monkeypatch.setenv("SIGNREG_DATABASE_URL", db_url)
    res = runner.invoke(app, ["submissions", "--json"])
    assert res.exit_code == 1 and "run `signreg migrate` first" in res.stderr
    engine = make_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []  # nothing was created
    finally:
        engine.dispose()
    run("migrate")
    assert json.loads(run("submissions", "--json")) == []
