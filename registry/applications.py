"""Join online: applications, the 2-D code on their personalised form, and its check.

An organisation types its values on the public join page; the registry stores them as
an :class:`~registry.models.Application` (pending, never public, expiring) and gives
back the payload of the form's 2-D code: the application's id, the values, and an
HMAC-SHA256 over both under a key only the registry holds. When the signed scan comes
back, the engine hands over the code's bytes (``ocr.model.CodeFinding``) and
:func:`check_code` decides: the HMAC must match, the application must exist, be pending
(or its earlier proposal rejected or superseded), not be expired, be for the
declaration on the page, and hold the very values the code carries. Anything else is
:data:`CODE_NOT_VERIFIED` and the code's values are not used.

The payload, compact and canonical (UTF-8, fields joined by the unit separator 0x1F)::

    SR1 <id> <organisation> <orgnr> <county> <place> <name> <title> <e-mail> <mac>

``mac`` is the first 16 bytes of HMAC-SHA256(key, "signreg:application:v1" 0x1F
<everything before the mac>), base64url without padding. Values are canonical before
they are signed (:func:`canonical`): Unicode NFC, runs of white space as one space,
no control characters, the organisation number as ``NNNNNN-NNNN``, the e-mail in lower
case, the county as the profile spells it. Services never commit.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ocr.model import CodeFinding, FieldValue
from registry.errors import NotFound, ValidationError
from registry.matching import normalise_name
from registry.models import Application, ApplicationStatus, Declaration, Proposal, ProposalStatus
from registry.orgnr import luhn_ok, normalise_orgnr

PREFIX = b"SR1"
SEP = b"\x1f"
MAC_BYTES = 16
_MAC_CONTEXT = b"signreg:application:v1"
_KEY_CONTEXT = b"signreg:join-online code key"
CODE_NOT_VERIFIED = "code_not_verified"  # a code of ours that does not check out
CODE_VALUE_DIFFERS = "code_value_differs"  # the page reads otherwise than the code says
CODE_VALUE_CROSSED_OUT = "code_value_crossed_out"  # a coded value is struck through on paper
DATE_OUTSIDE_APPLICATION = "date_outside_application"  # signed before applying or after arrival
# the page evidence ocr gives for a value struck through (ocr.strike.FLAG)
STRUCK_THROUGH = "struck_through:"
# a signed date outside its window is not given with more confidence than this
DATE_OUTSIDE_CAP = 0.5
# the window's slack on each side: a date written in another time zone than the clock's,
# or the day before by a signer who dated it in the evening
DATE_SLACK = dt.timedelta(days=1)
SOURCE_CODE = "code"
SOURCE_OCR = "ocr"
# a value read on the page this unlike the code's (0-100, case and spacing aside) was
# changed on paper (crossed out and rewritten), not misread
DIFFERS_BELOW = 75.0

MAX_LENGTHS = {
    "organisation": 200,
    "organisation_number": 13,
    "county": 100,
    "place": 100,
    "signatory_name": 150,
    "signatory_title": 150,
    "email": 200,
}
REQUIRED = ("organisation", "organisation_number", "county", "place", "signatory_name")
_EMAIL = re.compile(
    r"^[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}$"
)
_DIGITS = re.compile(r"\D")
ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: readable if typed


@dataclass(frozen=True, slots=True)
class ApplicationValues:
    """What the organisation typed, canonical (the order is the code's)."""

    organisation: str
    organisation_number: str
    county: str
    place: str
    signatory_name: str
    signatory_title: str = ""
    email: str = ""

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def items(self) -> list[tuple[str, str]]:
        return list(self.as_dict().items())


VALUE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ApplicationValues))


@dataclass(frozen=True, slots=True)
class Problem:
    """One value refused: the field and the reason (English; the web translates)."""

    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedCode:
    application_id: str
    values: ApplicationValues
    mac: bytes
    signed: bytes  # the bytes the mac is over


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """What a code on a page turned out to be. ``verified`` only when every check passed;
    ``reason`` says which failed (``bad_format``, ``bad_mac``, ``unknown``, ``expired``,
    ``not_pending``, ``other_declaration``, ``values_differ``)."""

    verified: bool
    reason: str | None
    application_id: str | None = None
    values: ApplicationValues | None = None
    declaration_slug: str | None = None
    created_at: dt.datetime | None = None  # when the application was made


# -- canonical values and the payload ------------------------------------------------


def canonical(text: str | None) -> str:
    """NFC, white space collapsed and trimmed (control characters are refused earlier)."""
    if text is None:
        return ""
    return " ".join(unicodedata.normalize("NFC", str(text)).split())


