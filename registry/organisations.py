"""Organisations: find the one meant, or register it; shared by review and import."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import Conflict, NotFound
from registry.matching import normalise_name
from registry.models import Organisation


def find_by_number(*, session: Session, number: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.organisation_number == number))


def find_by_name(*, session: Session, name: str) -> Organisation | None:
    """An organisation whose name or an alias is ``name`` once normalised (exactly)."""
    key = normalise_name(name)
    for org in session.scalars(select(Organisation).order_by(Organisation.id)):
        if key in {normalise_name(n) for n in [org.name, *(org.aliases or [])]}:
            return org
    return None


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
        org = session.get(Organisation, organisation_id)
        if org is None:
            raise NotFound("organisation", organisation_id)
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
        if find_by_number(session=session, number=number) is not None:
            raise Conflict(f"organisation number {number} belongs to another organisation")
        org.organisation_number = number
    if county and not org.county:
        org.county = county
    known = {normalise_name(n) for n in [org.name, *(org.aliases or [])]}
    if name and normalise_name(name) not in known:
        org.aliases = [*(org.aliases or []), name]
    return org, False
