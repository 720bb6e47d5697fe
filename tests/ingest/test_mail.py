"""``signreg mail`` against a real IMAP server (Dovecot on loopback, started per test).

Each test delivers real MIME mails (by IMAP APPEND, or into the Maildir for one too
large to append comfortably), runs the reader, and checks the registry (arrivals,
mail_message rows), the data folder and the mailbox's folders.
"""

from __future__ import annotations

import collections
import imaplib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog.testing
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ingest.intake import Intake
from ingest.logs import NOT_DOWNLOADED
from ingest.mail import MailConfig, MailReader, connect
from registry.models import ArrivalSource, MailMessage, MailStatus, Submission, SubmissionArrival
from tests.ingest.files import encrypted_pdf, scan_pdf
from tests.ingest.imap_server import PASSWORD, USER, Dovecot, available, running
from tests.ingest.mail_helpers import SENDER, jpeg, mail, pdf_mail, png, write_big_mail
from tests.ingest.proc import REPO, SIGNREG

pytestmark = pytest.mark.skipif(not available(), reason="dovecot-imapd is not installed")

HANDLED = "Signreg-handled"


@pytest.fixture
def imap() -> Iterator[Dovecot]:
    with running() as server:
        yield server


def make_config(imap: Dovecot, data_dir: Path, **more: Any) -> MailConfig:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": imap.port,
        "security": "plain",
        "user": USER,
        "password": PASSWORD,
        "data_dir": data_dir,
        "poll_seconds": 0.2,
        "backoff_seconds": 0.1,
        "backoff_max_seconds": 0.5,
        "timeout_seconds": 10,
    }
    values.update(more)
    return MailConfig(**values)


@pytest.fixture
def reader(
    imap: Dovecot, data_dir: Path, intake: Intake, session_factory: sessionmaker[Session]
) -> MailReader:
    return MailReader(make_config(imap, data_dir), intake, session_factory)


def mails(factory: sessionmaker[Session]) -> list[MailMessage]:
    with factory() as session:
        return list(session.scalars(select(MailMessage).order_by(MailMessage.id)))


def mail_arrivals(factory: sessionmaker[Session]) -> list[SubmissionArrival]:
    with factory() as session:
        return list(
            session.scalars(
                select(SubmissionArrival)
                .where(SubmissionArrival.source == ArrivalSource.MAIL)
                .order_by(SubmissionArrival.id)
            )
        )


def by_sha(factory: sessionmaker[Session]) -> dict[str, Submission]:
    with factory() as session:
        return {s.sha256: s for s in session.scalars(select(Submission))}


def test_a_pdf_attachment_is_taken_with_its_sender_subject_and_message_id(
    imap: Dovecot, reader: MailReader, session_factory: sessionmaker[Session], data_dir: Path
) -> None:
    scan = scan_pdf(1)
    imap.append(
        mail(
            [("avsiktsforklaring-1.pdf", "application/pdf", scan)],
            message_id="<scan-1@exempel-ab.se>",
            subject="Vår underskrift",
        )
    )

    report = reader.run_once()

    assert [r.status for r in report.results] == [MailStatus.TAKEN]
    (row,) = mails(session_factory)
    assert (row.message_key, row.message_id, row.sender, row.subject) == (
        "<scan-1@exempel-ab.se>",
        "<scan-1@exempel-ab.se>",
        SENDER,
        "Vår underskrift",
    )
    (attachment,) = row.attachments
    assert attachment["name"] == "avsiktsforklaring-1.pdf"
    assert attachment["outcome"] == "submitted"
    (arrival,) = mail_arrivals(session_factory)
    assert (arrival.sender, arrival.subject, arrival.message_id, arrival.file_name) == (
        SENDER,
        "Vår underskrift",
        "<scan-1@exempel-ab.se>",
        "avsiktsforklaring-1.pdf",
    )
    submission = by_sha(session_factory)[attachment["sha256"]]
    assert submission.status == "received"
    assert (data_dir / "archive" / str(submission.archive_path)).read_bytes() == scan
    assert (imap.count("INBOX"), imap.count(HANDLED)) == (0, 1)
    assert not [p for p in (data_dir / "mail").iterdir() if p.name.endswith(".part")]


