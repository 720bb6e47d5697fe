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
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Engine, String, cast, or_, select
from sqlalchemy.orm import Session

from registry.audit import ERASED, record_event, scrub_events
from registry.errors import NotFound, ValidationError
from registry.models import (
    Application,
    AuditEvent,
    Declaration,
    MailMessage,
    Organisation,
    Proposal,
    Signatory,
    Submission,
    SubmissionArrival,
    SubmissionStatus,
)
from registry.orgnr import normalise_orgnr

ERASE_ACTION = "privacy.erase"
ERASURE_REASON = "erasure"  # Submission.scan_deleted_reason
# the person's values under these keys, in a proposal's fields and in audit events
NAME_KEYS = frozenset({"signer_name", "signatory_name"})
TITLE_KEYS = frozenset({"signer_title", "signatory_title"})
EMAIL_KEYS = frozenset({"signer_email", "email"})
PERSONAL_KEYS = NAME_KEYS | TITLE_KEYS | EMAIL_KEYS
PERSONAL_FIELDS = ("signatory_name", "signatory_title", "email")  # Proposal.fields
# a name or e-mail shorter than this is replaced only where it stands under its key,
# never inside other text (it would match too much)
MIN_FREE_TEXT = 4
_IN_PROGRESS = (SubmissionStatus.RECEIVED, SubmissionStatus.PROCESSING)
_SPLIT = re.compile(r"[\s._\-]+")
_SEPARATORS = r"[\s._\-]*"


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


# --- what belongs to the organisation -------------------------------------------------


@dataclass
class _Targets:
    number: str
    organisation: Organisation | None
    organisation_ids: list[int]
    members: list[Signatory]
    proposals: list[Proposal]
    applications: list[Application]
    submissions: list[Submission]
    shared: list[Submission] = field(default_factory=list)  # scans kept: others' too


def _number(organisation_number: str) -> str:
    number = normalise_orgnr(organisation_number or "")
    if number is None:
        raise ValidationError(
            f"not a valid organisation number: {organisation_number!r}",
            field="organisation_number",
        )
    return number


def _read_number(number: str) -> ColumnElement[bool]:
    """A proposal read (or corrected) with this organisation number."""
    digits = number.replace("-", "")
    read = Proposal.fields["organisation_number"]["value"].as_string()
    fixed = Proposal.corrections["organisation_number"]["after"].as_string()
    return or_(read.in_([number, digits]), fixed.in_([number, digits]))


def _targets(
    session: Session, number: str, *, signatory_id: int | None, submission_id: int | None
) -> _Targets:
    org = session.scalar(select(Organisation).where(Organisation.organisation_number == number))
    org_ids = [] if org is None else [org.id]
    if org is not None:  # organisations merged into it brought their memberships along
        org_ids += session.scalars(
            select(Organisation.id).where(Organisation.merged_into_id == org.id)
        )
    member_stmt = select(Signatory).where(Signatory.organisation_id.in_(org_ids))
    declaration: Declaration | None = None
    if signatory_id is not None:
        member = session.get(Signatory, signatory_id)
        if member is None or member.organisation_id not in org_ids:
            raise NotFound(f"membership of organisation {number}", signatory_id)
        declaration = member.declaration
        member_stmt = member_stmt.where(Signatory.id == signatory_id)
    members = list(session.scalars(member_stmt.order_by(Signatory.id)))
    proposal_stmt = select(Proposal).where(
        or_(
            Proposal.organisation_id.in_(org_ids),
            Proposal.id.in_([m.proposal_id for m in members if m.proposal_id]),
            _read_number(number),
        )
    )
    app_stmt = select(Application).where(Application.organisation_number == number)
    if declaration is not None:
        proposal_stmt = proposal_stmt.where(Proposal.declaration_slug == declaration.slug)
        app_stmt = app_stmt.where(Application.declaration_id == declaration.id)
    proposals = list(session.scalars(proposal_stmt.order_by(Proposal.id)))
    applications = list(session.scalars(app_stmt.order_by(Application.id)))
    sub_ids = {p.submission_id for p in proposals}
    if submission_id is not None:
        extra = session.get(Submission, submission_id)
        if extra is None:
            raise NotFound("submission", submission_id)
        if extra.status in _IN_PROGRESS:
            raise ValidationError(
                f"submission {submission_id} is still being read: erase it once it is read",
                field="submission_id",
            )
        sub_ids.add(extra.id)
    submissions = list(
        session.scalars(
            select(Submission).where(Submission.id.in_(sub_ids)).order_by(Submission.id)
        )
    )
    if org is None and not proposals and not applications and not submissions:
        raise NotFound("organisation, proposal or application with the number", number)
    mine = {p.id for p in proposals}
    shared = [s for s in submissions if any(p.id not in mine for p in s.proposals)]
    return _Targets(
        number=number,
        organisation=org,
        organisation_ids=org_ids,
        members=members,
        proposals=proposals,
        applications=applications,
        submissions=[s for s in submissions if s not in shared],
        shared=shared,
    )


