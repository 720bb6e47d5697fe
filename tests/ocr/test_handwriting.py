"""The second recogniser (PP-OCRv6 from the rapidocr wheel), the constrained CTC beam,
and the MNIST digits that make hand-written samples (issue 13)."""

from __future__ import annotations

import datetime as dt
import random
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr import ctc
from ocr.handwriting import Recogniser
from ocr.values.orgnr import luhn_ok
from samples.handwriting import (
    ALLOWED_PER_DIGIT,
    Digits,
    HeldOutRow,
    check_allowed,
    compose,
    make_value,
)

# a tiny character set for matrices made by hand: blank first, space last (as the model's)
CHARS = ("", *"0123456789-/.abcNorbtensläÄ", " ")
INDEX = {c: i for i, c in enumerate(CHARS) if i}
ORGNR = re.compile(r"^\d{6}-\d{4}$")


@pytest.fixture(scope="module")
def date_lexicon() -> ctc.Lexicon:
    return ctc.dates(dt.date(2015, 1, 1), dt.date(2027, 12, 31))


def spelled(text: str, *, p: float = 0.9, seed: int = 0) -> np.ndarray:
    """A probability matrix that writes ``text``: two steps a character, a blank between."""
    rng = np.random.default_rng(seed)
    rows = []
    for ch in text:
        for k in (INDEX[ch], INDEX[ch], 0):
            row = rng.random(len(CHARS)) * (1 - p) / len(CHARS)
            row[k] += p
            rows.append(row / row.sum())
    return np.array(rows, dtype=np.float32)


# ---------------------------------------------------------------- the model


def test_model_loads_from_the_wheel_and_reads_a_crop(
    recogniser: Recogniser, digits: Digits
) -> None:
    assert len(recogniser.characters) == 18710
    assert recogniser.characters[0] == "" and recogniser.characters[-1] == " "
    for ch in "0123456789-/.åäöÅÄÖ@":
        assert ch in recogniser.index
    value = make_value(digits, "orgnr", random.Random("test:model"))
    reading = recogniser.read(value.image)
    assert reading.probs.ndim == 2 and reading.probs.shape[1] == 18710
    assert np.allclose(reading.probs.sum(axis=1), 1.0, atol=1e-3)
    assert 0.0 < reading.confidence <= 1.0
    assert sum(ch.isdigit() for ch in reading.text) >= 8


def test_a_batch_reads_as_the_crops_one_by_one(recogniser: Recogniser, digits: Digits) -> None:
    rng = random.Random("test:batch")
    crops = [make_value(digits, kind, rng).image for kind in ("orgnr", "date", "orgnr")]
    alone = [recogniser.read(c).text for c in crops]
    together = [r.text for r in recogniser.read_many(crops)]
    assert together == alone


def test_composed_organisation_numbers_are_read_right_by_the_constrained_beam(
    recogniser: Recogniser, digits: Digits
) -> None:
    right = 0
    for i in range(10):
        value = make_value(digits, "orgnr", random.Random(f"test:orgnr:{i}"))
        reading = recogniser.read(value.image)
        decoded = ctc.decode(reading.probs, recogniser.characters, recogniser.index, ctc.Orgnr())
        assert decoded.value is not None and ORGNR.match(decoded.value)
        right += decoded.value == value.truth
    assert right >= 9


def test_composed_dates_are_read_right_by_the_constrained_beam(
    recogniser: Recogniser, digits: Digits, date_lexicon: ctc.Lexicon
) -> None:
    right = 0
    for i in range(10):
        value = make_value(digits, "date", random.Random(f"test:date:{i}"))
        reading = recogniser.read(value.image)
        decoded = ctc.decode(reading.probs, recogniser.characters, recogniser.index, date_lexicon)
        right += decoded.value == value.truth
    assert right >= 8


# ---------------------------------------------------------------- the constraints


def test_luhn() -> None:
    assert luhn_ok("5564261234") is False
    assert luhn_ok("5560360793")  # a real organisation number's digits
    assert luhn_ok("2120001165")
    assert not luhn_ok("2120001166")
    orgnr = ctc.Orgnr()
    state = orgnr.start()
    for ch in "212000116":
        state = orgnr.step(state, ch)
    assert orgnr.step(state, "6") is None
    assert orgnr.value(orgnr.step(state, "5")) == "212000-1165"


def test_a_number_failing_luhn_is_never_returned() -> None:
    decoded = ctc.decode(spelled("212000-1166"), CHARS, INDEX, ctc.Orgnr())
    assert decoded.value != "212000-1166"
    assert decoded.value is None or luhn_ok(decoded.value.replace("-", ""))
    assert decoded.score < 0.5  # the beam had to force another number
    clean = ctc.decode(spelled("212000-1165"), CHARS, INDEX, ctc.Orgnr())
    assert clean.value == "212000-1165" and clean.score == 1.0
    without_dash = ctc.decode(spelled("2120001165"), CHARS, INDEX, ctc.Orgnr())
    assert without_dash.value == "212000-1165"


