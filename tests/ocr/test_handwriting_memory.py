"""What bounds the second recogniser's memory (issue 13: < 500 MB per worker with both
recognisers loaded): each crop read at its own width, no ONNX call wider than
``MAX_BATCH_COLUMNS``, no memory arena kept by the session."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from ocr import handwriting
from ocr.handwriting import HEIGHT, MAX_BATCH_COLUMNS, MIN_WIDTH, Recogniser
from samples.handwriting import Digits, make_value


class _Spy:
    """Stands in for the ONNX session: records each call's input shape, runs the real one."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.shapes: list[tuple[int, ...]] = []

    def run(self, names: Any, feeds: dict[str, np.ndarray]) -> Any:
        (batch,) = feeds.values()
        self.shapes.append(batch.shape)
        return self.session.run(names, feeds)


def _wide(width: int) -> np.ndarray:
    """A crop of ink strokes that resizes to about ``width`` columns at height 48."""
    crop = np.full((HEIGHT, width), 255, dtype=np.uint8)
    crop[8:40, 4 : width - 4 : 9] = 0
    return crop


def test_the_session_keeps_no_memory_arena(recogniser: Recogniser) -> None:
    options = recogniser._session.get_session_options()
    assert options.enable_cpu_mem_arena is False
    assert options.intra_op_num_threads == 1 and options.inter_op_num_threads == 1


def test_a_crop_reads_the_same_alone_and_among_wider_crops(
    recogniser: Recogniser, digits: Digits
) -> None:
    rng = random.Random("test:memory:alone")
    crops = [make_value(digits, kind, rng).image for kind in ("orgnr", "date", "orgnr")]
    crops.append(_wide(1400))  # padding the others to this width would change their reads
    alone = [recogniser.read(c) for c in crops]
    together = recogniser.read_many(crops)
    for a, t in zip(alone, together, strict=True):
        assert t.text == a.text
        assert t.probs.shape == a.probs.shape
        assert np.allclose(t.probs, a.probs, atol=1e-5)


def test_no_onnx_call_is_wider_than_the_budget(
    recogniser: Recogniser, digits: Digits, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random("test:memory:budget")
    crops = [make_value(digits, "orgnr", rng).image for _ in range(7)]
    crops += [_wide(900), _wide(1500), _wide(1500), np.full((40, 12), 255, dtype=np.uint8)]
    spy = _Spy(recogniser._session)
    monkeypatch.setattr(recogniser, "_session", spy)
    readings = recogniser.read_many(crops)
    assert len(readings) == len(crops)
    assert len(spy.shapes) >= 3  # the two wide ones alone, the small ones together
    for n, channels, height, width in spy.shapes:
        assert channels == 3 and height == HEIGHT and width >= MIN_WIDTH
        assert n == 1 or n * width <= MAX_BATCH_COLUMNS


def test_crops_of_one_width_share_a_call() -> None:
    widths = [320, 320, 320, 320, 320, 320, 700, 320, 1600, 700]
    calls = handwriting._batches(widths)
    assert sorted(i for call in calls for i in call) == list(range(len(widths)))
    for call in calls:
        assert len({widths[i] for i in call}) == 1
        assert len(call) == 1 or len(call) * widths[call[0]] <= MAX_BATCH_COLUMNS
    assert [len(c) for c in calls] == [5, 2, 2, 1]  # 7 of 320 in two calls, 700 x2, 1600


def test_no_crops_no_call(recogniser: Recogniser, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(recogniser._session)
    monkeypatch.setattr(recogniser, "_session", spy)
    assert recogniser.read_many([]) == []
    assert spy.shapes == []
