"""Speed of the public list, side by side with a plain FastAPI peer (``python -m
tests.bench.api``; part of ``make bench``).

1. Seeds a fresh SQLite registry with 1,000 verified signatories through the registry's
   own service for a published list (``import_list``).
2. Serves the real app (``api.app:create_app``) with uvicorn in a subprocess, and on
   another port the *plain* peer (:func:`plain_app`: a few lines of FastAPI that run
   the same ORM query per request and return JSON, with an ETag hashed from the body
   for its 304s), both with the same uvicorn options.
3. Runs Debian's ``wrk -t2 -c32 -d10s --latency`` against each, for 200s and for 304s
   (``If-None-Match`` with the current ETag), in one run, and prints req/s, p50, p99;
   then, as the ceiling of the server at that moment (other work on the machine moves
   every figure), the same bytes sent by a bare ASGI callable under the same uvicorn.
4. Under ingest: ``signreg watch --workers 2`` with the real engine reads generated scans
   into the same registry at full speed (both cores) while wrk, with fewer connections
   (``-t1 -c8``: readers of a county board's page, not a flood), asks the real app and
   the plain peer for the list in turn; p99 of each, and the scans read meanwhile.
5. Freshness: after each of 20 approvals made through the registry, the very next
   response shows it (the total and a search for the new name) — on SQLite, and on
   PostgreSQL served by two uvicorn worker processes (requests on new connections, so
   both processes answer; each keeps its own cache).

Writes the figures as JSON (``--out``, default ``tests/bench/api.json``); exits 1 when
a target is missed (>= 4,000 req/s, p99 < 50 ms idle and under ingest, >= 2.5x the
peer, 304s cheaper than 200s, no stale response).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, sessionmaker

from api.public_cache import VERSION_SQL
from registry.bootstrap import open_registry
from registry.db import make_engine, make_read_sessionmaker
from registry.importer import import_list
from registry.models import Declaration, Organisation, Signatory, Submission
from registry.review import approve_proposal
from registry.schemas import SignatoryPublic
from tests.api.public_seed import orgnr
from tests.registry.helpers import SLUG, propose, result

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
WRK = "/usr/bin/wrk"
PATH = "/api/v1/signatories"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
COUNTIES = ("Norrbotten", "Västerbotten")
TARGET_RPS, TARGET_P99_MS, TARGET_RATIO = 4000.0, 50.0, 2.5
FRESHNESS_ROUNDS = 20


# -- the plain peer ---------------------------------------------------------------------


def plain_app() -> FastAPI:
    """The same endpoint done plainly: per request a count and an ORM query of the page
    (the organisation and declaration loaded from the query's own joins), pydantic for
    each item, json.dumps; an ETag hashed from the body for its 304s."""
    sessions = make_read_sessionmaker(make_engine(os.environ["SIGNREG_DATABASE_URL"]))
    app = FastAPI()

    @app.get(PATH)
    def signatories(
        request: Request,
        declaration: str | None = None,
        county: str | None = None,
        page: int = 1,
        page_size: int = 100,
    ) -> Response:
        with sessions() as s:
            stmt = (
                select(Signatory)
                .join(Organisation, Signatory.organisation_id == Organisation.id)
                .join(Declaration, Signatory.declaration_id == Declaration.id)
                .where(
                    Signatory.active.is_(True),
                    Signatory.status == "active",
                    Organisation.merged_into_id.is_(None),
                )
            )
            if declaration:
                stmt = stmt.where(Declaration.slug == declaration)
            if county:
                stmt = stmt.where(func.lower(Organisation.county) == county.lower())
            total = s.scalar(select(func.count()).select_from(stmt.subquery()))
            rows = s.scalars(
                stmt.options(
                    contains_eager(Signatory.organisation), contains_eager(Signatory.declaration)
                )
                .order_by(func.lower(Organisation.name), Signatory.id)
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
            items = [SignatoryPublic.of(r).public(with_status=False) for r in rows]
        body = json.dumps(
            {"items": items, "total": total, "page": page, "page_size": page_size},
            ensure_ascii=False,
        ).encode()
        etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"etag": etag})
        return Response(body, media_type="application/json", headers={"etag": etag})

    return app


def bare_app() -> Any:
    """The server's ceiling at the moment of the run: the real app's body (a file named
    by ``SIGNREG_BENCH_BODY``) sent as fixed bytes by a bare ASGI callable."""
    body = Path(os.environ["SIGNREG_BENCH_BODY"]).read_bytes()
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await send(start)
            await send({"type": "http.response.body", "body": body})

    return app


# -- seeding ----------------------------------------------------------------------------


def seed(sessions: sessionmaker[Session], count: int) -> None:
    """``count`` verified signatories through ``registry.importer.import_list`` (the
    service that takes in an existing published list; proposals through the queue cost
    minutes per thousand, as each is compared with every earlier one). The approvals
    of the freshness check go through the queue and ``approve_proposal``."""
    lines = ["organisation,organisation_number,county,signed_date"]
    for i in range(count):
        county = COUNTIES[i % 2]
        day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        lines.append(f"Organisation {i:04d} i {county} AB,{orgnr(i + 1)},{county},{day}")
    with sessions.begin() as s:
        report = import_list(
            session=s,
            rows_csv_text="\n".join(lines) + "\n",
            declaration_slug=SLUG,
            actor="bench",
            now=dt.datetime.now(dt.UTC),
        )
    if report.errors or report.created != count:
        raise RuntimeError(f"seeding: {report}")


def approve_one(sessions: sessionmaker[Session], n: int) -> str:
    name = f"Nyföretaget {n:02d} {uuid.uuid4().hex[:6]} AB"
    (pid,) = propose(
        sessions,
        result(organisation=name, organisation_number=orgnr(90_000 + n), county="Norrbotten"),
        name=f"fresh-{name}",
    )
    with sessions.begin() as s:
        approve_proposal(session=s, proposal_id=pid, reviewer="bench", now=dt.datetime.now(dt.UTC))
    return name


# -- servers and wrk --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes (Linux /proc)."""
        return _cpu_seconds(self.pid)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [
            int(c)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for c in (task / "children").read_text().split()
        ]
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(c) for c in children)


