"""The overview's numbers on seeded data, exact, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from registry import stats
from registry.models import (
    Organisation,
    Proposal,
    ProposalStatus,
    Signatory,
    SignatoryStatus,
)
from registry.reviewers import Scope
from tests.registry.helpers import SLUG, Profile, propose, result

TODAY = dt.date(2026, 3, 15)
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)
OTHER = "cemr-charter"
EVERYTHING = Scope()
NORRBOTTEN = Scope(counties=frozenset({"norrbotten"}))
CHARTER_ONLY = Scope(declarations=frozenset({OTHER}))


def _member(
    s: Session,
    org: Organisation,
    declaration_id: int,
    *,
    signed: dt.date,
    due: dt.date,
    status: str = SignatoryStatus.ACTIVE,
    active: bool = True,
) -> None:
    s.add(
        Signatory(
            organisation_id=org.id,
            declaration_id=declaration_id,
            signed_date=signed,
            verified_by="test",
            verified_at=NOW,
            follow_up_due=due,
            active=active,
            status=status,
        )
    )


@pytest.fixture
def seeded(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Signatories: industri 4 active (Norrbotten 2 incl. one spelt 'NORRBOTTEN',
    Västerbotten 1, no county 1) + 1 withdrawn + 1 undone; charter 1 active (Västerbotten).
    Proposals waiting: 5 (ages 2 h, 3 d, 10 d, 40 d, 60 d); one approved, not waiting."""
    from registry.declarations import ensure_declarations

    with session_factory.begin() as s:
        ind, charter = ensure_declarations(
            session=s, profiles=[Profile(SLUG, "Jämställd industri"), Profile(OTHER, "CEMR")]
        )
        counties = ["Norrbotten", "NORRBOTTEN", "Västerbotten", None, "Norrbotten", "Västerbotten"]
        orgs = [Organisation(name=f"Org {i}", county=c) for i, c in enumerate(counties)]
        s.add_all(orgs)
        s.flush()
        # signed: two in March 2026, one in Jan 2025, one in April 2024 (the window's first
        # month), one in March 2024 (just outside 24 months)
        _member(s, orgs[0], ind.id, signed=dt.date(2026, 3, 2), due=dt.date(2026, 3, 1))  # overdue
        _member(s, orgs[1], ind.id, signed=dt.date(2026, 3, 14), due=dt.date(2026, 3, 15))  # <3
        _member(s, orgs[2], ind.id, signed=dt.date(2025, 1, 20), due=dt.date(2026, 6, 15))  # 3–6
        _member(s, orgs[3], ind.id, signed=dt.date(2024, 4, 1), due=dt.date(2027, 3, 14))  # 6–12
        _member(
            s,
            orgs[4],
            ind.id,
            signed=dt.date(2024, 3, 31),
            due=dt.date(2026, 1, 1),
            status=SignatoryStatus.WITHDRAWN,
        )
        _member(
            s, orgs[5], ind.id, signed=dt.date(2026, 3, 3), due=dt.date(2026, 1, 1), active=False
        )
        _member(s, orgs[5], charter.id, signed=dt.date(2025, 1, 5), due=dt.date(2027, 3, 15))
    ids = propose(
        session_factory,
        result(county="Norrbotten"),
        result(county="Norrbotten", organisation_number="556036-0793"),
        result(county="Västerbotten", organisation_number="556016-0680"),
        result(county=None, organisation_number="212000-2627"),
        result(county="Norrbotten", declaration=OTHER, organisation_number="202100-5489"),
        result(county="Norrbotten", organisation_number="556677-8899"),
    )
    ages = [
        dt.timedelta(hours=2),
        dt.timedelta(days=3),
        dt.timedelta(days=10),
        dt.timedelta(days=40),
        dt.timedelta(days=60),
        dt.timedelta(days=90),
    ]
    with session_factory.begin() as s:
        for pid, age in zip(ids, ages, strict=True):
            p = s.get(Proposal, pid)
            assert p is not None
            p.created_at = NOW - age
        done = s.get(Proposal, ids[-1])
        assert done is not None
        done.status = ProposalStatus.APPROVED
    return session_factory


def test_verified_per_declaration_counts_active_standing_only(
    seeded: sessionmaker[Session],
) -> None:
    with seeded() as s:
        rows = stats.per_declaration(session=s, scope=EVERYTHING)
        assert [(r.slug, r.count) for r in rows] == [(OTHER, 1), (SLUG, 4)]
        assert [(r.slug, r.count) for r in stats.per_declaration(session=s, scope=NORRBOTTEN)] == [
            (OTHER, 0),
            (SLUG, 2),
        ]
        assert [r.slug for r in stats.per_declaration(session=s, scope=CHARTER_ONLY)] == [OTHER]


def test_per_county_merges_spellings_and_keeps_the_unknown(seeded: sessionmaker[Session]) -> None:
    with seeded() as s:
        assert stats.per_county(session=s, scope=EVERYTHING) == [
            ("Norrbotten", 2),
            ("Västerbotten", 2),
            (None, 1),
        ]
        assert stats.per_county(session=s, scope=NORRBOTTEN) == [("Norrbotten", 2)]
        assert stats.per_county(session=s, scope=CHARTER_ONLY) == [("Västerbotten", 1)]


def test_per_month_covers_24_months_oldest_first(seeded: sessionmaker[Session]) -> None:
    with seeded() as s:
        months = stats.per_month(session=s, scope=EVERYTHING, today=TODAY)
    assert len(months) == 24
    assert months[0] == ("2024-04", 1) and months[-1] == ("2026-03", 2)
    assert dict(months)["2025-01"] == 2  # one per declaration
    assert sum(n for _, n in months) == 5  # March 2024 is outside; the undone row is in no list


def test_queue_age_buckets_and_oldest(seeded: sessionmaker[Session]) -> None:
    with seeded() as s:
        queue = stats.queue_age(session=s, scope=EVERYTHING, now=NOW)
        assert queue.waiting == 5
        assert queue.buckets == {
            "under_1_day": 1,
            "1_to_7_days": 1,
            "7_to_30_days": 1,
            "over_30_days": 2,
        }
        assert queue.oldest == NOW - dt.timedelta(days=60)
        mine = stats.queue_age(session=s, scope=NORRBOTTEN, now=NOW)
        assert mine.waiting == 3 and mine.buckets["over_30_days"] == 1
        charter = stats.queue_age(session=s, scope=CHARTER_ONLY, now=NOW)
        assert charter.waiting == 1 and charter.oldest == NOW - dt.timedelta(days=60)


def test_an_empty_queue_has_no_oldest(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        queue = stats.queue_age(session=s, scope=EVERYTHING, now=NOW)
    assert queue.waiting == 0 and queue.oldest is None
    assert set(queue.buckets.values()) == {0}


def test_follow_ups_by_when_due(seeded: sessionmaker[Session]) -> None:
    with seeded() as s:
        assert stats.follow_ups(session=s, scope=EVERYTHING, today=TODAY) == {
            "overdue": 1,
            "within_3_months": 1,
            "3_to_6_months": 1,
            "6_to_12_months": 1,  # the charter's falls on the day 12 months on: outside
        }
        assert stats.follow_ups(session=s, scope=NORRBOTTEN, today=TODAY)["overdue"] == 1


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2026, 3, 15), -23, dt.date(2024, 4, 15)),
        (dt.date(2026, 12, 1), 1, dt.date(2027, 1, 1)),
        (dt.date(2026, 11, 30), 12, dt.date(2027, 11, 30)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert stats.add_months(day, months) == expected
