"""A person's decisions on quarantined files: look, retry the intake's checks, discard.

What is listed (:meth:`QuarantineDesk.items`), newest first: every submission whose
status is ``quarantined``, and every file in ``data/quarantine`` that no such row
names (a crash between the quarantine write and its record), with its
``.reason.txt``. Discarded rows are listed apart, with who discarded them and when.

Retry re-runs the intake's validation (``ocr.images.check_received`` with its limits)
on the stored bytes. A row that passes now is archived at its content address and
goes back to the queue as ``received``; one that fails stays, with the reason found
now. A file without a row goes through :meth:`Intake.take_private` as if it had just
arrived (so it gets its row, received or quarantined). Passing, the quarantine's copy
and its reason are removed.

Discard marks the row ``discarded`` (the audit event keeps sha256, name, reason and
who) and only then removes the bytes: a crash between the two leaves a discarded row
whose file is still there, shown so and removable again, never a file gone unrecorded.
Every decision is one AuditEvent, in the same transaction as the row's change.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.orm import Session

from ingest.durable import fsync_dir, sha256_file, temp_path_in
from ingest.intake import Intake
from ingest.quarantine import REASON_SUFFIX
from ingest.upload import outcome_of
from ocr.errors import ExtractionError
from ocr.images import check_received
from registry import quarantined
from registry.models import Submission


@dataclass(frozen=True, slots=True)
class QuarantinedItem:
    """One quarantined file as the page shows it (a row, a file, or both)."""

    file_name: str
    reason: str | None
    message: str | None
    at: dt.datetime | None
    submission_id: int | None = None
    sha256: str | None = None
    size: int | None = None
    path: Path | None = None  # the quarantine's copy, when it is there
    status: str = "quarantined"
    discarded_by: str | None = None
    discarded_at: dt.datetime | None = None

    @property
    def key(self) -> str:
        """How routes name it: ``s<id>`` for a row, else the quarantine file's name."""
        if self.submission_id is not None:
            return f"s{self.submission_id}"
        assert self.path is not None
        return self.path.name


