"""Dependencies shared by the routes: database sessions, the signed-in reviewer, CSRF,
rendering. ``Annotated`` aliases keep route signatures short::

    @router.post("/review/{pid}/approve")
    def approve(pid: int, viewer: ReviewerDep, db: WriteDB, _: CsrfDep) -> Response: ...

Who may see what is decided in ``registry.reviewers.Scope``; here only whether someone
is signed in (else 401 for the API, a redirect to the sign-in page for pages) and
whether they are an admin (else 403).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUploadFile

from api.context import WebContext
from api.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    LANG_COOKIE,
    SESSION_COOKIE,
    same_token,
)
from registry.models import Role
from registry.reviewers import Scope
from registry.websessions import find_session


class NotSignedIn(Exception):
    """No live session: the API answers 401, pages redirect to the sign-in page."""


class Forbidden(Exception):
    """Signed in, but not allowed (not an admin, outside one's counties, bad CSRF)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in reviewer, as the routes need them (no ORM object outlives a request)."""

    id: int
    username: str
    display_name: str
    role: str
    scope: Scope
    locale: str
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def actor(self) -> str:
        """How decisions are signed in the audit trail."""
        return f"web:{self.username}"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def get_ctx(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


CtxDep = Annotated[WebContext, Depends(get_ctx)]


def read_db(ctx: CtxDep) -> Iterator[Session]:
    """A session for reading (deferred BEGIN on SQLite: never waits for a writer)."""
    with ctx.read_sessions() as session:
        yield session


def write_db(ctx: CtxDep) -> Iterator[Session]:
    """A session whose transaction commits when the route returns without an error."""
    with ctx.sessions.begin() as session:
        yield session


ReadDB = Annotated[Session, Depends(read_db)]
WriteDB = Annotated[Session, Depends(write_db)]


def optional_viewer(request: Request, ctx: CtxDep) -> Viewer | None:
    if hasattr(request.state, "viewer"):  # looked up once per request
        cached: Viewer | None = request.state.viewer
        return cached
    viewer = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with ctx.read_sessions() as session:
            row = find_session(session=session, token=token, now=now())
            if row is not None:
                r = row.reviewer
                viewer = Viewer(
                    id=r.id,
                    username=r.username,
                    display_name=r.display_name,
                    role=r.role,
                    scope=Scope.of(r),
                    locale=r.locale,
                    csrf_token=row.csrf_token,
                )
    request.state.viewer = viewer
    return viewer


OptionalViewer = Annotated[Viewer | None, Depends(optional_viewer)]


def require_reviewer(viewer: OptionalViewer) -> Viewer:
    if viewer is None:
        raise NotSignedIn()
    return viewer


ReviewerDep = Annotated[Viewer, Depends(require_reviewer)]


def require_admin(viewer: ReviewerDep) -> Viewer:
    if not viewer.is_admin:
        raise Forbidden("admins only")
    return viewer


AdminDep = Annotated[Viewer, Depends(require_admin)]


async def verify_csrf(request: Request, viewer: OptionalViewer) -> None:
    """Every unsafe request carries its CSRF token (form field or header), else 403."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
        for part in form.values():  # no route takes files through here (uploads stream
            if isinstance(part, StarletteUploadFile):  # their own body): close any sent
                await part.close()
    expected = viewer.csrf_token if viewer else request.cookies.get(CSRF_COOKIE)
    if not same_token(given, expected):
        raise Forbidden("the form's CSRF token is missing or wrong: reload the page and try again")


CsrfDep = Annotated[None, Depends(verify_csrf)]


def locale_of(request: Request, viewer: Viewer | None, ctx: WebContext) -> str:
    if viewer is not None:
        return viewer.locale
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return lang if lang in ctx.i18n.environments else ctx.config.default_locale


def render(
    request: Request,
    template: str,
    *,
    viewer: Viewer | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in the viewer's language, with what every template expects."""
    ctx = get_ctx(request)
    locale = locale_of(request, viewer, ctx)
    env = ctx.i18n.env(locale)
    csrf = viewer.csrf_token if viewer else request.cookies.get(CSRF_COOKIE)
    html = env.get_template(template).render(
        request=request,
        viewer=viewer,
        csrf_token=csrf,
        locale=locale,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=headers)


def gettext_for(request: Request, viewer: Viewer | None) -> Any:
    """``_`` for messages made in a route (flash messages, errors), in the page's language."""
    ctx = get_ctx(request)
    locale = locale_of(request, viewer, ctx)
    return lambda message: ctx.i18n.gettext(locale, message)
