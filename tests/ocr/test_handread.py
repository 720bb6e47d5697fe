"""The second read in the engine (ocr.handread): two readers of hand-filled digits, and
what their agreement or disagreement gives (issue 13)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ocr import ctc, handread
from ocr.confidence import SURE, low_flag
from ocr.handread import SecondRead, judge, second_read
from ocr.handwriting import Reading
from ocr.model import FieldValue

CHARS = ("", *"0123456789-/.,abcdegijklmnoprstuvyåäöÄÅÖ", " ")
INDEX = {c: i for i, c in enumerate(CHARS) if i}
ON = SecondRead(enabled=True)


def spelled(text: str, *, p: float = 0.95) -> np.ndarray:
    """A probability matrix that writes ``text``: two steps a character, a blank between."""
    rows = []
    for ch in text:
        for k in (INDEX[ch], INDEX[ch], 0):
            row = np.full(len(CHARS), (1 - p) / len(CHARS))
            row[k] += p
            rows.append(row / row.sum())
    return np.array(rows, dtype=np.float32)


def test_a_date_written_with_its_month_by_name_is_read() -> None:
    lexicon = ctc.dates(dt.date(2022, 1, 1), dt.date(2024, 12, 31))
    for text, want in (
        ("29 maj 2023", "2023-05-29"),
        ("Älvsbyn, 29 maj 2023", "2023-05-29"),
        ("5 december 2021", None),  # before the list's first day: at most a forced read
        ("29 mej 2023", None),  # no month is spelled so
        ("17 aug 2022", "2022-08-17"),
    ):
        d = ctc.decode(spelled(text), CHARS, INDEX, ctc.AfterWords(lexicon))
        assert (d.value if d.confidence >= 0.5 else None) == want  # else forced, unlikely


def test_two_readers_that_agree_leave_the_value_as_it_was() -> None:
    tess = FieldValue("2023-05-29", 0.99)
    assert judge(tess, "2023-05-29", 1.0, 0.998, ON) is None


def test_two_readers_sure_of_different_values_give_neither_sure() -> None:
    tess = FieldValue("2023-05-24", 0.99)
    v = judge(tess, "2023-05-29", 1.0, 0.998, ON)
    assert v is not None and v.confidence < SURE and v.disagree
    assert v.value == "2023-05-29"  # the beam was sure: on hand ink it is the better reader
    weak = judge(tess, "2023-05-21", 0.9, 0.998, ON)
    assert weak is not None and weak.confidence < SURE and weak.disagree
    assert weak.value == "2023-05-24"  # the beam unsure: Tesseract's value, unsure


def test_an_unsure_first_read_gives_way_to_the_better_supported_second() -> None:
    invalid = FieldValue("207770-0801", 0.055)  # fails Luhn, read at 0.055
    v = judge(invalid, "212047-6680", 0.63, 0.99, ON)
    assert v is not None and v.value == "212047-6680" and v.confidence < SURE
    better = FieldValue("212047-6680", 0.8)
    assert judge(better, "212047-6681", 0.3, 0.99, ON) is None  # Tesseract's is better held
    sure_second = judge(FieldValue(None, 0.0), "212047-6680", 0.995, 0.99, ON)
    assert sure_second is not None and sure_second.confidence >= SURE


class _Fake:
    """A recogniser that reads each crop as the text it is given."""

    characters = CHARS
    index = INDEX

    def __init__(self, text: str) -> None:
        self.text = text
        self.crops = 0

    def read_many(self, crops: list[np.ndarray]) -> list[Reading]:
        self.crops += len(crops)
        return [Reading(spelled(self.text), self.text, 0.99) for _ in crops]


def _regions() -> dict[str, object]:
    from ocr.fields import Region

    class _Box:
        x0, y0, x1, y1 = 10, 10, 190, 40

    return {"place_date": Region(label=None, box=_Box(), where="right")}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ink", "want_value", "sure"),
    [
        ("Älvsbyn, 24 maj 2023", "2023-05-24", True),  # both read 24: sure, untouched
        ("Älvsbyn, 29 maj 2023", "2023-05-29", False),  # they differ: unsure, flagged
    ],
)
def test_a_date_tesseract_is_sure_of_is_read_by_both(
    monkeypatch: pytest.MonkeyPatch, ink: str, want_value: str, sure: bool
) -> None:
    fake = _Fake(ink)
    monkeypatch.setattr(handread, "get_recogniser", lambda: fake)
    grey = np.full((60, 200), 255, np.uint8)
    grey[20:30, 20:180] = 0
    fields = {"signed_date": FieldValue("2023-05-24", 0.99, 1, (0.1, 0.1, 0.9, 0.6))}
    out, flags = second_read(
        fields, [], _regions(), grey, 12.0, ON, page=1, today=dt.date(2024, 1, 1)
    )
    assert fake.crops == 1
    assert out["signed_date"].value == want_value
    assert (out["signed_date"].confidence >= SURE) is sure
    assert (low_flag("signed_date") in flags) is not sure
    assert ("readers_differ:signed_date:2023-05-29" in flags) is not sure
    off, off_flags = second_read(fields, [], _regions(), grey, 12.0, SecondRead(enabled=False))
    assert off == fields and off_flags == [] and fake.crops == 1


def test_a_sure_value_is_not_read_again_when_told_not_to(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _Fake("Älvsbyn, 29 maj 2023")
    monkeypatch.setattr(handread, "get_recogniser", lambda: fake)
    grey = np.full((60, 200), 255, np.uint8)
    fields = {"signed_date": FieldValue("2023-05-24", 0.99, 1, (0.1, 0.1, 0.9, 0.6))}
    setting = SecondRead(enabled=True, check_sure=False)
    out, _ = second_read(fields, [], _regions(), grey, 12.0, setting, today=dt.date(2024, 1, 1))
    assert out == fields and fake.crops == 0
