"""Cross-field checks in ocr.interpret: values read elsewhere on the form as evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from ocr.block import Label
from ocr.fields import Reading
from ocr.interpret import parse_readings
from ocr.layout import Box
from ocr.tesseract import Word


def _reading(key: str, text: str, conf: float = 60.0) -> Reading:
    box = Box(0, 0, 10, 10)
    label = Label(key, box, box, 1.0, False)
    words = tuple(Word(w, 0, 0, 10, 10, conf=conf, line=1) for w in text.split())
    return Reading(label, text, words, box, "right")


def _looks(
    text: str,
    conf: float,
    unread: int = 0,
    letters: int = 0,
    confs: dict[str, float] | None = None,
    **by_variant: str,
) -> Callable[..., Reading]:
    """A reread of the region: ``text`` read plainly, ``by_variant[v]`` from pixels
    prepared as ``v`` (else ``text`` too), with word confidence ``confs[v]`` (else
    ``conf``), each read leaving ``unread`` digit-sized and ``letters`` letter-sized
    pieces of ink unaccounted for."""

    def read(key: str, variant: str | None = None) -> Reading:
        seen = by_variant.get(variant, text) if variant is not None else text
        sure = (confs or {}).get(variant, conf) if variant is not None else conf
        return replace(_reading(key, seen, sure), unread=unread, unread_letters=letters)

    return read


def test_email_with_a_misread_at_is_repaired_from_the_name_unsurely() -> None:
    readings = {
        "signatory_name": _reading("signatory_name", "Anna Marklund", 95.0),
        "email": _reading("email", "anna. marklundearvidsjaurskommun.se"),
    }
    fields, _ = parse_readings(readings, 1, (100, 100))
    assert fields["email"].value == "anna.marklund@arvidsjaurskommun.se"
    assert fields["email"].confidence < 0.9


def test_email_of_another_person_is_not_repaired() -> None:
    readings = {
        "signatory_name": _reading("signatory_name", "Kjell Forsman", 95.0),
        "email": _reading("email", "anna. marklundearvidsjaurskommun.se"),
    }
    fields, _ = parse_readings(readings, 1, (100, 100))
    assert fields["email"].value is None


def test_corrected_place_is_never_sure() -> None:
    readings = {"place_date": _reading("place_date", "Reberlsfors 2023-05-11", 70.0)}
    fields, _ = parse_readings(readings, 1, (100, 100))
    assert fields["place"].value == "Robertsfors"
    assert fields["place"].confidence < 0.9


def test_a_date_read_with_weak_digits_is_not_sure_even_when_two_reads_agree() -> None:
    from ocr.confidence import Evidence, confidence

    weak = Evidence("signed_date", 77.0, True, 0.95, 1.0, agrees=True)
    strong = Evidence("signed_date", 95.0, True, 0.95, 1.0, agrees=True)
    assert confidence(weak) < 0.9 <= confidence(strong)


def test_an_unparsed_checked_value_is_read_again_from_other_preparations() -> None:
    calls: list[str | None] = []

    def reread(key: str, variant: str | None = None) -> Reading:
        calls.append(variant)
        if variant == "thin":
            return _reading(key, "212087-1781", 70.0)
        return _reading(key, "212081—-1181", 40.0)

    readings = {"organisation_number": _reading("organisation_number", "212081—-1181", 40.0)}
    fields, _ = parse_readings(readings, 1, (100, 100), reread, variants=True)
    assert fields["organisation_number"].value == "212087-1781"
    assert fields["organisation_number"].confidence < 0.9  # one read only
    assert calls == [None, "small", "thin"]  # stops at the first read that parses
    plain, _ = parse_readings(readings, 1, (100, 100), reread)
    assert plain["organisation_number"].value is None


def test_a_name_of_a_closed_list_is_checked_like_a_parsed_value() -> None:
    from ocr.confidence import Evidence, confidence

    place = Evidence("place", 65.0, True, 0.98, 1.0, agrees=True, known=True)
    unknown = Evidence("place", 65.0, True, 0.9, 1.0, agrees=True)
    assert confidence(unknown) < 0.9 <= confidence(place)
    assert confidence(Evidence("place", 65.0, True, 0.98, 1.0, agrees=False, known=True)) < 0.9


def test_a_handwritten_g_read_as_q_in_a_name_is_not_sure() -> None:
    from ocr.values import clean_name

    parsed = clean_name("Aqneta Lundström")
    assert (parsed.value, parsed.read) == ("Agneta Lundström", "Aqneta Lundström")
    assert clean_name("Mikael Lindqvist").read is None


def test_an_org_number_one_digit_off_in_the_other_read_confirms_the_passing_one() -> None:
    from ocr.interpret import _agree
    from ocr.values import parse_orgnr

    good, one_off = parse_orgnr("212087-1781"), parse_orgnr("212081-1781")
    assert good.valid and not one_off.valid
    assert _agree("organisation_number", good, one_off)
    assert not _agree("organisation_number", good, parse_orgnr("212081-1181"))
    assert not _agree("signed_date", good, one_off)


def test_a_plain_name_spelt_in_the_address_counts_as_read_twice() -> None:
    readings = {
        "signatory_name": _reading("signatory_name", "Karin Lund", 80.0),
        "email": _reading("email", "karin.lund@lkab.se", 95.0),
    }
    fields, _ = parse_readings(readings, 1, (100, 100))
    assert fields["signatory_name"].confidence >= 0.9
    readings["signatory_name"] = _reading("signatory_name", "Karin Lundén", 80.0)
    fields, _ = parse_readings(readings, 1, (100, 100))
    assert fields["signatory_name"].confidence < 0.9  # é: the address cannot show it


def test_a_date_read_alike_twice_with_one_weak_read_needs_a_third_look() -> None:
    def reread(key: str, variant: str | None = None) -> Reading:
        if variant is None:
            return _reading(key, "21.9.2024", 89.0)  # strong, and wrong
        return _reading(key, "27.9.2024", 75.0)

    readings = {"place_date": _reading("place_date", "21.9.2024", 76.0)}
    fields, _ = parse_readings(readings, 1, (100, 100), reread, variants=True)
    assert fields["signed_date"].value == "2024-09-21"
    assert fields["signed_date"].confidence < 0.9  # the third look saw 27

    def agreeing(key: str, variant: str | None = None) -> Reading:
        return _reading(key, "21.9.2024", 89.0 if variant is None else 85.0)  # firm looks

    fields, _ = parse_readings(readings, 1, (100, 100), agreeing, variants=True)
    assert fields["signed_date"].confidence >= 0.9


@pytest.mark.parametrize(
    ("key", "text", "field", "value", "ink", "untouched"),
    [
        # '11 maj' in a hand read as '1 maj' by both reads: they agree, the ink does not;
        # the place's letters are all accounted for
        ("place_date", "Boden, 1 maj 2022", "signed_date", "2022-05-01", {"unread": 1}, "place"),
        # a typed 'Trä' read as 'Tä' by both reads (the r tucked under the T's arm)
        ("organisation", "Älvdals Tä AB", "organisation", "Älvdals Tä AB", {"letters": 1}, None),
    ],
)
def test_a_value_whose_region_holds_ink_left_unread_is_not_sure(
    key: str, text: str, field: str, value: str, ink: dict[str, int], untouched: str | None
) -> None:
    readings = {key: _reading(key, text, 95.0)}

    fields, _ = parse_readings(readings, 1, (100, 100), _looks(text, 95.0), variants=True)
    assert fields[field].confidence >= 0.9
    left_out = _looks(text, 95.0, **ink)
    fields, flags = parse_readings(readings, 1, (100, 100), left_out, variants=True)
    assert fields[field].value == value
    assert fields[field].confidence < 0.9
    assert f"low_confidence:{field}" in flags
    if untouched is not None:
        assert fields[untouched].confidence >= 0.9


def test_a_name_read_alike_twice_with_a_weak_word_is_looked_at_a_third_time() -> None:
    """A hand's 'Wikblad' read 'Wikblod' at both resolutions; pixels prepared otherwise
    read 'Wikblad': the two reads' agreement is no evidence then."""
    text = "Örjan Lindh Wikblod"
    readings = {"signatory_name": _reading("signatory_name", text, 87.0)}

    other = _looks(text, 87.0, small="Örjan Lindh Wikblad")
    fields, _ = parse_readings(readings, 1, (100, 100), other, variants=True)
    assert fields["signatory_name"].confidence < 0.9
    # the third look saw the same words (a form's border read as "I" before them)
    same = _looks(text, 87.0, small=f"I {text}")
    fields, _ = parse_readings(readings, 1, (100, 100), same, variants=True)
    assert fields["signatory_name"].confidence >= 0.9


