"""Flags and field names in words for people: the registry's codes mapped to English
message ids, which the review catalogue translates (``api/locale/sv/.../review.po``).

``_`` here only marks a message for the catalogue; :func:`explain` and :func:`label`
translate with the page's own ``gettext``.
"""

from __future__ import annotations

from collections.abc import Callable

Gettext = Callable[[str], str]


def _(message: str) -> str:
    return message


FIELD_LABELS: dict[str, str] = {
    "organisation": _("Organisation"),
    "organisation_number": _("Organisation number"),
    "county": _("County"),
    "place": _("Place"),
    "signed_date": _("Date signed"),
    "signatory_name": _("Signer's name"),
    "signatory_title": _("Title"),
    "email": _("E-mail"),
    "declaration": _("Declaration"),
    "signature": _("Signature"),
}

FLAG_TEXTS: dict[str, str] = {
    "duplicate_scan": _(
        "The same declaration (organisation and date) was already read from another file, "
        "or is already the verified membership."
    ),
    "renewal": _("The organisation is already verified for this declaration: this renews it."),
    "new_signer": _("Someone other than the earlier signer signed this time."),
    "invalid_orgnr": _("The organisation number read is malformed or its check digit is wrong."),
    "unsigned": _("No handwritten signature was found."),
    "orgnr_name_mismatch": _(
        "The organisation number belongs to a known organisation with another name."
    ),
    "unknown_declaration": _("The form matched no declaration the registry knows."),
    "declaration_from_labels": _(
        "The declaration was recognised by its labels only, not its title: check it."
    ),
    "grown_after_review": _(
        "A larger file of the same name came in after an earlier version was reviewed "
        "(a scanner adding pages?): compare the two."
    ),
}

SHORT_FLAGS: dict[str, str] = {
    "duplicate_scan": _("Duplicate"),
    "renewal": _("Renewal"),
    "new_signer": _("New signer"),
    "invalid_orgnr": _("Bad org. number"),
    "unsigned": _("Unsigned"),
    "orgnr_name_mismatch": _("Number/name mismatch"),
    "unknown_declaration": _("Unknown declaration"),
    "declaration_from_labels": _("Declaration by labels"),
    "grown_after_review": _("Grown after review"),
}

LOW_CONFIDENCE = "low_confidence:"
_UNSURE_TEXT = _("“{field}” was read unsure, or not at all.")
_UNSURE_SHORT = _("Unsure: {field}")
_UNKNOWN_TEXT = _("Flag “{flag}” (no explanation yet).")

# flags a reviewer must look at before approving; the others are information
SERIOUS = frozenset(
    {"duplicate_scan", "invalid_orgnr", "unsigned", "orgnr_name_mismatch", "unknown_declaration"}
)


def label(name: str, gettext: Gettext) -> str:
    """A field's name in the page's language (the code itself when unknown)."""
    text = FIELD_LABELS.get(name)
    return gettext(text) if text else name


def explain(flag: str, gettext: Gettext) -> str:
    """What a flag means, in a sentence."""
    if flag.startswith(LOW_CONFIDENCE):
        return gettext(_UNSURE_TEXT).format(field=label(flag[len(LOW_CONFIDENCE) :], gettext))
    text = FLAG_TEXTS.get(flag)
    return gettext(text) if text else gettext(_UNKNOWN_TEXT).format(flag=flag)


def short(flag: str, gettext: Gettext) -> str:
    """A flag as a badge's few words."""
    if flag.startswith(LOW_CONFIDENCE):
        return gettext(_UNSURE_SHORT).format(field=label(flag[len(LOW_CONFIDENCE) :], gettext))
    text = SHORT_FLAGS.get(flag)
    return gettext(text) if text else flag


def severity(flag: str) -> str:
    """The badge's class: ``bad`` for what must be looked at, ``warn`` otherwise."""
    return "bad" if flag in SERIOUS else "warn"
