"""The quarantine (reviewers only): bad files with their reasons; download, retry, discard.

A quarantined file has no county yet (nothing was read from it), so every reviewer
sees every one, whatever their counties; the page says so. ``{key}`` is ``s<id>`` for
a submission row, else the quarantine file's own name (looked up among the files
there, never used as a path). Retry and discard are audited
(``ingest.quarantine_review``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.context import WebContext
from api.deps import CsrfDep, CtxDep, ReadDB, ReviewerDep, Viewer, gettext_for, render
from api.local_time import local_time
from api.routes.intake_words import reason_words
from ingest.archive import Archive
from ingest.intake import Intake
from ingest.quarantine import Quarantine
from ingest.quarantine_review import QuarantineDesk, QuarantinedItem
from ingest.upload import UPLOADS_DIR
from registry.errors import NotFound

router = APIRouter(include_in_schema=False)
DOWNLOAD_CSP = "default-src 'none'; sandbox"  # nothing of a downloaded file may run


def intake_of(ctx: WebContext) -> Intake:
    """The inbox's intake, on the web's registry and data folder."""
    cfg = ctx.config
    return Intake(
        inbox=cfg.inbox,
        archive=Archive(cfg.archive_dir),
        quarantine=Quarantine(cfg.quarantine_dir),
        session_factory=ctx.sessions,
    )


def desk_of(ctx: WebContext) -> QuarantineDesk:
    return QuarantineDesk(intake=intake_of(ctx), private_dir=ctx.config.data_dir / UPLOADS_DIR)


def _item(ctx: WebContext, key: str) -> QuarantinedItem:
    desk = desk_of(ctx)
    if key.startswith("s") and key[1:].isdigit():
        with ctx.read_sessions() as session:
            item = desk.row_item(session=session, submission_id=int(key[1:]))
    else:
        item = desk.file_item(key)
    if item is None:
        raise NotFound("quarantined file", key)
    return item


@router.get("/review/quarantine")
def quarantine_page(
    request: Request,
    viewer: ReviewerDep,
    ctx: CtxDep,
    db: ReadDB,
    outcome: str | None = None,
    file: str | None = None,
) -> Response:
    desk = desk_of(ctx)
    _ = gettext_for(request, viewer)
    return render(
        request,
        "intake/quarantine.html",
        viewer=viewer,
        nav="quarantine",
        items=desk.items(session=db),
        discarded=desk.discarded(session=db)[:50],
        reasons=reason_words(_),
        when=local_time,
        flashes=_flashes(request, viewer, outcome, file),
    )


def _flashes(
    request: Request, viewer: Viewer, outcome: str | None, file: str | None
) -> list[tuple[str, str]]:
    _ = gettext_for(request, viewer)
    texts = {
        "received": _("{file} passed the checks now and is in the queue to be read."),
        "duplicate": _("{file} passed the checks; its content had been received before."),
        "quarantined": _("{file} still fails the checks and stays in quarantine."),
        "discarded": _("{file} was discarded; the audit trail keeps what it was."),
    }
    if outcome not in texts:
        return []
    kind = "error" if outcome == "quarantined" else "info"
    return [(kind, texts[outcome].format(file=file or ""))]


def _back(outcome: str, file: str) -> Response:
    query = urlencode({"outcome": outcome, "file": file})
    return RedirectResponse(f"/review/quarantine?{query}", status_code=303)


@router.get("/review/quarantine/{key}/download")
def download(key: str, viewer: ReviewerDep, ctx: CtxDep) -> Response:
    item = _item(ctx, key)
    path = desk_of(ctx).bytes_path(item)
    if path is None:
        raise NotFound("stored file", key)
    # the original as it came (maybe with scripts): a download, never shown by the browser
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=item.file_name,
        content_disposition_type="attachment",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": DOWNLOAD_CSP},
    )


@router.post("/review/quarantine/{key}/retry")
async def retry(key: str, viewer: ReviewerDep, ctx: CtxDep, _csrf: CsrfDep) -> Response:
    item = await run_in_threadpool(_item, ctx, key)
    desk = desk_of(ctx)
    if desk.bytes_path(item) is None:
        raise NotFound("stored file", key)
    outcome = await run_in_threadpool(desk.retry, item, actor=viewer.actor)
    return _back(outcome, item.file_name)


@router.post("/review/quarantine/{key}/discard")
async def discard(key: str, viewer: ReviewerDep, ctx: CtxDep, _csrf: CsrfDep) -> Response:
    item = await run_in_threadpool(_item, ctx, key)
    await run_in_threadpool(desk_of(ctx).discard, item, actor=viewer.actor)
    return _back("discarded", item.file_name)
