"""Take one stable inbox file: claim, hash, validate, archive, record, and only then remove.

The steps, each durable before the next starts::

    claim     rename inbox/NAME -> inbox/.signreg-taking/TOKEN__NAME (atomic: of several
              watchers sharing the inbox, exactly one wins)
    stage     copy into a fsynced temp file in the archive while hashing (sha256)
    validate  the quick checks of ocr.pdf.open_pdf (empty, not a PDF, truncated,
              encrypted, limits), nothing decoded
    archive   rename to data/archive/ab/abcdef….pdf, fsync the folders
              (bad files instead: data/quarantine/<sha12>-NAME + .reason.txt)
    record    one transaction: a new submission, or a duplicate arrival of an old one,
              or a quarantined submission with its reason
    remove    unlink the claimed file from the inbox

A file in a sub-folder of the inbox is recorded under its path in the inbox
(``batch-3/scan.pdf``). A new submission from the inbox supersedes the unreviewed,
smaller submission of the same name it grew from (a scanner adding pages:
:mod:`registry.supersede`) in the same transaction; files named on the command line
and uploads never supersede.

A crash between any two steps leaves the claimed file in ``.signreg-taking``; after
``orphan_seconds`` any watcher re-claims it and runs the steps again. Archive and
quarantine writes are idempotent; the record step, when recovering, recognises a file
already recorded under the same name by its sha256 and only removes it. So every file
dropped ends up recorded exactly once.

When a step fails because the disk is full or the database cannot be reached just now
(:func:`~ingest.durable.disk_full`, :func:`registry.db.database_unavailable`), nothing
half-done is left: the staged temp file is removed, and a file taken from the inbox is
put back where it was found (a hard link back, then the claim removed; if a new file of
that name has arrived meanwhile it stays claimed and is recovered later), so that it
is taken again, whole, when there is room or the database is back. The failure is
logged once, with the file's sha256 (hashed from the file itself if staging could not
write it), where it now is, and for a full disk the folder and its free bytes; and
counted in ``signreg_ingest_intake_failures_total{reason}``. The error then goes on to
the caller (the watcher backs off, an upload answers with an error).

One failure is different: the database going away while the record is being committed
(:class:`RecordUncertain`). The record may be there or not, so the file is not put back
(taken again as new, it would be recorded a second time, as a duplicate of itself): it
stays claimed, and recovering it once the database is back records it, or finds it
recorded already, exactly once.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import structlog
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ingest import metrics as ingest_metrics
from ingest.archive import Archive
from ingest.durable import Staged, disk_full, free_bytes, fsync_dir, sha256_file
from ingest.logs import SYMLINK, about_file, no_sha256
from ingest.quarantine import Quarantine
from ocr.errors import ExtractionError
from ocr.images import check_received
from ocr.limits import Limits
from registry import queue, supersede
from registry.db import database_unavailable
from registry.models import ArrivalSource, Submission, SubmissionArrival
from registry.queue import INBOX, Origin

log = structlog.get_logger("ingest.intake")

CLI = Origin(ArrivalSource.CLI)
UPLOAD = Origin(ArrivalSource.UPLOAD)

TAKING_DIR = ".signreg-taking"
_SEP = "__"

Outcome = Literal["submitted", "duplicate", "quarantined", "already_recorded", "gone"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def transient(error: BaseException) -> bool:
    """Whether taking a file failed for a reason that passes (no room on the disk, the
    database away), so the same file should simply be taken again later."""
    return disk_full(error) or database_unavailable(error)


def failure_reason(error: BaseException) -> str:
    """The ``reason`` label a failed intake is counted under."""
    if disk_full(error):
        return "disk_full"
    return "database_unavailable" if database_unavailable(error) else "error"


class RecordUncertain(OperationalError):
    """The database went away while a record was being committed: it may be there."""

    def __init__(self, error: SQLAlchemyError) -> None:
        cause = error.orig if isinstance(error, DBAPIError) else error
        super().__init__("COMMIT", None, cause)  # type: ignore[arg-type]


@contextmanager
def recording(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction, as ``session.begin()``, except that losing the database while
    committing raises :class:`RecordUncertain`."""
    with factory() as session:
        session.begin()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        try:
            session.commit()
        except SQLAlchemyError as e:
            if database_unavailable(e):
                raise RecordUncertain(e) from e
            raise


SCAN_DELETED = "scan_deleted"  # IntakeResult.reason: a duplicate of a scan deleted earlier


