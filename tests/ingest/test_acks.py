"""Acknowledgements by e-mail against a real SMTP server on loopback (aiosmtpd), with
mails read from a real IMAP server (Dovecot): received, approved, follow-up due."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.cli.mail import TEMPLATES, ack_config
from api.settings import get_settings
from ingest.acks import AckConfig, Acknowledger, plan
from ingest.intake import Intake, utcnow
from ingest.mail import MailReader
from registry import queue
from registry.models import AuditEvent, Signatory, Submission
from registry.review import approve_proposal
from tests.ingest.files import scan_pdf
from tests.ingest.imap_server import Dovecot, available, free_port, running
from tests.ingest.mail_helpers import SENDER, mail
from tests.ingest.test_mail import make_config
from tests.registry.helpers import extraction, result, seed_declaration

pytestmark = pytest.mark.skipif(not available(), reason="dovecot-imapd is not installed")

CONTACT = "anna.berg@example.se"
PUBLIC = "https://signatarer.example.se"
REFUSED = "finns-inte@exempel-ab.se"


class Collector:
    """An aiosmtpd handler that keeps every message it accepts and refuses one address."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == REFUSED:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()


@pytest.fixture
def imap() -> Iterator[Dovecot]:
    with running() as server:
        yield server


def ack_settings(port: int, **more: Any) -> AckConfig:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "plain",
        "sender": "registret@lansstyrelsen.example",
        "templates": TEMPLATES,
        "public_url": PUBLIC,
        "timeout_seconds": 10,
    }
    values.update(more)
    return AckConfig(**values)


def to(collector: Collector, kind_words: str) -> list[str]:
    return sorted(str(m["To"]) for m in collector.messages if kind_words in str(m["Subject"]))


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def take_one_mail(
    imap: Dovecot, data_dir: Path, intake: Intake, factory: sessionmaker[Session], acks: Any
) -> None:
    imap.append(mail([("underskrift.pdf", "application/pdf", scan_pdf(40))], message_id="<ack@x>"))
    MailReader(make_config(imap, data_dir), intake, factory, after_pass=acks.send_due).run_once()


def propose_and_approve(factory: sessionmaker[Session], *, now: dt.datetime) -> Signatory:
    seed_declaration(factory)
    with factory.begin() as s:
        claimed = queue.claim_next(session=s, worker_id="w", lease_seconds=60, now=now)
        assert claimed is not None
        (proposal,) = queue.complete_submission(
            session=s,
            submission_id=claimed.id,
            worker_id="w",
            extraction=extraction(result(email=CONTACT)),
            now=now,
        )
        return approve_proposal(session=s, proposal_id=proposal.id, reviewer="rev", now=now)


def test_received_approved_and_follow_up_are_each_sent_once(
    imap: Dovecot,
    smtp: tuple[Collector, int],
    data_dir: Path,
    intake: Intake,
    session_factory: sessionmaker[Session],
) -> None:
    collector, port = smtp
    acks = Acknowledger(ack_settings(port), session_factory)

    take_one_mail(imap, data_dir, intake, session_factory, acks)

    (received,) = collector.messages
    assert str(received["To"]) == SENDER
    assert str(received["Subject"]).startswith("Vi har tagit emot er avsiktsförklaring")
    assert "underskrift.pdf" in body(received)
    assert str(received["Auto-Submitted"]) == "auto-generated"
    assert acks.send_due() == []  # already sent: nothing twice

    propose_and_approve(session_factory, now=utcnow())
    sent = acks.send_due()

    assert sorted(a.recipient for a in sent) == sorted([CONTACT, SENDER])
    assert to(collector, "godkänd") == sorted([CONTACT, SENDER])
    approved = next(m for m in collector.messages if "godkänd" in str(m["Subject"]))
    text = body(approved)
    assert "Kuusakoski Sverige AB" in str(approved["Subject"])
    assert f"{PUBLIC}/embed/signatories?declaration=jamstalld-industri" in text
    assert "2023-05-11" in text  # the signed date
    assert acks.send_due() == []

    with session_factory.begin() as s:
        s.execute(update(Signatory).values(follow_up_due=dt.date.today()))
    acks.send_due()

    assert to(collector, "uppföljning") == sorted([CONTACT, SENDER])
    assert acks.send_due() == []
    assert len(collector.messages) == 5
    with session_factory() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.entity == "mail_ack")).all()
    assert sorted(e.after["kind"] for e in events if e.after) == [
        "approved",
        "approved",
        "follow_up",
        "follow_up",
        "received",
    ]


