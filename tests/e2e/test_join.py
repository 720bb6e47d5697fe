"""The join-online page in Chromium: the organisation number is checked as it is typed
(in Swedish), the form posts, and the personalised PDF can be downloaded."""

from __future__ import annotations

import httpx

from tests.e2e.site import Site


def test_a_wrong_check_digit_is_told_as_typed_and_a_good_form_is_made(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site.url}/join/jamstalld-industri")
    assert page.locator("html").get_attribute("lang") == "sv"
    number = page.locator("#f-organisation_number")
    error = page.locator("#e-organisation_number")
    number.fill("556036-0794")
    assert error.is_visible()
    assert "Kontrollsiffran stämmer inte" in error.inner_text()
    assert number.get_attribute("aria-invalid") == "true"
    number.fill("556036-0793")
    assert error.is_hidden()
    page.fill("#f-organisation", "Nymek AB")
    page.select_option("#f-county", "Norrbotten")
    page.fill("#f-place", "Luleå")
    page.fill("#f-signatory_name", "Anna Öberg")
    page.fill("#f-email", "anna.oberg@nymek.se")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Er blankett är klar")
    href = page.locator("a[download]").get_attribute("href")
    assert href is not None and href.endswith("/form.pdf")
    pdf = httpx.get(f"{site.url}{href}", timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