@dataclass(frozen=True, slots=True)
class IntakeResult:
    outcome: Outcome
    file_name: str
    sha256: str | None = None
    submission_id: int | None = None
    reason: str | None = None
    superseded_id: int | None = None  # the earlier submission this one superseded


@dataclass(frozen=True, slots=True)
class Intake:
    inbox: Path
    archive: Archive
    quarantine: Quarantine
    session_factory: sessionmaker[Session]
    limits: Limits = Limits()
    orphan_seconds: float = 30.0
    now: Callable[[], datetime] = utcnow
    supersede_window_seconds: float = 900.0

    @property
    def taking_dir(self) -> Path:
        return self.inbox / TAKING_DIR

    def take(self, path: Path, name: str | None = None) -> IntakeResult:
        """Claim and process one stable inbox file (or any file given by path), recorded
        under ``name`` (its path in the inbox; by default its file name)."""
        name = _fitting(name or path.name)
        try:
            claimed = self._claim(path, name)
        except OSError as e:  # the inbox cannot be written (its disk full, its rights)
            with about_file(_sha256_or_none(path), file=name):
                self._failed(e, path, None)
            raise
        if claimed is None:
            return IntakeResult(outcome="gone", file_name=name)
        return self._process(claimed, name, recovering=False, supersede=True, put_back=path)

    def take_copy(self, path: Path, origin: Origin = CLI) -> IntakeResult:
        """Process a file named on the command line, leaving the file where it is."""
        return self._process(path, path.name, recovering=False, remove=False, origin=origin)

    def take_private(self, path: Path, name: str, origin: Origin = UPLOAD) -> IntakeResult:
        """Process a file already written to a private folder of the caller's (an
        upload, a mail's attachment), recorded under ``name`` with where it came from;
        the file is removed once it is recorded."""
        return self._process(path, name, recovering=False, origin=origin)

    def recover_orphans(self) -> list[IntakeResult]:
        """Re-run the steps for claimed files a crashed process left behind."""
        results = []
        for orphan in self._orphans():
            name = _decode(orphan.name.split(_SEP, 1)[1])
            claimed = self._claim(orphan, name)
            if claimed is not None:
                results.append(self._process(claimed, name, recovering=True, supersede=True))
        return results

    def _orphans(self) -> list[Path]:
        if not self.taking_dir.is_dir():
            return []
        limit = time.time() - self.orphan_seconds
        found = []
        for entry in self.taking_dir.iterdir():
            try:
                if _SEP in entry.name and _claimed_at(entry) <= limit:
                    found.append(entry)
            except FileNotFoundError:
                continue
        return sorted(found)

    def _claim(self, path: Path, name: str) -> Path | None:
        self.taking_dir.mkdir(parents=True, exist_ok=True)
        # the claim's time is in its name (for orphan detection): touching the file to
        # mark it would need its owner's rights, which a file copied in by another
        # user (a scanner's account, root on the host of a container) does not give
        claimed_ms = time.time_ns() // 1_000_000
        target = self.taking_dir / f"{claimed_ms}.{uuid.uuid4().hex}{_SEP}{_encode(name)}"
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None  # another watcher took it first
        if target.is_symlink():  # a link dropped in the inbox: removed, never followed
            log.warning("intake.symlink_removed", file=name, **no_sha256(SYMLINK))
            target.unlink()
            return None
        fsync_dir(self.taking_dir)
        return target

    def _process(
        self,
        claimed: Path,
        name: str,
        *,
        recovering: bool,
        remove: bool = True,
        supersede: bool = False,
        origin: Origin = INBOX,
        put_back: Path | None = None,
    ) -> IntakeResult:
        """The steps after the claim. ``put_back``: where a claimed file goes back to
        when a step fails for a passing reason (its place in the inbox)."""
        try:
            staged = self.archive.stage(claimed)
        except OSError as e:  # nothing staged (stage_copy removes its temp file)
            with about_file(_sha256_or_none(claimed), file=name):
                self._failed(e, claimed, put_back)
            raise
        with about_file(staged.sha256, file=name):
            if recovering:
                log.warning("intake.recovering")
            try:
                result = self._validated(
                    staged, name, recovering=recovering, supersede=supersede, origin=origin
                )
            except (OSError, SQLAlchemyError) as e:
                staged.temp.unlink(missing_ok=True)  # still there if it was not moved
                self._failed(e, claimed, put_back, size=staged.size)
                raise
            except BaseException:
                staged.temp.unlink(missing_ok=True)
                raise
            if remove:
                claimed.unlink()
                fsync_dir(claimed.parent)
            log.info(
                "intake.done",
                outcome=result.outcome,
                submission_id=result.submission_id,
                reason=result.reason,
                superseded_id=result.superseded_id,
            )
        ingest_metrics.for_data_dir(self.archive.root.parent).file_taken(result.outcome)
        return result

    def _failed(
        self, error: BaseException, claimed: Path, put_back: Path | None, size: int | None = None
    ) -> None:
        """Log and count a failed intake (in the file's ``about_file`` context) and, for a
        passing reason, put the claimed file back in the inbox."""
        stays = claimed
        uncertain = isinstance(error, RecordUncertain)  # recovered from the claim folder
        if put_back is not None and transient(error) and not uncertain:
            stays = put_back if self._put_back(claimed, put_back) else claimed
        where = self._shown(stays)
        reason = failure_reason(error)
        if reason == "disk_full":
            folder = Path(getattr(error, "filename", None) or self.archive.root)
            folder = folder if folder.is_dir() else folder.parent
            free = free_bytes(folder)
            log.error(
                "intake.disk_full",
                message=f"disk full: cannot write in {folder} ({free} bytes free)",
                path=str(folder),
                free_bytes=free,
                needed_bytes=size if size is not None else _size(claimed, put_back),
                stays=where,
                error=str(error),
            )
        elif reason == "database_unavailable":
            cause = str(getattr(error, "orig", None) or error).strip().splitlines()
            log.warning(
                "intake.database_unavailable",
                message=(
                    "the database went away while the file was recorded; it is recovered "
                    "from the claim folder once the database is back"
                    if uncertain
                    else "the database cannot be reached; the file is taken when it is back"
                ),
                stays=where,
                error=cause[0] if cause else type(error).__name__,
            )
        else:
            log.exception("intake.failed", stays=where)
        ingest_metrics.for_data_dir(self.archive.root.parent).intake_failed(reason)

    def _put_back(self, claimed: Path, place: Path) -> bool:
        """Return a claimed file to its place in the inbox (never over another file)."""
        try:
            os.link(claimed, place)
        except FileExistsError:
            return False  # a new file of that name: this one is recovered as an orphan
        except OSError:
            if place.exists():
                return False
            try:
                os.rename(claimed, place)  # no hard links on this file system
            except OSError:
                return False
            fsync_dir(place.parent)
            return True
        claimed.unlink()
        fsync_dir(place.parent)
        fsync_dir(claimed.parent)
        return True

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.inbox).as_posix()
        except ValueError:
            return str(path)

    def _validated(
        self, staged: Staged, name: str, *, recovering: bool, supersede: bool, origin: Origin
    ) -> IntakeResult:
        try:
            check_received(staged.temp.read_bytes(), self.limits)  # a PDF, a photo
        except ExtractionError as e:
            return self._quarantine(staged, name, e, recovering=recovering, origin=origin)
        return self._archive(
            staged, name, recovering=recovering, supersede=supersede, origin=origin
        )

    def _archive(
        self, staged: Staged, name: str, *, recovering: bool, supersede: bool, origin: Origin
    ) -> IntakeResult:
        self.archive.commit(staged)
        now = self.now()
        with recording(self.session_factory) as session:
            submission, created = queue.record_submission(
                session=session,
                sha256=staged.sha256,
                file_name=name,
                size=staged.size,
                archive_path=self.archive.relative_path(staged.sha256),
                now=now,
                origin=origin,
            )
            submission_id, superseded_id, reason = submission.id, None, None
            if created:
                outcome: Outcome = "submitted"
                if supersede:
                    superseded_id = self._supersede(session, submission, now)
            elif recovering and _arrival_recorded(session, submission, name):
                outcome = "already_recorded"
            else:
                queue.record_duplicate_arrival(
                    session=session, original=submission, file_name=name, now=now, origin=origin
                )
                outcome = "duplicate"
                if submission.scan_deleted_at is not None:
                    reason = SCAN_DELETED
        if reason == SCAN_DELETED:
            # a scan erased or past its retention, sent again: its arrival is recorded,
            # the copy just archived is not kept (nor read: the submission is decided)
            kept = self.archive.path_for(staged.sha256)
            kept.unlink(missing_ok=True)
            fsync_dir(kept.parent)
        return IntakeResult(
            outcome=outcome,
            file_name=name,
            sha256=staged.sha256,
            submission_id=submission_id,
            reason=reason,
            superseded_id=superseded_id,
        )

    def _supersede(self, session: Session, submission: Submission, now: datetime) -> int | None:
        earlier = supersede.supersede_earlier(
            session=session,
            submission=submission,
            window=timedelta(seconds=self.supersede_window_seconds),
            now=now,
        )
        return None if earlier is None else earlier.id

    def _quarantine(
        self,
        staged: Staged,
        name: str,
        error: ExtractionError,
        *,
        recovering: bool,
        origin: Origin,
    ) -> IntakeResult:
        reason = error.reason.value
        self.quarantine.root.mkdir(parents=True, exist_ok=True)
        moved = self.quarantine.root / staged.temp.name
        os.replace(staged.temp, moved)
        now = self.now()
        self.quarantine.put(
            Staged(temp=moved, sha256=staged.sha256, size=staged.size),
            file_name=name,
            reason=reason,
            message=error.message,
            now=now,
        )
        outcome: Outcome = "quarantined"
        with recording(self.session_factory) as session:
            known = session.scalar(select(Submission).where(Submission.sha256 == staged.sha256))
            if recovering and known is not None and _arrival_recorded(session, known, name):
                submission_id, outcome = known.id, "already_recorded"
            else:
                submission = queue.record_quarantined(
                    session=session,
                    sha256=staged.sha256,
                    file_name=name,
                    size=staged.size,
                    reason=reason,
                    error=error.message,
                    now=now,
                    origin=origin,
                )
                submission_id = submission.id
        return IntakeResult(
            outcome=outcome,
            file_name=name,
            sha256=staged.sha256,
            submission_id=submission_id,
            reason=reason,
        )


