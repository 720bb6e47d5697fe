"""Hostile uploads against the real app, on SQLite and PostgreSQL: names that try to leave
the data folder, bodies over the limit (with and without a Content-Length), bombs and
PDFs with scripts. Nothing may be written outside the data folder, a refused request
leaves nothing behind, and a PDF's active content reaches a reviewer only as a flag.

The multipart bodies are built by hand here, so a file name can hold anything (NUL,
backslashes, a right-to-left override) exactly as a hostile client would send it.
"""

from __future__ import annotations

import dataclasses
import io
import os
import tempfile
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from sqlalchemy import select

from ingest.upload import MAX_FILES, MAX_NAME_BYTES
from registry import queue
from registry.models import Proposal, Submission
from tests.api.conftest import Web
from tests.ocr import fuzzing as fz

pytestmark = pytest.mark.timeout(300)

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "committed" / "bw-g4-table.pdf"
BOUNDARY = "hostile-boundary-7d3f"


def part(filename: bytes, body: bytes, *, name: bytes = b"file") -> bytes:
    return (
        b"--" + BOUNDARY.encode() + b"\r\n"
        b'Content-Disposition: form-data; name="' + name + b'"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + body + b"\r\n"
    )


def body_of(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--" + BOUNDARY.encode() + b"--\r\n"


def post(client, content, *, url: str = "/api/v1/submissions"):  # type: ignore[no-untyped-def]
    return client.post(
        url,
        content=content,
        headers={
            "content-type": f"multipart/form-data; boundary={BOUNDARY}",
            "x-csrf-token": client.csrf,
        },
    )


def tree(*roots: Path) -> set[Path]:
    """Every file, folder and link under ``roots`` (links not followed)."""
    found: set[Path] = set()
    for root in roots:
        for folder, dirs, names in os.walk(root):
            found.update(Path(folder) / n for n in (*dirs, *names))
    return found


def files(root: Path) -> set[Path]:
    """The files (and links) under ``root``: a folder made empty is not a write."""
    return {p for p in tree(root) if p.is_symlink() or not p.is_dir()}


@dataclasses.dataclass
class Watched:
    """The file system a test controls: pytest's folder for this session's tests (the
    test's own tmp folder with data and inbox, and its siblings), before and after."""

    web: Web
    root: Path
    before: set[Path]

    def new_outside_data(self) -> set[Path]:
        data = self.web.settings.data_dir.resolve()
        allowed = [data]
        if self.web.settings.database_url.startswith("sqlite:///"):
            allowed.append(Path(self.web.settings.database_url[10:]).resolve().parent)
        return {
            p
            for p in tree(self.root) - self.before
            if not any(p.resolve().is_relative_to(a) for a in allowed)
        }

    def new_in_data(self) -> set[Path]:
        data = self.web.settings.data_dir.resolve()
        return {p for p in tree(self.root) - self.before if p.resolve().is_relative_to(data)}


@pytest.fixture
def watched(web: Web, tmp_path: Path) -> Iterator[Watched]:
    root = tmp_path.parent  # this session's test folders: ours and the others'
    yield Watched(web=web, root=root, before=tree(root))


def _small_limit(web: Web, limit: int) -> None:
    ctx = web.app.state.ctx
    web.app.state.ctx = dataclasses.replace(
        ctx, config=dataclasses.replace(ctx.config, upload_max_bytes=limit)
    )


def _submissions(web: Web) -> list[Submission]:
    with web.registry.sessions() as s:
        return list(s.scalars(select(Submission).order_by(Submission.id)))


HOSTILE_NAMES: list[bytes] = [
    b"../../etc/x.pdf",
    b"..\\..\\x.pdf",
    b"/etc/passwd",
    b"C:\\Windows\\System32\\x.pdf",
    b"\\\\server\\share\\x.pdf",
    b"x\x00.pdf",
    b"..\x00/..\x00/x.pdf",
    "faktura\u202efdp.exe".encode(),
    "x\u200b\u2066.pdf".encode(),
    b".",
    b"..",
    b"...",
    b"a" * 4000 + b".pdf",  # (python-multipart refuses a header line over 4 KB)
    "å".encode() * 300 + b".pdf",
    b"%2e%2e%2f%2e%2e%2fx.pdf",
    b".signreg-taking",
    b"~/.bashrc",
]


def test_hostile_file_names_are_base_names_and_nothing_lands_outside_the_data_folder(
    web: Web, watched: Watched
) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    system_tmp = set(Path(tempfile.gettempdir()).iterdir())
    marker = uuid.uuid4().hex
    # each a different not-a-PDF (quarantined under its name) and the sample (archived)
    parts = [part(n, f"no pdf {marker} {i}\n".encode()) for i, n in enumerate(HOSTILE_NAMES)]
    response = post(client, body_of(*parts[:MAX_FILES]))
    assert response.status_code == 200, response.text
    answered = response.json()["files"]
    assert len(answered) == len(HOSTILE_NAMES)
    assert all(f["outcome"] == "quarantined" for f in answered)
    names = [f["file"] for f in answered]
    for name in names:
        assert "/" not in name and "\\" not in name and "\x00" not in name
        assert name not in ("", ".", "..") and not name.startswith(".")
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)
        assert len(name.encode()) <= MAX_NAME_BYTES
    assert names[:6] == ["x.pdf", "x.pdf", "passwd", "x.pdf", "x.pdf", "x.pdf"]
    assert names[7] == "fakturafdp.exe"  # the override gone, the real extension shown
    assert names[9:12] == ["unnamed"] * 3
    assert names[12].endswith(".pdf") and names[13].endswith(".pdf")
    assert sorted(s.file_name for s in _submissions(web)) == sorted(names)
    archived = post(client, body_of(part(b"../../../../../../tmp/evil.pdf", SAMPLE.read_bytes())))
    assert archived.json()["files"][0] == archived.json()["files"][0] | {
        "file": "evil.pdf",
        "outcome": "received",
    }
    assert watched.new_outside_data() == set()
    written = watched.new_in_data()
    assert any(p.parent.name == "quarantine" for p in written)
    assert not [p for p in written if p.is_symlink()]
    assert not (Path(tempfile.gettempdir()) / "evil.pdf").exists()
    leaked = [p for p in set(Path(tempfile.gettempdir()).iterdir()) - system_tmp if p.is_file()]
    assert not [p for p in leaked if marker.encode() in p.read_bytes()[:4096]]
    assert list((web.settings.data_dir / "uploads").glob("*")) == []  # no temp file left