def test_a_name_and_an_address_one_letter_apart_are_neither_sure() -> None:
    """'Ingrid Moestom' (a hand's a read as o) against 'ingrid.moestam@…': one of them
    is misread, and nothing says which."""
    readings = {
        "signatory_name": _reading("signatory_name", "Ingrid Moestom", 95.0),
        "email": _reading("email", "ingrid.moestam@umu.se", 95.0),
    }

    def reread(key: str, variant: str | None = None) -> Reading:
        return readings[key]

    fields, _ = parse_readings(readings, 1, (100, 100), reread, variants=True)
    assert fields["signatory_name"].confidence < 0.9
    assert fields["email"].confidence < 0.9
    readings["signatory_name"] = _reading("signatory_name", "Ingrid Moestam", 95.0)
    fields, _ = parse_readings(readings, 1, (100, 100), reread, variants=True)
    assert fields["signatory_name"].confidence >= 0.9


def test_a_date_read_alike_with_a_word_under_90_is_looked_at_small_and_thin() -> None:
    """'9 augusti' in a slanted hand: both reads and the small look say 4, the thin look 7."""
    text = "Pajala 4 augusti 2024"
    readings = {"place_date": _reading("place_date", text, 87.0)}

    thin_other = _looks(text, 87.0, thin="Pajala 7 augusti 2024")
    fields, _ = parse_readings(readings, 1, (100, 100), thin_other, variants=True)
    assert fields["signed_date"].value == "2024-08-04"
    assert fields["signed_date"].confidence < 0.9
    fields, _ = parse_readings(readings, 1, (100, 100), _looks(text, 87.0), variants=True)
    assert fields["signed_date"].confidence >= 0.9


def test_a_date_whose_other_looks_agree_only_weakly_is_not_sure() -> None:
    """A hand's 4 drawn like a 1 with a flag: every look reads '2021', the small one
    unsure of it. Agreement of looks that doubt their digits is no confirmation."""
    text = "2021-06-02"
    readings = {"place_date": _reading("place_date", text, 89.0)}

    weak_small = _looks(text, 89.0, confs={"small": 72.0, "thin": 95.0})
    fields, _ = parse_readings(readings, 1, (100, 100), weak_small, variants=True)
    assert fields["signed_date"].value == "2021-06-02"
    assert fields["signed_date"].confidence < 0.9
    firm = _looks(text, 89.0, confs={"small": 85.0, "thin": 95.0})
    fields, _ = parse_readings(readings, 1, (100, 100), firm, variants=True)
    assert fields["signed_date"].confidence >= 0.9
