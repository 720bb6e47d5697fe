"""Pairing labels with their values, by geometry (no OCR)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr.block import Label, Strip, best_labels, match_label
from ocr.fields import (
    Region,
    _column_end,
    _one_owner,
    _right,
    unread_ink,
    unread_letter_ink,
    without_rules,
)
from ocr.layout import Box
from ocr.profile import load_profiles
from ocr.tesseract import Word

_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _label(key: str, box: Box) -> Label:
    return Label(key=key, box=box, segment=box, score=1.0, trailing=False)


@pytest.mark.parametrize(
    ("value", "organisation", "number"),
    [
        # a wide label column: the organisation's value stands far right of its label,
        # and the empty number field below looks up and sees it nearer than that
        (
            Box(728, 1436, 1360, 1508),
            (Box(287, 1462, 483, 1497), "right"),
            (Box(287, 1564, 636, 1599), "above"),
        ),
        # of two claims from other rows, the nearer wins
        (
            Box(300, 1000, 900, 1040),
            (Box(300, 940, 500, 975), "below"),
            (Box(300, 1150, 600, 1185), "above"),
        ),
    ],
)
def test_a_value_claimed_twice_has_one_owner(
    value: Box, organisation: tuple[Box, str], number: tuple[Box, str]
) -> None:
    owners = _one_owner(
        {
            "organisation": Region(_label("organisation", organisation[0]), value, organisation[1]),
            "organisation_number": Region(
                _label("organisation_number", number[0]), value, number[1]
            ),
        }
    )
    assert owners["organisation"].box == value
    assert owners["organisation_number"].box is None


def test_a_digit_misread_in_a_label_word_is_a_letter() -> None:
    variants = sorted({pair for p in load_profiles() for pair in p.all_labels})
    strip = Strip(Box(0, 0, 200, 40), (Word("Ro11:", 0, 0, 150, 40, 60.0, 0),))
    label = match_label(strip, variants)
    assert label is not None and label.key == "signatory_title"
    digits = Strip(Box(0, 0, 200, 40), (Word("2021", 0, 0, 150, 40, 90.0, 0),))
    assert match_label(digits, variants) is None


def test_rules_under_a_value_are_painted_over_and_the_letters_kept() -> None:
    img = Image.new("L", (600, 80), 245)
    draw = ImageDraw.Draw(img)
    draw.text((20, 10), "hakan@ab.se", fill=20, font=ImageFont.truetype(_FONT, 40))
    draw.line((0, 70, 600, 70), fill=10, width=3)
    crop = np.asarray(img)
    clean = without_rules(crop)
    assert clean[66:75].min() > 200  # the rule is gone
    assert (clean[10:60] < 128).sum() == (crop[10:60] < 128).sum()  # the letters stay
    blank = np.full((80, 600), 245, np.uint8)
    assert without_rules(blank) is blank


def test_a_stroke_crossing_the_rule_keeps_its_pixels_there() -> None:
    """The tail of a handwritten g runs through the rule: cut there, Tesseract reads 'a'."""
    img = Image.new("L", (600, 100), 245)
    draw = ImageDraw.Draw(img)
    draw.line((0, 70, 600, 70), fill=10, width=4)
    draw.line((300, 30, 300, 95), fill=10, width=6)  # a tail from above to below the rule
    clean = without_rules(np.asarray(img))
    assert clean[70, 299:302].max() < 128  # the crossing stays ink
    assert clean[66:75, 100].min() > 200 and clean[66:75, 500].min() > 200  # the rule goes


def _bars(n: int) -> np.ndarray:
    crop = np.full((80, 300), 245, np.uint8)
    for i in range(n):
        crop[15:65, 100 + 30 * i : 108 + 30 * i] = 10
    return crop


@pytest.mark.parametrize(("bars", "read", "unread"), [(2, "11", 0), (2, "1", 1), (1, "1", 0)])
def test_digit_sized_ink_the_words_read_do_not_account_for(
    bars: int, read: str, unread: int
) -> None:
    word = Word(read, 95, 12, 100 + 30 * bars + 5, 68, 89.0, 1)  # one box over every bar
    assert unread_ink(_bars(bars), [word]) == unread


def test_letters_and_short_marks_are_not_counted_as_unread_digits() -> None:
    crop = _bars(2)
    crop[60:64, 60:70] = 10  # a full stop, lower than half a digit
    assert unread_ink(crop, [Word("abc", 0, 0, 300, 80, 90.0, 1)]) == 0
    assert unread_ink(crop, [Word("1.1", 50, 12, 170, 68, 90.0, 1)]) == 0


def _typed(words: list[str]) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A line of typed words (DejaVu Sans, 40 px) and each word's ink box."""
    img = Image.new("L", (900, 90), 245)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(_FONT, 40)
    boxes, x = [], 20
    for word in words:
        draw.text((x, 20), word, font=font, fill=10)
        boxes.append(tuple(int(v) for v in draw.textbbox((x, 20), word, font=font)))
        x = boxes[-1][2] + 25
    return np.array(img), boxes