def test_two_attachments_images_and_a_docx_in_one_mail(
    imap: Dovecot, reader: MailReader, session_factory: sessionmaker[Session]
) -> None:
    imap.append(
        mail(
            [
                ("sida.pdf", "application/pdf", scan_pdf(2)),
                ("sida.pdf", "application/pdf", scan_pdf(3)),  # the same name twice
                ("foto.jpg", "image/jpeg", jpeg(4)),
                (None, "image/png", png(5)),  # no name: one is made
                ("brev.docx", "application/vnd.openxmlformats", b"PK\x03\x04 not a scan"),
            ]
        )
    )

    reader.run_once()

    (row,) = mails(session_factory)
    assert row.status == MailStatus.TAKEN
    names = [a["name"] for a in row.attachments]
    # a part without a name is named for its place in the mail (the text is part 1)
    assert names == ["sida.pdf", "sida-2.pdf", "foto.jpg", "bilaga-5.png", "brev.docx"]
    outcomes = [a["outcome"] for a in row.attachments]
    assert outcomes[:2] == ["submitted", "submitted"]
    # the images are in the intake (read as photos, or quarantined as not_pdf until the
    # engine takes images): recorded, with their sha256, either way
    assert outcomes[2] in ("submitted", "quarantined") and row.attachments[2]["sha256"]
    assert outcomes[3] in ("submitted", "quarantined") and row.attachments[3]["sha256"]
    assert outcomes[4] == "skipped" and row.attachments[4]["sha256"] is None
    assert sorted(a.file_name for a in mail_arrivals(session_factory)) == sorted(names[:4])


def test_a_mail_without_attachment_is_recorded_and_moved(
    imap: Dovecot, reader: MailReader, session_factory: sessionmaker[Session]
) -> None:
    imap.append(mail([], message_id="<tom@exempel-ab.se>", text="Glömde bilagan!"))
    imap.append(mail([("lista.xlsx", "application/vnd.ms-excel", b"xls")], message_id=None))

    reader.run_once()

    rows = mails(session_factory)
    assert [r.status for r in rows] == [MailStatus.NO_ATTACHMENT] * 2
    assert rows[0].message_key == "<tom@exempel-ab.se>"
    assert rows[1].message_id is None and rows[1].message_key.startswith("sha256:")
    assert rows[1].attachments == [{"name": "lista.xlsx", "sha256": None, "outcome": "skipped"}]
    assert mail_arrivals(session_factory) == []
    assert (imap.count("INBOX"), imap.count(HANDLED)) == (0, 2)


def test_a_repeated_message_is_recorded_once_and_a_repeated_scan_stored_once(
    imap: Dovecot, reader: MailReader, session_factory: sessionmaker[Session]
) -> None:
    scan = [("scan.pdf", "application/pdf", scan_pdf(6))]
    imap.append(mail(scan, message_id="<twice@exempel-ab.se>"))
    imap.append(mail(scan, message_id="<twice@exempel-ab.se>"))  # the same mail again
    imap.append(mail(scan, message_id="<other@exempel-ab.se>"))  # the same scan, a new mail

    report = reader.run_once()

    assert [r.status for r in report.results] == [
        MailStatus.TAKEN,
        "already_recorded",
        MailStatus.TAKEN,
    ]
    assert [r.message_key for r in mails(session_factory)] == [
        "<twice@exempel-ab.se>",
        "<other@exempel-ab.se>",
    ]
    arrivals = mail_arrivals(session_factory)
    assert [a.duplicate for a in arrivals] == [False, True]
    assert len({a.submission_id for a in arrivals}) == 1
    assert (imap.count("INBOX"), imap.count(HANDLED)) == (0, 3)


def test_a_bad_pdf_is_quarantined_and_the_mail_recorded(
    imap: Dovecot, reader: MailReader, session_factory: sessionmaker[Session], data_dir: Path
) -> None:
    imap.append(
        mail(
            [
                ("trasig.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj\n<<"),
                ("lasd.pdf", "application/pdf", encrypted_pdf(7)),
                ("tom.pdf", "application/pdf", b""),
            ]
        )
    )

    reader.run_once()

    (row,) = mails(session_factory)
    assert row.status == MailStatus.TAKEN  # in the intake, even though in quarantine
    assert [a["outcome"] for a in row.attachments] == ["quarantined", "quarantined", "empty"]
    assert row.error == "tom.pdf: empty"
    subs = by_sha(session_factory)
    assert {subs[a["sha256"]].status for a in row.attachments[:2]} == {"quarantined"}
    assert len(list((data_dir / "quarantine").glob("*.reason.txt"))) == 2


