"""Uploads from the browser and from scripts, and the quarantine, on both databases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import select

from ingest.quarantine import Quarantine
from registry import queue
from registry.models import AuditEvent, Submission, SubmissionArrival
from tests.api.conftest import Web

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "committed" / "bw-g4-table.pdf"
NOT_A_PDF = "Hej! Det här är ett brev, ingen PDF.\n".encode()


def _upload(client, files: list[tuple[str, bytes]], *, csrf: str | None = "auto"):  # type: ignore[no-untyped-def]
    data = {"csrf_token": client.csrf} if csrf == "auto" else ({"csrf_token": csrf} if csrf else {})
    return client.post(
        "/review/upload",
        data=data,
        files=[("file", (name, body, "application/pdf")) for name, body in files],
    )


def _submissions(web: Web) -> list[Submission]:
    with web.registry.sessions() as s:
        return list(s.scalars(select(Submission).order_by(Submission.id)))


def _events(web: Web, action: str) -> list[AuditEvent]:
    with web.registry.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _all_files(*roots: Path) -> set[Path]:
    found: set[Path] = set()
    for root in roots:
        for folder, _dirs, names in os.walk(root):
            found.update(Path(folder) / n for n in names)
    return found


def test_an_uploaded_sample_is_received_archived_and_a_second_time_a_duplicate(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    data = SAMPLE.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    first = _upload(client, [("skanning.pdf", data)])
    assert first.status_code == 200, first.text
    assert 'data-outcome="received"' in first.text and "Mottagen" in first.text
    [sub] = _submissions(web)
    assert (sub.sha256, sub.file_name, sub.status) == (sha, "skanning.pdf", "received")
    assert (web.settings.archive_dir / sha[:2] / f"{sha}.pdf").read_bytes() == data
    assert f'href="/review/submissions/{sub.id}"' in first.text
    again = _upload(client, [("kopia.pdf", data)])
    assert 'data-outcome="duplicate"' in again.text and "skanning.pdf" in again.text
    assert len(_submissions(web)) == 1
    uploads = _events(web, "submission.upload")
    assert [(e.actor, e.entity_id, (e.after or {})["outcome"]) for e in uploads] == [
        ("web:anna", str(sub.id), "received"),
        ("web:anna", str(sub.id), "duplicate"),
    ]
    page = client.get(f"/review/submissions/{sub.id}")
    assert page.status_code == 200 and "kopia.pdf" in page.text and "Dubblett" in page.text


def test_a_text_file_named_pdf_is_quarantined_and_the_reason_shown_at_once(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    response = _upload(client, [("x.pdf", NOT_A_PDF), ("bra.pdf", SAMPLE.read_bytes())])
    assert response.status_code == 200
    assert 'data-outcome="quarantined"' in response.text
    assert "Filen är varken en PDF eller ett foto" in response.text
    assert 'data-outcome="received"' in response.text
    bad = next(s for s in _submissions(web) if s.file_name == "x.pdf")
    assert (bad.status, bad.reason) == ("quarantined", "not_pdf")
    kept = Quarantine(web.settings.quarantine_dir).path_for(bad.sha256, "x.pdf")
    assert kept.read_bytes() == NOT_A_PDF


def test_an_oversized_file_is_refused_with_413_and_nothing_is_stored(web: Web, tmp_path) -> None:
    ctx = web.app.state.ctx
    web.app.state.ctx = dataclasses.replace(
        ctx, config=dataclasses.replace(ctx.config, upload_max_bytes=20_000)
    )
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    before = _all_files(tmp_path)
    response = _upload(
        client, [("liten.pdf", SAMPLE.read_bytes()[:100]), ("stor.pdf", b"%" * 50_000)]
    )
    assert response.status_code == 413
    assert "stor.pdf" in response.text and "större än" in response.text
    assert _submissions(web) == []
    assert _all_files(tmp_path) == before  # not even the small file before it
    api = client.post(
        "/api/v1/submissions",
        headers={"X-CSRF-Token": client.csrf},  # type: ignore[attr-defined]
        files=[("file", ("stor.pdf", b"%" * 50_000, "application/pdf"))],
    )
    assert api.status_code == 413 and api.json()["reason"] == "too_large"


def test_a_path_in_the_name_is_reduced_and_nothing_lands_outside_the_data_folder(
    web: Web, tmp_path: Path
) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    system_tmp = Path(tempfile.gettempdir())
    before_tmp, before_here = _all_files(system_tmp), _all_files(tmp_path)
    response = _upload(client, [("../../x.pdf", SAMPLE.read_bytes()), ("a/b\\c.pdf", NOT_A_PDF)])
    assert response.status_code == 200
    assert "../" not in response.text.split('id="upload-results"')[1].split("</table>")[0]
    assert sorted(s.file_name for s in _submissions(web)) == ["c.pdf", "x.pdf"]
    new_here = _all_files(tmp_path) - before_here
    data_dir = web.settings.data_dir.resolve()
    assert new_here and all(p.resolve().is_relative_to(data_dir) for p in new_here), new_here
    new_tmp = {p for p in _all_files(system_tmp) - before_tmp if not p.is_relative_to(tmp_path)}
    assert not {p for p in new_tmp if p.name in ("x.pdf", "c.pdf")}
    assert not (tmp_path.parent / "x.pdf").exists() and not (tmp_path / "x.pdf").exists()


def test_upload_without_csrf_is_refused_and_without_sign_in_sends_to_sign_in(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    assert _upload(client, [("a.pdf", SAMPLE.read_bytes())], csrf=None).status_code == 403
    assert _upload(client, [("a.pdf", SAMPLE.read_bytes())], csrf="forged").status_code == 403
    assert _submissions(web) == []
    anonymous = web.client()
    assert anonymous.get("/review/upload").status_code == 303
    page = anonymous.post("/review/upload", files=[("file", ("a.pdf", b"%PDF", "application/pdf"))])
    assert page.status_code in (303, 401)
    api = anonymous.post(
        "/api/v1/submissions", files=[("file", ("a.pdf", b"%PDF", "application/pdf"))]
    )
    assert api.status_code == 401
    assert anonymous.get("/review/quarantine").status_code == 303
    assert _submissions(web) == []


def test_nothing_chosen_is_said_so(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    response = _upload(client, [("", b"")])
    assert response.status_code == 422 and "Välj minst en fil" in response.text


def test_the_json_upload_answers_per_file(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    data = SAMPLE.read_bytes()
    response = client.post(
        "/api/v1/submissions",
        headers={"X-CSRF-Token": client.csrf},  # type: ignore[attr-defined]
        files=[
            ("file", ("a.pdf", data, "application/pdf")),
            ("file", ("b.pdf", data, "application/pdf")),
            ("file", ("x.pdf", NOT_A_PDF, "application/pdf")),
        ],
    )
    assert response.status_code == 200
    sha = hashlib.sha256(data).hexdigest()
    got = [
        {k: f[k] for k in ("file", "outcome", "sha256", "reason")} for f in response.json()["files"]
    ]
    assert got == [
        {"file": "a.pdf", "outcome": "received", "sha256": sha, "reason": None},
        {"file": "b.pdf", "outcome": "duplicate", "sha256": sha, "reason": None},
        {
            "file": "x.pdf",
            "outcome": "quarantined",
            "sha256": hashlib.sha256(NOT_A_PDF).hexdigest(),
            "reason": "not_pdf",
        },
    ]
    described = web.client().get("/openapi.json").json()["paths"]["/api/v1/submissions"]["post"]
    assert "multipart/form-data" in described["requestBody"]["content"]
    no_csrf = client.post(
        "/api/v1/submissions", files=[("file", ("c.pdf", data, "application/pdf"))]
    )
    assert no_csrf.status_code == 403


def _quarantine_row(web: Web, name: str, data: bytes, reason: str) -> int:
    """A submission quarantined (e.g. under tighter limits than today's), its bytes kept."""
    sha = hashlib.sha256(data).hexdigest()
    now = dt.datetime.now(dt.UTC)
    Quarantine(web.settings.quarantine_dir).put_bytes(
        data, sha256=sha, file_name=name, reason=reason, message="too many pages", now=now
    )
    with web.registry.sessions.begin() as s:
        row = queue.record_quarantined(
            session=s,
            sha256=sha,
            file_name=name,
            size=len(data),
            reason=reason,
            error="too many pages",
            now=now,
        )
        return row.id


def test_the_quarantine_lists_rows_and_unrecorded_files_for_every_reviewer(web: Web) -> None:
    web.add_reviewer("nora", counties=["Norrbotten"])
    client = web.signed_in("nora")
    _upload(client, [("brev.pdf", NOT_A_PDF)])
    loose = Quarantine(web.settings.quarantine_dir)
    loose.put_bytes(
        b"PK\x03\x04 word",
        sha256="ab" * 32,
        file_name="lös.pdf",
        reason="not_pdf",
        message="not a PDF",
        now=dt.datetime.now(dt.UTC),
    )
    page = client.get("/review/quarantine")
    assert page.status_code == 200
    assert "brev.pdf" in page.text and "lös.pdf" in page.text
    assert "Filen är varken en PDF eller ett foto" in page.text and "inte registrerad" in page.text
    assert "alla granskare" in page.text  # says that counties do not apply here
    [sub] = _submissions(web)
    download = client.get(f"/review/quarantine/s{sub.id}/download")
    assert download.status_code == 200 and download.content == NOT_A_PDF
    assert download.headers["content-type"] == "application/octet-stream"
    assert "attachment" in download.headers["content-disposition"]
    assert web.client().get(f"/review/quarantine/s{sub.id}/download").status_code == 303
    assert client.get("/review/quarantine/..%2F..%2Fsecret.key/download").status_code == 404


def test_retry_requeues_a_file_that_passes_now_and_keeps_one_that_does_not(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    good = SAMPLE.read_bytes()
    row_id = _quarantine_row(web, "många sidor.pdf", good, "too_many_pages")
    response = client.post(f"/review/quarantine/s{row_id}/retry", data={"csrf_token": client.csrf})
    assert response.status_code == 303
    assert "klarar" in client.get(response.headers["location"]).text
    sub = next(s for s in _submissions(web) if s.id == row_id)
    sha = hashlib.sha256(good).hexdigest()
    assert (sub.status, sub.reason, sub.archive_path) == ("received", None, f"{sha[:2]}/{sha}.pdf")
    assert (web.settings.archive_dir / f"{sha[:2]}/{sha}.pdf").read_bytes() == good
    assert not Quarantine(web.settings.quarantine_dir).path_for(sha, "många sidor.pdf").exists()
    [event] = _events(web, "submission.retry")
    assert event.actor == "web:anna" and (event.after or {})["outcome"] == "received"
    assert (event.before or {})["reason"] == "too_many_pages"
    _upload(client, [("x.pdf", NOT_A_PDF)])
    bad = next(s for s in _submissions(web) if s.file_name == "x.pdf")
    client.post(f"/review/quarantine/s{bad.id}/retry", data={"csrf_token": client.csrf})
    bad = next(s for s in _submissions(web) if s.file_name == "x.pdf")
    assert (bad.status, bad.reason) == ("quarantined", "not_pdf")
    assert [(e.after or {})["outcome"] for e in _events(web, "submission.retry")] == [
        "received",
        "quarantined",
    ]
    assert client.post(f"/review/quarantine/s{bad.id}/retry").status_code == 403  # no CSRF


def test_retry_of_an_unrecorded_file_takes_it_in_and_discard_keeps_the_row(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    good = SAMPLE.read_bytes()
    sha = hashlib.sha256(good).hexdigest()
    loose = Quarantine(web.settings.quarantine_dir)
    entry = loose.put_bytes(
        good,
        sha256=sha,
        file_name="kvar.pdf",
        reason="truncated",
        message="cut",
        now=dt.datetime.now(dt.UTC),
    )
    response = client.post(
        f"/review/quarantine/{entry.path.name}/retry", data={"csrf_token": client.csrf}
    )
    assert response.status_code == 303
    [sub] = _submissions(web)
    assert (sub.file_name, sub.status) == ("kvar.pdf", "received")
    assert not entry.path.exists() and not entry.reason_path.exists()
    [event] = _events(web, "submission.retry")
    assert (event.entity, (event.before or {})["sha256"], (event.after or {})["outcome"]) == (
        "quarantine_file",
        sha,
        "received",
    )
    _upload(client, [("brev.pdf", NOT_A_PDF)])
    bad = next(s for s in _submissions(web) if s.file_name == "brev.pdf")
    kept = loose.path_for(bad.sha256, "brev.pdf")
    assert kept.exists()
    assert client.post(f"/review/quarantine/s{bad.id}/discard").status_code == 403
    response = client.post(
        f"/review/quarantine/s{bad.id}/discard", data={"csrf_token": client.csrf}
    )
    assert response.status_code == 303
    assert not kept.exists() and not kept.with_name(kept.name + ".reason.txt").exists()
    bad = next(s for s in _submissions(web) if s.file_name == "brev.pdf")
    assert bad.status == "discarded" and bad.reason == "not_pdf"
    [event] = _events(web, "submission.discard")
    assert event.actor == "web:anna"
    assert (
        (event.before or {})["sha256"],
        (event.before or {})["file_name"],
        (event.before or {})["reason"],
    ) == (
        bad.sha256,
        "brev.pdf",
        "not_pdf",
    )
    page = client.get("/review/quarantine")
    assert 'id="quarantine-discarded"' in page.text and "web:anna" in page.text
    assert f'id="quarantine-s{bad.id}"' not in page.text
    again = client.post(f"/review/quarantine/s{bad.id}/discard", data={"csrf_token": client.csrf})
    assert again.status_code == 409
    with web.registry.sessions() as s:
        assert s.scalar(select(SubmissionArrival).where(SubmissionArrival.submission_id == bad.id))


def test_retry_takes_a_photo_that_was_quarantined_when_only_pdfs_were_read(web: Web) -> None:
    """A JPEG quarantined as ``not_pdf`` before photos were read passes the intake's
    checks now: retry sends it to the queue as it would a PDF."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 1600), "white").save(buffer, "JPEG", quality=80)
    photo = buffer.getvalue()
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    row_id = _quarantine_row(web, "foto.jpg", photo, "not_pdf")
    response = client.post(f"/review/quarantine/s{row_id}/retry", data={"csrf_token": client.csrf})
    assert response.status_code == 303
    sub = next(s for s in _submissions(web) if s.id == row_id)
    assert (sub.status, sub.reason) == ("received", None)
