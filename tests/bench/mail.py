"""Mail soak: ``signreg mail`` against a real Dovecot, killed -9 three times
(``python -m tests.bench.mail``).

200 mails delivered to a private Dovecot on loopback (``tests.ingest.imap_server``):
one PDF, a JPEG, a PNG, two attachments, none, the same Message-ID twice, the same scan
in another mail, a bad PDF (truncated, encrypted), hostile names (``../../x.pdf`` and
the like), a mail without a Message-ID, and one with a 300 MB attachment (written
straight into the Maildir, never held in memory by the bench). ``signreg mail`` runs as
a subprocess on SQLite (or ``--postgres``), no OCR worker at all (the point is the
intake), and is killed with SIGKILL three times at random moments, restarted each time;
a last ``signreg mail --once`` finishes.

Checked, exit 1 if any fails: every attachment exactly once (one arrival per mail and
name), every mail accounted for (one mail_message row per Message-ID, every message
moved out of INBOX), the 300 MB attachment recorded as ``too_large`` and never written,
no file written outside the data folder, no file in the data folder over the limit.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ingest.mail_parts import raw_digest
from registry.db import make_engine, make_sessionmaker
from registry.models import ArrivalSource, MailMessage, Submission, SubmissionArrival
from tests.ingest.files import encrypted_pdf, scan_pdf
from tests.ingest.imap_server import PASSWORD, USER, running
from tests.ingest.mail_helpers import jpeg, mail, png, write_big_mail
from tests.ingest.proc import PG_ADMIN, REPO, SIGNREG

HANDLED = "Signreg-handled"
BIG = 300 * 1024 * 1024
LIMIT = 50 * 1024 * 1024  # Settings.upload_max_bytes' default


def build_mails(rng: random.Random) -> tuple[list[bytes | None], dict[str, list[str]]]:
    """199 raw mails and a ``None`` where the big one goes; each key's expected names."""
    same = scan_pdf(9999)
    raws: list[bytes | None] = []
    expected: dict[str, list[str]] = {}
    hostile = ["../../x.pdf", "/etc/x.pdf", "..\\..\\x.pdf", "a/../../../x.pdf", "\x07../x\t.pdf"]
    kinds = (
        ["pdf"] * 70 + ["jpeg"] * 20 + ["png"] * 8 + ["two"] * 30 + ["none"] * 20
        + ["dup_id"] * 10 + ["same_scan"] * 10 + ["bad"] * 10 + ["hostile"] * 10
        + ["no_id"] * 1
    )  # fmt: skip
    rng.shuffle(kinds)
    for n, kind in enumerate(kinds):
        seed = n + 1
        key = f"<bench-{n}@exempel-ab.se>"
        attachments: list[tuple[str | None, str, bytes]]
        if kind == "pdf":
            attachments = [(f"scan-{n}.pdf", "application/pdf", scan_pdf(seed))]
        elif kind == "jpeg":
            attachments = [(f"foto-{n}.jpg", "image/jpeg", jpeg(seed))]
        elif kind == "png":
            attachments = [(f"bild-{n}.png", "image/png", png(seed))]
        elif kind == "two":
            attachments = [
                (f"sida1-{n}.pdf", "application/pdf", scan_pdf(seed)),
                (f"sida2-{n}.pdf", "application/pdf", scan_pdf(100_000 + seed)),
            ]
        elif kind == "none":
            attachments = []
        elif kind == "dup_id":
            attachments = [(f"dubbel-{n}.pdf", "application/pdf", scan_pdf(seed))]
        elif kind == "same_scan":
            attachments = [("samma.pdf", "application/pdf", same)]
        elif kind == "bad":
            data = encrypted_pdf(seed) if n % 2 else b"%PDF-1.4\n1 0 obj\n<< /Type"
            attachments = [(f"trasig-{n}.pdf", "application/pdf", data)]
        elif kind == "hostile":
            attachments = [(hostile[n % len(hostile)], "application/pdf", scan_pdf(seed))]
        else:  # no_id: keyed by the sha256 of the raw message
            attachments = [(f"utan-id-{n}.pdf", "application/pdf", scan_pdf(seed))]
        raw = mail(attachments, message_id=None if kind == "no_id" else key)
        if kind == "no_id":
            key = "sha256:" + raw_digest(raw)
        raws.append(raw)
        if kind == "dup_id":
            raws.append(raw)  # the same mail delivered twice
        expected[key] = [_safe(name) for name, _, _ in attachments]
    raws = raws[:199]
    raws.insert(rng.randrange(40, 160), None)
    expected = {k: v for k, v in expected.items() if _delivered(k, raws, v)}
    expected["<big@exempel-ab.se>"] = ["liten.pdf", "stor.pdf"]
    return raws, expected