@pytest.mark.parametrize(
    "hostile",
    ["../../x.pdf", "/etc/cron.d/x.pdf", "..\\..\\x.pdf", "a/../../../x.pdf", "\x07../x\t.pdf"],
)
def test_hostile_names_are_never_written_outside_the_data_folder(
    imap: Dovecot,
    reader: MailReader,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    hostile: str,
) -> None:
    imap.append(mail([(hostile, "application/pdf", scan_pdf(8))]))
    before = {p for p in tmp_path.parent.rglob("x*.pdf")}

    reader.run_once()

    (row,) = mails(session_factory)
    name = row.attachments[0]["name"]
    assert "/" not in name and "\\" not in name and "\x00" not in name and name.endswith(".pdf")
    assert row.attachments[0]["outcome"] == "submitted"
    assert {p for p in tmp_path.parent.rglob("x*.pdf")} == before
    assert not Path("/etc/cron.d/x.pdf").exists()
    assert mail_arrivals(session_factory)[0].file_name == name


class Watched(imaplib.IMAP4):
    """A real IMAP connection that remembers the FETCH requests it made."""

    fetched: list[str]

    def uid(self, command: str, *args: Any) -> Any:
        if command.upper() == "FETCH":
            self.fetched.append(str(args[1]))
        return super().uid(command, *args)


def watched_connect(requests: list[str]) -> Any:
    def connector(config: MailConfig) -> imaplib.IMAP4:
        conn = Watched(config.host, config.effective_port, timeout=10)
        conn.fetched = requests
        conn.login(config.user, config.password)
        return conn

    return connector


def test_an_attachment_over_the_limit_is_refused_without_being_downloaded(
    imap: Dovecot,
    data_dir: Path,
    intake: Intake,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    limit = 200_000
    big = tmp_path / "big.eml"
    write_big_mail(big, 3_000_000, message_id="<stor@exempel-ab.se>", small_pdf=scan_pdf(9))
    imap.deliver_file(big)
    nearly_data = scan_pdf(10, noise=400)
    imap.append(mail([("nastan.pdf", "application/pdf", nearly_data)], message_id="<m@x>"))
    requests: list[str] = []
    reader = MailReader(
        make_config(imap, data_dir, max_bytes=limit),
        intake,
        session_factory,
        connector=watched_connect(requests),
    )

    report = reader.run_once()

    rows = {r.message_key: r for r in mails(session_factory)}
    stor = rows["<stor@exempel-ab.se>"]
    assert stor.status == MailStatus.TAKEN  # the small PDF beside it was taken
    assert [(a["name"], a["outcome"]) for a in stor.attachments] == [
        ("liten.pdf", "submitted"),
        ("stor.pdf", "too_large"),
    ]
    assert "stor.pdf: too_large" in (stor.error or "")
    # the big message was never fetched whole, nor its big part: only its structure
    # and the small part
    assert "(BODY.PEEK[])" in requests  # the other, small mail
    assert requests.count("(BODY.PEEK[])") == 1
    assert "(BODY.PEEK[3])" not in requests and "(BODY.PEEK[2])" in requests
    assert len(report.results) == 2
    nearly = rows["<m@x>"].attachments[0]
    expected = "too_large" if len(nearly_data) > limit else "submitted"
    assert nearly["outcome"] == expected
    assert not any(p.stat().st_size > limit for p in data_dir.rglob("*") if p.is_file())
    assert (imap.count("INBOX"), imap.count(HANDLED)) == (0, 2)


def test_a_mail_with_only_a_too_large_attachment_is_recorded_as_failed(
    imap: Dovecot, data_dir: Path, intake: Intake, session_factory: sessionmaker[Session]
) -> None:
    big = scan_pdf(11, noise=600)
    imap.append(mail([("stor.pdf", "application/pdf", big)], message_id="<f@x>"))
    reader = MailReader(
        make_config(imap, data_dir, max_bytes=len(big) - 1), intake, session_factory
    )

    with structlog.testing.capture_logs() as logs:
        reader.run_once()

    (row,) = mails(session_factory)
    assert row.status == MailStatus.FAILED
    assert row.attachments == [{"name": "stor.pdf", "sha256": None, "outcome": "too_large"}]
    assert imap.count(HANDLED) == 1
    # never downloaded, so no sha256: the line says so, as every line naming a file does
    [line] = [e for e in logs if e["event"] == "mail.attachment_too_large"]
    assert (line["sha256"], line["sha256_missing"]) == (None, NOT_DOWNLOADED)


def run_in_thread(reader: MailReader) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=reader.run, args=(stop,), daemon=True)
    thread.start()
    return thread, stop