def code_key(secret: bytes) -> bytes:
    """The code's HMAC key, derived from the service's secret (never the secret itself)."""
    return hmac.new(secret, _KEY_CONTEXT, hashlib.sha256).digest()


def _mac(key: bytes, signed: bytes) -> bytes:
    return hmac.new(key, _MAC_CONTEXT + SEP + signed, hashlib.sha256).digest()[:MAC_BYTES]


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def encode_payload(key: bytes, application_id: str, values: ApplicationValues) -> bytes:
    """The bytes the form's 2-D code carries."""
    parts = [PREFIX, application_id.encode(), *(v.encode("utf-8") for _, v in values.items())]
    signed = SEP.join(parts)
    return signed + SEP + _b64(_mac(key, signed))


def is_ours(data: bytes) -> bool:
    """Whether a code's bytes claim to be one of our forms' (other codes are ignored)."""
    return data.startswith(PREFIX + SEP)


def parse_payload(data: bytes) -> ParsedCode | None:
    """The parts of a payload of ours; None when it is not well formed."""
    if not is_ours(data):
        return None
    parts = data.split(SEP)
    if len(parts) != 2 + len(VALUE_FIELDS) + 1:
        return None
    try:
        texts = [p.decode("utf-8") for p in parts[1:-1]]
        mac = base64.urlsafe_b64decode(parts[-1] + b"=" * (-len(parts[-1]) % 4))
    except (UnicodeDecodeError, ValueError):
        return None
    if len(mac) != MAC_BYTES or _b64(mac) != parts[-1]:
        return None  # one spelling only: base64's spare bits may not vary
    app_id, *vals = texts
    values = ApplicationValues(*vals)
    return ParsedCode(app_id, values, mac, SEP.join(parts[:-1]))


def mac_ok(key: bytes, parsed: ParsedCode) -> bool:
    return hmac.compare_digest(_mac(key, parsed.signed), parsed.mac)


# -- validation ----------------------------------------------------------------------


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in text)


def validate_values(
    raw: Mapping[str, Any], counties: Sequence[str]
) -> tuple[ApplicationValues | None, list[Problem]]:
    """The canonical values, or the problems (every one, in the form's order)."""
    problems: list[Problem] = []
    out: dict[str, str] = {}
    for name in VALUE_FIELDS:
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            problems.append(Problem(name, "must be text"))
            continue
        text = canonical(value)
        if value is not None and _has_control(str(value).replace("\t", " ").replace("\n", " ")):
            problems.append(Problem(name, "contains control characters"))
            continue
        if not text:
            if name in REQUIRED:
                problems.append(Problem(name, "is required"))
            out[name] = ""
            continue
        if len(text) > MAX_LENGTHS[name]:
            problems.append(Problem(name, f"is longer than {MAX_LENGTHS[name]} characters"))
            continue
        out[name] = text
    number = out.get("organisation_number")
    if number:
        digits = _DIGITS.sub("", number)
        normalised = normalise_orgnr(number)
        if normalised is None:
            if len(digits) in (10, 12) and not luhn_ok(digits[-10:]):
                problems.append(Problem("organisation_number", "fails the Luhn check"))
            else:
                problems.append(
                    Problem("organisation_number", "is not an organisation number (NNNNNN-NNNN)")
                )
        else:
            out["organisation_number"] = normalised
    county = out.get("county")
    if county:
        known = {c.casefold(): c for c in counties}
        key = county.casefold().removesuffix(" län").removesuffix("s")
        match = known.get(county.casefold()) or known.get(key)
        if match is None:
            problems.append(Problem("county", "is not a county of this declaration"))
        else:
            out["county"] = match
    email = out.get("email")
    if email:
        out["email"] = email.lower()
        if not _EMAIL.match(out["email"]):
            problems.append(Problem("email", "is not an e-mail address"))
    if problems:
        return None, problems
    return ApplicationValues(**out), []


# -- applications --------------------------------------------------------------------


def new_application_id() -> str:
    """16 characters, 80 random bits: the form's path cannot be guessed."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(16))


def declaration_by_slug(session: Session, slug: str) -> Declaration | None:
    return session.scalar(select(Declaration).where(Declaration.slug == slug))


def recent_from(*, session: Session, client: str, now: dt.datetime, window: dt.timedelta) -> int:
    """How many applications ``client`` made within ``window`` (the rate limit's count)."""
    count = session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.client == client, Application.created_at > now - window)
    )
    return int(count or 0)


