"""Erasure on request: a signer's name, title, e-mail and scans, out of the registry.

:func:`erase` takes an organisation number (and, to narrow it, one membership) and, in
the caller's transaction:

- clears the signer's name, title and e-mail on the memberships (``Signatory``), on
  every proposal read for the organisation (its ``fields`` and ``corrections``) and on
  join-online applications with that number;
- replaces those values with ``[raderat]`` wherever else they stand: free text
  (a rejection's reason, a withdrawal's reason, the names a file came under, a mail's
  sender and subject) and the audit trail's earlier events, through
  :func:`registry.audit.scrub_events`, the one permitted change to recorded events;
- marks the scans read for the organisation deleted (``scan_deleted_at``, reason
  ``erasure``), except a scan that also holds another organisation's declaration;
- records one ``privacy.erase`` event: what was erased, counted, and no value of it.

It returns an :class:`ErasureReport` saying what was erased and what was kept and why.
The files themselves (the archived scan, a quarantined copy, page images made from it)
are deleted by the caller *after* the commit (``ingest.erase_files``): a crash between
the two leaves rows marked deleted whose files are still there, and running the
erasure again (or ``signreg retention``, which sweeps every scan marked deleted)
deletes them. Services here never commit.

Kept, on purpose: the organisation's entry on the public list (name, number, county,
declaration, signed date: the county board's published record of the commitment, not
the signer's data); the rows of received files with their sha256 (so the same file
sent again is recognised, and the record that it was received stays); the audit events
themselves (who did what when), with the personal values replaced. Backups keep
everything until they age out.

Beside it: ``registry.erasure_targets`` (what belongs to the organisation),
``registry.personal_values`` (finding and replacing the values), ``registry.purge``
(rewriting the database's own files afterwards).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from registry.audit import ERASED, record_event, scrub_events
from registry.erasure_targets import Targets, earlier_events, find_targets, parse_number
from registry.models import AuditEvent, MailMessage, Submission, SubmissionArrival
from registry.personal_values import (
    EMAIL_KEYS,
    NAME_KEYS,
    PERSONAL_FIELDS,
    TITLE_KEYS,
    PersonalValues,
    under_keys,
)

ERASE_ACTION = "privacy.erase"
ERASURE_REASON = "erasure"  # Submission.scan_deleted_reason


@dataclass(frozen=True, slots=True)
class ScanFile:
    """A scan whose files are to be deleted: its content and the names it came under
    (a quarantined copy is named after them)."""

    submission_id: int
    sha256: str
    file_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FilesDeleted:
    """What ``ingest.erase_files`` deleted from the data folder."""

    archive: int = 0
    quarantine: int = 0
    page_images: int = 0


@dataclass(frozen=True, slots=True)
class Kept:
    """One thing erasure keeps: a code, how many, and why (English; the web and CLI
    show it)."""

    what: str
    count: int
    why: str


@dataclass(frozen=True, slots=True)
class ErasureReport:
    organisation_number: str
    organisation: str | None  # the organisation's name (public), when it is registered
    event_id: int | None  # the privacy.erase event (None in a preview)
    memberships: int
    proposals: int
    applications: int
    names: int  # values cleared in the tables (memberships, proposals, applications)
    titles: int
    emails: int
    free_text: int  # values replaced inside other text (reasons, file names, mail)
    audit_events: int  # earlier events changed
    audit_values: int  # values replaced in them
    scans: tuple[ScanFile, ...]  # their files are deleted after the commit
    kept: tuple[Kept, ...]
    files: FilesDeleted | None = None  # filled in once the files are deleted
    # after the files: None when the database's own files were rewritten, else why not
    not_rewritten: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["scans"] = [s.submission_id for s in self.scans]
        return out


def _found_values(t: Targets, events: list[AuditEvent]) -> PersonalValues:
    found: list[str] = []
    for m in t.members:
        found += [v for v in (m.signer_name, m.signer_email) if v]
    for p in t.proposals:
        found += [v for v in (p.value("signatory_name"), p.value("email")) if v]
        found += under_keys(p.corrections or {}, NAME_KEYS | EMAIL_KEYS)
    for a in t.applications:
        found += [v for v in (a.signatory_name, a.email) if v]
    for e in events:
        found += under_keys([e.before, e.after], NAME_KEYS | EMAIL_KEYS)
    return PersonalValues.of(found)


@dataclass
class _Counts:
    names: int = 0
    titles: int = 0
    emails: int = 0
    free_text: int = 0

    def cleared(self, key: str, value: object) -> None:
        if value in (None, "", ERASED):
            return
        if key in NAME_KEYS:
            self.names += 1
        elif key in TITLE_KEYS:
            self.titles += 1
        else:
            self.emails += 1


def _clear_rows(t: Targets, values: PersonalValues, counts: _Counts) -> None:
    for m in t.members:
        for key in ("signer_name", "signer_title", "signer_email"):
            counts.cleared(key, getattr(m, key))
            setattr(m, key, None)
        if m.status_reason:
            m.status_reason, n = values.text(m.status_reason)
            counts.free_text += n
    for p in t.proposals:
        fields = dict(p.fields)
        for key in PERSONAL_FIELDS:
            entry = fields.get(key)
            if not isinstance(entry, dict):
                continue
            counts.cleared(key, entry.get("value"))
            # the value, and any other reading of it (``ocr_value`` beside a code's value)
            cleared = {
                k: None if isinstance(v, str) and k != "source" else v for k, v in entry.items()
            }
            if cleared != entry:
                fields[key] = {**cleared, "confidence": 0.0, "erased": True}
        p.fields = fields
        if p.corrections:
            p.corrections, _n = values.json(p.corrections, keyed=True)
        if p.reason:
            p.reason, n = values.text(p.reason)
            counts.free_text += n
    for a in t.applications:
        for key in ("signatory_name", "signatory_title", "email"):
            counts.cleared(key, getattr(a, key))
            setattr(a, key, None)
        a.client = None  # the address it was sent from (kept for the rate limit)


def _scrub_text_columns(
    session: Session, t: Targets, values: PersonalValues, counts: _Counts
) -> None:
    """The person's name or e-mail inside other text: file names, errors, mail."""
    if values.pattern is None:
        return
    subs = [*t.submissions, *t.shared]

    def scrub(row: object, column: str, how: Callable[[str], tuple[str, int]]) -> None:
        text = getattr(row, column)
        if text:
            new, n = how(text)
            setattr(row, column, new)
            counts.free_text += n

    for sub in subs:
        scrub(sub, "file_name", values.name_text)
        scrub(sub, "error", values.text)
    arrivals = session.scalars(
        select(SubmissionArrival).where(SubmissionArrival.submission_id.in_([s.id for s in subs]))
    )
    for arrival in arrivals:
        for column in ("file_name", "sender", "subject"):
            scrub(arrival, column, values.name_text)
    attachments = cast(MailMessage.attachments, String)
    found = [MailMessage.sender.icontains(w, autoescape=True) for w in values.words]
    found += [MailMessage.subject.icontains(w, autoescape=True) for w in values.words]
    found += [attachments.contains(s.sha256) for s in subs]
    for mail in session.scalars(select(MailMessage).where(or_(*found))):
        for column in ("sender", "subject"):
            scrub(mail, column, values.name_text)
        named = [
            {**a, "name": values.name_text(a["name"])[0]}
            if isinstance(a, dict) and isinstance(a.get("name"), str)
            else a
            for a in mail.attachments
        ]
        if named != mail.attachments:
            counts.free_text += sum(
                1 for a, b in zip(named, mail.attachments, strict=True) if a != b
            )
            mail.attachments = named


