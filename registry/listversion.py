"""The public list's version: one counter raised in every transaction that changes what
the list shows, so caches keyed on it are never stale.

The counter is raised by a ``before_flush`` hook whenever a Signatory, Organisation or
Declaration is added, changed or deleted, once per transaction, inside that
transaction: a reader that sees the new rows also sees the new version (and one that
sees the old version sees the old rows). No service has to remember it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.orm import Session

from registry.models import Declaration, ListVersion, Organisation, Signatory

_WATCHED = (Signatory, Organisation, Declaration)
_RAISED = "signreg_list_version_raised"
_SELECT = text("SELECT version FROM list_version WHERE id = 1")


def current_version(conn: Connection | Session) -> int:
    """The list's version now (0 on a database that has never changed it)."""
    return int(conn.execute(_SELECT).scalar() or 0)


@event.listens_for(Session, "before_flush")
def _raise_on_change(session: Session, _ctx: object, _instances: object) -> None:
    if session.info.get(_RAISED):
        return
    touched = [
        o
        for o in (*session.new, *session.deleted, *session.dirty)
        if isinstance(o, _WATCHED)
        and (o in session.new or o in session.deleted or session.is_modified(o))
    ]
    if not touched:
        return
    row = session.get(ListVersion, 1)
    if row is None:
        session.add(ListVersion(id=1, version=1))
    else:
        row.version = ListVersion.version + 1  # in SQL: safe beside another writer
    session.info[_RAISED] = True


@event.listens_for(Session, "after_transaction_end")
def _reset(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_RAISED, None)
