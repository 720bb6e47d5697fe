"""Review as a state machine.

    proposed ──approve──► approved      creates or renews the Signatory
        │  ◄──reopen────┘               (restores the membership as it was before)
        └────reject───► rejected
           ◄──reopen────┘

Every decision is one AuditEvent with the state before and after (including the
reviewer's corrections and the membership it changed), written in the caller's
transaction together with the decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ocr.model import FIELD_NAMES
from registry.audit import events_for, record_event
from registry.declarations import get_declaration
from registry.errors import Conflict, InvalidTransition, NotFound, ValidationError
from registry.models import Proposal, ProposalStatus, Signatory, SignatorySource
from registry.organisations import resolve_organisation
from registry.orgnr import normalise_orgnr
from registry.signatories import add_years, restore_snapshot, snapshot

EDITABLE = (*FIELD_NAMES, "declaration")


def get_proposal(*, session: Session, proposal_id: int) -> Proposal:
    stmt = select(Proposal).where(Proposal.id == proposal_id).with_for_update()
    row = session.scalar(stmt)
    if row is None:
        raise NotFound("proposal", proposal_id)
    return row


def _require(proposal: Proposal, current: str, wanted: str) -> None:
    if proposal.status != current:
        raise InvalidTransition("proposal", proposal.id, proposal.status, wanted)


def _decision(p: Proposal) -> dict[str, Any]:
    return {"status": p.status, "decided_by": p.decided_by, "reason": p.reason}


def parse_date(value: str | None) -> dt.date:
    if not value:
        raise ValidationError("a signed date is needed (YYYY-MM-DD)", field="signed_date")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"not a date (YYYY-MM-DD): {value!r}", field="signed_date") from None


def corrected_values(
    proposal: Proposal, corrections: Mapping[str, str | None] | None
) -> tuple[dict[str, str | None], dict[str, dict[str, str | None]]]:
    values: dict[str, str | None] = {n: proposal.value(n) for n in FIELD_NAMES}
    values["declaration"] = proposal.declaration_slug
    changed: dict[str, dict[str, str | None]] = {}
    for name, raw in (corrections or {}).items():
        if name not in EDITABLE:
            raise ValidationError(f"no field {name!r}; fields: {', '.join(EDITABLE)}", field=name)
        new = raw.strip() if raw and raw.strip() else None
        if new != values[name]:
            changed[name] = {"before": values[name], "after": new}
            values[name] = new
    return values, changed


def approve_proposal(
    *,
    session: Session,
    proposal_id: int,
    reviewer: str,
    corrections: Mapping[str, str | None] | None = None,
    organisation_id: int | None = None,
    now: dt.datetime,
) -> Signatory:
    proposal = get_proposal(session=session, proposal_id=proposal_id)
    _require(proposal, ProposalStatus.PROPOSED, ProposalStatus.APPROVED)
    values, changed = corrected_values(proposal, corrections)
    signed = parse_date(values["signed_date"])
    number = None
    if values["organisation_number"]:
        number = normalise_orgnr(values["organisation_number"])
        if number is None:
            raise ValidationError(
                f"not a valid organisation number: {values['organisation_number']!r}",
                field="organisation_number",
            )
    if not values["organisation"] and organisation_id is None:
        raise ValidationError(
            "the organisation is unknown: set organisation=NAME or link one", field="organisation"
        )
    if not values["declaration"]:
        raise ValidationError(
            "the declaration is unknown: set declaration=SLUG", field="declaration"
        )
    try:
        declaration = get_declaration(session=session, slug=values["declaration"])
    except NotFound:
        raise ValidationError(
            f"unknown declaration {values['declaration']!r}", field="declaration"
        ) from None
    org, _ = resolve_organisation(
        session=session,
        name=values["organisation"],
        number=number,
        county=values["county"],
        organisation_id=organisation_id,
    )
    member = session.scalar(
        select(Signatory).where(
            Signatory.organisation_id == org.id, Signatory.declaration_id == declaration.id
        )
    )
    before_member = None if member is None else snapshot(member)
    if member is None:
        member = Signatory(organisation_id=org.id, declaration_id=declaration.id)
        session.add(member)
    member.signed_date = signed
    member.signer_name = values["signatory_name"]
    member.signer_title = values["signatory_title"]
    member.signer_email = values["email"]
    member.verified_by, member.verified_at = reviewer, now
    member.follow_up_due = add_years(signed, declaration.follow_up_years)
    member.source, member.proposal_id, member.active = SignatorySource.SCAN, proposal.id, True
    session.flush()
    before = _decision(proposal)
    proposal.status = ProposalStatus.APPROVED
    proposal.decided_by, proposal.decided_at, proposal.reason = reviewer, now, None
    proposal.corrections = changed or None
    proposal.county = values["county"]
    proposal.organisation_id, proposal.signatory_id = org.id, member.id
    record_event(
        session=session,
        actor=reviewer,
        action="proposal.approve",
        entity="proposal",
        entity_id=proposal.id,
        before={**before, "signatory": before_member},
        after={
            **_decision(proposal),
            "corrections": changed,
            "values": values,
            "organisation_id": org.id,
            "signatory": snapshot(member),
        },
        now=now,
    )
    return member


def reject_proposal(
    *, session: Session, proposal_id: int, reviewer: str, reason: str, now: dt.datetime
) -> Proposal:
    proposal = get_proposal(session=session, proposal_id=proposal_id)
    _require(proposal, ProposalStatus.PROPOSED, ProposalStatus.REJECTED)
    if not reason or not reason.strip():
        raise ValidationError("a rejection needs a reason", field="reason")
    before = _decision(proposal)
    proposal.status = ProposalStatus.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.reason = reviewer, now, reason.strip()
    record_event(
        session=session,
        actor=reviewer,
        action="proposal.reject",
        entity="proposal",
        entity_id=proposal.id,
        before=before,
        after=_decision(proposal),
        now=now,
    )
    return proposal


def reopen_proposal(
    *,
    session: Session,
    proposal_id: int,
    reviewer: str,
    reason: str | None = None,
    now: dt.datetime,
) -> Proposal:
    """Undo a decision: back to proposed; an approval's membership is put back as it was."""
    proposal = get_proposal(session=session, proposal_id=proposal_id)
    if proposal.status in (ProposalStatus.PROPOSED, ProposalStatus.SUPERSEDED):
        # a superseded proposal's scan was read anew: its successor is the one to decide
        raise InvalidTransition("proposal", proposal.id, proposal.status, "reopened")
    before: dict[str, Any] = _decision(proposal)
    after_member = None
    if proposal.status == ProposalStatus.APPROVED:
        member = session.get(Signatory, proposal.signatory_id)
        if member is None:
            raise NotFound("signatory", proposal.signatory_id)
        if member.proposal_id != proposal.id:
            raise Conflict(
                f"proposal {proposal.id}: a later decision (proposal {member.proposal_id}) "
                "changed this membership; reopen that one first"
            )
        approval = [
            e
            for e in events_for(session=session, entity="proposal", entity_id=proposal.id)
            if e.action == "proposal.approve"
        ][-1]
        before["signatory"] = snapshot(member)
        previous = (approval.before or {}).get("signatory")
        if previous is None:
            member.active = False
        else:
            restore_snapshot(member, previous)
        after_member = snapshot(member)
    proposal.status = ProposalStatus.PROPOSED
    proposal.decided_by, proposal.decided_at, proposal.reason = None, None, None
    proposal.corrections, proposal.organisation_id, proposal.signatory_id = None, None, None
    record_event(
        session=session,
        actor=reviewer,
        action="proposal.reopen",
        entity="proposal",
        entity_id=proposal.id,
        before=before,
        after={**_decision(proposal), "reason": reason, "signatory": after_member},
        now=now,
    )
    return proposal
