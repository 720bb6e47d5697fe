"""``GET /metrics``: the service's numbers in Prometheus's text format.

Two sources, added up at each scrape:

- the database (:mod:`registry.ops`), read by :class:`DatabaseCollector` in one short
  read-only transaction: files received, queue depth and oldest age, pages read,
  failures and quarantines by reason, proposals waiting, approvals. Right however many
  watchers, workers and web processes run, on however many machines;
- the ingest processes' own files in ``DATA_DIR/metrics`` (:mod:`ingest.metrics`):
  seconds per page and every failed reading attempt, from every process that shares
  this data folder (a damaged file leaves these out, logged; the rest is given).

Public on purpose, like ``/healthz``: it holds counts and ages only, and its labels are
closed sets (statuses, reason codes), never a file name, an organisation or a person.
If that is still too much for a site, keep ``/metrics`` off the public proxy. When the
database cannot be read, ``signreg_database_up`` is 0 and the process numbers are still
given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ingest.metrics import UNREADABLE, metrics_dir
from registry.ops import OpsNumbers, read_numbers

log = structlog.get_logger("api.metrics")
router = APIRouter(tags=["health"])


Family = type[GaugeMetricFamily] | type[CounterMetricFamily]

# name, kind, help, the OpsNumbers attribute, its label (for a dict of label → value)
DATABASE_METRICS: tuple[tuple[str, Family, str, str, str | None], ...] = (
    (
        "signreg_files_received",
        CounterMetricFamily,
        "Files received (dropped in the inbox, uploaded, mailed), duplicates included.",
        "files_received",
        None,
    ),
    (
        "signreg_files_duplicate",
        CounterMetricFamily,
        "Files received whose content was already known.",
        "duplicate_files",
        None,
    ),
    ("signreg_submissions", GaugeMetricFamily, "Submissions by status.", "submissions", "status"),
    (
        "signreg_queue_depth",
        GaugeMetricFamily,
        "Submissions waiting to be read or being read (received, processing).",
        "queue_depth",
        None,
    ),
    (
        "signreg_queue_oldest_age_seconds",
        GaugeMetricFamily,
        "Age of the oldest submission in the queue (0 when empty).",
        "queue_oldest_age",
        None,
    ),
    (
        "signreg_pages_read",
        CounterMetricFamily,
        "Pages of every submission read so far.",
        "pages_read",
        None,
    ),
    (
        "signreg_failed_submissions",
        GaugeMetricFamily,
        "Failed submissions by reason.",
        "failed",
        "reason",
    ),
    (
        "signreg_quarantined_submissions",
        GaugeMetricFamily,
        "Submissions in quarantine (not yet retried or discarded) by reason.",
        "quarantined",
        "reason",
    ),
    ("signreg_proposals", GaugeMetricFamily, "Proposals by status.", "proposals", "status"),
    (
        "signreg_proposals_waiting",
        GaugeMetricFamily,
        "Proposals waiting for a reviewer.",
        "proposals_waiting",
        None,
    ),
    (
        "signreg_proposals_oldest_wait_seconds",
        GaugeMetricFamily,
        "How long the longest-waiting proposal has waited (0 when none).",
        "oldest_proposal_age",
        None,
    ),
    (
        "signreg_approvals",
        CounterMetricFamily,
        "Proposals approved (audit trail).",
        "approvals",
        None,
    ),
    (
        "signreg_rejections",
        CounterMetricFamily,
        "Proposals rejected (audit trail).",
        "rejections",
        None,
    ),
    (
        "signreg_signatories",
        GaugeMetricFamily,
        "Memberships in the register by standing.",
        "signatories",
        "status",
    ),
)


def families(numbers: OpsNumbers) -> Iterator[Metric]:
    """The database's numbers as metric families (:data:`DATABASE_METRICS`)."""
    for name, kind, documentation, attribute, label in DATABASE_METRICS:
        value = getattr(numbers, attribute)
        if label is None:
            yield kind(name, documentation, value=value)
            continue
        family = kind(name, documentation, labels=[label])
        for key, count in value.items():
            family.add_metric([key], count)
        yield family


class DatabaseCollector:
    """A prometheus-client collector reading the database at each scrape."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        try:
            with self.sessions() as session:
                numbers = read_numbers(session=session, now=dt.datetime.now(dt.UTC))
        except SQLAlchemyError as e:
            log.warning("metrics.database_unreadable", error=str(e).splitlines()[0])
            numbers = None
        yield GaugeMetricFamily(
            "signreg_database_up",
            "1 when the database answered this scrape, else 0.",
            value=0 if numbers is None else 1,
        )
        if numbers is not None:
            yield from families(numbers)


class ProcessFilesCollector:
    """The ingest processes' files (:mod:`ingest.metrics`), added up; a damaged file is
    logged and these numbers left out, never the scrape failed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def collect(self) -> Iterator[Metric]:
        if not self.folder.is_dir():
            return
        try:
            found = list(MultiProcessCollector(None, path=str(self.folder)).collect())
        except UNREADABLE as e:
            log.warning("metrics.files_unreadable", folder=str(self.folder), error=str(e))
            return
        yield from found


def scrape(sessions: sessionmaker[Session], data_dir: Path) -> bytes:
    """The text a scrape gets: the database's numbers and the ingest processes'."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(sessions))
    registry.register(ProcessFilesCollector(metrics_dir(data_dir)))
    return generate_latest(registry)


@router.get(
    "/metrics",
    summary="Prometheus metrics (counts only, no personal data)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(request: Request) -> Response:
    ctx = request.app.state.ctx
    return Response(
        scrape(ctx.read_sessions, ctx.config.data_dir),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )
