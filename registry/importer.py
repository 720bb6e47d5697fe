"""An existing published list as verified signatories marked ``import``; idempotent.

Columns: ``organisation, organisation_number, county, signed_date`` (the number may be
empty). Each good row becomes (or already is) the organisation's verified membership in
the declaration; a row whose membership exists with the same or a later signed date
changes nothing, so running the same list twice changes nothing. Bad rows are reported
by line number (the header is line 1) and skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit import record_event
from registry.declarations import get_declaration
from registry.errors import RegistryError, ValidationError
from registry.models import Signatory, SignatorySource
from registry.organisations import resolve_organisation
from registry.orgnr import normalise_orgnr
from registry.signatories import add_years, snapshot

COLUMNS = ("organisation", "organisation_number", "county", "signed_date")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


@dataclass(slots=True)
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.errors)


@dataclass(frozen=True, slots=True)
class ImportRow:
    organisation: str
    organisation_number: str | None
    county: str | None
    signed_date: dt.date


def parse_row(raw: dict[str, str | None]) -> ImportRow:
    name = (raw.get("organisation") or "").strip()
    if not name:
        raise ValidationError("organisation is empty")
    number_text = (raw.get("organisation_number") or "").strip()
    number = normalise_orgnr(number_text) if number_text else None
    if number_text and number is None:
        raise ValidationError(f"not a valid organisation number: {number_text!r}")
    date_text = (raw.get("signed_date") or "").strip()
    try:
        signed = dt.date.fromisoformat(date_text)
    except ValueError:
        raise ValidationError(f"signed_date is not a date (YYYY-MM-DD): {date_text!r}") from None
    county = (raw.get("county") or "").strip() or None
    return ImportRow(name, number, county, signed)


def import_list(
    *, session: Session, rows_csv_text: str, declaration_slug: str, actor: str, now: dt.datetime
) -> ImportReport:
    declaration = get_declaration(session=session, slug=declaration_slug)
    reader = csv.DictReader(io.StringIO(rows_csv_text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError(f"line 1: missing columns {', '.join(missing)}")
    report = ImportReport()
    for raw in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue
        try:
            row = parse_row(raw)
            with session.begin_nested():
                outcome = _apply(
                    session, row, declaration.id, declaration.follow_up_years, actor, now
                )
        except RegistryError as e:
            report.errors.append(RowError(line, str(e)))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _apply(
    session: Session,
    row: ImportRow,
    declaration_id: int,
    years: int,
    actor: str,
    now: dt.datetime,
) -> str:
    org, _ = resolve_organisation(
        session=session, name=row.organisation, number=row.organisation_number, county=row.county
    )
    member = session.scalar(
        select(Signatory).where(
            Signatory.organisation_id == org.id, Signatory.declaration_id == declaration_id
        )
    )
    if member is not None and member.active and member.signed_date >= row.signed_date:
        return "unchanged"
    before = None if member is None else snapshot(member)
    if member is None:
        member = Signatory(organisation_id=org.id, declaration_id=declaration_id)
        session.add(member)
    member.signed_date = row.signed_date
    member.follow_up_due = add_years(row.signed_date, years)
    member.verified_by, member.verified_at = actor, now
    member.source, member.proposal_id, member.active = SignatorySource.IMPORT, None, True
    member.signer_name = member.signer_title = member.signer_email = None
    session.flush()
    record_event(
        session=session,
        actor=actor,
        action="signatory.import",
        entity="signatory",
        entity_id=member.id,
        before=before,
        after=snapshot(member),
        now=now,
    )
    return "created" if before is None else "updated"
