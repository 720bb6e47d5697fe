"""The public list's fast path: cached bodies served before FastAPI's routing.

A pure ASGI middleware. A GET or HEAD of a public body whose query reads cleanly
(``api.public_query.parse_query``: exactly what the documented routes accept) is
answered from ``api.public_cache`` with no request object, no dependency solving, no
pydantic: one version SELECT, one dict lookup, two ``send`` calls. Everything else
(a bad parameter, OPTIONS, any other path) goes on to the routes, which validate,
document and serve the same cache; their answers on these paths get the CORS headers
too, so a page on another site can read a 422's reason.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.public_bodies import cache_for
from api.public_http import CORS_HEADERS, answer
from api.public_query import Kind, PublicQuery, parse_query

PATHS: dict[str, Kind] = {
    "/api/v1/signatories": Kind.SIGNATORIES,
    "/api/v1/signatories.csv": Kind.CSV,
    "/api/v1/signatories.atom": Kind.ATOM,
    "/api/v1/declarations": Kind.DECLARATIONS,
    "/embed/signatories": Kind.EMBED,
}
_CORS_NAMES = frozenset(name for name, _ in CORS_HEADERS)


class PublicFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = PATHS.get(scope["path"]) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        parsed = _parsed(kind, scope["query_string"]) if method in ("GET", "HEAD") else None
        if parsed is None:
            await self.app(scope, receive, _with_cors(send))
            return
        entry = await cache_for(scope["app"]).get(kind, parsed[0], key=parsed[1])
        status, headers, body = answer(entry, _header(scope, b"if-none-match"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


_PARSED: dict[tuple[Kind, bytes], tuple[PublicQuery, str] | None] = {}
_PARSED_MAX = 4096


def _parsed(kind: Kind, query_string: bytes) -> tuple[PublicQuery, str] | None:
    """The query and its cache key, remembered per raw query string (the same few
    are asked again and again; parsing and normalising is most of a hit's cost)."""
    memo = (kind, query_string)
    if memo in _PARSED:
        return _PARSED[memo]
    query = parse_query(kind, query_string)
    parsed = None if query is None else (query, query.key(kind))
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[memo] = parsed
    return parsed


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _with_cors(send: Send) -> Send:
    async def send_with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(k.lower() in _CORS_NAMES for k, _ in headers):
                headers += CORS_HEADERS
            message["headers"] = headers
        await send(message)

    return send_with_cors