def create_application(
    *,
    session: Session,
    declaration_slug: str,
    values: ApplicationValues,
    client: str | None,
    now: dt.datetime,
    lifetime: dt.timedelta,
    application_id: str | None = None,
) -> Application:
    """A pending application; its id made here (:func:`new_application_id`) unless one
    is given (the code bench gives fixed ids, so that its forms are the same each run)."""
    declaration = declaration_by_slug(session, declaration_slug)
    if declaration is None:
        raise ValidationError(f"no declaration {declaration_slug!r}", field="declaration")
    row = Application(
        id=application_id or new_application_id(),
        declaration_id=declaration.id,
        organisation=values.organisation,
        organisation_number=values.organisation_number,
        county=values.county,
        place=values.place,
        signatory_name=values.signatory_name or None,
        signatory_title=values.signatory_title or None,
        email=values.email or None,
        created_at=now,
        expires_at=now + lifetime,
        status=ApplicationStatus.PENDING,
        client=(client or "")[:100] or None,
    )
    session.add(row)
    session.flush()
    return row


def values_of(row: Application) -> ApplicationValues:
    return ApplicationValues(
        organisation=row.organisation,
        organisation_number=row.organisation_number,
        county=row.county,
        place=row.place,
        signatory_name=row.signatory_name or "",
        signatory_title=row.signatory_title or "",
        email=row.email or "",
    )


def get_application(*, session: Session, application_id: str) -> Application:
    row = session.get(Application, application_id)
    if row is None:
        raise NotFound("application", application_id)
    return row


def payload_of(key: bytes, row: Application) -> bytes:
    return encode_payload(key, row.id, values_of(row))


def expire_applications(*, session: Session, now: dt.datetime) -> int:
    """Mark pending applications past their time as expired; how many."""
    rows = session.scalars(
        select(Application).where(
            Application.status == ApplicationStatus.PENDING, Application.expires_at <= now
        )
    )
    n = 0
    for row in rows:
        row.status = ApplicationStatus.EXPIRED
        n += 1
    return n


# -- the code on a scan --------------------------------------------------------------


def _still_open(session: Session, row: Application) -> bool:
    if row.status == ApplicationStatus.PENDING:
        return True
    if row.status == ApplicationStatus.RECEIVED and row.proposal_id is not None:
        earlier = session.get(Proposal, row.proposal_id)
        return earlier is None or earlier.status in (
            ProposalStatus.REJECTED,
            ProposalStatus.SUPERSEDED,
        )
    return False


def check_code(
    *,
    session: Session,
    key: bytes | None,
    data: bytes,
    declaration_slug: str | None,
    now: dt.datetime,
) -> CodeCheck:
    """Whether the code ``data`` is one this registry made for a live application of
    this declaration, with its values unaltered (see the module's description)."""
    parsed = parse_payload(data)
    if parsed is None:
        return CodeCheck(False, "bad_format")
    if key is None or not mac_ok(key, parsed):
        return CodeCheck(False, "bad_mac", parsed.application_id)
    row = session.get(Application, parsed.application_id)
    if row is None:
        return CodeCheck(False, "unknown", parsed.application_id)
    if row.expires_at <= now:
        if row.status == ApplicationStatus.PENDING:
            row.status = ApplicationStatus.EXPIRED
        return CodeCheck(False, "expired", row.id)
    if not _still_open(session, row):
        return CodeCheck(False, "not_pending", row.id)
    slug = row.declaration.slug
    if declaration_slug is not None and declaration_slug != slug:
        return CodeCheck(False, "other_declaration", row.id)
    if values_of(row) != parsed.values:
        return CodeCheck(False, "values_differ", row.id)
    return CodeCheck(True, None, row.id, parsed.values, slug, row.created_at)


def first_of_ours(codes: Iterable[CodeFinding]) -> CodeFinding | None:
    return next((c for c in codes if is_ours(c.data)), None)


def _comparable(name: str, text: str) -> str:
    if name == "organisation_number":
        return _DIGITS.sub("", text)
    if name in ("organisation", "signatory_name"):
        return normalise_name(text)
    return canonical(text).casefold()


def differs(name: str, code_value: str, read: str | None) -> bool:
    """Whether the page shows another value than the code: a value read that is not a
    misreading of the code's (an organisation number that is valid and another, or any
    value much unlike it). Nothing read is no evidence either way."""
    if not read or not code_value:
        return False
    a, b = _comparable(name, code_value), _comparable(name, read)
    if a == b:
        return False
    if name == "organisation_number":
        number = normalise_orgnr(read)
        if number is not None:
            return True  # a well-formed, Luhn-valid other number
    if name == "place":  # the hand-written date shares its row: what is read may run on
        return fuzz.partial_ratio(a, b) < DIFFERS_BELOW
    return fuzz.ratio(a, b) < DIFFERS_BELOW


