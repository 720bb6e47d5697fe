"""The audit trail in the browser: filters, pages, exports and who sees what, on SQLite
and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from api.routes.audit_pages import Change, changes
from registry.audit import record_event
from registry.review import approve_proposal, reject_proposal
from tests.api.conftest import Web
from tests.registry.helpers import propose, result

T = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
SECOND, MINUTE = dt.timedelta(seconds=1), dt.timedelta(minutes=1)


def _table(page: str) -> str:
    """The audit page from its table on (the filter's list of actions names them too)."""
    return page[page.find('id="audit-table"') :]


def _record_things(
    web: Web, count: int, *, actor: str, action: str, step: dt.timedelta, numbered: bool = False
) -> None:
    """``count`` events about things 0, 1, …, ``step`` apart from T (``numbered``: each
    with its number as what it became)."""
    with web.registry.sessions.begin() as s:
        for i in range(count):
            record_event(
                session=s,
                actor=actor,
                action=action,
                entity="thing",
                entity_id=i,
                after={"n": i} if numbered else None,
                now=T + step * i,
            )


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
    _record_things(web, 55, actor="web:admin", action="test.step", step=MINUTE, numbered=True)
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
    _record_things(web, 1201, actor="cli:import", action="bulk.step", step=SECOND)
    client = web.signed_in("admin")
    lines = client.get("/review/audit.jsonl", params={"action": "bulk"}).text.splitlines()
    assert [json.loads(x)["entity_id"] for x in lines] == [str(i) for i in range(1200, -1, -1)]
    rows = list(csv.DictReader(io.StringIO(client.get("/review/audit.csv").text)))
    assert len(rows) == 1202  # and the admin's own account
