"""The database out of reach: 503 with ``Retry-After``, never a 500 and its trace.

A pure ASGI middleware around everything that may touch the database (the public fast
path and the routes). A request that fails because the database cannot be reached just
now (stopped, restarting, a dropped connection: :func:`registry.db.database_unavailable`)
is answered ``503 Service Unavailable`` with ``Retry-After`` (:data:`RETRY_AFTER_SECONDS`)
and a clear message: a page in the visitor's language (Swedish first, English) for a
browser, JSON (``{"detail": …, "status": "unavailable"}``) for the API and anything
else. Nothing is served from memory meanwhile: the public list's cache is checked
against the database on every request, and a list that might be out of date is not
given out as current.

No restart is needed once the database is back: PostgreSQL connections are checked
as they are taken from the pool (``pool_pre_ping``, :func:`registry.db.make_engine`),
so the first request after the outage gets a new connection.

Any other error, and one raised after the answer has begun, goes on unchanged.
"""

from __future__ import annotations

import structlog
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.db import database_unavailable

log = structlog.get_logger("api.unavailable")

RETRY_AFTER_SECONDS = 10
DETAIL = "the database cannot be reached just now; try again shortly"
HEADERS = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def _first_line(error: BaseException) -> str:
    cause = str(getattr(error, "orig", None) or error).strip().splitlines()
    return cause[0] if cause else type(error).__name__


def unavailable_response(request: Request) -> Response:
    """The 503 answer for ``request``: a page for a browser, JSON for the rest."""
    from api.app import wants_html

    path = request.url.path
    if path == "/healthz" or not wants_html(request) or path.endswith((".csv", ".atom")):
        return JSONResponse(
            {"status": "unavailable", "detail": DETAIL}, status_code=503, headers=HEADERS
        )
    from api.deps import render

    return render(request, "status/unavailable.html", status_code=503, headers=HEADERS)


class DatabaseUnavailable:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as e:
            if started or not database_unavailable(e):
                raise
            log.warning(
                "web.database_unavailable",
                method=scope["method"],
                path=scope["path"],
                error=_first_line(e),
            )
            await unavailable_response(Request(scope))(scope, receive, send)
