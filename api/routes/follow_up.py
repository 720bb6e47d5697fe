"""The follow-up (reviewers): who is due within N months and who is overdue, with the
signers' e-mails, as a page and as CSV (the same filters).

The CSV holds e-mail addresses, so it is for signed-in reviewers only, in their scope.
The page's forms record a follow-up done or a lapse (``api.routes.signatory_pages``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import ReadDB, ReviewerDep, Viewer, render
from api.routes.signatory_pages import filter_choices
from api.spreadsheet import safe_cell
from registry.follow_up import FollowUps, follow_ups
from registry.models import Signatory

router = APIRouter(include_in_schema=False)
MAX_MONTHS = 60
CSV_COLUMNS = (
    "state",
    "follow_up_due",
    "organisation",
    "organisation_number",
    "county",
    "declaration",
    "signed_date",
    "signer_name",
    "signer_title",
    "signer_email",
)


@dataclass(frozen=True, slots=True)
class Filters:
    """The follow-up's filters, the same for the page and the CSV."""

    months: int = 6
    declaration: str | None = None
    county: str | None = None

    @property
    def span(self) -> int:
        """The months asked for, within 0 and :data:`MAX_MONTHS`."""
        return min(max(self.months, 0), MAX_MONTHS)

    def find(self, db: Session, viewer: Viewer) -> FollowUps:
        return follow_ups(
            session=db,
            today=dt.date.today(),
            months=self.span,
            scope=viewer.scope,
            declaration=self.declaration or None,
            county=self.county or None,
        )


FiltersDep = Annotated[Filters, Depends()]


@router.get("/review/follow-up")
def follow_up_page(
    request: Request,
    viewer: ReviewerDep,
    db: ReadDB,
    filters: FiltersDep,
) -> Response:
    found = filters.find(db, viewer)
    emails = sorted({m.signer_email for m in [*found.overdue, *found.due] if m.signer_email})
    query = request.url.query
    return render(
        request,
        "registry/follow_up.html",
        viewer=viewer,
        nav="follow_up",
        found=found,
        emails=emails,
        filters={
            "months": filters.span,
            "declaration": filters.declaration or "",
            "county": filters.county or "",
        },
        csv_url="/review/follow-up.csv" + (f"?{query}" if query else ""),
        here=request.url.path + (f"?{query}" if query else ""),
        today=found.today.isoformat(),
        **filter_choices(db),
    )


def _row(member: Signatory, state: str) -> list[str]:
    org = member.organisation
    return [
        state,
        member.follow_up_due.isoformat(),
        org.name,
        org.organisation_number or "",
        org.county or "",
        member.declaration.slug,
        member.signed_date.isoformat(),
        member.signer_name or "",
        member.signer_title or "",
        member.signer_email or "",
    ]


@router.get("/review/follow-up.csv")
def follow_up_csv(viewer: ReviewerDep, db: ReadDB, filters: FiltersDep) -> Response:
    found = filters.find(db, viewer)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for state, members in (("overdue", found.overdue), ("due", found.due)):
        writer.writerows([safe_cell(v) for v in _row(m, state)] for m in members)
    name = f"uppfoljning-{found.today.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
