"""Retention (gallring), on SQLite and PostgreSQL: exactly the scans past their time are
marked deleted, audited (without a name) and their files deleted; an approved scan is
never deleted while its declaration keeps approved ones; a listing changes nothing;
a file sent again starts its time anew; the rules are set per declaration, audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.archive import Archive
from ingest.erase_files import ScanFiles
from ingest.quarantine import Quarantine
from registry import queue, review
from registry.errors import NotFound, ValidationError
from registry.models import AuditEvent, Declaration, Submission, SubmissionStatus
from registry.retention import (
    DEFAULT_APPROVED_YEARS,
    DEFAULT_REJECTED_MONTHS,
    RETENTION_ACTION,
    RETENTION_REASON,
    ScanKind,
    apply_retention,
    deleted_scans,
    plan_retention,
    set_retention,
)
from tests.registry.helpers import SLUG, T0, propose, result, seed_declaration, sha

LATER = T0 + dt.timedelta(days=400)  # 13 months on


def _files(tmp_path: Path) -> ScanFiles:
    root = tmp_path / "data"
    return ScanFiles(Archive(root / "archive"), Quarantine(root / "quarantine"), root / "cache")


def _archive_all(factory: sessionmaker[Session], files: ScanFiles) -> None:
    with factory.begin() as s:
        for sub in s.scalars(select(Submission)):
            path = files.archive.path_for(sub.sha256)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"%PDF-1.4 " + sub.sha256.encode())
            sub.archive_path = files.archive.relative_path(sub.sha256)


@pytest.fixture
def scans(session_factory: sessionmaker[Session], tmp_path: Path) -> dict[str, int]:
    """approved, rejected (both decided at T0), a quarantined file (T0), one waiting for
    review, one rejected 11 months later; each archived. Their submission ids."""
    f = session_factory
    seed_declaration(f)
    (approved,) = propose(f, result(organisation_number="556001-5835"), name="approved")
    (rejected,) = propose(f, result(), name="rejected")
    (waiting,) = propose(f, result(), name="waiting")
    (late,) = propose(f, result(), name="late")
    with f.begin() as s:
        review.approve_proposal(session=s, proposal_id=approved, reviewer="r", now=T0)
        review.reject_proposal(session=s, proposal_id=rejected, reviewer="r", reason="x", now=T0)
        review.reject_proposal(
            session=s,
            proposal_id=late,
            reviewer="r",
            reason="x",
            now=T0 + dt.timedelta(days=335),
        )
        bad, _ = queue.record_submission(
            session=s, sha256=sha("bad"), file_name="bad.pdf", size=1, archive_path=None, now=T0
        )
        bad.status, bad.reason, bad.processed_at = SubmissionStatus.QUARANTINED, "not_pdf", T0
    _archive_all(f, _files(tmp_path))
    with f() as s:
        return {sub.file_name.removesuffix(".pdf"): sub.id for sub in s.scalars(select(Submission))}


def test_new_declarations_get_the_defaults(session_factory: sessionmaker[Session]) -> None:
    seed_declaration(session_factory)
    with session_factory() as s:
        row = s.scalar(select(Declaration).where(Declaration.slug == SLUG))
        assert row is not None
        assert (
            (row.retention_rejected_months, row.retention_approved_years)
            == (
                DEFAULT_REJECTED_MONTHS,
                DEFAULT_APPROVED_YEARS,
            )
            == (12, None)
        )


def test_exactly_the_scans_past_their_time_go_and_each_is_audited(
    session_factory: sessionmaker[Session], scans: dict[str, int], tmp_path: Path
) -> None:
    f = session_factory
    files = _files(tmp_path)
    with f() as s:
        assert plan_retention(session=s, now=T0 + dt.timedelta(days=300)).due == ()
        listed = plan_retention(session=s, now=LATER)
    assert {d.submission_id for d in listed.due} == {scans["rejected"], scans["bad"]}
    assert {d.kind for d in listed.due} == {ScanKind.REJECTED, ScanKind.UNREAD}
    with f() as s:  # a listing changed nothing
        assert s.scalar(select(Submission).where(Submission.scan_deleted_at.is_not(None))) is None
    with f.begin() as s:
        done = apply_retention(session=s, now=LATER, actor="retention")
    deleted = files.delete(d.scan for d in done.due)
    assert deleted.archive == 2
    for name, sub_id in scans.items():
        gone = name in ("rejected", "bad")
        with f() as s:
            sub = s.get(Submission, sub_id)
            assert sub is not None
            assert files.archive.contains(sub.sha256) is not gone, name
            assert (sub.scan_deleted_reason == RETENTION_REASON) is gone, name
            assert sub.sha256 == sha(name)  # the row and its sha256 stay
    with f() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == RETENTION_ACTION)))
    assert sorted(int(e.entity_id) for e in events) == sorted([scans["rejected"], scans["bad"]])
    for e in events:
        assert e.after is not None and e.after["scan_deleted_reason"] == RETENTION_REASON
        text = json.dumps([e.before, e.after], ensure_ascii=False)
        assert "Anna Berg" not in text and ".pdf" not in text  # no name, no file name
    with f.begin() as s:  # a second run finds nothing more
        assert apply_retention(session=s, now=LATER, actor="retention").due == ()


def test_an_approved_scan_stays_while_approved_scans_are_kept(
    session_factory: sessionmaker[Session], scans: dict[str, int]
) -> None:
    f = session_factory
    far = T0 + dt.timedelta(days=365 * 50)
    with f() as s:
        due = {d.submission_id for d in plan_retention(session=s, now=far).due}
    assert scans["approved"] not in due and scans["waiting"] not in due
    with f.begin() as s:
        set_retention(session=s, slug=SLUG, rejected_months=12, approved_years=2, actor="a", now=T0)
    with f() as s:
        assert scans["approved"] not in {
            d.submission_id for d in plan_retention(session=s, now=LATER).due
        }
        due = {d.submission_id: d for d in plan_retention(session=s, now=far).due}
    assert due[scans["approved"]].kind is ScanKind.APPROVED
    assert scans["waiting"] not in due  # waiting for review: never


def test_no_rule_keeps_everything(
    session_factory: sessionmaker[Session], scans: dict[str, int]
) -> None:
    with session_factory.begin() as s:
        set_retention(
            session=s, slug=SLUG, rejected_months=None, approved_years=None, actor="a", now=T0
        )
    with session_factory() as s:
        assert plan_retention(session=s, now=T0 + dt.timedelta(days=365 * 50)).due == ()


def test_a_file_sent_again_starts_its_time_anew(
    session_factory: sessionmaker[Session], scans: dict[str, int]
) -> None:
    with session_factory.begin() as s:
        sub = s.get(Submission, scans["rejected"])
        assert sub is not None
        queue.record_duplicate_arrival(
            session=s, original=sub, file_name="again.pdf", now=T0 + dt.timedelta(days=200)
        )
    with session_factory() as s:
        due = {d.submission_id for d in plan_retention(session=s, now=LATER).due}
    assert scans["rejected"] not in due and scans["bad"] in due


def test_setting_the_rules_is_audited_and_checked(session_factory: sessionmaker[Session]) -> None:
    seed_declaration(session_factory)
    with session_factory.begin() as s:
        set_retention(session=s, slug=SLUG, rejected_months=6, approved_years=10, actor="a", now=T0)
        with pytest.raises(ValidationError):
            set_retention(
                session=s, slug=SLUG, rejected_months=0, approved_years=None, actor="a", now=T0
            )
        with pytest.raises(NotFound):
            set_retention(
                session=s, slug="nope", rejected_months=1, approved_years=None, actor="a", now=T0
            )
    with session_factory() as s:
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "declaration.retention"))
        assert event.before == {"rejected_months": 12, "approved_years": None}
        assert event.after == {"rejected_months": 6, "approved_years": 10}


def test_deleted_scans_are_swept_again(
    session_factory: sessionmaker[Session], scans: dict[str, int], tmp_path: Path
) -> None:
    """A crash after the commit, or the same file received (and archived) again: the
    sweep over every scan marked deleted removes the file."""
    f = session_factory
    files = _files(tmp_path)
    with f.begin() as s:
        apply_retention(session=s, now=LATER, actor="retention")
    with f() as s:
        swept = deleted_scans(session=s)
    assert {x.submission_id for x in swept} == {scans["rejected"], scans["bad"]}
    assert len(files.present(swept)) == 2
    files.delete(swept)
    assert files.present(swept) == []
