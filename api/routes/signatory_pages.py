"""Signatories (reviewers): the memberships with their signers; withdraw, mark lapsed,
reinstate, record a follow-up done.

The list shows signers' names, titles and e-mails, so it is for signed-in reviewers
only, and a reviewer limited to counties or declarations sees and changes only
those. Each change is audited (``registry.standing``, ``registry.follow_up``); the
forms send back to the page they came from (``next``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from api.deps import CsrfDep, Forbidden, ReadDB, ReviewerDep, Viewer, WriteDB, now, render
from api.routes.auth import safe_next
from registry import follow_up, standing
from registry.errors import NotFound, ValidationError
from registry.models import Declaration, Organisation, Signatory

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


def parse_day(value: str | None, *, default: dt.date | None = None) -> dt.date:
    """A form's ``YYYY-MM-DD`` date; empty: ``default`` (today)."""
    if not value or not value.strip():
        return default or dt.date.today()
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"not a date (YYYY-MM-DD): {value!r}", field="date") from None


def back(next_: str | None, fallback: str) -> Response:
    return RedirectResponse(safe_next(next_ or fallback), status_code=303)


def member_in_scope(db: Session, viewer: Viewer, signatory_id: int) -> Signatory:
    """The membership, if the viewer may see it (else 403; 404 when there is none)."""
    member = db.scalar(
        select(Signatory)
        .where(Signatory.id == signatory_id, Signatory.active.is_(True))
        .options(joinedload(Signatory.organisation), joinedload(Signatory.declaration))
    )
    if member is None:
        raise NotFound("signatory", signatory_id)
    if not viewer.scope.allows(
        county=member.organisation.county, declaration=member.declaration.slug
    ):
        raise Forbidden("this signatory is outside your counties or declarations")
    return member


def filter_choices(db: Session) -> dict[str, Any]:
    """The declarations and counties to filter by."""
    counties = sorted(
        {c for c in db.scalars(select(Organisation.county).distinct()) if c},
        key=str.casefold,
    )
    return {
        "declarations": list(db.scalars(select(Declaration).order_by(Declaration.slug))),
        "counties": counties,
    }


@router.get("/review/signatories")
def signatories_page(
    request: Request,
    viewer: ReviewerDep,
    db: ReadDB,
    q: str | None = None,
    declaration: str | None = None,
    county: str | None = None,
    status: str = "active",
    page: int = 1,
) -> Response:
    rows, total = standing.register_entries(
        session=db,
        scope=viewer.scope,
        q=q,
        declaration=declaration or None,
        county=county or None,
        status=status,
        page=page,
        page_size=PAGE_SIZE,
    )
    return render(
        request,
        "registry/signatories.html",
        viewer=viewer,
        nav="signatories",
        rows=rows,
        total=total,
        page=max(page, 1),
        pages=max(1, -(-total // PAGE_SIZE)),
        filters={
            "q": q or "",
            "declaration": declaration or "",
            "county": county or "",
            "status": status,
        },
        today=dt.date.today().isoformat(),
        here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        **filter_choices(db),
    )


@router.post("/review/signatories/{signatory_id:int}/withdraw")
def withdraw(
    signatory_id: int,
    viewer: ReviewerDep,
    db: WriteDB,
    _csrf: CsrfDep,
    reason: Annotated[str, Form()] = "",
    date: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/review/signatories",
) -> Response:
    member_in_scope(db, viewer, signatory_id)
    standing.withdraw_signatory(
        session=db,
        signatory_id=signatory_id,
        actor=viewer.actor,
        reason=reason,
        on=parse_day(date),
        now=now(),
    )
    return back(next, "/review/signatories")


@router.post("/review/signatories/{signatory_id:int}/lapse")
def lapse(
    signatory_id: int,
    viewer: ReviewerDep,
    db: WriteDB,
    _csrf: CsrfDep,
    date: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/review/follow-up",
) -> Response:
    member_in_scope(db, viewer, signatory_id)
    standing.mark_lapsed(
        session=db,
        signatory_id=signatory_id,
        actor=viewer.actor,
        on=parse_day(date),
        reason=reason or None,
        now=now(),
    )
    return back(next, "/review/follow-up")


@router.post("/review/signatories/{signatory_id:int}/reinstate")
def reinstate(
    signatory_id: int,
    viewer: ReviewerDep,
    db: WriteDB,
    _csrf: CsrfDep,
    reason: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/review/signatories",
) -> Response:
    member_in_scope(db, viewer, signatory_id)
    standing.reinstate_signatory(
        session=db, signatory_id=signatory_id, actor=viewer.actor, reason=reason or None, now=now()
    )
    return back(next, "/review/signatories")


@router.post("/review/signatories/{signatory_id:int}/followed-up")
def followed_up(
    signatory_id: int,
    viewer: ReviewerDep,
    db: WriteDB,
    _csrf: CsrfDep,
    date: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/review/follow-up",
) -> Response:
    member_in_scope(db, viewer, signatory_id)
    follow_up.mark_followed_up(
        session=db, signatory_id=signatory_id, actor=viewer.actor, on=parse_day(date), now=now()
    )
    return back(next, "/review/follow-up")
