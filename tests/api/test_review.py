"""The reviewer's queue and one proposal, on SQLite and PostgreSQL: order, filters and
counts, scope, decisions (corrections audited, approve-and-link, reject with a reason,
CSRF), the redirect to the next proposal, and page images rendered once."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from ingest.archive import Archive
from ocr.model import DeclarationResult, Extraction
from registry import queue
from registry.models import AuditEvent, Organisation, Proposal, Signatory
from registry.review import approve_proposal
from tests.api.conftest import Web
from tests.registry.helpers import T0, extraction, propose, result, seed_declaration

SAMPLE = Path(__file__).parents[2] / "samples" / "committed" / "signed-label-left.pdf"
ROW = re.compile(r'<tr id="row-(\d+)"')


def rows(html: str) -> list[int]:
    return [int(n) for n in ROW.findall(html)]


@pytest.fixture(scope="module")
def sample_read() -> Extraction:
    """The committed sample as the engine reads it (real Tesseract), once per module."""
    from ocr.pipeline import extract

    return extract(SAMPLE.read_bytes())


def propose_scan(web: Web, read: Extraction | DeclarationResult, *, sha256: str) -> list[int]:
    """A submission whose scan is in the archive (the sample's bytes under ``sha256``),
    read as ``read``; its proposals' ids."""
    archive = Archive(web.settings.archive_dir)
    target = archive.path_for(sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(SAMPLE.read_bytes())
    found = read if isinstance(read, Extraction) else extraction(read)
    with web.registry.sessions.begin() as s:
        sub, _ = queue.record_submission(
            session=s,
            sha256=sha256,
            file_name=f"{sha256[:8]}.pdf",
            size=target.stat().st_size,
            archive_path=archive.relative_path(sha256),
            now=T0,
        )
        assert queue.claim_next(session=s, worker_id="w", lease_seconds=60, now=T0) is not None
        made = queue.complete_submission(
            session=s, submission_id=sub.id, worker_id="w", extraction=found, now=T0
        )
        return [p.id for p in made]


def three(web: Web) -> list[int]:
    """Two Norrbotten proposals (one unsigned) and one from Västerbotten, oldest first."""
    seed_declaration(web.registry.sessions)
    a = propose(web.registry.sessions, result(), name="a")
    b = propose(
        web.registry.sessions,
        result(signed=False, organisation="LKAB", organisation_number="556001-5835"),
        name="b",
    )
    c = propose(
        web.registry.sessions,
        result(county="Västerbotten", organisation="Boliden AB", organisation_number=None),
        name="c",
    )
    return [*a, *b, *c]


def test_the_queue_is_newest_first_with_counts_beside_each_filter_value(web: Web) -> None:
    a, b, c = three(web)
    web.add_reviewer("anna", role="admin")
    client = web.signed_in("anna")
    page = client.get("/review")
    assert page.status_code == 200 and 'lang="sv"' in page.text
    assert rows(page.text) == [c, b, a]
    assert ">Norrbotten (2)<" in page.text and ">Västerbotten (1)<" in page.text
    assert ">Ej underskriven (1)<" in page.text  # the unsigned flag, in words
    only_nb = client.get("/review", params={"county": "Norrbotten"})
    assert rows(only_nb.text) == [b, a]
    assert ">Ej underskriven (1)<" in only_nb.text
    unsigned = client.get("/review", params={"flag": "unsigned"})
    assert rows(unsigned.text) == [b]
    # the county counts are of the other filters' proposals: both counties, unsigned
    assert ">Norrbotten (1)<" in unsigned.text and "Västerbotten (0)" not in unsigned.text
    none_old = client.get("/review", params={"older_than": "100000"})
    assert rows(none_old.text) == [] and 'id="queue-empty"' in none_old.text
    assert rows(client.get("/review", params={"older_than": "1"}).text) == [c, b, a]


def test_a_reviewer_limited_to_norrbotten_sees_and_decides_only_norrbotten(web: Web) -> None:
    a, b, c = three(web)
    web.add_reviewer("nils", counties=["Norrbotten"])
    client = web.signed_in("nils")
    queue_page = client.get("/review")
    assert rows(queue_page.text) == [b, a]
    assert "Västerbotten" not in queue_page.text  # not even as a count
    assert client.get(f"/review/{c}").status_code == 403
    assert client.get(f"/review/{c}/page/1.png").status_code == 403
    assert client.get(f"/review/{c}/crop/signature.png").status_code == 403
    for action, data in (("approve", {}), ("reject", {"reason": "nej"}), ("reopen", {})):
        sent = client.post(f"/review/{c}/{action}", data={"csrf_token": client.csrf, **data})
        assert sent.status_code == 403, action
    assert client.get(f"/api/v1/proposals/{c}").status_code == 403
    listed = client.get("/api/v1/proposals").json()
    assert [p["id"] for p in listed["items"]] == [b, a] and listed["total"] == 2
    with web.registry.sessions() as s:
        assert s.get(Proposal, c).status == "proposed"  # type: ignore[union-attr]
    # and the next proposal after a decision is never outside the scope
    done = client.post(
        f"/review/{a}/reject", data={"csrf_token": client.csrf, "reason": "dubblett"}
    )
    assert done.headers["location"] == f"/review/{b}"


def test_approve_with_a_correction_records_it_and_goes_on_to_the_next(web: Web) -> None:
    a, b, c = three(web)
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    page = client.get(f"/review/{b}", params={"county": "Norrbotten"})
    assert 'id="field-signatory_name"' in page.text and 'value="Anna Berg"' in page.text
    sent = client.post(
        f"/review/{b}/approve?county=Norrbotten",
        data={
            "csrf_token": client.csrf,
            "signatory_name": "Anna Bergström",
            "county": "Norrbotten",
        },
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/review/{a}?county=Norrbotten"  # filters kept
    shown = client.get(sent.headers["location"])
    assert f"Förslag {b} godkänt." in shown.text
    assert "signreg_review_flash" not in client.cookies  # shown once
    with web.registry.sessions() as s:
        member = s.scalars(select(Signatory)).one()
        assert member.signer_name == "Anna Bergström" and member.verified_by == "web:anna"
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.approve")).one()
        assert event.actor == "web:anna" and event.entity_id == str(b)
        assert event.before and event.before["status"] == "proposed"
        assert event.after and event.after["corrections"] == {
            "signatory_name": {"before": "Anna Berg", "after": "Anna Bergström"}
        }
    # the last of the filtered queue decided: back to the newest one left, then the queue
    last = client.post(f"/review/{a}/approve?county=Norrbotten", data={"csrf_token": client.csrf})
    assert last.headers["location"] == "/review?county=Norrbotten"
    assert "Förslag" in client.get(last.headers["location"]).text
    assert c  # Västerbotten's is left, outside the filter


def test_approve_and_link_puts_the_membership_on_the_chosen_organisation(web: Web) -> None:
    seed_declaration(web.registry.sessions)
    (first,) = propose(web.registry.sessions, result(), name="first")
    with web.registry.sessions.begin() as s:
        approve_proposal(session=s, proposal_id=first, reviewer="test", now=T0)
        org = s.scalars(select(Organisation)).one()
        org_id = org.id
    (second,) = propose(
        web.registry.sessions,
        result(
            organisation="Kuusakoski Återvinning",
            organisation_number=None,
            signed_date="2025-05-11",
        ),
        name="second",
    )
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    page = client.get(f"/review/{second}")
    assert f'id="link-{org_id}"' in page.text and "liknande namn" in page.text
    sent = client.post(
        f"/review/{second}/approve",
        data={"csrf_token": client.csrf, "organisation_id": str(org_id)},
    )
    assert sent.status_code == 303
    with web.registry.sessions() as s:
        p = s.get(Proposal, second)
        assert p is not None and p.status == "approved" and p.organisation_id == org_id
        member = s.scalars(select(Signatory)).one()  # renewed, not a second membership
        assert member.proposal_id == second and member.signed_date == dt.date(2025, 5, 11)
        assert "Kuusakoski Återvinning" in (s.get(Organisation, org_id).aliases or [])  # type: ignore[union-attr]


def test_a_refused_value_is_shown_beside_its_field_with_what_was_typed(web: Web) -> None:
    a, _b, _c = three(web)
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    sent = client.post(
        f"/review/{a}/approve",
        data={"csrf_token": client.csrf, "signed_date": "11/5 -23", "place": "Piteå"},
    )
    assert sent.status_code == 422
    assert 'id="error-signed_date"' in sent.text and "ÅÅÅÅ-MM-DD" in sent.text
    assert 'value="11/5 -23"' in sent.text and 'value="Piteå"' in sent.text
    bad_number = client.post(
        f"/review/{a}/approve",
        data={"csrf_token": client.csrf, "organisation_number": "556051-3103"},
    )
    assert bad_number.status_code == 422 and 'id="error-organisation_number"' in bad_number.text
    with web.registry.sessions() as s:
        assert s.get(Proposal, a).status == "proposed"  # type: ignore[union-attr]
        assert s.scalars(select(Signatory)).first() is None
        assert s.scalars(select(Organisation)).first() is None  # nothing half-done


def test_a_rejection_needs_a_reason(web: Web) -> None:
    a, b, _c = three(web)
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    empty = client.post(f"/review/{b}/reject", data={"csrf_token": client.csrf, "reason": " "})
    assert empty.status_code == 422 and 'id="error-reason"' in empty.text
    assert "Skriv varför förslaget avslås." in empty.text
    sent = client.post(
        f"/review/{b}/reject", data={"csrf_token": client.csrf, "reason": "Ej underskriven"}
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/review/{a}"
    with web.registry.sessions() as s:
        p = s.get(Proposal, b)
        assert p is not None and p.status == "rejected" and p.reason == "Ej underskriven"
    # decided twice (a key pressed twice): nothing changes, the reviewer goes on
    again = client.post(f"/review/{b}/reject", data={"csrf_token": client.csrf, "reason": "x"})
    assert again.status_code == 303
    assert "redan avgjort" in client.get(again.headers["location"]).text
    reopened = client.post(f"/review/{b}/reopen", data={"csrf_token": client.csrf})
    assert reopened.status_code == 303 and reopened.headers["location"] == f"/review/{b}"
    with web.registry.sessions() as s:
        assert s.get(Proposal, b).status == "proposed"  # type: ignore[union-attr]


def test_decisions_without_their_csrf_token_are_refused(web: Web) -> None:
    a, _b, _c = three(web)
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    assert client.post(f"/review/{a}/approve", data={}).status_code == 403
    assert client.post(f"/review/{a}/reject", data={"reason": "x"}).status_code == 403
    forged = client.post(f"/review/{a}/approve", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    with web.registry.sessions() as s:
        assert s.get(Proposal, a).status == "proposed"  # type: ignore[union-attr]


def test_without_a_session_pages_send_to_sign_in_and_the_api_answers_401(web: Web) -> None:
    a, _b, _c = three(web)
    client = web.client()
    for path in ("/review", f"/review/{a}", f"/review/{a}/page/1.png"):
        got = client.get(path)
        assert got.status_code == 303 and got.headers["location"].startswith("/login?next=")
    assert client.get("/api/v1/proposals").status_code == 401
    assert client.get(f"/api/v1/proposals/{a}").status_code == 401
    assert client.post(f"/review/{a}/approve", data={}).status_code in (303, 401, 403)


def test_the_proposal_page_has_the_keys_and_ids_the_keyboard_uses(web: Web) -> None:
    a, b, c = three(web)
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    page = client.get(f"/review/{b}").text
    for needle in (
        'id="approve"',
        'id="reject-reason"',
        'id="reject"',
        f'id="next-proposal" rel="next" href="/review/{a}"',
        f'id="previous-proposal" rel="prev" href="/review/{c}"',
        '<dialog id="keys"',
        "<kbd>a</kbd>",
        'src="/static/review.js"',
    ):
        assert needle in page, needle
    # b is unsigned and all its values are sure: no unsure value; flags in words
    assert 'data-first-unsure=""' in page and "Ingen handskriven underskrift hittades." in page
    assert 'class="conf-sure"' in page and "säker 97 %" in page
    unsure = propose(web.registry.sessions, result(confidence=0.5, email=None), name="unsure")[0]
    shown = client.get(f"/review/{unsure}").text
    assert 'data-first-unsure="field-email"' in shown and 'class="conf-missing"' in shown
    assert "osäker 50 %" in shown


def test_a_renewal_shows_the_earlier_approved_signature_beside_the_new_one(web: Web) -> None:
    seed_declaration(web.registry.sessions)
    (first,) = propose_scan(web, result(), sha256="a" * 64)
    with web.registry.sessions.begin() as s:
        approve_proposal(session=s, proposal_id=first, reviewer="test", now=T0)
    (again,) = propose_scan(web, result(signed_date="2025-05-11"), sha256="b" * 64)
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    page = client.get(f"/review/{again}").text
    assert "Förnyelse" in page
    assert f'id="earlier-signature" src="/review/{first}/crop/signature.png"' in page
    assert client.get(f"/review/{first}/crop/signature.png").status_code == 200


def test_page_images_are_rendered_once_and_cached(web: Web, sample_read: Extraction) -> None:
    seed_declaration(web.registry.sessions)
    (pid,) = propose_scan(web, sample_read, sha256="c" * 64)
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    page = client.get(f"/review/{pid}").text
    assert f'src="/review/{pid}/page/1.png"' in page and 'class="box ' in page
    first = client.get(f"/review/{pid}/page/1.png")
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.headers["cache-control"].startswith("private")
    cache = web.app.state.review_page_images
    assert cache.renders == 1
    cached = sorted((web.settings.cache_dir / "pages").rglob("*.png"))
    mtimes = {p: p.stat().st_mtime_ns for p in cached}
    again = client.get(f"/review/{pid}/page/1.png")
    assert again.content == first.content and cache.renders == 1
    assert {p: p.stat().st_mtime_ns for p in cached} == mtimes  # nothing written again
    not_modified = client.get(
        f"/review/{pid}/page/1.png", headers={"If-None-Match": first.headers["etag"]}
    )
    assert not_modified.status_code == 304
    for name in ("signature", "organisation", "organisation_number"):
        crop = client.get(f"/review/{pid}/crop/{name}.png")
        assert crop.status_code == 200 and len(crop.content) < len(first.content), name
    assert cache.renders == 1  # crops are cut from the cached page
    assert client.get(f"/review/{pid}/page/2.png").status_code == 404
    assert client.get(f"/review/{pid}/crop/nonsense.png").status_code == 404
    assert not list(web.settings.cache_dir.rglob(".tmp-*"))


def test_the_upright_page_puts_the_boxes_where_the_values_were_read(
    sample_read: Extraction,
) -> None:
    """Ink under the organisation number's box, paper in the margin beside it."""
    import numpy as np

    from api.page_images import crop_box, upright_page

    image = np.asarray(upright_page(SAMPLE.read_bytes(), 1).convert("L"))
    bbox = sample_read.declarations[0].fields["organisation_number"].bbox
    assert bbox is not None
    x0, y0, x1, y1 = crop_box(bbox, (image.shape[1], image.shape[0]), pad=0)
    inside = image[y0:y1, x0:x1]
    margin = image[y0:y1, : max(1, x0 // 4)]
    assert (inside < 128).mean() > 0.05 and (margin < 128).mean() < 0.01


def test_the_json_view_gives_proposals_as_the_cli_does(web: Web) -> None:
    a, b, c = three(web)
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    listed = client.get("/api/v1/proposals", params={"status": "all"}).json()
    assert [p["id"] for p in listed["items"]] == [c, b, a]
    one = client.get(f"/api/v1/proposals/{a}").json()
    assert one["id"] == a and one["fields"]["organisation"]["value"] == "Kuusakoski Sverige AB"
    assert one["sha256"] and one["status"] == "proposed" and "candidates" in one
    assert client.get("/api/v1/proposals/999999").status_code == 404


def test_a_correction_cannot_move_a_proposal_out_of_the_reviewers_counties(web: Web) -> None:
    a, _b, _c = three(web)
    web.add_reviewer("nils", counties=["Norrbotten"])
    client = web.signed_in("nils")
    moved = client.post(
        f"/review/{a}/approve", data={"csrf_token": client.csrf, "county": "Västerbotten"}
    )
    assert moved.status_code == 422 and 'id="error-county"' in moved.text
    assert "Det här länet är inte ditt" in moved.text
    with web.registry.sessions() as s:
        assert s.get(Proposal, a).status == "proposed"  # type: ignore[union-attr]
    kept = client.post(
        f"/review/{a}/approve", data={"csrf_token": client.csrf, "county": "norrbotten"}
    )
    assert kept.status_code == 303
