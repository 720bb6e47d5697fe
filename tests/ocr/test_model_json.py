"""The engine's results are JSON whatever numeric types its steps produced (numpy's
int64 and float32 are not JSON: a bench run with the second read on died writing its
figures)."""

from __future__ import annotations

import json

import numpy as np

from ocr.model import FieldValue, SignatureFinding


def test_numpy_numbers_in_a_result_become_plain_json_numbers():
    value = FieldValue(
        value="556036-0793",
        confidence=np.float32(0.95),  # type: ignore[arg-type]
        page=np.int64(2),  # type: ignore[arg-type]
        bbox=(np.int64(0), np.float64(0.25), np.float32(0.5), np.int64(1)),  # type: ignore[arg-type]
    )
    signature = SignatureFinding(
        present=np.bool_(True),  # type: ignore[arg-type]
        confidence=np.float64(0.9),  # type: ignore[arg-type]
        page=np.int64(1),  # type: ignore[arg-type]
    )
    text = json.dumps({"value": value.to_dict(), "signature": signature.to_dict()})
    assert json.loads(text) == {
        "value": {"value": "556036-0793", "confidence": 0.95, "page": 2, "bbox": [0, 0.25, 0.5, 1]},
        "signature": {"present": True, "confidence": 0.9, "page": 1, "bbox": None},
    }
