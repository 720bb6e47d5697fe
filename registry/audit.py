"""The audit trail: append-only rows of who did what when, with before and after.

Written by every service (:func:`record_event`, in the decision's own transaction);
read back filtered, newest first (:func:`list_events` a page at a time,
:func:`iter_events` all of them for an export), within what the reader may see
(:func:`visible_to`): an admin sees every event; a reviewer sees no account changes, and
one limited to counties or declarations only events of proposals, submissions,
signatories and organisations in that scope, and of files in quarantine (read for no
county, they are every reviewer's); events of any other kind only admins and reviewers
without limits see.

Rows are append-only (a flush hook refuses any change or deletion), with one
exception made in one place: :func:`scrub_events`, by which an erasure on request
replaces a person's values in earlier events with ``[raderat]`` and says so in an
event of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    event,
    exists,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import Session

from registry.models import (
    AuditEvent,
    Declaration,
    Organisation,
    Proposal,
    Signatory,
    Submission,
)

if TYPE_CHECKING:  # registry.reviewers records events through this module
    from registry.reviewers import Scope


def record_event(
    *,
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    now: dt.datetime,
) -> AuditEvent:
    row = AuditEvent(
        at=now,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
    )
    session.add(row)
    return row


def events_for(*, session: Session, entity: str, entity_id: object) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(stmt))


ERASED = "[raderat]"  # what an erased personal value reads as, in the trail and elsewhere
_SCRUBBED = "signreg_audit_scrubbed"  # session.info: the events scrub_events may change
_SCRUBBABLE = frozenset({"before", "after"})


def scrub_events(
    *,
    session: Session,
    events: Iterable[AuditEvent],
    scrub: Callable[[Any], tuple[Any, int]],
    by: AuditEvent,
) -> dict[int, int]:
    """The one permitted change to recorded events: erasure on request
    (``registry.erasure``) replaces personal values in ``before`` and ``after``.

    ``scrub`` maps a JSON value to the value with the personal data replaced (by
    :data:`ERASED`) and how many values it replaced. Only ``before`` and ``after`` of the
    events it changed may then be flushed (the append-only hook checks both); the row,
    who, what and when stay. ``by`` is the new event that records the erasure, in this
    transaction: its ``after`` gets ``scrubbed_events`` (event id → values replaced),
    so the trail itself says which events were changed and how much. Returns that map.
    """
    if by not in session.new:
        raise RuntimeError("scrub_events needs the new event that records the erasure")
    allowed: set[int] = session.info.setdefault(_SCRUBBED, set())
    changed: dict[int, int] = {}
    for row in events:
        before, n_before = scrub(row.before)
        after, n_after = scrub(row.after)
        if n_before + n_after == 0:
            continue
        allowed.add(row.id)
        row.before, row.after = before, after
        changed[row.id] = n_before + n_after
    recorded = dict((by.after or {}).get("scrubbed_events") or {})
    recorded.update({str(k): v for k, v in changed.items()})
    by.after = {**(by.after or {}), "scrubbed_events": recorded}
    return changed


def _scrubbed_only(session: Session, obj: AuditEvent) -> bool:
    """``obj`` was changed by :func:`scrub_events` and in nothing but before and after."""
    if obj.id not in session.info.get(_SCRUBBED, ()):
        return False
    state = inspect(obj)
    return all(
        not state.attrs[prop.key].history.has_changes()
        for prop in state.mapper.column_attrs
        if prop.key not in _SCRUBBABLE
    )


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: object, _instances: object) -> None:
    for obj in (*session.dirty, *session.deleted):
        if not isinstance(obj, AuditEvent):
            continue
        if obj in session.deleted or (
            session.is_modified(obj) and not _scrubbed_only(session, obj)
        ):
            raise RuntimeError(f"audit events are append-only (event {obj.id})")


@event.listens_for(Session, "after_transaction_end")
def _forget_scrubbed(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_SCRUBBED, None)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What to look for; ``None`` or empty: anything. ``actor`` is a part of the name (any
    case), ``action`` a whole action or its family (``proposal`` is every
    ``proposal.*``); ``since`` is inclusive, ``until`` exclusive."""

    actor: str | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def where(self) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if self.actor:
            conditions.append(
                func.lower(AuditEvent.actor).contains(self.actor.lower(), autoescape=True)
            )
        if self.action:
            conditions.append(
                or_(
                    AuditEvent.action == self.action,
                    AuditEvent.action.startswith(f"{self.action}.", autoescape=True),
                )
            )
        if self.entity:
            conditions.append(AuditEvent.entity == self.entity)
        if self.entity_id:
            conditions.append(AuditEvent.entity_id == self.entity_id)
        if self.since is not None:
            conditions.append(AuditEvent.at >= self.since)
        if self.until is not None:
            conditions.append(AuditEvent.at < self.until)
        return and_(True, *conditions)


