"""Organisations: find the one meant, or register it; search and edit.

An organisation merged into another (``merged_into_id``, ``registry.merging``) keeps
its row (history) but is in no search, list or match: its name and aliases became
the other's aliases, so a scan with the old name finds the one it was merged into;
an id of a merged one (a proposal's old candidate) resolves to it too. Edits are
audited; services never commit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ocr.values.county import COUNTIES
from registry.audit import record_event
from registry.errors import Conflict, NotFound, ValidationError
from registry.matching import normalise_name
from registry.models import Organisation
from registry.orgnr import normalise_orgnr

SEARCH_LIMIT = 200
_NON_DIGIT = re.compile(r"\D")


def live() -> Select[Organisation]:
    """Organisations not merged into another."""
    return select(Organisation).where(Organisation.merged_into_id.is_(None))


def names_of(org: Organisation) -> list[str]:
    return [org.name, *(str(a) for a in org.aliases or [])]


def find_by_number(*, session: Session, number: str) -> Organisation | None:
    return session.scalar(live().where(Organisation.organisation_number == number))


def find_by_name(*, session: Session, name: str) -> Organisation | None:
    """An organisation whose name or an alias is ``name`` once normalised (exactly)."""
    key = normalise_name(name)
    for org in session.scalars(live().order_by(Organisation.id)):
        if key in {normalise_name(n) for n in names_of(org)}:
            return org
    return None


def get_organisation(
    *, session: Session, organisation_id: int, follow: bool = False
) -> Organisation:
    """The organisation; with ``follow``, the one it was merged into (if it was)."""
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound("organisation", organisation_id)
    seen = {org.id}
    while follow and org.merged_into_id is not None:
        org = session.get(Organisation, org.merged_into_id)
        if org is None or org.id in seen:
            raise NotFound("organisation", organisation_id)
        seen.add(org.id)
    return org


def search_organisations(
    *, session: Session, q: str | None, limit: int = SEARCH_LIMIT
) -> list[Organisation]:
    """Organisations (not merged away) whose name, an alias or number contains ``q``
    (case and punctuation aside), by name."""
    rows = list(session.scalars(live().order_by(func.lower(Organisation.name), Organisation.id)))
    text = (q or "").strip()
    if not text:
        return rows[:limit]
    folded, key, digits = text.casefold(), normalise_name(text), _NON_DIGIT.sub("", text)

    def hit(org: Organisation) -> bool:
        for name in names_of(org):
            if folded in name.casefold() or (key and key in normalise_name(name)):
                return True
        number = _NON_DIGIT.sub("", org.organisation_number or "")
        return len(digits) >= 3 and digits in number

    return [org for org in rows if hit(org)][:limit]


def resolve_organisation(
    *,
    session: Session,
    name: str | None,
    number: str | None,
    county: str | None,
    organisation_id: int | None = None,
) -> tuple[Organisation, bool]:
    """The organisation meant (by id, else number, else name) or a new one; created?

    A name that differs from the known one becomes an alias; a number or county the
    known organisation lacks is filled in.
    """
    org: Organisation | None
    if organisation_id is not None:
        org = get_organisation(session=session, organisation_id=organisation_id, follow=True)
    else:
        org = find_by_number(session=session, number=number) if number else None
        if org is None and name:
            org = find_by_name(session=session, name=name)
            if org is not None and number and org.organisation_number not in (None, number):
                org = None  # same name, another number: another organisation
    if org is None:
        if not name:
            raise NotFound("organisation", "(no name given)")
        org = Organisation(name=name, organisation_number=number, county=county, aliases=[])
        session.add(org)
        session.flush()
        return org, True
    if number and org.organisation_number != number:
        if org.organisation_number is not None:
            raise Conflict(
                f"organisation {org.id} ({org.name}) has number {org.organisation_number}, "
                f"not {number}"
            )
        if session.scalar(select(Organisation).where(Organisation.organisation_number == number)):
            raise Conflict(f"organisation number {number} belongs to another organisation")
        org.organisation_number = number
    if county and not org.county:
        org.county = county
    if name:
        org.aliases = with_aliases(org, [name])
    return org, False


def with_aliases(org: Organisation, names: Iterable[str]) -> list[str]:
    """``org``'s aliases and ``names``, each once (normalised), none its own name."""
    known = {normalise_name(org.name)}
    out: list[str] = []
    for alias in [*(str(a) for a in org.aliases or []), *names]:
        alias = " ".join(alias.split())
        if alias and normalise_name(alias) not in known:
            known.add(normalise_name(alias))
            out.append(alias)
    return out


def organisation_state(org: Organisation) -> dict[str, Any]:
    return {
        "name": org.name,
        "organisation_number": org.organisation_number,
        "county": org.county,
        "aliases": list(org.aliases or []),
        "merged_into_id": org.merged_into_id,
    }


def check_county(county: str | None) -> str | None:
    """A county's canonical name (``norrbotten`` → ``Norrbotten``), None for none."""
    text = (county or "").strip()
    if not text:
        return None
    for name in COUNTIES:
        if name.casefold() == text.casefold():
            return name
    raise ValidationError(f"not a Swedish county: {text!r}", field="county")


def live_one(session: Session, organisation_id: int) -> Organisation:
    org = session.scalar(
        select(Organisation).where(Organisation.id == organisation_id).with_for_update()
    )
    if org is None:
        raise NotFound("organisation", organisation_id)
    if org.merged_into_id is not None:
        raise Conflict(
            f"organisation {org.id} ({org.name}) was merged into {org.merged_into_id}; "
            "change that one"
        )
    return org


def update_organisation(
    *,
    session: Session,
    organisation_id: int,
    actor: str,
    now: dt.datetime,
    name: str,
    number: str | None,
    county: str | None,
    aliases: Iterable[str],
    keep_old_name: bool = True,
) -> Organisation:
    """Set name, number (Luhn-checked; empty for none), county and aliases. A new name
    keeps the old one as an alias unless told not to, so scans with it still match."""
    org = live_one(session, organisation_id)
    before = organisation_state(org)
    new_name = " ".join((name or "").split())
    if not new_name:
        raise ValidationError("an organisation needs a name", field="name")
    new_number = None
    if number and number.strip():
        new_number = normalise_orgnr(number)
        if new_number is None:
            raise ValidationError(
                f"not a valid organisation number: {number!r}", field="organisation_number"
            )
        taken = session.scalar(
            select(Organisation).where(
                Organisation.organisation_number == new_number, Organisation.id != org.id
            )
        )
        if taken is not None:
            raise Conflict(f"organisation number {new_number} belongs to {taken.name}")
    old_name = org.name
    org.name, org.organisation_number, org.county = new_name, new_number, check_county(county)
    org.aliases = []
    kept = [old_name] if keep_old_name and old_name != new_name else []
    org.aliases = with_aliases(org, [*aliases, *kept])
    after = organisation_state(org)
    if after != before:
        record_event(
            session=session,
            actor=actor,
            action="organisation.update",
            entity="organisation",
            entity_id=org.id,
            before=before,
            after=after,
            now=now,
        )
    return org
