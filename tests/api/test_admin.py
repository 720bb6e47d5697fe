"""User management and the audit trail in the browser, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy import func, select

from api.routes.audit_pages import Change, changes
from registry.models import AuditEvent, Reviewer, WebSession
from registry.review import approve_proposal, reject_proposal
from tests.api.conftest import PASSWORD, Web, csrf_of
from tests.registry.helpers import propose, result

NEW_PASSWORD = "a new password 42"


def _reviewer(web: Web, username: str) -> Reviewer:
    with web.registry.sessions() as s:
        row = s.scalar(select(Reviewer).where(Reviewer.username == username))
        assert row is not None
        return row


def _sign_in(web: Web, username: str, password: str) -> int:
    client = web.client()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
    return response.status_code


def _edit(web: Web, client, user_id: int, **changes: object):  # type: ignore[no-untyped-def]
    """POST the edit form as a browser would: every field as it stands, then ``changes``."""
    row = _reviewer_by_id(web, user_id)
    data: dict[str, object] = {
        "csrf_token": client.csrf,
        "display_name": row.display_name,
        "email": row.email or "",
        "role": row.role,
        "counties": list(row.counties),
        "declarations": list(row.declarations),
        "locale": row.locale,
        "password": "",
    }
    if row.active:
        data["active"] = "1"
    data.update(changes)
    return client.post(
        f"/admin/users/{user_id}", data={k: v for k, v in data.items() if v is not None}
    )


def _table(page: str) -> str:
    """The audit page from its table on (the filter's list of actions names them too)."""
    return page[page.find('id="audit-table"') :]


def _reviewer_by_id(web: Web, user_id: int) -> Reviewer:
    with web.registry.sessions() as s:
        row = s.get(Reviewer, user_id)
        assert row is not None
        return row


def test_admin_creates_a_user_who_can_then_sign_in(web: Web) -> None:
    web.add_reviewer("admin", role="admin")
    client = web.signed_in("admin")
    form = client.get("/admin/users/new")
    assert form.status_code == 200
    # counties come from the declarations' profiles, declarations from the register
    for element in (
        'id="county-norrbotten"',
        'id="county-vasterbotten"',
        'id="declaration-jamstalld-industri"',
        'id="declaration-cemr-charter"',
    ):
        assert element in form.text
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": client.csrf,  # type: ignore[attr-defined]
            "username": "britt",
            "display_name": "Britt Lind",
            "email": "britt@lansstyrelsen.example",
            "role": "reviewer",
            "counties": ["Västerbotten"],
            "declarations": ["jamstalld-industri"],
            "locale": "en",
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 303
    row = _reviewer(web, "britt")
    assert response.headers["location"] == f"/admin/users/{row.id}?done=created"
    assert (row.display_name, row.role, row.counties, row.declarations, row.locale) == (
        "Britt Lind",
        "reviewer",
        ["Västerbotten"],
        ["jamstalld-industri"],
        "en",
    )
    assert "Användaren är skapad" in client.get(response.headers["location"]).text
    listing = client.get("/admin/users")
    assert 'id="users-table"' in listing.text and "Britt Lind" in listing.text
    assert _sign_in(web, "britt", NEW_PASSWORD) == 303
    with web.registry.sessions() as s:
        event = s.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "reviewer.create", AuditEvent.entity_id == str(row.id)
            )
        )
        assert event is not None and event.actor == "web:admin"
        assert event.after is not None and event.after["counties"] == ["Västerbotten"]


@pytest.mark.parametrize(
    ("username", "password", "status", "message"),
    [
        ("ANNA", NEW_PASSWORD, 409, "Användarnamnet ANNA är upptaget"),
        ("cecilia", "short", 422, "Ett lösenord behöver minst 8 tecken"),
        ("  ", NEW_PASSWORD, 422, "Skriv ett användarnamn"),
    ],
)
def test_create_explains_what_is_wrong_and_stores_nothing(
    web: Web, username: str, password: str, status: int, message: str
) -> None:
    web.add_reviewer("admin", role="admin")
    web.add_reviewer("anna")
    client = web.signed_in("admin")
    response = client.post(
        "/admin/users/new",
        data={"csrf_token": client.csrf, "username": username, "password": password},  # type: ignore[attr-defined]
    )
    assert response.status_code == status
    assert message in response.text and 'id="form-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    with web.registry.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Reviewer)) == 2
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 2  # the two seeds


