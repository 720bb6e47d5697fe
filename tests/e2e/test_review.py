"""A reviewer's day in Chromium: a proposal made by ingesting a committed sample scan
with the real engine is opened, corrected and approved with the keyboard only, and
then shows in the public embed and the Atom feed; a reviewer limited to Norrbotten
cannot open a Västerbotten proposal."""

from __future__ import annotations

import json

import httpx

from tests.e2e.site import Site, sign_in

CORRECTED_NUMBER = "556016-0680"  # passes Luhn; the scan's form left the number blank


def _proposals(site: Site) -> dict[str, dict]:  # type: ignore[type-arg]
    rows = json.loads(site.signreg("review", "list", "--json"))
    return {r["fields"]["county"]["value"]: r for r in rows}


def test_open_correct_and_approve_with_the_keyboard_only(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    norrbotten = _proposals(site)["Norrbotten"]
    assert norrbotten["fields"]["organisation"]["value"] == "Malmfälts Verkstad AB"
    sign_in(page, site, "admin")
    page.goto(f"{site.url}/review")
    assert page.locator("#queue tbody tr").count() == 2
    # j moves through the queue's rows; Enter opens the focused one
    for _ in range(2):
        page.keyboard.press("j")
        if "Malmfälts" in page.evaluate("document.activeElement.textContent"):
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/review/{norrbotten['id']}**")
    # the scanned page with its boxes, the values coloured by confidence, the signature
    assert page.locator("#page-1").count() == 1
    assert "conf-sure" in (page.get_attribute("#field-organisation", "class") or "")
    assert page.locator("#signature-crop").count() == 1
    # ? lists the keys; Escape closes the list
    page.keyboard.press("?")
    assert page.locator("#keys").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#keys").is_visible()
    # e goes to the first unsure value: here a field the form left blank
    page.keyboard.press("e")
    focused = page.evaluate("document.activeElement.id")
    assert focused in ("field-organisation_number", "field-place"), focused
    value = CORRECTED_NUMBER if focused == "field-organisation_number" else "Kiruna"
    page.keyboard.type(value)
    page.keyboard.press("Escape")  # leave the field; keys work again
    with page.expect_navigation():
        page.keyboard.press("a")
    # on to the next proposal in the queue, with the decision told
    assert f"/review/{norrbotten['id']}" not in page.url, page.inner_text("main")[:500]
    assert page.locator(".flash").count() >= 1
    # the approval holds the corrected value and is public now
    members = json.loads(site.signreg("signatories", "--json"))
    public = {
        m["organisation"]: m for m in (members["items"] if isinstance(members, dict) else members)
    }
    approved = public["Malmfälts Verkstad AB"]
    field = "organisation_number" if focused == "field-organisation_number" else None
    if field:
        assert approved[field] == CORRECTED_NUMBER
    page.goto(f"{site.url}/embed/signatories?declaration=jamstalld-industri&county=Norrbotten")
    assert "Malmfälts Verkstad AB" in page.inner_text("body")
    assert page.get_attribute("html", "lang") == "sv"
    atom = httpx.get(f"{site.url}/api/v1/signatories.atom", timeout=10)
    assert atom.status_code == 200 and "Malmfälts Verkstad AB" in atom.text
    # the signer's name is on the scan and in the proposal, never in public
    for body in (page.content(), atom.text):
        assert "Marklund" not in body


def test_a_norrbotten_reviewer_cannot_open_a_vasterbotten_proposal(page, site: Site) -> None:  # type: ignore[no-untyped-def]
    vasterbotten = _proposals(site)["Västerbotten"]
    sign_in(page, site, "norr")
    page.goto(f"{site.url}/review")
    assert "Bjurholms kommun" not in page.inner_text("main")
    response = page.goto(f"{site.url}/review/{vasterbotten['id']}")
    assert response is not None and response.status == 403
    assert "Bjurholms kommun" not in page.content()
    image = page.request.get(f"{site.url}/review/{vasterbotten['id']}/page/1.png")
    assert image.status == 403
