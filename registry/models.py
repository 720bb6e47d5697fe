"""The registry's tables as SQLAlchemy 2.0 typed models.

The schema itself is owned by the Alembic migrations in ``registry/migrations``; these
models must agree with them (a test compares the two on both databases).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from registry.states import (  # noqa: F401  (the states are named from here too)
    ApplicationStatus,
    ArrivalSource,
    MailStatus,
    ProposalStatus,
    Role,
    SignatorySource,
    SignatoryStatus,
    SubmissionStatus,
)
from registry.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Declaration(Base):
    __tablename__ = "declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    profile: Mapped[str] = mapped_column(String(100))
    follow_up_years: Mapped[int] = mapped_column(Integer, default=2)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # retention (gallring) of received scans: rejected, duplicate and discarded ones
    # after this many months, approved ones after this many years; None keeps them
    retention_rejected_months: Mapped[int | None] = mapped_column(Integer)
    retention_approved_years: Mapped[int | None] = mapped_column(Integer)


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_number: Mapped[str | None] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    county: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # set when merged into another organisation (its name is then one of that one's aliases)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))


class Submission(Base):
    """One received file (by content); also the work queue's row."""

    __tablename__ = "submission"
    __table_args__ = (Index("ix_submission_queue", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(Integer)
    archive_path: Mapped[str | None] = mapped_column(String(1000))
    received_at: Mapped[dt.datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=SubmissionStatus.RECEIVED)
    error: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column()
    not_before: Mapped[dt.datetime | None] = mapped_column()
    processed_at: Mapped[dt.datetime | None] = mapped_column()
    pages: Mapped[int | None] = mapped_column(Integer)
    # the archived scan was deleted (erasure on request, or retention): when and why;
    # the row and its sha256 stay, so the same file is still known if it comes again
    scan_deleted_at: Mapped[dt.datetime | None] = mapped_column()
    scan_deleted_reason: Mapped[str | None] = mapped_column(String(100))

    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="submission", order_by="Proposal.index"
    )
    arrivals: Mapped[list[SubmissionArrival]] = relationship(
        back_populates="submission", order_by="SubmissionArrival.id"
    )


class SubmissionArrival(Base):
    """One file dropped in: the first of a content, or a duplicate of an earlier one."""

    __tablename__ = "submission_arrival"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    arrived_at: Mapped[dt.datetime] = mapped_column()
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    # how it came: inbox, upload, mail, cli; for mail the sender, subject, Message-ID
    source: Mapped[str] = mapped_column(String(20), default=ArrivalSource.INBOX)
    sender: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(1000), index=True)

    submission: Mapped[Submission] = relationship(back_populates="arrivals")


class Proposal(Base):
    """What was read from one declaration of a submission, awaiting a reviewer."""

    __tablename__ = "proposal"
    __table_args__ = (UniqueConstraint("submission_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    declaration_slug: Mapped[str | None] = mapped_column(String(100))
    # the county read (or corrected): the queue filters on it and reviewers limited to
    # counties see only theirs; kept beside ``fields`` because JSON is not indexable alike
    # on SQLite and PostgreSQL
    county: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ProposalStatus.PROPOSED, index=True)
    pages: Mapped[list[Any]] = mapped_column(default=list)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    signature: Mapped[dict[str, Any]] = mapped_column(default=dict)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    candidates: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    corrections: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # the membership this approval created or renewed (no foreign key: the two tables
    # point at each other; Signatory.proposal_id is the enforced direction)
    signatory_id: Mapped[int | None] = mapped_column(Integer)

    submission: Mapped[Submission] = relationship(back_populates="proposals")

    def value(self, name: str) -> str | None:
        entry = self.fields.get(name) or {}
        value = entry.get("value")
        return None if value is None else str(value)


class Signatory(Base):
    """A verified membership of an organisation in a declaration (one row per pair)."""

    __tablename__ = "signatory"
    __table_args__ = (UniqueConstraint("organisation_id", "declaration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"))
    signed_date: Mapped[dt.date] = mapped_column(Date)
    signer_name: Mapped[str | None] = mapped_column(String(300))
    signer_title: Mapped[str | None] = mapped_column(String(300))
    signer_email: Mapped[str | None] = mapped_column(String(300))
    verified_by: Mapped[str] = mapped_column(String(200))
    verified_at: Mapped[dt.datetime] = mapped_column()
    follow_up_due: Mapped[dt.date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(10), default=SignatorySource.SCAN)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    # ``active`` False: the row was undone (an approval reopened) and is in no list at all;
    # ``status`` is the public standing of a row that is in the register
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default=SignatoryStatus.ACTIVE, index=True)
    status_since: Mapped[dt.date | None] = mapped_column(Date)
    status_reason: Mapped[str | None] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship()
    declaration: Mapped[Declaration] = relationship()


class Reviewer(Base):
    __tablename__ = "reviewer"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    display_name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    role: Mapped[str] = mapped_column(String(20), default=Role.REVIEWER)
    # empty: every county / every declaration; otherwise only these
    counties: Mapped[list[Any]] = mapped_column(default=list)
    declarations: Mapped[list[Any]] = mapped_column(default=list)
    locale: Mapped[str] = mapped_column(String(10), default="sv")
    email: Mapped[str | None] = mapped_column(String(300))


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is kept."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column()
    last_seen_at: Mapped[dt.datetime] = mapped_column()
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)

    reviewer: Mapped[Reviewer] = relationship()


class LoginAttempt(Base):
    """One sign-in attempt, for the rate limit (per user name and per client address)."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username", "username", "at"),
        Index("ix_login_attempt_client", "client", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column()
    username: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(100))
    success: Mapped[bool] = mapped_column(Boolean, default=False)


class ListVersion(Base):
    """One row whose counter goes up in every transaction that changes what the public
    list shows (signatories, organisations, declarations): the public API's caches and
    ETags are keyed on it, so a new approval is in the very next response."""

    __tablename__ = "list_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Application(Base):
    """A join-online application: the values an organisation typed, and the personalised
    form made from them, whose 2-D code carries ``id`` and an HMAC over it and the
    values. Never public; pending until its signed scan comes back, or it expires."""

    __tablename__ = "application"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"))
    organisation: Mapped[str] = mapped_column(String(300))
    organisation_number: Mapped[str] = mapped_column(String(11), index=True)
    county: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(200))
    signatory_name: Mapped[str | None] = mapped_column(String(300))
    signatory_title: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.PENDING)
    client: Mapped[str | None] = mapped_column(String(100))  # for the rate limit
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))

    declaration: Mapped[Declaration] = relationship()


class MailMessage(Base):
    """One e-mail read from the mailbox, whatever it held: exactly once by Message-ID
    (or, lacking one, the sha256 of the raw message)."""

    __tablename__ = "mail_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(String(1000), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(1000))
    sender: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[dt.datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=MailStatus.TAKEN)
    # [{"name", "sha256", "outcome"}] per attachment, in the mail's order
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """Who did what when, with the state before and after. Rows are never changed."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# the list-version hook listens on every Session once the models are loaded
from registry import listversion as _listversion  # noqa: E402,F401
