"""Sweeps over every route the app has: nothing private answers without a session, no
unsafe request is taken without its CSRF token, and the public side never carries a
signer's name or e-mail."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from tests.api.conftest import Web

# public by design: the list, the embed, the health and metrics, sign-in, and joining
# online (the join page, applications and their forms, suggestions of known names)
PUBLIC = re.compile(
    r"^/(api/v1/(declarations|signatories|applications|organisations/suggest$)|embed/|join/"
    r"|healthz$|metrics$|docs|openapi|login$|language$|static/|$)"
)
SAMPLE_VALUES = {"pid": "1", "number": "1", "name": "organisation", "key": "s1"}


def _concrete(path: str) -> str:
    """A path with each ``{param}`` (or ``{param:int}``) filled in."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE_VALUES.get(m.group(1), "1"), path)


def _api_routes(routes: list[object]) -> list[tuple[str, str]]:
    out = []
    for route in routes:
        if isinstance(route, APIRoute):
            out += [(m, route.path) for m in sorted(route.methods - {"HEAD"})]
        inner = getattr(route, "original_router", None)  # FastAPI's included routers
        if inner is not None:
            out += _api_routes(inner.routes)
    return out


def _routes(web: Web) -> list[tuple[str, str]]:
    return _api_routes(list(web.app.routes))


def test_the_sweep_sees_the_private_routes(web: Web) -> None:
    paths = {p for _, p in _routes(web)}
    for expected in ("/review", "/review/{pid:int}", "/admin/users", "/review/audit"):
        assert expected in paths


def test_every_private_route_answers_401_or_sends_to_sign_in_without_a_session(web: Web) -> None:
    client = web.client()
    checked = 0
    for method, path in _routes(web):
        if PUBLIC.match(path):
            continue
        response = client.request(method, _concrete(path))
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.status_code)
        else:
            # a page: to the sign-in page; a form post: 401/403 (no session, no CSRF)
            assert response.status_code in (303, 401, 403), (method, path, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"].startswith("/login"), (method, path)
        checked += 1
    assert checked >= 25


def test_every_unsafe_route_refuses_a_request_without_its_csrf_token(web: Web) -> None:
    web.add_reviewer("admin", role="admin")
    client = web.signed_in("admin")
    checked = 0
    for method, path in _routes(web):
        if method not in ("POST", "PUT", "PATCH", "DELETE") or path == "/api/v1/applications":
            continue
        response = client.request(
            method, _concrete(path), data={"x": "1"}, files={"file": ("a.pdf", b"%PDF-1.4")}
        )
        assert response.status_code == 403, (method, path, response.status_code)
        checked += 1
    assert checked >= 15


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/signatories?status=all",
        "/api/v1/signatories.csv?status=all",
        "/api/v1/signatories.atom?status=all",
        "/embed/signatories",
        "/openapi.json",
    ],
)
def test_public_responses_never_carry_a_signer(web: Web, path: str) -> None:
    import datetime as dt

    from registry.review import approve_proposal
    from tests.registry.helpers import propose, result, seed_declaration

    seed_declaration(web.registry.sessions)
    (pid,) = propose(
        web.registry.sessions,
        result(signatory_name="Hemliga Hedvig Signer", email="hedvig.signer@example.se"),
    )
    with web.registry.sessions.begin() as s:
        approve_proposal(session=s, proposal_id=pid, reviewer="t", now=dt.datetime.now(dt.UTC))
    body = web.client().get(path).text
    assert "Kuusakoski" in body or path == "/openapi.json"
    assert "Hedvig" not in body and "hedvig.signer" not in body
