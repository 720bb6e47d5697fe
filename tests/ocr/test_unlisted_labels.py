"""Labels the profile does not list (issue 13): found by their place among the known
labels and the kind of the value beside them, flagged ``unlisted_label``.

The end-to-end tests draw one small signing block with the sample generator's own
drawing code (a typed block, label left of the value, DejaVu Sans: the dev split's
look), one label worded as no profile words it, and read it with the real engine.
"""

from __future__ import annotations

import pytest

from ocr.block import Strip, match_label
from ocr.fields import UNLISTED_LABEL, _label_words, value_kind
from ocr.layout import Box
from ocr.model import Extraction
from ocr.pipeline import extract
from ocr.profile import load_profiles
from ocr.tesseract import Word
from ocr.values import luhn_ok
from samples.canvas import BLACK, Canvas
from samples.layouts import BlockStyle, draw_label_left
from samples.pdfwrite import encode_page, write_pdf
from samples.scanner import ScanSpec

_SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
_KNOWN = {
    "organisation": "Organisation",
    "organisation_number": "Org.nr",
    "county": "Län",
    "place_date": "Ort och datum",
    "signature": "Underskrift",
    "signatory_name": "Namnförtydligande",
    "signatory_title": "Befattning",
    "email": "E-post",
}


def _orgnr() -> str:
    digits = next(f"556677123{d}" for d in range(10) if luhn_ok(f"556677123{d}"))
    return f"{digits[:6]}-{digits[6:]}"


_PRINTED: dict[str, str | None] = {
    "organisation": "Bodens Mekaniska AB",
    "organisation_number": _orgnr(),
    "county": "Norrbotten",
    "place_date": "Boden 2023-05-12",
    "signatory_name": "Anna Berg",
    "signatory_title": "Personalchef",
    "email": "anna.berg@bodensmek.se",
}
_TRUTH = {
    **{k: v for k, v in _PRINTED.items() if k != "place_date"},
    "place": "Boden",
    "signed_date": "2023-05-12",
}
_GROUP_FIELDS = {"place_date": ("place", "signed_date")}


def _read_block(labels: dict[str, str], *, colon: bool) -> Extraction:
    page = Canvas.a4(200, "L")
    page.text(22, 30, "Avsiktsförklaring Jämställd industri", _BOLD, 17)
    style = BlockStyle(
        family="label_left",
        labels=labels,
        label_font=_SANS,
        label_pt=10.5,
        value_font=_SANS,
        value_pt=11.0,
        value_ink=BLACK,
        row_pitch_mm=11.0,
        label_col_mm=48.0,
        left_mm=22.0,
        right_mm=188.0,
        colon=colon,
        line_pt=0.6,
    )
    draw_label_left(page, style, _PRINTED, 60.0)
    spec = ScanSpec(200, "bw-flate", 90, 0, False, 0.0, "none", 0.0, 0)
    return extract(write_pdf([encode_page(page.image, spec)]), load_profiles())


def test_a_block_of_known_labels_reads_as_before_and_is_not_flagged() -> None:
    (decl,) = _read_block(_KNOWN, colon=False).declarations
    assert UNLISTED_LABEL not in decl.flags
    for name, want in _TRUTH.items():
        assert decl.fields[name].value == want, name


@pytest.mark.parametrize(
    ("group", "wording", "colon", "strong"),
    [
        ("email", "Kontakt", True, True),
        ("county", "Länstillhörighet", False, True),
        ("place_date", "Ort, dag", True, True),
        ("signatory_title", "Tjänst", False, False),
        ("signatory_name", "Namn i klartext", False, False),
        ("organisation", "Företagets namn", False, False),
    ],
)
def test_an_unlisted_label_is_found_by_its_value_and_flagged(
    group: str, wording: str, colon: bool, strong: bool
) -> None:
    variants = sorted({pair for p in load_profiles() for pair in p.all_labels})
    assert match_label(_strip(*wording.split()), variants) is None  # no profile's, even loosely
    (decl,) = _read_block({**_KNOWN, group: wording}, colon=colon).declarations
    assert UNLISTED_LABEL in decl.flags
    for name in _GROUP_FIELDS.get(group, (group,)):
        assert decl.fields[name].value == _TRUTH[name], name
        if not strong:  # only the value's look placed it: never sure
            assert decl.fields[name].confidence < 0.9
            assert f"low_confidence:{name}" in decl.flags
    for name, want in _TRUTH.items():  # the other values are untouched
        assert decl.fields[name].value == want, name


def test_a_variant_the_profiles_list_now_is_matched_not_flagged() -> None:
    extraction = _read_block({**_KNOWN, "signatory_name": "Namn", "email": "Mejl"}, colon=True)
    (decl,) = extraction.declarations
    assert UNLISTED_LABEL not in decl.flags
    assert decl.fields["signatory_name"].value == "Anna Berg"
    assert decl.fields["email"].value == _TRUTH["email"]


def _strip(*words: str) -> Strip:
    out, x = [], 0
    for w in words:
        out.append(Word(w, x, 0, x + 20 * len(w), 30, 95.0, 0))
        x += 20 * len(w) + 15
    return Strip(Box(0, 0, x, 30), tuple(out))


@pytest.mark.parametrize(
    ("words", "count"),
    [
        (("Mail:", "anna@ab.se"), 1),
        (("Namn", "i", "klartext"), 3),
        (("Säte", "(län):"), 2),
        (("Ort,", "dag:", "Boden"), 2),
        (("Västerbotten",), 0),  # a county is a value
        (("Bodens", "kommun"), 0),  # an organisation
        (("Anna", "Berg"), 0),  # a person's name
        (("Personalchef",), 0),  # a title
        (("Vi", "ställer", "oss", "bakom", "förklaringen"), 0),  # a sentence
    ],
)
def test_what_reads_like_a_label(words: tuple[str, ...], count: int) -> None:
    assert _label_words(_strip(*words)) == count


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("anna.berg@boden.se", ("email", True)),
        (_orgnr(), ("organisation_number", True)),
        (_orgnr()[:-1] + str((int(_orgnr()[-1]) + 1) % 10), ("organisation_number", False)),
        ("Boden 2023-05-12", ("place_date", True)),
        ("Norrbottens län", ("county", True)),
        ("Bodens kommun", ("organisation", False)),
        ("Kommunstyrelsens ordförande", ("signatory_title", False)),
        ("Anna Berg", ("signatory_name", False)),
        ("lorem", None),
    ],
)
def test_the_kind_of_a_value(text: str, kind: tuple[str, bool] | None) -> None:
    assert value_kind(text) == kind
