"""Organisations (reviewers): search by name, alias or number; edit; merge duplicates.

A reviewer limited to counties sees and changes only organisations of those counties
(or with none yet); a merge needs both in scope. Every change is audited
(``registry.organisations``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from api.deps import (
    CsrfDep,
    Forbidden,
    ReadDB,
    ReviewerDep,
    Viewer,
    WriteDB,
    gettext_for,
    now,
    render,
)
from ocr.values.county import COUNTIES
from registry import organisations as orgs
from registry.errors import Conflict, ValidationError
from registry.matching import find_candidates
from registry.merging import merge_organisations
from registry.models import Organisation, Signatory

router = APIRouter(include_in_schema=False)


def county_in_scope(viewer: Viewer, county: str | None) -> bool:
    """An organisation with no county yet is every reviewer's."""
    return not county or viewer.scope.allows_county(county)


def in_scope(viewer: Viewer, org: Organisation) -> bool:
    return county_in_scope(viewer, org.county)


def _visible(db: Session, viewer: Viewer, organisation_id: int) -> Organisation:
    org = orgs.get_organisation(session=db, organisation_id=organisation_id)
    if not in_scope(viewer, org):
        raise Forbidden("this organisation is outside your counties")
    return org


@router.get("/review/organisations")
def organisations_page(
    request: Request, viewer: ReviewerDep, db: ReadDB, q: str | None = None
) -> Response:
    found = [o for o in orgs.search_organisations(session=db, q=q) if in_scope(viewer, o)]
    counts = dict(
        db.execute(
            select(Signatory.organisation_id, func.count())
            .where(Signatory.active.is_(True), Signatory.organisation_id.in_([o.id for o in found]))
            .group_by(Signatory.organisation_id)
        ).all()
    )
    return render(
        request,
        "registry/organisations.html",
        viewer=viewer,
        nav="organisations",
        q=q or "",
        organisations=found,
        counts=counts,
        limit=orgs.SEARCH_LIMIT,
    )


def _organisation_page(
    request: Request,
    viewer: Viewer,
    db: Session,
    org: Organisation,
    *,
    error: str | None = None,
    error_field: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    members = list(
        db.scalars(
            select(Signatory)
            .where(Signatory.organisation_id == org.id)
            .options(joinedload(Signatory.declaration))
            .order_by(Signatory.id)
        )
    )
    duplicates = [
        c
        for c in find_candidates(
            session=db, name=org.name, organisation_number=org.organisation_number, limit=6
        )
        if c.organisation_id != org.id
    ]
    merged_into = (
        orgs.get_organisation(session=db, organisation_id=org.id, follow=True)
        if org.merged_into_id
        else None
    )
    return render(
        request,
        "registry/organisation.html",
        viewer=viewer,
        nav="organisations",
        status_code=status_code,
        org=org,
        members=members,
        duplicates=duplicates,
        merged_into=merged_into,
        counties=COUNTIES,
        error=error,
        error_field=error_field,
        form=form
        or {
            "name": org.name,
            "organisation_number": org.organisation_number or "",
            "county": org.county or "",
            "aliases": "\n".join(str(a) for a in org.aliases or []),
        },
    )


@router.get("/review/organisations/{organisation_id:int}")
def organisation_page(
    request: Request, organisation_id: int, viewer: ReviewerDep, db: ReadDB
) -> Response:
    return _organisation_page(request, viewer, db, _visible(db, viewer, organisation_id))


@router.post("/review/organisations/{organisation_id:int}")
def edit_organisation(
    request: Request,
    organisation_id: int,
    viewer: ReviewerDep,
    db: WriteDB,
    _csrf: CsrfDep,
    name: Annotated[str, Form()] = "",
    organisation_number: Annotated[str, Form()] = "",
    county: Annotated[str, Form()] = "",
    aliases: Annotated[str, Form()] = "",
    keep_old_name: Annotated[bool, Form()] = False,
) -> Response:
    org = _visible(db, viewer, organisation_id)
    if not county_in_scope(viewer, county):
        raise Forbidden("that county is outside your counties")
    try:
        with db.begin_nested():
            orgs.update_organisation(
                session=db,
                organisation_id=org.id,
                actor=viewer.actor,
                now=now(),
                name=name,
                number=organisation_number,
                county=county,
                aliases=aliases.splitlines(),
                keep_old_name=keep_old_name,
            )
    except (ValidationError, Conflict) as e:
        form = {
            "name": name,
            "organisation_number": organisation_number,
            "county": county,
            "aliases": aliases,
        }
        field = e.field if isinstance(e, ValidationError) else "organisation_number"
        status = 422 if isinstance(e, ValidationError) else 409
        db.refresh(org)
        return _organisation_page(
            request,
            viewer,
            db,
            org,
            error=_edit_error(request, viewer, e, field),
            error_field=field,
            form=form,
            status_code=status,
        )
    return RedirectResponse(f"/review/organisations/{org.id}?saved=1", status_code=303)


def _edit_error(request: Request, viewer: Viewer, e: Exception, field: str | None) -> str:
    _ = gettext_for(request, viewer)
    if isinstance(e, Conflict):
        text: str = _("That organisation number belongs to another organisation.")
        return text
    words = {
        "name": _("An organisation needs a name."),
        "organisation_number": _(
            "Not a valid organisation number: NNNNNN-NNNN, with a correct check digit."
        ),
        "county": _("Not a Swedish county."),
    }
    return words.get(field or "", str(e))


@router.post("/review/organisations/{organisation_id:int}/merge")
def merge_organisation(
    organisation_id: int,
    viewer: ReviewerDep,
    db: WriteDB,
    _csrf: CsrfDep,
    into: Annotated[int, Form()],
) -> Response:
    _visible(db, viewer, organisation_id)
    _visible(db, viewer, into)
    target = merge_organisations(
        session=db, organisation_id=organisation_id, into_id=into, actor=viewer.actor, now=now()
    )
    return RedirectResponse(
        f"/review/organisations/{target.id}?merged={organisation_id}", status_code=303
    )
