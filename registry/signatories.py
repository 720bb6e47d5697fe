"""Signatories (verified memberships): dates, snapshots for the audit trail, the public list.

The public list (``public_entries``, ``public_signatories``, ``public_declarations``)
is what the public API, the embed and ``signreg signatories`` show: memberships in the
register (``active``; an undone one is in no list), of organisations not merged into
another, with the standing asked for (``active`` by default: a withdrawn or lapsed
membership is never listed as active). Never a signer's name, title or e-mail.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.models import Declaration, Organisation, Signatory, SignatoryStatus
from registry.schemas import DeclarationPublic, SignatoryPublic


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus ``years`` calendar years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


_SNAPSHOT_FIELDS = (
    "signed_date",
    "signer_name",
    "signer_title",
    "signer_email",
    "verified_by",
    "verified_at",
    "follow_up_due",
    "source",
    "proposal_id",
    "active",
)


def snapshot(member: Signatory) -> dict[str, Any]:
    out: dict[str, Any] = {"id": member.id}
    for name in _SNAPSHOT_FIELDS:
        value = getattr(member, name)
        out[name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def restore_snapshot(member: Signatory, snap: dict[str, Any]) -> None:
    for name in _SNAPSHOT_FIELDS:
        value = snap[name]
        if name in ("signed_date", "follow_up_due"):
            value = dt.date.fromisoformat(value)
        elif name == "verified_at":
            value = dt.datetime.fromisoformat(value)
        setattr(member, name, value)


class StatusFilter(enum.StrEnum):
    """Which standing the public list shows: ``active`` (the default), ``withdrawn``,
    ``lapsed``, or ``all`` of them."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class PublicEntry:
    """A public list entry with the membership's id (for feed ids; never published)."""

    id: int
    item: SignatoryPublic


def _in_public_list(status: StatusFilter) -> list[Any]:
    """Rows in the register (not undone), of an organisation not merged away, with the
    standing asked for."""
    where: list[Any] = [Signatory.active.is_(True), Organisation.merged_into_id.is_(None)]
    if status != StatusFilter.ALL:
        where.append(Signatory.status == status.value)
    return where


def public_entries(
    *,
    session: Session,
    declaration: str | None = None,
    county: str | None = None,
    q: str | None = None,
    status: StatusFilter = StatusFilter.ACTIVE,
) -> list[PublicEntry]:
    """Every public entry that matches, in Swedish alphabetical order of organisation.

    Declaration and standing are filtered in SQL; county and the search ``q`` are
    compared case-folded in Python (SQLite's ``lower()`` knows only ASCII: Å, Ä, Ö
    would not match), which the list's size (thousands at most) allows.
    """
    stmt = (
        select(
            Signatory.id,
            Organisation.name,
            Organisation.organisation_number,
            Organisation.county,
            Declaration.slug,
            Signatory.signed_date,
            Signatory.verified_at,
            Signatory.follow_up_due,
            Signatory.status,
            Signatory.status_since,
        )
        .join(Organisation, Signatory.organisation_id == Organisation.id)
        .join(Declaration, Signatory.declaration_id == Declaration.id)
        .where(*_in_public_list(status))
    )
    if declaration:
        stmt = stmt.where(Declaration.slug == declaration)
    county_key = county_filter_key(county)
    needle = search_key(q)
    entries = []
    for row in session.execute(stmt):
        if county_key is not None and county_filter_key(row.county) != county_key:
            continue
        if needle and not _matches(needle, row.name, row.organisation_number):
            continue
        item = SignatoryPublic(
            organisation=row.name,
            organisation_number=row.organisation_number,
            county=row.county,
            declaration=row.slug,
            signed_date=row.signed_date,
            verified_at=row.verified_at,
            follow_up_due=row.follow_up_due,
            status=row.status,
            status_since=None if row.status == SignatoryStatus.ACTIVE else row.status_since,
        )
        entries.append(PublicEntry(id=row.id, item=item))
    entries.sort(key=lambda e: (swedish_sort_key(e.item.organisation), e.id))
    return entries


def public_signatories(
    *,
    session: Session,
    declaration: str | None = None,
    county: str | None = None,
    q: str | None = None,
    status: StatusFilter = StatusFilter.ACTIVE,
    page: int = 1,
    page_size: int | None = None,
) -> tuple[list[SignatoryPublic], int]:
    """One page of the public list (all of it without ``page_size``) and its total."""
    entries = public_entries(
        session=session, declaration=declaration, county=county, q=q, status=status
    )
    if page_size:
        start = (max(page, 1) - 1) * page_size
        entries_page = entries[start : start + page_size]
    else:
        entries_page = entries
    return [e.item for e in entries_page], len(entries)


def public_declarations(*, session: Session) -> list[DeclarationPublic]:
    """Every declaration with its number of active public signatories, in all and per
    county (organisations without a county are counted under no county)."""
    stmt = (
        select(Signatory.declaration_id, Organisation.county, func.count(Signatory.id))
        .join(Organisation, Signatory.organisation_id == Organisation.id)
        .where(*_in_public_list(StatusFilter.ACTIVE))
        .group_by(Signatory.declaration_id, Organisation.county)
    )
    per_county: dict[int, dict[str, int]] = {}
    totals: dict[int, int] = {}
    for declaration_id, county, count in session.execute(stmt):
        totals[declaration_id] = totals.get(declaration_id, 0) + count
        if county:
            counts = per_county.setdefault(declaration_id, {})
            counts[county] = counts.get(county, 0) + count
    return [
        DeclarationPublic(
            slug=d.slug,
            title=d.title,
            follow_up_years=d.follow_up_years,
            signatories=totals.get(d.id, 0),
            counties=dict(
                sorted(per_county.get(d.id, {}).items(), key=lambda kv: swedish_sort_key(kv[0]))
            ),
        )
        for d in session.scalars(select(Declaration).order_by(Declaration.slug))
    ]


# Swedish alphabetical order: å, ä, ö after z; é as e, ü as y, æ as ä, ø as ö.
_SWEDISH_ORDER = str.maketrans(
    {"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}", "é": "e", "è": "e", "ü": "y"}
)
_LAN_SUFFIX = re.compile(r"\s+l[äa]n$")


def swedish_sort_key(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().translate(_SWEDISH_ORDER)


def county_filter_key(county: str | None) -> str | None:
    """``Norrbotten``, ``norrbotten`` and ``Norrbottens län`` alike; None for no filter."""
    if county is None or not county.strip():
        return None
    key = " ".join(unicodedata.normalize("NFC", county).casefold().split())
    without = _LAN_SUFFIX.sub("", key)
    if without != key and without.endswith("s"):
        without = without[:-1]  # genitive: Norrbottens län
    return without


def search_key(q: str | None) -> str | None:
    """The search text as compared: case-folded, spaces collapsed; None for no search."""
    if q is None or not q.strip():
        return None
    return " ".join(unicodedata.normalize("NFC", q).casefold().split())


def _matches(needle: str, name: str, number: str | None) -> bool:
    if needle in " ".join(unicodedata.normalize("NFC", name).casefold().split()):
        return True
    digits = needle.replace("-", "").replace(" ", "")
    return bool(number and digits.isdigit() and digits in number.replace("-", ""))