def test_admin_changes_role_scope_and_language(web: Web) -> None:
    web.add_reviewer("admin", role="admin")
    anna = web.add_reviewer("anna")
    client = web.signed_in("admin")
    page = client.get(f"/admin/users/{anna}")
    assert page.status_code == 200 and 'id="user-form"' in page.text
    response = _edit(
        web,
        client,
        anna,
        counties=["Norrbotten"],
        locale="en",
        role="admin",
        display_name="Anna Berg",
    )
    assert response.status_code == 303 and response.headers["location"].endswith("?done=saved")
    row = _reviewer_by_id(web, anna)
    assert (row.counties, row.locale, row.role, row.display_name) == (
        ["Norrbotten"],
        "en",
        "admin",
        "Anna Berg",
    )
    with web.registry.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "reviewer.update")).one()
        assert event.actor == "web:admin"
        assert event.before is not None and event.after is not None
        assert (event.before["role"], event.after["role"]) == ("reviewer", "admin")


def test_deactivating_a_user_ends_their_sessions_and_sign_in(web: Web) -> None:
    web.add_reviewer("admin", role="admin")
    anna = web.add_reviewer("anna")
    admin, annas = web.signed_in("admin"), web.signed_in("anna")
    assert annas.get("/review").status_code == 200
    assert _edit(web, admin, anna, active=None).status_code == 303  # the box unticked
    assert not _reviewer_by_id(web, anna).active
    with web.registry.sessions() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(WebSession).where(WebSession.reviewer_id == anna)
            )
            == 0
        )
    gone = annas.get("/review")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    assert _sign_in(web, "anna", PASSWORD) == 401
    assert "Avaktiverad" in admin.get("/admin/users").text


def test_a_reset_password_replaces_the_old_one(web: Web) -> None:
    web.add_reviewer("admin", role="admin")
    anna = web.add_reviewer("anna")
    client = web.signed_in("admin")
    short = _edit(web, client, anna, password="1234")
    assert short.status_code == 422 and "minst 8 tecken" in short.text
    assert _edit(web, client, anna, password=NEW_PASSWORD).status_code == 303
    assert _sign_in(web, "anna", PASSWORD) == 401
    assert _sign_in(web, "anna", NEW_PASSWORD) == 303


def test_the_last_admin_cannot_be_demoted_or_deactivated(web: Web) -> None:
    admin = web.add_reviewer("admin", role="admin")
    client = web.signed_in("admin")
    for change in ({"role": "reviewer"}, {"active": None}):
        response = _edit(web, client, admin, **change)
        assert response.status_code == 409
        assert "admin är den sista aktiva administratören" in response.text
        row = _reviewer_by_id(web, admin)
        assert row.role == "admin" and row.active  # nothing of the refused change was kept
    # with a second admin the first may step down
    web.add_reviewer("bodil", role="admin")
    assert _edit(web, client, admin, role="reviewer").status_code == 303
    assert client.get("/admin/users").status_code == 403


def test_a_reviewer_gets_403_on_every_admin_route(web: Web) -> None:
    anna = web.add_reviewer("anna")
    client = web.signed_in("anna")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    assert client.get(f"/admin/users/{anna}").status_code == 403
    post = client.post(
        "/admin/users/new",
        data={"csrf_token": client.csrf, "username": "x", "password": NEW_PASSWORD},  # type: ignore[attr-defined]
    )
    assert post.status_code == 403
    assert _edit(web, client, anna, role="admin").status_code == 403
    assert _reviewer_by_id(web, anna).role == "reviewer"
    anonymous = web.client().get("/admin/users")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_admin_forms_without_their_csrf_token_are_refused(web: Web) -> None:
    web.add_reviewer("admin", role="admin")
    anna = web.add_reviewer("anna")
    client = web.signed_in("admin")
    create = client.post("/admin/users/new", data={"username": "x", "password": NEW_PASSWORD})
    assert create.status_code == 403
    edit = client.post(f"/admin/users/{anna}", data={"role": "admin", "csrf_token": "forged"})
    assert edit.status_code == 403
    assert _reviewer_by_id(web, anna).role == "reviewer"
    with web.registry.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Reviewer)) == 2


# --- the audit trail ---------------------------------------------------------------


T = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def _decide(web: Web) -> tuple[int, int]:
    """A Norrbotten proposal approved (with a correction) by anna, a Västerbotten one
    rejected by bodil the next day; their ids."""
    north, west = propose(
        web.registry.sessions,
        result(county="Norrbotten"),
        result(county="Västerbotten", organisation_number="556036-0793", organisation="Ume AB"),
    )
    with web.registry.sessions.begin() as s:
        approve_proposal(
            session=s,
            proposal_id=north,
            reviewer="web:anna",
            now=T,
            corrections={"signatory_title": "HR-chef"},
        )
    with web.registry.sessions.begin() as s:
        reject_proposal(
            session=s,
            proposal_id=west,
            reviewer="web:bodil",
            reason="Ej underskriven",
            now=T + dt.timedelta(days=1),
        )
    return north, west


