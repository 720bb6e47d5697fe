"""Generated dev samples (real PDFs, real Tesseract), each made once per session; the
second recogniser and the MNIST digits, each loaded once per test module."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from samples.generate import render_sample

if TYPE_CHECKING:  # loaded only by the modules that ask for them (onnxruntime is slow to import)
    from ocr.handwriting import Recogniser
    from samples.handwriting import Digits

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


@pytest.fixture(scope="module")
def recogniser() -> Recogniser:
    from ocr.handwriting import Recogniser, bundled_model

    return Recogniser(bundled_model())


@pytest.fixture(scope="module")
def digits() -> Digits:
    from samples.handwriting import load_digits

    return load_digits()
