"""HTTP for the public bodies: ETag and 304, Cache-Control, CORS, preflight.

- ``ETag`` is strong: the list's version and a digest of the normalised query (and of
  the code that shapes bodies), so it changes with the very next approval anywhere in
  the list. ``If-None-Match`` with it (or ``*``) answers 304 without a body.
- ``Cache-Control: public, max-age=N, must-revalidate`` with N the configured
  ``public_max_age``: a browser or proxy may reuse a copy for at most N seconds without
  asking, and never after that (must-revalidate: not even when this server cannot be
  reached); asking again costs one cheap 304 when nothing changed. The server itself
  is never stale (see ``api.public_cache``); N = 0 makes every use of a copy ask.
- CORS: ``Access-Control-Allow-Origin: *`` (public data, no credentials) and ETag
  exposed to scripts; OPTIONS preflights are answered. Nothing in a response depends
  on a request header other than If-None-Match (no language or encoding negotiation,
  the same ``*`` for every origin), so no ``Vary`` is sent: ``Vary: Origin`` would
  only split shared caches for nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import Response

if TYPE_CHECKING:
    from api.public_cache import CachedBody

Headers = list[tuple[bytes, bytes]]

CORS_HEADERS: Headers = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"ETag, Content-Disposition"),
]
PREFLIGHT_HEADERS: Headers = [
    *CORS_HEADERS,
    (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
    (
        b"access-control-allow-headers",
        b"Accept, Accept-Language, Content-Type, Cache-Control, If-None-Match, If-Modified-Since",
    ),
    (b"access-control-max-age", b"86400"),
]
_NOT_MODIFIED_KEEP = frozenset({b"etag", b"cache-control", *(k for k, _ in CORS_HEADERS)})


def cache_control(max_age: int) -> bytes:
    return f"public, max-age={max_age}, must-revalidate".encode()


def body_headers(entry: CachedBody, max_age: int) -> Headers:
    """The headers of a 200 with ``entry``'s body."""
    headers = [
        (b"content-type", entry.media_type.encode()),
        (b"content-length", str(len(entry.body)).encode()),
        (b"etag", entry.etag.encode()),
        (b"cache-control", cache_control(max_age)),
        *CORS_HEADERS,
    ]
    if entry.filename:
        headers.append(
            (b"content-disposition", f'attachment; filename="{entry.filename}"'.encode())
        )
    return headers


def not_modified_headers(headers: Headers) -> Headers:
    """A 304's headers: the validator, caching and CORS ones of the 200 (RFC 9110 15.4.5)."""
    return [(k, v) for k, v in headers if k in _NOT_MODIFIED_KEEP]


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: weak comparison, a list of tags, or ``*``."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def answer(entry: CachedBody, if_none_match: str | None) -> tuple[int, Headers, bytes]:
    """Status, headers and body for a GET of ``entry``."""
    if etag_matches(if_none_match, entry.etag):
        return 304, not_modified_headers(entry.headers), b""
    return 200, entry.headers, entry.body


def as_response(entry: CachedBody, request: Request) -> Response:
    status, headers, body = answer(entry, request.headers.get("if-none-match"))
    response = Response(body, status_code=status)
    response.raw_headers = list(headers)
    return response


def preflight() -> Response:
    response = Response(status_code=204)
    response.raw_headers = list(PREFLIGHT_HEADERS)
    return response
