"""The embed for other sites: the iframe page, the script (also run in Chromium, from
another origin), and their styles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.routes.embed import ASSET_DIR as ASSETS
from tests.api.conftest import Web
from tests.api.public_seed import ACTIVE, EMAIL, SIGNER, WITHDRAWN, approve, seed_public_list

NORRBOTTEN = ["Kuusakoski Sverige AB", "Luleå kommun", "Älvsbyns Energi AB"]
ROW = re.compile(r'<td class="signreg-name">([^<]*)</td>')


@pytest.fixture
def seeded(web: Web) -> TestClient:
    seed_public_list(web.registry.sessions)
    return web.client()


def test_the_iframe_page_lists_the_organisations_in_swedish(seeded: TestClient) -> None:
    r = seeded.get("/embed/signatories?declaration=jamstalld-industri&county=Norrbotten")
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert "x-frame-options" not in r.headers  # made to be framed by other sites
    assert "frame-ancestors" not in r.headers.get("content-security-policy", "")
    html = r.text
    assert '<html lang="sv">' in html
    heading = (
        "Organisationer som har undertecknat Avsiktsförklaring Jämställd industri i Norrbotten"
    )
    assert f'<h1 class="signreg-heading" id="signreg-heading">{heading}</h1>' in html
    assert ROW.findall(html) == NORRBOTTEN
    assert "Antal organisationer: 3" in html
    assert '<th scope="col">Organisation</th>' in html and '<th scope="col">Län</th>' in html
    assert '<time datetime="2023-05-11">11 maj 2023</time>' in html
    # the newest verification shown: Älvsbyns Energi AB, approved on 5 March 2026
    assert re.search(
        r"Senast uppdaterad <time datetime=\"2026-03-05[^\"]*\">5 mars 2026</time>", html
    )
    assert WITHDRAWN not in html and SIGNER not in html and EMAIL not in html
    assert (
        'href="http://127.0.0.1:8000/api/v1/signatories.csv?declaration=jamstalld-industri&amp;county=norrbotten"'
        in html
    )


def test_the_iframe_page_without_filters_names_each_declaration(seeded: TestClient) -> None:
    html = seeded.get("/embed/signatories").text
    assert ROW.findall(html) == list(ACTIVE)
    assert '<th scope="col">Avsiktsförklaring</th>' in html
    assert html.count("Avsiktsförklaring Jämställd industri</td>") == len(ACTIVE)


def test_the_iframe_page_escapes_names_and_shows_an_empty_list(web: Web) -> None:
    client = web.client()
    empty = client.get("/embed/signatories?county=Gotland").text
    assert (
        "Ingen organisation har undertecknat ännu." in empty and "Antal organisationer: 0" in empty
    )
    assert "Senast uppdaterad" not in empty
    approve(web.registry.sessions, '<img src=x onerror="alert(1)"> & Co AB', "Gotland")
    html = client.get("/embed/signatories?county=Gotland").text
    assert "<img" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; Co AB" in html


def test_the_iframe_page_takes_a_theme(seeded: TestClient) -> None:
    html = seeded.get("/embed/signatories?accent=%23005ea5&font=Georgia,%20serif&bg=white").text
    assert (
        ":root { --signreg-font: Georgia, serif; --signreg-accent: #005ea5; --signreg-bg: white; }"
        in html
    )
    for bad in ("accent=red;}body{display:none", "font=%22x%22", "ink=%23xyz"):
        r = seeded.get(f"/embed/signatories?{bad}")
        assert r.status_code == 422, bad


def test_the_iframe_page_is_cached_like_the_api(web: Web, seeded: TestClient) -> None:
    first = seeded.get("/embed/signatories?county=Norrbotten")
    assert (
        seeded.get(
            "/embed/signatories?county=norrbotten", headers={"if-none-match": first.headers["etag"]}
        ).status_code
        == 304
    )
    approve(web.registry.sessions, "Nya Stålverket AB", "Norrbotten")
    again = seeded.get(
        "/embed/signatories?county=Norrbotten", headers={"if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 200 and "Nya Stålverket AB" in again.text


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/embed/signatories.js", "text/javascript; charset=utf-8"),
        ("/embed/signatories.css", "text/css; charset=utf-8"),
    ],
)
def test_the_script_and_styles_are_static_cacheable_files(
    web: Web, path: str, media_type: str
) -> None:
    client = web.client()
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"] == media_type
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["cache-control"].startswith("public, max-age=")
    assert client.get(path, headers={"if-none-match": r.headers["etag"]}).status_code == 304
    name = Path(path).name
    assert r.content == (ASSETS / name).read_bytes()


def test_the_script_builds_nodes_not_html() -> None:
    js = (ASSETS / "signatories.js").read_text()
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "document.write" not in js
    assert "textContent" in js and "document.currentScript" in js
    assert "/api/v1/signatories?" in js and "signreg-embed" in js
    for text in ("Senast uppdaterad", "Antal organisationer", "Listan kunde inte hämtas"):
        assert text in js


def test_the_styles_document_the_custom_properties() -> None:
    css = (ASSETS / "signatories.css").read_text()
    for name in ("--signreg-font", "--signreg-ink", "--signreg-accent", "--signreg-bg"):
        assert f"var({name}" in css and f"{name} " in css.split("*/")[0]


# -- the script in a browser, on a page of another site ---------------------------------

PARTNER = "https://partner.example"
REGISTRY = "https://registry.example"
PAGE = """<!doctype html><html lang="sv"><head><title>Partner</title></head><body>
<p id="before">Före</p>
<script src="{registry}/embed/signatories.js" data-declaration="jamstalld-industri"
        data-county="Norrbotten" async></script>
