"""How each public body is made from the registry, and the app's cache of them.

One builder per :class:`~api.public_query.Kind`: the JSON list, the declarations, the
CSV, the Atom feed and the embed page. Builders run in a worker thread inside one read
transaction and return bytes (``api.public_cache`` keeps them); the Swedish texts come
from the ``public.po`` catalogue.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.context import WebContext
from api.public_cache import Builder, Built, PublicCache
from api.public_formats import (
    FeedLinks,
    atom_feed,
    csv_text,
    declarations_list,
    last_change,
    signatories_page,
    swedish_date,
)
from api.public_http import body_headers
from api.public_query import THEME_VARIABLES, Kind, PublicQuery
from registry.models import Declaration
from registry.signatories import StatusFilter, public_declarations, public_entries

JSON = "application/json"
CSV = "text/csv; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
HTML = "text/html; charset=utf-8"
LOCALE = "sv"
API_DIR = Path(__file__).parent
# what shapes the bodies: a change of any of these changes every ETag
SHAPING_FILES = (
    "public_bodies.py",
    "public_formats.py",
    "templates/public/embed.html",
    "locale/sv/LC_MESSAGES/public.po",
    "../registry/schemas.py",
)


class Builders:
    """The builders of one app (its public address and Swedish catalogue)."""

    def __init__(self, ctx: WebContext) -> None:
        self.base_url = ctx.config.public_url
        self.i18n = ctx.i18n

    def _(self, message: str) -> str:
        return self.i18n.gettext(LOCALE, message)

    def all(self) -> dict[Kind, Builder]:
        return {
            Kind.SIGNATORIES: self.signatories,
            Kind.DECLARATIONS: self.declarations,
            Kind.CSV: self.csv,
            Kind.ATOM: self.atom,
            Kind.EMBED: self.embed,
        }

    def _entries(
        self, session: Session, query: PublicQuery, status: StatusFilter | None = None
    ) -> Any:
        return public_entries(
            session=session,
            declaration=query.declaration,
            county=query.county,
            q=query.q,
            status=status or query.status_filter,
        )

    def signatories(self, session: Session, query: PublicQuery) -> Built:
        entries = self._entries(session, query)
        start = (query.page - 1) * query.page_size
        items = [e.item for e in entries[start : start + query.page_size]]
        body = signatories_page(
            items,
            total=len(entries),
            page=query.page,
            page_size=query.page_size,
            with_status=query.with_status,
        )
        return Built(body, JSON)

    def declarations(self, session: Session, _query: PublicQuery) -> Built:
        return Built(declarations_list(public_declarations(session=session)), JSON)

    def csv(self, session: Session, query: PublicQuery) -> Built:
        items = [e.item for e in self._entries(session, query)]
        text = csv_text(items, with_status=query.with_status)
        name = "-".join(
            ["signatories", *map(_ascii_slug, filter(None, [query.declaration, query.county]))]
        )
        return Built(text.encode("utf-8"), CSV, filename=f"{name}.csv")

    def atom(self, session: Session, query: PublicQuery) -> Built:
        titles = _titles(session)
        title = self._("Newly verified signatories")
        if query.declaration:
            title += ": " + titles.get(query.declaration, query.declaration)
        if query.county_name:
            title += f" ({query.county_name})"
        key = query.key(Kind.ATOM)
        links = FeedLinks(
            base_url=self.base_url,
            self_url=f"{self.base_url}/api/v1/signatories.atom" + (f"?{key}" if key else ""),
            html_url=self._embed_url(query),
        )
        body = atom_feed(
            self._entries(session, query), titles=titles, feed_title=title, links=links, _=self._
        )
        return Built(body, ATOM)

    def embed(self, session: Session, query: PublicQuery) -> Built:
        titles = _titles(session)
        title = titles.get(query.declaration) if query.declaration else None
        items = [e.item for e in self._entries(session, query, StatusFilter.ACTIVE)]
        updated = last_change(items)
        html = (
            self.i18n.env(LOCALE)
            .get_template("public/embed.html")
            .render(
                heading=self._heading(title, query.county_name),
                items=items,
                titles=None if query.declaration else titles,
                updated=updated,
                updated_text=swedish_date(updated.date()) if updated else None,
                swedish_date=swedish_date,
                theme_css="; ".join(f"{THEME_VARIABLES[n]}: {v}" for n, v in query.theme),
                csv_url=f"{self.base_url}/api/v1/signatories.csv?{query.key(Kind.CSV)}".rstrip("?"),
            )
        )
        return Built(html.encode("utf-8"), HTML)

    def _heading(self, title: str | None, county: str | None) -> str:
        if title:
            heading = self._("Organisations that have signed {declaration}")
            heading = heading.format(declaration=title)
        else:
            heading = self._("Organisations that have signed")
        if county:
            heading += " " + self._("in {county}").format(county=county)
        return heading

    def _embed_url(self, query: PublicQuery) -> str:
        key = query.key(Kind.EMBED)
        return f"{self.base_url}/embed/signatories" + (f"?{key}" if key else "")


def _titles(session: Session) -> dict[str, str]:
    rows = session.execute(select(Declaration.slug, Declaration.title))
    return {slug: title for slug, title in rows}


def _ascii_slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def generation() -> str:
    """A digest of the code and texts that shape the bodies."""
    digest = hashlib.sha256()
    for name in SHAPING_FILES:
        path = API_DIR / name
        digest.update(path.read_bytes() if path.exists() else name.encode())
    return digest.hexdigest()[:16]


def cache_for(app: Any) -> PublicCache:
    """The app's cache of public bodies, made on first use."""
    cache: PublicCache | None = getattr(app.state, "public_cache", None)
    if cache is None:
        ctx: WebContext = app.state.ctx
        max_age = ctx.config.public_max_age
        cache = PublicCache(
            engine=ctx.registry.engine,
            read_sessions=ctx.read_sessions,
            builders=Builders(ctx).all(),
            headers=lambda entry: body_headers(entry, max_age),
            generation=generation(),
        )
        app.state.public_cache = cache
    return cache
