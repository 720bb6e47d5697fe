"""Flags a reviewer must see on a proposal, each a short stable string.

- ``duplicate_scan``       the same declaration (organisation, date) was already read
                           from another file (not a rejected or superseded reading),
                           or is already the verified membership
- ``renewal``              the organisation is already verified for this declaration
- ``new_signer``           ... and it was signed then by someone else
- ``invalid_orgnr``        an organisation number was read but is malformed or fails Luhn
- ``unsigned``             no handwritten signature was found
- ``low_confidence:<f>``   field ``f`` is missing (when required) or read with confidence
                           below 0.9
- ``orgnr_name_mismatch``  the number belongs to a known organisation whose name is not
                           the one read
- ``unknown_declaration``  the form matched no declaration the registry knows
- ``unlisted_label``       a value was read under a label the profile does not list,
                           placed by its value's kind (``ocr.fields.unlisted_candidates``);
                           set by ``ocr``
- ``grown_after_review``   a larger file of the same name as a scan already reviewed
                           (a scanner adding pages); set by ``registry.supersede``
- ``code_not_verified``    the page carries a join-online 2-D code that does not check
                           out (bad HMAC, unknown or expired application, another
                           declaration, altered values): its values are not used; set by
                           ``registry.applications``
- ``code_value_differs``   a join-online code checked out, but the page reads another
                           value for a field than the code carries (crossed out and
                           rewritten?); the field keeps the code's value, with the one
                           read beside it (``ocr_value``); set by ``registry.applications``
- ``code_value_crossed_out`` a join-online code checked out, but a value it carries is
                           struck through on the page (``ocr.strike``: ``struck_through:<f>``
                           among the read's flags); the field keeps the code's value and
                           says ``crossed_out``; set by ``registry.applications``
- ``date_outside_application`` a join-online code checked out, but the date read lies
                           outside the days the form can have been signed on (from a day
                           before its application was made to a day after the scan
                           arrived): the date's confidence is capped below 0.9 and the
                           field keeps the ``window``; set by ``registry.applications``
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ocr.model import FIELD_NAMES
from registry.matching import Candidate, best_name_score, normalise_name
from registry.models import Declaration, Organisation, Proposal, ProposalStatus, Signatory
from registry.orgnr import normalise_orgnr

CONFIDENT = 0.9
MATCH_SCORE = 0.9  # a name this close counts as the same organisation
MISMATCH_SCORE = 0.7  # a number's organisation named less alike than this is a mismatch
REQUIRED_FIELDS = ("organisation", "organisation_number", "county", "signed_date", "signatory_name")


@dataclass(frozen=True, slots=True)
class ReadDeclaration:
    """What flagging needs of one declaration read from a submission."""

    submission_id: int
    declaration_slug: str | None
    fields: Mapping[str, Mapping[str, Any]]  # name -> {value, confidence, page, bbox}
    signature_present: bool

    def value(self, name: str) -> str | None:
        v = (self.fields.get(name) or {}).get("value")
        return None if v is None or str(v).strip() == "" else str(v)

    def confidence(self, name: str) -> float:
        return float((self.fields.get(name) or {}).get("confidence") or 0.0)


def matched_candidate(candidates: Iterable[Candidate]) -> Candidate | None:
    """The candidate taken to be this organisation, if one is close enough."""
    ranked = list(candidates)
    for c in ranked:
        if c.matched_on == "organisation_number":
            return c
    return ranked[0] if ranked and ranked[0].score >= MATCH_SCORE else None


def compute_flags(
    *,
    session: Session,
    read: ReadDeclaration,
    candidates: list[Candidate],
    extra: Iterable[str] = (),
) -> list[str]:
    flags: list[str] = []
    declaration = _declaration(session, read.declaration_slug)
    if declaration is None:
        flags.append("unknown_declaration")
    if not read.signature_present:
        flags.append("unsigned")
    raw_number = read.value("organisation_number")
    if raw_number is not None and normalise_orgnr(raw_number) is None:
        flags.append("invalid_orgnr")
    flags.extend(_low_confidence(read))
    by_number = next((c for c in candidates if c.matched_on == "organisation_number"), None)
    name = read.value("organisation")
    if by_number is not None and name is not None:
        org = session.get(Organisation, by_number.organisation_id)
        if org is not None and best_name_score(name, org)[0] < MISMATCH_SCORE:
            flags.append("orgnr_name_mismatch")
    match = matched_candidate(candidates)
    membership = _membership(session, match, declaration)
    if membership is not None and membership.active:
        flags.append("renewal")
        signer = read.value("signatory_name")
        if (
            signer
            and membership.signer_name
            and normalise_name(signer) != normalise_name(membership.signer_name)
        ):
            flags.append("new_signer")
    if _is_duplicate(session, read, membership):
        flags.append("duplicate_scan")
    for flag in extra:
        if flag not in flags:
            flags.append(flag)
    return flags


def _low_confidence(read: ReadDeclaration) -> list[str]:
    out = []
    for name in FIELD_NAMES:
        present = read.value(name) is not None
        if (name in REQUIRED_FIELDS and not present) or (
            present and read.confidence(name) < CONFIDENT
        ):
            out.append(f"low_confidence:{name}")
    return out


def _declaration(session: Session, slug: str | None) -> Declaration | None:
    if not slug:
        return None
    return session.scalar(select(Declaration).where(Declaration.slug == slug))


def _membership(
    session: Session, match: Candidate | None, declaration: Declaration | None
) -> Signatory | None:
    if match is None or declaration is None:
        return None
    return session.scalar(
        select(Signatory).where(
            Signatory.organisation_id == match.organisation_id,
            Signatory.declaration_id == declaration.id,
        )
    )


def _identity(number: str | None, name: str | None) -> str | None:
    normalised = normalise_orgnr(number)
    if normalised:
        return normalised
    return normalise_name(name) if name else None


def _is_duplicate(session: Session, read: ReadDeclaration, membership: Signatory | None) -> bool:
    date = read.value("signed_date")
    ident = _identity(read.value("organisation_number"), read.value("organisation"))
    if date is None or ident is None:
        return False
    if membership is not None and membership.active and membership.signed_date.isoformat() == date:
        return True
    others = session.scalars(
        select(Proposal).where(
            Proposal.submission_id != read.submission_id,
            Proposal.declaration_slug == read.declaration_slug,
            Proposal.status.not_in((ProposalStatus.REJECTED, ProposalStatus.SUPERSEDED)),
        )
    )
    return any(
        p.value("signed_date") == date
        and _identity(p.value("organisation_number"), p.value("organisation")) == ident
        for p in others
    )
