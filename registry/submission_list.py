"""The submissions list (``signreg submissions``; the contract in design.md): one entry
per file dropped, in arrival order — the submission for the first file of a content,
status ``duplicate`` for every later file with the same content.

Two statements in SQLAlchemy Core on a plain connection: no ORM models, no pydantic,
so the read-only command that prints it starts in a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Boolean, Connection, text

from registry.states import SubmissionStatus
from registry.types import UTCDateTime

_ARRIVALS = text(
    "SELECT a.file_name AS arrival_name, a.arrived_at, a.duplicate,"
    " s.id, s.sha256, s.file_name, s.status, s.error, s.reason, s.received_at, s.attempts"
    " FROM submission_arrival a JOIN submission s ON s.id = a.submission_id"
    " ORDER BY a.id"
).columns(arrived_at=UTCDateTime(), received_at=UTCDateTime(), duplicate=Boolean())
_PROPOSALS = text("SELECT submission_id, id FROM proposal ORDER BY id")


@dataclass(frozen=True, slots=True)
class SubmissionEntry:
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
    # a quarantined file a person threw away: reported as ``quarantined``
    discarded: bool = False
    # replaced by a later, larger file of the same name (registry.supersede): reported
    # as ``duplicate`` (the contract's six statuses), the error naming the newer one
    superseded: bool = False

    def to_json(self) -> dict[str, Any]:
        # field by field: dataclasses.asdict deep-copies every value, a third of a
        # second for a thousand entries
        out = {name: getattr(self, name) for name in _FIELDS}
        out["received_at"] = self.received_at.isoformat().replace("+00:00", "Z")
        out["proposals"] = list(self.proposals)
        return out


_FIELDS = tuple(f.name for f in fields(SubmissionEntry))


def list_submissions(conn: Connection) -> list[SubmissionEntry]:
    proposals: dict[int, list[int]] = defaultdict(list)
    for submission_id, proposal_id in conn.execute(_PROPOSALS):
        proposals[submission_id].append(proposal_id)
    return [_entry(row, proposals) for row in conn.execute(_ARRIVALS).mappings()]


def _entry(row: Any, proposals: dict[int, list[int]]) -> SubmissionEntry:
    if row["duplicate"]:
        return SubmissionEntry(
            id=row["id"],
            sha256=row["sha256"],
            file=row["arrival_name"],
            status=SubmissionStatus.DUPLICATE,
            error=None,
            reason="duplicate",
            received_at=row["arrived_at"],
            attempts=0,
            proposals=[],
            duplicate_of=row["id"],
        )
    status = row["status"]
    discarded = status == SubmissionStatus.DISCARDED
    superseded = status == SubmissionStatus.SUPERSEDED
    if discarded:
        status = SubmissionStatus.QUARANTINED
    elif superseded:
        status = SubmissionStatus.DUPLICATE
    return SubmissionEntry(
        id=row["id"],
        sha256=row["sha256"],
        file=row["file_name"],
        status=str(status),
        error=row["error"],
        reason=row["reason"],
        received_at=row["received_at"],
        attempts=row["attempts"],
        proposals=proposals.get(row["id"], []),
        discarded=discarded,
        superseded=superseded,
    )
