"""The list for other sites' pages (no sign-in): an iframe page, a script, its styles.

- ``GET /embed/signatories?declaration=&county=``: an accessible Swedish HTML page of
  the verified list for an iframe (frameable: ``api.security`` leaves ``/embed/`` out
  of its no-framing headers), cached like the API (``api.public_cache``). Themed by
  the ``--signreg-*`` CSS custom properties; an iframe cannot inherit them from the
  page around it, so they can also be given as query parameters (``accent=%23005ea5``,
  ``font=Georgia``; colours as ``#hex`` or a colour name).
- ``GET /embed/signatories.js``: a small plain script that renders the same list where
  its ``<script>`` tag stands, fetched across origins from ``/api/v1/signatories``.
- ``GET /embed/signatories.css``: the styles both use (and their documentation).

The script and styles are static files served with a content ETag, Cache-Control and
CORS.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.public_bodies import cache_for
from api.public_cache import CachedBody
from api.public_http import as_response, body_headers, preflight
from api.public_query import COLOUR_PATTERN, FONT_PATTERN, Kind, PublicQuery
from api.routes.public import CountyParam, DeclarationParam

router = APIRouter(prefix="/embed", tags=["embed"])

ASSET_DIR = Path(__file__).resolve().parent.parent / "static" / "embed"
ASSET_MAX_AGE = 3600
ASSETS = {
    "signatories.js": "text/javascript; charset=utf-8",
    "signatories.css": "text/css; charset=utf-8",
}

Colour = Annotated[
    str | None,
    Query(
        pattern=COLOUR_PATTERN,
        description="Sets the CSS custom property of its name (--signreg-ink, …): "
        "#hex (write # as %23) or a colour name.",
    ),
]


@router.get(
    "/signatories",
    response_class=Response,
    summary="The verified list as an HTML page for an iframe",
    responses={
        200: {"content": {"text/html": {}}, "description": "The page (Swedish)."},
        304: {"description": "Not modified: the `If-None-Match` ETag is still the list's."},
    },
)
async def signatories_page(
    request: Request,
    declaration: DeclarationParam = None,
    county: CountyParam = None,
    font: Annotated[
        str | None,
        Query(
            pattern=FONT_PATTERN,
            description="Sets --signreg-font: font family names.",
            examples=["Georgia, serif"],
        ),
    ] = None,
    ink: Colour = None,
    muted: Colour = None,
    accent: Colour = None,
    bg: Colour = None,
    border: Colour = None,
) -> Response:
    """Organisations with county and date signed, their number and when the list last
    changed, for `<iframe src="https://HOST/embed/signatories?declaration=jamstalld-industri&county=Norrbotten">`.
    The theme parameters set the CSS custom properties of the same names."""
    theme = {"font": font, "ink": ink, "muted": muted, "accent": accent, "bg": bg, "border": border}
    query = PublicQuery.of(declaration=declaration, county=county, theme=theme)
    return as_response(await cache_for(request.app).get(Kind.EMBED, query), request)


@router.get(
    "/signatories.js",
    response_class=Response,
    summary="A script that renders the list into any page",
    responses={200: {"content": {"text/javascript": {}}}, 304: {"description": "Not modified."}},
)
def signatories_js(request: Request) -> Response:
    """`<script src="https://HOST/embed/signatories.js" data-declaration="jamstalld-industri"
    data-county="Norrbotten" async></script>`: the list appears where the tag stands."""
    return as_response(_asset("signatories.js"), request)


@router.get(
    "/signatories.css",
    response_class=Response,
    summary="The embed's styles and their CSS custom properties",
    responses={200: {"content": {"text/css": {}}}, 304: {"description": "Not modified."}},
)
def signatories_css(request: Request) -> Response:
    """The rules of `.signreg-*` elements, and in a comment the CSS custom properties
    that theme them (`--signreg-font`, `--signreg-ink`, `--signreg-accent`, …)."""
    return as_response(_asset("signatories.css"), request)


def _asset(name: str) -> CachedBody:
    path = ASSET_DIR / name
    return _load_asset(name, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load_asset(name: str, _mtime_ns: int) -> CachedBody:
    body = (ASSET_DIR / name).read_bytes()
    etag = f'"{hashlib.sha256(body).hexdigest()[:24]}"'
    entry = CachedBody(version=0, etag=etag, body=body, media_type=ASSETS[name])
    entry.headers.extend(body_headers(entry, ASSET_MAX_AGE))
    return entry


def _options() -> Response:
    return preflight()


for _path in ("/signatories", *(f"/{name}" for name in ASSETS)):
    router.add_api_route(_path, _options, methods=["OPTIONS"], include_in_schema=False)
