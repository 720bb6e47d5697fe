"""The reviewers' queue and one proposal: look, correct, decide, go on to the next.

    GET  /review                      the queue (filters and counts in the query string)
    GET  /review/{id}                 one proposal: page, boxes, crops, values, candidates
    POST /review/{id}/approve         corrected values (+ organisation_id: approve-and-link)
    POST /review/{id}/reject          reason
    POST /review/{id}/reopen          undo a decision
    GET  /review/{id}/page/{n}.png    the page as shown      (``api.routes.review_images``)
    GET  /review/{id}/crop/{f}.png    a value's crop, or the signature's
    GET  /api/v1/proposals[/{id}]     the same as JSON (private: reviewers only)

A decision answers 303 to the next proposal of the same filtered queue, with a flash
message; a value the registry refuses re-renders the page (422) with the message beside
the field and what the reviewer typed. Everything is limited to the reviewer's scope:
a proposal outside it is 403, its images and decisions too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from api.deps import CsrfDep, ReadDB, ReviewerDep, Viewer, WriteDB, gettext_for, now
from api.review_pages import (
    FLASH_COOKIE,
    load_proposal,
    proposal_page,
    queue_page,
)
from api.review_views import filter_query, filters_from
from api.routes import review_images
from registry.errors import Conflict, InvalidTransition, NotFound, ValidationError
from registry.models import Proposal
from registry.review import EDITABLE, approve_proposal, reject_proposal, reopen_proposal
from registry.review_queue import list_queue, next_after
from registry.reviewers import Scope
from registry.schemas import ProposalOut

router = APIRouter(include_in_schema=False)
router.include_router(review_images.router)


@router.get("/review")
def queue(request: Request, viewer: ReviewerDep, db: ReadDB, page: int = 1) -> Response:
    return queue_page(request, viewer, db, page=page)


@router.get("/review/{pid:int}")
def proposal(pid: int, request: Request, viewer: ReviewerDep, db: ReadDB) -> Response:
    return proposal_page(request, viewer, db, pid)


class ApproveForm(BaseModel):
    """The approve form: every value as the reviewer left it; a candidate's button adds
    its ``organisation_id`` (approve-and-link)."""

    model_config = ConfigDict(extra="ignore")

    organisation: str | None = None
    organisation_number: str | None = None
    county: str | None = None
    place: str | None = None
    signed_date: str | None = None
    signatory_name: str | None = None
    signatory_title: str | None = None
    email: str | None = None
    declaration: str | None = None
    organisation_id: str | None = None


def _error_text(field: str | None, request: Request, viewer: Viewer) -> tuple[str, str]:
    """The field a refusal belongs to and what it says, in the page's language."""
    _ = gettext_for(request, viewer)
    texts = {
        "signed_date": _("Not a date: write it as YYYY-MM-DD (for example 2023-05-11)."),
        "organisation_number": _(
            "Not a valid organisation number: NNNNNN-NNNN with a correct check digit."
        ),
        "organisation": _("Give the organisation's name, or link a candidate below."),
        "declaration": _("Choose a declaration the registry knows."),
        "reason": _("Write why the proposal is rejected."),
        "organisation_id": _("No such organisation: choose one of the candidates."),
        "out_of_scope_county": _(
            "This county is not one of yours: leave the proposal to the reviewer of that county."
        ),
    }
    key = field if field in texts else "organisation"
    return ("county" if key == "out_of_scope_county" else key), texts[key]


def _within_scope(scope: Scope, corrections: dict[str, Any]) -> None:
    """A correction may not move a proposal out of what its reviewer decides."""
    if "county" in corrections and not scope.allows_county(corrections["county"]):
        raise ValidationError("county outside the reviewer's scope", field="out_of_scope_county")
    chosen = (corrections.get("declaration") or "").strip() or None
    if "declaration" in corrections and not scope.allows_declaration(chosen):
        raise ValidationError("declaration outside the reviewer's scope", field="declaration")


