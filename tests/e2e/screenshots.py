"""The README's screenshots, made from the current code: ``make screenshots``.

Starts the service as the browser tests do (tests/e2e/site.py: committed sample scans
read by the real engine), signs in, and saves the queue, one proposal and the public
embed to ``docs/``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from tests.e2e.site import ROOT, launch_chromium, running_site, sign_in

DOCS = ROOT / "docs"
SHOTS = ("queue.png", "proposal.png", "embed.png")


def main(out: Path = DOCS) -> int:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, running_site(Path(tmp)) as site:
        rows = json.loads(site.signreg("review", "list", "--json"))
        first = min(rows, key=lambda r: r["id"])
        with sync_playwright() as p:
            browser = launch_chromium(p)
            context = browser.new_context(  # type: ignore[attr-defined]
                locale="sv-SE", viewport={"width": 1360, "height": 900}, device_scale_factor=1
            )
            page = context.new_page()
            sign_in(page, site, "admin")
            page.goto(f"{site.url}/review")
            page.screenshot(path=str(out / "queue.png"))
            page.goto(f"{site.url}/review/{first['id']}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / "proposal.png"), full_page=False)
            # approve both so the embed has something to show
            for row in rows:
                site.signreg("review", "approve", str(row["id"]), *_fill_blanks(row))
            embed = context.new_page()
            embed.set_viewport_size({"width": 720, "height": 520})
            embed.goto(f"{site.url}/embed/signatories?declaration=jamstalld-industri")
            embed.screenshot(path=str(out / "embed.png"))
            browser.close()  # type: ignore[attr-defined]
    for name in SHOTS:
        print(out / name)
    return 0


def _fill_blanks(row: dict) -> list[str]:  # type: ignore[type-arg]
    """``--set`` for values a form left blank that an approval needs."""
    out = []
    if not row["fields"]["signed_date"]["value"]:
        out += ["--set", "signed_date=2024-01-01"]
    return out


if __name__ == "__main__":
    sys.exit(main())
