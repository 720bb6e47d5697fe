"""Input and output shapes per entity, so the public shape cannot leak private fields.

``SignatoryPublic`` never carries a signer's name, title or e-mail. ``ProposalOut`` is
the contract of ``signreg review list --json`` (``signreg submissions --json`` is
:mod:`registry.submission_list`'s).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from registry.models import (
    Proposal,
    Signatory,
    SignatoryStatus,
)


class SignatoryPublic(BaseModel):
    """One entry of the public list. ``status`` and ``status_since`` are filled in from
    the row, but the public API and the CLI only output them when a ``status`` filter is
    asked for (``withdrawn`` and ``lapsed`` entries are never shown as active)."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "organisation": "Boliden Mineral AB",
                    "organisation_number": "556051-3101",
                    "county": "Västerbotten",
                    "declaration": "jamstalld-industri",
                    "signed_date": "2023-05-11",
                    "verified_at": "2023-05-16T08:12:00Z",
                    "follow_up_due": "2025-05-11",
                }
            ]
        },
    )

    organisation: str
    organisation_number: str | None
    county: str | None
    declaration: str
    signed_date: dt.date
    verified_at: dt.datetime
    follow_up_due: dt.date
    status: str | None = Field(
        default=None,
        description="active, withdrawn or lapsed: only present when ?status= is given",
    )
    status_since: dt.date | None = Field(
        default=None,
        description="since when withdrawn or lapsed (null while active): only present "
        "when ?status= is given",
    )

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
            status=row.status,
            status_since=None if row.status == SignatoryStatus.ACTIVE else row.status_since,
        )

    def public(self, *, with_status: bool) -> dict[str, Any]:
        """The JSON-ready entry as the public API and the CLI give it."""
        return self.model_dump(mode="json", exclude=None if with_status else _STATUS_FIELDS)


_STATUS_FIELDS = {"status", "status_since"}


class DeclarationPublic(BaseModel):
    """A declaration in the public API, with its number of active verified signatories
    (in all and per county)."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "slug": "jamstalld-industri",
                    "title": "Avsiktsförklaring Jämställd industri",
                    "follow_up_years": 2,
                    "signatories": 42,
                    "counties": {"Norrbotten": 25, "Västerbotten": 17},
                }
            ]
        },
    )

    slug: str
    title: str
    follow_up_years: int
    signatories: int
    counties: dict[str, int]


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
    # where the value came from: "ocr" (read on the page) or "code" (a join-online form's
    # verified 2-D code; ``ocr_value`` is then what the page reads, where that differs)
    source: str = "ocr"
    ocr_value: str | None = None


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
