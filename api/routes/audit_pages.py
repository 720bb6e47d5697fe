"""The audit trail in the browser: every decision, who and when, before and after.

``GET /review/audit`` pages through the events newest first, filtered by actor, action,
entity, entity id and a date range; ``/review/audit.csv`` and ``/review/audit.jsonl``
stream every matching event with the same filters.

Who sees what (``registry.audit.visible_to``): the trail holds signer names and e-mail
addresses wherever a proposal or a membership does, and staff accounts. An admin sees
everything; a reviewer sees no account changes, and one limited to counties or
declarations sees only events of the proposals, submissions, signatories and
organisations of their scope, so the trail shows no one anything their own pages would
not.

Dates are Swedish days (Europe/Stockholm): ``since=2026-03-01&until=2026-03-31`` is the
whole of March there, both days included.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import ColumnElement

from api.deps import CtxDep, ReadDB, ReviewerDep, Viewer, gettext_for, now, render
from api.local_time import LOCAL_TZ, local
from api.spreadsheet import safe_cell
from registry.audit import AuditFilter, iter_events, known_values, list_events, visible_to
from registry.errors import ValidationError
from registry.models import AuditEvent

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
CHUNK_ROWS = 250
EXPORT_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "changed",
    "before",
    "after",
)


@dataclass(frozen=True, slots=True)
class Change:
    key: str  # dotted for nested values: ``signatory.signed_date``
    before: str
    after: str


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value} if prefix else {}


def shown(value: Any) -> str:
    """A value as text: nothing is a dash, text as it is, anything else as JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The keys whose values differ between ``before`` and ``after`` (nested keys dotted),
    in the order they first appear; a key missing on one side and empty (nothing, ``[]``,
    ``{}``) on the other is no change."""
    old, new = _flatten(before or {}), _flatten(after or {})
    keys = list(dict.fromkeys([*old, *new]))
    return [
        Change(key, shown(old.get(key)), shown(new.get(key)))
        for key in keys
        if old.get(key) != new.get(key) and not (_blank(old.get(key)) and _blank(new.get(key)))
    ]


def _blank(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _day(value: str | None, field: str, *, end: bool = False) -> dt.datetime | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"not a date (YYYY-MM-DD): {value!r}", field=field) from None
    if end:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """The filters as given in the address (kept as text to fill the form again)."""

    actor: str = ""
    action: str = ""
    entity: str = ""
    entity_id: str = ""
    since: str = ""
    until: str = ""

    def filters(self) -> AuditFilter:
        return AuditFilter(
            actor=self.actor.strip() or None,
            action=self.action.strip() or None,
            entity=self.entity.strip() or None,
            entity_id=self.entity_id.strip() or None,
            since=_day(self.since, "since"),
            until=_day(self.until, "until", end=True),
        )

    def encode(self, **extra: object) -> str:
        """The address's query for these filters (and ``extra``), empty ones left out."""
        given = {k: v for k, v in {**asdict(self), **extra}.items() if v not in ("", None)}
        return urlencode(given)


def audit_query(
    actor: Annotated[str, Query()] = "",
    action: Annotated[str, Query()] = "",
    entity: Annotated[str, Query()] = "",
    entity_id: Annotated[str, Query()] = "",
    since: Annotated[str, Query()] = "",
    until: Annotated[str, Query()] = "",
) -> AuditQuery:
    return AuditQuery(actor, action, entity, entity_id, since, until)


QueryDep = Annotated[AuditQuery, Depends(audit_query)]


def _visible(viewer: Viewer) -> ColumnElement[bool]:
    return visible_to(scope=viewer.scope, admin=viewer.is_admin)


@router.get("/review/audit")
def audit_page(
    request: Request, viewer: ReviewerDep, db: ReadDB, q: QueryDep, page: int = 1
) -> Response:
    _ = gettext_for(request, viewer)
    visible = _visible(viewer)
    actions, entities = known_values(session=db, visible=visible)
    error, total = None, 0
    events: list[AuditEvent] = []
    try:
        filters = q.filters()
    except ValidationError as e:
        error = _("A date is written YYYY-MM-DD, e.g. 2026-03-01.")
        field = e.field
    else:
        field = None
        events, total = list_events(
            session=db, filters=filters, visible=visible, page=page, page_size=PAGE_SIZE
        )
    pages = max(1, -(-total // PAGE_SIZE))
    rows = [{"event": e, "at": local(e.at), "changes": changes(e.before, e.after)} for e in events]
    return render(
        request,
        "admin/audit.html",
        viewer=viewer,
        nav="audit",
        status_code=422 if error else 200,
        q=q,
        error=error,
        error_field=field,
        rows=rows,
        total=total,
        page=min(max(page, 1), pages),
        pages=pages,
        actions=actions,
        entities=entities,
        newer=q.encode(page=page - 1) if page > 1 else None,
        older=q.encode(page=page + 1) if page < pages else None,
        export=q.encode(),
        local_zone=str(LOCAL_TZ),
    )


def _record(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at.isoformat(),
        "actor": e.actor,
        "action": e.action,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "before": e.before,
        "after": e.after,
    }


def _csv_line(e: AuditEvent) -> str:
    record = _record(e)
    record["changed"] = ", ".join(c.key for c in changes(e.before, e.after))
    for side in ("before", "after"):
        record[side] = "" if record[side] is None else json.dumps(record[side], ensure_ascii=False)
    buf = io.StringIO()
    csv.writer(buf).writerow([safe_cell(record[c]) for c in EXPORT_COLUMNS])
    return buf.getvalue()


def _jsonl_line(e: AuditEvent) -> str:
    return json.dumps(_record(e), ensure_ascii=False) + "\n"


def _export(
    ctx: CtxDep,
    viewer: Viewer,
    q: AuditQuery,
    *,
    head: str,
    line: Callable[[AuditEvent], str],
    media_type: str,
    suffix: str,
) -> Response:
    filters, visible = q.filters(), _visible(viewer)  # a bad date is a 422 before any row

    def rows() -> Iterator[str]:
        chunk = [head]  # sent some hundred rows at a time, not a thread hop per row
        with ctx.read_sessions() as session:
            for e in iter_events(session=session, filters=filters, visible=visible):
                chunk.append(line(e))
                if len(chunk) >= CHUNK_ROWS:
                    yield "".join(chunk)
                    chunk = []
        yield "".join(chunk)

    name = f"audit-{now().astimezone(LOCAL_TZ):%Y%m%d-%H%M}.{suffix}"
    return StreamingResponse(
        rows(),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/review/audit.csv")
def audit_csv(viewer: ReviewerDep, ctx: CtxDep, q: QueryDep) -> Response:
    head = ",".join(EXPORT_COLUMNS) + "\r\n"
    return _export(
        ctx,
        viewer,
        q,
        head=head,
        line=_csv_line,
        media_type="text/csv; charset=utf-8",
        suffix="csv",
    )


@router.get("/review/audit.jsonl")
def audit_jsonl(viewer: ReviewerDep, ctx: CtxDep, q: QueryDep) -> Response:
    return _export(
        ctx,
        viewer,
        q,
        head="",
        line=_jsonl_line,
        media_type="application/x-ndjson",
        suffix="jsonl",
    )
