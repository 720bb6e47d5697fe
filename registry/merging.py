"""Merging a duplicate organisation into the one it duplicates (audited).

The duplicate's memberships move to the other; where both have one for the same
declaration, the newer signed is kept (on the other's row, which the proposals that
made it then point at) and the older is recorded in the event; the one left behind
on the duplicate is taken out of every list (``active`` False), not deleted. The
duplicate's name and aliases become the other's aliases, its organisation number
moves over when the other has none (two different numbers are two legal entities:
refused), and it gets ``merged_into_id``: gone from searches, lists and matches, its
history kept. Services never commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry.audit import record_event
from registry.errors import Conflict, ValidationError
from registry.models import Organisation, Proposal, Signatory
from registry.organisations import live_one, names_of, organisation_state, with_aliases
from registry.signatories import _SNAPSHOT_FIELDS, snapshot

# what a kept membership takes over from the one it supersedes in a merge: what the
# audit trail snapshots of it, and its standing
_MEMBERSHIP_FIELDS = (
    *(f for f in _SNAPSHOT_FIELDS if f != "active"),
    "status",
    "status_since",
    "status_reason",
)


def merge_organisations(
    *, session: Session, organisation_id: int, into_id: int, actor: str, now: dt.datetime
) -> Organisation:
    """Merge a duplicate into ``into_id``: its memberships move there (where both have
    one for a declaration, the newer signed is kept and the other recorded in the
    event), its name and aliases become aliases there, it gets ``merged_into_id``."""
    if organisation_id == into_id:
        raise ValidationError("an organisation cannot be merged into itself", field="into")
    source = live_one(session, organisation_id)
    target = live_one(session, into_id)
    numbers = {source.organisation_number, target.organisation_number} - {None}
    if len(numbers) > 1:
        raise Conflict(
            f"{source.name} and {target.name} have different organisation numbers "
            f"({', '.join(sorted(str(n) for n in numbers))}): correct the wrong one first"
        )
    before = {"organisation": organisation_state(source), "into": organisation_state(target)}
    moved, superseded = _move_memberships(session, source, target)
    if source.organisation_number and not target.organisation_number:
        number, source.organisation_number = source.organisation_number, None
        session.flush()
        target.organisation_number = number
    target.county = target.county or source.county
    target.aliases = with_aliases(target, names_of(source))
    source.merged_into_id = target.id
    after = {
        "organisation": organisation_state(source),
        "into": organisation_state(target),
        "moved_signatories": moved,
        "superseded": superseded,
    }
    for entity_id, action in (
        (source.id, "organisation.merge"),
        (target.id, "organisation.merged_in"),
    ):
        record_event(
            session=session,
            actor=actor,
            action=action,
            entity="organisation",
            entity_id=entity_id,
            before=before,
            after=after,
            now=now,
        )
    return target


def _move_memberships(
    session: Session, source: Organisation, target: Organisation
) -> tuple[list[int], list[dict[str, Any]]]:
    """Move ``source``'s memberships to ``target``; the ids moved, and for each
    declaration both had, the kept and the superseded membership as they were."""
    theirs = {
        m.declaration_id: m
        for m in session.scalars(select(Signatory).where(Signatory.organisation_id == target.id))
    }
    moved: list[int] = []
    superseded: list[dict[str, Any]] = []
    mine = select(Signatory).where(Signatory.organisation_id == source.id).order_by(Signatory.id)
    for member in list(session.scalars(mine)):
        other = theirs.get(member.declaration_id)
        if other is None:
            member.organisation_id = target.id
            moved.append(member.id)
            continue
        if not member.active:
            continue  # an undone membership stays where it was, in no list
        newer = (member.signed_date, member.verified_at) > (other.signed_date, other.verified_at)
        if not other.active or newer:
            dropped = snapshot(other)
            for name in _MEMBERSHIP_FIELDS:
                setattr(other, name, getattr(member, name))
            other.active = True
            session.execute(
                update(Proposal)
                .where(Proposal.signatory_id == member.id)
                .values(signatory_id=other.id, organisation_id=target.id)
            )
            superseded.append(
                {"kept": snapshot(other), "superseded": dropped, "taken_from": member.id}
            )
        else:
            superseded.append({"kept": snapshot(other), "superseded": snapshot(member)})
        member.active = False
    return moved, superseded
