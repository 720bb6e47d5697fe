"""What the review pages show, built from the registry's rows: plain values for the
templates (no ORM object reaches a template), and the queue's filters to and from the
query string (kept across every link and decision, so a reviewer stays in their queue).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from api import flag_texts
from api.flag_texts import Gettext
from ocr.model import FIELD_NAMES
from registry.flags import CONFIDENT
from registry.models import Proposal, ProposalStatus
from registry.review_queue import AGE_DAYS, NO_COUNTY, STATUSES, Facets, QueueFilter

ALL = "all"  # the status filter value for every status
VALUE_PAD = 0.6  # a value's crop: its box widened by this much of its height
SIGNATURE_PAD = 0.25


def filters_from(params: Mapping[str, str]) -> QueueFilter:
    """The queue's filters from a query string; anything unreadable is left out."""
    status = params.get("status") or ProposalStatus.PROPOSED
    age = params.get("older_than") or ""
    return QueueFilter(
        status=None if status == ALL else status if status in STATUSES else ProposalStatus.PROPOSED,
        declaration=params.get("declaration") or None,
        county=params.get("county") or None,
        flag=params.get("flag") or None,
        older_than_days=int(age) if age.isdigit() else None,
    )


def filter_query(filters: QueueFilter, **extra: object) -> str:
    """The filters as a query string ('' for the default queue), ``extra`` appended."""
    pairs: list[tuple[str, str]] = []
    if filters.status != ProposalStatus.PROPOSED:
        pairs.append(("status", filters.status or ALL))
    for key, value in (
        ("declaration", filters.declaration),
        ("county", filters.county),
        ("flag", filters.flag),
        ("older_than", filters.older_than_days),
    ):
        if value is not None:
            pairs.append((key, str(value)))
    pairs += [(k, str(v)) for k, v in extra.items() if v is not None]
    return ("?" + urlencode(pairs)) if pairs else ""


def confidence_class(value: str | None, confidence: float) -> str:
    if value is None or value == "":
        return "conf-missing"
    return "conf-sure" if confidence >= CONFIDENT else "conf-unsure"


