"""Uploads from the browser and from scripts, and one submission's page (reviewers only).

``POST /review/upload`` (a form, several files at once) and ``POST /api/v1/submissions``
(the same for scripts, JSON per file) take each file into the same intake as the
inbox (``ingest.upload``): hashed, archived, a duplicate recognised, a bad file
quarantined with its reason, shown at once. The OCR is left to the watcher's workers.

The body is read as a stream (``api.multipart``), so the CSRF token is checked here:
the header ``X-CSRF-Token``, or the form's ``csrf_token`` field sent before the files
(the upload form puts it first); a file over the limit stops the reading (413).
The quarantine's pages are in ``api.routes.quarantine``, included here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.context import WebContext
from api.deps import Forbidden, ReadDB, ReviewerDep, Viewer, get_ctx, gettext_for, now, render
from api.local_time import local_time
from api.multipart import MultipartError, Sink, read_multipart
from api.routes import quarantine
from api.routes.intake_words import reason_words, status_words
from api.routes.quarantine import intake_of
from api.security import CSRF_FIELD, CSRF_HEADER, same_token
from ingest.upload import Refusal, UploadRefused, UploadResult, Uploads
from registry.audit import record_event
from registry.errors import NotFound
from registry.models import Proposal, Submission

router = APIRouter()
router.include_router(quarantine.router)

PROPOSAL_URL = "/review/{id}"  # the review pages' proposal (api.routes.review)
_TEMP_MAX_AGE = 3600.0
_STATUS = {Refusal.TOO_LARGE: 413, Refusal.TOO_MANY_FILES: 413, Refusal.NOTHING_CHOSEN: 422}


def uploads_of(ctx: WebContext) -> Uploads:
    return Uploads.in_data_dir(
        intake_of(ctx), ctx.config.data_dir, max_bytes=ctx.config.upload_max_bytes
    )


async def receive_uploads(request: Request, viewer: Viewer) -> list[UploadResult]:
    """Every file of the request through the intake; raises :class:`UploadRefused`,
    :class:`MultipartError` or :class:`Forbidden` (CSRF) with nothing stored."""
    uploads = uploads_of(get_ctx(request))
    uploads.clean_temps(older_than=_TEMP_MAX_AGE, now=time.time())
    batch = uploads.batch()
    header = request.headers.get(CSRF_HEADER)

    def check_csrf(fields: Mapping[str, str]) -> None:
        if not same_token(header or fields.get(CSRF_FIELD), viewer.csrf_token):
            raise Forbidden("the form's CSRF token is missing or wrong: reload the page")

    def open_file(_field: str, filename: str, fields: Mapping[str, str]) -> Sink | None:
        check_csrf(fields)
        return batch.receive(filename) if filename else None  # "" : nothing chosen

    try:
        fields = await read_multipart(request, open_file)
        check_csrf(fields)
    except BaseException:
        batch.discard()
        raise
    if not batch.files:
        raise UploadRefused(Refusal.NOTHING_CHOSEN, "no file was chosen")
    results = await run_in_threadpool(batch.take)
    await run_in_threadpool(_record_uploads, get_ctx(request), viewer, results)
    return results


def _record_uploads(ctx: WebContext, viewer: Viewer, results: list[UploadResult]) -> None:
    """Who uploaded what: one audit event per file (the intake itself knows no person)."""
    at = now()
    with ctx.sessions.begin() as session:
        for r in results:
            record_event(
                session=session,
                actor=viewer.actor,
                action="submission.upload",
                entity="submission",
                entity_id=r.submission_id if r.submission_id is not None else r.file_name,
                after=r.to_dict(),
                now=at,
            )


@router.get("/review/upload", include_in_schema=False)
def upload_page(request: Request, viewer: ReviewerDep) -> Response:
    return _upload_page(request, viewer)


def _upload_page(
    request: Request,
    viewer: Viewer,
    *,
    results: list[dict[str, Any]] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = get_ctx(request)
    _ = gettext_for(request, viewer)
    return render(
        request,
        "intake/upload.html",
        viewer=viewer,
        nav="upload",
        status_code=status_code,
        results=results,
        error=error,
        reasons=reason_words(_),
        when=local_time,
        max_mb=_limit_mb(ctx),
    )


def _limit_mb(ctx: WebContext) -> int:
    """The upload limit as the pages say it, in whole MB (at least 1)."""
    return max(1, ctx.config.upload_max_bytes // (1024 * 1024))


def refusal_text(request: Request, viewer: Viewer, e: UploadRefused) -> str:
    _ = gettext_for(request, viewer)
    ctx = get_ctx(request)
    if e.reason == Refusal.TOO_LARGE:
        text: str = _("The file {name} is larger than {limit} MB: nothing was stored.")
        return text.format(name=e.file_name or "", limit=_limit_mb(ctx))
    if e.reason == Refusal.TOO_MANY_FILES:
        text = _("At most {count} files at a time: nothing was stored.")
        return text.format(count=uploads_of(ctx).max_files)
    words: str = reason_words(_).get(e.reason, e.message)
    return words


@router.post("/review/upload", include_in_schema=False)
async def upload(request: Request, viewer: ReviewerDep) -> Response:
    _ = gettext_for(request, viewer)
    try:
        results = await receive_uploads(request, viewer)
    except UploadRefused as e:
        return _upload_page(
            request,
            viewer,
            error=refusal_text(request, viewer, e),
            status_code=_STATUS.get(e.reason, 422),
        )
    except MultipartError:
        return _upload_page(
            request,
            viewer,
            error=_("The upload was not a form with files. Try again from this page."),
            status_code=400,
        )
    shown = await run_in_threadpool(_describe, get_ctx(request), results)
    status = 200 if any(r.outcome != "refused" for r in results) else 422
    return _upload_page(request, viewer, results=shown, status_code=status)


def _describe(ctx: WebContext, results: list[UploadResult]) -> list[dict[str, Any]]:
    """Each result with what the page shows: the original of a duplicate."""
    ids = {r.submission_id for r in results if r.outcome == "duplicate" and r.submission_id}
    originals: dict[int, Submission] = {}
    if ids:
        with ctx.read_sessions() as session:
            originals = {
                s.id: s for s in session.scalars(select(Submission).where(Submission.id.in_(ids)))
            }
    return [
        {
            "result": r,
            "original": originals.get(r.submission_id) if r.submission_id else None,
        }
        for r in results
    ]


@router.post(
    "/api/v1/submissions",
    tags=["submissions"],
    summary="Upload scans (signed-in reviewers)",
    description=(
        "Multipart form with one or more `file` parts, and the session's CSRF token in "
        "the `X-CSRF-Token` header. Each file goes through the same intake as the inbox. "
        'Answers `{"files": [{"file", "outcome", "sha256", "reason", '
        '"submission_id"}]}` with outcome `received`, `duplicate`, `quarantined` or '
        "`refused`; 413 for a file over the limit (nothing stored); 401 without sign-in."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            }
                        },
                    }
                }
            },
        }
    },
)
async def upload_api(request: Request, viewer: ReviewerDep) -> Response:
    try:
        results = await receive_uploads(request, viewer)
    except UploadRefused as e:
        return JSONResponse(
            {"detail": e.message, "reason": e.reason.value, "file": e.file_name},
            status_code=_STATUS.get(e.reason, 422),
        )
    except MultipartError as e:
        return JSONResponse({"detail": str(e)}, status_code=400)
    status = 200 if any(r.outcome != "refused" for r in results) else 422
    return JSONResponse({"files": [r.to_dict() for r in results]}, status_code=status)


@router.get("/review/submissions/{submission_id}", include_in_schema=False)
def submission_page(
    request: Request, submission_id: int, viewer: ReviewerDep, db: ReadDB
) -> Response:
    """One received file: its status, every arrival, and the proposals read from it
    that the viewer may see (a file has no county before it is read)."""
    row = db.scalar(
        select(Submission)
        .where(Submission.id == submission_id)
        .options(selectinload(Submission.arrivals), selectinload(Submission.proposals))
    )
    if row is None:
        raise NotFound("submission", submission_id)
    proposals: list[Proposal] = [
        p
        for p in row.proposals
        if viewer.scope.allows(county=p.county, declaration=p.declaration_slug)
    ]
    _ = gettext_for(request, viewer)
    return render(
        request,
        "intake/submission.html",
        viewer=viewer,
        nav="upload",
        submission=row,
        proposals=proposals,
        hidden=len(row.proposals) - len(proposals),
        proposal_url=PROPOSAL_URL,
        reasons=reason_words(_),
        statuses=status_words(_),
        when=local_time,
    )
