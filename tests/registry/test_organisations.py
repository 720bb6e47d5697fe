"""Search, edit and merge organisations (audited); matching after a merge. Both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from registry import organisations as orgs
from registry.audit import events_for
from registry.errors import Conflict, ValidationError
from registry.matching import find_candidates
from registry.merging import merge_organisations
from registry.models import Organisation, Proposal, Signatory
from registry.signatories import public_signatories
from tests.registry.helpers import seed_declaration
from tests.registry.members import add_member

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def factory(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    seed_declaration(session_factory)
    seed_declaration(session_factory, "cemr-charter", years=4)
    return session_factory


def _org_of(factory: sessionmaker[Session], member_id: int) -> int:
    with factory() as s:
        member = s.get(Signatory, member_id)
        assert member is not None
        return member.organisation_id


def test_search_by_name_alias_and_number(factory) -> None:
    a = _org_of(factory, add_member(factory, "Luleå kommun", number="212000-2742"))
    b = _org_of(factory, add_member(factory, "Boliden Mineral AB"))
    with factory.begin() as s:
        org = s.get(Organisation, b)
        assert org is not None
        org.aliases = ["Boliden Rönnskär"]
    with factory() as s:
        assert [o.id for o in orgs.search_organisations(session=s, q=None)] == [b, a]
        assert [o.id for o in orgs.search_organisations(session=s, q="luleå")] == [a]
        assert [o.id for o in orgs.search_organisations(session=s, q="RÖNNSKÄR")] == [b]
        assert [o.id for o in orgs.search_organisations(session=s, q="2120002742")] == [a]
        assert [o.id for o in orgs.search_organisations(session=s, q="212000-27")] == [a]
        assert orgs.search_organisations(session=s, q="Skellefteå") == []


def _edit(factory: sessionmaker[Session], oid: int, **changes: object) -> None:
    values: dict[str, object] = {
        "actor": "a",
        "name": "Luleå kommun",
        "number": "",
        "county": "Norrbotten",
        "aliases": [],
        **changes,
    }
    with factory.begin() as s:
        orgs.update_organisation(session=s, organisation_id=oid, now=NOW, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"number": "212000-2743"}, ValidationError, "organisation_number"),  # Luhn
        ({"number": "5560513102"}, Conflict, None),  # another organisation's
        ({"county": "Lappland"}, ValidationError, "county"),
        ({"name": "  "}, ValidationError, "name"),
    ],
)
def test_a_bad_edit_is_refused_and_changes_nothing(factory, changes, error, field) -> None:
    oid = _org_of(factory, add_member(factory, "Kommunen"))
    add_member(factory, "Annan AB", number="556051-3102")
    with pytest.raises(error) as e:
        _edit(factory, oid, **changes)
    assert getattr(e.value, "field", None) == field
    with factory() as s:
        org = s.get(Organisation, oid)
        assert org is not None and (org.name, org.organisation_number) == ("Kommunen", None)
        assert events_for(session=s, entity="organisation", entity_id=oid) == []


def test_edit_checks_the_number_keeps_the_old_name_and_audits(factory) -> None:
    oid = _org_of(factory, add_member(factory, "Kommunen"))
    _edit(
        factory,
        oid,
        actor="web:anna",
        name=" Luleå  kommun ",
        number="2120002742",
        county="norrbotten",
        aliases=["Lulea kommun", "", "luleå kommun"],
    )
    with factory() as s:
        org = s.get(Organisation, oid)
        assert org is not None
        assert (org.name, org.organisation_number, org.county) == (
            "Luleå kommun",
            "212000-2742",
            "Norrbotten",
        )
        assert org.aliases == ["Lulea kommun", "Kommunen"]
        [event] = events_for(session=s, entity="organisation", entity_id=oid)
        assert event.action == "organisation.update" and event.actor == "web:anna"
        assert (event.before or {})["name"] == "Kommunen"
        assert (event.after or {})["organisation_number"] == "212000-2742"


def test_merge_moves_memberships_keeps_aliases_and_matching_finds_the_target(factory) -> None:
    newer = add_member(factory, "Kuusakoski AB", signed="2024-01-01", number="556051-3102")
    dup = _org_of(factory, newer)
    charter = add_member(factory, "Kuusakoski AB", signed="2023-06-01", declaration="cemr-charter")
    assert _org_of(factory, charter) == dup
    older = add_member(factory, "Kuusakoski Sverige AB", signed="2023-05-11")
    target = _org_of(factory, older)
    assert target != dup
    with factory.begin() as s:
        merge_organisations(
            session=s, organisation_id=dup, into_id=target, actor="web:anna", now=NOW
        )
    with factory() as s:
        merged, kept = s.get(Organisation, dup), s.get(Organisation, target)
        assert merged is not None and kept is not None
        assert merged.merged_into_id == target and merged.name == "Kuusakoski AB"
        assert kept.aliases == ["Kuusakoski AB"]
        assert kept.organisation_number == "556051-3102" and merged.organisation_number is None
        members = {
            m.id: m for m in s.scalars(select(Signatory).where(Signatory.organisation_id == target))
        }
        assert sorted(members) == sorted([older, charter])  # the charter's moved over
        # both had one for jämställd industri: the newer signed (the duplicate's) is kept,
        # on the target's row, with the proposal that made it pointing there
        row = members[older]
        assert (row.signed_date, row.active, row.follow_up_due) == (
            dt.date(2024, 1, 1),
            True,
            dt.date(2026, 1, 1),
        )
        proposal = s.get(Proposal, row.proposal_id)
        assert proposal is not None
        assert (proposal.signatory_id, proposal.organisation_id) == (older, target)
        left = s.get(Signatory, newer)
        assert left is not None and left.active is False and left.organisation_id == dup
        [event] = [
            e
            for e in events_for(session=s, entity="organisation", entity_id=dup)
            if e.action == "organisation.merge"
        ]
        after = event.after or {}
        assert after["moved_signatories"] == [charter]
        [superseded] = after["superseded"]
        assert superseded["superseded"]["signed_date"] == "2023-05-11"
        assert superseded["kept"]["signed_date"] == "2024-01-01"
        assert events_for(session=s, entity="organisation", entity_id=target)[-1].action == (
            "organisation.merged_in"
        )
        found = find_candidates(session=s, name="Kuusakoski AB", organisation_number=None)
        assert (found[0].organisation_id, found[0].matched_on) == (target, "alias")
        assert dup not in [c.organisation_id for c in found]
        assert orgs.find_by_name(session=s, name="Kuusakoski AB") is kept
        assert orgs.get_organisation(session=s, organisation_id=dup, follow=True) is kept
        assert dup not in [o.id for o in orgs.search_organisations(session=s, q="Kuusakoski")]
        rows, total = public_signatories(session=s)
        assert total == 2 and {r.organisation for r in rows} == {"Kuusakoski Sverige AB"}


def test_merge_refuses_itself_a_merged_one_and_two_numbers(factory) -> None:
    a = _org_of(factory, add_member(factory, "A AB", number="556051-3102"))
    b = _org_of(factory, add_member(factory, "B AB", number="212000-2742"))
    c = _org_of(factory, add_member(factory, "C AB"))
    with factory.begin() as s, pytest.raises(ValidationError):
        merge_organisations(session=s, organisation_id=a, into_id=a, actor="x", now=NOW)
    with factory.begin() as s, pytest.raises(Conflict):
        merge_organisations(session=s, organisation_id=a, into_id=b, actor="x", now=NOW)
    with factory.begin() as s:
        merge_organisations(session=s, organisation_id=c, into_id=a, actor="x", now=NOW)
    with factory.begin() as s, pytest.raises(Conflict):
        merge_organisations(session=s, organisation_id=b, into_id=c, actor="x", now=NOW)
    with factory.begin() as s, pytest.raises(Conflict):
        orgs.update_organisation(
            session=s,
            organisation_id=c,
            actor="x",
            now=NOW,
            name="C",
            number=None,
            county=None,
            aliases=[],
        )
