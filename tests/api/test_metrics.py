"""``GET /metrics``: Prometheus text whose numbers are the database's and the ingest
processes', on SQLite and PostgreSQL, with no name of a file, organisation or person."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.settings import Settings
from ingest.archive import Archive
from ingest.intake import Intake
from ingest.metrics import PAGE_SECONDS_BUCKETS, ProcessMetrics, metrics_dir
from ingest.quarantine import Quarantine
from ingest.worker import Worker, WorkerConfig
from registry import queue
from registry.bootstrap import Registry
from registry.db import make_engine, make_sessionmaker
from registry.review import approve_proposal, reject_proposal
from tests.api.conftest import Web
from tests.ingest.files import scan_pdf
from tests.ingest.proc import FAKE_ENGINE
from tests.registry.helpers import propose, result, sha

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(web: Web) -> tuple[str, Samples]:
    response = web.client().get("/metrics")  # anonymous: the route is public
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def _seed(web: Web, now: dt.datetime) -> None:
    """Two proposals approved, one rejected, one waiting (made 1 h ago); two files in the
    queue (one read now), one duplicate arrival, one failed, two quarantined."""
    factory = web.registry.sessions
    a = propose(factory, result(organisation="Alfa Metall AB"), name="alfa")
    b = propose(
        factory,
        result(organisation="Beta Bruk AB", organisation_number="556036-0793"),
        result(organisation="Gamma Gjuteri AB", organisation_number="556016-0680"),
        name="beta",
    )
    waiting = propose(factory, result(organisation="Delta Stål AB"), name="delta")
    with factory.begin() as s:
        for pid in (a[0], b[0]):
            approve_proposal(session=s, proposal_id=pid, reviewer="web:anna", now=now)
        reject_proposal(session=s, proposal_id=b[1], reviewer="web:anna", reason="x", now=now)
        s.get_one(queue.Proposal, waiting[0]).created_at = now - dt.timedelta(hours=1)
        first, _ = queue.record_submission(
            session=s,
            sha256=sha("q1"),
            file_name="Köad skanning.pdf",
            size=1,
            archive_path=None,
            now=now - dt.timedelta(minutes=10),
        )
        queue.record_submission(
            session=s, sha256=sha("q2"), file_name="q2.pdf", size=1, archive_path=None, now=now
        )
        queue.record_duplicate_arrival(session=s, original=first, file_name="kopia.pdf", now=now)
        for n, reason in enumerate(("not_pdf", "not_pdf", "encrypted")):
            queue.record_quarantined(
                session=s,
                sha256=sha(f"bad{n}"),
                file_name=f"brev-{n}.docx",
                size=1,
                reason=reason,
                error="bad",
                now=now,
            )
        failed, _ = queue.record_submission(
            session=s, sha256=sha("f"), file_name="f.pdf", size=1, archive_path=None, now=now
        )
        failed.status, failed.reason = "failed", "no_declaration"
        s.get_one(queue.Submission, 1).pages = 2  # alfa's scan had two pages
    with factory.begin() as s:  # q1 (the oldest) is being read
        claimed = queue.claim_next(session=s, worker_id="w", lease_seconds=60, now=now)
        assert claimed is not None and claimed.sha256 == sha("q1")


def test_metrics_are_the_databases_numbers(web: Web) -> None:
    now = dt.datetime.now(dt.UTC)
    _seed(web, now)
    text, samples = scrape(web)
    assert value(samples, "signreg_database_up") == 1
    # arrivals: alfa, beta, delta, q1, q2, kopia (duplicate), 3 bad, f
    assert value(samples, "signreg_files_received_total") == 10
    assert value(samples, "signreg_files_duplicate_total") == 1
    expected_status = {"proposed": 3, "received": 1, "processing": 1, "quarantined": 3}
    for status in ("received", "processing", "proposed", "failed", "quarantined", "discarded"):
        want = expected_status.get(status, 1 if status == "failed" else 0)
        assert value(samples, "signreg_submissions", status=status) == want, status
    assert value(samples, "signreg_queue_depth") == 2
    assert 600 <= value(samples, "signreg_queue_oldest_age_seconds") < 660
    assert value(samples, "signreg_pages_read_total") == 2 + 1 + 1
    assert value(samples, "signreg_failed_submissions", reason="no_declaration") == 1
    assert value(samples, "signreg_quarantined_submissions", reason="not_pdf") == 2
    assert value(samples, "signreg_quarantined_submissions", reason="encrypted") == 1
    assert value(samples, "signreg_proposals", status="approved") == 2
    assert value(samples, "signreg_proposals", status="rejected") == 1
    assert value(samples, "signreg_proposals_waiting") == 1
    assert 3600 <= value(samples, "signreg_proposals_oldest_wait_seconds") < 3660
    assert value(samples, "signreg_approvals_total") == 2
    assert value(samples, "signreg_rejections_total") == 1
    assert value(samples, "signreg_signatories", status="active") == 2
    assert value(samples, "signreg_signatories", status="withdrawn") == 0
    # counts only: no file, organisation or person appears, and every label is a code
    for secret in ("Alfa", "Beta", "Delta", "Köad", "kopia", "brev", "Anna", "anna", ".pdf"):
        assert secret not in text
    labels = {name for (_, labelset) in samples for name, _ in labelset}
    assert labels <= {"status", "reason", "outcome", "le"}


def test_an_empty_database_gives_zeros_not_gaps(web: Web) -> None:
    _, samples = scrape(web)
    assert value(samples, "signreg_queue_depth") == 0
    assert value(samples, "signreg_queue_oldest_age_seconds") == 0
    assert value(samples, "signreg_submissions", status="received") == 0
    assert value(samples, "signreg_proposals_waiting") == 0
    assert not any(name.startswith("signreg_ingest_") for name, _ in samples)


def test_the_ingest_processes_numbers_are_added_from_the_data_folder(web: Web) -> None:
    folder = metrics_dir(web.settings.data_dir)
    here, there = ProcessMetrics(folder, host="scanner-a"), ProcessMetrics(folder, host="b")
    here.pages_read(2, 3.0)  # 1.5 s a page
    there.pages_read(1, 7.0)
    here.file_taken("submitted")
    there.file_taken("submitted")
    here.read_failed("timeout")
    _, samples = scrape(web)
    assert value(samples, "signreg_ingest_page_seconds_count") == 3
    assert value(samples, "signreg_ingest_page_seconds_sum") == 10.0
    assert value(samples, "signreg_ingest_page_seconds_bucket", le="1.0") == 0
    assert value(samples, "signreg_ingest_page_seconds_bucket", le="2.0") == 2
    assert value(samples, "signreg_ingest_page_seconds_bucket", le="8.0") == 3
    assert value(samples, "signreg_ingest_page_seconds_bucket", le="+Inf") == 3
    assert value(samples, "signreg_ingest_files_total", outcome="submitted") == 2
    assert value(samples, "signreg_ingest_read_failures_total", reason="timeout") == 1
    assert sorted(p.name for p in folder.glob("*.db")) == [
        "counter_b.db",
        "counter_scanner-a.db",
        "histogram_b.db",
        "histogram_scanner-a.db",
    ]


def test_concurrent_recorders_lose_no_count(web: Web) -> None:
    """Threads of one process, as the watcher's intake and an upload would be; other
    processes of the host take the same file lock."""
    folder = metrics_dir(web.settings.data_dir)

    def record() -> None:
        recorder = ProcessMetrics(folder, host="h")
        for _ in range(50):
            recorder.file_taken("duplicate")
            recorder.pages_read(1, 0.1)

    threads = [threading.Thread(target=record) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _, samples = scrape(web)
    assert value(samples, "signreg_ingest_files_total", outcome="duplicate") == 200
    assert value(samples, "signreg_ingest_page_seconds_count") == 200


def test_a_file_taken_and_read_is_counted_by_intake_and_worker(web: Web) -> None:
    data = web.settings.data_dir
    intake = Intake(
        inbox=web.settings.inbox,
        archive=Archive(data / "archive"),
        quarantine=Quarantine(data / "quarantine"),
        session_factory=web.registry.sessions,
    )
    web.settings.inbox.mkdir(parents=True)
    scan = scan_pdf(1)  # twice the same bytes (img2pdf dates its output)
    for n, content in enumerate((scan, scan, b"not a pdf at all")):
        path = web.settings.inbox / f"s{n}.pdf"
        path.write_bytes(content)
        intake.take(path)
    url = web.registry.engine.url.render_as_string(hide_password=False)
    config = WorkerConfig(
        database_url=url,
        archive_dir=data / "archive",
        quarantine_dir=data / "quarantine",
        engine=FAKE_ENGINE,
        idle_seconds=0.05,
    )
    Worker(config, web.registry.sessions, "w1").run(threading.Event(), until_idle=True)
    _, samples = scrape(web)
    for outcome, count in (("submitted", 1), ("duplicate", 1), ("quarantined", 1)):
        assert value(samples, "signreg_ingest_files_total", outcome=outcome) == count
    assert value(samples, "signreg_ingest_page_seconds_count") == 1  # one page read
    assert value(samples, "signreg_pages_read_total") == 1
    assert value(samples, "signreg_files_received_total") == 3


def test_an_unreachable_database_says_so_and_the_rest_is_still_given(tmp_path: Path) -> None:
    settings = Settings(
        database_url="postgresql://postgres@127.0.0.1:1/nothing",
        data_dir=tmp_path / "data",
        secret_key="s",
        _env_file=None,  # type: ignore[call-arg]
    )
    engine = make_engine(settings.database_url, connect_args={"connect_timeout": 2})
    app = create_app(settings, registry=Registry(engine=engine, sessions=make_sessionmaker(engine)))
    ProcessMetrics(metrics_dir(settings.data_dir), host="h").file_taken("submitted")
    web = Web(app=app, registry=Registry(engine, make_sessionmaker(engine)), settings=settings)
    _, samples = scrape(web)
    assert value(samples, "signreg_database_up") == 0
    assert value(samples, "signreg_ingest_files_total", outcome="submitted") == 1
    assert not any(name == "signreg_queue_depth" for name, _ in samples)
    engine.dispose()


@pytest.mark.parametrize("seconds, pages", [(0.0, 1), (1e9, 3)])
def test_page_times_beyond_the_buckets_land_in_the_first_and_last(
    tmp_path: Path, seconds: float, pages: int
) -> None:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    ProcessMetrics(tmp_path, host="h").pages_read(pages, seconds)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))
    [family] = text_string_to_metric_families(generate_latest(registry).decode())
    buckets = {s.labels["le"]: s.value for s in family.samples if s.name.endswith("_bucket")}
    assert len(buckets) == len(PAGE_SECONDS_BUCKETS)
    first = buckets["0.25"]
    assert (first, buckets["+Inf"]) == ((pages, pages) if seconds == 0 else (0, pages))


def test_a_damaged_metrics_file_stops_neither_ingest_nor_the_scrape(web: Web) -> None:
    folder = metrics_dir(web.settings.data_dir)
    recorder = ProcessMetrics(folder, host="h")
    recorder.file_taken("submitted")
    damaged = folder / "counter_h.db"
    with damaged.open("r+b") as f:
        f.write(b"\xff\xff\x00\x00")  # "used" beyond the file: prometheus-client refuses it
    recorder.file_taken("submitted")  # logged, not raised
    text, samples = scrape(web)
    assert value(samples, "signreg_database_up") == 1
    assert value(samples, "signreg_queue_depth") == 0
    assert "signreg_ingest_files_total" not in text
