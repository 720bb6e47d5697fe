"""Candidate organisations for what was read: number exact first, then names fuzzily.

Every candidate carries a score in [0, 1]: 1.0 for an exact organisation number, else
rapidfuzz's WRatio over normalised names and aliases (case folded, punctuation and
legal-form words such as "AB" and "kommun" dropped; å, ä, ö kept as letters).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Organisation
from registry.orgnr import normalise_orgnr

MIN_SCORE = 0.5
LIMIT = 5
_DROP_WORDS = frozenset({"ab", "publ", "hb", "kb", "kommun", "aktiebolag"})
_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Candidate:
    organisation_id: int
    name: str
    organisation_number: str | None
    county: str | None
    score: float
    matched_on: str  # organisation_number | name | alias

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalise_name(name: str) -> str:
    words = _NON_WORD.sub(" ", name.casefold()).split()
    kept = [w for w in words if w not in _DROP_WORDS]
    return " ".join(kept or words)


def name_score(a: str, b: str) -> float:
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return 0.0
    return round(fuzz.WRatio(na, nb) / 100.0, 3)


def best_name_score(name: str, org: Organisation) -> tuple[float, str]:
    best, on = name_score(name, org.name), "name"
    for alias in org.aliases or []:
        s = name_score(name, str(alias))
        if s > best:
            best, on = s, "alias"
    return best, on


def find_candidates(
    *,
    session: Session,
    name: str | None,
    organisation_number: str | None,
    limit: int = LIMIT,
    min_score: float = MIN_SCORE,
) -> list[Candidate]:
    found: dict[int, Candidate] = {}
    number = normalise_orgnr(organisation_number)
    if number:
        org = session.scalar(select(Organisation).where(Organisation.organisation_number == number))
        if org is not None:
            found[org.id] = _candidate(org, 1.0, "organisation_number")
    if name and name.strip():
        # an organisation merged into another is found through that one's aliases
        for org in session.scalars(
            select(Organisation).where(Organisation.merged_into_id.is_(None))
        ):
            if org.id in found:
                continue
            score, on = best_name_score(name, org)
            if score >= min_score:
                found[org.id] = _candidate(org, score, on)
    ranked = sorted(found.values(), key=lambda c: (-c.score, c.name, c.organisation_id))
    return ranked[:limit]


def _candidate(org: Organisation, score: float, on: str) -> Candidate:
    return Candidate(
        organisation_id=org.id,
        name=org.name,
        organisation_number=org.organisation_number,
        county=org.county,
        score=score,
        matched_on=on,
    )
