"""Confidence is calibrated: on a fresh dev seed no value given with confidence >= 0.9
is wrong, and most values are given that sure."""

from __future__ import annotations

import ocr
from ocr.confidence import SURE, calibrate
from ocr.model import FIELD_NAMES

FRESH = [(2, 1), (2, 2), (2, 6), (2, 7)]  # seed 2 was not used to fit CALIBRATION


def test_sure_values_are_right_on_a_fresh_seed(dev_sample) -> None:
    sure = total = 0
    for seed, index in FRESH:
        data, truth = dev_sample(seed, index)
        result = ocr.extract(data)
        assert len(result.declarations) == len(truth["declarations"])
        for got, want in zip(result.declarations, truth["declarations"], strict=True):
            for name in FIELD_NAMES:
                value = got.fields[name]
                if value.value is None and want["fields"].get(name) is None:
                    continue
                total += 1
                if value.confidence >= SURE:
                    sure += 1
                    assert value.value == want["fields"].get(name), (seed, index, name)
                else:
                    assert f"low_confidence:{name}" in got.flags or value.value is None
    assert sure >= 0.8 * total


def test_calibration_table_is_monotone() -> None:
    points = [calibrate(x / 100) for x in range(101)]
    assert points == sorted(points)
    assert calibrate(0.0) == 0.0 and calibrate(1.0) < 1.0