def _delivered(key: str, raws: list[bytes | None], names: list[str]) -> bool:
    if key.startswith("sha256:"):
        return any(r is not None and "sha256:" + raw_digest(r) == key for r in raws)
    return any(r is not None and key.encode() in r[:2000] for r in raws)


def _safe(name: str | None) -> str:
    from ingest.mail_parts import attachment_name

    return attachment_name(name, "application/pdf", 0)


def peak_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1212)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--big-mb", type=int, default=BIG // (1024 * 1024))
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="signreg-mail-bench-"))
    data = work / "data"
    url = f"sqlite:///{work / 'signreg.db'}"
    pg_name = None
    if args.postgres:
        import psycopg

        pg_name = f"signreg_mailbench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{pg_name}"
    started = time.monotonic()
    raws, expected = build_mails(rng)
    print(f"built {len(raws)} mails in {time.monotonic() - started:.1f} s", flush=True)
    try:
        with running() as imap:
            big = work / "big.eml"
            t = time.monotonic()
            for raw in raws:
                if raw is None:
                    write_big_mail(
                        big,
                        args.big_mb * 1024 * 1024,
                        message_id="<big@exempel-ab.se>",
                        small_pdf=scan_pdf(777_777),
                    )
                    big_size = big.stat().st_size
                    imap.deliver_file(big)
                    imap.count("INBOX")  # Dovecot gives it its UID here, in the middle
                else:
                    imap.append(raw)
            delivered = imap.count("INBOX")
            print(
                f"delivered {delivered} mails ({big_size / 2**20:.0f} MiB big one) "
                f"in {time.monotonic() - t:.1f} s",
                flush=True,
            )
            figures = soak(imap, url, data, work, rng)
            figures["delivered"] = delivered
            figures["inbox_left"] = imap.count("INBOX")
            figures["handled"] = imap.count(HANDLED)
            figures["handled_ids"] = collections.Counter(imap.headers(HANDLED))
        ok = check(url, data, work, expected, figures, raws)
    finally:
        if pg_name is not None:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