@pytest.mark.parametrize(
    ("printed", "read", "unread"),
    [
        (["Älvdals", "Trä", "AB"], ["Älvdals", "Trä", "AB"], 0),
        (["Älvdals", "Trä", "AB"], ["Älvdals", "Tä", "AB"], 1),  # the r under the T's arm
        (["Hällnäs", "Plåt"], ["Hällnäs", "Pt"], 2),
        (["Luleå,", "11/5", "2023"], ["Luleå,", "11/5", "2023"], 0),  # a comma may be a piece
        (["Kiruna"], ["Kiruna"], 0),  # the dot of an i is no letter
    ],
)
def test_letters_left_out_are_counted_from_the_ink(
    printed: list[str], read: list[str], unread: int
) -> None:
    crop, boxes = _typed(printed)
    words = [Word(t, *b, 95.0, 1) for t, b in zip(read, boxes, strict=True)]
    assert unread_letter_ink(crop, words) == unread


def test_a_speck_read_as_a_mark_does_not_shrink_what_a_letter_is() -> None:
    crop, boxes = _typed(["Dorotea"])
    crop[80:82, 400:402] = 10  # a speck under the line, read as ";"
    words = [Word("Dorotea", *boxes[0], 95.0, 1), Word(";", 398, 78, 404, 84, 40.0, 1)]
    assert unread_letter_ink(crop, words) == 0


def test_of_two_matches_for_one_label_the_one_in_the_labels_column_is_kept() -> None:
    """'Bodens kommun' written as two runs: 'kommun' matches the label 'Kommun' as well
    as 'Organisation' does; the label is the one standing in the column of labels."""
    stray = Label("organisation", Box(782, 1184, 980, 1230), Box(782, 1184, 980, 1230), 1.0, False)
    real = _label("organisation", Box(153, 1189, 506, 1240))
    others = [
        _label("organisation_number", Box(152, 1359, 534, 1394)),
        _label("county", Box(156, 1508, 252, 1546)),
    ]
    for found in ([stray, real, *others], [real, stray, *others]):
        kept = best_labels(found)
        assert [lab for lab in kept if lab.key == "organisation"] == [real]
        assert len(kept) == 3


def test_a_value_stops_at_a_column_of_labels_whose_rows_do_not_line_up_with_its_own() -> None:
    """Two columns: 'Län' sits between 'Ort/datum' and 'Underskrift' of the right column
    and lines up with neither; its value must not run on into the signature."""
    county = _label("county", Box(194, 818, 223, 834))
    right = [
        _label("place_date", Box(868, 698, 950, 715)),
        _label("signature", Box(867, 832, 958, 849)),
        _label("signatory_name", Box(867, 892, 1025, 914)),
    ]
    assert _column_end(county, [county, *right], 1400) == 867
    lone = _label("place_date", Box(868, 698, 950, 715))  # one label is no column
    assert _column_end(county, [county, lone], 1400) == 1400


def test_a_line_on_another_labels_row_is_not_the_value_of_an_empty_field() -> None:
    """Labels left of their values, the name row left empty: the line above the name
    label is the signature written beside "Underskrift" (its row), not the name."""
    from ocr.fields import _on_a_label_row

    signature = _label("signature", Box(1299, 1561, 1530, 1592))
    name = _label("signatory_name", Box(1299, 1660, 1675, 1699))
    written = Box(1784, 1532, 2036, 1611)
    assert _on_a_label_row(written, name, [signature, name])
    assert not _on_a_label_row(Box(1300, 1720, 1700, 1760), name, [signature, name])


def test_a_value_inline_with_its_label_goes_on_after_a_wide_space() -> None:
    """Ort och datum: "Kalix,          21 mars 2022". The label's run ends after the
    place; the date, a run of its own on the same line, belongs to the value too."""
    from ocr.fields import _right

    label = Label("place_date", Box(243, 1530, 554, 1560), Box(243, 1521, 764, 1568), 1.0, True)
    date = Box(860, 1522, 1178, 1568)
    next_column = Box(1300, 1525, 1500, 1565)
    box = _right(label, [date, next_column], 1290, 40.0)
    assert box is not None and box.x0 == 554 and box.x1 == 1178


