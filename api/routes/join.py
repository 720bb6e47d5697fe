"""Join online (public, no sign-in): a page per declaration, the application API, the form.

- ``GET /join/{declaration}``: the declaration's text and commitments in Swedish (English
  with ``?lang=en``) and a short form; known organisations are suggested as the name is
  typed (``GET /api/v1/organisations/suggest?q=``), the organisation number is
  Luhn-checked as typed (``/static/join.js``; the server checks again).
- ``POST /api/v1/applications`` (contract): JSON ``{"declaration", "organisation",
  "organisation_number", "county", "place", "signatory_name", "signatory_title",
  "email"}`` → 201 ``{"id", "pdf"}``; 422 ``{"detail", "field", "errors": [{"field",
  "reason"}]}`` for bad values or an unknown declaration; 429 with ``Retry-After`` past
  the rate limit (applications per client address within a window, counted in the
  database so every web process shares it). The join page's own form posts here too
  (``application/x-www-form-urlencoded``): the same validation, answered with a page.
- ``GET /api/v1/applications/{id}/form.pdf``: the personalised form to print and sign,
  while the application is pending (its id, 80 random bits, is the only key to it).

The application itself is never public (``registry.applications``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from api.deps import ReadDB, gettext_for, now, render
from api.join_form import DeclarationText, FormValues, declaration_texts, form_pdf
from api.settings import Settings
from registry import applications as apps
from registry.models import Application, ApplicationStatus, Declaration
from registry.organisations import search_organisations

router = APIRouter(tags=["join"])

MAX_BODY = 16 * 1024
SUGGEST_LIMIT = 8
FIELD_ORDER = ("declaration", *apps.VALUE_FIELDS)


def _(message: str) -> str:  # marks messages for the catalogue; translated per request
    return message


REASONS: dict[str, str] = {  # registry's reasons → what the page says
    "is required": _("Fill this in."),
    "must be text": _("This must be text."),
    "contains control characters": _("This contains characters that cannot be printed."),
    "fails the Luhn check": _(
        "The organisation number's check digit is wrong: check that it is typed right."
    ),
    "is not an organisation number (NNNNNN-NNNN)": _(
        "Write the organisation number as ten digits, NNNNNN-NNNN."
    ),
    "is not a county of this declaration": _("Choose one of the counties in the list."),
    "is not an e-mail address": _("This is not an e-mail address."),
    "unknown declaration": _("There is no such declaration."),
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _text(slug: str | None) -> DeclarationText | None:
    return declaration_texts().get(slug or "")


def _known(db: ReadDB, slug: str) -> bool:
    return db.scalar(select(Declaration.id).where(Declaration.slug == slug)) is not None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _problems_json(problems: list[apps.Problem]) -> JSONResponse:
    first = problems[0]
    return JSONResponse(
        {
            "detail": f"{first.field} {first.reason}",
            "field": first.field,
            "errors": [{"field": p.field, "reason": p.reason} for p in problems],
        },
        status_code=422,
    )


def _pdf_path(application_id: str) -> str:
    return f"/api/v1/applications/{application_id}/form.pdf"


@router.get("/join/{slug}", include_in_schema=False)
def join_page(request: Request, slug: str, db: ReadDB) -> Response:
    text = _text(slug)
    if text is None or not _known(db, slug):
        _t = gettext_for(request, None)
        return render(
            request, "error.html", status_code=404, message=_t(REASONS["unknown declaration"])
        )
    return render(request, "join/page.html", text=text, values={}, errors={})


@router.get(
    "/api/v1/organisations/suggest",
    summary="Organisations the registry knows, for the join page's name field",
)
def suggest(
    db: ReadDB, q: str = Query("", max_length=100, description="a part of the name or number")
) -> JSONResponse:
    text = q.strip()
    if len(text) < 2:
        return JSONResponse({"items": []})
    found = search_organisations(session=db, q=text, limit=SUGGEST_LIMIT)
    items = [
        {"name": o.name, "organisation_number": o.organisation_number, "county": o.county}
        for o in found
    ]
    return JSONResponse({"items": items}, headers={"Cache-Control": "no-store"})


async def _body(request: Request) -> tuple[dict[str, Any] | None, bool]:
    """The posted values and whether they came from the page's form (else JSON)."""
    kind = request.headers.get("content-type", "")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return None, kind.startswith("application/x-www-form-urlencoded")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}, True
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        return None, False
    return (data if isinstance(data, dict) else None), False