@dataclass(frozen=True, slots=True)
class CodedFields:
    """The proposal's fields once the code is taken into account."""

    fields: dict[str, dict[str, Any]]
    flags: list[str]
    check: CodeCheck | None


def date_window(created_at: dt.datetime, received_at: dt.datetime) -> tuple[dt.date, dt.date]:
    """The days a join-online form can have been signed on: not before its application
    was made, not after its scan arrived (a day's slack each side, :data:`DATE_SLACK`)."""
    return (created_at - DATE_SLACK).date(), (received_at + DATE_SLACK).date()


def _parsed_date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def check_signed_date(
    entry: Mapping[str, Any], created_at: dt.datetime, received_at: dt.datetime
) -> tuple[dict[str, Any], bool]:
    """The signed date's entry with its window (``"window": [first, last]``, ISO days)
    kept as evidence; a date read outside it is marked (``"outside_window": true``), its
    confidence capped at :data:`DATE_OUTSIDE_CAP`, and the second value is True."""
    first, last = date_window(created_at, received_at)
    out = {**entry, "window": [first.isoformat(), last.isoformat()]}
    date = _parsed_date(entry.get("value"))
    if date is None or first <= date <= last:
        return out, False
    confidence = min(float(entry.get("confidence") or 0.0), DATE_OUTSIDE_CAP)
    out.update(confidence=confidence, outside_window=True)
    return out, True


def struck_fields(read_flags: Iterable[str]) -> set[str]:
    """The fields ocr saw struck through on the page (``struck_through:<field>``)."""
    return {f[len(STRUCK_THROUGH) :] for f in read_flags if f.startswith(STRUCK_THROUGH)}


def apply_code(
    *,
    session: Session,
    key: bytes | None,
    codes: Sequence[CodeFinding],
    declaration_slug: str | None,
    fields: Mapping[str, Mapping[str, Any]],
    now: dt.datetime,
    read_flags: Sequence[str] = (),
    received_at: dt.datetime | None = None,
) -> CodedFields:
    """The fields read by OCR, each marked ``"source": "ocr"``; where a code of ours
    checks out, its values replace them (``"source": "code"``, confidence 1.0, the box
    where the page shows them), with :data:`CODE_VALUE_DIFFERS` when the page reads
    otherwise and :data:`CODE_VALUE_CROSSED_OUT` when ocr saw the value struck through
    (``read_flags``; the field says ``"crossed_out": true``). The signed date is never in
    the code: it stays as read, checked against its window (:func:`check_signed_date`:
    from the application's making to the scan's arrival, ``received_at``, ``now`` when
    not given), :data:`DATE_OUTSIDE_APPLICATION` when outside."""
    out = {name: {**entry, "source": SOURCE_OCR} for name, entry in fields.items()}
    code = first_of_ours(codes)
    if code is None:
        return CodedFields(out, [], None)
    check = check_code(
        session=session, key=key, data=code.data, declaration_slug=declaration_slug, now=now
    )
    if not check.verified or check.values is None:
        return CodedFields(out, [CODE_NOT_VERIFIED], check)
    flags: list[str] = []

    def flag(name: str) -> None:
        if name not in flags:
            flags.append(name)

    struck = struck_fields(read_flags)
    for name, value in check.values.items():
        entry = dict(out.get(name) or FieldValue.missing().to_dict())
        read = entry.get("value")
        if not value and not read:
            entry["source"] = SOURCE_OCR
            out[name] = entry
            continue
        if differs(name, value, read):
            flag(CODE_VALUE_DIFFERS)
            entry["ocr_value"] = read
        if value and name in struck:
            flag(CODE_VALUE_CROSSED_OUT)
            entry["crossed_out"] = True
        entry.update(value=value or None, confidence=1.0, source=SOURCE_CODE)
        if entry.get("page") is None:
            entry["page"] = code.page
        out[name] = entry
    if check.created_at is not None and "signed_date" in out:
        dated, outside = check_signed_date(out["signed_date"], check.created_at, received_at or now)
        out["signed_date"] = dated
        if outside:
            flag(DATE_OUTSIDE_APPLICATION)
    return CodedFields(out, flags, check)


def mark_received(*, session: Session, check: CodeCheck, proposal: Proposal) -> None:
    """The application whose code came back: received, with the proposal it made."""
    if not check.verified or check.application_id is None:
        return
    row = session.get(Application, check.application_id)
    if row is not None:
        row.status = ApplicationStatus.RECEIVED
        row.proposal_id = proposal.id