def test_a_body_over_the_limit_is_refused_413_with_and_without_a_content_length(
    web: Web, watched: Watched
) -> None:
    _small_limit(web, 50_000)
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    settled = files(watched.root)  # signing in wrote nothing, but start from here

    def chunks() -> Iterator[bytes]:
        yield part(b"first.pdf", SAMPLE.read_bytes()[:10_000])[:-2] + b"\r\n"
        yield (
            b"--" + BOUNDARY.encode() + b"\r\n"
            b'Content-Disposition: form-data; name="file"; filename="big.pdf"\r\n\r\n'
        )
        for _ in range(200):  # 200 × 64 KB: far over the limit, never declared
            yield b"%" * 65_536
        yield b"\r\n--" + BOUNDARY.encode() + b"--\r\n"

    request = client.build_request(
        "POST",
        "/api/v1/submissions",
        content=chunks(),
        headers={
            "content-type": f"multipart/form-data; boundary={BOUNDARY}",
            "x-csrf-token": client.csrf,  # type: ignore[attr-defined]
        },
    )
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    chunked = client.send(request)
    assert chunked.status_code == 413 and chunked.json()["reason"] == "too_large"
    declared = post(client, body_of(part(b"big.pdf", b"%" * 60_000)))
    assert declared.status_code == 413 and declared.json()["file"] == "big.pdf"
    page = post(client, body_of(part(b"big.pdf", b"%" * 60_000)), url="/review/upload")
    assert page.status_code == 413 and "big.pdf" in page.text
    too_many = post(client, body_of(*[part(b"%d.pdf" % i, b"%PDF") for i in range(MAX_FILES + 1)]))
    assert too_many.status_code == 413 and too_many.json()["reason"] == "too_many_files"
    assert _submissions(web) == []
    assert files(watched.root) == settled  # not even the small file sent first
    assert list((web.settings.data_dir / "uploads").glob("*")) == []