def _kept(t: Targets, events: int) -> tuple[Kept, ...]:
    listed = sum(1 for m in t.members if m.active)
    kept = [
        Kept(
            "public_entry",
            listed,
            "The organisation's name, organisation number, county, declaration and signed "
            "date stay on the public list: they are the county board's published record of "
            "the organisation's commitment, not the signer's personal data.",
        ),
        Kept(
            "submission_rows",
            len(t.submissions) + len(t.shared),
            "The rows of the received files stay, with their sha256 and when they came: a "
            "public record that they were received, and the same file sent again is "
            "recognised. They hold no name.",
        ),
        Kept(
            "audit_events",
            events,
            "The audit trail's events stay (who did what, when); the personal values in "
            "them are replaced by [raderat], and this erasure is itself an event.",
        ),
    ]
    if t.shared:
        kept.append(
            Kept(
                "shared_scans",
                len(t.shared),
                "These scans also hold declarations of other organisations: they are kept "
                "for those; this organisation's values read from them are erased.",
            )
        )
    kept.append(
        Kept(
            "backups",
            0,
            "Backups made before today keep the data until they age out; a restore must "
            "be followed by this erasure again.",
        )
    )
    return tuple(kept)


def _scans(subs: Iterable[Submission]) -> tuple[ScanFile, ...]:
    out = []
    for sub in subs:
        names = dict.fromkeys([sub.file_name, *(a.file_name for a in sub.arrivals)])
        out.append(ScanFile(submission_id=sub.id, sha256=sub.sha256, file_names=tuple(names)))
    return tuple(out)


