"""Read-side queries shared by the CLI and the web: submissions and proposals."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.errors import NotFound
from registry.models import Proposal, Submission, SubmissionArrival
from registry.schemas import ProposalOut, SubmissionOut


def list_submissions(*, session: Session) -> list[SubmissionOut]:
    """Every submission, then every duplicate arrival (status ``duplicate``), by time."""
    subs = session.scalars(
        select(Submission).options(selectinload(Submission.proposals)).order_by(Submission.id)
    )
    out = [SubmissionOut.of(s) for s in subs]
    dups = session.scalars(
        select(SubmissionArrival)
        .where(SubmissionArrival.duplicate.is_(True))
        .options(selectinload(SubmissionArrival.submission))
        .order_by(SubmissionArrival.id)
    )
    out.extend(SubmissionOut.of_duplicate(a) for a in dups)
    return sorted(out, key=lambda s: s.received_at)


def list_proposals(*, session: Session, status: str | None = None) -> list[ProposalOut]:
    stmt = select(Proposal).options(selectinload(Proposal.submission)).order_by(Proposal.id)
    if status:
        stmt = stmt.where(Proposal.status == status)
    return [ProposalOut.of(p) for p in session.scalars(stmt)]


def show_proposal(*, session: Session, proposal_id: int) -> ProposalOut:
    row = session.get(Proposal, proposal_id)
    if row is None:
        raise NotFound("proposal", proposal_id)
    return ProposalOut.of(row)
