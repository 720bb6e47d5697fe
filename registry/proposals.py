"""Proposals from an extraction: one per declaration read, matched and flagged.

Every field says where its value came from: ``"source": "ocr"`` (read on the page) or
``"source": "code"`` (from the 2-D code of a join-online form, once the registry has
checked it: ``registry.applications``). Checking a code needs the code key; without one
(``code_key=None``) a code of ours is never trusted.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ocr.model import FIELD_NAMES, DeclarationResult, Extraction, FieldValue
from registry.applications import apply_code, mark_received
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
    code_key: bytes | None = None,
) -> Proposal:
    read_fields = {
        name: result.fields.get(name, FieldValue.missing()).to_dict() for name in FIELD_NAMES
    }
    coded = apply_code(
        session=session,
        key=code_key,
        codes=result.codes,
        declaration_slug=result.declaration,
        fields=read_fields,
        now=now,
        read_flags=result.flags,
        received_at=submission.received_at,
    )
    fields = coded.fields
    slug = result.declaration
    extra = list(result.flags)
    if coded.check is not None and coded.check.verified and slug is None:
        slug = coded.check.declaration_slug  # the code says which form this is
        extra = [f for f in extra if f != "unknown_declaration"]
    read = ReadDeclaration(
        submission_id=submission.id,
        declaration_slug=slug,
        fields=fields,
        signature_present=result.signature.present,
    )
    candidates = find_candidates(
        session=session,
        name=read.value("organisation"),
        organisation_number=read.value("organisation_number"),
    )
    flags = compute_flags(
        session=session, read=read, candidates=candidates, extra=[*extra, *coded.flags]
    )
    proposal = Proposal(
        submission_id=submission.id,
        index=index,
        declaration_slug=slug,
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
    if coded.check is not None and coded.check.verified:
        session.flush()  # the application points at its proposal
        mark_received(session=session, check=coded.check, proposal=proposal)
    return proposal


def build_proposals(
    *,
    session: Session,
    submission: Submission,
    extraction: Extraction,
    now: dt.datetime,
    code_key: bytes | None = None,
) -> list[Proposal]:
    made = []
    for index, result in enumerate(extraction.declarations):
        made.append(
            build_proposal(
                session=session,
                submission=submission,
                index=index,
                result=result,
                now=now,
                code_key=code_key,
            )
        )
        session.flush()  # later declarations of a batch see the earlier ones
    return made
