"""Withdraw, lapse, reinstate and follow up a membership, each audited; the follow-up
lists. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from registry import follow_up, standing
from registry.audit import events_for
from registry.errors import InvalidTransition, NotFound, ValidationError
from registry.follow_up import due_for_follow_up
from registry.models import Signatory
from registry.reviewers import Scope
from tests.registry.helpers import seed_declaration
from tests.registry.members import add_member

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture
def factory(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    seed_declaration(session_factory)
    return session_factory


def _member(factory: sessionmaker[Session], member_id: int) -> Signatory:
    with factory() as s:
        row = s.get(Signatory, member_id)
        assert row is not None
        return row


def test_withdraw_then_reinstate_keeps_the_row_and_audits_each(factory) -> None:
    mid = add_member(factory, "Boliden Mineral AB")
    with factory.begin() as s:
        standing.withdraw_signatory(
            session=s,
            signatory_id=mid,
            actor="web:anna",
            reason="  Organisationen har lämnat  ",
            on=dt.date(2026, 2, 1),
            now=NOW,
        )
    row = _member(factory, mid)
    assert (row.status, row.status_since, row.status_reason, row.active) == (
        "withdrawn",
        dt.date(2026, 2, 1),
        "Organisationen har lämnat",
        True,
    )
    with factory.begin() as s:
        standing.reinstate_signatory(session=s, signatory_id=mid, actor="web:bo", now=NOW)
    row = _member(factory, mid)
    assert (row.status, row.status_since, row.status_reason) == ("active", TODAY, None)
    with factory() as s:
        events = events_for(session=s, entity="signatory", entity_id=mid)
    assert [(e.action, e.actor) for e in events] == [
        ("signatory.withdraw", "web:anna"),
        ("signatory.reinstate", "web:bo"),
    ]
    assert (events[0].before or {})["status"] == "active"
    assert (events[0].after or {})["status_since"] == "2026-02-01"
    assert (events[1].before or {})["status"] == "withdrawn"


@pytest.mark.parametrize(
    ("reason", "on", "field"),
    [
        ("", dt.date(2026, 2, 1), "reason"),
        ("left", TODAY + dt.timedelta(days=5), "date"),
        ("left", dt.date(2023, 5, 10), "date"),  # before it was signed
    ],
)
def test_a_withdrawal_needs_a_reason_and_a_day_that_can_be(factory, reason, on, field) -> None:
    mid = add_member(factory, "Boliden Mineral AB")
    with factory.begin() as s, pytest.raises(ValidationError) as e:
        standing.withdraw_signatory(
            session=s, signatory_id=mid, actor="a", reason=reason, on=on, now=NOW
        )
    assert e.value.field == field
    assert _member(factory, mid).status == "active"


def test_lapse_only_from_active_then_withdraw_or_reinstate(factory) -> None:
    mid = add_member(factory, "Tromb AB")
    with factory.begin() as s:
        standing.mark_lapsed(session=s, signatory_id=mid, actor="a", on=TODAY, now=NOW)
    row = _member(factory, mid)
    assert (row.status, row.status_since, row.status_reason) == (
        "lapsed",
        TODAY,
        "follow-up not answered",
    )
    with factory.begin() as s, pytest.raises(InvalidTransition):
        standing.mark_lapsed(session=s, signatory_id=mid, actor="a", on=TODAY, now=NOW)
    with factory.begin() as s, pytest.raises(InvalidTransition):
        follow_up.mark_followed_up(session=s, signatory_id=mid, actor="a", on=TODAY, now=NOW)
    with factory.begin() as s:
        standing.withdraw_signatory(
            session=s, signatory_id=mid, actor="a", reason="svarade inte", on=TODAY, now=NOW
        )
    with factory.begin() as s:
        standing.reinstate_signatory(session=s, signatory_id=mid, actor="a", now=NOW)
    with factory.begin() as s, pytest.raises(InvalidTransition):
        standing.reinstate_signatory(session=s, signatory_id=mid, actor="a", now=NOW)
    with factory.begin() as s, pytest.raises(NotFound):
        standing.reinstate_signatory(session=s, signatory_id=9999, actor="a", now=NOW)


def test_followed_up_moves_the_next_follow_up_on_from_that_day(factory) -> None:
    mid = add_member(factory, "Tromb AB", signed="2023-05-11")
    assert _member(factory, mid).follow_up_due == dt.date(2025, 5, 11)
    with factory.begin() as s:
        follow_up.mark_followed_up(
            session=s, signatory_id=mid, actor="web:anna", on=dt.date(2026, 2, 20), now=NOW
        )
    assert _member(factory, mid).follow_up_due == dt.date(2028, 2, 20)
    with factory() as s:
        [event] = events_for(session=s, entity="signatory", entity_id=mid)
    assert event.action == "signatory.followed_up"
    assert ((event.before or {})["follow_up_due"], (event.after or {})["follow_up_due"]) == (
        "2025-05-11",
        "2028-02-20",
    )


def test_follow_ups_due_and_overdue_in_scope_and_in_good_standing(factory) -> None:
    overdue = add_member(factory, "Gammal AB", signed="2023-05-11")  # due 2025-05-11
    soon = add_member(factory, "Snart AB", signed="2024-06-01")  # due 2026-06-01
    add_member(factory, "Sent AB", signed="2025-01-01")  # due 2027-01-01: not within 6
    vb = add_member(factory, "Umeå AB", county="Västerbotten", signed="2024-04-01")
    gone = add_member(factory, "Borta AB", signed="2023-01-01")
    with factory.begin() as s:
        standing.withdraw_signatory(
            session=s, signatory_id=gone, actor="a", reason="lämnade", on=TODAY, now=NOW
        )
    with factory() as s:
        got = follow_up.follow_ups(session=s, today=TODAY, months=6)
        assert [m.id for m in got.overdue] == [overdue]
        assert [m.id for m in got.due] == [vb, soon]
        assert got.until == dt.date(2026, 9, 1)
        norrbotten = Scope(counties=frozenset({"norrbotten"}))
        mine = follow_up.follow_ups(session=s, today=TODAY, months=6, scope=norrbotten)
        assert vb not in [m.id for m in mine.due]
        only_vb = follow_up.follow_ups(session=s, today=TODAY, months=6, county="västerbotten")
        assert [m.id for m in only_vb.due] == [vb] and only_vb.overdue == []
        assert [m.id for m in due_for_follow_up(session=s, on=TODAY)] == [overdue]
