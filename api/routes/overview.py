"""The overview page: the register and the queue at a glance, as charts.

``GET /review/overview`` (signed-in reviewers): verified signatories per declaration and
per county, memberships signed per month over two years, the waiting proposals by age,
and follow-ups by when they fall due; every number within the viewer's scope
(``registry.stats``). The charts are server-rendered SVG (``api.charts``), each with a
visually hidden table of its numbers beside it.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.charts import Bar, Chart
from api.deps import ReadDB, ReviewerDep, gettext_for, now, render
from api.local_time import LOCAL_TZ, local
from registry import stats

router = APIRouter(include_in_schema=False)
MONTHS = 24


def _summary(_: Callable[[str], str], bars: list[Bar]) -> str:
    total = sum(b.value for b in bars)
    if not total:
        return _("None yet.")
    top = max(bars, key=lambda b: b.value)
    return _("%(total)s in all; the most: %(label)s, %(value)s.") % {
        "total": total,
        "label": top.label,
        "value": top.value,
    }


@router.get("/review/overview")
def overview_page(request: Request, viewer: ReviewerDep, db: ReadDB) -> Response:
    _ = gettext_for(request, viewer)
    moment = now()
    today = moment.astimezone(LOCAL_TZ).date()
    scope = viewer.scope
    declarations = stats.per_declaration(session=db, scope=scope)
    counties = stats.per_county(session=db, scope=scope)
    months = stats.per_month(session=db, scope=scope, today=today, months=MONTHS)
    queue = stats.queue_age(session=db, scope=scope, now=moment)
    due = stats.follow_ups(session=db, scope=scope, today=today)

    queue_words = {
        "under_1_day": _("Under 1 day"),
        "1_to_7_days": _("1–7 days"),
        "7_to_30_days": _("7–30 days"),
        "over_30_days": _("Over 30 days"),
    }
    due_words = {
        "overdue": _("Overdue"),
        "within_3_months": _("Within 3 months"),
        "3_to_6_months": _("In 3–6 months"),
        "6_to_12_months": _("In 6–12 months"),
    }
    bars = {
        "declarations": [Bar(d.title, d.count) for d in declarations],
        "counties": [Bar(c if c else _("No county given"), n) for c, n in counties],
        "months": [Bar(m, n) for m, n in months],
        "queue": [Bar(queue_words[k], queue.buckets[k]) for k in stats.QUEUE_BUCKETS],
        "follow-ups": [Bar(due_words[k], due[k]) for k in stats.FOLLOW_UP_BUCKETS],
    }
    titles = {
        "declarations": _("Verified signatories per declaration"),
        "counties": _("Verified signatories per county"),
        "months": _("Signed per month, the last 24 months"),
        "queue": _("Proposals waiting, by how long"),
        "follow-ups": _("Follow-ups, by when they are due"),
    }
    charts = [
        Chart(
            chart_id=f"chart-{key}",
            title=titles[key],
            desc=_summary(_, rows),
            bars=tuple(rows),
            columns=key == "months",
            empty=_("None yet."),
        )
        for key, rows in bars.items()
    ]
    return render(
        request,
        "admin/overview.html",
        viewer=viewer,
        nav="overview",
        charts=charts,
        verified=sum(d.count for d in declarations),
        queue=queue,
        oldest=local(queue.oldest) if queue.oldest else None,
        oldest_days=(moment - queue.oldest).days if queue.oldest else None,
        overdue=due["overdue"],
        scoped=not scope.everything,
        scope=scope,
    )