def age_text(created: dt.datetime, now: dt.datetime, _: Gettext) -> str:
    seconds = max(0, int((now - created).total_seconds()))
    if seconds < 3600:
        return _("{n} m").format(n=seconds // 60)
    if seconds < 86400:
        return _("{n} h").format(n=seconds // 3600)
    return _("{n} d").format(n=seconds // 86400)


def signature_text(signature: Mapping[str, Any], _: Gettext) -> tuple[str, str]:
    """The signature verdict in words, and its class."""
    confidence = float(signature.get("confidence") or 0.0)
    if not signature.get("present"):
        return _("No signature"), "conf-missing"
    if confidence >= CONFIDENT:
        return _("Signed"), "conf-sure"
    return _("Probably signed"), "conf-unsure"


@dataclass(frozen=True, slots=True)
class Badge:
    code: str
    text: str
    explanation: str
    severity: str


def badges(flags: list[Any], _: Gettext) -> list[Badge]:
    return [
        Badge(
            str(f),
            flag_texts.short(str(f), _),
            flag_texts.explain(str(f), _),
            flag_texts.severity(str(f)),
        )
        for f in flags
    ]


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: int
    organisation: str | None
    county: str | None
    declaration: str | None
    age: str
    created_at: str
    status: str
    status_text: str
    badges: list[Badge]
    signature: str
    signature_class: str


def queue_row(p: Proposal, now: dt.datetime, _: Gettext) -> QueueRow:
    verdict, css = signature_text(p.signature or {}, _)
    return QueueRow(
        id=p.id,
        organisation=p.value("organisation"),
        county=p.county,
        declaration=p.declaration_slug,
        age=age_text(p.created_at, now, _),
        created_at=p.created_at.isoformat(timespec="minutes"),
        status=p.status,
        status_text=status_names(_).get(p.status, p.status),
        badges=badges(p.flags or [], _),
        signature=verdict,
        signature_class=css,
    )


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    text: str
    count: int
    selected: bool


def status_names(_: Gettext) -> dict[str, str]:
    """Each proposal status in words (``superseded``: its scan grew into a later, larger
    file, ``registry.supersede``; such a proposal can be listed, never decided)."""
    return {
        ProposalStatus.PROPOSED: _("Awaiting review"),
        ProposalStatus.APPROVED: _("Approved"),
        ProposalStatus.REJECTED: _("Rejected"),
        ProposalStatus.SUPERSEDED: _("Superseded by a later file"),
    }


def facet_options(facets: Facets, filters: QueueFilter, _: Gettext) -> dict[str, list[Option]]:
    """Every filter's choices with their counts (``Norrbotten (12)``)."""
    names = status_names(_)
    statuses = [Option(s, names[s], facets.status.get(s, 0), filters.status == s) for s in STATUSES]
    statuses.append(Option(ALL, _("All"), sum(facets.status.values()), filters.status is None))

    def named(counts: dict[str | None, int], chosen: str | None) -> list[Option]:
        out = []
        for value, n in sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
            code = NO_COUNTY if value is None else value
            text = _("(not read)") if value is None else value
            out.append(Option(code, text, n, (chosen or "").lower() == code.lower()))
        return out

    return {
        "status": statuses,
        "declaration": named(facets.declaration, filters.declaration),
        "county": named(facets.county, filters.county),
        "flag": [
            Option(code, flag_texts.short(code, _), n, filters.flag == code)
            for code, n in facets.flag.items()
        ],
        "older_than": [
            Option(
                str(d),
                _("Older than {n} days").format(n=d),
                facets.older_than[d],
                filters.older_than_days == d,
            )
            for d in AGE_DAYS
        ],
    }


@dataclass(frozen=True, slots=True)
class FieldView:
    name: str
    label: str
    value: str  # what the input holds: read, or as the reviewer typed it
    read: str | None
    confidence: float
    css: str
    page: int | None
    bbox: list[float] | None
    crop: bool
    error: str | None


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle drawn over the page, in percent of the page."""

    label: str
    css: str
    style: str


def field_views(
    p: Proposal,
    _: Gettext,
    *,
    typed: Mapping[str, str] | None,
    errors: Mapping[str, str],
    has_scan: bool,
) -> list[FieldView]:
    out = []
    for name in FIELD_NAMES:
        entry = (p.fields or {}).get(name) or {}
        read = p.value(name)
        confidence = float(entry.get("confidence") or 0.0)
        bbox = entry.get("bbox")
        out.append(
            FieldView(
                name=name,
                label=flag_texts.label(name, _),
                value=(typed or {}).get(name, read or ""),
                read=read,
                confidence=confidence,
                css=confidence_class(read, confidence),
                page=entry.get("page"),
                bbox=bbox,
                crop=has_scan and bool(bbox) and entry.get("page") is not None,
                error=errors.get(name),
            )
        )
    return out


def first_unsure(fields: list[FieldView]) -> str | None:
    """The field ``e`` jumps to: a missing one first, else the least sure below 0.9."""
    unsure = [f for f in fields if f.css != "conf-sure"]
    if not unsure:
        return None
    return min(unsure, key=lambda f: (f.css != "conf-missing", f.confidence)).name


def _style(bbox: list[float]) -> str:
    x0, y0, x1, y1 = (float(v) * 100 for v in bbox)
    return f"left:{x0:.2f}%;top:{y0:.2f}%;width:{x1 - x0:.2f}%;height:{y1 - y0:.2f}%"


def page_boxes(
    fields: list[FieldView], signature: Mapping[str, Any], _: Gettext
) -> dict[int, list[Box]]:
    """The boxes to draw over each page: every value read, and the signature."""
    boxes: dict[int, list[Box]] = {}
    for f in fields:
        if f.bbox and f.page is not None:
            boxes.setdefault(int(f.page), []).append(Box(f.label, f.css, _style(f.bbox)))
    if signature.get("bbox") and signature.get("page") is not None:
        css = signature_text(signature, _)[1]
        boxes.setdefault(int(signature["page"]), []).append(
            Box(flag_texts.label("signature", _), f"{css} box-signature", _style(signature["bbox"]))
        )
    return boxes


@dataclass(frozen=True, slots=True)
class CandidateView:
    id: int
    name: str
    number: str | None
    county: str | None
    score: float
    why: str


def candidate_views(candidates: list[Any], _: Gettext) -> list[CandidateView]:
    why = {
        "organisation_number": _("same organisation number"),
        "name": _("similar name"),
        "alias": _("similar to an earlier name (alias)"),
    }
    return [
        CandidateView(
            id=int(c["organisation_id"]),
            name=str(c["name"]),
            number=c.get("organisation_number"),
            county=c.get("county"),
            score=float(c.get("score") or 0.0),
            why=why.get(str(c.get("matched_on")), str(c.get("matched_on"))),
        )
        for c in candidates
    ]
