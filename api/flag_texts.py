"""Flags and field names in words for people: the registry's codes mapped to English
message ids, which the review catalogue translates (``api/locale/sv/.../review.po``).
Each flag's words and weight are one entry of :data:`FLAGS`.

``_`` here only marks a message for the catalogue; :func:`explain` and :func:`label`
translate with the page's own ``gettext``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class FlagWords:
    """One flag for people: a badge's few words, a sentence, and whether a reviewer
    must look at it before approving (``serious``) or it is information."""

    short: str
    text: str
    serious: bool = False


FLAGS: dict[str, FlagWords] = {
    "duplicate_scan": FlagWords(
        _("Duplicate"),
        _(
            "The same declaration (organisation and date) was already read from another "
            "file, or is already the verified membership."
        ),
        serious=True,
    ),
    "renewal": FlagWords(
        _("Renewal"),
        _("The organisation is already verified for this declaration: this renews it."),
    ),
    "new_signer": FlagWords(
        _("New signer"), _("Someone other than the earlier signer signed this time.")
    ),
    "invalid_orgnr": FlagWords(
        _("Bad org. number"),
        _("The organisation number read is malformed or its check digit is wrong."),
        serious=True,
    ),
    "unsigned": FlagWords(_("Unsigned"), _("No handwritten signature was found."), serious=True),
    "orgnr_name_mismatch": FlagWords(
        _("Number/name mismatch"),
        _("The organisation number belongs to a known organisation with another name."),
        serious=True,
    ),
    "unknown_declaration": FlagWords(
        _("Unknown declaration"),
        _("The form matched no declaration the registry knows."),
        serious=True,
    ),
    "declaration_from_labels": FlagWords(
        _("Declaration by labels"),
        _("The declaration was recognised by its labels only, not its title: check it."),
    ),
    "unlisted_label": FlagWords(
        _("Unlisted label"),
        _(
            "A value was read under a label the form's profile does not list, placed by "
            "what kind of value it is: check that it is in the right field."
        ),
    ),
    "grown_after_review": FlagWords(
        _("Grown after review"),
        _(
            "A larger file of the same name came in after an earlier version was reviewed "
            "(a scanner adding pages?): compare the two."
        ),
    ),
    "code_not_verified": FlagWords(
        _("Code not verified"),
        _(
            "The form carries a join-online code that does not check out (altered, "
            "forged, expired or for another application): its values were not used."
        ),
        serious=True,
    ),
    "code_value_differs": FlagWords(
        _("Changed on paper"),
        _(
            "The page shows another value than the form's code for a field (crossed out "
            "and rewritten?): compare them."
        ),
        serious=True,
    ),
    "code_value_crossed_out": FlagWords(
        _("Crossed out on paper"),
        _(
            "A value the form's code carries is struck through on the page (changed by "
            "hand?): compare the page with the code's value."
        ),
        serious=True,
    ),
    "date_outside_application": FlagWords(
        _("Date outside the application"),
        _(
            "The date read lies before the online application was made or after the scan "
            "arrived: it was misread, or the form was dated wrongly. Check the date."
        ),
        serious=True,
    ),
    "active_content": FlagWords(
        _("Active content"),
        _(
            "The PDF holds scripts, actions or embedded files. Nothing of it was run here: "
            "judge it by the page images, and do not open the original in a PDF viewer."
        ),
    ),
}

# flags about one field, ``<kind>:<field>`` or ``<kind>:<field>:<value>`` (the value as
# evidence, e.g. what the second recogniser read), worded with the field's name
FIELD_FLAGS: dict[str, FlagWords] = {
    "low_confidence": FlagWords(
        _("Unsure: {field}"), _("“{field}” was read unsure, or not at all.")
    ),
    "second_reader": FlagWords(
        _("Second reader: {field}"),
        _(
            "“{field}” was read by the second recogniser (for handwriting), not by "
            "Tesseract: compare it with the page."
        ),
    ),
    "readers_differ": FlagWords(
        _("Readers differ: {field}"),
        _(
            "The two recognisers read “{field}” differently (the second read “{value}”): "
            "the value is unsure, compare it with the page."
        ),
        serious=True,
    ),
    "struck_through": FlagWords(
        _("Struck through: {field}"),
        _("“{field}” looks struck through on the page: was it changed by hand?"),
        serious=True,
    ),
}
_UNKNOWN_TEXT = _("Flag “{flag}” (no explanation yet).")


def _field_flag(flag: str) -> tuple[FlagWords, str, str] | None:
    """The words of a field's flag, the field and the value it carries ("" if none)."""
    kind, _sep, rest = flag.partition(":")
    words = FIELD_FLAGS.get(kind)
    if words is None or not rest:
        return None
    field, _sep, value = rest.partition(":")
    return words, field, value


def label(name: str, gettext: Gettext) -> str:
    """A field's name in the page's language (the code itself when unknown)."""
    text = FIELD_LABELS.get(name)
    return gettext(text) if text else name


def explain(flag: str, gettext: Gettext) -> str:
    """What a flag means, in a sentence."""
    found = _field_flag(flag)
    if found is not None:
        kind, field, value = found
        return gettext(kind.text).format(field=label(field, gettext), value=value)
    words = FLAGS.get(flag)
    return gettext(words.text) if words else gettext(_UNKNOWN_TEXT).format(flag=flag)


def short(flag: str, gettext: Gettext) -> str:
    """A flag as a badge's few words."""
    found = _field_flag(flag)
    if found is not None:
        kind, field, _value = found
        return gettext(kind.short).format(field=label(field, gettext))
    words = FLAGS.get(flag)
    return gettext(words.short) if words else flag


def severity(flag: str) -> str:
    """The badge's class: ``bad`` for what must be looked at, ``warn`` otherwise."""
    found = _field_flag(flag)
    words = found[0] if found is not None else FLAGS.get(flag)
    return "bad" if words and words.serious else "warn"
