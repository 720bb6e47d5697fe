"""Read-side queries shared by the CLI and the web: submissions and proposals."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.errors import NotFound
from registry.models import Proposal, Submission, SubmissionArrival
from registry.schemas import ProposalOut, SubmissionOut


def list_submissions(*, session: Session) -> list[SubmissionOut]:
    """One entry per file dropped, in arrival order: the submission for the first file
    of a content, status ``duplicate`` for every later file with the same content."""
    arrivals = session.scalars(
        select(SubmissionArrival)
        .options(selectinload(SubmissionArrival.submission).selectinload(Submission.proposals))
        .order_by(SubmissionArrival.id)
    )
    out = [
        SubmissionOut.of_duplicate(a) if a.duplicate else SubmissionOut.of(a.submission)
        for a in arrivals
    ]
    return out


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
