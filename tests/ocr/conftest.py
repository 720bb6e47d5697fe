"""Generated dev samples (real PDFs, real Tesseract), each made once per session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from samples.generate import render_sample

Sample = tuple[bytes, dict[str, Any]]
CHOSEN = (0, 8, 6)  # dev split, seed 1; the truth says what each one is


@pytest.fixture(scope="session")
def dev_sample() -> Callable[[int, int], Sample]:
    """``dev_sample(seed, index)``: PDF bytes and truth, cached for the session."""
    cache: dict[tuple[int, int], Sample] = {}

    def get(seed: int, index: int) -> Sample:
        if (seed, index) not in cache:
            cache[(seed, index)] = render_sample(index, seed, "dev")
        return cache[(seed, index)]

    return get


@pytest.fixture(scope="session")
def dev_samples(dev_sample: Callable[[int, int], Sample]) -> dict[int, Sample]:
    return {i: dev_sample(1, i) for i in CHOSEN}
