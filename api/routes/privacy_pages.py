"""Personal data for admins: erasure on request and each declaration's retention rules.

``GET /admin/privacy`` has the search by organisation number and a retention form per
declaration (``POST /admin/privacy/retention/{slug}``). ``GET /admin/privacy/erase``
shows, for one number, what will be erased and what is kept and why, changing nothing;
its form (``POST /admin/privacy/erase``, CSRF as every form) erases, deletes the scans'
files after the commit and shows what was done (``ingest.erase_files.run_erasure``).
Admins only: a reviewer gets 403. Included by ``api.routes.admin``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.context import WebContext
from api.deps import AdminDep, CsrfDep, CtxDep, ReadDB, Viewer, gettext_for, now, render
from ingest.erase_files import ScanFiles, run_erasure
from registry.declarations import declarations_in
from registry.erasure import ErasureReport, preview
from registry.errors import NotFound, ValidationError
from registry.retention import MAX_MONTHS, MAX_YEARS, rules_of, set_retention

router = APIRouter(include_in_schema=False)
KEEP = ("", "never", "aldrig", "keep", "behåll")  # what a retention field may say to keep


def kept_words(_: Callable[[str], str]) -> dict[str, str]:
    """Why each thing erasure keeps is kept, in the page's language."""
    return {
        "public_entry": _(
            "The organisation's name, organisation number, county, declaration and signed "
            "date stay on the public list: they are the county board's published record of "
            "the organisation's commitment, not the signer's personal data."
        ),
        "submission_rows": _(
            "The records of the received files stay, with their checksum (sha256) and when "
            "they came: a public record that they were received, and the same file sent "
            "again is recognised. They hold no name."
        ),
        "audit_events": _(
            "The audit trail's events stay (who did what, when); the personal values in "
            "them are replaced by [raderat], and this erasure is itself an event."
        ),
        "shared_scans": _(
            "These scans also hold declarations of other organisations: they are kept for "
            "those; this organisation's values read from them are erased."
        ),
        "backups": _(
            "Backups made before today keep the data until they age out; a restore must be "
            "followed by this erasure again."
        ),
    }


def _files(ctx: WebContext) -> ScanFiles:
    c = ctx.config
    return ScanFiles.at(
        archive_dir=c.archive_dir, quarantine_dir=c.quarantine_dir, cache_dir=c.cache_dir
    )


def _overview(
    request: Request,
    viewer: Viewer,
    db: ReadDB,
    *,
    number: str = "",
    error: str | None = None,
    retention_error: tuple[str, str] | None = None,
    status: int = 200,
    flashes: list[tuple[str, str]] | None = None,
) -> Response:
    declarations = [(d, rules_of(d)) for d in declarations_in(session=db)]
    return render(
        request,
        "admin/privacy.html",
        viewer=viewer,
        nav="users",
        status_code=status,
        number=number,
        error=error,
        retention_error=retention_error,
        declarations=declarations,
        max_months=MAX_MONTHS,
        max_years=MAX_YEARS,
        flashes=flashes,
    )


@router.get("/admin/privacy")
def privacy_page(
    request: Request, viewer: AdminDep, db: ReadDB, done: str | None = None
) -> Response:
    _ = gettext_for(request, viewer)
    flashes = [("ok", _("The retention rules are saved."))] if done == "saved" else None
    return _overview(request, viewer, db, flashes=flashes)


def _report_page(
    request: Request, viewer: Viewer, report: ErasureReport, *, done: bool
) -> Response:
    _ = gettext_for(request, viewer)
    words = kept_words(_)
    kept = [(k, words.get(k.what, k.why)) for k in report.kept]
    return render(
        request,
        "admin/erase.html",
        viewer=viewer,
        nav="users",
        report=report,
        kept=kept,
        done=done,
    )


def _refusal(
    request: Request, viewer: Viewer, db: ReadDB, number: str, e: ValidationError | NotFound
) -> Response:
    _ = gettext_for(request, viewer)
    if isinstance(e, ValidationError):
        text = _("%(number)s is not a valid organisation number.") % {"number": number}
        return _overview(request, viewer, db, number=number, error=text, status=422)
    text = _("Nothing is registered for organisation number %(number)s.") % {"number": number}
    return _overview(request, viewer, db, number=number, error=text, status=404)


@router.get("/admin/privacy/erase")
def erase_preview(
    request: Request, viewer: AdminDep, db: ReadDB, organisation_number: str = ""
) -> Response:
    number = organisation_number.strip()
    try:
        report = preview(session=db, organisation_number=number)
    except (ValidationError, NotFound) as e:
        return _refusal(request, viewer, db, number, e)
    return _report_page(request, viewer, report, done=False)


@router.post("/admin/privacy/erase")
async def erase_now(
    request: Request,
    viewer: AdminDep,
    ctx: CtxDep,
    db: ReadDB,
    _csrf: CsrfDep,
    organisation_number: Annotated[str, Form()] = "",
) -> Response:
    number = organisation_number.strip()
    try:
        report = await run_in_threadpool(
            lambda: run_erasure(
                engine=ctx.registry.engine,
                sessions=ctx.sessions,
                files=_files(ctx),
                organisation_number=number,
                actor=viewer.actor,
                now=now(),
            )
        )
    except (ValidationError, NotFound) as e:
        return _refusal(request, viewer, db, number, e)
    return _report_page(request, viewer, report, done=True)


def _limit(text: str, *, most: int) -> int | None:
    """Empty (or ``never``, ``aldrig``) keeps; else a whole number from 1 to ``most``."""
    value = text.strip().lower()
    if value in KEEP:
        return None
    number = int(value)  # ValueError: not a number
    if not 1 <= number <= most:
        raise ValueError(value)
    return number


@router.post("/admin/privacy/retention/{slug}")
def save_retention(
    request: Request,
    viewer: AdminDep,
    ctx: CtxDep,
    db: ReadDB,
    _csrf: CsrfDep,
    slug: str,
    rejected_months: Annotated[str, Form()] = "",
    approved_years: Annotated[str, Form()] = "",
) -> Response:
    _ = gettext_for(request, viewer)
    try:
        months = _limit(rejected_months, most=MAX_MONTHS)
    except ValueError:
        text = _("Months: a whole number from 1 to %(n)s, or empty to keep.") % {"n": MAX_MONTHS}
        return _overview(request, viewer, db, retention_error=(slug, text), status=422)
    try:
        years = _limit(approved_years, most=MAX_YEARS)
    except ValueError:
        text = _("Years: a whole number from 1 to %(n)s, or empty to keep.") % {"n": MAX_YEARS}
        return _overview(request, viewer, db, retention_error=(slug, text), status=422)
    with ctx.sessions.begin() as write:
        set_retention(
            session=write,
            slug=slug,
            rejected_months=months,
            approved_years=years,
            actor=viewer.actor,
            now=now(),
        )
    return RedirectResponse("/admin/privacy?done=saved", status_code=303)