def _sha256_or_none(path: Path) -> str | None:
    """A file's sha256 for the log line saying it could not be taken (it can be read
    even when it cannot be copied); ``None`` if it cannot be read either."""
    try:
        return sha256_file(path)[0]
    except OSError:
        return None


def _size(*paths: Path | None) -> int | None:
    for path in paths:
        try:
            return path.stat().st_size if path is not None else None
        except OSError:
            continue
    return None


def _encode(name: str) -> str:
    """A recorded name (maybe ``folder/scan.pdf``) as one file name in the claim folder."""
    return name.replace("%", "%25").replace("/", "%2F")


# a claimed file's name is <ms>.<uuid hex>__<encoded name>: 13 + 1 + 32 + 2 bytes before
# the name, and no file name may pass 255 bytes
_NAME_ROOM = 255 - 48


def _fitting(name: str) -> str:
    """``name`` as recorded: whole, unless it is too long to be claimed under (a file
    name of more than about 200 bytes); then its start, cut at a character, with its
    extension — the same file is still recognised by its content."""
    if len(_encode(name).encode()) <= _NAME_ROOM:
        return name
    folder, _, base = name.rpartition("/")
    stem, dot, ext = base.rpartition(".")
    ext = f".{ext}" if dot and len(ext) <= 10 else ""
    stem = stem if dot and ext else base
    keep = folder + "/" if folder else ""
    while stem and len(_encode(f"{keep}{stem}…{ext}").encode()) > _NAME_ROOM:
        stem = stem[:-1]
    if not stem:  # a folder path that is itself too long: the file's name alone
        return _fitting(base)
    return f"{keep}{stem}…{ext}"


def _claimed_at(entry: Path) -> float:
    """When ``entry`` in the claim folder was claimed (seconds since the epoch): from its
    name, or for a claim made before names carried the time, its modification time."""
    stamp = entry.name.split(_SEP, 1)[0].split(".", 1)[0]
    return int(stamp) / 1000 if "." in entry.name.split(_SEP, 1)[0] else entry.stat().st_mtime


def _decode(claimed: str) -> str:
    return claimed.replace("%2F", "/").replace("%25", "%")


def _arrival_recorded(session: Session, submission: Submission, name: str) -> bool:
    """Whether a recovered file named ``name`` was already recorded before a crash.

    A recovered file is known to have been dropped once; if its content's submission
    already lists an arrival under its name, that arrival is this file's.
    """
    if submission.file_name == name:
        return True
    found = session.scalar(
        select(SubmissionArrival.id)
        .where(
            SubmissionArrival.submission_id == submission.id,
            SubmissionArrival.file_name == name,
        )
        .limit(1)
    )
    return found is not None