def read_reason(path: Path) -> dict[str, str]:
    """The ``reason``, ``message`` and ``time`` lines of a file's ``.reason.txt``."""
    reason_path = path.with_name(path.name + REASON_SUFFIX)
    try:
        text = reason_path.read_text("utf-8")
    except FileNotFoundError:
        return {}
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _time(text: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class QuarantineDesk:
    intake: Intake
    # where a file is copied for :meth:`Intake.take_private` (the uploads' folder, whose
    # leftover temp files are cleaned)
    private_dir: Path

    @property
    def root(self) -> Path:
        return self.intake.quarantine.root

    def items(self, *, session: Session) -> list[QuarantinedItem]:
        """Quarantined rows and unrecorded quarantine files, newest first."""
        rows = quarantined.quarantined_submissions(session=session)
        found = [self._of_row(row) for row in rows]
        named = {item.path.name for item in found if item.path is not None}
        for path in self.intake.quarantine.entries():
            if path.name not in named:
                found.append(self._of_file(path))
        oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(found, key=lambda i: i.at or oldest, reverse=True)

    def discarded(self, *, session: Session) -> list[QuarantinedItem]:
        rows = quarantined.quarantined_submissions(session=session, discarded=True)
        events = quarantined.discard_events(session=session, submission_ids=[r.id for r in rows])
        out = []
        for row in rows:
            event = events.get(row.id)
            out.append(
                replace(
                    self._of_row(row),
                    discarded_by=event.actor if event else None,
                    discarded_at=event.at if event else row.processed_at,
                )
            )
        return out

    def _of_row(self, row: Submission) -> QuarantinedItem:
        path = self.intake.quarantine.path_for(row.sha256, row.file_name)
        return QuarantinedItem(
            file_name=row.file_name,
            reason=row.reason,
            message=row.error,
            at=row.processed_at or row.received_at,
            submission_id=row.id,
            sha256=row.sha256,
            size=row.size,
            path=path if path.is_file() else None,
            status=row.status,
        )

    def _of_file(self, path: Path) -> QuarantinedItem:
        reason = read_reason(path)
        prefix, _sep, name = path.name.partition("-")
        return QuarantinedItem(
            file_name=name or path.name,
            reason=reason.get("reason"),
            message=reason.get("message"),
            at=_time(reason.get("time")),
            sha256=None,
            size=path.stat().st_size,
            path=path,
        )

    def file_item(self, name: str) -> QuarantinedItem | None:
        """The quarantine file called exactly ``name`` (never a path), if it is there."""
        for path in self.intake.quarantine.entries():
            if path.name == name:
                return self._of_file(path)
        return None

    def row_item(self, *, session: Session, submission_id: int) -> QuarantinedItem | None:
        row = session.get(Submission, submission_id)
        return None if row is None else self._of_row(row)

    def bytes_path(self, item: QuarantinedItem) -> Path | None:
        """Where the item's bytes are: the quarantine's copy, else the archive's."""
        if item.path is not None:
            return item.path
        if item.sha256 and self.intake.archive.contains(item.sha256):
            return self.intake.archive.path_for(item.sha256)
        return None

    def retry(self, item: QuarantinedItem, *, actor: str) -> str:
        """Run the intake's checks again: ``received`` (``duplicate`` for a file whose
        content has a row already) or ``quarantined`` (the reason then on the row)."""
        source = self.bytes_path(item)
        if source is None:
            raise FileNotFoundError(f"the bytes of {item.file_name} are not stored")
        if item.submission_id is None:
            return self._retry_file(item, source, actor=actor)
        now = self.intake.now()
        try:
            check_received(source.read_bytes(), self.intake.limits)
        except ExtractionError as e:
            with self.intake.session_factory.begin() as session:
                quarantined.keep_quarantined(
                    session=session,
                    submission_id=item.submission_id,
                    reason=e.reason.value,
                    error=e.message,
                    actor=actor,
                    now=now,
                )
            return "quarantined"
        archive = self.intake.archive
        if not archive.contains(item.sha256 or ""):
            archive.commit(archive.stage(source))
        with self.intake.session_factory.begin() as session:
            quarantined.requeue(
                session=session,
                submission_id=item.submission_id,
                archive_path=archive.relative_path(item.sha256 or ""),
                actor=actor,
                now=now,
            )
        self._remove(item)
        return "received"

    def _retry_file(self, item: QuarantinedItem, source: Path, *, actor: str) -> str:
        self.private_dir.mkdir(parents=True, exist_ok=True)
        copy = temp_path_in(self.private_dir)
        shutil.copyfile(source, copy)
        sha256, _size = sha256_file(copy)
        result = self.intake.take_private(copy, item.file_name)
        outcome = outcome_of(result)  # take_private: submitted, duplicate or quarantined
        with self.intake.session_factory.begin() as session:
            quarantined.record_file_decision(
                session=session,
                action=quarantined.RETRY_ACTION,
                file_name=source.name,
                sha256=sha256,
                reason=item.reason,
                outcome=outcome,
                actor=actor,
                now=self.intake.now(),
            )
        if outcome != "quarantined":
            self._remove(item)
        return outcome

    def discard(self, item: QuarantinedItem, *, actor: str) -> None:
        """Record the discard, then remove the quarantine's copy and its reason."""
        now = self.intake.now()
        with self.intake.session_factory.begin() as session:
            if item.submission_id is not None:
                quarantined.discard(
                    session=session, submission_id=item.submission_id, actor=actor, now=now
                )
            else:
                assert item.path is not None
                quarantined.record_file_decision(
                    session=session,
                    action=quarantined.DISCARD_ACTION,
                    file_name=item.path.name,
                    sha256=sha256_file(item.path)[0],
                    reason=item.reason,
                    outcome="discarded",
                    actor=actor,
                    now=now,
                )
        self._remove(item)

    def _remove(self, item: QuarantinedItem) -> None:
        if item.path is None:
            return
        item.path.with_name(item.path.name + REASON_SUFFIX).unlink(missing_ok=True)
        item.path.unlink(missing_ok=True)
        fsync_dir(item.path.parent)
