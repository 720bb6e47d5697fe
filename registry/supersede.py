"""A scan that grew: a later, larger file of the same name supersedes the earlier one.

Scanners that add each page to the same PDF as it is scanned, and consume folders that
rewrite a file in place, deliver one scan as several complete files a minute or so
apart, each a new content (a new submission). Without this rule each version would be
read and proposed: two or more proposals for one scan.

The rule (:func:`supersede_earlier`, called by the intake in the transaction that
records the newer submission):

- The newer submission *grew from* an earlier one when that earlier one is the latest
  submission under the same file name, is smaller, was received at most ``window``
  before it, and is neither ``quarantined`` (a bad file stays for staff to look at) nor
  already ``superseded``.
- **Unreviewed** (no proposal of it approved or rejected): the earlier submission
  becomes ``superseded`` and so do its ``proposed`` proposals, each naming the newer
  submission, each change audited (``submission.supersede``, ``proposal.supersede``,
  actor ``ingest``). A worker reading it meanwhile loses its lease and records nothing.
- **Reviewed** (a reviewer has approved or rejected one of its proposals): nothing is
  superseded, a decision is never undone by a file. Both submissions stay, and the
  newer one's proposals get the flag ``grown_after_review`` when they are built
  (:func:`flag_grown`, by the worker), so that a reviewer compares the two.

A file name reused for another scan (a scanner's counter starting again) is only taken
for a growth within the window and when larger; the window is a setting
(``SIGNREG_SUPERSEDE_WINDOW_SECONDS``, 15 minutes by default).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit import record_event
from registry.models import Proposal, ProposalStatus, Submission, SubmissionStatus

GROWN_FLAG = "grown_after_review"
ACTOR = "ingest"
DECIDED = (ProposalStatus.APPROVED, ProposalStatus.REJECTED)


def _previous(session: Session, submission: Submission, window: dt.timedelta) -> Submission | None:
    """The latest earlier submission of the same name, if smaller and within ``window``."""
    earlier = session.scalar(
        select(Submission)
        .where(
            Submission.file_name == submission.file_name,
            Submission.id != submission.id,
            Submission.received_at <= submission.received_at,
        )
        .order_by(Submission.received_at.desc(), Submission.id.desc())
        .limit(1)
    )
    if (
        earlier is None
        or earlier.size >= submission.size
        or submission.received_at - earlier.received_at > window
    ):
        return None
    return earlier


def grown_from(
    *, session: Session, submission: Submission, window: dt.timedelta
) -> Submission | None:
    """The earlier submission ``submission`` grew from (see the module docstring)."""
    earlier = _previous(session, submission, window)
    left_as_is = (SubmissionStatus.SUPERSEDED, SubmissionStatus.QUARANTINED)
    return None if earlier is None or earlier.status in left_as_is else earlier


def reviewed(*, session: Session, submission: Submission) -> bool:
    found = session.scalar(
        select(Proposal.id)
        .where(Proposal.submission_id == submission.id, Proposal.status.in_(DECIDED))
        .limit(1)
    )
    return found is not None


def supersede_earlier(
    *, session: Session, submission: Submission, window: dt.timedelta, now: dt.datetime
) -> Submission | None:
    """Supersede the unreviewed submission ``submission`` grew from; returns it (None
    when there is none, or when it was reviewed and so stays)."""
    earlier = grown_from(session=session, submission=submission, window=window)
    if earlier is None or reviewed(session=session, submission=earlier):
        return None
    note = f"superseded by submission {submission.id}, a larger file of the same name"
    for proposal in earlier.proposals:
        if proposal.status == ProposalStatus.PROPOSED:
            proposal.status, proposal.reason = ProposalStatus.SUPERSEDED, note
            proposal.decided_by, proposal.decided_at = ACTOR, now
            _audit(session, "proposal", proposal, ProposalStatus.PROPOSED, submission, now)
    before = earlier.status
    earlier.status = earlier.reason = SubmissionStatus.SUPERSEDED
    earlier.error = note
    earlier.lease_owner, earlier.lease_expires_at = None, None
    earlier.processed_at = earlier.processed_at or now
    _audit(session, "submission", earlier, before, submission, now)
    return earlier


def flag_grown(
    *, session: Session, submission: Submission, proposals: list[Proposal], window: dt.timedelta
) -> bool:
    """Flag ``proposals`` (just built from ``submission``) ``grown_after_review`` when
    the scan grew from a reviewed submission, through any chain of superseded ones."""
    current = submission
    while True:
        earlier = _previous(session, current, window)
        if earlier is None or earlier.status == SubmissionStatus.QUARANTINED:
            return False
        if reviewed(session=session, submission=earlier):
            break
        current = earlier  # superseded by the next: look further back
    for proposal in proposals:
        if GROWN_FLAG not in proposal.flags:
            proposal.flags = [*proposal.flags, GROWN_FLAG]
    return True


def _audit(
    session: Session,
    entity: str,
    row: Proposal | Submission,
    before: str,
    by: Submission,
    now: dt.datetime,
) -> None:
    """``row`` (superseded now) as it was and as it is."""
    record_event(
        session=session,
        actor=ACTOR,
        action=f"{entity}.supersede",
        entity=entity,
        entity_id=row.id,
        before={"status": before},
        after={"status": row.status, "superseded_by": by.id},
        now=now,
    )
