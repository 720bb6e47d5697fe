"""Cookies, CSRF tokens and security headers: the web's small security toolkit.

- The session cookie (``signreg_session``) is HttpOnly, SameSite=Lax, Secure unless
  configured off, and holds a random token (``registry.websessions``).
- Every unsafe request (POST, PUT, PATCH, DELETE) carries a CSRF token, as the form
  field ``csrf_token`` or the header ``X-CSRF-Token``: a signed-in reviewer's is their
  session's own token; before sign-in it is a random value in the ``signreg_csrf``
  cookie that the sign-in form repeats (double submit).
- Pages are never framed by other sites, except the embed routes made for it.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "signreg_session"
CSRF_COOKIE = "signreg_csrf"
LANG_COOKIE = "signreg_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(str(given), str(expected))


_PAGE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_NO_FRAMING = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
]
_FRAMEABLE_PREFIXES = ("/embed/", "/api/")


class SecurityHeaders:
    """Pure ASGI middleware: nosniff and referrer policy on everything; no framing but
    for the embed and API routes (which other sites are meant to use)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(_PAGE_HEADERS)
        if not scope["path"].startswith(_FRAMEABLE_PREFIXES):
            extra += _NO_FRAMING

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
