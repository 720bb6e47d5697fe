"""Every flag a proposal can carry is worded for reviewers, in Swedish first: the plain
flags and those about one field (``<kind>:<field>[:<value>]``)."""

from __future__ import annotations

import pytest

from api import flag_texts
from api.i18n import load_translations

SV = load_translations("sv").gettext


@pytest.mark.parametrize(
    ("flag", "short", "says"),
    [
        ("low_confidence:signed_date", "Osäker:", "osäkert"),
        ("second_reader:organisation_number", "Andra läsaren:", "andra textigenkänningen"),
        ("readers_differ:signed_date:2023-05-29", "Läsarna skiljer sig:", "”2023-05-29”"),
        ("struck_through:place", "Överstruket:", "överstruket"),
    ],
)
def test_a_field_flag_names_its_field_and_evidence_in_swedish(
    flag: str, short: str, says: str
) -> None:
    field = flag.split(":")[1]
    name = flag_texts.label(field, SV)
    assert name != field  # the field's Swedish name, not its code
    assert flag_texts.short(flag, SV) == f"{short} {name}"
    text = flag_texts.explain(flag, SV)
    assert says in text and name in text and "no explanation" not in text


def test_a_serious_field_flag_is_a_bad_badge_and_an_unknown_one_only_a_warning() -> None:
    assert flag_texts.severity("readers_differ:signed_date:2023-05-29") == "bad"
    assert flag_texts.severity("low_confidence:email") == "warn"
    assert flag_texts.severity("no_such_flag:email") == "warn"
    assert flag_texts.short("no_such_flag:email", SV) == "no_such_flag:email"
    assert "ingen förklaring" in flag_texts.explain("no_such_flag:email", SV)