def wait_until(predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_the_reader_waits_out_a_mail_server_that_is_down(
    imap: Dovecot, reader: MailReader, session_factory: sessionmaker[Session]
) -> None:
    imap.append(pdf_mail(12, message_id="<down@x>"))
    imap.stop()
    failures: list[str] = []
    real = reader.connector

    def counting(config: MailConfig) -> imaplib.IMAP4:
        try:
            return real(config)
        except OSError as e:
            failures.append(type(e).__name__)
            raise

    reader.connector = counting
    thread, stop = run_in_thread(reader)
    try:
        wait_until(lambda: len(failures) >= 3)
        assert mails(session_factory) == []
        imap.start()
        wait_until(lambda: len(mails(session_factory)) == 1)
        wait_until(lambda: imap.count(HANDLED) == 1)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(10)
    assert [r.message_key for r in mails(session_factory)] == ["<down@x>"]
    assert len(mail_arrivals(session_factory)) == 1


class FlakySessions:
    """The registry's sessions, the first ``failures`` of which fail to connect, as
    when the database is down."""

    def __init__(self, real: sessionmaker[Session], failures: int) -> None:
        self.real, self.failures, self.calls = real, failures, 0

    def __call__(self) -> Session:
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database is down"))
        return self.real()

    def begin(self) -> Any:
        return self.real.begin()


def test_the_reader_survives_the_database_being_down_and_loses_nothing(
    imap: Dovecot, data_dir: Path, intake: Intake, session_factory: sessionmaker[Session]
) -> None:
    imap.append_many([pdf_mail(13, message_id="<db1@x>"), pdf_mail(14, message_id="<db2@x>")])
    flaky = FlakySessions(session_factory, failures=4)
    reader = MailReader(make_config(imap, data_dir), intake, flaky)  # type: ignore[arg-type]
    thread, stop = run_in_thread(reader)
    try:
        wait_until(lambda: len(mails(session_factory)) == 2)
        wait_until(lambda: imap.count(HANDLED) == 2)
        assert thread.is_alive() and flaky.calls > 4
    finally:
        stop.set()
        thread.join(10)
    assert sorted(r.message_key for r in mails(session_factory)) == ["<db1@x>", "<db2@x>"]
    assert len(mail_arrivals(session_factory)) == 2


def test_an_attachment_taken_before_a_crash_is_not_taken_again(
    imap: Dovecot, reader: MailReader, session_factory: sessionmaker[Session]
) -> None:
    """A crash after the intake recorded the attachment but before the mail's row: the
    next pass recognises the arrival and records the mail with it, once."""
    raw = mail(
        [("a.pdf", "application/pdf", scan_pdf(15)), ("b.pdf", "application/pdf", scan_pdf(16))],
        message_id="<crash@x>",
    )
    imap.append(raw)
    calls = {"n": 0}
    real_record = reader._record

    def crash_on_first(env: Any, result: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("killed before the mail was recorded")
        real_record(env, result)

    reader._record = crash_on_first  # type: ignore[method-assign]
    with pytest.raises(OSError):
        reader.run_once()
    assert len(mail_arrivals(session_factory)) == 2 and mails(session_factory) == []
    assert imap.count("INBOX") == 1

    reader.run_once()

    (row,) = mails(session_factory)
    assert [a["outcome"] for a in row.attachments] == ["already_recorded"] * 2
    assert all(a["sha256"] for a in row.attachments)
    assert len(mail_arrivals(session_factory)) == 2
    assert (imap.count("INBOX"), imap.count(HANDLED)) == (0, 1)


def test_plain_imap_is_refused_to_another_host(data_dir: Path) -> None:
    from ingest.mail import MailConfigError

    config = MailConfig(
        host="imap.example.com", user="u", password="p", data_dir=data_dir, security="plain"
    )
    with pytest.raises(MailConfigError):
        connect(config)


# --- signreg mail in a subprocess, killed -9 ------------------------------------------


def mail_env(url: str, data_dir: Path, imap: Dovecot) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SIGNREG_DATABASE_URL": url,
        "SIGNREG_DATA_DIR": str(data_dir),
        "SIGNREG_INBOX": str(data_dir.parent / "inbox"),
        "SIGNREG_MAIL_HOST": "127.0.0.1",
        "SIGNREG_MAIL_PORT": str(imap.port),
        "SIGNREG_MAIL_SECURITY": "plain",
        "SIGNREG_MAIL_USER": USER,
        "SIGNREG_MAIL_PASSWORD": PASSWORD,
        "SIGNREG_MAIL_POLL_SECONDS": "0.2",
        "SIGNREG_MAIL_BACKOFF_MAX_SECONDS": "1",
    }


def test_signreg_mail_once_exits_1_when_the_server_is_down(
    imap: Dovecot, db_url: str, session_factory: sessionmaker[Session], data_dir: Path
) -> None:
    env = mail_env(db_url, data_dir, imap)
    imap.append(pdf_mail(17, message_id="<once@x>"))
    done = subprocess.run([str(SIGNREG), "mail", "--once"], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert [r.message_key for r in mails(session_factory)] == ["<once@x>"]
    imap.stop()
    failed = subprocess.run([str(SIGNREG), "mail", "--once"], env=env, capture_output=True)
    assert failed.returncode == 1
    assert b"signreg mail:" in failed.stderr


def test_exactly_once_when_signreg_mail_is_killed_9_mid_run(
    imap: Dovecot, db_url: str, session_factory: sessionmaker[Session], data_dir: Path
) -> None:
    total = 40
    same = scan_pdf(5)
    raws = []
    expected: collections.Counter[tuple[str, str]] = collections.Counter()
    for n in range(total):
        key = f"<kill-{n}@x>"
        if n % 4 == 0:
            attachments = [(f"s{n}.pdf", "application/pdf", scan_pdf(100 + n))]
        elif n % 4 == 1:
            attachments = [
                (f"a{n}.pdf", "application/pdf", scan_pdf(200 + n)),
                (f"b{n}.pdf", "application/pdf", scan_pdf(300 + n)),
            ]
        elif n % 4 == 2:
            attachments = [("../../same.pdf", "application/pdf", same)]  # one content
        else:
            attachments = []
        raws.append(mail(attachments, message_id=key))  # type: ignore[arg-type]
        for name, _, _ in attachments:
            expected[(key, name.rsplit("/", 1)[-1])] += 1
    imap.append_many(raws)
    env = mail_env(db_url, data_dir, imap)
    log = data_dir.parent / "mail.log"
    kills = 0
    for threshold in (3, 12, 25):
        with log.open("ab") as err:
            proc = subprocess.Popen(
                [str(SIGNREG), "mail"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
        try:
            wait_until(lambda t=threshold: _arrivals_count(session_factory) >= t, timeout=120)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
    done = subprocess.run(
        [str(SIGNREG), "mail", "--once"], env=env, stderr=subprocess.PIPE, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]

    assert kills == 3
    rows = mails(session_factory)
    assert sorted(r.message_key for r in rows) == sorted(f"<kill-{n}@x>" for n in range(total))
    got = collections.Counter(
        (a.message_id or "", a.file_name) for a in mail_arrivals(session_factory)
    )
    assert got == expected  # every attachment exactly once
    assert len(by_sha(session_factory)) == len({k for k in expected if "same" not in k[1]}) + 1
    assert (imap.count("INBOX"), imap.count(HANDLED)) == (0, total)


def _arrivals_count(factory: sessionmaker[Session]) -> int:
    try:
        return len(mail_arrivals(factory))
    except OperationalError:
        return 0


def test_signreg_watch_reads_the_mailbox_too_when_configured(
    imap: Dovecot, db_url: str, session_factory: sessionmaker[Session], data_dir: Path
) -> None:
    env = mail_env(db_url, data_dir, imap)
    (data_dir.parent / "inbox").mkdir(exist_ok=True)
    imap.append(pdf_mail(18, message_id="<watch@x>"))
    log = data_dir.parent / "watch.log"
    with log.open("ab") as err:
        proc = subprocess.Popen(
            [str(SIGNREG), "watch", "--workers", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    try:
        wait_until(lambda: _recorded_keys(session_factory) == ["<watch@x>"], timeout=60)
        wait_until(lambda: imap.count(HANDLED) == 1)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0, log.read_text()[-2000:]
    assert len(mail_arrivals(session_factory)) == 1


def _recorded_keys(factory: sessionmaker[Session]) -> list[str]:
    try:
        return [r.message_key for r in mails(factory)]
    except OperationalError:
        return []


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_imaps_and_starttls_with_the_servers_own_certificate(
    security: str, data_dir: Path, intake: Intake, session_factory: sessionmaker[Session]
) -> None:
    import ssl

    with running(tls=True) as server:
        server.append(pdf_mail(19, message_id=f"<tls-{security}@x>"))
        port = server.imaps_port if security == "ssl" else server.port
        untrusted = make_config(server, data_dir, security=security, port=port)
        with pytest.raises(ssl.SSLCertVerificationError):
            MailReader(untrusted, intake, session_factory).run_once()
        assert mails(session_factory) == []

        trusted = make_config(server, data_dir, security=security, port=port, ca_file=server.cert)
        MailReader(trusted, intake, session_factory).run_once()

        assert [r.message_key for r in mails(session_factory)] == [f"<tls-{security}@x>"]
        assert server.count(HANDLED) == 1


def test_a_large_nested_mail_is_read_part_by_part_with_its_names_decoded(
    imap: Dovecot, data_dir: Path, intake: Intake, session_factory: sessionmaker[Session]
) -> None:
    """multipart/mixed (multipart/alternative (text, html), pdf, pdf, forwarded mail)
    over the whole-message limit: the structure's part numbers (1.1, 1.2, 2, 3 …) and
    RFC 2231 names (åäö) come out as from a mail fetched whole."""
    from email.message import EmailMessage

    small = scan_pdf(20)
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = SENDER, "Nästlad", "<nested@x>"
    msg.set_content("Hej")
    msg.add_alternative("<p>Hej</p>", subtype="html")
    msg.add_attachment(small, maintype="application", subtype="pdf", filename="Underskrift åäö.pdf")
    msg.add_attachment(
        os.urandom(1_500_000), maintype="application", subtype="pdf", filename="stor.pdf"
    )
    inner = EmailMessage()
    inner["Subject"] = "vidarebefordrat"
    inner.set_content("inget här")
    msg.add_attachment(inner)
    imap.append(bytes(msg))
    requests: list[str] = []
    reader = MailReader(
        make_config(imap, data_dir, max_bytes=100_000),
        intake,
        session_factory,
        connector=watched_connect(requests),
    )

    reader.run_once()

    (row,) = mails(session_factory)
    assert "(BODY.PEEK[])" not in requests  # read part by part
    assert [(a["name"], a["outcome"]) for a in row.attachments] == [
        ("Underskrift åäö.pdf", "submitted"),
        ("stor.pdf", "too_large"),
    ]
    assert by_sha(session_factory)[row.attachments[0]["sha256"]].size == len(small)


class WithoutMove(imaplib.IMAP4):
    """A real IMAP connection that does not admit to MOVE (as older servers)."""

    def capability(self) -> Any:
        typ, data = super().capability()
        return typ, [b" ".join(c for c in data[0].split() if c.upper() != b"MOVE")]


def test_without_move_messages_are_copied_flagged_and_expunged(
    imap: Dovecot, data_dir: Path, intake: Intake, session_factory: sessionmaker[Session]
) -> None:
    imap.append_many([pdf_mail(21, message_id="<c1@x>"), pdf_mail(22, message_id="<c2@x>")])

    def connector(config: MailConfig) -> imaplib.IMAP4:
        conn = WithoutMove(config.host, config.effective_port, timeout=10)
        conn.login(config.user, config.password)
        return conn

    reader = MailReader(make_config(imap, data_dir), intake, session_factory, connector=connector)
    reader.run_once()

    assert (imap.count("INBOX"), imap.count(HANDLED)) == (0, 2)
    assert sorted(imap.headers(HANDLED)) == ["<c1@x>", "<c2@x>"]
    assert len(mails(session_factory)) == 2