def test_the_audit_trail_shows_decisions_with_before_and_after(web: Web) -> None:
    web.add_reviewer("admin", role="admin")
    north, west = _decide(web)
    client = web.signed_in("admin")
    page = client.get("/review/audit")
    assert page.status_code == 200 and 'id="audit-table"' in page.text
    # newest first: bodil's rejection, then anna's approval, then the two account seeds
    table = page.text[page.text.index('id="audit-table"') :]
    assert table.index("Avvisade ett förslag") < table.index("Godkände ett förslag")
    assert "Ej underskriven" in page.text and "HR-chef" in page.text
    assert "<code>status</code>" in page.text and "approved" in page.text
    assert f'href="/review/{north}"' in page.text  # the proposal itself, one click away

    approved = _table(client.get("/review/audit", params={"action": "proposal.approve"}).text)
    assert "Godkände ett förslag" in approved and "Avvisade ett förslag" not in approved
    by_actor = _table(client.get("/review/audit", params={"actor": "BODIL"}).text)
    assert "Avvisade ett förslag" in by_actor and "Godkände" not in by_actor
    family = client.get("/review/audit", params={"action": "proposal"})
    assert "2 händelser" in family.text
    one = client.get("/review/audit", params={"entity": "proposal", "entity_id": str(north)})
    assert "1 händelse" in one.text and "Godkände ett förslag" in one.text
    # dates are Swedish days, both ends included
    day = client.get("/review/audit", params={"since": "2026-03-11", "until": "2026-03-11"})
    assert "1 händelse" in day.text and "Avvisade ett förslag" in day.text
    bad = client.get("/review/audit", params={"since": "11/3"})
    assert bad.status_code == 422 and "ÅÅÅÅ-MM-DD" in bad.text


def test_the_audit_exports_stream_every_matching_event(web: Web) -> None:
    web.add_reviewer("admin", role="admin")
    north, west = _decide(web)
    client = web.signed_in("admin")
    response = client.get("/review/audit.csv", params={"entity": "proposal"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["action"], r["entity_id"]) for r in rows] == [
        ("proposal.reject", str(west)),
        ("proposal.approve", str(north)),
    ]
    approve = rows[1]
    assert approve["actor"] == "web:anna" and approve["at"].startswith("2026-03-10T09:00")
    assert json.loads(approve["before"])["status"] == "proposed"
    after = json.loads(approve["after"])
    assert after["status"] == "approved" and after["corrections"]["signatory_title"] == {
        "before": "VD",
        "after": "HR-chef",
    }
    assert "status" in approve["changed"].split(", ")

    lines = client.get("/review/audit.jsonl", params={"actor": "anna"})
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in lines.text.splitlines()]
    assert [r["action"] for r in records] == ["proposal.approve"]
    assert records[0]["before"]["status"] == "proposed"
    assert records[0]["after"]["signatory"]["signer_title"] == "HR-chef"
    assert client.get("/review/audit.jsonl", params={"until": "nope"}).status_code == 422


def test_a_reviewer_sees_only_the_events_of_their_scope(web: Web) -> None:
    web.add_reviewer("admin", role="admin")
    web.add_reviewer("nora", counties=["Norrbotten"])
    web.add_reviewer("vera")  # every county
    north, west = _decide(web)
    nora = web.signed_in("nora")
    page = nora.get("/review/audit")
    assert page.status_code == 200
    assert "Avvisade ett förslag" not in page.text  # not even among the filter's actions
    assert "Skapade en användare" not in page.text  # account changes are for admins
    assert "Godkände ett förslag" in _table(page.text)
    exported = [json.loads(x) for x in nora.get("/review/audit.jsonl").text.splitlines()]
    assert [(r["entity"], r["entity_id"]) for r in exported] == [("proposal", str(north))]
    everyone = [
        json.loads(x) for x in web.signed_in("vera").get("/review/audit.jsonl").text.splitlines()
    ]
    assert {r["entity"] for r in everyone} == {"proposal"} and len(everyone) == 2
    admin = [
        json.loads(x) for x in web.signed_in("admin").get("/review/audit.jsonl").text.splitlines()
    ]
    assert {r["entity"] for r in admin} == {"proposal", "reviewer"}
    assert web.client().get("/review/audit").status_code == 303  # signed in only
    assert web.client().get("/review/audit.csv").status_code == 303


def _entities(client) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    lines = client.get("/review/audit.jsonl").text.splitlines()
    return {(r["entity"], r["entity_id"]) for r in map(json.loads, lines)}


