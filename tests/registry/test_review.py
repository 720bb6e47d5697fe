from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from registry import follow_up, review
from registry.audit import events_for
from registry.errors import Conflict, InvalidTransition, ValidationError
from registry.lexicon import verified_lexicon
from registry.models import AuditEvent, Organisation, Proposal, Signatory
from registry.schemas import SignatoryPublic
from registry.signatories import add_years, public_signatories
from tests.registry.helpers import T0, propose, result, seed_declaration

LATER = T0 + dt.timedelta(days=1)


@pytest.fixture
def factory(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    seed_declaration(session_factory)
    return session_factory


def test_approve_with_corrections_creates_signatory_and_audits(
    factory: sessionmaker[Session],
) -> None:
    (pid,) = propose(factory, result(organisation="Kuusakosk Sverige AB", confidence=0.8))
    with factory.begin() as s:
        member = review.approve_proposal(
            session=s,
            proposal_id=pid,
            reviewer="maria",
            corrections={"organisation": "Kuusakoski Sverige AB", "county": "Norrbotten"},
            now=T0,
        )
        member_id = member.id
    with factory() as s:
        m = s.get(Signatory, member_id)
        assert m is not None
        assert (m.organisation.name, m.organisation.organisation_number) == (
            "Kuusakoski Sverige AB",
            "556051-3102",
        )
        assert m.signed_date == dt.date(2023, 5, 11)
        assert m.follow_up_due == dt.date(2025, 5, 11)
        assert (m.signer_name, m.verified_by, m.verified_at, m.source, m.active) == (
            "Anna Berg",
            "maria",
            T0,
            "scan",
            True,
        )
        p = s.get(Proposal, pid)
        assert p is not None and p.status == "approved" and p.signatory_id == m.id
        assert p.corrections == {
            "organisation": {"before": "Kuusakosk Sverige AB", "after": "Kuusakoski Sverige AB"}
        }
        (event,) = events_for(session=s, entity="proposal", entity_id=pid)
        assert (event.actor, event.action, event.at) == ("maria", "proposal.approve", T0)
        assert event.before is not None and event.after is not None
        assert event.before["status"] == "proposed" and event.before["signatory"] is None
        assert event.after["corrections"]["organisation"]["before"] == "Kuusakosk Sverige AB"
        assert event.after["signatory"]["follow_up_due"] == "2025-05-11"
        assert verified_lexicon(session=s) == {"556051-3102": "Kuusakoski Sverige AB"}
        public = SignatoryPublic.of(m).model_dump()
        assert "signer_name" not in public and "Anna Berg" not in str(public)


def test_approve_validates_corrections(factory: sessionmaker[Session]) -> None:
    (pid,) = propose(factory, result())
    for bad in (
        {"signed_date": "11 maj"},
        {"organisation_number": "123"},
        {"colour": "red"},
        {"declaration": "nope"},
    ):
        with factory.begin() as s, pytest.raises(ValidationError):
            review.approve_proposal(
                session=s, proposal_id=pid, reviewer="r", corrections=bad, now=T0
            )
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Signatory)) == 0
        assert s.get(Proposal, pid).status == "proposed"  # type: ignore[union-attr]


def test_reject_needs_reason_and_decisions_are_final_until_reopened(
    factory: sessionmaker[Session],
) -> None:
    (pid,) = propose(factory, result())
    with factory.begin() as s, pytest.raises(ValidationError):
        review.reject_proposal(session=s, proposal_id=pid, reviewer="r", reason=" ", now=T0)
    with factory.begin() as s:
        p = review.reject_proposal(
            session=s, proposal_id=pid, reviewer="r", reason="unsigned", now=T0
        )
        assert (p.status, p.reason) == ("rejected", "unsigned")
    with factory.begin() as s, pytest.raises(InvalidTransition):
        review.approve_proposal(session=s, proposal_id=pid, reviewer="r", now=T0)
    with factory.begin() as s:
        review.reopen_proposal(
            session=s, proposal_id=pid, reviewer="boss", reason="mistake", now=LATER
        )
    with factory.begin() as s:
        review.approve_proposal(session=s, proposal_id=pid, reviewer="boss", now=LATER)
    with factory.begin() as s, pytest.raises(InvalidTransition):
        review.reject_proposal(session=s, proposal_id=pid, reviewer="r", reason="x", now=T0)
    with factory() as s:
        actions = [e.action for e in events_for(session=s, entity="proposal", entity_id=pid)]
        assert actions == ["proposal.reject", "proposal.reopen", "proposal.approve"]