def _events(session: Session, t: _Targets) -> tuple[list[AuditEvent], list[AuditEvent]]:
    """Earlier events of the person's rows (their personal keys are cleared) and of the
    organisation (only the values found are replaced: they may name other signers)."""
    kinds: dict[str, list[object]] = {
        "signatory": [m.id for m in t.members],
        "proposal": [p.id for p in t.proposals],
        "submission": [s.id for s in (*t.submissions, *t.shared)],
        "application": [a.id for a in t.applications],
    }

    def of(entity: str, ids: Iterable[object]) -> ColumnElement[bool]:
        return (AuditEvent.entity == entity) & AuditEvent.entity_id.in_([str(i) for i in ids])

    own = [of(kind, ids) for kind, ids in kinds.items() if ids]
    rows: list[AuditEvent] = []
    if own:
        rows = list(session.scalars(select(AuditEvent).where(or_(*own)).order_by(AuditEvent.id)))
    org_rows: list[AuditEvent] = []
    if t.organisation_ids:
        org_rows = list(
            session.scalars(
                select(AuditEvent)
                .where(of("organisation", t.organisation_ids))
                .order_by(AuditEvent.id)
            )
        )
    return rows, org_rows


# --- the values ------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)


def _under_keys(value: Any, keys: frozenset[str]) -> Iterator[str]:
    """Every string standing under one of ``keys``, anywhere in a JSON value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in keys:
                yield from _strings(inner)
            else:
                yield from _under_keys(inner, keys)
    elif isinstance(value, list):
        for inner in value:
            yield from _under_keys(inner, keys)


@dataclass(frozen=True, slots=True)
class _Values:
    """The person's values, found in the rows, and how to replace them: a name matches
    with any spacing, dots, dashes or underscores between its parts (``greta-hemligsson``
    is ``Greta Hemligsson``); in a file name, mail and its attachments' names each part
    of a name (of :data:`MIN_FREE_TEXT` letters or more) is replaced by itself too."""

    words: tuple[str, ...]  # names and e-mails (longest first)
    pattern: re.Pattern[str] | None
    parts: re.Pattern[str] | None  # the above, and each part of a name alone

    @classmethod
    def of(cls, found: Iterable[str]) -> _Values:
        words = sorted(
            {w.strip() for w in found if w and len(w.strip()) >= MIN_FREE_TEXT and w != ERASED},
            key=lambda w: (-len(w), w),
        )
        if not words:
            return cls((), None, None)
        loose = [_SEPARATORS.join(re.escape(t) for t in _SPLIT.split(w) if t) for w in words]
        parts = {
            t for w in words if "@" not in w for t in _SPLIT.split(w) if len(t) >= MIN_FREE_TEXT
        }
        by_part = sorted(parts, key=lambda t: (-len(t), t))
        return cls(
            tuple(words),
            re.compile("|".join(loose), re.IGNORECASE),
            re.compile("|".join([*loose, *(re.escape(t) for t in by_part)]), re.IGNORECASE),
        )

    def text(self, value: str) -> tuple[str, int]:
        if self.pattern is None:
            return value, 0
        return self.pattern.subn(ERASED, value)

    def name_text(self, value: str) -> tuple[str, int]:
        """A file name, a mail's sender or subject: each part of a name goes too."""
        if self.parts is None:
            return value, 0
        return self.parts.subn(ERASED, value)

    def json(self, value: Any, *, keyed: bool) -> tuple[Any, int]:
        """``value`` with the person's values replaced: inside every string, and with
        ``keyed`` every string under a personal key whatever it says."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            out_list, total = [], 0
            for inner in value:
                new, n = self.json(inner, keyed=keyed)
                out_list.append(new)
                total += n
            return out_list, total
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            total = 0
            for key, inner in value.items():
                if keyed and key in PERSONAL_KEYS:
                    new, n = _blank(inner)
                else:
                    new, n = self.json(inner, keyed=keyed)
                out[key] = new
                total += n
            return out, total
        return value, 0


def _blank(value: Any) -> tuple[Any, int]:
    """Every string in ``value`` as ``[raderat]`` (a personal key's value)."""
    if isinstance(value, str):
        return (value, 0) if value == ERASED else (ERASED, 1)
    if isinstance(value, list):
        pairs = [_blank(v) for v in value]
        return [p[0] for p in pairs], sum(p[1] for p in pairs)
    if isinstance(value, dict):
        items = {k: _blank(v) for k, v in value.items()}
        return {k: p[0] for k, p in items.items()}, sum(p[1] for p in items.values())
    return value, 0


def _found_values(t: _Targets, events: list[AuditEvent]) -> _Values:
    found: list[str] = []
    for m in t.members:
        found += [v for v in (m.signer_name, m.signer_email) if v]
    for p in t.proposals:
        found += [v for v in (p.value("signatory_name"), p.value("email")) if v]
        found += _under_keys(p.corrections or {}, NAME_KEYS | EMAIL_KEYS)
    for a in t.applications:
        found += [v for v in (a.signatory_name, a.email) if v]
    for e in events:
        found += _under_keys([e.before, e.after], NAME_KEYS | EMAIL_KEYS)
    return _Values.of(found)


# --- erasure ---------------------------------------------------------------------------


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


def _clear_rows(t: _Targets, values: _Values, counts: _Counts) -> None:
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
            if isinstance(entry, dict) and entry.get("value") is not None:
                counts.cleared(key, entry.get("value"))
                fields[key] = {**entry, "value": None, "confidence": 0.0, "erased": True}
        p.fields = fields
        if p.corrections:
            p.corrections, _n = values.json(p.corrections, keyed=True)
        if p.reason:
            p.reason, n = values.text(p.reason)
            counts.free_text += n
    for a in t.applications:
        for key, column in (
            ("signatory_name", "signatory_name"),
            ("signatory_title", "signatory_title"),
            ("email", "email"),
        ):
            counts.cleared(key, getattr(a, column))
            setattr(a, column, None)


def _scrub_text_columns(session: Session, t: _Targets, values: _Values, counts: _Counts) -> None:
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


def _kept(t: _Targets, events: int) -> tuple[Kept, ...]:
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


def preview(
    *,
    session: Session,
    organisation_number: str,
    signatory_id: int | None = None,
    submission_id: int | None = None,
) -> ErasureReport:
    """What :func:`erase` would erase and keep, changing nothing (the confirmation)."""
    t = _targets(
        session,
        _number(organisation_number),
        signatory_id=signatory_id,
        submission_id=submission_id,
    )
    own, org_events = _events(session, t)
    values = _found_values(t, own)
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
    )