def test_what_a_limited_reviewer_sees_of_each_kind_of_event(web: Web) -> None:
    from registry import queue
    from registry.audit import record_event
    from registry.models import Proposal as P

    web.add_reviewer("admin", role="admin")
    web.add_reviewer("nora", counties=["Norrbotten"])
    web.add_reviewer("cilla", declarations=["cemr-charter"])
    web.add_reviewer("vera")
    north, _west = _decide(web)
    (west2,) = propose(
        web.registry.sessions,
        result(
            county="Västerbotten", organisation="Skellefteå AB", organisation_number="556016-0680"
        ),
        name="scan2",
    )
    with web.registry.sessions.begin() as s:
        approve_proposal(session=s, proposal_id=west2, reviewer="web:bodil", now=T)
    with web.registry.sessions.begin() as s:
        both, west_only = (s.get(P, pid) for pid in (north, west2))
        assert both is not None and west_only is not None
        empty, _ = queue.record_submission(
            session=s, sha256="0" * 64, file_name="letter.pdf", size=1, archive_path=None, now=T
        )
        s.flush()
        kinds = {
            ("submission", str(both.submission_id)): {"nora"},
            ("submission", str(west_only.submission_id)): set(),
            ("submission", str(empty.id)): {"nora", "cilla"},  # no proposal: no county yet
            ("quarantine_file", "broken.pdf"): {"nora", "cilla"},
            ("signatory", str(both.signatory_id)): {"nora"},
            ("signatory", str(west_only.signatory_id)): set(),
            ("organisation", str(both.organisation_id)): {"nora"},
            ("organisation", str(west_only.organisation_id)): set(),
            ("declaration", "cemr-charter"): set(),  # a kind without a rule: no limited reader
        }
        for entity, entity_id in kinds:
            record_event(
                session=s,
                actor="web:admin",
                action=f"{entity}.test",
                entity=entity,
                entity_id=entity_id,
                now=T,
            )
    seen = {name: _entities(web.signed_in(name)) for name in ("nora", "cilla", "vera", "admin")}
    for key, readers in kinds.items():
        assert {n for n in ("nora", "cilla") if key in seen[n]} == readers, key
        assert key in seen["vera"] and key in seen["admin"]
    assert not any(kind == "reviewer" for kind, _ in seen["vera"])
    assert any(kind == "reviewer" for kind, _ in seen["admin"])


def test_the_audit_trail_is_paginated_newest_first(web: Web) -> None:
    admin = web.add_reviewer("admin", role="admin")
    from registry.audit import record_event

    with web.registry.sessions.begin() as s:
        for i in range(55):
            record_event(
                session=s,
                actor="web:admin",
                action="test.step",
                entity="thing",
                entity_id=i,
                after={"n": i},
                now=T + dt.timedelta(minutes=i),
            )
    client = web.signed_in("admin")
    first = client.get("/review/audit", params={"action": "test"})
    assert "55 händelser" in first.text and "Sida 1 av 2" in first.text
    assert first.text.count('<tr id="event-') == 50
    assert 'id="audit-older"' in first.text and 'id="audit-newer"' not in first.text
    assert first.text.index("thing 54") < first.text.index("thing 5<")
    second = client.get("/review/audit", params={"action": "test", "page": "2"})
    assert second.text.count('<tr id="event-') == 5 and "thing 0<" in second.text
    assert 'id="audit-newer"' in second.text and "action=test" in second.text
    assert admin  # the seed account's own event is not in the test family


def test_changes_lists_changed_keys_dotted() -> None:
    before: dict[str, object] = {
        "status": "proposed",
        "reason": None,
        "signatory": None,
        "tags": [],
    }
    after: dict[str, object] = {
        "status": "approved",
        "reason": None,
        "signatory": {"signed_date": "2023-05-11", "active": True},
        "corrections": {},
    }
    assert changes(before, after) == [
        Change("status", "proposed", "approved"),
        Change("signatory.signed_date", "—", "2023-05-11"),
        Change("signatory.active", "—", "true"),
    ]
    assert changes(None, {"counties": ["Norrbotten"]}) == [
        Change("counties", "—", '["Norrbotten"]')
    ]
    assert changes({"a": 1}, {"a": 1}) == []


def test_an_export_streams_every_row_past_one_fetch(web: Web) -> None:
    """More events than one fetch of the export (500) holds: all of them, newest first."""
    web.add_reviewer("admin", role="admin")
    from registry.audit import record_event

    with web.registry.sessions.begin() as s:
        for i in range(1201):
            record_event(
                session=s,
                actor="cli:import",
                action="bulk.step",
                entity="thing",
                entity_id=i,
                now=T + dt.timedelta(seconds=i),
            )
    client = web.signed_in("admin")
    lines = client.get("/review/audit.jsonl", params={"action": "bulk"}).text.splitlines()
    assert [json.loads(x)["entity_id"] for x in lines] == [str(i) for i in range(1200, -1, -1)]
    rows = list(csv.DictReader(io.StringIO(client.get("/review/audit.csv").text)))
    assert len(rows) == 1202  # and the admin's own account
