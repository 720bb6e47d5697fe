"""A verified membership in one call (a proposal approved), for the registry and web tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from registry import review
from tests.registry.helpers import SLUG, T0, propose, result


def add_member(
    factory: sessionmaker[Session],
    name: str,
    *,
    county: str = "Norrbotten",
    signed: str = "2023-05-11",
    number: str | None = None,
    email: str | None = "kontakt@example.se",
    declaration: str = SLUG,
    now: dt.datetime = T0,
) -> int:
    """A signatory of ``name`` (approved from a proposal of its own); its id."""
    (pid,) = propose(
        factory,
        result(
            organisation=name,
            organisation_number=number,
            county=county,
            signed_date=signed,
            email=email,
            signatory_name=f"Signer of {name}",
            declaration=declaration,
        ),
        name=f"scan-{name}-{signed}-{declaration}",
    )
    with factory.begin() as s:
        return review.approve_proposal(session=s, proposal_id=pid, reviewer="r", now=now).id
