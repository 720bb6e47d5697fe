"""Join-online applications and the check of their code, on SQLite and PostgreSQL.

The code on a signed scan is trusted only when its HMAC is right under the registry's
key, its application exists, is pending, has not expired, is for the declaration read,
and holds the values the code carries. Anything else is flagged ``code_not_verified``
and its values are not used. A test alters every value and every byte of the MAC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ocr.model import CodeFinding
from registry import applications as apps
from registry import queue
from registry.errors import ValidationError
from registry.models import Application, ApplicationStatus, Proposal, ProposalStatus
from tests.registry.helpers import SLUG, T0, extraction, result, seed_declaration, sha

KEY = apps.code_key(b"registry-test-secret")
COUNTIES = ("Norrbotten", "Västerbotten")
TYPED = {
    "organisation": "  Nymek   AB ",
    "organisation_number": "5560360793",
    "county": "norrbottens län",
    "place": "Luleå",
    "signatory_name": "Anna Öberg",
    "signatory_title": "VD",
    "email": "Anna.Oberg@Nymek.se",
}


def values() -> apps.ApplicationValues:
    v, problems = apps.validate_values(TYPED, COUNTIES)
    assert problems == [] and v is not None
    return v


def make(factory: sessionmaker[Session], *, days: int = 60, slug: str = SLUG) -> str:
    with factory.begin() as s:
        row = apps.create_application(
            session=s,
            declaration_slug=slug,
            values=values(),
            client="10.0.0.1",
            now=T0,
            lifetime=dt.timedelta(days=days),
        )
        return row.id


def payload(app_id: str, v: apps.ApplicationValues | None = None, key: bytes = KEY) -> bytes:
    return apps.encode_payload(key, app_id, v or values())


def check(factory: sessionmaker[Session], data: bytes, *, now: dt.datetime = T0, slug=SLUG):
    with factory.begin() as s:
        return apps.check_code(session=s, key=KEY, data=data, declaration_slug=slug, now=now)


def test_values_are_made_canonical_and_bad_ones_refused_with_the_field() -> None:
    v = values()
    assert v.organisation == "Nymek AB"  # white space collapsed
    assert v.organisation_number == "556036-0793"
    assert v.county == "Norrbotten"  # as the profile spells it
    assert v.email == "anna.oberg@nymek.se"
    bad = {**TYPED, "organisation_number": "556036-0794", "email": "nope", "county": "Skåne"}
    got, problems = apps.validate_values(bad, COUNTIES)
    assert got is None
    assert [(p.field, p.reason) for p in problems] == [
        ("organisation_number", "fails the Luhn check"),
        ("county", "is not a county of this declaration"),
        ("email", "is not an e-mail address"),
    ]
    _, problems = apps.validate_values({**TYPED, "place": "Lu\x1fleå", "signatory_name": ""}, ())
    assert ("place", "contains control characters") in [(p.field, p.reason) for p in problems]
    assert ("signatory_name", "is required") in [(p.field, p.reason) for p in problems]


def test_an_unknown_declaration_is_refused(session_factory: sessionmaker[Session]) -> None:
    seed_declaration(session_factory)
    with pytest.raises(ValidationError) as e:
        make(session_factory, slug="no-such")
    assert e.value.field == "declaration"


def test_a_genuine_code_is_verified_and_its_values_come_back(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    app_id = make(session_factory)
    data = payload(app_id)
    assert len(data) < 200  # compact: a small QR code
    parsed = apps.parse_payload(data)
    assert parsed is not None and parsed.application_id == app_id
    got = check(session_factory, data)
    assert got.verified and got.reason is None
    assert got.values == values() and got.declaration_slug == SLUG


def test_every_altered_value_and_every_altered_mac_byte_is_refused(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    app_id = make(session_factory)
    real = payload(app_id)
    forged: list[bytes] = []
    original = apps.parse_payload(real)
    assert original is not None
    for name in apps.VALUE_FIELDS:  # a value changed, the MAC kept
        other = dataclasses.replace(values(), **{name: getattr(values(), name) + "x"})
        parts = payload(app_id, other).split(apps.SEP)
        forged.append(apps.SEP.join([*parts[:-1], real.split(apps.SEP)[-1]]))
    forged.append(payload(app_id, key=apps.code_key(b"another secret")))  # another key
    mac = real.split(apps.SEP)[-1]
    for i in range(len(mac)):  # every character of the MAC changed
        flipped = mac[:i] + (b"A" if mac[i : i + 1] != b"A" else b"B") + mac[i + 1 :]
        forged.append(apps.SEP.join([*real.split(apps.SEP)[:-1], flipped]))
    # the same MAC bytes spelt otherwise (base64's spare bits in the last character)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(mac[-1:])
    other = alphabet[(last & 0b110000) | ((last + 1) & 0b001111)]
    forged.append(apps.SEP.join([*real.split(apps.SEP)[:-1], mac[:-1] + bytes([other])]))
    forged.append(real.replace(app_id.encode(), b"x" * len(app_id)))  # another id
    forged.append(real[:-3])  # cut short
    forged.append(real + b"\x1fmore")
    for data in forged:
        got = check(session_factory, data)
        assert not got.verified, data
        assert got.values is None
    assert check(session_factory, real).verified  # the genuine one still is


def test_unknown_expired_used_and_other_declaration_codes_are_refused(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    seed_declaration(session_factory, slug="cemr-charter")
    unknown = payload(apps.new_application_id())  # right key, never made
    assert check(session_factory, unknown).reason == "unknown"
    short = make(session_factory, days=1)
    assert check(session_factory, payload(short)).verified
    late = check(session_factory, payload(short), now=T0 + dt.timedelta(days=2))
    assert late.reason == "expired"
    with session_factory() as s:
        row = s.get(Application, short)
        assert row is not None and row.status == ApplicationStatus.EXPIRED
    other = make(session_factory)
    assert check(session_factory, payload(other), slug="cemr-charter").reason == (
        "other_declaration"
    )
    # the stored values changed (by anyone but the form): the code no longer matches them
    with session_factory.begin() as s:
        row = s.get(Application, other)
        assert row is not None
        row.place = "Boden"
    assert check(session_factory, payload(other)).reason == "values_differ"


def test_expire_applications_marks_only_those_past_their_time(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    soon, later = make(session_factory, days=1), make(session_factory, days=90)
    with session_factory.begin() as s:
        assert apps.expire_applications(session=s, now=T0 + dt.timedelta(days=30)) == 1
    with session_factory() as s:
        assert s.get_one(Application, soon).status == ApplicationStatus.EXPIRED
        assert s.get_one(Application, later).status == ApplicationStatus.PENDING


def test_recent_from_counts_one_clients_applications_in_the_window(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    for _ in range(3):
        make(session_factory)
    with session_factory() as s:
        hour = dt.timedelta(hours=1)
        assert apps.recent_from(session=s, client="10.0.0.1", now=T0, window=hour) == 3
        assert apps.recent_from(session=s, client="10.0.0.2", now=T0, window=hour) == 0
        later = T0 + dt.timedelta(hours=2)
        assert apps.recent_from(session=s, client="10.0.0.1", now=later, window=hour) == 0


def _propose_with_code(
    factory: sessionmaker[Session],
    data: bytes,
    name: str,
    flags: tuple[str, ...] = (),
    **read: str | None,
) -> Proposal:
    code = CodeFinding("qr", data, 1, (0.77, 0.05, 0.92, 0.15))
    res = dataclasses.replace(result(flags=flags, **read), codes=(code,))
    with factory.begin() as s:
        sub, _ = queue.record_submission(
            session=s, sha256=sha(name), file_name=f"{name}.pdf", size=1, archive_path=None, now=T0
        )
        queue.claim_next(session=s, worker_id="w", lease_seconds=60, now=T0)
        (made,) = queue.complete_submission(
            session=s,
            submission_id=sub.id,
            worker_id="w",
            extraction=extraction(res),
            now=T0,
            code_key=KEY,
        )
        s.flush()
        s.expunge(made)
        return made


PAGE = {  # what OCR read on the page: the typed values, one slip, the hand-written date
    "organisation": "Nymek AB",
    "organisation_number": "556036-0793",
    "county": "Norrbotten",
    "place": "Luleå",
    "signatory_name": "Anna Oberg",  # a slip: Ö read as O
    "signatory_title": "VD",
    "email": "anna.oberg@nymek.se",
    "signed_date": "2026-03-01",  # the day the application was made (T0)
}


def test_a_proposal_from_a_verified_code_takes_its_values_and_marks_them(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    app_id = make(session_factory)
    proposal = _propose_with_code(session_factory, payload(app_id), "good", **PAGE)
    assert proposal.flags == []
    for name, value in values().as_dict().items():
        entry = proposal.fields[name]
        assert (entry["value"], entry["source"], entry["confidence"]) == (value, "code", 1.0)
        assert entry["bbox"] is not None  # where the page shows it, for the reviewer
    assert proposal.fields["signatory_name"]["value"] == "Anna Öberg"  # not the slip
    date = proposal.fields["signed_date"]
    assert (date["value"], date["source"]) == ("2026-03-01", "ocr")  # read, not coded
    with session_factory() as s:
        row = s.get_one(Application, app_id)
        assert row.status == ApplicationStatus.RECEIVED and row.proposal_id == proposal.id
    # the same form again while that proposal stands: not a second verified application
    again = _propose_with_code(session_factory, payload(app_id), "again", **PAGE)
    assert apps.CODE_NOT_VERIFIED in again.flags
    # once the first was rejected, a new scan of the form is taken
    with session_factory.begin() as s:
        s.get_one(Proposal, proposal.id).status = ProposalStatus.REJECTED
    third = _propose_with_code(session_factory, payload(app_id), "third", **PAGE)
    assert apps.CODE_NOT_VERIFIED not in third.flags


def test_a_value_rewritten_on_paper_is_flagged_and_the_code_value_kept(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    app_id = make(session_factory)
    page = {**PAGE, "organisation_number": "556125-7902", "signatory_title": "Ordförande"}
    proposal = _propose_with_code(session_factory, payload(app_id), "changed", **page)
    assert apps.CODE_VALUE_DIFFERS in proposal.flags
    number = proposal.fields["organisation_number"]
    assert number["value"] == "556036-0793" and number["ocr_value"] == "556125-7902"
    assert proposal.fields["signatory_title"]["ocr_value"] == "Ordförande"
    assert "ocr_value" not in proposal.fields["signatory_name"]  # a slip is not a change


def test_a_forged_code_is_flagged_and_its_values_never_used(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    app_id = make(session_factory)
    forged = dataclasses.replace(values(), organisation="Someone Else AB")
    data = payload(app_id, forged, key=apps.code_key(b"a forger's key"))
    proposal = _propose_with_code(session_factory, data, "forged", **PAGE)
    assert apps.CODE_NOT_VERIFIED in proposal.flags
    assert {e["source"] for e in proposal.fields.values()} == {"ocr"}
    assert proposal.fields["organisation"]["value"] == "Nymek AB"  # as read, not the code's
    assert proposal.fields["signatory_name"]["value"] == "Anna Oberg"
    with session_factory() as s:
        assert s.get_one(Application, app_id).status == ApplicationStatus.PENDING


def test_without_the_key_no_code_is_trusted(session_factory: sessionmaker[Session]) -> None:
    seed_declaration(session_factory)
    app_id = make(session_factory)
    with session_factory.begin() as s:
        got = apps.check_code(
            session=s, key=None, data=payload(app_id), declaration_slug=SLUG, now=T0
        )
    assert not got.verified and got.reason == "bad_mac"


def test_codes_not_ours_are_ignored_and_fields_still_say_ocr(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    proposal = _propose_with_code(session_factory, b"https://example.se/kampanj", "qr", **PAGE)
    assert proposal.flags == []
    assert {e["source"] for e in proposal.fields.values()} == {"ocr"}
    with session_factory() as s:
        assert s.scalars(select(Application)).all() == []


# -- the signed date's window and values struck through --------------------------------


def test_the_date_window_runs_from_a_day_before_the_application_to_a_day_after_arrival() -> None:
    made, arrived = T0, T0 + dt.timedelta(days=20)
    first, last = apps.date_window(made, arrived)
    assert (first, last) == (dt.date(2026, 2, 28), dt.date(2026, 3, 22))
    for day, outside in (
        (dt.date(2026, 2, 27), True),  # two days before the application: implausible
        (dt.date(2026, 2, 28), False),
        (dt.date(2026, 3, 10), False),
        (dt.date(2026, 3, 22), False),
        (dt.date(2026, 3, 23), True),  # two days after the scan came in
        (dt.date(2025, 3, 10), True),  # the year misread
    ):
        entry = {"value": day.isoformat(), "confidence": 0.99, "page": 1}
        out, flagged = apps.check_signed_date(entry, made, arrived)
        assert flagged is outside, day
        assert out["window"] == ["2026-02-28", "2026-03-22"]  # the evidence, either way
        assert (out["confidence"] < 0.9) is outside
        assert out.get("outside_window", False) is outside
    # nothing read, or no date: nothing to check, the window still kept
    out, flagged = apps.check_signed_date({"value": None, "confidence": 0.0}, made, arrived)
    assert not flagged and out["window"] == ["2026-02-28", "2026-03-22"]


@pytest.mark.parametrize(
    ("date", "flagged"),
    [("2026-02-26", True), ("2026-03-01", False), ("2026-03-02", False), ("2026-03-04", True)],
)
def test_a_date_outside_the_application_is_flagged_and_unsure(
    session_factory: sessionmaker[Session], date: str, flagged: bool
) -> None:
    seed_declaration(session_factory)
    app_id = make(session_factory)  # made at T0; the scan arrives at T0 too
    proposal = _propose_with_code(
        session_factory, payload(app_id), f"d{date}", **{**PAGE, "signed_date": date}
    )
    entry = proposal.fields["signed_date"]
    assert (apps.DATE_OUTSIDE_APPLICATION in proposal.flags) is flagged
    assert ("low_confidence:signed_date" in proposal.flags) is flagged
    assert entry["value"] == date  # what was read is kept, for the reviewer
    assert entry["window"] == ["2026-02-28", "2026-03-02"]
    assert (entry["confidence"] < 0.9) is flagged


def test_a_date_is_not_checked_against_an_application_when_the_code_is_not_verified(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    app_id = make(session_factory)
    forged = payload(app_id, key=apps.code_key(b"a forger's key"))
    proposal = _propose_with_code(
        session_factory, forged, "dforged", **{**PAGE, "signed_date": "2020-01-01"}
    )
    assert apps.DATE_OUTSIDE_APPLICATION not in proposal.flags
    assert "window" not in proposal.fields["signed_date"]


def test_a_coded_value_struck_through_on_paper_is_flagged_and_the_code_value_kept(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    app_id = make(session_factory)
    # OCR read the typed place through its strokes: the value alone does not differ
    proposal = _propose_with_code(
        session_factory, payload(app_id), "struck", flags=("struck_through:place",), **PAGE
    )
    assert apps.CODE_VALUE_CROSSED_OUT in proposal.flags
    assert apps.CODE_VALUE_DIFFERS not in proposal.flags
    place = proposal.fields["place"]
    assert (place["value"], place["source"], place.get("crossed_out")) == ("Luleå", "code", True)
    assert "crossed_out" not in proposal.fields["organisation"]
    # a struck word in the hand-written date is not a coded value changed
    other = _propose_with_code(
        session_factory,
        payload(app_id),
        "struck-date",
        flags=("struck_through:signed_date",),
        **PAGE,
    )
    assert apps.CODE_NOT_VERIFIED in other.flags  # the first proposal stands: not pending
    with session_factory.begin() as s:
        s.get_one(Proposal, proposal.id).status = ProposalStatus.REJECTED
    third = _propose_with_code(
        session_factory,
        payload(app_id),
        "struck-date2",
        flags=("struck_through:signed_date",),
        **PAGE,
    )
    assert apps.CODE_VALUE_CROSSED_OUT not in third.flags
    assert not any(e.get("crossed_out") for e in third.fields.values())


def test_struck_through_is_not_trusted_without_a_verified_code(
    session_factory: sessionmaker[Session],
) -> None:
    seed_declaration(session_factory)
    app_id = make(session_factory)
    forged = payload(app_id, key=apps.code_key(b"a forger's key"))
    proposal = _propose_with_code(
        session_factory, forged, "struck-forged", flags=("struck_through:place",), **PAGE
    )
    assert apps.CODE_VALUE_CROSSED_OUT not in proposal.flags
