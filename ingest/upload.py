"""Uploads: files sent from the browser, taken into the same intake as the inbox.

Each file's bytes are written, chunk by chunk as the request arrives, to a private
temp file in ``<data>/uploads/`` (``.incoming-<random>.part``: never a path made from
the client's file name), and the writing stops at the size limit. Only when the whole
request has arrived is each file handed to :meth:`ingest.intake.Intake.take_private`,
which stages, hashes, validates, archives or quarantines and records it exactly as it
does an inbox file, then removes the temp file. So a request refused half-way (a file
over the limit) leaves nothing behind, not even the files before it.

The client's name is reduced to a safe base name (:func:`upload_name`): it is shown,
and kept as the submission's file name, never used as a path.

Refused before anything is stored (:class:`UploadRefused`): a file over the limit,
too many files (the whole request), an empty file (that file). Temp files a crash
left behind are removed by :meth:`Uploads.clean_temps`, like the archive's.
"""

from __future__ import annotations

import enum
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

from ingest.durable import remove_stale_temps, temp_path_in
from ingest.intake import Intake, IntakeResult
from ingest.quarantine import safe_name

UPLOADS_DIR = "uploads"
MAX_FILES = 20
MAX_NAME_BYTES = 150  # <sha12>-NAME.reason.txt in the quarantine: 13 + 150 + 11 < 255
_SEPARATORS = re.compile(r"[/\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

UploadOutcome = Literal["received", "duplicate", "quarantined", "refused"]


class Refusal(enum.StrEnum):
    TOO_LARGE = "too_large"
    TOO_MANY_FILES = "too_many_files"
    EMPTY = "empty"
    NOTHING_CHOSEN = "nothing_chosen"


class UploadRefused(Exception):
    """An upload refused before it was stored, with its reason."""

    def __init__(self, reason: Refusal, message: str, *, file_name: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.file_name = file_name


def upload_name(client_name: str | None) -> str:
    """A safe base name for a name sent by a browser: its last part after any ``/``
    or ``\\``, without control characters (``../../x.pdf`` → ``x.pdf``), without
    invisible format characters (a right-to-left override makes ``x\u202efdp.exe``
    look like ``xexe.pdf``), never ``.`` or ``..``, and at most :data:`MAX_NAME_BYTES`
    bytes in UTF-8 (its extension kept), so that the quarantine's file made from it
    stays within a file system's 255 bytes."""
    text = unicodedata.normalize("NFC", _CONTROL.sub("", client_name or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _shortened(safe_name(_shortened(_SEPARATORS.split(text)[-1])))


def _shortened(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = name, ""
    ending = f".{suffix}" if suffix else ""
    budget = MAX_NAME_BYTES - len(ending.encode("utf-8"))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return cut + ending


def outcome_of(result: IntakeResult) -> UploadOutcome:
    """What became of a file taken in, as a person is told: ``received`` (recorded now,
    or before a crash), ``duplicate`` (its content was known) or ``quarantined``."""
    if result.outcome in ("submitted", "already_recorded"):
        return "received"
    if result.outcome == "duplicate":
        return "duplicate"
    return "quarantined"


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What became of one uploaded file."""

    file_name: str
    outcome: UploadOutcome
    sha256: str | None = None
    submission_id: int | None = None
    reason: str | None = None

    @classmethod
    def of(cls, result: IntakeResult) -> UploadResult:
        return cls(
            file_name=result.file_name,
            outcome=outcome_of(result),
            sha256=result.sha256,
            submission_id=result.submission_id,
            reason=result.reason,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file_name,
            "outcome": self.outcome,
            "sha256": self.sha256,
            "reason": self.reason,
            "submission_id": self.submission_id,
        }


@dataclass(slots=True)
class Receiving:
    """One file arriving: its private temp file and the bytes written so far."""

    name: str
    path: Path
    limit: int
    file: BinaryIO
    size: int = 0

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self.limit:
            self.discard()
            raise UploadRefused(
                Refusal.TOO_LARGE,
                f"{self.name} is larger than the limit of {self.limit} bytes",
                file_name=self.name,
            )
        self.file.write(chunk)
        self.size += len(chunk)

    def close(self) -> None:
        if not self.file.closed:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()

    def discard(self) -> None:
        self.file.close()
        self.path.unlink(missing_ok=True)


@dataclass(slots=True)
class UploadBatch:
    """The files of one request: received first, taken into the intake together."""

    uploads: Uploads
    files: list[Receiving] = field(default_factory=list)

    def receive(self, client_name: str | None) -> Receiving:
        if len(self.files) >= self.uploads.max_files:
            self.discard()
            raise UploadRefused(
                Refusal.TOO_MANY_FILES, f"at most {self.uploads.max_files} files at once"
            )
        self.uploads.root.mkdir(parents=True, exist_ok=True)
        path = temp_path_in(self.uploads.root)
        receiving = Receiving(
            name=upload_name(client_name),
            path=path,
            limit=self.uploads.max_bytes,
            file=path.open("xb"),
        )
        self.files.append(receiving)
        return receiving

    def discard(self) -> None:
        for receiving in self.files:
            receiving.discard()
        self.files.clear()

    def take(self) -> list[UploadResult]:
        """Hand every file received to the intake, in order; empty files are refused.
        Files not yet taken when one fails (a disk or database error) are removed."""
        results: list[UploadResult] = []
        try:
            while self.files:
                receiving = self.files.pop(0)
                try:
                    receiving.close()
                except BaseException:
                    receiving.discard()
                    raise
                if receiving.size == 0:
                    receiving.discard()
                    results.append(
                        UploadResult(
                            file_name=receiving.name, outcome="refused", reason=Refusal.EMPTY
                        )
                    )
                    continue
                try:
                    taken = self.uploads.intake.take_private(receiving.path, receiving.name)
                finally:
                    receiving.path.unlink(missing_ok=True)
                results.append(UploadResult.of(taken))
        finally:
            self.discard()
        return results


@dataclass(frozen=True, slots=True)
class Uploads:
    """Where uploads are written while they arrive, their limits, and the intake."""

    intake: Intake
    root: Path
    max_bytes: int
    max_files: int = MAX_FILES

    @classmethod
    def in_data_dir(cls, intake: Intake, data_dir: Path, *, max_bytes: int) -> Uploads:
        return cls(intake=intake, root=data_dir / UPLOADS_DIR, max_bytes=max_bytes)

    def batch(self) -> UploadBatch:
        return UploadBatch(uploads=self)

    def clean_temps(self, *, older_than: float, now: float) -> int:
        return remove_stale_temps(self.root, older_than=older_than, now=now)