def _found(
    session: Session, number: str, signatory_id: int | None, submission_id: int | None
) -> tuple[Targets, list[AuditEvent], list[AuditEvent], PersonalValues]:
    """What belongs to the person(s) to erase: the rows, the audit events about them and
    about their organisation, and the values to look for in them."""
    t = find_targets(
        session, parse_number(number), signatory_id=signatory_id, submission_id=submission_id
    )
    own, org_events = earlier_events(session, t)
    return t, own, org_events, _found_values(t, own)


def preview(
    *,
    session: Session,
    organisation_number: str,
    signatory_id: int | None = None,
    submission_id: int | None = None,
) -> ErasureReport:
    """What :func:`erase` would erase and keep, changing nothing (the confirmation)."""
    t, own, org_events, values = _found(session, organisation_number, signatory_id, submission_id)
    counts = _Counts()
    for m in t.members:
        for key in ("signer_name", "signer_title", "signer_email"):
            counts.cleared(key, getattr(m, key))
    for p in t.proposals:
        for key in PERSONAL_FIELDS:
            counts.cleared(key, p.value(key))
    for a in t.applications:
        for key, value in (
            ("signatory_name", a.signatory_name),
            ("signatory_title", a.signatory_title),
            ("email", a.email),
        ):
            counts.cleared(key, value)
    touched = [e for e in own if values.json([e.before, e.after], keyed=True)[1]] + [
        e for e in org_events if values.json([e.before, e.after], keyed=False)[1]
    ]
    return _report(
        t,
        None,
        counts,
        events=len(own) + len(org_events),
        touched=len(touched),
        replaced=0,
        free_text=0,
        scans=_scans(t.submissions),
    )


def _report(
    t: Targets,
    event_id: int | None,
    counts: _Counts,
    *,
    events: int,
    touched: int,
    replaced: int,
    free_text: int,
    scans: tuple[ScanFile, ...],
) -> ErasureReport:
    return ErasureReport(
        organisation_number=t.number,
        organisation=t.organisation.name if t.organisation else None,
        event_id=event_id,
        memberships=len(t.members),
        proposals=len(t.proposals),
        applications=len(t.applications),
        names=counts.names,
        titles=counts.titles,
        emails=counts.emails,
        free_text=free_text,
        audit_events=touched,
        audit_values=replaced,
        scans=scans,
        kept=_kept(t, events),
    )


def erase(
    *,
    session: Session,
    organisation_number: str,
    actor: str,
    now: dt.datetime,
    signatory_id: int | None = None,
    submission_id: int | None = None,
) -> ErasureReport:
    """Erase the signers' personal data of one organisation (or of one membership of
    it, ``signatory_id``); ``submission_id`` adds a scan not read for it (a quarantined
    file of theirs). See the module docstring for what is erased and kept."""
    t, own, org_events, values = _found(session, organisation_number, signatory_id, submission_id)
    counts = _Counts()
    scans = _scans(t.submissions)  # under the names the files were kept by
    _clear_rows(t, values, counts)
    _scrub_text_columns(session, t, values, counts)
    for sub in t.submissions:
        if sub.scan_deleted_at is None:
            sub.scan_deleted_at, sub.scan_deleted_reason = now, ERASURE_REASON
    entity, entity_id = (
        ("organisation", t.organisation.id) if t.organisation else ("organisation_number", t.number)
    )
    event = record_event(
        session=session,
        actor=actor,
        action=ERASE_ACTION,
        entity=entity,
        entity_id=entity_id,
        after={
            "organisation_number": t.number,
            "signatory_id": signatory_id,
            "memberships": [m.id for m in t.members],
            "proposals": [p.id for p in t.proposals],
            "applications": len(t.applications),
            "scans_deleted": [s.id for s in t.submissions],
            "scans_kept": [s.id for s in t.shared],
            "names": counts.names,
            "titles": counts.titles,
            "emails": counts.emails,
            "free_text": counts.free_text,
            "kept": [k.what for k in _kept(t, len(own) + len(org_events))],
        },
        now=now,
    )
    own_ids = {e.id for e in own}
    changed = scrub_events(
        session=session,
        events=own,
        scrub=lambda v: values.json(v, keyed=True),
        by=event,
    )
    changed_org = scrub_events(
        session=session,
        events=[e for e in org_events if e.id not in own_ids],
        scrub=lambda v: values.json(v, keyed=False),
        by=event,
    )
    session.flush()
    every = {**changed, **changed_org}
    return _report(
        t,
        event.id,
        counts,
        events=len(own) + len(org_events),
        touched=len(every),
        replaced=sum(every.values()),
        free_text=counts.free_text,
        scans=scans,
    )