def test_renewal_updates_membership_and_reopen_restores_it(factory: sessionmaker[Session]) -> None:
    (first,) = propose(factory, result(), name="a")
    with factory.begin() as s:
        review.approve_proposal(session=s, proposal_id=first, reviewer="r", now=T0)
    (second,) = propose(
        factory, result(signed_date="2025-06-01", signatory_name="Per Lind"), name="b"
    )
    with factory.begin() as s:
        renewed = review.approve_proposal(session=s, proposal_id=second, reviewer="r2", now=LATER)
        assert (renewed.signed_date, renewed.follow_up_due, renewed.signer_name) == (
            dt.date(2025, 6, 1),
            dt.date(2027, 6, 1),
            "Per Lind",
        )
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Signatory)) == 1
        assert s.scalar(select(func.count()).select_from(Organisation)) == 1
    # undoing the first decision while the second stands is refused
    with factory.begin() as s, pytest.raises(Conflict):
        review.reopen_proposal(session=s, proposal_id=first, reviewer="r", now=LATER)
    with factory.begin() as s:
        review.reopen_proposal(session=s, proposal_id=second, reviewer="r", now=LATER)
    with factory() as s:
        (m,) = s.scalars(select(Signatory)).all()
        assert (m.signed_date, m.signer_name, m.verified_by, m.proposal_id, m.active) == (
            dt.date(2023, 5, 11),
            "Anna Berg",
            "r",
            first,
            True,
        )
    with factory.begin() as s:
        review.reopen_proposal(session=s, proposal_id=first, reviewer="r", now=LATER)
    with factory() as s:
        (m,) = s.scalars(select(Signatory)).all()
        assert not m.active
        assert public_signatories(session=s) == ([], 0)
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 4


def test_approve_links_to_the_organisation_the_reviewer_names(
    factory: sessionmaker[Session],
) -> None:
    with factory.begin() as s:
        org = Organisation(
            name="Luossavaara-Kiirunavaara AB",
            organisation_number=None,
            county="Norrbotten",
            aliases=[],
        )
        s.add(org)
        s.flush()
        org_id = org.id
    (pid,) = propose(factory, result(organisation="LKAB", organisation_number="556001-5835"))
    with factory.begin() as s:
        m = review.approve_proposal(
            session=s, proposal_id=pid, reviewer="r", organisation_id=org_id, now=T0
        )
        assert m.organisation_id == org_id
    with factory() as s:
        org2 = s.get(Organisation, org_id)
        assert org2 is not None
        assert org2.aliases == ["LKAB"] and org2.organisation_number == "556001-5835"


def test_due_for_follow_up(factory: sessionmaker[Session]) -> None:
    ids = []
    for i, day in enumerate(["2022-01-10", "2023-05-11", "2024-02-29"]):
        ids += propose(
            factory,
            result(organisation=f"Org {i}", organisation_number=None, signed_date=day),
            name=f"s{i}",
        )
    with factory.begin() as s:
        for pid in ids:
            review.approve_proposal(session=s, proposal_id=pid, reviewer="r", now=T0)
    with factory() as s:
        due = follow_up.due_for_follow_up(session=s, on=dt.date(2025, 5, 11))
        assert [m.organisation.name for m in due] == ["Org 0", "Org 1"]
        assert [str(m.follow_up_due) for m in due] == ["2024-01-10", "2025-05-11"]
        assert follow_up.due_for_follow_up(session=s, on=dt.date(2024, 1, 9)) == []
    assert add_years(dt.date(2024, 2, 29), 2) == dt.date(2026, 2, 28)


def test_audit_events_cannot_be_changed(factory: sessionmaker[Session]) -> None:
    (pid,) = propose(factory, result())
    with factory.begin() as s:
        review.reject_proposal(session=s, proposal_id=pid, reviewer="r", reason="x", now=T0)
    with factory() as s, pytest.raises(RuntimeError, match="append-only"):
        event = s.scalars(select(AuditEvent)).one()
        event.actor = "someone else"
        s.flush()


def test_a_superseded_proposal_cannot_be_reopened(session_factory) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    import pytest

    from registry.errors import InvalidTransition
    from registry.models import Proposal, ProposalStatus
    from registry.review import reopen_proposal
    from tests.registry.helpers import propose, result, seed_declaration

    seed_declaration(session_factory)
    (pid,) = propose(session_factory, result())
    with session_factory.begin() as s:
        s.get(Proposal, pid).status = ProposalStatus.SUPERSEDED  # type: ignore[union-attr]
    with pytest.raises(InvalidTransition), session_factory.begin() as s:
        reopen_proposal(session=s, proposal_id=pid, reviewer="t", now=dt.datetime.now(dt.UTC))