@settings(max_examples=60, deadline=None)
@given(st.integers(4, 36), st.integers(0, 2**32 - 1))
def test_the_beam_never_returns_a_value_its_constraint_forbids(steps: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(len(CHARS), 0.3), size=steps).astype(np.float32)
    decoded = ctc.decode(probs, CHARS, INDEX, ctc.Orgnr())
    if decoded.value is not None:
        assert ORGNR.match(decoded.value)
        assert luhn_ok(decoded.value.replace("-", ""))
        assert 0.0 <= decoded.score <= 1.0 and 0.5 <= decoded.margin <= 1.0


@pytest.mark.parametrize("impossible", ["2023-02-29", "31/4 2022", "30.2.2024", "2021-13-01"])
def test_dates_that_do_not_exist_are_never_returned(
    impossible: str, date_lexicon: ctc.Lexicon
) -> None:
    decoded = ctc.decode(spelled(impossible), CHARS, INDEX, date_lexicon)
    if decoded.value is not None:
        dt.date.fromisoformat(decoded.value)  # exists
    assert decoded.score < 0.5


@settings(max_examples=40, deadline=None)
@given(st.integers(6, 30), st.integers(0, 2**32 - 1))
def test_every_date_the_beam_returns_exists(steps: int, seed: int) -> None:
    lexicon = ctc.dates(dt.date(2023, 1, 1), dt.date(2024, 12, 31))
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(len(CHARS), 0.3), size=steps).astype(np.float32)
    decoded = ctc.decode(probs, CHARS, INDEX, lexicon)
    if decoded.value is not None:
        day = dt.date.fromisoformat(decoded.value)
        assert dt.date(2023, 1, 1) <= day <= dt.date(2024, 12, 31)


def test_date_formats_read_as_one_date(date_lexicon: ctc.Lexicon) -> None:
    for text in ("2023-05-11", "11/5 2023", "11.5.2023", "11.05.2023", "20230511"):
        assert ctc.decode(spelled(text), CHARS, INDEX, date_lexicon).value == "2023-05-11"


def test_a_county_snaps_to_its_list() -> None:
    lexicon = ctc.counties(["Norrbotten", "Västerbotten"])
    assert ctc.decode(spelled("Norrbottens län"), CHARS, INDEX, lexicon).value == "Norrbotten"
    assert ctc.decode(spelled("Norbotten"), CHARS, INDEX, lexicon).value in (None, "Norrbotten")


# ---------------------------------------------------------------- the MNIST guard


def test_rows_kept_for_the_outside_check_are_refused() -> None:
    for row in (0, 399, 500, 899, 4899):
        check_allowed(row)
    for row in (400, 499, 900, 4999, 5000, -1):
        with pytest.raises(HeldOutRow):
            check_allowed(row)


def test_loaded_digits_hold_no_row_kept_for_the_outside_check(digits: Digits) -> None:
    for d in range(10):
        assert len(digits.images[d]) == ALLOWED_PER_DIGIT
        assert all(int(r) % 500 < 400 for r in digits.rows[d])
        assert all(int(r) // 500 == d for r in digits.rows[d])


def test_composing_with_a_held_out_row_fails(digits: Digits) -> None:
    tampered = Digits(
        images={d: digits.images[d][:1] for d in range(10)},
        rows={d: np.array([d * 500 + 450]) for d in range(10)},
    )
    with pytest.raises(HeldOutRow):
        compose(tampered, "12", random.Random(0))


def test_generated_forms_can_carry_hand_written_digits() -> None:
    from samples.generate import render_sample

    typed_pdf, typed = render_sample(0, 1, "dev", dpi=150)
    hand_pdf, hand = render_sample(0, 1, "dev", dpi=150, hand_digits=True)
    assert "hand_digits" not in typed["declarations"][0]
    written = hand["declarations"][0]["hand_digits"]
    fields = hand["declarations"][0]["fields"]
    assert set(written) == {"organisation_number", "signed_date"}
    assert written["organisation_number"].replace(" ", "").replace("-", "") == fields[
        "organisation_number"
    ].replace("-", "")
    assert fields == typed["declarations"][0]["fields"]  # the truth stays the same values
    assert hand_pdf != typed_pdf


def test_the_engine_reads_hand_written_digits_a_second_time_only_when_asked() -> None:
    from ocr.handread import NUMBERS, SecondRead
    from ocr.pipeline import extract
    from samples.generate import render_sample

    pdf, truth = render_sample(0, 1, "dev", hand_digits=True)
    want = truth["declarations"][0]["fields"]
    off = extract(pdf).declarations[0]
    # the digits only (the text fields' second read: tests/ocr/test_handread_text.py)
    on = extract(pdf, second=SecondRead(enabled=True, fields=NUMBERS)).declarations[0]
    assert not any(f.startswith("second_reader:") for f in off.flags)
    assert on.fields["organisation_number"].value == want["organisation_number"]
    assert on.fields["signed_date"].value == want["signed_date"]
    assert "second_reader:organisation_number" in on.flags
    assert on.fields["organisation_number"].page in on.pages
    assert on.fields["organisation_number"].bbox is not None
    for name in ("organisation", "county", "place", "signatory_name"):
        assert on.fields[name] == off.fields[name]  # nothing else is touched