def _with_flash(request: Request, target: str, kind: str, pid: int) -> RedirectResponse:
    """303 to ``target``; the next page says what became of proposal ``pid``."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        f"{kind}:{pid}",
        httponly=True,
        samesite="lax",
        secure=request.app.state.ctx.config.cookie_secure,
        path="/",
    )
    return response


def _after_decision(
    request: Request, viewer: Viewer, db: Session, pid: int, kind: str
) -> RedirectResponse:
    """On to the next proposal of the same filtered queue (or the queue), with a flash."""
    filters = filters_from(request.query_params)
    nxt = next_after(session=db, scope=viewer.scope, filters=filters, proposal_id=pid, now=now())
    target = f"/review/{nxt}" if nxt is not None else "/review"
    return _with_flash(request, target + filter_query(filters), kind, pid)


def _refused(
    request: Request,
    viewer: Viewer,
    db: Session,
    pid: int,
    e: Exception,
    typed: dict[str, str],
) -> Response:
    if isinstance(e, Conflict):
        field, status = "organisation_number", 409
        _ = gettext_for(request, viewer)
        text = _(
            "The organisation number does not agree with the organisation chosen: "
            "correct the number or link another organisation."
        )
    else:
        field, text = _error_text(getattr(e, "field", None), request, viewer)
        status = 422
    return proposal_page(
        request, viewer, db, pid, typed=typed, errors={field: text}, status_code=status
    )


@router.post("/review/{pid:int}/approve")
def approve(
    pid: int,
    request: Request,
    viewer: ReviewerDep,
    db: WriteDB,
    _csrf: CsrfDep,
    form: Annotated[ApproveForm, Form()],
) -> Response:
    load_proposal(db, pid, viewer)
    values = form.model_dump()
    corrections = {k: values[k] for k in EDITABLE if values.get(k) is not None}
    typed = {k: v for k, v in corrections.items() if v is not None}
    raw_org = (form.organisation_id or "").strip()
    try:
        if raw_org and not raw_org.isdigit():
            raise ValidationError("not an organisation id", field="organisation_id")
        _within_scope(viewer.scope, corrections)
        with db.begin_nested():
            approve_proposal(
                session=db,
                proposal_id=pid,
                reviewer=viewer.actor,
                corrections=corrections,
                organisation_id=int(raw_org) if raw_org else None,
                now=now(),
            )
    except InvalidTransition:
        return _after_decision(request, viewer, db, pid, "already")
    except NotFound as e:
        if e.entity != "organisation":
            raise
        field = "organisation_id" if raw_org else "organisation"
        return _refused(request, viewer, db, pid, ValidationError(str(e), field=field), typed)
    except (ValidationError, Conflict) as e:
        return _refused(request, viewer, db, pid, e, typed)
    return _after_decision(request, viewer, db, pid, "approved")


@router.post("/review/{pid:int}/reject")
def reject(
    pid: int,
    request: Request,
    viewer: ReviewerDep,
    db: WriteDB,
    _csrf: CsrfDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    load_proposal(db, pid, viewer)
    try:
        with db.begin_nested():
            reject_proposal(
                session=db, proposal_id=pid, reviewer=viewer.actor, reason=reason, now=now()
            )
    except InvalidTransition:
        return _after_decision(request, viewer, db, pid, "already")
    except ValidationError as e:
        return _refused(request, viewer, db, pid, e, {"reason": reason})
    return _after_decision(request, viewer, db, pid, "rejected")


@router.post("/review/{pid:int}/reopen")
def reopen(
    pid: int,
    request: Request,
    viewer: ReviewerDep,
    db: WriteDB,
    _csrf: CsrfDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    load_proposal(db, pid, viewer)
    try:
        with db.begin_nested():
            reopen_proposal(
                session=db,
                proposal_id=pid,
                reviewer=viewer.actor,
                reason=reason.strip() or None,
                now=now(),
            )
    except (Conflict, InvalidTransition) as e:
        _ = gettext_for(request, viewer)
        text = (
            _("A later decision changed this membership: reopen that proposal first.")
            if isinstance(e, Conflict)
            else _("This proposal already awaits review.")
        )
        return proposal_page(request, viewer, db, pid, errors={"reopen": text}, status_code=409)
    filters = filters_from(request.query_params)
    return _with_flash(request, f"/review/{pid}{filter_query(filters)}", "reopened", pid)


@router.get("/api/v1/proposals")
def api_proposals(
    request: Request, viewer: ReviewerDep, db: ReadDB, page: int = 1, page_size: int = 50
) -> dict[str, Any]:
    """Private: proposals in the reviewer's scope (filters as on the queue page;
    ``status`` defaults to ``proposed``, ``all`` for every status)."""
    found = list_queue(
        session=db,
        scope=viewer.scope,
        filters=filters_from(request.query_params),
        now=now(),
        page=page,
        page_size=max(1, min(page_size, 500)),
        with_submission=True,
    )
    return {
        "items": [ProposalOut.of(p).model_dump(mode="json") for p in found.rows],
        "total": found.total,
        "page": found.page,
        "page_size": found.page_size,
    }


@router.get("/api/v1/proposals/{pid:int}")
def api_proposal(pid: int, viewer: ReviewerDep, db: ReadDB) -> dict[str, Any]:
    """Private: one proposal (403 outside the reviewer's scope)."""
    p: Proposal = load_proposal(db, pid, viewer)
    return ProposalOut.of(p).model_dump(mode="json")
