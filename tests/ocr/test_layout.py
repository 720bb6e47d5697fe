from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr import layout


@pytest.mark.parametrize("many", [2000, 10])
def test_specks_are_cleared_as_a_lookup_over_the_labels_clears_them(monkeypatch, many) -> None:
    rng = np.random.default_rng(3)
    m = np.where(rng.random((300, 400)) < 0.02, 255, 0).astype(np.uint8)  # specks
    cv2.putText(m, "Org.nr: 556", (20, 150), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 255, 3)
    n, labels, stats = layout.components(m)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= 3
    monkeypatch.setattr(layout, "_MANY_SPECKS", many)  # the box-by-box way, and the lookup
    got = layout._without_specks(m, labels, stats, keep)
    want = np.take(np.where(keep, 255, 0).astype(np.uint8), labels)
    assert (~keep[1:]).sum() > 100
    assert np.array_equal(got, want)
