"""Acknowledgements by e-mail: received, approved, follow-up due. Off unless configured.

What to acknowledge is derived from what the registry already recorded, never told by
the code that decided it (the flow stays one-way: the registry decides, this sends):

- ``received``: a mail whose attachments were taken (``mail_message``, status
  ``taken``) → to its sender;
- ``approved``: a proposal approved into the register → to the contact e-mail on the
  form (the membership's ``signer_email``) and to the sender of each mail that brought
  its scan, with a link to the public list;
- ``follow_up``: a membership in good standing whose follow-up date has come → to the
  same people.

Only what happened within ``window_days`` is acknowledged (turning this on does not
mail everyone ever approved). Each sent message is recorded as an audit event
(``mail.ack_sent``, entity ``mail_ack``, id ``<kind>:<ref>:<hash of the address>``),
which is also how a message is known to be sent already: the planner skips those, so
passes are idempotent. A crash between the SMTP server accepting a message and the
event being committed sends that one message again on the next pass (at least once,
never lost); a refused or failed sending is logged and tried on the next pass.

The texts are Jinja2 templates in Swedish (``api/templates/mail/<kind>.txt``, editable):
the first line is ``Subject: …``, then a blank line, then the body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any, Literal

import jinja2
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.intake import utcnow
from ingest.mail import is_loopback
from registry.audit import record_event
from registry.models import (
    ArrivalSource,
    AuditEvent,
    MailMessage,
    MailStatus,
    Proposal,
    ProposalStatus,
    Signatory,
    SignatoryStatus,
    SubmissionArrival,
)

log = structlog.get_logger("ingest.acks")

Kind = Literal["received", "approved", "follow_up"]
KINDS: tuple[Kind, ...] = ("received", "approved", "follow_up")
ACTOR = "signreg-mail"
ACTION = "mail.ack_sent"
ENTITY = "mail_ack"


@dataclass(frozen=True, slots=True)
class AckConfig:
    host: str
    sender: str  # the From address
    templates: Path
    public_url: str
    port: int | None = None  # default by security: 465, 587, 25
    security: Literal["ssl", "starttls", "plain"] = "starttls"
    user: str | None = None
    password: str | None = None
    window_days: int = 14
    timeout_seconds: float = 30.0
    ca_file: Path | None = None
    kinds: tuple[Kind, ...] = KINDS

    @property
    def effective_port(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587}.get(self.security, 25)


@dataclass(frozen=True, slots=True)
class Ack:
    """One acknowledgement to send: to whom, what kind, about what, with what values."""

    kind: Kind
    ref: str  # what it is about: mail:12, proposal:5, signatory:7:2027-03-01
    recipient: str
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        digest = hashlib.sha256(self.recipient.strip().lower().encode()).hexdigest()[:16]
        return f"{self.kind}:{self.ref}:{digest}"


def _valid_address(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if "@" not in value or any(c in value for c in " \r\n<>,;"):
        return None
    return value


def _unique(acks: Iterator[Ack]) -> list[Ack]:
    seen: set[str] = set()
    out = []
    for ack in acks:
        if ack.key not in seen:
            seen.add(ack.key)
            out.append(ack)
    return out


def plan(
    session: Session, *, now: dt.datetime, window_days: int, kinds: tuple[Kind, ...] = KINDS
) -> list[Ack]:
    """Every acknowledgement due and not yet sent (idempotent: read-only)."""
    since = now - dt.timedelta(days=window_days)
    found: list[Ack] = []
    if "received" in kinds:
        found += _received(session, since)
    if "approved" in kinds:
        found += _approved(session, since)
    if "follow_up" in kinds:
        found += _follow_up(session, now.date(), since.date())
    acks = _unique(iter(found))
    if not acks:
        return []
    sent = set(
        session.scalars(
            select(AuditEvent.entity_id).where(
                AuditEvent.entity == ENTITY,
                AuditEvent.entity_id.in_([a.key for a in acks]),
            )
        )
    )
    return [a for a in acks if a.key not in sent]


def _received(session: Session, since: dt.datetime) -> Iterator[Ack]:
    rows = session.scalars(
        select(MailMessage)
        .where(MailMessage.status == MailStatus.TAKEN, MailMessage.received_at >= since)
        .order_by(MailMessage.id)
    )
    for mail in rows:
        recipient = _valid_address(mail.sender)
        if recipient is None:
            continue
        names = [a.get("name") for a in mail.attachments or [] if a.get("sha256")]
        yield Ack(
            "received",
            f"mail:{mail.id}",
            recipient,
            {"subject": mail.subject or "", "files": names, "received_at": mail.received_at},
        )


def _mail_senders(session: Session, submission_id: int) -> list[str]:
    senders = session.scalars(
        select(SubmissionArrival.sender).where(
            SubmissionArrival.submission_id == submission_id,
            SubmissionArrival.source == ArrivalSource.MAIL,
        )
    )
    return [s for s in (_valid_address(x) for x in senders) if s]


def _member_context(member: Signatory) -> dict[str, Any]:
    return {
        "organisation": member.organisation.name,
        "organisation_number": member.organisation.organisation_number or "",
        "declaration": member.declaration.title,
        "declaration_slug": member.declaration.slug,
        "signed_date": member.signed_date,
        "follow_up_due": member.follow_up_due,
        "signer_name": member.signer_name or "",
    }


def _approved(session: Session, since: dt.datetime) -> Iterator[Ack]:
    rows = session.execute(
        select(Proposal, Signatory)
        .join(Signatory, Signatory.id == Proposal.signatory_id)
        .where(
            Proposal.status == ProposalStatus.APPROVED,
            Proposal.decided_at >= since,
            Signatory.active.is_(True),
            Signatory.proposal_id == Proposal.id,
        )
        .order_by(Proposal.id)
    )
    for proposal, member in rows:
        recipients = [member.signer_email, *_mail_senders(session, proposal.submission_id)]
        for recipient in recipients:
            address = _valid_address(recipient)
            if address:
                yield Ack("approved", f"proposal:{proposal.id}", address, _member_context(member))


def _follow_up(session: Session, today: dt.date, since: dt.date) -> Iterator[Ack]:
    rows = session.scalars(
        select(Signatory)
        .where(
            Signatory.active.is_(True),
            Signatory.status == SignatoryStatus.ACTIVE,
            Signatory.follow_up_due <= today,
            Signatory.follow_up_due >= since,
        )
        .order_by(Signatory.id)
    )
    for member in rows:
        recipients: list[str | None] = [member.signer_email]
        if member.proposal_id is not None:
            proposal = session.get(Proposal, member.proposal_id)
            if proposal is not None:
                recipients += _mail_senders(session, proposal.submission_id)
        ref = f"signatory:{member.id}:{member.follow_up_due.isoformat()}"
        for recipient in recipients:
            address = _valid_address(recipient)
            if address:
                yield Ack("follow_up", ref, address, _member_context(member))


class Texts:
    """The editable Swedish templates: ``<kind>.txt``, first line ``Subject: …``."""

    def __init__(self, folder: Path) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folder),
            autoescape=False,  # plain text mail
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(self, kind: Kind, context: dict[str, Any]) -> tuple[str, str]:
        text = self.env.get_template(f"{kind}.txt").render(**context)
        head, _, body = text.partition("\n\n")
        subject = head.removeprefix("Subject:").strip()
        return " ".join(subject.split()), body.strip() + "\n"


@dataclass
class Acknowledger:
    """Plans due acknowledgements and sends them over SMTP, one connection per pass."""

    config: AckConfig
    session_factory: sessionmaker[Session]
    now: Any = utcnow

    def send_due(self) -> list[Ack]:
        now = self.now()
        with self.session_factory() as session:
            due = plan(
                session, now=now, window_days=self.config.window_days, kinds=self.config.kinds
            )
        if not due:
            return []
        texts = Texts(self.config.templates)
        sent: list[Ack] = []
        with self._smtp() as smtp:
            for ack in due:
                context = {**ack.context, "public_url": self.config.public_url.rstrip("/")}
                subject, body = texts.render(ack.kind, context)
                message = EmailMessage()
                message["From"] = formataddr(("Signatärsregistret", self.config.sender))
                message["To"] = ack.recipient
                message["Subject"] = subject
                message["Message-ID"] = make_msgid(domain=self.config.sender.split("@")[-1])
                message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
                message.set_content(body)
                try:
                    smtp.send_message(message)
                except smtplib.SMTPRecipientsRefused as e:
                    log.warning("ack.refused", kind=ack.kind, ref=ack.ref, error=str(e))
                    continue
                self._record(ack, now)
                sent.append(ack)
                log.info("ack.sent", kind=ack.kind, ref=ack.ref)
        return sent

    def _record(self, ack: Ack, now: dt.datetime) -> None:
        with self.session_factory() as session, session.begin():
            record_event(
                session=session,
                actor=ACTOR,
                action=ACTION,
                entity=ENTITY,
                entity_id=ack.key,
                after={"kind": ack.kind, "ref": ack.ref, "recipient": ack.recipient},
                now=now,
            )

    def _smtp(self) -> smtplib.SMTP:
        c = self.config
        context = ssl.create_default_context(cafile=str(c.ca_file) if c.ca_file else None)
        smtp: smtplib.SMTP
        if c.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                c.host, c.effective_port, timeout=c.timeout_seconds, context=context
            )
        else:
            if c.security == "plain" and not is_loopback(c.host):
                raise ValueError(f"plain SMTP only to this machine, not {c.host}")
            smtp = smtplib.SMTP(c.host, c.effective_port, timeout=c.timeout_seconds)
            if c.security == "starttls":
                smtp.starttls(context=context)
        if c.user:
            smtp.login(c.user, c.password or "")
        return smtp
