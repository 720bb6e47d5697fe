"""A scan that grew supersedes its earlier, unreviewed submission; a reviewed one stays.

The rule of :mod:`registry.supersede`, driven as the intake (record + supersede in one
transaction) and the worker (complete + flag in one transaction) drive it, on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from registry import queue, supersede
from registry.audit import events_for
from registry.errors import LeaseLost
from registry.models import Proposal, Submission
from registry.review import approve_proposal, reject_proposal
from tests.registry.helpers import T0, extraction, result, seed_declaration, sha

WINDOW = dt.timedelta(minutes=15)


@pytest.fixture
def factory(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    seed_declaration(session_factory)
    return session_factory


def arrive(
    factory: sessionmaker[Session], size: int, minute: float, *, name: str = "scan.pdf"
) -> int:
    """A new content under ``name`` received at T0 + ``minute``, as the intake records
    it (superseding in the same transaction); its submission id."""
    at = T0 + dt.timedelta(minutes=minute)
    with factory.begin() as s:
        sub, created = queue.record_submission(
            session=s,
            sha256=sha(f"{name}-{size}-{minute}"),
            file_name=name,
            size=size,
            archive_path=None,
            now=at,
        )
        assert created
        supersede.supersede_earlier(session=s, submission=sub, window=WINDOW, now=at)
        return sub.id


def claim(factory: sessionmaker[Session], worker: str, minute: float) -> int:
    with factory.begin() as s:
        sub = queue.claim_next(
            session=s, worker_id=worker, lease_seconds=30, now=T0 + dt.timedelta(minutes=minute)
        )
        assert sub is not None
        return sub.id


def complete(factory: sessionmaker[Session], sub_id: int, worker: str, minute: float) -> None:
    """What the worker does: record the reading and flag a growth after review."""
    with factory.begin() as s:
        proposals = queue.complete_submission(
            session=s,
            submission_id=sub_id,
            worker_id=worker,
            extraction=extraction(result()),
            now=T0 + dt.timedelta(minutes=minute),
        )
        supersede.flag_grown(
            session=s, submission=s.get_one(Submission, sub_id), proposals=proposals, window=WINDOW
        )


def read(factory: sessionmaker[Session], minute: float) -> int:
    sub_id = claim(factory, "w", minute)
    complete(factory, sub_id, "w", minute)
    return sub_id


def state(factory: sessionmaker[Session]) -> dict[int, tuple[str, list[tuple[str, list[str]]]]]:
    """submission id -> (status, [(proposal status, flags)])."""
    with factory() as s:
        subs = s.scalars(select(Submission).order_by(Submission.id)).all()
        return {
            sub.id: (sub.status, [(p.status, list(p.flags)) for p in sub.proposals]) for sub in subs
        }


def proposal_of(factory: sessionmaker[Session], sub_id: int) -> int:
    with factory() as s:
        found = s.scalar(select(Proposal.id).where(Proposal.submission_id == sub_id))
        assert found is not None
        return found


def test_a_grown_scan_supersedes_the_earlier_proposed_one_audited(factory):
    v1 = arrive(factory, 1000, 0)
    read(factory, 0.1)
    v2 = arrive(factory, 2000, 1)  # a page added a minute later
    read(factory, 1.1)
    got = state(factory)
    assert got[v1] == ("superseded", [("superseded", [])])
    assert got[v2][0] == "proposed"
    [(status, flags)] = got[v2][1]
    assert status == "proposed"
    assert "duplicate_scan" not in flags and supersede.GROWN_FLAG not in flags
    old_id = proposal_of(factory, v1)
    with factory() as s:
        earlier = s.get_one(Submission, v1)
        assert (earlier.reason, earlier.lease_owner) == ("superseded", None)
        assert f"submission {v2}" in (earlier.error or "")
        old = s.get_one(Proposal, old_id)
        assert f"submission {v2}" in (old.reason or "") and old.decided_by == "ingest"
        [sub_event] = events_for(session=s, entity="submission", entity_id=v1)
        [prop_event] = events_for(session=s, entity="proposal", entity_id=old.id)
    for event, before in ((sub_event, "proposed"), (prop_event, "proposed")):
        assert (event.actor, event.action.split(".")[1]) == ("ingest", "supersede")
        assert event.before == {"status": before}
        assert event.after == {"status": "superseded", "superseded_by": v2}


def test_every_version_of_a_scanner_adding_pages_leaves_one_proposal(factory):
    ids = []
    for page in range(1, 5):  # a page a minute, each a complete, larger PDF
        ids.append(arrive(factory, 1000 * page, page))
        read(factory, page + 0.5)
    got = state(factory)
    assert [got[i][0] for i in ids] == ["superseded"] * 3 + ["proposed"]
    live = [p for _, proposals in got.values() for p in proposals if p[0] == "proposed"]
    assert len(live) == 1


def test_an_earlier_version_not_yet_read_is_never_read(factory):
    v1 = arrive(factory, 1000, 0)
    v2 = arrive(factory, 1500, 0.5)
    assert claim(factory, "w", 1) == v2
    with factory.begin() as s:
        assert queue.claim_next(session=s, worker_id="x", lease_seconds=30, now=T0) is None
    assert state(factory)[v1] == ("superseded", [])


def test_a_worker_reading_the_earlier_version_loses_its_lease(factory):
    v1 = arrive(factory, 1000, 0)
    claim(factory, "reader", 0.1)
    v2 = arrive(factory, 1500, 0.5)  # grows while the first is being read
    with pytest.raises(LeaseLost):
        complete(factory, v1, "reader", 0.6)
    read(factory, 0.7)
    got = state(factory)
    assert got[v1] == ("superseded", [])
    assert [p[0] for p in got[v2][1]] == ["proposed"]


@pytest.mark.parametrize("decided", ["approved", "rejected"])
def test_a_reviewed_earlier_version_stays_and_the_new_proposal_is_flagged(factory, decided):
    v1 = arrive(factory, 1000, 0)
    read(factory, 0.1)
    pid, now = proposal_of(factory, v1), T0 + dt.timedelta(minutes=0.5)
    with factory.begin() as s:
        if decided == "approved":
            approve_proposal(session=s, proposal_id=pid, reviewer="anna", now=now)
        else:
            reject_proposal(session=s, proposal_id=pid, reviewer="anna", reason="fel", now=now)
    v2 = arrive(factory, 2000, 1)
    read(factory, 1.1)
    v3 = arrive(factory, 3000, 2)  # grows again: supersedes v2, still flagged
    read(factory, 2.1)
    got = state(factory)
    # the reviewed submission is never superseded, nor its decision undone
    assert (got[v1][0], got[v1][1][0][0]) == ("proposed", decided)
    assert got[v2][0] == "superseded"
    [(status, flags)] = got[v3][1]
    assert status == "proposed" and supersede.GROWN_FLAG in flags


@pytest.mark.parametrize(
    ("size", "minute", "name", "earlier_status"),
    [
        (1000, 1, "scan.pdf", "proposed"),  # not larger
        (900, 1, "scan.pdf", "proposed"),  # smaller
        (2000, 16, "scan.pdf", "proposed"),  # outside the window
        (2000, 1, "other.pdf", "proposed"),  # another name
        (2000, 1, "batch/scan.pdf", "proposed"),  # the same file name in a sub-folder
    ],
    ids=["same-size", "smaller", "too-late", "other-name", "other-folder"],
)
def test_not_a_growth_supersedes_nothing(factory, size, minute, name, earlier_status):
    v1 = arrive(factory, 1000, 0)
    read(factory, 0.1)
    v2 = arrive(factory, size, minute, name=name)
    read(factory, minute + 0.1)
    got = state(factory)
    assert got[v1][0] == earlier_status and got[v2][0] == "proposed"


def test_a_quarantined_earlier_file_is_left_as_it_is(factory):
    with factory.begin() as s:
        bad = queue.record_quarantined(
            session=s,
            sha256=sha("bad"),
            file_name="scan.pdf",
            size=10,
            reason="truncated",
            error="no %%EOF",
            now=T0,
        )
        bad_id = bad.id
    v2 = arrive(factory, 2000, 1)
    read(factory, 1.1)
    got = state(factory)
    assert got[bad_id] == ("quarantined", []) and got[v2][0] == "proposed"


def test_signreg_submissions_reports_a_superseded_one_as_a_duplicate(factory):
    from registry.submission_list import list_submissions

    v1 = arrive(factory, 1000, 0)
    v2 = arrive(factory, 2000, 1)
    with factory() as s:
        rows = {r.id: r for r in list_submissions(s.connection())}
    assert (rows[v1].status, rows[v1].superseded) == ("duplicate", True)
    assert f"submission {v2}" in (rows[v1].error or "")
    assert (rows[v2].status, rows[v2].superseded) == ("received", False)
