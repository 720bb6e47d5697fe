"""Sign-in and sign-out, and the language switch.

Sign-in is rate-limited per user name and per client address (failures within a
window, ``registry.websessions``); a refused attempt looks the same whether the name
exists or not. The session cookie is HttpOnly, SameSite=Lax and Secure.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import CsrfDep, CtxDep, OptionalViewer, WriteDB, gettext_for, now, render
from api.security import CSRF_COOKIE, LANG_COOKIE, SESSION_COOKIE, new_token
from registry.reviewers import LOCALES, authenticate, update_reviewer
from registry.websessions import (
    end_session,
    prune,
    record_attempt,
    start_session,
    too_many_failures,
)

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no //evil.example)."""
    if not target:
        return "/review"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/review"
    return target


def _login_page(request: Request, *, error: str | None, status: int, next_: str) -> Response:
    token = request.cookies.get(CSRF_COOKIE) or new_token()
    request.cookies[CSRF_COOKIE] = token  # render() reads it from here
    response = render(
        request, "auth/login.html", status_code=status, error=error, next=safe_next(next_)
    )
    ctx = request.app.state.ctx
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="lax", secure=ctx.config.cookie_secure
    )
    return response


@router.get("/login")
def login_form(request: Request, viewer: OptionalViewer, next: str | None = None) -> Response:
    if viewer is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, error=None, status=200, next_=next or "/review")


@router.post("/login")
def login(
    request: Request,
    ctx: CtxDep,
    db: WriteDB,
    _csrf: CsrfDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/review",
) -> Response:
    _ = gettext_for(request, None)
    client = request.client.host if request.client else "unknown"
    t = now()
    if too_many_failures(
        session=db, username=username, client=client, now=t, limit=ctx.config.rate_limit
    ):
        record_attempt(session=db, username=username, client=client, success=False, now=t)
        return _login_page(
            request,
            error=_("Too many failed sign-ins. Wait a quarter of an hour and try again."),
            status=429,
            next_=next,
        )
    reviewer = authenticate(session=db, username=username, password=password)
    record_attempt(
        session=db, username=username, client=client, success=reviewer is not None, now=t
    )
    if reviewer is None:
        return _login_page(request, error=_("Wrong user name or password."), status=401, next_=next)
    # expired sessions and old attempts go here, where sign-ins happen anyway
    prune(session=db, now=t, keep=dt.timedelta(days=7))
    token, _row = start_session(
        session=db, reviewer=reviewer, now=t, lifetime=ctx.config.session_lifetime
    )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ctx.config.session_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=ctx.config.cookie_secure,
        path="/",
    )
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, db: WriteDB, _csrf: CsrfDep) -> Response:
    end_session(session=db, token=request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def set_language(
    request: Request,
    viewer: OptionalViewer,
    ctx: CtxDep,
    db: WriteDB,
    _csrf: CsrfDep,
    locale: Annotated[str, Form()] = "sv",
    next: Annotated[str, Form()] = "/review",
) -> Response:
    """Signed in: the reviewer's own language, kept on their account; else a cookie."""
    locale = locale if locale in LOCALES else ctx.config.default_locale
    response = RedirectResponse(safe_next(next), status_code=303)
    if viewer is not None:
        update_reviewer(
            session=db, reviewer_id=viewer.id, actor=viewer.actor, now=now(), locale=locale
        )
    else:
        response.set_cookie(LANG_COOKIE, locale, samesite="lax", secure=ctx.config.cookie_secure)
    return response