def _ids(stmt: Select[Any]) -> Select[Any]:
    return stmt.with_only_columns(cast(stmt.selected_columns[0], String))


def visible_to(*, scope: Scope, admin: bool) -> ColumnElement[bool]:
    """The events one reader may see, as a SQL condition (see the module docstring)."""
    if admin:
        return and_(True)
    if scope.everything:
        return AuditEvent.entity != "reviewer"
    in_scope = scope.where
    proposals = select(Proposal.id).where(in_scope(Proposal.county, Proposal.declaration_slug))
    # a submission through its proposals; one with none (a quarantined file, read for no
    # county) is every reviewer's, as on the quarantine page
    submissions = select(Submission.id).where(
        or_(
            Submission.id.in_(
                select(Proposal.submission_id).where(
                    in_scope(Proposal.county, Proposal.declaration_slug)
                )
            ),
            ~exists().where(Proposal.submission_id == Submission.id),
        )
    )
    members = (
        select(Signatory.id)
        .join(Organisation, Signatory.organisation_id == Organisation.id)
        .join(Declaration, Signatory.declaration_id == Declaration.id)
        .where(in_scope(Organisation.county, Declaration.slug))
    )
    organisations = select(Organisation.id)
    if scope.declarations:  # an organisation is theirs through a membership of theirs
        organisations = organisations.join(
            Signatory, Signatory.organisation_id == Organisation.id
        ).join(Declaration, Signatory.declaration_id == Declaration.id)
    organisations = organisations.where(in_scope(Organisation.county, Declaration.slug))
    kinds = {
        "proposal": proposals,
        "submission": submissions,
        "signatory": members,
        "organisation": organisations,
    }
    return or_(
        AuditEvent.entity == "quarantine_file",  # a file no submission row names
        *(
            and_(AuditEvent.entity == kind, AuditEvent.entity_id.in_(_ids(ids)))
            for kind, ids in kinds.items()
        ),
    )


def _query(filters: AuditFilter, visible: ColumnElement[bool]) -> Select[AuditEvent]:
    return select(AuditEvent).where(filters.where(), visible)


def list_events(
    *,
    session: Session,
    filters: AuditFilter,
    visible: ColumnElement[bool],
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[AuditEvent], int]:
    """One page of matching events, newest first, and how many match in all."""
    stmt = _query(filters, visible)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    stmt = stmt.offset((max(page, 1) - 1) * page_size).limit(page_size)
    return list(session.scalars(stmt)), int(total)


def iter_events(
    *, session: Session, filters: AuditFilter, visible: ColumnElement[bool], batch: int = 500
) -> Iterator[AuditEvent]:
    """Every matching event, newest first, fetched ``batch`` rows at a time."""
    stmt = _query(filters, visible).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    yield from session.scalars(stmt.execution_options(yield_per=batch))


def known_values(*, session: Session, visible: ColumnElement[bool]) -> tuple[list[str], list[str]]:
    """The actions and the entity kinds that occur in the events one reader may see."""
    actions = session.scalars(
        select(AuditEvent.action).where(visible).distinct().order_by(AuditEvent.action)
    )
    entities = session.scalars(
        select(AuditEvent.entity).where(visible).distinct().order_by(AuditEvent.entity)
    )
    return list(actions), list(entities)
