from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from registry import review
from registry.matching import find_candidates, normalise_name
from registry.models import Organisation, Proposal
from registry.orgnr import normalise_orgnr
from tests.registry.helpers import T0, propose, result, seed_declaration


def _orgs(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        s.add_all(
            [
                Organisation(
                    name="Kuusakoski Sverige AB",
                    organisation_number="556051-3102",
                    county="Norrbotten",
                    aliases=[],
                ),
                Organisation(
                    name="Luleå kommun",
                    organisation_number="212000-2411",
                    county="Norrbotten",
                    aliases=["Luleå"],
                ),
                Organisation(
                    name="Luleå tekniska universitet",
                    organisation_number=None,
                    county="Norrbotten",
                    aliases=["LTU"],
                ),
                Organisation(
                    name="Skellefteå kommun",
                    organisation_number=None,
                    county="Västerbotten",
                    aliases=[],
                ),
            ]
        )


def test_orgnr_and_name_normalisation() -> None:
    assert normalise_orgnr("5560513102") == "556051-3102"
    assert normalise_orgnr("16556051-3102") == "556051-3102"
    assert normalise_orgnr("556051-3101") is None  # Luhn
    assert normalise_orgnr("55605") is None
    assert normalise_name("Kuusakoski Sverige AB") == "kuusakoski sverige"
    assert normalise_name("LULEÅ KOMMUN") == "luleå"


def test_exact_number_first_then_fuzzy_names_all_scored(
    session_factory: sessionmaker[Session],
) -> None:
    _orgs(session_factory)
    with session_factory() as s:
        got = find_candidates(session=s, name="Luleå Kommun", organisation_number="556051-3102")
        assert got[0].name == "Kuusakoski Sverige AB"
        assert (got[0].score, got[0].matched_on) == (1.0, "organisation_number")
        assert got[1].name == "Luleå kommun" and got[1].score == 1.0
        assert all(0.5 <= c.score <= 1.0 for c in got)
        assert [c.score for c in got[1:]] == sorted((c.score for c in got[1:]), reverse=True)
        fuzzy = find_candidates(session=s, name="Kuusakoski Sverge", organisation_number=None)
        assert fuzzy[0].name == "Kuusakoski Sverige AB" and 0.85 < fuzzy[0].score < 1.0
        alias = find_candidates(session=s, name="LTU", organisation_number=None)
        assert (alias[0].name, alias[0].matched_on) == ("Luleå tekniska universitet", "alias")
        assert find_candidates(session=s, name="Zzyzx Qwerty", organisation_number=None) == []
        assert (
            len(find_candidates(session=s, name="kommun", organisation_number=None, min_score=0))
            <= 5
        )


def _flags(factory: sessionmaker[Session], pid: int) -> list[str]:
    with factory() as s:
        p = s.get(Proposal, pid)
        assert p is not None
        return list(p.flags)


def test_clean_read_has_no_flags(session_factory: sessionmaker[Session]) -> None:
    seed_declaration(session_factory)
    (pid,) = propose(session_factory, result())
    assert _flags(session_factory, pid) == []


def test_flags_unsigned_invalid_orgnr_low_confidence_unknown_declaration(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    ids = propose(
        session_factory,
        result(signed=False),
        result(organisation_number="556051-3101", organisation="Nymek AB"),
        result(confidence=0.6, organisation="Talga AB", organisation_number="559014-2435"),
        result(declaration=None, organisation="Tromb", organisation_number=None, email=None),
        result(declaration="no-such-form", organisation="Polarbröd", signatory_name=None),
        result(flags=("ocr:name_from_lexicon",), organisation="SSAB", organisation_number=None),
    )
    flags = [_flags(session_factory, pid) for pid in ids]
    assert flags[0] == ["unsigned"]
    assert flags[1] == ["invalid_orgnr"]
    assert flags[2] == [
        f"low_confidence:{n}"
        for n in (
            "organisation",
            "organisation_number",
            "county",
            "place",
            "signed_date",
            "signatory_name",
            "signatory_title",
            "email",
        )
    ]
    assert flags[3] == ["unknown_declaration", "low_confidence:organisation_number"]
    assert "unknown_declaration" in flags[4] and "low_confidence:signatory_name" in flags[4]
    assert flags[5] == ["low_confidence:organisation_number", "ocr:name_from_lexicon"]


def test_flags_orgnr_name_mismatch(session_factory: sessionmaker[Session]) -> None:
    seed_declaration(session_factory)
    _orgs(session_factory)
    (pid,) = propose(session_factory, result(organisation="Polarbröd AB"))
    assert _flags(session_factory, pid) == ["orgnr_name_mismatch"]


def test_flags_renewal_new_signer_and_duplicate_scan(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    (first,) = propose(session_factory, result(), name="first")
    with session_factory.begin() as s:
        review.approve_proposal(session=s, proposal_id=first, reviewer="rev", now=T0)
    (same,) = propose(session_factory, result(), name="rescan")
    assert _flags(session_factory, same) == ["renewal", "duplicate_scan"]
    (renew,) = propose(
        session_factory, result(signed_date="2025-05-02", signatory_name="Per Lind"), name="new"
    )
    assert _flags(session_factory, renew) == ["renewal", "new_signer"]
    # the same form scanned twice before anyone reviewed it
    seed_declaration(session_factory)
    twice = result(organisation="Talga AB", organisation_number="559014-2435")
    (a,) = propose(session_factory, twice, name="t1")
    (b,) = propose(session_factory, twice, name="t2")
    assert _flags(session_factory, a) == []
    assert _flags(session_factory, b) == ["duplicate_scan"]
