"""The two review pages rendered: the queue, and one proposal (also re-rendered with
the reviewer's values and the registry's objections after a refused decision)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from api.deps import Forbidden, Viewer, gettext_for, now, render
from api.review_views import (
    badges,
    candidate_views,
    facet_options,
    field_views,
    filter_query,
    filters_from,
    first_unsure,
    page_boxes,
    queue_row,
    signature_text,
)
from registry.declarations import declarations_in
from registry.errors import NotFound
from registry.models import Proposal, ProposalStatus, Submission
from registry.review_queue import (
    earlier_approval,
    facet_counts,
    list_queue,
    neighbours,
    queue_size,
)

FLASH_COOKIE = "signreg_review_flash"
PAGE_SIZE = 50


def load_proposal(db: Session, pid: int, viewer: Viewer) -> Proposal:
    """The proposal with its submission; 404 if none, 403 outside the viewer's scope."""
    row = db.scalar(
        select(Proposal).options(joinedload(Proposal.submission)).where(Proposal.id == pid)
    )
    if row is None:
        raise NotFound("proposal", pid)
    if not viewer.scope.allows(county=row.county, declaration=row.declaration_slug):
        raise Forbidden("this proposal is outside the counties and declarations you review")
    return row


def scan_of(p: Proposal) -> str:
    """The sha256 of the proposal's archived scan (404 when it was never archived, or
    was deleted: erasure or retention)."""
    if not p.submission.archive_path or p.submission.scan_deleted_at is not None:
        raise NotFound("archived scan of proposal", p.id)
    return p.submission.sha256


def _flashes(request: Request, viewer: Viewer) -> list[tuple[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE) or ""
    kind, _sep, pid = raw.partition(":")
    if not pid.isdigit():
        return []
    _ = gettext_for(request, viewer)
    texts = {
        "approved": _("Proposal {id} approved."),
        "rejected": _("Proposal {id} rejected."),
        "reopened": _("Proposal {id} reopened: it awaits review again."),
        "already": _("Proposal {id} was already decided; nothing was changed."),
    }
    return [("info", texts[kind].format(id=pid))] if kind in texts else []


def _page(request: Request, viewer: Viewer, template: str, status: int, **ctx: Any) -> Response:
    response = render(
        request,
        template,
        viewer=viewer,
        nav="queue",
        status_code=status,
        flashes=_flashes(request, viewer),
        **ctx,
    )
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def queue_page(request: Request, viewer: Viewer, db: Session, *, page: int = 1) -> Response:
    _ = gettext_for(request, viewer)
    t = now()
    filters = filters_from(request.query_params)
    found = list_queue(
        session=db, scope=viewer.scope, filters=filters, now=t, page=page, page_size=PAGE_SIZE
    )
    facets = facet_counts(session=db, scope=viewer.scope, filters=filters, now=t)
    query = filter_query(filters)
    return _page(
        request,
        viewer,
        "review/queue.html",
        200,
        rows=[queue_row(p, t, _) for p in found.rows],
        found=found,
        filters=filters,
        options=facet_options(facets, filters, _),
        query=query,
        page_link=lambda n: "/review" + filter_query(filters, page=n),
    )


def _next_scan_page(db: Session, pid: int | None) -> str | None:
    """The first page image of the next proposal, for the browser to fetch ahead."""
    if pid is None:
        return None
    row = db.execute(
        select(Proposal.pages, Submission.archive_path)
        .join(Submission, Submission.id == Proposal.submission_id)
        .where(Proposal.id == pid)
    ).first()
    if row is None or not row.archive_path or not row.pages:
        return None
    return f"/review/{pid}/page/{int(row.pages[0])}.png"


def proposal_page(
    request: Request,
    viewer: Viewer,
    db: Session,
    pid: int,
    *,
    typed: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = gettext_for(request, viewer)
    t = now()
    p = load_proposal(db, pid, viewer)
    filters = filters_from(request.query_params)
    newer, older = neighbours(
        session=db, scope=viewer.scope, filters=filters, proposal_id=pid, now=t
    )
    has_scan = bool(p.submission.archive_path)
    errors = errors or {}
    fields = field_views(p, _, typed=typed, errors=errors, has_scan=has_scan)
    earlier = earlier_approval(session=db, proposal=p)
    scope = viewer.scope
    declarations = declarations_in(session=db, scope=scope)
    verdict, verdict_class = signature_text(p.signature or {}, _)
    query = filter_query(filters)
    return _page(
        request,
        viewer,
        "review/proposal.html",
        status_code,
        p=p,
        org_read=p.value("organisation"),
        decided=p.status != ProposalStatus.PROPOSED,
        fields=fields,
        first_unsure=first_unsure(fields),
        boxes=page_boxes(fields, p.signature or {}, _),
        has_scan=has_scan,
        signature=p.signature or {},
        verdict=verdict,
        verdict_class=verdict_class,
        earlier=earlier if earlier is not None and earlier.submission.archive_path else None,
        badges=badges(p.flags or [], _),
        candidates=candidate_views(p.candidates or [], _),
        declarations=declarations,
        declaration_value=(typed or {}).get("declaration", p.declaration_slug or ""),
        reason_value=(typed or {}).get("reason", ""),
        errors=errors,
        query=query,
        newer=None if newer is None else f"/review/{newer}{query}",
        older=None if older is None else f"/review/{older}{query}",
        left=queue_size(session=db, scope=scope, filters=filters, now=t),
        queue_link="/review" + query,
        prefetch=_next_scan_page(db, older),
    )
