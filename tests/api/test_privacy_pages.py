"""Erasure on request and retention in the admin pages and the command line, on SQLite
and PostgreSQL: a reviewer gets 403; the confirmation shows what goes and what is kept
and changes nothing; erasing (with its CSRF token) leaves the signer's name and e-mail
nowhere in the database, its files nor the data folder, and the public JSON and CSV
byte for byte as they were; retention rules are saved per declaration."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app as cli
from api.page_images import PageImages
from ingest.archive import Archive
from registry import queue
from registry.models import AuditEvent, Declaration, Submission
from registry.review import approve_proposal
from tests.api.conftest import Web
from tests.registry.helpers import SLUG, T0, extraction, result, seed_declaration
from tests.registry.test_erasure import found_in_database, found_in_files

SAMPLE = Path(__file__).parents[2] / "samples" / "committed" / "signed-label-left.pdf"
NAME = "Greta Hemligsson"
EMAIL = "greta.hemligsson@example.se"
NEEDLES = ("hemligsson",)
NUMBER = "556051-3102"
PUBLIC = (
    "/api/v1/signatories",
    "/api/v1/signatories.csv",
    "/api/v1/signatories?status=all",
    "/api/v1/signatories.csv?status=all",
)


def _signed_scan(web: Web) -> int:
    """Greta's signed form, archived (the sample's bytes), read and approved; its
    proposal's id."""
    seed_declaration(web.registry.sessions)
    data = SAMPLE.read_bytes() + b"\n% Greta Hemligsson\n"  # her name in the file itself
    digest = hashlib.sha256(data).hexdigest()
    archive = Archive(web.settings.archive_dir)
    target = archive.path_for(digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    read = extraction(result(signatory_name=NAME, email=EMAIL, organisation_number=NUMBER))
    with web.registry.sessions.begin() as s:
        sub, _ = queue.record_submission(
            session=s,
            sha256=digest,
            file_name="greta-hemligsson.pdf",
            size=len(data),
            archive_path=archive.relative_path(digest),
            now=T0,
        )
        queue.claim_next(session=s, worker_id="w", lease_seconds=60, now=T0)
        (proposal,) = queue.complete_submission(
            session=s, submission_id=sub.id, worker_id="w", extraction=read, now=T0
        )
        pid = proposal.id
    with web.registry.sessions.begin() as s:
        approve_proposal(session=s, proposal_id=pid, reviewer="web:anna", now=T0)
    return pid


def _database_files(web: Web) -> list[Path]:
    url = web.settings.database_url
    if not url.startswith("sqlite:///"):
        return []
    db = Path(url.removeprefix("sqlite:///"))
    return [p for p in (db, db.with_name(db.name + "-wal")) if p.exists()]


def test_a_reviewer_gets_403_and_no_one_signed_out_gets_in(web: Web) -> None:
    seed_declaration(web.registry.sessions)
    web.add_reviewer("rita")
    client = web.signed_in("rita")
    assert client.get("/admin/privacy").status_code == 403
    assert client.get(f"/admin/privacy/erase?organisation_number={NUMBER}").status_code == 403
    posted = client.post(
        "/admin/privacy/erase",
        data={"csrf_token": client.csrf, "organisation_number": NUMBER},  # type: ignore[attr-defined]
    )
    assert posted.status_code == 403
    saved = client.post(
        f"/admin/privacy/retention/{SLUG}",
        data={"csrf_token": client.csrf, "rejected_months": "1"},  # type: ignore[attr-defined]
    )
    assert saved.status_code == 403
    outsider = web.client().get("/admin/privacy")
    assert outsider.status_code in (303, 307) and "/login" in outsider.headers["location"]


def test_erasure_in_the_admin_pages(web: Web) -> None:
    pid = _signed_scan(web)
    # the page images as the reviewer pages make them; rendered plainly here (the test is
    # about deleting them, not about how a page is turned upright)
    web.app.state.review_page_images = PageImages(
        cache_dir=web.settings.cache_dir,
        archive=Archive(web.settings.archive_dir),
        render=lambda _data, _number: Image.new("L", (850, 1100), 255),
    )
    web.add_reviewer("anna")  # a reviewer, to look at the page image first
    reviewer = web.signed_in("anna")
    assert reviewer.get(f"/review/{pid}/page/1.png").status_code == 200
    assert list((web.settings.cache_dir / "pages").rglob("*.png"))  # a page image made
    public = web.client()
    before = {path: public.get(path).content for path in PUBLIC}
    assert NUMBER.encode() in before["/api/v1/signatories.csv"]
    assert found_in_database(web.registry.sessions, NEEDLES)
    assert found_in_files(web.settings.data_dir, NEEDLES)

    web.add_reviewer("ada", role="admin")
    admin = web.signed_in("ada")
    assert 'href="/admin/privacy"' in admin.get("/admin/users").text
    page = admin.get("/admin/privacy")
    assert page.status_code == 200 and 'id="erase-search"' in page.text
    shown = admin.get(f"/admin/privacy/erase?organisation_number={NUMBER.replace('-', '')}")
    assert shown.status_code == 200
    assert "Radera personuppgifter" in shown.text and 'id="erase-form"' in shown.text
    assert "Namn på undertecknare: 2" in shown.text  # membership and proposal
    assert "offentliga listan" in shown.text and "Säkerhetskopior" in shown.text
    assert NAME not in shown.text  # the page itself does not show her
    assert found_in_database(web.registry.sessions, NEEDLES)  # the preview changed nothing

    refused = admin.post("/admin/privacy/erase", data={"organisation_number": NUMBER})
    assert refused.status_code == 403  # no CSRF token
    assert found_in_database(web.registry.sessions, NEEDLES)

    done = admin.post(
        "/admin/privacy/erase",
        data={"csrf_token": admin.csrf, "organisation_number": NUMBER},  # type: ignore[attr-defined]
    )
    assert done.status_code == 200, done.text
    assert "Det här raderades" in done.text and 'id="erase-event"' in done.text
    assert "1 arkiverade skanningar" in done.text
    assert found_in_database(web.registry.sessions, NEEDLES) == []
    assert found_in_files(web.settings.data_dir, NEEDLES) == []
    for path in _database_files(web):  # no old copy left in the database's own files
        assert b"hemligsson" not in path.read_bytes().lower(), path
    assert not list((web.settings.cache_dir / "pages").rglob("*.png"))
    assert {path: public.get(path).content for path in PUBLIC} == before
    assert reviewer.get(f"/review/{pid}/page/1.png").status_code == 404
    with web.registry.sessions() as s:
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.erase"))
        assert event.actor == "web:ada"
        assert "hemligsson" not in json.dumps(event.after).lower()
        sub = s.scalar(select(Submission))
        assert sub is not None and sub.scan_deleted_reason == "erasure"
    trail = admin.get("/review/audit").text
    assert "Raderade personuppgifter på begäran" in trail


def test_a_bad_or_unknown_number_is_said_so(web: Web) -> None:
    seed_declaration(web.registry.sessions)
    web.add_reviewer("ada", role="admin")
    admin = web.signed_in("ada")
    bad = admin.get("/admin/privacy/erase?organisation_number=556051-3103")
    assert bad.status_code == 422 and "inte ett giltigt organisationsnummer" in bad.text
    unknown = admin.get(f"/admin/privacy/erase?organisation_number={NUMBER}")
    assert unknown.status_code == 404 and "Inget finns registrerat" in unknown.text


def test_retention_rules_are_saved_per_declaration(web: Web) -> None:
    seed_declaration(web.registry.sessions)
    web.add_reviewer("ada", role="admin")
    admin = web.signed_in("ada")
    page = admin.get("/admin/privacy").text
    assert f'id="retention-{SLUG}"' in page and 'name="rejected_months"' in page
    saved = admin.post(
        f"/admin/privacy/retention/{SLUG}",
        data={"csrf_token": admin.csrf, "rejected_months": "6", "approved_years": "aldrig"},  # type: ignore[attr-defined]
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/privacy?done=saved"
    assert "Gallringsreglerna är sparade." in admin.get(saved.headers["location"]).text
    wrong = admin.post(
        f"/admin/privacy/retention/{SLUG}",
        data={"csrf_token": admin.csrf, "rejected_months": "0", "approved_years": ""},  # type: ignore[attr-defined]
    )
    assert wrong.status_code == 422 and 'id="retention-error"' in wrong.text
    no_token = admin.post(f"/admin/privacy/retention/{SLUG}", data={"rejected_months": "1"})
    assert no_token.status_code == 403
    with web.registry.sessions() as s:
        row = s.scalar(select(Declaration).where(Declaration.slug == SLUG))
        assert row is not None
        assert (row.retention_rejected_months, row.retention_approved_years) == (6, None)
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "declaration.retention"))
        assert event.actor == "web:ada"