@contextlib.contextmanager
def served(factory: str, env: dict[str, str], *, workers: int = 1) -> Iterator[Server]:
    """``factory`` under uvicorn in a subprocess."""
    port = free_port()
    cmd = [PYTHON, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    cmd += ["--workers", str(workers)] if workers > 1 else []
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + PATH, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{factory} did not start") from None
                time.sleep(0.2)
        yield Server(url, proc.pid)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


@dataclass
class Run:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    statuses: str
    server_cpu_us: float  # the server's CPU time per request: cost, whatever else runs


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:  # no request finished in time: wrk prints -nan
        return float("nan")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
    return float(match.group(1)) * scale[match.group(2)]


def wrk(
    name: str,
    server: Server,
    path: str,
    *,
    seconds: int,
    etag: str | None = None,
    connections: int = 32,
) -> Run:
    threads = 2 if connections >= 2 * 8 else 1
    cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    cmd += ["-H", f"If-None-Match: {etag}"] if etag else []
    cpu = server.cpu_seconds()
    done = subprocess.run([*cmd, server.url + path], capture_output=True, text=True, check=True)
    cpu = server.cpu_seconds() - cpu
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return Run(
        name=name,
        rps=rps,
        p50_ms=p50,
        p99_ms=p99,
        requests=total,
        errors=int(bad.group(1)) if bad else 0,
        statuses=errors.group(1) if errors else "",
        server_cpu_us=round(cpu / max(total, 1) * 1e6, 1),
    )


def get(url: str, etag: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers.get("etag", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("etag", ""), b""


def check_status(url: str, etag: str | None, wanted: int) -> None:
    status, _, _ = get(url, etag)
    if status != wanted:
        raise RuntimeError(f"{url} answered {status}, not {wanted}")


# -- freshness --------------------------------------------------------------------------


def freshness(sessions: sessionmaker[Session], base: str, *, reads: int) -> dict[str, Any]:
    """Approve, then read at once ``reads`` times (new connections): each must show it."""
    stale = 0
    lags: list[float] = []
    for n in range(FRESHNESS_ROUNDS):
        _, etag, body = get(base + PATH)
        total = json.loads(body)["total"]
        name = approve_one(sessions, n)
        committed = time.perf_counter()
        for _ in range(reads):
            status, new_etag, body = get(base + PATH, etag)
            shown = json.loads(body) if status == 200 else {"total": total}
            _, _, found = get(base + PATH + "?q=" + urllib.parse.quote(name))
            if shown["total"] != total + 1 or name not in found.decode():
                stale += 1
        lags.append((time.perf_counter() - committed) * 1000 / reads)
    return {
        "approvals": FRESHNESS_ROUNDS,
        "reads_after_each": reads,
        "stale_responses": stale,
        "mean_ms_per_read_after_approval": round(sum(lags) / len(lags), 2),
    }


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    name = f"signreg_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(PG_ADMIN, autocommit=True)
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def app_env(url: str, data: Path) -> dict[str, str]:
    return {
        "SIGNREG_DATABASE_URL": url,
        "SIGNREG_DATA_DIR": str(data),
        "SIGNREG_SECRET_KEY": "bench",
        "PYTHONPATH": str(ROOT),
    }


# -- the run ----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "tests/bench/api.json")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--ingest-scans", type=int, default=120, help="0: no ingest part")
    parser.add_argument(
        "--scans", type=Path, default=ROOT / "samples/out/soak", help="generated scans to read"
    )
    args = parser.parse_args()
    if not Path(WRK).exists():
        print(f"{WRK} is missing: apt-get install wrk", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="signreg-bench-api-"))
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "loadavg_before": os.getloadavg(),
        "signatories": args.count,
        "wrk": f"wrk -t2 -c32 -d{args.seconds}s --latency",
        "uvicorn": uvicorn_flavour(),
    }
    try:
        url = f"sqlite:///{tmp / 'bench.db'}"
        registry = open_registry(url)
        t0 = time.perf_counter()
        seed(registry.sessions, args.count)
        report["seed_seconds"] = round(time.perf_counter() - t0, 1)
        env = app_env(url, tmp / "data")
        with (
            served("api.app:create_app", env) as real,
            served("tests.bench.api:plain_app", env) as plain,
        ):
            runs = measure(real, plain, args.seconds, env, tmp)
            report["runs"] = [asdict(r) for r in runs]
            report["freshness_sqlite"] = freshness(registry.sessions, real.url, reads=3)
            if args.ingest_scans:
                report["under_ingest"] = under_ingest(
                    real, plain, url, tmp, args.scans, args.ingest_scans, args.seconds
                )
        registry.close()
        if not args.no_postgres:
            report["postgres_two_workers"] = postgres_run(tmp, args.count, args.seconds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["loadavg_after"] = os.getloadavg()
    verdicts = judge(report)
    report["verdicts"] = verdicts
    print_table(report)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {args.out}")
    return 0 if all(verdicts.values()) else 1


def measure(real: Server, plain: Server, seconds: int, env: dict[str, str], tmp: Path) -> list[Run]:
    """Warm both, then 200s and 304s of each, and the bare server's ceiling, in one run."""
    url = PATH  # the whole list, first page (100 of 1,000)
    for base in (real, plain):
        wrk("warm-up", base, url, seconds=2)
    _, real_etag, body = get(real.url + url)
    plain_etag = get(plain.url + url)[1]
    check_status(real.url + url, real_etag, 304)
    check_status(plain.url + url, plain_etag, 304)
    runs = [
        wrk("real 200", real, url, seconds=seconds),
        wrk("plain 200", plain, url, seconds=seconds),
        wrk("real 304", real, url, seconds=seconds, etag=real_etag),
        wrk("plain 304", plain, url, seconds=seconds, etag=plain_etag),
    ]
    (tmp / "body.json").write_bytes(body)
    with served(
        "tests.bench.api:bare_app", {**env, "SIGNREG_BENCH_BODY": str(tmp / "body.json")}
    ) as bare:
        wrk("warm-up", bare, url, seconds=2)
        runs.append(wrk("ceiling: same bytes, bare ASGI", bare, url, seconds=seconds))
    return runs


def under_ingest(
    real: Server, plain: Server, url: str, tmp: Path, scans: Path, count: int, seconds: int
) -> dict[str, Any]:
    """The public list while two OCR workers read scans into the same database."""
    from samples.generate import generate_set
    from tests.ingest.proc import Watch, drop_atomic

    scans.mkdir(parents=True, exist_ok=True)
    pdfs = sorted(scans.glob("*.pdf"))[:count]
    if len(pdfs) < count:
        pdfs = generate_set(scans, count=count, seed=4242, split="dev", dpi=150)
    inbox = tmp / "inbox"
    inbox.mkdir()
    watch = Watch(url, tmp / "data", inbox, None, tmp / "watch.log", engine="auto", workers=2)
    watch.start()
    watch.wait_started()
    engine = make_engine(url)
    proposed = select(func.count()).select_from(Submission).where(Submission.status != "received")
    try:
        for i, pdf in enumerate(pdfs):
            drop_atomic(inbox / f"ingest-{i:04d}.pdf", pdf.read_bytes())
        with engine.connect() as conn:  # until the workers are reading
            while conn.execute(proposed).scalar_one() == 0:
                time.sleep(0.2)
        with engine.connect() as conn:
            before = conn.execute(proposed).scalar_one()
        load = os.getloadavg()[0]
        runs = [
            wrk("real 200, under ingest", real, PATH, seconds=seconds, connections=8),
            wrk("plain 200, under ingest", plain, PATH, seconds=seconds, connections=8),
        ]
        with engine.connect() as conn:
            after = conn.execute(proposed).scalar_one()
    finally:
        watch.stop()
        engine.dispose()
    return {
        "runs": [asdict(r) for r in runs],
        "scans_dropped": len(pdfs),
        "scans_read_during_the_runs": after - before,
        "still_waiting_after": len(pdfs) - after,
        "loadavg_1m_at_start": round(load, 2),
        "wrk": f"wrk -t1 -c8 -d{seconds}s --latency",
    }


def postgres_run(tmp: Path, count: int, seconds: int) -> dict[str, Any]:
    with pg_database() as url:
        registry = open_registry(url)
        try:
            seed(registry.sessions, count)
            with served("api.app:create_app", app_env(url, tmp / "pgdata"), workers=2) as real:
                wrk("warm-up", real, PATH, seconds=2)  # both workers' caches
                run = wrk("real 200, PostgreSQL, 2 workers", real, PATH, seconds=seconds)
                fresh = freshness(registry.sessions, real.url, reads=6)
                fresh["processes_that_read_the_version"] = version_readers(url)
        finally:
            registry.close()
    return {"run": asdict(run), "freshness": fresh}


def version_readers(url: str) -> int:
    """How many server processes answered: each keeps one connection whose last query
    is the version SELECT (``api.public_cache.VersionReader``)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND query = %s",
            (VERSION_SQL,),
        ).fetchone()
    return int(row[0]) if row else 0


def uvicorn_flavour() -> str:
    import importlib.util

    present = [m for m in ("uvloop", "httptools") if importlib.util.find_spec(m)]
    loop = "uvloop" if "uvloop" in present else "asyncio"
    http = "httptools" if "httptools" in present else "h11"
    return f"uvicorn, {loop} loop, {http} parser, --no-access-log"


def judge(report: dict[str, Any]) -> dict[str, bool]:
    runs = {r["name"]: r for r in report["runs"]}
    real, plain, real304 = runs["real 200"], runs["plain 200"], runs["real 304"]
    verdicts = {
        f"real 200 >= {TARGET_RPS:.0f} req/s": real["rps"] >= TARGET_RPS,
        f"real 200 p99 < {TARGET_P99_MS:.0f} ms": real["p99_ms"] < TARGET_P99_MS,
        f"real 200 >= {TARGET_RATIO}x plain 200": real["rps"] >= TARGET_RATIO * plain["rps"],
        # by the server's CPU per request: req/s of two runs 10 s apart move with
        # whatever else the machine does
        "real 304 cheaper than real 200 (server CPU per request)": (
            real304["server_cpu_us"] < real["server_cpu_us"]
        ),
        "no errors under wrk (real)": all(
            r["errors"] == 0 and not r["statuses"]
            for r in report["runs"]
            if r["name"].startswith("real")
        ),
        "no stale response (SQLite)": report["freshness_sqlite"]["stale_responses"] == 0,
    }
    if "under_ingest" in report:
        ingest_real = report["under_ingest"]["runs"][0]
        verdicts[f"real 200 p99 < {TARGET_P99_MS:.0f} ms under ingest"] = (
            ingest_real["p99_ms"] < TARGET_P99_MS
            and report["under_ingest"]["scans_read_during_the_runs"] > 0
        )
    if "postgres_two_workers" in report:
        pg = report["postgres_two_workers"]["freshness"]
        verdicts["no stale response (PostgreSQL, 2 workers)"] = pg["stale_responses"] == 0
    return verdicts


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{report['signatories']} verified signatories; {report['wrk']}; {report['uvicorn']}")
    print(f"{report['machine']}; load average before {report['loadavg_before'][0]:.2f}\n")
    runs = list(report["runs"])
    if "under_ingest" in report:
        runs += report["under_ingest"]["runs"]
    if "postgres_two_workers" in report:
        runs.append(report["postgres_two_workers"]["run"])
    head = f"{'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>11} {'non-2xx/3xx':>12}"
    print(f"{'':34} {head}")
    for r in runs:
        figures = (
            f"{r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
            f"{r['server_cpu_us']:>11.0f} {r['errors']:>12}"
        )
        print(f"{r['name']:34} {figures}")
    by_name = {r["name"]: r for r in report["runs"]}
    ratio = by_name["real 200"]["rps"] / by_name["plain 200"]["rps"]
    print(f"\nreal / plain (200s): {ratio:.2f}x")
    ceiling = by_name.get("ceiling: same bytes, bare ASGI")
    if ceiling:
        share = by_name["real 200"]["rps"] / ceiling["rps"]
        print(f"real 200 / the bare server's ceiling at that moment: {share:.0%}")
    if "under_ingest" in report:
        ingest = {k: v for k, v in report["under_ingest"].items() if k != "runs"}
        print(f"under ingest ({ingest.pop('wrk')}): {ingest}")
    print(f"freshness, SQLite: {report['freshness_sqlite']}")
    if "postgres_two_workers" in report:
        print(f"freshness, PostgreSQL, 2 workers: {report['postgres_two_workers']['freshness']}")
    for verdict, ok in report["verdicts"].items():
        print(f"  {'ok  ' if ok else 'MISS'} {verdict}")


if __name__ == "__main__":
    sys.exit(main())
