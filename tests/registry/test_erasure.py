"""Erasure on request, on SQLite and PostgreSQL: a signer's name and e-mail are nowhere
in the database (every text and JSON column of every table is read) nor in the data
folder once the files are deleted; the public list is unchanged; the audit trail keeps
its events, says what was erased without the values, and stays append-only; the report
says what was kept; a re-run after a crash between commit and file deletion finishes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.archive import Archive
from ingest.erase_files import ScanFiles
from ingest.quarantine import Quarantine
from registry import queue, review
from registry.audit import ERASED, record_event
from registry.erasure import ERASE_ACTION, ERASURE_REASON, erase, preview
from registry.errors import NotFound, ValidationError
from registry.models import (
    Application,
    AuditEvent,
    Base,
    Declaration,
    MailMessage,
    Proposal,
    Signatory,
    Submission,
    SubmissionArrival,
    SubmissionStatus,
)
from registry.retention import deleted_scans
from registry.signatories import public_signatories
from tests.registry.helpers import SLUG, T0, extraction, propose, result, seed_declaration, sha

NAME = "Greta Hemligsson"
MISREAD = "Greta Hemligson"
EMAIL = "greta.hemligsson@example.se"
NEEDLES = ("hemligs", "greta.hemligsson", "203.0.113.77")  # every trace of her, lower-cased
NUMBER = "556051-3102"  # Kuusakoski (the helpers' default)
OTHER_NUMBER = "556001-5835"
OTHER_SIGNER = "Olle Annansson"
NOW = T0 + dt.timedelta(days=30)


def _text_of_every_column(session: Session) -> Iterator[tuple[str, str]]:
    for table in Base.metadata.sorted_tables:
        for row in session.execute(table.select()):
            for column, value in zip(table.columns, row, strict=True):
                if isinstance(value, str):
                    yield f"{table.name}.{column.name}", value
                elif isinstance(value, dict | list):
                    yield f"{table.name}.{column.name}", json.dumps(value, ensure_ascii=False)


def found_in_database(factory: sessionmaker[Session], needles: tuple[str, ...]) -> list[str]:
    with factory() as s:
        return sorted(
            {
                where
                for where, text in _text_of_every_column(s)
                if any(n in text.lower() for n in needles)
            }
        )


def found_in_files(root: Path, needles: tuple[str, ...]) -> list[str]:
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        if any(n.encode() in data for n in needles):
            hits.append(str(path.relative_to(root)))
    return hits


def public_list(factory: sessionmaker[Session]) -> str:
    with factory() as s:
        items, total = public_signatories(session=s)
        return json.dumps([i.model_dump(mode="json") for i in items]) + f"/{total}"


class Scans:
    """Files of the data folder as the ingest and the reviewer pages leave them."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.archive = Archive(data_dir / "archive")
        self.quarantine = Quarantine(data_dir / "quarantine")
        self.files = ScanFiles(self.archive, self.quarantine, data_dir / "cache")

    def archived(self, digest: str, text: str) -> None:
        path = self.archive.path_for(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"%PDF-1.4 scan of {text}".encode())
        for part in ("", "-w1100", "-cabc"):  # the page, as shown, a crop (api.page_images)
            image = self.data_dir / "cache" / "pages" / digest[:2] / f"{digest}-p1{part}-v1.png"
            image.parent.mkdir(parents=True, exist_ok=True)
            image.write_bytes(f"PNG of {text}".encode())

    def quarantined(self, name: str, text: str) -> str:
        data = f"not a pdf, from {text}".encode()
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        path = self.quarantine.path_for(digest, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.with_name(path.name + ".reason.txt").write_text(f"reason: not_pdf\nmessage: {text}\n")
        return digest


def _approve(factory: sessionmaker[Session], pid: int, **corrections: str) -> int:
    with factory.begin() as s:
        member = review.approve_proposal(
            session=s, proposal_id=pid, reviewer="web:anna", corrections=corrections, now=T0
        )
        return member.id


@pytest.fixture
def world(session_factory: sessionmaker[Session], tmp_path: Path) -> Scans:
    """Greta signed for Kuusakoski twice (read wrongly once, corrected on approval; a
    later copy rejected with her name in the reason), applied online, mailed a scan;
    Olle signed for another organisation. Each scan is archived with page images."""
    f = session_factory
    seed_declaration(f)
    scans = Scans(tmp_path / "data")
    (first,) = propose(f, result(signatory_name=MISREAD, email=EMAIL), name="greta-1")
    _approve(f, first, signatory_name=NAME)
    (second,) = propose(f, result(signatory_name=NAME, email=EMAIL), name="greta-2")
    with f.begin() as s:
        review.reject_proposal(
            session=s,
            proposal_id=second,
            reviewer="web:anna",
            reason=f"{NAME} har redan skrivit under",
            now=T0,
        )
    (olle,) = propose(
        f,
        result(
            organisation="LKAB",
            organisation_number=OTHER_NUMBER,
            signatory_name=OTHER_SIGNER,
            email="olle@example.se",
        ),
        name="olle",
    )
    _approve(f, olle)
    with f.begin() as s:
        declaration = s.scalar(select(Declaration).where(Declaration.slug == SLUG))
        assert declaration is not None
        s.add(
            Application(
                id="app-greta",
                declaration_id=declaration.id,
                organisation="Kuusakoski Sverige AB",
                organisation_number=NUMBER,
                county="Norrbotten",
                place="Luleå",
                signatory_name=NAME,
                signatory_title="VD",
                email=EMAIL,
                expires_at=T0 + dt.timedelta(days=60),
                client="203.0.113.77",
            )
        )
        sender = f"{NAME} <{EMAIL}>"
        s.add(
            MailMessage(
                message_key="<m1@example.se>",
                message_id="<m1@example.se>",
                sender=sender,
                subject="Avsiktsförklaring",
                received_at=T0,
                attachments=[{"name": "greta-2.pdf", "sha256": sha("greta-2"), "outcome": "ok"}],
            )
        )
        arrival = s.scalar(
            select(SubmissionArrival).join(Submission).where(Submission.sha256 == sha("greta-2"))
        )
        assert arrival is not None
        arrival.source, arrival.sender = "mail", sender
        # a join-online form's code gave the value; the page read it otherwise
        read = s.get(Proposal, second)
        assert read is not None
        name_entry = {
            **read.fields["signatory_name"],
            "source": "code",
            "ocr_value": "G. Hemligsson",
        }
        read.fields = {**read.fields, "signatory_name": name_entry}
        for sub in s.scalars(select(Submission)):
            sub.archive_path = scans.archive.relative_path(sub.sha256)
            who = OTHER_SIGNER if sub.sha256 == sha("olle") else NAME
            scans.archived(sub.sha256, who)
    return scans


def test_after_erasure_her_name_and_e_mail_are_nowhere(
    session_factory: sessionmaker[Session], world: Scans
) -> None:
    f = session_factory
    assert found_in_database(f, NEEDLES)  # the test can fail: she is there before
    assert found_in_files(world.data_dir, NEEDLES)
    listed = public_list(f)
    with f.begin() as s:
        report = erase(session=s, organisation_number=NUMBER, actor="cli:admin", now=NOW)
    files = world.files.delete(report.scans)
    assert found_in_database(f, NEEDLES) == []
    assert found_in_files(world.data_dir, NEEDLES) == []
    assert public_list(f) == listed  # the public list is the same
    # the other organisation's signer is untouched, and so is her scan's neighbour
    assert found_in_database(f, ("olle annansson",)) != []
    assert world.archive.contains(sha("olle"))
    assert (files.archive, files.page_images) == (2, 6)
    assert report.memberships == 1 and report.proposals == 2 and report.applications == 1
    assert report.names == 4  # membership, two proposals, application
    assert report.emails == 4 and report.titles == 4
    assert report.audit_events >= 2 and report.audit_values >= 4
    with f() as s:
        deleted = s.scalars(select(Submission).where(Submission.scan_deleted_at.is_not(None)))
        assert {(d.sha256, d.scan_deleted_reason) for d in deleted} == {
            (sha("greta-1"), ERASURE_REASON),
            (sha("greta-2"), ERASURE_REASON),
        }


def test_the_trail_keeps_its_events_says_what_was_erased_and_stays_append_only(
    session_factory: sessionmaker[Session], world: Scans
) -> None:
    f = session_factory
    with f() as s:
        before = [
            (e.id, e.at, e.actor, e.action, e.entity_id) for e in s.scalars(select(AuditEvent))
        ]
    with f.begin() as s:
        report = erase(session=s, organisation_number=NUMBER, actor="cli:admin", now=NOW)
    with f() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        kept = [(e.id, e.at, e.actor, e.action, e.entity_id) for e in events[: len(before)]]
        assert kept == before  # every event is still there, who, what and when
        (erasure,) = [e for e in events if e.action == ERASE_ACTION]
        assert erasure.id == report.event_id and erasure.actor == "cli:admin"
        text = json.dumps(erasure.after, ensure_ascii=False).lower()
        assert not any(n in text for n in NEEDLES)
        assert erasure.after is not None
        assert erasure.after["names"] == 4 and erasure.after["organisation_number"] == NUMBER
        scrubbed = erasure.after["scrubbed_events"]
        assert sum(scrubbed.values()) == report.audit_values
        approve = next(e for e in events if e.action == "proposal.approve")  # Greta's, the first
        assert str(approve.id) in scrubbed
        assert approve.after is not None
        assert approve.after["values"]["signatory_name"] == ERASED
        assert approve.after["corrections"]["signatory_name"] == {
            "before": ERASED,
            "after": ERASED,
        }
    with f() as s:  # any other change to an event is still refused
        row = s.get(AuditEvent, approve.id)
        assert row is not None
        row.actor = "someone else"
        with pytest.raises(RuntimeError, match="append-only"):
            s.flush()
    with f() as s:
        row = s.get(AuditEvent, approve.id)
        assert row is not None
        row.after = {"values": {"signatory_name": NAME}}
        with pytest.raises(RuntimeError, match="append-only"):
            s.flush()


def test_the_report_says_what_was_kept_and_why(
    session_factory: sessionmaker[Session], world: Scans
) -> None:
    with session_factory() as s:
        shown = preview(session=s, organisation_number="5560513102")
    assert shown.event_id is None and shown.names == 4 and len(shown.scans) == 2
    assert found_in_database(session_factory, NEEDLES)  # a preview changes nothing
    with session_factory.begin() as s:
        report = erase(session=s, organisation_number=NUMBER, actor="cli:admin", now=NOW)
    kept = {k.what: k for k in report.kept}
    assert set(kept) == {"public_entry", "submission_rows", "audit_events", "backups"}
    assert kept["public_entry"].count == 1 and "public list" in kept["public_entry"].why
    assert kept["submission_rows"].count == 2 and "sha256" in kept["submission_rows"].why
    assert "until they age out" in kept["backups"].why
    assert report.organisation == "Kuusakoski Sverige AB"
    assert report.to_dict()["scans"] == [s.submission_id for s in report.scans]


def test_a_re_run_after_a_crash_before_the_files_went_finishes_the_work(
    session_factory: sessionmaker[Session], world: Scans
) -> None:
    f = session_factory
    with f.begin() as s:
        first = erase(session=s, organisation_number=NUMBER, actor="cli:admin", now=NOW)
    # the process died here: the rows say deleted, the files are still there
    assert world.files.present(first.scans) and found_in_files(world.data_dir, NEEDLES)
    with f() as s:
        assert {d.sha256 for d in deleted_scans(session=s)} == {sha("greta-1"), sha("greta-2")}
    with f.begin() as s:
        again = erase(session=s, organisation_number=NUMBER, actor="cli:admin", now=NOW)
    assert again.names == again.emails == again.audit_values == 0  # nothing left to clear
    assert {x.sha256 for x in again.scans} == {x.sha256 for x in first.scans}
    world.files.delete(again.scans)
    assert world.files.present(again.scans) == []
    assert found_in_files(world.data_dir, NEEDLES) == []


def test_a_scan_shared_with_another_organisation_is_kept_and_said_so(
    session_factory: sessionmaker[Session], world: Scans
) -> None:
    f = session_factory
    batch = extraction(
        result(signatory_name=NAME, email=EMAIL, signed_date="2024-01-02"),
        result(organisation="LKAB", organisation_number=OTHER_NUMBER, signatory_name="Per Annan"),
    )
    with f.begin() as s:
        sub, _ = queue.record_submission(
            session=s, sha256=sha("batch"), file_name="batch.pdf", size=1, archive_path=None, now=T0
        )
        queue.claim_next(session=s, worker_id="w", lease_seconds=60, now=T0)
        queue.complete_submission(
            session=s, submission_id=sub.id, worker_id="w", extraction=batch, now=T0
        )
    with f.begin() as s:
        report = erase(session=s, organisation_number=NUMBER, actor="cli:admin", now=NOW)
    kept = {k.what: k for k in report.kept}
    assert kept["shared_scans"].count == 1 and "other organisations" in kept["shared_scans"].why
    assert sha("batch") not in {x.sha256 for x in report.scans}
    assert found_in_database(f, NEEDLES) == []  # her values read from it are gone
    assert found_in_database(f, ("per annan",)) != []  # the other signer's stay
    with f() as s:
        row = s.scalar(select(Submission).where(Submission.sha256 == sha("batch")))
        assert row is not None and row.scan_deleted_at is None


def test_a_quarantined_file_of_hers_goes_when_named(
    session_factory: sessionmaker[Session], world: Scans
) -> None:
    f = session_factory
    digest = world.quarantined(f"{NAME}.pdf", NAME)
    with f.begin() as s:
        sub, _ = queue.record_submission(
            session=s,
            sha256=digest,
            file_name=f"{NAME}.pdf",
            size=10,
            archive_path=None,
            now=T0,
        )
        sub.status, sub.reason = SubmissionStatus.QUARANTINED, "not_pdf"
        record_event(
            session=s,
            actor="ingest",
            action="submission.quarantine",
            entity="submission",
            entity_id=sub.id,
            after={"file_name": sub.file_name},
            now=T0,
        )
        sub_id = sub.id
    with f.begin() as s:
        report = erase(
            session=s,
            organisation_number=NUMBER,
            submission_id=sub_id,
            actor="cli:admin",
            now=NOW,
        )
    deleted = world.files.delete(report.scans)
    assert deleted.quarantine == 1
    assert not any(world.quarantine.root.iterdir())  # the copy and its reason
    assert found_in_database(f, NEEDLES) == []
    assert found_in_files(world.data_dir, NEEDLES) == []


def test_refusals(session_factory: sessionmaker[Session], world: Scans) -> None:
    with session_factory.begin() as s:
        with pytest.raises(ValidationError):
            erase(session=s, organisation_number="556051-3103", actor="a", now=NOW)
        with pytest.raises(NotFound):
            erase(session=s, organisation_number=NUMBER, submission_id=999, actor="a", now=NOW)


def test_a_number_nothing_is_registered_for_is_not_found(
    session_factory: sessionmaker[Session], world: Scans
) -> None:
    with session_factory() as s, pytest.raises(NotFound):
        erase(session=s, organisation_number="202100-2460", actor="a", now=NOW)


def test_one_membership_alone_when_named(
    session_factory: sessionmaker[Session], world: Scans
) -> None:
    """The organisation signed a second declaration, by someone else: erasing Greta's
    membership leaves the other signer's."""
    f = session_factory
    seed_declaration(f, slug="cemr-charter")
    (other,) = propose(
        f,
        result(
            signatory_name="Karin Kvarsson", email="karin@example.se", declaration="cemr-charter"
        ),
        name="karin",
    )
    _approve(f, other)
    with f() as s:
        greta = s.scalar(
            select(Signatory)
            .join(Declaration)
            .where(Declaration.slug == SLUG)
            .where(Signatory.signer_name == NAME)
        )
        assert greta is not None
        greta_id = greta.id
    with f.begin() as s:
        report = erase(
            session=s, organisation_number=NUMBER, signatory_id=greta_id, actor="a", now=NOW
        )
    assert report.memberships == 1 and sha("karin") not in {x.sha256 for x in report.scans}
    assert found_in_database(f, NEEDLES) == []
    assert found_in_database(f, ("karin kvarsson",)) != []
    with f.begin() as s, pytest.raises(NotFound):
        erase(
            session=s, organisation_number=OTHER_NUMBER, signatory_id=greta_id, actor="a", now=NOW
        )


def test_scrubbing_needs_the_event_that_records_it(
    session_factory: sessionmaker[Session], world: Scans
) -> None:
    from registry.audit import scrub_events

    with session_factory() as s:
        earlier = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        with pytest.raises(RuntimeError, match="records the erasure"):
            scrub_events(session=s, events=earlier, scrub=lambda v: (v, 1), by=earlier[0])
