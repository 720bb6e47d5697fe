"""User management in the browser (admins only), on SQLite and PostgreSQL.

The audit trail's pages are tested in ``tests/api/test_audit.py``."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.models import AuditEvent, Reviewer, WebSession
from tests.api.conftest import PASSWORD, Web, csrf_of

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
