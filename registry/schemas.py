"""Input and output shapes per entity, so the public shape cannot leak private fields.

``SignatoryPublic`` never carries a signer's name, title or e-mail. ``SubmissionOut``
is the contract of ``signreg submissions --json``; ``ProposalOut`` of ``signreg review
list --json``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from registry.models import Proposal, Signatory, Submission, SubmissionArrival, SubmissionStatus


class SignatoryPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    organisation: str
    organisation_number: str | None
    county: str | None
    declaration: str
    signed_date: dt.date
    verified_at: dt.datetime
    follow_up_due: dt.date

    @classmethod
    def of(cls, row: Signatory) -> SignatoryPublic:
        return cls(
            organisation=row.organisation.name,
            organisation_number=row.organisation.organisation_number,
            county=row.organisation.county,
            declaration=row.declaration.slug,
            signed_date=row.signed_date,
            verified_at=row.verified_at,
            follow_up_due=row.follow_up_due,
        )


class SignatoryPrivate(SignatoryPublic):
    """For reviewers: the membership with its signer and where it came from."""

    id: int
    signer_name: str | None
    signer_title: str | None
    signer_email: str | None
    verified_by: str
    source: str
    proposal_id: int | None
    active: bool

    @classmethod
    def of(cls, row: Signatory) -> SignatoryPrivate:
        return cls(
            **SignatoryPublic.of(row).model_dump(),
            id=row.id,
            signer_name=row.signer_name,
            signer_title=row.signer_title,
            signer_email=row.signer_email,
            verified_by=row.verified_by,
            source=row.source,
            proposal_id=row.proposal_id,
            active=row.active,
        )


class FieldOut(BaseModel):
    value: str | None
    confidence: float
    page: int | None = None
    bbox: list[float] | None = None


class ProposalOut(BaseModel):
    id: int
    submission_id: int
    sha256: str
    file: str
    index: int
    status: str
    declaration: str | None
    pages: list[int]
    fields: dict[str, FieldOut]
    signature: dict[str, Any]
    flags: list[str]
    candidates: list[dict[str, Any]]
    decided_by: str | None
    decided_at: dt.datetime | None
    reason: str | None
    corrections: dict[str, Any] | None

    @classmethod
    def of(cls, row: Proposal) -> ProposalOut:
        return cls(
            id=row.id,
            submission_id=row.submission_id,
            sha256=row.submission.sha256,
            file=row.submission.file_name,
            index=row.index,
            status=row.status,
            declaration=row.declaration_slug,
            pages=list(row.pages),
            fields={k: FieldOut(**v) for k, v in row.fields.items()},
            signature=dict(row.signature),
            flags=list(row.flags),
            candidates=list(row.candidates),
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            reason=row.reason,
            corrections=row.corrections,
        )


class ProposalUpdate(BaseModel):
    """A reviewer's approval: corrected values and, optionally, the organisation meant."""

    corrections: dict[str, str | None] = {}
    organisation_id: int | None = None


class ProposalReject(BaseModel):
    reason: str


class SubmissionOut(BaseModel):
    id: int
    sha256: str
    file: str
    status: str
    error: str | None
    reason: str | None
    received_at: dt.datetime
    attempts: int
    proposals: list[int]
    duplicate_of: int | None = None

    @classmethod
    def of(cls, row: Submission) -> SubmissionOut:
        return cls(
            id=row.id,
            sha256=row.sha256,
            file=row.file_name,
            status=row.status,
            error=row.error,
            reason=row.reason,
            received_at=row.received_at,
            attempts=row.attempts,
            proposals=[p.id for p in row.proposals],
        )

    @classmethod
    def of_duplicate(cls, arrival: SubmissionArrival) -> SubmissionOut:
        original = arrival.submission
        return cls(
            id=original.id,
            sha256=original.sha256,
            file=arrival.file_name,
            status=SubmissionStatus.DUPLICATE,
            error=None,
            reason="duplicate",
            received_at=arrival.arrived_at,
            attempts=0,
            proposals=[],
            duplicate_of=original.id,
        )
