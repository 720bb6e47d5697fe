"""The second read of hand-printed text (ocr.handread, issue 13): county, place and title
decoded under their lists, organisation and name read free and sure only where both
recognisers agree. Crops are made here in a dev handwriting *font* (SteveHand, the
samples' dev split); real handwritten letters are not available."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr import ctc, handread
from ocr.confidence import SURE, low_flag
from ocr.fields import Region
from ocr.handread import SecondRead, judge, second_read
from ocr.handwriting import Reading
from ocr.layout import Box
from ocr.model import FieldValue
from ocr.tesseract import LANG, PSM_LINE, get_engine, words_text
from ocr.values.county import COUNTIES
from ocr.values.lexicon import load
from ocr.values.text import clean_name, clean_place

HAND = Path("/usr/share/fonts/truetype/sjfonts/SteveHand.ttf")  # samples.split: dev
ON = SecondRead(enabled=True)
TODAY = dt.date(2024, 6, 1)
needs_font = pytest.mark.skipif(not HAND.exists(), reason="the dev handwriting font")


def _page(text: str, px: int = 34) -> tuple[np.ndarray, Region]:
    """A grey page with ``text`` hand-printed in the font, and its value region."""
    font = ImageFont.truetype(str(HAND), px)
    w = int(font.getlength(text))
    page = Image.new("L", (w + 200, px + 120), 255)
    ImageDraw.Draw(page).text((100, 50), text, font=font, fill=20)
    box = Box(90, 45, w + 110, 50 + px + 10)
    return np.array(page), Region(label=None, box=box, where="right")  # type: ignore[arg-type]


def _tesseract(grey: np.ndarray, region: Region) -> str:
    crop = handread.crop_of(grey, region, 30.0)
    assert crop is not None
    words = get_engine().read_words(
        np.pad(crop, 12, constant_values=255), psm=PSM_LINE, dpi=200, lang=LANG
    )
    return words_text(words)


@needs_font
@pytest.mark.parametrize(
    ("field", "region", "ink", "want", "clean"),
    [
        ("place", "place_date", "Övertorneå 11/5 2023", "Övertorneå", clean_place),
        ("signatory_name", "signatory_name", "Åke Lindqvist", None, clean_name),
    ],
)
def test_a_hand_printed_value_tesseract_misreads(
    field: str, region: str, ink: str, want: str | None, clean: object
) -> None:
    """Tesseract misreads it; the second read snaps a place to its list (sure), and a
    name the two readers read differently is never given sure."""
    grey, reg = _page(ink)
    tess = clean(_tesseract(grey, reg))  # type: ignore[operator]
    truth = ink.split(" 1")[0]
    assert tess.value != truth  # without the second read: wrong
    fields = {field: FieldValue(tess.value, 0.4, 1, None)}
    out, flags = second_read(fields, [low_flag(field)], {region: reg}, grey, 30.0, ON, page=1)
    got = out[field]
    if want is not None:
        assert got.value == want and got.confidence >= SURE
        assert low_flag(field) not in flags and f"second_reader:{field}" in flags
    else:
        assert got.value != truth or got.confidence < SURE  # never a sure wrong value
        assert got.confidence < SURE and low_flag(field) in flags
    off, _ = second_read(fields, [], {region: reg}, grey, 30.0, SecondRead(enabled=False))
    assert off == fields


@needs_font
def test_two_readers_reading_one_name_raise_it_but_never_to_sure() -> None:
    grey, reg = _page("Märta Öberg")
    fields = {"signatory_name": FieldValue("Märta Öberg", 0.6, 1, None)}
    out, flags = second_read(
        fields, [low_flag("signatory_name")], {"signatory_name": reg}, grey, 30.0, ON, page=1
    )
    assert out["signatory_name"].value == "Märta Öberg"
    assert 0.6 < out["signatory_name"].confidence < SURE  # raised, unsure: nothing checks it
    assert low_flag("signatory_name") in flags
    other = {"signatory_name": FieldValue("Marta Oberg", 0.6, 1, None)}  # another reading
    out, _ = second_read(other, [], {"signatory_name": reg}, grey, 30.0, ON, page=1)
    assert out["signatory_name"].confidence < SURE


@needs_font
def test_a_title_and_a_county_tesseract_was_unsure_of_are_made_sure_by_their_lists() -> None:
    for field, ink, want in (
        ("signatory_title", "Kommundirektör", "Kommundirektör"),
        ("county", "Norrbottens län", "Norrbotten"),
    ):
        grey, reg = _page(ink)
        fields = {field: FieldValue(None, 0.0, 1, None)}
        out, _ = second_read(fields, [], {field: reg}, grey, 30.0, ON, page=1)
        assert out[field].value == want and out[field].confidence >= SURE


# ------------------------------------------------------------- made matrices

CHARS = ("", *"0123456789-/.,abcdefghijklmnoprstuvxyzåäöABEHKLMNORSTVÅÄÖ", " ")
INDEX = {c: i for i, c in enumerate(CHARS) if i}


def spelled(text: str, *, p: float = 0.95) -> np.ndarray:
    rows = []
    for ch in text:
        for k in (INDEX[ch], INDEX[ch], 0):
            row = np.full(len(CHARS), (1 - p) / len(CHARS))
            row[k] += p
            rows.append(row / row.sum())
    return np.array(rows, dtype=np.float32)


def _value(text: str, constraint: ctc.Constraint) -> str | None:
    d = ctc.decode(spelled(text), CHARS, INDEX, constraint)
    return d.value if d.confidence_at(0.1) >= 0.5 else None


def test_a_list_value_is_snapped_whatever_its_case_and_rings() -> None:
    counties = ctc.counties(COUNTIES, fold=True)
    assert _value("Norrbottens lan", counties) == "Norrbotten"
    assert _value("VASTERBOTTEN", counties) == "Västerbotten"
    assert _value("Nordbotten", counties) is None  # not a county: at most a forced read
    places = ctc.ThenWords(ctc.names(load("municipalities"), fold=True))
    assert _value("Overtornea, 11/5 2023", places) == "Övertorneå"
    assert _value("Markaryd 2023-05-11", places) == "Markaryd"
    assert _value("Mark 2023-05-11", places) == "Mark"
    assert _value("Habo 2023-05-11", places) is None  # Habo or Håbo: the list cannot tell
    titles = ctc.names(load("titles"), fold=True)
    assert _value("personalchef", titles) == "Personalchef"


def test_readers_that_differ_are_never_sure() -> None:
    name = FieldValue("Åke Lundavist", 0.5)
    v = judge(name, "Ake Lindqvist", 0.99, 2.0, ON, agree_bar=0.5, free=True)
    assert v is None or v.confidence < SURE
    sure = FieldValue("Luleå", 0.98)
    v = judge(sure, "Umeå", 1.0, 0.99, ON, agree_bar=0.5)
    assert v is not None and v.confidence < SURE and v.disagree
    agreed = judge(
        FieldValue("anna öberg", 0.5), "Anna Öberg", 0.9, 2.0, ON, agree_bar=0.5, free=True
    )
    assert agreed is not None and agreed.value == "Anna Öberg"
    assert 0.5 < agreed.confidence < SURE  # raised, never sure: two readers may drop a mark alike
    weak = judge(
        FieldValue("Anna Öberg", 0.5), "Anna Öberg", 0.3, 2.0, ON, agree_bar=0.5, free=True
    )
    assert weak is None  # the free read itself unsure between two names: no agreement


class _Fake:
    characters = CHARS
    index = INDEX

    def __init__(self, texts: dict[int, str]) -> None:
        self.texts = texts  # crop width -> what it reads
        self.calls = 0
        self.crops = 0

    def read_many(self, crops: list[np.ndarray]) -> list[Reading]:
        self.calls += 1
        self.crops += len(crops)
        out = []
        for c in crops:
            text = self.texts[c.shape[1]]
            out.append(Reading(spelled(text), text, 0.99))
        return out


def _box(x0: int, x1: int) -> Region:
    return Region(label=None, box=Box(x0, 10, x1, 40), where="inline")  # type: ignore[arg-type]


def test_one_call_a_page_and_sure_listed_values_are_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # crop widths (inline: x0 + 1 .. x1 + margin 4): the fake reads each by its width
    fake = _Fake({203: "Älvsbyn, 29 maj 2023", 103: "Norrbotten", 153: "Anna Öberg"})
    monkeypatch.setattr(handread, "get_recogniser", lambda: fake)
    grey = np.full((60, 400), 255, np.uint8)
    regions = {
        "place_date": _box(0, 200),
        "county": _box(0, 100),
        "signatory_name": _box(0, 150),
    }
    fields = {
        "place": FieldValue("Älvsbyn", 0.4, 1, None),
        "signed_date": FieldValue("2023-05-29", 0.99, 1, None),
        "county": FieldValue("Norrbotten", 0.98, 1, None),  # sure and listed: not read
        "signatory_name": FieldValue("Anna Öberg", 0.7, 1, None),
    }
    out, flags = second_read(fields, [], regions, grey, 12.0, ON, page=1, today=TODAY)
    assert fake.calls == 1 and fake.crops == 2  # place and date share their region's crop
    assert out["place"].value == "Älvsbyn" and out["place"].confidence >= SURE
    assert 0.7 < out["signatory_name"].confidence < SURE  # both read "Anna Öberg": raised
    assert out["county"] == fields["county"] and out["signed_date"].value == "2023-05-29"
    assert not [f for f in flags if f.startswith("readers_differ")]
    # numbers and dates only (issue 13's first step): the text fields stay as they were
    only = SecondRead(enabled=True, fields=handread.NUMBERS)
    out, _ = second_read(fields, [], regions, grey, 12.0, only, page=1, today=TODAY)
    assert out["place"] == fields["place"] and out["signatory_name"] == fields["signatory_name"]


def test_an_organisation_is_snapped_to_the_registrys_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = _Fake({203: "Boliden Mineral AB"})
    monkeypatch.setattr(handread, "get_recogniser", lambda: fake)
    grey = np.full((60, 400), 255, np.uint8)
    regions = {"organisation": _box(0, 200)}
    fields = {"organisation": FieldValue("Bolidem Mineral AB", 0.5, 1, None)}
    known = SecondRead(enabled=True, organisations=("Boliden Mineral AB", "Boliden AB"))
    out, flags = second_read(fields, [], regions, grey, 12.0, known, page=1)
    assert out["organisation"].value == "Boliden Mineral AB"
    assert out["organisation"].confidence >= SURE and "second_reader:organisation" in flags
    free, _ = second_read(fields, [], regions, grey, 12.0, ON, page=1)
    assert free["organisation"].value == "Boliden Mineral AB"  # the free read, better held
    assert free["organisation"].confidence < SURE  # but one reader only: unsure
    tess_too = {"organisation": FieldValue("Boliden Mineral AB", 0.5, 1, None)}
    agreed, _ = second_read(tess_too, [], regions, grey, 12.0, ON, page=1)
    assert agreed["organisation"].confidence < SURE  # both, free: raised, still unsure


def test_a_name_keeps_the_rings_tesseract_saw_and_the_letters_pp_ocr_read() -> None:
    assert handread.restore_marks("Jorgen Nystrom", "Jörgen Nyröm") == "Jörgen Nyström"
    assert handread.restore_marks("Ake Granstrom", "Åke Gransyöm") == "Åke Granstrom"
    assert handread.restore_marks("Björkö Tri AB", "Björkö TVäNB") == "Björkö Tri AB"  # by chance
    assert handread.restore_marks("Anna Berg", "Lena Borg") == "Anna Berg"  # no marks: as read


def test_a_place_no_list_holds_is_not_forced_into_one(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _Fake({203: "Kallax, den 30 januari 2023"})  # a village: the list's Kalix, forced
    monkeypatch.setattr(handread, "get_recogniser", lambda: fake)
    grey = np.full((60, 400), 255, np.uint8)
    fields = {"place": FieldValue(None, 0.0, 1, None)}
    out, _ = second_read(fields, [], {"place_date": _box(0, 200)}, grey, 12.0, ON, page=1)
    assert out["place"].value is None


def test_the_registrys_names_reach_the_second_read() -> None:
    setting = handread.with_lexicon(ON, {"556000-0001": "Nymek AB", "556000-0002": "Talga AB"})
    assert setting.organisations == ("Nymek AB", "Talga AB")
    assert handread.with_lexicon(handread.SECOND_READ_OFF, {"1": "X"}).organisations == ()