def _report(
    t: _Targets,
    event_id: int | None,
    counts: _Counts,
    *,
    events: int,
    touched: int,
    replaced: int,
    free_text: int,
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
        scans=_scans(t.submissions),
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
    t = _targets(
        session,
        _number(organisation_number),
        signatory_id=signatory_id,
        submission_id=submission_id,
    )
    own, org_events = _events(session, t)
    values = _found_values(t, own)
    counts = _Counts()
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
    )


# tables whose rows erasure changes: their old row versions still hold the values
ERASED_TABLES = (
    "signatory",
    "proposal",
    "application",
    "audit_event",
    "submission",
    "submission_arrival",
    "mail_message",
)


def purge_old_row_versions(engine: Engine) -> str | None:
    """Rewrite the database's files so the erased values' old copies go too: SQLite
    keeps freed pages and its WAL (``VACUUM``, then the WAL checkpointed and truncated),
    PostgreSQL its dead row versions (``VACUUM FULL`` of the tables erasure changes; a
    short exclusive lock on each). Run after the erasure's commit.

    Returns ``None`` when done, else why not (the database busy past its timeout, say):
    the erasure stands; running it again rewrites the files then."""
    dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            cur = raw.cursor()  # the driver's own autocommit: VACUUM cannot run in a BEGIN
            try:
                cur.execute("VACUUM")
                busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                cur.close()
            if busy and busy[0]:  # a reader kept the WAL from being truncated
                return "the write-ahead log is in use by another connection"
        elif engine.dialect.name == "postgresql":
            driver: Any = raw.driver_connection
            driver.rollback()
            driver.autocommit = True
            try:
                driver.execute(f"VACUUM FULL {', '.join(ERASED_TABLES)}")
            finally:
                driver.autocommit = False
        return None
    except dbapi_error as e:
        return f"{type(e).__name__}: {e}".strip()
    finally:
        raw.close()
