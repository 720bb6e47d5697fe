"""Read-side queries shared by the CLI and the web: proposals (submissions are in
:mod:`registry.submission_list`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.errors import NotFound
from registry.models import Proposal
from registry.schemas import ProposalOut


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
