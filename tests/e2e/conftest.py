"""Browser tests: the real service in a subprocess (tests/e2e/site.py), driven by
Playwright in Debian's Chromium (``/usr/bin/chromium``, headless; no browser is
downloaded). One service per test module; a fresh browser context per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.site import CHROMIUM, Site, launch_chromium, running_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make apt` installs Debian's chromium")
    with running_site(tmp_path_factory.mktemp("site")) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        try:
            yield b
        finally:
            b.close()  # type: ignore[attr-defined]


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    # a minute for a page or a wait, not Playwright's 30 s: on a machine busy with other
    # work a sign-in's redirect once took longer (the test asserts what happens, not when)
    context.set_default_timeout(60_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()
