"""The public list as bytes: JSON pages, CSV and an Atom feed (RFC 4287).

Pure functions of the rows they are given, so a body is the same in every process for
the same list version and query (the ETag is strong). ``csv_text`` also serves
``signreg signatories --csv``, so the CLI and the API give the same columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date

from registry.schemas import DeclarationPublic, SignatoryPublic
from registry.signatories import PublicEntry

CSV_COLUMNS = (
    "organisation",
    "organisation_number",
    "county",
    "declaration",
    "signed_date",
    "verified_at",
    "follow_up_due",
)
STATUS_COLUMNS = ("status", "status_since")
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_NS = "http://www.w3.org/XML/1998/namespace"
FEED_SIZE = 50
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

Gettext = Callable[[str], str]


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def signatories_page(
    items: Sequence[SignatoryPublic], *, total: int, page: int, page_size: int, with_status: bool
) -> bytes:
    return json_bytes(
        {
            "items": [i.public(with_status=with_status) for i in items],
            "total": total,
            "page": page,
            "page_size": page_size,
        }
    )


def declarations_list(rows: Sequence[DeclarationPublic]) -> bytes:
    return json_bytes({"items": [r.model_dump(mode="json") for r in rows], "total": len(rows)})


def csv_text(items: Iterable[SignatoryPublic], *, with_status: bool) -> str:
    """A header row and one row per entry (RFC 4180: CRLF line ends, quoted as needed)."""
    columns = (*CSV_COLUMNS, *STATUS_COLUMNS) if with_status else CSV_COLUMNS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for item in items:
        writer.writerow(item.public(with_status=with_status))
    return out.getvalue()


def swedish_date(day: dt.date) -> str:
    """``11 maj 2023``."""
    return format_date(day, format="d MMMM y", locale="sv")


def last_change(items: Iterable[SignatoryPublic]) -> dt.datetime | None:
    """When the entries shown last changed: the newest verification or change of standing."""
    moments = [i.verified_at for i in items]
    moments += [
        dt.datetime.combine(i.status_since, dt.time(), tzinfo=dt.UTC)
        for i in items
        if i.status_since
    ]
    return max(moments, default=None)


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class FeedLinks:
    """Where the feed is (rel=self) and the HTML list it follows (rel=alternate)."""

    base_url: str
    self_url: str
    html_url: str


def summary(item: SignatoryPublic, title: str, _: Gettext) -> str:
    """In Swedish: who signed which declaration, in which county, when; and the standing
    when it is not active."""
    values = {
        "organisation": item.organisation,
        "declaration": title,
        "county": item.county or "",
        "date": swedish_date(item.signed_date),
    }
    if item.county:
        text = _("{organisation} signed {declaration} ({county}) on {date}.").format(**values)
    else:
        text = _("{organisation} signed {declaration} on {date}.").format(**values)
    if item.status == "withdrawn" and item.status_since:
        text += " " + _("Withdrawn since {date}.").format(date=swedish_date(item.status_since))
    elif item.status == "lapsed" and item.status_since:
        text += " " + _("Lapsed since {date}: the follow-up was not answered.").format(
            date=swedish_date(item.status_since)
        )
    return text


def atom_feed(
    entries: Sequence[PublicEntry],
    *,
    titles: dict[str, str],
    feed_title: str,
    links: FeedLinks,
    _: Gettext,
) -> bytes:
    """The newest verified entries first, at most ``FEED_SIZE``."""
    newest = sorted(entries, key=lambda e: (e.item.verified_at, e.id), reverse=True)[:FEED_SIZE]
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {f"{{{XML_NS}}}lang": "sv"})
    _text(feed, "id", _urn(links.self_url))
    _text(feed, "title", feed_title)
    _text(feed, "updated", rfc3339(last_change(e.item for e in newest) or EPOCH))
    _link(feed, "self", links.self_url, "application/atom+xml")
    _link(feed, "alternate", links.html_url, "text/html")
    author = ET.SubElement(feed, f"{{{ATOM_NS}}}author")
    _text(author, "name", _("Signatory registry"))
    _text(author, "uri", links.base_url + "/")
    for e in newest:
        item = e.item
        entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
        verified = item.verified_at.isoformat()
        _text(entry, "id", _urn(f"{links.base_url}/signatory/{e.id}/{verified}"))
        _text(entry, "title", item.organisation)
        _text(entry, "updated", rfc3339(item.verified_at))
        _link(entry, "alternate", links.html_url, "text/html")
        _text(entry, "summary", summary(item, titles.get(item.declaration, item.declaration), _))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _urn(name: str) -> str:
    """A stable id for a name (RFC 4287 ids must not change)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, name).urn


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}").text = text


def _link(parent: ET.Element, rel: str, href: str, media_type: str) -> None:
    ET.SubElement(parent, f"{{{ATOM_NS}}}link", {"rel": rel, "href": href, "type": media_type})