def test_headers_and_unnamed_file_parts_are_bounded(web: Web) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    long_header = (
        b"--" + BOUNDARY.encode() + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="x.pdf"\r\n'
        b"X-Padding: " + b"a" * 100_000 + b"\r\n\r\n%PDF\r\n"
    )
    assert post(client, body_of(long_header)).status_code == 400
    no_file_chosen = part(b"", b"%" * 200_000)  # filename="": nowhere to go, so bounded
    assert post(client, body_of(no_file_chosen)).status_code == 400
    assert _submissions(web) == []


def test_a_decompression_bomb_uploaded_is_quarantined_at_once_with_its_reason(
    web: Web, watched: Watched
) -> None:
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    bombs = {
        b"flate.pdf": fz.flate_content_bomb_pdf(),
        b"jpeg.pdf": fz.jpeg_bomb_pdf(),
        b"objstm.pdf": fz.object_stream_bomb_pdf(),
    }
    response = post(client, body_of(*[part(n, data) for n, data in bombs.items()]))
    assert response.status_code == 200
    got = {f["file"]: (f["outcome"], f["reason"]) for f in response.json()["files"]}
    assert got == {
        "flate.pdf": ("quarantined", "stream_too_large"),
        "jpeg.pdf": ("quarantined", "too_many_pixels"),
        "objstm.pdf": ("quarantined", "stream_too_large"),
    }
    assert watched.new_outside_data() == set()


def with_script(data: bytes) -> bytes:
    """``data`` with a JavaScript open action and an embedded program added."""
    writer = pypdf.PdfWriter()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('hej');"),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    writer.add_attachment("setup.exe", b"MZ not really a program")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def scripted_read():  # type: ignore[no-untyped-def]
    """The committed sample with a script added, read by the real engine once."""
    from ocr.pipeline import extract

    data = with_script(SAMPLE.read_bytes())
    return data, extract(data)


def test_a_pdf_with_a_script_is_read_and_the_reviewer_sees_the_flag(
    web: Web, scripted_read
) -> None:  # type: ignore[no-untyped-def]
    data, read = scripted_read
    assert read.declarations and all("active_content" in d.flags for d in read.declarations)
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    response = post(client, body_of(part(b"skript.pdf", data)))
    assert response.json()["files"][0]["outcome"] == "received"
    [sub] = _submissions(web)
    t0 = sub.received_at
    with web.registry.sessions.begin() as s:
        assert queue.claim_next(session=s, worker_id="w", lease_seconds=60, now=t0) is not None
        queue.complete_submission(
            session=s, submission_id=sub.id, worker_id="w", extraction=read, now=t0
        )
    with web.registry.sessions() as s:
        [proposal] = s.scalars(select(Proposal)).all()
        assert "active_content" in (proposal.flags or [])
    page = client.get(f"/review/{proposal.id}")
    assert page.status_code == 200
    assert "Aktivt innehåll" in page.text and "öppna inte originalet" in page.text
    image = client.get(f"/review/{proposal.id}/page/{proposal.pages[0]}.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in image.headers["content-security-policy"]


def test_a_quarantined_original_is_only_ever_a_download(web: Web) -> None:
    """The one route that sends a file's own bytes sends them as an attachment that a
    browser neither sniffs nor runs."""
    _small_limit(web, 50 * 1024 * 1024)
    web.add_reviewer("anna")
    client = web.signed_in("anna")
    bad = with_script(fz.small_scan("g4"))[:-200]  # truncated: quarantined, kept as sent
    response = post(client, body_of(part(b"<script>alert(1)<\\script>.pdf", bad)))
    [answer] = response.json()["files"]
    assert answer["outcome"] == "quarantined"
    download = client.get(f"/review/quarantine/s{answer['submission_id']}/download")
    assert download.status_code == 200 and download.content == bad
    assert download.headers["content-type"] == "application/octet-stream"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "<script>" not in disposition
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]
    assert "default-src 'none'" in download.headers["content-security-policy"]
