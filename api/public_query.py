"""What a public request asks for, normalised: the cache key and the ETag's half.

``Norrbotten``, ``norrbotten`` and ``Norrbottens län`` are one query; so are ``q=Luleå``
and ``q=  LULEÅ``. Each kind of public body uses only its own parameters (the CSV and
the feed have no pages), so unused ones do not split the cache.

:func:`parse_query` is the fast path's strict reader of a raw query string: it accepts
exactly what the documented FastAPI routes accept, with the same limits, and answers
None for anything else, which then goes to those routes (and gets their 422).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from registry.signatories import StatusFilter, county_filter_key, search_key

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_TEXT = 200  # longest declaration, county or search text accepted
COLOUR_PATTERN = r"^(#[0-9A-Fa-f]{3,8}|[A-Za-z]{3,20})$"
FONT_PATTERN = r"^[A-Za-z0-9 ,\-]{1,80}$"
# the embed's theme parameters and the CSS custom property each one sets
THEME_VARIABLES = {
    "font": "--signreg-font",
    "ink": "--signreg-ink",
    "muted": "--signreg-muted",
    "accent": "--signreg-accent",
    "bg": "--signreg-bg",
    "border": "--signreg-border",
}
_THEME_RE = {
    name: re.compile(FONT_PATTERN if name == "font" else COLOUR_PATTERN) for name in THEME_VARIABLES
}
_DIGITS = re.compile(r"^[0-9]{1,9}$")
_STATUSES = frozenset(s.value for s in StatusFilter)


class Kind(enum.StrEnum):
    """The public bodies, each cached on its own."""

    SIGNATORIES = "signatories"
    CSV = "signatories.csv"
    ATOM = "signatories.atom"
    DECLARATIONS = "declarations"
    EMBED = "embed"


_FILTERS = ("declaration", "county", "q", "status")
KIND_PARAMS: dict[Kind, tuple[str, ...]] = {
    Kind.SIGNATORIES: (*_FILTERS, "page", "page_size"),
    Kind.CSV: _FILTERS,
    Kind.ATOM: _FILTERS,
    Kind.DECLARATIONS: (),
    Kind.EMBED: ("declaration", "county", *THEME_VARIABLES),
}


@dataclass(frozen=True, slots=True)
class PublicQuery:
    declaration: str | None = None
    county: str | None = None  # as compared: county_filter_key
    q: str | None = None  # as compared: search_key
    status: StatusFilter | None = None  # None: not asked (no status fields in the output)
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    theme: tuple[tuple[str, str], ...] = ()  # (parameter, value), in THEME_VARIABLES order

    @classmethod
    def of(
        cls,
        *,
        declaration: str | None = None,
        county: str | None = None,
        q: str | None = None,
        status: StatusFilter | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        theme: dict[str, str | None] | None = None,
    ) -> PublicQuery:
        slug = declaration.strip() if declaration and declaration.strip() else None
        chosen = theme or {}
        return cls(
            declaration=slug,
            county=county_filter_key(county),
            q=search_key(q),
            status=status,
            page=page,
            page_size=page_size,
            theme=tuple((n, v.strip()) for n in THEME_VARIABLES if (v := chosen.get(n))),
        )

    @property
    def with_status(self) -> bool:
        return self.status is not None

    @property
    def status_filter(self) -> StatusFilter:
        return self.status or StatusFilter.ACTIVE

    @property
    def county_name(self) -> str | None:
        """The county as shown in headings (the key is case-folded)."""
        return self.county.title() if self.county else None

    def key(self, kind: Kind) -> str:
        """The canonical query string of what ``kind`` uses."""
        values: dict[str, object] = {
            "declaration": self.declaration,
            "county": self.county,
            "q": self.q,
            "status": self.status.value if self.status else None,
            "page": self.page,
            "page_size": self.page_size,
            **dict(self.theme),
        }
        return urlencode([(n, values[n]) for n in KIND_PARAMS[kind] if values.get(n) is not None])


def parse_query(kind: Kind, query_string: bytes) -> PublicQuery | None:
    """The query of a raw query string (parsed as Starlette parses it), or None when
    a value is one the routes would refuse."""
    params = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    wanted = KIND_PARAMS[kind]
    text: dict[str, str | None] = {}
    for name in ("declaration", "county", "q"):
        value = params.get(name) if name in wanted else None
        if value is not None and len(value) > MAX_TEXT:
            return None
        text[name] = value
    status = None
    if "status" in wanted and "status" in params:
        if params["status"] not in _STATUSES:
            return None
        status = StatusFilter(params["status"])
    numbers = {"page": 1, "page_size": DEFAULT_PAGE_SIZE}
    for name in numbers:
        if name in wanted and name in params:
            if not _DIGITS.match(params[name]):
                return None
            numbers[name] = int(params[name])
    if numbers["page"] < 1 or not 1 <= numbers["page_size"] <= MAX_PAGE_SIZE:
        return None
    theme: dict[str, str | None] = {}
    for name, pattern in _THEME_RE.items():
        if name in wanted and name in params:
            if not pattern.match(params[name]):
                return None
            theme[name] = params[name]
    return PublicQuery.of(
        declaration=text["declaration"],
        county=text["county"],
        q=text["q"],
        status=status,
        page=numbers["page"],
        page_size=numbers["page_size"],
        theme=theme,
    )
