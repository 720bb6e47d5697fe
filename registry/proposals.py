"""Proposals from an extraction: one per declaration read, matched and flagged."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ocr.model import FIELD_NAMES, DeclarationResult, Extraction, FieldValue
from registry.flags import ReadDeclaration, compute_flags
from registry.matching import find_candidates
from registry.models import Proposal, ProposalStatus, Submission


def build_proposal(
    *,
    session: Session,
    submission: Submission,
    index: int,
    result: DeclarationResult,
    now: dt.datetime,
) -> Proposal:
    fields = {name: result.fields.get(name, FieldValue.missing()).to_dict() for name in FIELD_NAMES}
    read = ReadDeclaration(
        submission_id=submission.id,
        declaration_slug=result.declaration,
        fields=fields,
        signature_present=result.signature.present,
    )
    candidates = find_candidates(
        session=session,
        name=read.value("organisation"),
        organisation_number=read.value("organisation_number"),
    )
    flags = compute_flags(session=session, read=read, candidates=candidates, extra=result.flags)
    proposal = Proposal(
        submission_id=submission.id,
        index=index,
        declaration_slug=result.declaration,
        county=read.value("county"),
        status=ProposalStatus.PROPOSED,
        pages=list(result.pages),
        fields=fields,
        signature=result.signature.to_dict(),
        flags=flags,
        candidates=[c.to_dict() for c in candidates],
        created_at=now,
    )
    session.add(proposal)
    return proposal


def build_proposals(
    *, session: Session, submission: Submission, extraction: Extraction, now: dt.datetime
) -> list[Proposal]:
    made = []
    for index, result in enumerate(extraction.declarations):
        made.append(
            build_proposal(
                session=session, submission=submission, index=index, result=result, now=now
            )
        )
        session.flush()  # later declarations of a batch see the earlier ones
    return made
