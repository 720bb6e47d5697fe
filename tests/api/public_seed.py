"""A small public list for the public API and embed tests, made through the registry.

Five active signatories of ``jamstalld-industri`` (three in Norrbotten, two in
Västerbotten), one withdrawn, one lapsed, one undone (``active`` False), one of an
organisation merged into another; every signer has the same name and e-mail, which
must never appear in a public response.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ocr.values.orgnr import luhn_ok
from registry.models import Organisation, Signatory
from registry.review import approve_proposal
from tests.registry.helpers import SLUG, propose, result

SIGNER = "Greta Hemligsson"
EMAIL = "greta.hemligsson@example.se"
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
ACTIVE = {  # organisation → county, in Swedish alphabetical order
    "Boliden Mineral AB": "Västerbotten",
    "Kuusakoski Sverige AB": "Norrbotten",
    "Luleå kommun": "Norrbotten",
    "Umeå universitet": "Västerbotten",
    "Älvsbyns Energi AB": "Norrbotten",
}
WITHDRAWN = "Tromb AB"
LAPSED = "Byggföretagen Norr"
UNDONE = "Ångermanlands Ångvärme AB"
MERGED = "Kommunen som gick upp i Luleå"
WITHDRAWN_SINCE = dt.date(2026, 1, 15)
LAPSED_SINCE = dt.date(2025, 11, 1)


def orgnr(i: int) -> str:
    """A Luhn-valid organisation number, different for each ``i``."""
    base = f"55{i:07d}"
    check = next(d for d in "0123456789" if luhn_ok(base + d))
    return f"{base[:6]}-{base[6:]}{check}"


_count = 0


def approve(
    factory: sessionmaker[Session],
    name: str,
    county: str | None,
    *,
    signed: str = "2023-05-11",
    at: dt.datetime = T0,
) -> int:
    """One proposal through the queue, approved by a reviewer; the Signatory's id."""
    global _count
    _count += 1
    read = result(
        organisation=name,
        organisation_number=orgnr(_count),
        county=county,
        signed_date=signed,
        signatory_name=SIGNER,
        email=EMAIL,
    )
    (pid,) = propose(factory, read, name=f"scan-{_count}-{name}")
    with factory.begin() as s:
        return approve_proposal(session=s, proposal_id=pid, reviewer="maria", now=at).id


@dataclass(frozen=True)
class Seeded:
    ids: dict[str, int]


def seed_public_list(factory: sessionmaker[Session]) -> Seeded:
    ids = {}
    for i, (name, county) in enumerate(ACTIVE.items()):
        ids[name] = approve(factory, name, county, at=T0 + dt.timedelta(days=i))
    for name in (WITHDRAWN, LAPSED, UNDONE, MERGED):
        ids[name] = approve(factory, name, "Norrbotten", at=T0 + dt.timedelta(days=10))
    with factory.begin() as s:
        set_status(s, ids[WITHDRAWN], "withdrawn", WITHDRAWN_SINCE)
        set_status(s, ids[LAPSED], "lapsed", LAPSED_SINCE)
        undone = s.get(Signatory, ids[UNDONE])
        assert undone is not None
        undone.active = False
        merged = s.get(Signatory, ids[MERGED])
        assert merged is not None
        target = s.scalar(select(Organisation).where(Organisation.name == "Luleå kommun"))
        assert target is not None
        merged.organisation.merged_into_id = target.id
    return Seeded(ids=ids)


def set_status(s: Session, signatory_id: int, status: str, since: dt.date) -> None:
    """As the standing services would leave it (they are tested on their own)."""
    row = s.get(Signatory, signatory_id)
    assert row is not None
    row.status, row.status_since, row.status_reason = status, since, "test"


__all__ = ["SLUG", "approve", "orgnr", "seed_public_list", "set_status"]
