from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from registry.errors import NotFound, ValidationError
from registry.importer import RowError, import_list
from registry.models import AuditEvent, Organisation, Signatory
from tests.registry.helpers import SLUG, T0, seed_declaration

LIST = """organisation,organisation_number,county,signed_date
Boliden Rönnskär,,Västerbotten,2022-03-01
Luleå kommun,212000-2411,Norrbotten,2021-09-15
Byggföretagen,,Norrbotten,not a date
,,Norrbotten,2022-01-01
Kaunis Iron,556000-0000,Norrbotten,2022-01-01
Region Norrbotten,232100-0230,Norrbotten,2020-06-30
"""


def _counts(s: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        s.scalar(select(func.count()).select_from(t)) for t in (Organisation, Signatory, AuditEvent)
    )


def test_import_list_is_idempotent_and_reports_bad_rows_by_line(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    with session_factory.begin() as s:
        report = import_list(
            session=s, rows_csv_text=LIST, declaration_slug=SLUG, actor="import:test", now=T0
        )
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert [e.line for e in report.errors] == [4, 5, 6]
    assert report.errors[0] == RowError(4, "signed_date is not a date (YYYY-MM-DD): 'not a date'")
    assert "organisation is empty" in report.errors[1].message
    assert "organisation number" in report.errors[2].message
    with session_factory() as s:
        before = _counts(s)
        rows = s.scalars(select(Signatory).order_by(Signatory.id)).all()
        assert [(r.organisation.name, r.source, r.signed_date, r.follow_up_due) for r in rows] == [
            ("Boliden Rönnskär", "import", dt.date(2022, 3, 1), dt.date(2024, 3, 1)),
            ("Luleå kommun", "import", dt.date(2021, 9, 15), dt.date(2023, 9, 15)),
            ("Region Norrbotten", "import", dt.date(2020, 6, 30), dt.date(2022, 6, 30)),
        ]
        assert rows[1].organisation.organisation_number == "212000-2411"
    with session_factory.begin() as s:
        again = import_list(
            session=s,
            rows_csv_text=LIST,
            declaration_slug=SLUG,
            actor="import:test",
            now=T0 + dt.timedelta(days=1),
        )
    assert (again.created, again.updated, again.unchanged, len(again.errors)) == (0, 0, 3, 3)
    with session_factory() as s:
        assert _counts(s) == before


def test_import_newer_date_updates_and_bad_header_is_refused(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    head = "organisation,organisation_number,county,signed_date\n"
    with session_factory.begin() as s:
        import_list(
            session=s,
            rows_csv_text=head + "Tromb,,Norrbotten,2021-01-01\n",
            declaration_slug=SLUG,
            actor="a",
            now=T0,
        )
        r = import_list(
            session=s,
            rows_csv_text=head + "TROMB,,Norrbotten,2023-01-01\n",
            declaration_slug=SLUG,
            actor="a",
            now=T0,
        )
        assert (r.created, r.updated) == (0, 1)
    with session_factory.begin() as s, pytest.raises(ValidationError, match="missing columns"):
        import_list(
            session=s,
            rows_csv_text="name,date\nX,2020-01-01\n",
            declaration_slug=SLUG,
            actor="a",
            now=T0,
        )
    with session_factory.begin() as s, pytest.raises(NotFound):
        import_list(session=s, rows_csv_text=head, declaration_slug="nope", actor="a", now=T0)