@pytest.fixture
def cli_env(web: Web, monkeypatch: pytest.MonkeyPatch) -> Web:
    monkeypatch.setenv("SIGNREG_DATABASE_URL", web.settings.database_url)
    monkeypatch.setenv("SIGNREG_DATA_DIR", str(web.settings.data_dir))
    return web


def test_the_command_line_erases_and_says_what_it_kept(cli_env: Web) -> None:
    web = cli_env
    _signed_scan(web)
    runner = CliRunner()
    asked = runner.invoke(cli, ["erase", "--organisation-number", NUMBER], input="n\n")
    assert asked.exit_code == 1 and "Will erase" in asked.output
    assert found_in_database(web.registry.sessions, NEEDLES)
    done = runner.invoke(cli, ["erase", "--organisation-number", NUMBER, "--yes", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["names"] == 2 and report["emails"] == 2  # the membership and the proposal
    assert report["files"]["archive"] == 1
    assert {k["what"] for k in report["kept"]} >= {"public_entry", "submission_rows", "backups"}
    assert found_in_database(web.registry.sessions, NEEDLES) == []
    assert found_in_files(web.settings.data_dir, NEEDLES) == []
    text = runner.invoke(cli, ["erase", "--organisation-number", NUMBER, "--yes"])
    assert text.exit_code == 0 and "Backups made before today" in text.output


def test_the_command_line_sets_and_applies_retention(cli_env: Web) -> None:
    runner = CliRunner()
    seed_declaration(cli_env.registry.sessions)
    shown = runner.invoke(cli, ["declaration", "retention", SLUG])
    assert shown.exit_code == 0 and "12 months" in shown.output
    set_ = runner.invoke(
        cli,
        ["declaration", "retention", SLUG, "--rejected-months", "never", "--approved-years", "3"],
    )
    assert set_.exit_code == 0 and "approved scans 3 years" in set_.output
    listed = runner.invoke(cli, ["retention", "--dry-run", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output)["dry_run"] is True
    ran = runner.invoke(cli, ["retention"])
    assert ran.exit_code == 0 and "deleted 0 scans" in ran.output
