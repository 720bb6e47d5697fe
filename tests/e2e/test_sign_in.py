"""Signing in and out in Chromium, in Swedish, with the keyboard only."""

from __future__ import annotations

from tests.e2e.site import Site, sign_in


def test_sign_in_with_the_keyboard_and_sign_out(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site.url}/review")
    assert "/login" in page.url  # not signed in: sent to the sign-in page
    assert page.get_attribute("html", "lang") == "sv"
    assert page.locator("h1").inner_text() == "Logga in"
    sign_in(page, site, "admin")
    assert page.url.startswith(f"{site.url}/review")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["signreg_session"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(f"{site.url}/login")
    page.goto(f"{site.url}/review")
    assert "/login" in page.url


def test_a_wrong_password_is_told_in_swedish(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site.url}/login")
    page.fill("#username", "admin")
    page.fill("#password", "fel lösenord")
    page.keyboard.press("Enter")
    page.wait_for_selector("#login-error")
    assert "Fel användarnamn eller lösenord" in page.inner_text("#login-error")
