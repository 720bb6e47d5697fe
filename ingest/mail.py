"""Scans by e-mail: PDF, JPEG and PNG attachments from an IMAP mailbox into the intake.

One reader (``signreg mail``, or a thread of ``signreg watch``/``run``) polls the
folder. For each message, in this order, each step durable before the next::

    key       its Message-ID, or the sha256 of the raw message when it has none
    known?    a mail_message row with that key: it was handled before a crash or
              restart; only the move is left (go to move)
    take      each attachment written to a private temp file in <data>/mail/
              (``.incoming-<random>.part``, never a name from the mail), then
              Intake.take_private(file, name, Origin(MAIL, sender, subject, key)):
              staged, hashed, archived or quarantined and recorded as an arrival;
              an attachment already recorded as an arrival of this mail under this
              name (the crash came after it) is not taken again
    record    one transaction: the mail_message row (status taken, no_attachment or
              failed; every attachment's name, sha256 and outcome)
    move      UID MOVE (or COPY, STORE \\Deleted, EXPUNGE) into the handled folder

So a kill -9 at any point leaves either nothing recorded (the mail is read again, its
attachments recognised as already taken), or the row without the move (the mail is only
moved). Every attachment is one arrival, every mail one row, and the content is stored
once whatever the repeats (the intake dedupes by sha256).

A message larger than it could be with every attachment within ``max_bytes`` is not
fetched whole: its ``BODYSTRUCTURE`` says which parts are scans and how large they are,
a part over the limit is recorded as ``too_large`` without being downloaded, the others
are fetched one by one.

When the mail server or the database is unreachable the reader logs it, waits (doubling
up to ``backoff_max_seconds``) and tries again; nothing is moved that was not recorded.
A lock file (``<data>/mail/.reader.lock``) keeps a second reader on the same data
folder waiting, so two never take the same message at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import imaplib
import ipaddress
import os
import re
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ingest import mail_parts
from ingest.intake import Intake, IntakeResult, utcnow
from ingest.logs import EMPTY, NOT_DOWNLOADED, about_file, no_sha256
from ingest.mail_parts import Attachment, Envelope, Leaf
from registry.models import (
    ArrivalSource,
    MailMessage,
    MailStatus,
    Submission,
    SubmissionArrival,
)
from registry.queue import Origin

log = structlog.get_logger("ingest.mail")

Security = Literal["ssl", "starttls", "plain"]
MAIL_DIR = "mail"
_TEMP_PREFIX = ".incoming-"
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UID = re.compile(rb"UID (\d+)")
# a message at most this much larger than its attachments is fetched whole
_ENCODING_OVERHEAD = 1.4
_SLACK_BYTES = 1024 * 1024


class MailConfigError(ValueError):
    """The mail settings cannot work (plain IMAP to a host that is not this machine)."""


@dataclass(frozen=True, slots=True)
class MailConfig:
    """Everything the reader needs, as plain values read once by the CLI."""

    host: str
    user: str
    password: str
    data_dir: Path
    port: int | None = None  # default by security: 993, else 143
    security: Security = "ssl"
    folder: str = "INBOX"
    handled_folder: str = "Signreg-handled"
    max_bytes: int = 50 * 1024 * 1024
    poll_seconds: float = 60.0
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 300.0
    timeout_seconds: float = 60.0
    ca_file: Path | None = None  # trust this certificate (a private server's own)

    @property
    def work_dir(self) -> Path:
        return self.data_dir / MAIL_DIR

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "ssl" else 143)

    @property
    def whole_limit(self) -> int:
        return int(self.max_bytes * _ENCODING_OVERHEAD) + _SLACK_BYTES


@dataclass(frozen=True, slots=True)
class AttachmentOutcome:
    name: str
    sha256: str | None
    outcome: str  # an intake outcome, or too_large / empty

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "outcome": self.outcome}


@dataclass(frozen=True, slots=True)
class MailResult:
    """What became of one message."""

    key: str
    status: str  # taken / no_attachment / failed, or "already_recorded" (only moved)
    attachments: tuple[AttachmentOutcome, ...] = ()
    error: str | None = None


@dataclass(slots=True)
class PassReport:
    """One pass over the folder."""

    seen: int = 0
    results: list[MailResult] = field(default_factory=list)


TRANSIENT: tuple[type[BaseException], ...] = (OSError, SQLAlchemyError, imaplib.IMAP4.error)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def connect(config: MailConfig) -> imaplib.IMAP4:
    """A logged-in IMAP connection: TLS from the start (``ssl``), upgraded
    (``starttls``), or plain, which is allowed to this machine only."""
    context = ssl.create_default_context(
        cafile=str(config.ca_file) if config.ca_file is not None else None
    )
    conn: imaplib.IMAP4
    if config.security == "ssl":
        conn = imaplib.IMAP4_SSL(
            config.host,
            config.effective_port,
            ssl_context=context,
            timeout=config.timeout_seconds,
        )
    else:
        if config.security == "plain" and not is_loopback(config.host):
            raise MailConfigError(
                f"plain IMAP only to this machine, not {config.host}: use ssl or starttls"
            )
        conn = imaplib.IMAP4(config.host, config.effective_port, timeout=config.timeout_seconds)
        if config.security == "starttls":
            conn.starttls(ssl_context=context)
    try:
        conn.login(config.user, config.password)
    except BaseException:
        _close(conn)
        raise
    return conn


def _close(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(Exception):  # the connection is gone anyway
        conn.logout()


def quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(typ: str, data: Any, what: str) -> Any:
    if typ != "OK":
        raise imaplib.IMAP4.error(f"{what}: {typ} {data!r}")
    return data


@dataclass
class MailReader:
    """Reads ``config.folder`` into ``intake``, recording each mail in the registry."""

    config: MailConfig
    intake: Intake
    session_factory: sessionmaker[Session]
    now: Callable[[], Any] = utcnow
    connector: Callable[[MailConfig], imaplib.IMAP4] = connect
    after_pass: Callable[[], object] | None = None  # e.g. send acknowledgements

    # --- the loop ---------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Pass after pass until ``stop``; an unreachable server or database is waited
        out with growing pauses, logged each time."""
        delay = self.config.backoff_seconds
        with self._single_reader(stop) as locked:
            if not locked:
                return
            while not stop.is_set():
                try:
                    self.run_pass()
                except MailConfigError:
                    raise
                except TRANSIENT as e:
                    log.warning(
                        "mail.unavailable",
                        error=f"{type(e).__name__}: {e}",
                        retry_in=round(delay, 1),
                    )
                    if stop.wait(delay):
                        return
                    delay = min(delay * 2, self.config.backoff_max_seconds)
                    continue
                delay = self.config.backoff_seconds
                self._after_pass()
                stop.wait(self.config.poll_seconds)

    def run_once(self) -> PassReport:
        """One pass (``signreg mail --once``); an outage is raised, not waited out."""
        with self._single_reader(threading.Event(), wait=False) as locked:
            if not locked:
                raise BlockingIOError("another mail reader is running on this data folder")
            report = self.run_pass()
            self._after_pass()
            return report

    def _after_pass(self) -> None:
        if self.after_pass is None:
            return
        try:
            self.after_pass()
        except TRANSIENT as e:  # acknowledgements wait for the next pass
            log.warning("mail.after_pass_failed", error=f"{type(e).__name__}: {e}")

    @contextmanager
    def _single_reader(self, stop: threading.Event, *, wait: bool = True) -> Iterator[bool]:
        self.config.work_dir.mkdir(parents=True, exist_ok=True)
        with (self.config.work_dir / ".reader.lock").open("a") as lock:
            waited = False
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not wait:
                        yield False
                        return
                    if not waited:
                        log.warning("mail.another_reader", lock=str(lock.name))
                        waited = True
                    if stop.wait(1.0):
                        yield False
                        return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def run_pass(self) -> PassReport:
        """Connect, handle every message in the folder, disconnect."""
        self._clean_temps()
        conn = self.connector(self.config)
        try:
            self._ensure_folder(conn, self.config.handled_folder)
            _ok(*conn.select(quote(self.config.folder)), what="SELECT")
            data = _ok(*conn.uid("SEARCH", "UNDELETED"), what="SEARCH")
            uids = [u.decode() for u in (data[0] or b"").split() if u]
            report = PassReport(seen=len(uids))
            if uids:
                log.info("mail.pass", folder=self.config.folder, messages=len(uids))
            for uid in uids:
                report.results.append(self._handle_guarded(conn, uid))
            if not self._can_move(conn):  # copied and flagged \Deleted: now gone
                _ok(*conn.expunge(), what="EXPUNGE")
            return report
        finally:
            _close(conn)

    def _clean_temps(self) -> None:
        """Temp files a crash left behind (their mails are read again)."""
        folder = self.config.work_dir
        if not folder.is_dir():
            return
        for entry in folder.iterdir():
            if entry.name.startswith(_TEMP_PREFIX):
                entry.unlink(missing_ok=True)

    def _ensure_folder(self, conn: imaplib.IMAP4, name: str) -> None:
        typ, data = conn.list('""', quote(name))
        if typ == "OK" and data and data != [None]:
            return
        typ, data = conn.create(quote(name))
        answer = data[0] if data and isinstance(data[0], bytes) else b""
        if typ != "OK" and b"exists" not in answer.lower():
            raise imaplib.IMAP4.error(f"CREATE {name}: {data!r}")

    # --- one message ------------------------------------------------------------------

    def _handle_guarded(self, conn: imaplib.IMAP4, uid: str) -> MailResult:
        """:meth:`handle`; an outage (server, database, disk) ends the pass, to be
        retried; any other error is this mail's: recorded as failed and moved, never
        retried for ever nor dropped (the mail stays in the handled folder)."""
        try:
            return self.handle(conn, uid)
        except TRANSIENT:
            raise
        except Exception as e:
            log.exception("mail.failed", uid=uid)
            key = f"uid:{self.config.folder}:{uid}:{time.time_ns()}"
            try:
                header, _ = self._head(conn, uid)
                env = mail_parts.envelope(mail_parts.parse_message(header), fallback=header)
            except Exception:
                env = Envelope(key=key, message_id=None, sender=None, subject=None)
            result = MailResult(env.key, MailStatus.FAILED, (), f"{type(e).__name__}: {e}")
            if not self._recorded(env.key):
                self._record(env, result)
            self._move(conn, uid)
            return result

    def handle(self, conn: imaplib.IMAP4, uid: str) -> MailResult:
        header, size = self._head(conn, uid)
        headers = mail_parts.parse_message(header)
        known = mail_parts.envelope(headers, fallback=b"")
        if known.message_id is not None and self._recorded(known.key):
            return self._only_move(conn, uid, known.key)
        if size <= self.config.whole_limit:
            raw = self._fetch(conn, uid, "BODY.PEEK[]")
            env = mail_parts.envelope(headers, raw)
            if env.message_id is None and self._recorded(env.key):
                return self._only_move(conn, uid, env.key)
            result = self._take_whole(env, raw)
        else:
            structure = self._fetch_structure(conn, uid)
            env = mail_parts.envelope(
                headers, fallback=header + str(size).encode() + repr(structure).encode()
            )
            if env.message_id is None and self._recorded(env.key):
                return self._only_move(conn, uid, env.key)
            result = self._take_parts(conn, uid, env, header, structure)
        self._record(env, result)
        self._move(conn, uid)
        log.info(
            "mail.handled",
            message_key=env.key,
            status=result.status,
            attachments=len(result.attachments),
        )
        return result

    def _only_move(self, conn: imaplib.IMAP4, uid: str, key: str) -> MailResult:
        self._move(conn, uid)
        log.info("mail.already_recorded", message_key=key)
        return MailResult(key=key, status="already_recorded")

    def _head(self, conn: imaplib.IMAP4, uid: str) -> tuple[bytes, int]:
        data = _ok(*conn.uid("FETCH", uid, "(RFC822.SIZE BODY.PEEK[HEADER])"), what="FETCH")
        header, size = b"", 0
        for item in data:
            if isinstance(item, tuple):
                found = _SIZE.search(item[0])
                if found:
                    size = int(found.group(1))
                header = item[1]
            elif isinstance(item, bytes) and (found := _SIZE.search(item)):
                size = int(found.group(1))
        return header, size

    def _fetch(self, conn: imaplib.IMAP4, uid: str, what: str) -> bytes:
        data = _ok(*conn.uid("FETCH", uid, f"({what})"), what="FETCH")
        for item in data:
            if isinstance(item, tuple):
                return bytes(item[1])
        return b""

    def _fetch_structure(self, conn: imaplib.IMAP4, uid: str) -> list[Leaf]:
        data = _ok(*conn.uid("FETCH", uid, "(BODYSTRUCTURE)"), what="FETCH")
        joined = b""
        for item in data:  # a literal comes as (text before it, the literal)
            if isinstance(item, tuple):
                joined += item[0] + b"\r\n" + item[1]
            elif isinstance(item, bytes):
                joined += item
        start = joined.find(b"BODYSTRUCTURE")
        parsed = mail_parts.parse_sexp(joined[start + len(b"BODYSTRUCTURE") :])
        return mail_parts.parse_bodystructure(parsed[0]) if parsed else []

    def _take_whole(self, env: Envelope, raw: bytes) -> MailResult:
        try:
            message = mail_parts.parse_message(raw)
            found, skipped = mail_parts.attachments(message, self.config.max_bytes)
        except Exception as e:  # the email package is lenient; this is a broken mail
            log.warning("mail.unreadable", message_key=env.key, error=str(e))
            return MailResult(env.key, MailStatus.FAILED, (), f"unreadable message: {e}")
        return self._take_all(env, found, skipped)

    def _take_parts(
        self,
        conn: imaplib.IMAP4,
        uid: str,
        env: Envelope,
        header: bytes,
        leaves: list[Leaf],
    ) -> MailResult:
        found: list[Attachment] = []
        skipped: list[str] = []
        single = len(leaves) == 1 and leaves[0].section == "1"
        for leaf in leaves:
            if not mail_parts.plausible_scan(leaf):
                if leaf.file_name:
                    skipped.append(mail_parts.leaf_name(leaf))
                continue
            if leaf.size > self.config.whole_limit:
                found.append(
                    Attachment(mail_parts.leaf_name(leaf), leaf.content_type, None, leaf.size)
                )
                continue
            mime = header if single else self._fetch(conn, uid, f"BODY.PEEK[{leaf.section}.MIME]")
            body = self._fetch(conn, uid, f"BODY.PEEK[{leaf.section}]")
            found.append(mail_parts.part_attachment(mime, body, leaf, self.config.max_bytes))
        return self._take_all(env, found, skipped)

    def _take_all(self, env: Envelope, found: list[Attachment], skipped: list[str]) -> MailResult:
        names = mail_parts.unique_names([a.name for a in found])
        outcomes = []
        origin = Origin(
            ArrivalSource.MAIL, sender=env.sender, subject=env.subject, message_id=env.key
        )
        for attachment, name in zip(found, names, strict=True):
            outcomes.append(self._take_one(env, attachment, name, origin))
        for name in skipped:
            outcomes.append(AttachmentOutcome(name, None, "skipped"))
        taken = [o for o in outcomes if o.sha256 is not None]
        if taken:
            status: str = MailStatus.TAKEN
        elif found:
            status = MailStatus.FAILED
        else:
            status = MailStatus.NO_ATTACHMENT
        refused = [o for o in outcomes if o.outcome in ("too_large", "empty")]
        error = "; ".join(f"{o.name}: {o.outcome}" for o in refused) if refused else None
        return MailResult(env.key, status, tuple(outcomes), error)

    def _take_one(
        self, env: Envelope, attachment: Attachment, name: str, origin: Origin
    ) -> AttachmentOutcome:
        if attachment.data is None:
            log.warning(
                "mail.attachment_too_large",
                message_key=env.key,
                file=name,
                size=attachment.size,
                max_bytes=self.config.max_bytes,
                **no_sha256(NOT_DOWNLOADED),
            )
            return AttachmentOutcome(name, None, "too_large")
        if not attachment.data:
            log.warning("mail.attachment_empty", message_key=env.key, file=name, **no_sha256(EMPTY))
            return AttachmentOutcome(name, None, "empty")
        earlier = self._earlier_arrival(env.key, name)
        if earlier is not None:  # taken before a crash, not yet recorded as a mail
            with about_file(earlier, file=name, message_key=env.key):
                log.info("mail.attachment_already_taken")
            return AttachmentOutcome(name, earlier, "already_recorded")
        result = self._intake(attachment.data, name, origin)
        with about_file(result.sha256 or "", file=name, message_key=env.key):
            log.info("mail.attachment_taken", outcome=result.outcome)
        return AttachmentOutcome(name, result.sha256, result.outcome)

    def _intake(self, data: bytes, name: str, origin: Origin) -> IntakeResult:
        folder = self.config.work_dir
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f"{_TEMP_PREFIX}{uuid.uuid4().hex}.part"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            return self.intake.take_private(temp, name, origin)
        finally:
            temp.unlink(missing_ok=True)

    # --- the registry -----------------------------------------------------------------

    def _recorded(self, key: str) -> bool:
        with self.session_factory() as session:
            found = session.scalar(select(MailMessage.id).where(MailMessage.message_key == key))
        return found is not None

    def _earlier_arrival(self, key: str, name: str) -> str | None:
        with self.session_factory() as session:
            sha = session.scalar(
                select(Submission.sha256)
                .join(SubmissionArrival, SubmissionArrival.submission_id == Submission.id)
                .where(
                    SubmissionArrival.source == ArrivalSource.MAIL,
                    SubmissionArrival.message_id == key,
                    SubmissionArrival.file_name == name,
                )
                .limit(1)
            )
        return sha

    def _record(self, env: Envelope, result: MailResult) -> None:
        try:
            with self.session_factory() as session, session.begin():
                session.add(
                    MailMessage(
                        message_key=env.key,
                        message_id=env.message_id,
                        sender=env.sender,
                        subject=env.subject,
                        received_at=self.now(),
                        status=result.status,
                        attachments=[o.as_json() for o in result.attachments],
                        error=result.error,
                    )
                )
        except IntegrityError:  # recorded meanwhile (the same Message-ID twice)
            if not self._recorded(env.key):
                raise
            log.info("mail.recorded_meanwhile", message_key=env.key)

    # --- the mailbox ------------------------------------------------------------------

    def _can_move(self, conn: imaplib.IMAP4) -> bool:
        caps = getattr(conn, "_signreg_caps", None)
        if caps is None:
            typ, data = conn.capability()
            caps = set((data[0] or b"").upper().split()) if typ == "OK" else set()
            conn._signreg_caps = caps  # type: ignore[attr-defined]
        return b"MOVE" in caps

    def _move(self, conn: imaplib.IMAP4, uid: str) -> None:
        target = quote(self.config.handled_folder)
        if self._can_move(conn):
            _ok(*conn.uid("MOVE", uid, target), what="MOVE")
            return
        _ok(*conn.uid("COPY", uid, target), what="COPY")
        _ok(*conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), what="STORE")
