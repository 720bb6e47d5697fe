"""What belongs to an organisation, for erasure: its memberships, the proposals read
for it (linked, or read or corrected with its number), its join-online applications,
the scans they came from, and the earlier audit events of all of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from registry.errors import NotFound, ValidationError
from registry.models import (
    Application,
    AuditEvent,
    Declaration,
    Organisation,
    Proposal,
    Signatory,
    Submission,
    SubmissionStatus,
)
from registry.orgnr import normalise_orgnr

_IN_PROGRESS = (SubmissionStatus.RECEIVED, SubmissionStatus.PROCESSING)


@dataclass
class Targets:
    number: str
    organisation: Organisation | None
    organisation_ids: list[int]
    members: list[Signatory]
    proposals: list[Proposal]
    applications: list[Application]
    submissions: list[Submission]
    shared: list[Submission] = field(default_factory=list)  # scans kept: others' too


def parse_number(organisation_number: str) -> str:
    number = normalise_orgnr(organisation_number or "")
    if number is None:
        raise ValidationError(
            f"not a valid organisation number: {organisation_number!r}",
            field="organisation_number",
        )
    return number


def _read_number(number: str) -> ColumnElement[bool]:
    """A proposal read (or corrected) with this organisation number."""
    digits = number.replace("-", "")
    read = Proposal.fields["organisation_number"]["value"].as_string()
    fixed = Proposal.corrections["organisation_number"]["after"].as_string()
    return or_(read.in_([number, digits]), fixed.in_([number, digits]))


def find_targets(
    session: Session, number: str, *, signatory_id: int | None, submission_id: int | None
) -> Targets:
    org = session.scalar(select(Organisation).where(Organisation.organisation_number == number))
    org_ids = [] if org is None else [org.id]
    if org is not None:  # organisations merged into it brought their memberships along
        org_ids += session.scalars(
            select(Organisation.id).where(Organisation.merged_into_id == org.id)
        )
    member_stmt = select(Signatory).where(Signatory.organisation_id.in_(org_ids))
    declaration: Declaration | None = None
    if signatory_id is not None:
        member = session.get(Signatory, signatory_id)
        if member is None or member.organisation_id not in org_ids:
            raise NotFound(f"membership of organisation {number}", signatory_id)
        declaration = member.declaration
        member_stmt = member_stmt.where(Signatory.id == signatory_id)
    members = list(session.scalars(member_stmt.order_by(Signatory.id)))
    proposal_stmt = select(Proposal).where(
        or_(
            Proposal.organisation_id.in_(org_ids),
            Proposal.id.in_([m.proposal_id for m in members if m.proposal_id]),
            _read_number(number),
        )
    )
    app_stmt = select(Application).where(Application.organisation_number == number)
    if declaration is not None:
        proposal_stmt = proposal_stmt.where(Proposal.declaration_slug == declaration.slug)
        app_stmt = app_stmt.where(Application.declaration_id == declaration.id)
    proposals = list(session.scalars(proposal_stmt.order_by(Proposal.id)))
    applications = list(session.scalars(app_stmt.order_by(Application.id)))
    sub_ids = {p.submission_id for p in proposals}
    if submission_id is not None:
        extra = session.get(Submission, submission_id)
        if extra is None:
            raise NotFound("submission", submission_id)
        if extra.status in _IN_PROGRESS:
            raise ValidationError(
                f"submission {submission_id} is still being read: erase it once it is read",
                field="submission_id",
            )
        sub_ids.add(extra.id)
    submissions = list(
        session.scalars(
            select(Submission).where(Submission.id.in_(sub_ids)).order_by(Submission.id)
        )
    )
    if org is None and not proposals and not applications and not submissions:
        raise NotFound("organisation, proposal or application with the number", number)
    mine = {p.id for p in proposals}
    shared = [s for s in submissions if any(p.id not in mine for p in s.proposals)]
    return Targets(
        number=number,
        organisation=org,
        organisation_ids=org_ids,
        members=members,
        proposals=proposals,
        applications=applications,
        submissions=[s for s in submissions if s not in shared],
        shared=shared,
    )


def earlier_events(session: Session, t: Targets) -> tuple[list[AuditEvent], list[AuditEvent]]:
    """Earlier events of the person's rows (their personal keys are cleared) and of the
    organisation (only the values found are replaced: they may name other signers)."""
    kinds: dict[str, list[object]] = {
        "signatory": [m.id for m in t.members],
        "proposal": [p.id for p in t.proposals],
        "submission": [s.id for s in (*t.submissions, *t.shared)],
        "application": [a.id for a in t.applications],
    }

    def of(entity: str, ids: Iterable[object]) -> ColumnElement[bool]:
        return (AuditEvent.entity == entity) & AuditEvent.entity_id.in_([str(i) for i in ids])

    own = [of(kind, ids) for kind, ids in kinds.items() if ids]
    rows: list[AuditEvent] = []
    if own:
        rows = list(session.scalars(select(AuditEvent).where(or_(*own)).order_by(AuditEvent.id)))
    org_rows: list[AuditEvent] = []
    if t.organisation_ids:
        org_rows = list(
            session.scalars(
                select(AuditEvent)
                .where(of("organisation", t.organisation_ids))
                .order_by(AuditEvent.id)
            )
        )
    return rows, org_rows
