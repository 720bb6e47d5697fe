"""Organisations, signatories and the follow-up in the browser, on both databases:
search, edit, merge; withdraw, lapse, reinstate, followed up (audited); the follow-up
lists and CSV; scope."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select

from registry.models import AuditEvent, Organisation, Signatory
from registry.signatories import add_years
from tests.api.conftest import Web
from tests.registry.members import add_member

TODAY = dt.date.today()


def _due_in(days: int) -> str:
    """A signed date whose two-yearly follow-up falls ``days`` from today."""
    return add_years(TODAY + dt.timedelta(days=days), -2).isoformat()


def _member(web: Web, member_id: int) -> Signatory:
    with web.registry.sessions() as s:
        row = s.get(Signatory, member_id)
        assert row is not None
        return row


def _org(web: Web, organisation_id: int) -> Organisation:
    with web.registry.sessions() as s:
        row = s.get(Organisation, organisation_id)
        assert row is not None
        return row


def _actions(web: Web, entity_id: int) -> list[str]:
    with web.registry.sessions() as s:
        return list(
            s.scalars(
                select(AuditEvent.action)
                .where(
                    AuditEvent.entity_id == str(entity_id),
                    AuditEvent.entity.in_(["signatory", "organisation"]),
                )
                .order_by(AuditEvent.id)
            )
        )


def test_organisations_search_edit_and_merge(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    factory = web.registry.sessions
    dup_member = add_member(factory, "Kuusakoski AB", signed="2024-01-01")
    keep_member = add_member(factory, "Kuusakoski Sverige AB", signed="2023-05-11")
    dup, keep = _member(web, dup_member).organisation_id, _member(web, keep_member).organisation_id
    page = client.get("/review/organisations", params={"q": "kuusakoski"})
    assert page.status_code == 200
    assert f'id="org-{dup}"' in page.text and f'id="org-{keep}"' in page.text
    edit = client.get(f"/review/organisations/{keep}")
    assert edit.status_code == 200 and 'id="org-form"' in edit.text
    assert f'value="{dup}"' in edit.text  # offered as a possible duplicate
    bad = client.post(
        f"/review/organisations/{keep}",
        data={
            "csrf_token": client.csrf,
            "name": "Kuusakoski Sverige AB",
            "organisation_number": "556051-3103",
            "county": "Norrbotten",
            "aliases": "",
        },  # type: ignore[attr-defined]
    )
    assert bad.status_code == 422 and "Ogiltigt organisationsnummer" in bad.text
    assert _org(web, keep).organisation_number is None
    saved = client.post(
        f"/review/organisations/{keep}",
        data={
            "csrf_token": client.csrf,  # type: ignore[attr-defined]
            "name": "Kuusakoski Sverige AB",
            "organisation_number": "5560513102",
            "county": "Norrbotten",
            "aliases": "Kuusakoski Luleå\n",
            "keep_old_name": "true",
        },
    )
    assert saved.status_code == 303
    org = _org(web, keep)
    assert (org.organisation_number, org.aliases) == ("556051-3102", ["Kuusakoski Luleå"])
    assert client.post(f"/review/organisations/{dup}/merge", data={"into": keep}).status_code == 403
    merged = client.post(
        f"/review/organisations/{dup}/merge",
        data={"csrf_token": client.csrf, "into": keep},  # type: ignore[attr-defined]
    )
    assert merged.status_code == 303 and merged.headers["location"].startswith(
        f"/review/organisations/{keep}"
    )
    assert _org(web, dup).merged_into_id == keep
    assert "Kuusakoski AB" in _org(web, keep).aliases
    assert _member(web, keep_member).signed_date == dt.date(2024, 1, 1)  # the newer kept
    assert (
        f'id="org-{dup}"'
        not in client.get("/review/organisations", params={"q": "kuusakoski"}).text
    )
    assert 'id="org-merged-into"' in client.get(f"/review/organisations/{dup}").text
    assert _actions(web, keep) == ["organisation.update", "organisation.merged_in"]
    assert _actions(web, dup) == ["organisation.merge"]


def test_withdraw_lapse_reinstate_and_followed_up_from_the_pages(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    csrf = client.csrf  # type: ignore[attr-defined]
    mid = add_member(web.registry.sessions, "Tromb AB", signed=_due_in(-10))
    page = client.get("/review/signatories")
    assert page.status_code == 200 and f'id="signatory-{mid}"' in page.text
    assert "Signer of Tromb AB" in page.text and "kontakt@example.se" in page.text
    assert (
        client.post(f"/review/signatories/{mid}/withdraw", data={"reason": "x"}).status_code == 403
    )
    response = client.post(
        f"/review/signatories/{mid}/withdraw",
        data={
            "csrf_token": csrf,
            "reason": "Lämnade",
            "date": "",
            "next": "/review/signatories?status=all",
        },
    )
    assert (
        response.status_code == 303
        and response.headers["location"] == "/review/signatories?status=all"
    )
    row = _member(web, mid)
    assert (row.status, row.status_since, row.status_reason) == ("withdrawn", TODAY, "Lämnade")
    assert f'id="signatory-{mid}"' not in client.get("/review/signatories").text
    listed = client.get("/review/signatories", params={"status": "withdrawn"}).text
    assert f'id="signatory-{mid}" data-status="withdrawn"' in listed and "Utträdd" in listed
    public = web.client().get("/api/v1/signatories", params={"status": "all"}).json()
    [item] = public["items"]
    assert (item["status"], item["status_since"]) == ("withdrawn", TODAY.isoformat())
    assert web.client().get("/api/v1/signatories").json()["items"] == []  # not as active
    client.post(f"/review/signatories/{mid}/reinstate", data={"csrf_token": csrf})
    assert _member(web, mid).status == "active"
    client.post(
        f"/review/signatories/{mid}/lapse", data={"csrf_token": csrf, "date": TODAY.isoformat()}
    )
    assert (_member(web, mid).status, _member(web, mid).status_since) == ("lapsed", TODAY)
    lapsed = web.client().get("/api/v1/signatories", params={"status": "lapsed"}).json()["items"]
    assert [(i["status"], i["status_since"]) for i in lapsed] == [("lapsed", TODAY.isoformat())]
    client.post(f"/review/signatories/{mid}/reinstate", data={"csrf_token": csrf})
    done = client.post(
        f"/review/signatories/{mid}/followed-up",
        data={"csrf_token": csrf, "date": TODAY.isoformat()},
    )
    assert done.status_code == 303
    assert _member(web, mid).follow_up_due == add_years(TODAY, 2)
    assert _actions(web, mid) == [
        "signatory.withdraw",
        "signatory.reinstate",
        "signatory.lapse",
        "signatory.reinstate",
        "signatory.followed_up",
    ]
    future = client.post(
        f"/review/signatories/{mid}/withdraw",
        data={
            "csrf_token": csrf,
            "reason": "x",
            "date": (TODAY + dt.timedelta(days=9)).isoformat(),
        },
    )
    assert future.status_code == 422 and _member(web, mid).status == "active"


def test_follow_up_lists_due_and_overdue_with_contacts_and_as_csv(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    factory = web.registry.sessions
    late = add_member(factory, "Sen AB", signed=_due_in(-30), email="sen@example.se")
    soon = add_member(factory, "Snart AB", signed=_due_in(40), email="snart@example.se")
    later = add_member(factory, "Senare AB", signed=_due_in(300))
    page = client.get("/review/follow-up", params={"months": 6})
    assert page.status_code == 200
    overdue = page.text.split('id="follow-up-overdue"')[1].split("</table>")[0]
    due = page.text.split('id="follow-up-due"')[1].split("</table>")[0]
    assert f'id="follow-up-{late}"' in overdue and "sen@example.se" in overdue
    assert f'id="follow-up-{soon}"' in due and f'id="follow-up-{later}"' not in page.text
    assert "mailto:?bcc=" in page.text
    wider = client.get("/review/follow-up", params={"months": 12}).text
    assert f'id="follow-up-{later}"' in wider
    exported = client.get("/review/follow-up.csv", params={"months": 6})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["state"], r["organisation"], r["signer_email"]) for r in rows] == [
        ("overdue", "Sen AB", "sen@example.se"),
        ("due", "Snart AB", "snart@example.se"),
    ]
    client.post(f"/review/signatories/{late}/lapse", data={"csrf_token": client.csrf})  # type: ignore[attr-defined]
    assert f'id="follow-up-{late}"' not in client.get("/review/follow-up").text
    anonymous = web.client()
    assert anonymous.get("/review/follow-up.csv").status_code == 303
    assert anonymous.get("/review/signatories").status_code == 303
    assert anonymous.get("/review/organisations").status_code == 303
    assert anonymous.post(f"/review/signatories/{soon}/lapse").status_code in (401, 403)


def test_a_norrbotten_reviewer_sees_and_changes_only_norrbotten(web: Web) -> None:
    web.add_reviewer("nora", counties=["Norrbotten"])
    client = web.signed_in("nora")
    csrf = client.csrf  # type: ignore[attr-defined]
    factory = web.registry.sessions
    nb = add_member(factory, "Luleå kommun", county="Norrbotten", signed=_due_in(-5))
    vb = add_member(factory, "Umeå kommun", county="Västerbotten", signed=_due_in(-5))
    listed = client.get("/review/signatories").text
    assert f'id="signatory-{nb}"' in listed and f'id="signatory-{vb}"' not in listed
    assert "Umeå kommun" not in client.get("/review/follow-up").text
    assert "Umeå kommun" not in client.get("/review/follow-up.csv").text
    response = client.post(
        f"/review/signatories/{vb}/withdraw", data={"csrf_token": csrf, "reason": "x"}
    )
    assert response.status_code == 403 and _member(web, vb).status == "active"
    vb_org = _member(web, vb).organisation_id
    assert client.get(f"/review/organisations/{vb_org}").status_code == 403
    assert "Umeå kommun" not in client.get("/review/organisations").text
    nb_org = _member(web, nb).organisation_id
    merge = client.post(
        f"/review/organisations/{nb_org}/merge", data={"csrf_token": csrf, "into": vb_org}
    )
    assert merge.status_code == 403 and _org(web, nb_org).merged_into_id is None


def test_the_follow_up_csv_never_hands_a_spreadsheet_a_formula(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    add_member(web.registry.sessions, '=HYPERLINK("http://x")', signed=_due_in(10))
    rows = list(csv.DictReader(io.StringIO(client.get("/review/follow-up.csv").text)))
    assert [r["organisation"] for r in rows] == ['\'=HYPERLINK("http://x")']
