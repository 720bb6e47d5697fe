"""Join online, end to end on SQLite and PostgreSQL: the Swedish page, the application
API's contract (201 {id, pdf}, 422 with the field and reason, 429 past the rate limit),
the personalised PDF and its code, and the whole loop: application → PDF → printed,
signed and scanned → the real intake and worker with real OCR → a proposal whose typed
values come from the code with no flags; a forged code flagged and not trusted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from api.join_form import FormValues, declaration_texts, draw_form
from ingest.archive import Archive
from ingest.intake import Intake
from ingest.quarantine import Quarantine
from ingest.worker import Worker, WorkerConfig
from ocr.code import find_codes
from registry import applications as apps
from registry.models import Application, ApplicationStatus, Organisation, Proposal
from samples.prefilled import PrefilledPlan, plan_prefilled, sign_and_scan
from tests.api.conftest import Web

SLUG = "jamstalld-industri"
BODY = {
    "declaration": SLUG,
    "organisation": "Nymek AB",
    "organisation_number": "556036-0793",
    "county": "Norrbotten",
    "place": "Luleå",
    "signatory_name": "Anna Öberg",
    "signatory_title": "Vd",
    "email": "anna.oberg@nymek.se",
}


def test_the_join_page_is_in_swedish_with_the_declaration_and_its_form(web: Web) -> None:
    page = web.client().get(f"/join/{SLUG}")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="sv">' in html
    assert "Avsiktsförklaring Jämställd industri" in html
    assert "Ett ledningsstyrt jämställdhetsarbete" in html  # a commitment
    assert "Anslut er på webben" in html and "Skapa vår blankett" in html
    assert "Organisationsnummer" in html and "Norrbotten" in html and "Västerbotten" in html
    assert 'action="/api/v1/applications"' in html and "/static/join.js" in html
    assert web.client().get("/join/no-such-declaration").status_code == 404
    english = web.client().get(f"/join/{SLUG}?lang=en").text
    assert "Make my form" in english


def test_an_application_is_201_with_its_pdf_path_and_stored_pending(web: Web) -> None:
    client = web.client()
    r = client.post("/api/v1/applications", json=BODY)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "pdf"}
    assert body["pdf"] == f"/api/v1/applications/{body['id']}/form.pdf"
    with web.registry.sessions() as s:
        row = s.get(Application, body["id"])
        assert row is not None
        assert row.status == ApplicationStatus.PENDING and row.declaration.slug == SLUG
        assert (row.organisation_number, row.signatory_name) == ("556036-0793", "Anna Öberg")
        days = (row.expires_at - row.created_at).days
        assert days == web.settings.application_days


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"organisation_number": "556036-0794"}, "organisation_number", "fails the Luhn check"),
        ({"organisation_number": "12345"}, "organisation_number", "NNNNNN-NNNN"),
        ({"declaration": "no-such"}, "declaration", "unknown declaration"),
        ({"county": "Skåne"}, "county", "not a county"),
        ({"email": "not-an-address"}, "email", "not an e-mail"),
        ({"organisation": ""}, "organisation", "is required"),
        ({"place": 12}, "place", "must be text"),
    ],
)
def test_bad_values_are_422_with_the_field_and_the_reason(
    web: Web, change: dict[str, object], field: str, reason: str
) -> None:
    r = web.client().post("/api/v1/applications", json={**BODY, **change})
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == field and reason in body["detail"]
    assert any(e["field"] == field and reason in e["reason"] for e in body["errors"])
    with web.registry.sessions() as s:
        assert s.scalars(select(Application)).all() == []


def test_a_body_that_is_not_a_json_object_is_422(web: Web) -> None:
    client = web.client()
    for raw in (b"[1, 2]", b"{not json"):
        r = client.post(
            "/api/v1/applications", content=raw, headers={"content-type": "application/json"}
        )
        assert r.status_code == 422


def test_the_page_form_post_validates_alike_and_answers_with_a_page(web: Web) -> None:
    client = web.client()
    bad = client.post("/api/v1/applications", data={**BODY, "organisation_number": "556036-0794"})
    assert bad.status_code == 422
    assert "Organisationsnumrets kontrollsiffra stämmer inte" in bad.text
    assert 'value="Nymek AB"' in bad.text  # what was typed stays in the form
    good = client.post("/api/v1/applications", data=BODY)
    assert good.status_code == 201
    assert "Er blankett är klar" in good.text
    with web.registry.sessions() as s:
        (row,) = s.scalars(select(Application)).all()
    assert f"/api/v1/applications/{row.id}/form.pdf" in good.text


def test_applications_are_rate_limited_per_client_address(web: Web) -> None:
    web.settings.application_rate_limit = 3
    client = web.client()
    for _ in range(3):
        assert client.post("/api/v1/applications", json=BODY).status_code == 201
    refused = client.post("/api/v1/applications", json=BODY)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert client.post("/api/v1/applications", data=BODY).status_code == 429
    with web.registry.sessions() as s:
        assert len(s.scalars(select(Application)).all()) == 3


def test_known_organisations_are_suggested_as_the_name_is_typed(web: Web) -> None:
    with web.registry.sessions.begin() as s:
        s.add(Organisation(name="Nymek AB", organisation_number="556036-0793", county="Norrbotten"))
        s.add(Organisation(name="LKAB", organisation_number="556001-5835", county="Norrbotten"))
    client = web.client()
    items = client.get("/api/v1/organisations/suggest", params={"q": "nym"}).json()["items"]
    assert items == [
        {"name": "Nymek AB", "organisation_number": "556036-0793", "county": "Norrbotten"}
    ]
    assert client.get("/api/v1/organisations/suggest", params={"q": "n"}).json() == {"items": []}


def _code_on(pdf: bytes) -> bytes:
    doc = pdfium.PdfDocument(pdf)
    try:
        image = doc[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()
    import numpy as np

    (code,) = find_codes(np.asarray(image), 1)
    return code.data


def test_the_pdf_is_downloadable_and_its_code_verifies(web: Web) -> None:
    client = web.client()
    made = client.post("/api/v1/applications", json=BODY).json()
    r = client.get(made["pdf"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    data = _code_on(r.content)
    key = apps.code_key(web.settings.secret())
    with web.registry.sessions.begin() as s:
        got = apps.check_code(session=s, key=key, data=data, declaration_slug=SLUG, now=_now())
    assert got.verified and got.application_id == made["id"]
    assert got.values is not None and got.values.signatory_name == "Anna Öberg"
    assert client.get("/api/v1/applications/nosuchapplication/form.pdf").status_code == 404


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


SIGNED = dt.datetime.now(dt.UTC).date().isoformat()  # the date written on the forms


def _plan(index: int) -> PrefilledPlan:
    """How the form is printed, dated, signed and scanned (300 dpi grey, turned 90°)."""
    plan = plan_prefilled(index, 3)
    scan = dataclasses.replace(
        plan.scan, dpi=300, colour="grey-jpeg", rotation=90, skew=0.8, blur=0.0, jpeg_quality=75
    )
    # dated the day the application is made (the registry checks the date against it),
    # in a hand font
    return dataclasses.replace(
        plan, scan=scan, date_text=SIGNED, date_hand="font", forged=None, changed=None
    )


def _signed_scan(web: Web, pdf: bytes, app_id: str, payload: bytes, index: int) -> bytes:
    """The downloaded PDF printed, dated and signed by hand and scanned."""
    with web.registry.sessions() as s:
        values = apps.values_of(s.get_one(Application, app_id))
    drawn = draw_form(
        declaration_texts()[SLUG], FormValues(**values.as_dict()), payload, application_id=app_id
    )
    plan = dataclasses.replace(_plan(index), values=values, declaration=SLUG)
    scanned, _ = sign_and_scan(pdf, drawn, plan, app_id)
    return scanned


def test_the_whole_loop_from_application_to_a_proposal_from_the_code(
    web: Web, tmp_path: Path
) -> None:
    client = web.client()
    key = apps.code_key(web.settings.secret())
    made = client.post("/api/v1/applications", json=BODY).json()
    pdf = client.get(made["pdf"]).content
    genuine = _signed_scan(web, pdf, made["id"], _code_on(pdf), 0)
    # a forger's copy: the same form with a code changed to another number, the MAC kept
    other = client.post("/api/v1/applications", json={**BODY, "place": "Boden"}).json()
    real = _code_on(client.get(other["pdf"]).content)
    parts = real.split(apps.SEP)
    parts[3] = b"556125-7902"
    forged_payload = apps.SEP.join(parts)
    with web.registry.sessions() as s:
        forged_values = apps.values_of(s.get_one(Application, other["id"]))
    text = declaration_texts()[SLUG]
    forged_form = draw_form(
        text, FormValues(**forged_values.as_dict()), forged_payload, application_id=other["id"]
    )
    from api.join_form import pdf_of

    forged_pdf = pdf_of(forged_form, title="forged")
    plan = dataclasses.replace(_plan(1), values=forged_values, declaration=SLUG)
    forged, _ = sign_and_scan(forged_pdf, forged_form, plan, other["id"])

    inbox, data = tmp_path / "inbox", web.settings.data_dir
    inbox.mkdir()
    intake = Intake(
        inbox=inbox,
        archive=Archive(data / "archive"),
        quarantine=Quarantine(data / "quarantine"),
        session_factory=web.registry.sessions,
        orphan_seconds=0.0,
    )
    for name, content in (("signed.pdf", genuine), ("forged.pdf", forged)):
        (inbox / name).write_bytes(content)
        assert intake.take(inbox / name).submission_id is not None
    worker = Worker(
        WorkerConfig(
            database_url="",
            archive_dir=data / "archive",
            quarantine_dir=data / "quarantine",
            engine="auto",
            code_key=key,
        ),
        web.registry.sessions,
        "join-test",
    )
    assert worker.run(threading.Event(), until_idle=True) == 2

    with web.registry.sessions() as s:
        proposals = {p.submission.file_name: p for p in s.scalars(select(Proposal))}
        good = proposals["signed.pdf"]
        assert good.flags == [], good.flags
        for name in apps.VALUE_FIELDS:
            assert good.fields[name]["source"] == "code"
            assert good.fields[name]["value"] == (BODY[name] if name != "signatory_title" else "Vd")
        assert good.fields["signed_date"]["source"] == "ocr"
        assert good.fields["signed_date"]["value"] == SIGNED  # read on the page
        assert good.signature["present"] is True
        row = s.get_one(Application, made["id"])
        assert row.status == ApplicationStatus.RECEIVED and row.proposal_id == good.id
        bad = proposals["forged.pdf"]
        assert apps.CODE_NOT_VERIFIED in bad.flags
        assert {e["source"] for e in bad.fields.values()} == {"ocr"}
        assert s.get_one(Application, other["id"]).status == ApplicationStatus.PENDING
        good_id = good.id

    web.add_reviewer("greta")
    page = web.signed_in("greta").get(f"/review/{good_id}")
    assert page.status_code == 200
    assert "Från en ansökan på webben" in page.text
    assert 'id="source-organisation_number"' in page.text


def test_an_expired_application_gives_no_form_and_is_marked_expired(web: Web) -> None:
    web.settings.application_days = 0  # expires as it is made
    client = web.client()
    made = client.post("/api/v1/applications", json=BODY).json()
    assert client.get(made["pdf"]).status_code == 404
    web.settings.application_days = 60
    client.post("/api/v1/applications", json=BODY)  # the next application tidies up
    with web.registry.sessions() as s:
        assert s.get_one(Application, made["id"]).status == ApplicationStatus.EXPIRED
