"""The states and kinds the registry records, as enums (stored as their string values).

Kept apart from the ORM models so that code that only reads rows (the fast read-only
commands, ``registry.submission_list``) can name them without loading the models;
``registry.models`` re-exports every one.
"""

from __future__ import annotations

import enum


class SubmissionStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    PROPOSED = "proposed"
    DUPLICATE = "duplicate"  # only ever shown for a repeated arrival (SubmissionArrival)
    FAILED = "failed"
    QUARANTINED = "quarantined"
    # a quarantined file a person threw away (audited); the row stays. Reported as
    # ``quarantined`` with ``discarded: true`` by ``signreg submissions --json``, whose
    # contract knows six statuses
    DISCARDED = "discarded"
    # a scan that grew into a later, larger file of the same name (registry.supersede);
    # reported as ``duplicate`` with ``superseded: true``
    SUPERSEDED = "superseded"


class ProposalStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # its scan grew into a later file, read anew


class SignatorySource(enum.StrEnum):
    SCAN = "scan"
    IMPORT = "import"


class SignatoryStatus(enum.StrEnum):
    """A membership's public standing. ``withdrawn`` (the organisation left, or staff
    withdrew it) and ``lapsed`` (its follow-up was not answered) stay visible as such,
    with the date, in the public list asked for them; they are never shown as active."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"


class ArrivalSource(enum.StrEnum):
    INBOX = "inbox"
    UPLOAD = "upload"
    MAIL = "mail"
    CLI = "cli"


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"  # the form was made; its signed scan has not come back
    RECEIVED = "received"  # a scan carrying its code came back (proposal_id set)
    EXPIRED = "expired"


class MailStatus(enum.StrEnum):
    TAKEN = "taken"  # every usable attachment is in the intake
    NO_ATTACHMENT = "no_attachment"  # recorded, nothing to take
    FAILED = "failed"  # an attachment could not be taken (error says why)


class Role(enum.StrEnum):
    REVIEWER = "reviewer"
    ADMIN = "admin"