def test_an_inline_value_takes_in_the_next_word_of_a_slanted_hand() -> None:
    """'Organisation: Björkö Bygg AB' in a hand: 'Bygg' starts 3 px before the run of
    label and 'Björkö' ends (the slant), and must not be left out."""
    label = Label("organisation", Box(150, 1545, 348, 1577), Box(150, 1537, 501, 1577), 1.0, True)
    runs = [label.segment, Box(498, 1532, 679, 1572), Box(150, 1600, 400, 1640)]
    box = _right(label, runs, 1400, 31.0)
    assert box is not None and (box.x0, box.x1) == (348, 679)


def test_a_label_with_its_colon_read_before_its_value_may_have_a_slip() -> None:
    variants = sorted({pair for p in load_profiles() for pair in p.all_labels})

    def strip(first: str) -> Strip:
        words = (Word(first, 0, 0, 140, 40, 42.0, 0), Word("Övertorneå", 150, 0, 300, 40, 96.0, 0))
        return Strip(Box(0, 0, 300, 40), words)

    label = match_label(strip(")rt/datum:"), variants)  # the O read as ")"
    assert label is not None and label.key == "place_date" and label.trailing
    assert match_label(strip(")rt/datum"), variants) is None  # no colon: maybe a value


def test_the_one_label_still_missing_is_the_one_unread_colon_run_among_the_labels() -> None:
    from ocr.block import _last_label

    keys = ["organisation", "county", "signatory_name", "email"]
    labels = [_label(k, Box(180, 100 + 200 * i, 400, 140 + 200 * i)) for i, k in enumerate(keys)]
    rome = Strip(Box(180, 500, 300, 540), (Word("ROME:", 180, 500, 300, 540, 36.0, 0),))
    below = Strip(Box(180, 900, 300, 940), (Word("Xyz:", 180, 900, 300, 940, 30.0, 0),))
    strips = [rome, below]
    last = _last_label(strips, labels, [0, 1], {"signatory_title"})
    assert last is not None and (last.key, last.segment, last.score) == (
        "signatory_title",
        rome.segment,
        0.5,
    )
    assert _last_label(strips, labels, [0, 1], {"signatory_title", "email"}) is None  # which?
    two = Strip(Box(180, 300, 300, 340), (Word("Qwe:", 180, 300, 300, 340, 30.0, 0),))
    assert _last_label([rome, two], labels, [0, 1], {"signatory_title"}) is None


def test_a_signature_written_over_its_label_is_found_by_the_tall_run_it_makes() -> None:
    from ocr.block import guessed_signature_label

    place = _label("place_date", Box(223, 1020, 488, 1062))
    name = _label("signatory_name", Box(221, 1488, 560, 1536))
    value = Box(208, 1092, 946, 1148)  # "Gällivare, 15 februari 2021": one line
    blob = Box(196, 1178, 702, 1394)  # "Underskrift" and the signature over it
    guess = guessed_signature_label([place, name], [value, blob], 40.0)
    assert guess is not None and guess.key == "signature" and guess.score == 0.5
    assert guess.box.y0 == blob.y0 and guess.box.h == 40  # its top line
    assert guessed_signature_label([place, name], [value], 40.0) is None  # no tall run
    found = _label("signature", Box(196, 1178, 400, 1210))
    assert guessed_signature_label([place, found, name], [value, blob], 40.0) is None


def test_a_signature_written_beside_its_label_is_looked_for_there() -> None:
    """Values the page does not show beside their labels (a hand's value run into its
    rule, say) make the labels vote for values below them; a signature taller than a
    line of writing beside "Underskrift" still puts the signing region to its right."""
    from ocr.block import PageScan
    from ocr.fields import locate
    from ocr.layout import Layout

    boxes = {
        "organisation": Box(160, 940, 400, 980),
        "place_date": Box(160, 1300, 380, 1340),
        "signature": Box(160, 1518, 340, 1558),
        "signatory_name": Box(160, 1640, 420, 1680),
    }
    labels = tuple(_label(k, b) for k, b in boxes.items())
    below = [Box(160, 1000, 600, 1035), Box(160, 1360, 600, 1395), Box(160, 1700, 600, 1735)]
    signed = Box(430, 1450, 1300, 1570)  # four lines tall, across the label's line
    scan = PageScan(strips=(), labels=labels, profile=None, mean_conf=90.0)

    def where(runs: list[Box]) -> str:
        segs = tuple(sorted([*boxes.values(), *runs], key=lambda b: (b.y0, b.x0)))
        layout = Layout(1.0, np.zeros((3000, 2000), bool), (), segs, 35.0)
        return locate(scan, layout, 2000)["signature"].where

    assert where([*below, signed]) == "right"
    assert where(below) == "below"
