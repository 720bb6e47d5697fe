"""Sign-in, sessions, CSRF, the rate limit, roles and languages, on both databases."""

from __future__ import annotations

from tests.api.conftest import PASSWORD, Web, csrf_of


def test_sign_in_sets_a_secure_httponly_samesite_cookie_and_sign_out_ends_it(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.client()
    page = client.get("/login")
    assert page.status_code == 200 and 'lang="sv"' in page.text and "Logga in" in page.text
    response = client.post(
        "/login",
        data={"username": "anna", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303 and response.headers["location"] == "/review"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("signreg_session=")
    )
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    token = client.get("/login")  # signed in: the sign-in page sends on
    assert token.status_code == 303
    # the session is the reviewer's own; signing out ends it on the server too
    review = client.get("/review", follow_redirects=True)
    csrf = csrf_of(review.text)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    stale = web.client()
    stale.cookies.set("signreg_session", client.cookies.get("signreg_session") or "x")
    assert stale.get("/review").status_code == 303  # back to the sign-in page


def test_wrong_password_and_unknown_user_look_the_same(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.client()
    csrf = csrf_of(client.get("/login").text)
    wrong = client.post(
        "/login", data={"username": "anna", "password": "nope-nope", "csrf_token": csrf}
    )
    unknown = client.post(
        "/login", data={"username": "bertil", "password": "nope-nope", "csrf_token": csrf}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "Fel användarnamn eller lösenord" in wrong.text
    assert "signreg_session" not in wrong.headers.get("set-cookie", "")


def test_sign_in_without_its_csrf_token_is_refused(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.client()
    client.get("/login")
    response = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert response.status_code == 403
    forged = client.post(
        "/login", data={"username": "anna", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403


def test_a_signed_in_form_without_csrf_is_refused(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.post("/logout", data={"csrf_token": client.csrf}).status_code == 303  # type: ignore[attr-defined]


def test_sign_in_is_rate_limited_per_user_name(web: Web) -> None:
    web.add_reviewer("anna")
    limit = web.settings.login_max_failures
    client = web.client()
    csrf = csrf_of(client.get("/login").text)
    for _ in range(limit):
        r = client.post(
            "/login", data={"username": "anna", "password": "wrong-one", "csrf_token": csrf}
        )
        assert r.status_code == 401
    # now even the right password is refused until the window has passed
    r = client.post("/login", data={"username": "anna", "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 429 and "För många" in r.text
    assert "signreg_session" not in r.headers.get("set-cookie", "")


def test_private_pages_redirect_and_private_api_answers_401_without_a_session(web: Web) -> None:
    client = web.client()
    page = client.get("/review")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


def test_next_after_sign_in_stays_on_this_site(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.client()
    csrf = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={
            "username": "anna",
            "password": PASSWORD,
            "csrf_token": csrf,
            "next": "//evil.example/x",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/review"


def test_english_is_a_choice_kept_on_the_account(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    r = client.post(
        "/language", data={"locale": "en", "next": "/review", "csrf_token": client.csrf}
    )  # type: ignore[attr-defined]
    assert r.status_code == 303
    again = web.signed_in("anna")  # a new session, same account: still English
    page = again.get("/review", follow_redirects=True)
    assert 'lang="en"' in page.text and "Sign out" in page.text


def test_pages_may_not_be_framed_by_other_sites(web: Web) -> None:
    r = web.client().get("/login")
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_signing_in_forgets_expired_sessions_and_old_attempts(web: Web) -> None:
    import datetime as dt

    from sqlalchemy import func, select

    from registry.models import LoginAttempt, WebSession

    web.add_reviewer("anna")
    web.signed_in("anna")
    with web.registry.sessions.begin() as s:
        for row in s.scalars(select(WebSession)):
            row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        for attempt in s.scalars(select(LoginAttempt)):
            attempt.at = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    web.signed_in("anna")
    with web.registry.sessions() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 1
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 1