def soak(
    imap: Any, url: str, data: Path, work: Path, rng: random.Random, outage_seconds: float = 5.0
) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SIGNREG_DATABASE_URL": url,
        "SIGNREG_DATA_DIR": str(data),
        "SIGNREG_INBOX": str(work / "inbox"),
        "SIGNREG_MAIL_HOST": "127.0.0.1",
        "SIGNREG_MAIL_PORT": str(imap.port),
        "SIGNREG_MAIL_SECURITY": "plain",
        "SIGNREG_MAIL_USER": USER,
        "SIGNREG_MAIL_PASSWORD": PASSWORD,
        "SIGNREG_MAIL_POLL_SECONDS": "0.5",
        "SIGNREG_MAIL_BACKOFF_MAX_SECONDS": "2",
    }
    log = work / "mail.log"
    engine = make_engine(url)
    factory = make_sessionmaker(engine)

    def recorded() -> int:
        try:
            with factory() as s:
                return len(s.scalars(select(MailMessage.id)).all())
        except Exception:
            return 0

    kills: list[dict[str, Any]] = []
    peak = 0
    t0 = time.monotonic()
    targets = sorted(rng.sample(range(10, 170), 3))
    for target, mode in zip(targets, ("random", "after_take", "random"), strict=True):
        with log.open("ab") as err:
            proc = subprocess.Popen(
                [str(SIGNREG), "mail"], env=env, stdout=subprocess.DEVNULL, stderr=err,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 600
        while recorded() < target and time.monotonic() < deadline and proc.poll() is None:
            peak = max(peak, peak_rss_kb(proc.pid))
            time.sleep(0.02)
        if mode == "after_take":  # right after a first attachment was taken, before the
            seen = _taken_lines(log)  # mail is recorded: the window the steps' order covers
            while _taken_lines(log) == seen and time.monotonic() < deadline:
                time.sleep(0.002)
        else:
            time.sleep(rng.uniform(0.0, 0.25))  # a random moment, mid-mail or not
        if mode != "after_take":
            peak = max(peak, peak_rss_kb(proc.pid))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        at = recorded()
        kills.append({"target": target, "recorded_at_kill": at, "mode": mode})
        print(f"kill -9 ({mode}) with {at} mails recorded", flush=True)
    # a fourth run, during which the mail server goes away for a while
    with log.open("ab") as err:
        proc = subprocess.Popen(
            [str(SIGNREG), "mail"], env=env, stdout=subprocess.DEVNULL, stderr=err,
            start_new_session=True,
        )  # fmt: skip
    before = recorded()
    deadline = time.monotonic() + 120
    while recorded() < before + 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    imap.stop()
    outage_at = recorded()
    time.sleep(outage_seconds)
    imap.start()
    deadline = time.monotonic() + 600
    while imap.count("INBOX") > 0 and time.monotonic() < deadline:
        peak = max(peak, peak_rss_kb(proc.pid))
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    fourth_rc = proc.wait(timeout=60)
    print(f"mail server down {outage_seconds} s with {outage_at} mails recorded", flush=True)
    t = time.monotonic()
    done = subprocess.Popen(
        [str(SIGNREG), "mail", "--once"], env=env, stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )  # fmt: skip
    while done.poll() is None:
        peak = max(peak, peak_rss_kb(done.pid))
        time.sleep(0.02)
    engine.dispose()
    return {
        "kills": kills,
        "final_rc": done.returncode,
        "fourth_rc": fourth_rc,
        "outage_at": outage_at,
        "outage_seconds": outage_seconds,
        "final_seconds": time.monotonic() - t,
        "total_seconds": time.monotonic() - t0,
        "peak_rss_mb": peak / 1024,
        "log_lines": log.read_text(errors="replace").count("\n"),
        "mail_unavailable": log.read_text(errors="replace").count("mail.unavailable"),
    }


def _taken_lines(log: Path) -> int:
    """How many first attachments of two-attachment mails were logged as taken: a kill
    right after one lands while the second is being taken, before the mail's row."""
    return sum(
        1
        for line in log.read_bytes().splitlines()
        if b'"mail.attachment_taken"' in line and b'"file": "sida1-' in line
    )


def check(
    url: str,
    data: Path,
    work: Path,
    expected: dict[str, list[str]],
    figures: dict[str, Any],
    raws: list[bytes | None],
) -> bool:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        rows = {m.message_key: m for m in s.scalars(select(MailMessage))}
        arrivals = s.scalars(
            select(SubmissionArrival).where(SubmissionArrival.source == ArrivalSource.MAIL)
        ).all()
        got = collections.Counter((a.message_id, a.file_name) for a in arrivals)
        submissions = {sub.sha256: sub.status for sub in s.scalars(select(Submission))}
    engine.dispose()
    want = collections.Counter(
        (key, name) for key, names in expected.items() for name in names if name != "stor.pdf"
    )
    statuses = collections.Counter(str(m.status) for m in rows.values())
    outcomes = collections.Counter(
        a["outcome"] for m in rows.values() for a in (m.attachments or [])
    )
    big = rows.get("<big@exempel-ab.se>")
    big_outcomes = [(a["name"], a["outcome"]) for a in big.attachments] if big else []
    over_limit = [p for p in data.rglob("*") if p.is_file() and p.stat().st_size > LIMIT]
    outside = [p for p in Path(tempfile.gettempdir()).glob("x*.pdf")] + [
        p for p in work.rglob("x.pdf") if data not in p.parents
    ]
    doubled = {k: v for k, v in got.items() if v > 1}
    missing = {k: v for k, v in want.items() if got[k] < v}
    extra = {k: v for k, v in got.items() if k not in want}
    checks = {
        "every attachment exactly once": not doubled and not missing and not extra,
        "one mail_message row per mail (Message-ID / raw sha256)": set(rows) == set(expected),
        "every delivered message moved out of INBOX": figures["inbox_left"] == 0
        and figures["handled"] == figures["delivered"],
        "300 MB attachment recorded too_large, the small one beside it taken": big_outcomes
        == [("liten.pdf", "submitted"), ("stor.pdf", "too_large")]
        or big_outcomes == [("liten.pdf", "already_recorded"), ("stor.pdf", "too_large")],
        "no file over the limit in the data folder": not over_limit,
        "nothing written outside the data folder": not outside,
        "signreg mail survived the server outage and stopped cleanly (exit 0)": figures["fourth_rc"]
        == 0
        and figures["mail_unavailable"] > 0,
        "final signreg mail --once exit 0": figures["final_rc"] == 0,
    }
    kills = [f"{k['recorded_at_kill']} ({k['mode']})" for k in figures["kills"]]
    f = figures
    wrong = f"{len(doubled)} / {len(missing)} / {len(extra)}"
    sub_statuses = dict(collections.Counter(submissions.values()))
    lines = [
        ("mails delivered (IMAP APPEND + 1 into the Maildir)", figures["delivered"]),
        ("distinct mails (Message-ID, or sha256 of the raw mail)", len(expected)),
        ("mail_message rows", f"{len(rows)} ({dict(statuses)})"),
        ("attachment outcomes", dict(outcomes)),
        ("arrivals from mail", f"{sum(got.values())} (expected {sum(want.values())})"),
        ("doubled / missing / unexpected arrivals", wrong),
        ("submissions (distinct sha256)", f"{len(submissions)} ({sub_statuses})"),
        (f"messages left in INBOX / in {HANDLED}", f"{f['inbox_left']} / {f['handled']}"),
        ("kill -9 moments (mails recorded at the kill)", kills),
        ("big mail", big_outcomes),
        (
            "mail server stopped (s) / with mails recorded",
            f"{f['outage_seconds']} / {f['outage_at']}",
        ),
        ("peak RSS of signreg mail", f"{figures['peak_rss_mb']:.0f} MiB"),
        (
            "whole run / last --once pass",
            f"{f['total_seconds']:.1f} s / {f['final_seconds']:.1f} s",
        ),
        ("log lines / mail.unavailable lines", f"{f['log_lines']} / {f['mail_unavailable']}"),
    ]
    print()
    print("| figure | value |")
    print("|---|---|")
    for label, value in lines:
        print(f"| {label} | {value} |")
    print()
    for name, passed in checks.items():
        print(f"{'PASS' if passed else 'FAIL'}  {name}")
    if doubled or missing or extra:
        print("doubled", list(doubled)[:5], "missing", list(missing)[:5], "extra", list(extra)[:5])
    if set(rows) != set(expected):
        print("rows-not-expected", sorted(set(rows) - set(expected))[:5])
        print("expected-not-rows", sorted(set(expected) - set(rows))[:5])
    return all(checks.values())


if __name__ == "__main__":
    sys.exit(main())