def test_an_old_approval_is_not_acknowledged_when_acks_are_turned_on(
    smtp: tuple[Collector, int], session_factory: sessionmaker[Session]
) -> None:
    collector, port = smtp
    long_ago = utcnow() - dt.timedelta(days=60)
    with session_factory.begin() as s:
        queue.record_submission(
            session=s, sha256="a" * 64, file_name="old.pdf", size=1, archive_path=None,
            now=long_ago,
        )  # fmt: skip
    propose_and_approve(session_factory, now=long_ago)

    assert Acknowledger(ack_settings(port, window_days=14), session_factory).send_due() == []
    assert collector.messages == []
    with session_factory() as s:
        assert len(plan(s, now=utcnow(), window_days=90)) == 1  # within a wider window


def test_an_smtp_server_down_then_up_loses_no_acknowledgement(
    imap: Dovecot, data_dir: Path, intake: Intake, session_factory: sessionmaker[Session]
) -> None:
    port = free_port()
    acks = Acknowledger(ack_settings(port), session_factory)

    take_one_mail(imap, data_dir, intake, session_factory, acks)  # no SMTP server: logged

    with session_factory() as s:
        assert s.scalar(select(Submission.id)) is not None  # the mail itself was taken
        assert len(plan(s, now=utcnow(), window_days=14)) == 1  # still due
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sent = acks.send_due()
    finally:
        controller.stop()
    assert [a.recipient for a in sent] == [SENDER]
    assert [str(m["To"]) for m in collector.messages] == [SENDER]


def test_a_refused_recipient_does_not_stop_the_others(
    imap: Dovecot,
    smtp: tuple[Collector, int],
    data_dir: Path,
    intake: Intake,
    session_factory: sessionmaker[Session],
) -> None:
    collector, port = smtp
    imap.append(mail([("a.pdf", "application/pdf", scan_pdf(41))], sender=REFUSED))
    imap.append(mail([("b.pdf", "application/pdf", scan_pdf(42))]))
    acks = Acknowledger(ack_settings(port), session_factory)
    MailReader(make_config(imap, data_dir), intake, session_factory).run_once()

    sent = acks.send_due()

    assert [a.recipient for a in sent] == [SENDER]
    assert [str(m["To"]) for m in collector.messages] == [SENDER]
    with session_factory() as s:  # the refused one is tried again next time, not marked
        assert [a.recipient for a in plan(s, now=utcnow(), window_days=14)] == [REFUSED]


def test_acknowledgements_are_off_unless_configured() -> None:
    assert ack_config(get_settings(smtp_host=None, mail_from=None)) is None
    assert ack_config(get_settings(smtp_host="127.0.0.1", mail_from=None)) is None
    config = ack_config(get_settings(smtp_host="smtp.example.se", mail_from="r@example.se"))
    assert config is not None and config.effective_port == 587


def test_the_templates_render_in_swedish_with_every_value() -> None:
    from ingest.acks import Texts

    texts = Texts(TEMPLATES)
    values = {
        "organisation": "Exempel AB",
        "organisation_number": "556677-8899",
        "declaration": "Jämställd industri",
        "declaration_slug": "jamstalld-industri",
        "signed_date": dt.date(2026, 1, 2),
        "follow_up_due": dt.date(2028, 1, 2),
        "signer_name": "Anna",
        "public_url": PUBLIC,
    }
    subject, text = texts.render("approved", values)
    assert subject == "Avsiktsförklaringen är godkänd: Exempel AB"
    assert "2028-01-02" in text and "Med vänlig hälsning" in text
    subject, text = texts.render("follow_up", values)
    assert subject == "Dags för uppföljning: Exempel AB"
    subject, text = texts.render(
        "received", {"subject": "Hej", "files": ["a.pdf", "b.pdf"], "received_at": None}
    )
    assert subject == "Vi har tagit emot er avsiktsförklaring (Hej)"
    assert "2 bifogade filer" in text and "  - b.pdf" in text
