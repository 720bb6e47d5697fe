"""The public API (no sign-in): declarations, the verified list as JSON, CSV and Atom.

Contract (``shared/design.md``): ``GET /api/v1/signatories?declaration=&county=&q=&page=
&page_size=&status=`` gives ``{"items": [{organisation, organisation_number, county,
declaration, signed_date, verified_at, follow_up_due}], "total", "page", "page_size"}``;
with ``?status=`` (active, withdrawn, lapsed, all) every item also has ``status`` and
``status_since``. Never a signer's name, title, e-mail or scan.

These routes validate and document; the bodies come from ``api.public_cache`` (keyed on
the list version, so never stale) and ``api.public_fast`` serves valid requests for
cached bodies before routing. ETag/304, Cache-Control and CORS: ``api.public_http``.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from api.public_bodies import cache_for
from api.public_http import as_response, preflight
from api.public_query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_TEXT, Kind, PublicQuery
from registry.schemas import DeclarationPublic, SignatoryPublic
from registry.signatories import StatusFilter

router = APIRouter(prefix="/api/v1", tags=["public"])

_ITEM = SignatoryPublic.model_config.get("json_schema_extra", {})["examples"][0]  # type: ignore[index]


class SignatoryPage(BaseModel):
    """One page of the verified list."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [_ITEM], "total": 1, "page": 1, "page_size": 100}]
        }
    )

    items: list[SignatoryPublic]
    total: int
    page: int
    page_size: int


class DeclarationList(BaseModel):
    items: list[DeclarationPublic]
    total: int


DeclarationParam = Annotated[
    str | None,
    Query(
        max_length=MAX_TEXT,
        description="Only this declaration (its slug, as in /api/v1/declarations).",
        examples=["jamstalld-industri"],
    ),
]
CountyParam = Annotated[
    str | None,
    Query(
        max_length=MAX_TEXT,
        description="Only organisations in this county (län); case does not matter, and "
        "'Norrbottens län' is 'Norrbotten'.",
        examples=["Norrbotten"],
    ),
]
SearchParam = Annotated[
    str | None,
    Query(
        max_length=MAX_TEXT,
        description="Search organisation names (a part of the name, any case) and "
        "organisation numbers.",
        examples=["kommun"],
    ),
]
StatusParam = Annotated[
    StatusFilter | None,
    Query(
        description="Which standing: active (the default), withdrawn, lapsed (the "
        "follow-up was not answered) or all. When given, every item also has `status` "
        "and `status_since` (null while active). Withdrawn and lapsed entries are never "
        "listed as active.",
        examples=["all"],
    ),
]
PageParam = Annotated[int, Query(ge=1, description="Page number, from 1.")]
PageSizeParam = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Entries per page, 1 to {MAX_PAGE_SIZE}.")
]


async def list_filters(
    declaration: DeclarationParam = None,
    county: CountyParam = None,
    q: SearchParam = None,
    status: StatusParam = None,
) -> PublicQuery:
    """The filters the list, its CSV and its feed share."""
    return PublicQuery.of(declaration=declaration, county=county, q=q, status=status)


Filters = Annotated[PublicQuery, Depends(list_filters)]

_CACHING: dict[int | str, Any] = {
    304: {"description": "Not modified: the `If-None-Match` ETag is still the list's."},
}
_CSV_EXAMPLE = (
    "organisation,organisation_number,county,declaration,signed_date,verified_at,follow_up_due\r\n"
    "Boliden Mineral AB,556051-3101,Västerbotten,jamstalld-industri,2023-05-11,"
    "2023-05-16T08:12:00Z,2025-05-11\r\n"
)


def _responses(media_type: str | None = None, example: str | None = None) -> dict[int | str, Any]:
    out: dict[int | str, Any] = dict(_CACHING)
    if media_type:
        out[200] = {"content": {media_type: {"example": example}}, "description": "The list."}
    return out


@router.get(
    "/declarations",
    response_model=DeclarationList,
    summary="Declarations and their number of verified signatories",
    responses=_responses(),
)
async def declarations(request: Request) -> Response:
    """Every declaration with its number of active verified signatories, in all and per
    county."""
    return as_response(await cache_for(request.app).get(Kind.DECLARATIONS, PublicQuery()), request)


@router.get(
    "/signatories",
    response_model=SignatoryPage,
    summary="The verified signatories",
    responses=_responses(),
)
async def signatories(
    request: Request,
    filters: Filters,
    page: PageParam = 1,
    page_size: PageSizeParam = DEFAULT_PAGE_SIZE,
) -> Response:
    """Verified organisations in Swedish alphabetical order, a page at a time. Never a
    signer's name, title or e-mail."""
    query = dataclasses.replace(filters, page=page, page_size=page_size)
    return as_response(await cache_for(request.app).get(Kind.SIGNATORIES, query), request)


@router.get(
    "/signatories.csv",
    response_class=Response,
    summary="The verified signatories as CSV",
    responses=_responses("text/csv", _CSV_EXAMPLE),
)
async def signatories_csv(request: Request, filters: Filters) -> Response:
    """Every matching entry (no pages), UTF-8, a header row; with `?status=` also the
    columns `status` and `status_since`."""
    return as_response(await cache_for(request.app).get(Kind.CSV, filters), request)


@router.get(
    "/signatories.atom",
    response_class=Response,
    summary="An Atom feed of newly verified signatories",
    responses=_responses(
        "application/atom+xml",
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">…</feed>',
    ),
)
async def signatories_atom(request: Request, filters: Filters) -> Response:
    """The 50 most recently verified entries, newest first (RFC 4287), so that partner
    sites can follow; each entry's summary in Swedish."""
    return as_response(await cache_for(request.app).get(Kind.ATOM, filters), request)


def _options() -> Response:
    return preflight()


for _path in ("/declarations", "/signatories", "/signatories.csv", "/signatories.atom"):
    router.add_api_route(_path, _options, methods=["OPTIONS"], include_in_schema=False)