@router.post(
    "/api/v1/applications",
    status_code=201,
    summary="Join online: store an application, get the personalised form to sign",
    responses={
        201: {"description": '{"id", "pdf"}: the application and the path of its PDF'},
        422: {"description": '{"detail", "field", "errors": [{"field", "reason"}]}'},
        429: {"description": "too many applications from this address; see Retry-After"},
    },
)
async def create(request: Request) -> Response:
    data, from_page = await _body(request)
    settings = _settings(request)
    if data is None:
        if from_page:
            return Response("too large", status_code=413)
        return JSONResponse(
            {"detail": "send a JSON object", "field": None, "errors": []}, status_code=422
        )
    slug = str(data.get("declaration") or "")
    text = _text(slug)
    ctx = request.app.state.ctx
    with ctx.read_sessions() as db:
        known = text is not None and _known(db, slug)
    problems: list[apps.Problem] = []
    if not known:
        problems.append(apps.Problem("declaration", "unknown declaration"))
    values, more = apps.validate_values(data, text.counties if text else ())
    problems += more
    if problems:
        if from_page and text is not None:
            return _page_with_errors(request, text, data, problems)
        return _problems_json(problems)
    assert values is not None and text is not None
    t = now()
    window = dt.timedelta(seconds=settings.application_rate_window_seconds)
    with ctx.sessions.begin() as db:
        apps.expire_applications(session=db, now=t)  # housekeeping: an indexed, small query
        client = _client(request)
        if apps.recent_from(session=db, client=client, now=t, window=window) >= (
            settings.application_rate_limit
        ):
            retry = str(int(settings.application_rate_window_seconds))
            if from_page:
                _t = gettext_for(request, None)
                return render(
                    request,
                    "error.html",
                    status_code=429,
                    headers={"Retry-After": retry},
                    message=_t(_("Too many applications from your address. Try again later.")),
                )
            return JSONResponse(
                {"detail": "too many applications from this address; try again later"},
                status_code=429,
                headers={"Retry-After": retry},
            )
        row = apps.create_application(
            session=db,
            declaration_slug=slug,
            values=values,
            client=client,
            now=t,
            lifetime=dt.timedelta(days=settings.application_days),
        )
        app_id, expires = row.id, row.expires_at
    pdf = _pdf_path(app_id)
    if from_page:
        return render(
            request, "join/done.html", status_code=201, text=text, pdf=pdf, expires=expires
        )
    return JSONResponse({"id": app_id, "pdf": pdf}, status_code=201, headers={"Location": pdf})


def _page_with_errors(
    request: Request, text: DeclarationText, data: dict[str, Any], problems: list[apps.Problem]
) -> Response:
    _t = gettext_for(request, None)
    errors = {p.field: _t(REASONS.get(p.reason, p.reason)) for p in problems}
    values = {k: str(v) for k, v in data.items() if isinstance(v, str)}
    return render(
        request, "join/page.html", status_code=422, text=text, values=values, errors=errors
    )


@router.get(
    "/api/v1/applications/{application_id}/form.pdf",
    summary="The personalised form of a pending application (print, sign, send back)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "no such form"}},
)
def form(request: Request, application_id: str, db: ReadDB) -> Response:
    row = db.get(Application, application_id) if len(application_id) <= 40 else None
    if row is None or row.status != ApplicationStatus.PENDING or row.expires_at <= now():
        return JSONResponse({"detail": "no such form"}, status_code=404)
    text = _text(row.declaration.slug)
    if text is None:
        return JSONResponse({"detail": "no such form"}, status_code=404)
    key = apps.code_key(_settings(request).secret())
    values = apps.values_of(row)
    pdf = form_pdf(
        text, FormValues(**values.as_dict()), apps.payload_of(key, row), application_id=row.id
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="ansokan-{row.id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
