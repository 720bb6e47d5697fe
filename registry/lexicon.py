"""Verified organisations fed back into extraction as a lexicon."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Organisation, Signatory


def verified_lexicon(*, session: Session) -> dict[str, str]:
    """``{organisation number: name}`` of organisations with a verified membership, for
    ``ocr.extract(..., lexicon=...)``."""
    stmt = (
        select(Organisation.organisation_number, Organisation.name)
        .join(Signatory, Signatory.organisation_id == Organisation.id)
        .where(Signatory.active.is_(True), Organisation.organisation_number.is_not(None))
        .distinct()
    )
    return {str(number): name for number, name in session.execute(stmt)}