<p id="after">Efter</p>
</body></html>"""


@pytest.fixture
def browser_page() -> Iterator[object]:
    from tests.e2e.site import CHROMIUM, launch_chromium

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make apt` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield browser.new_page()  # type: ignore[attr-defined]
        finally:
            browser.close()  # type: ignore[attr-defined]


def _serve(page: object, client: TestClient, *, api_down: bool = False) -> list[str]:
    """Route the partner's page and the registry (through ``client``) in the browser;
    the registry URLs asked for."""
    asked: list[str] = []

    def handle(route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        url = urlsplit(request.url)
        if f"{url.scheme}://{url.netloc}" == PARTNER:
            route.fulfill(  # type: ignore[attr-defined]
                status=200, content_type="text/html", body=PAGE.format(registry=REGISTRY)
            )
            return
        asked.append(request.url)
        if api_down and url.path.startswith("/api/"):
            route.fulfill(status=503, body="down")  # type: ignore[attr-defined]
            return
        target = url.path + (f"?{url.query}" if url.query else "")
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("origin", "accept")}
        r = client.request(request.method, target, headers=headers)
        route.fulfill(status=r.status_code, headers=dict(r.headers), body=r.content)  # type: ignore[attr-defined]

    page.route("**/*", handle)  # type: ignore[attr-defined]
    return asked


def test_the_script_renders_the_list_where_its_tag_stands(
    seeded: TestClient, browser_page: object
) -> None:
    page = browser_page
    asked = _serve(page, seeded)
    page.goto(PARTNER + "/")  # type: ignore[attr-defined]
    page.wait_for_selector(".signreg-embed .signreg-table")  # type: ignore[attr-defined]
    order = page.eval_on_selector_all(  # type: ignore[attr-defined]
        "body > *", "nodes => nodes.map(n => n.id || n.className || n.tagName)"
    )
    assert order == ["before", "SCRIPT", "signreg-embed", "after"]
    rows = page.locator(".signreg-table tbody .signreg-name").all_inner_texts()  # type: ignore[attr-defined]
    assert rows == NORRBOTTEN
    text = page.inner_text(".signreg-embed")  # type: ignore[attr-defined]
    assert "Antal organisationer: 3" in text and "Senast uppdaterad" in text
    assert (
        "Organisationer som har undertecknat Avsiktsförklaring Jämställd industri i Norrbotten"
        in text
    )
    assert "11 maj 2023" in text
    assert any(
        "/api/v1/signatories?declaration=jamstalld-industri&county=Norrbotten" in u for u in asked
    )
    assert any(u.endswith("/embed/signatories.css") for u in asked)


def test_the_script_says_so_when_the_list_cannot_be_fetched(web: Web, browser_page: object) -> None:
    page = browser_page
    _serve(page, web.client(), api_down=True)
    page.goto(PARTNER + "/")  # type: ignore[attr-defined]
    page.wait_for_selector(".signreg-embed .signreg-error")  # type: ignore[attr-defined]
    assert "Listan kunde inte hämtas just nu." in page.inner_text(".signreg-embed")  # type: ignore[attr-defined]


def test_names_are_text_in_the_script_too(web: Web, browser_page: object) -> None:
    approve(web.registry.sessions, '<img src=x onerror="window.pwned=1">Evil AB', "Norrbotten")
    page = browser_page
    _serve(page, web.client())
    page.goto(PARTNER + "/")  # type: ignore[attr-defined]
    page.wait_for_selector(".signreg-embed .signreg-table")  # type: ignore[attr-defined]
    assert page.locator(".signreg-embed img").count() == 0  # type: ignore[attr-defined]
    assert page.evaluate("window.pwned === undefined")  # type: ignore[attr-defined]
    names = page.locator(".signreg-name").all_inner_texts()  # type: ignore[attr-defined]
    assert names == ['<img src=x onerror="window.pwned=1">Evil AB']
