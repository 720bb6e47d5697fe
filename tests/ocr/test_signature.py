"""Signed or not, on forms of different layouts (real scans from the generator)."""

from __future__ import annotations

import pytest

import ocr


@pytest.mark.parametrize(("seed", "index"), [(2, 3), (2, 5), (2, 0)])
def test_signature_present_or_absent_as_in_truth(dev_sample, seed: int, index: int) -> None:
    data, truth = dev_sample(seed, index)
    result = ocr.extract(data)
    want = [d["signature"]["present"] for d in truth["declarations"]]
    assert [d.signature.present for d in result.declarations] == want
    for decl in result.declarations:
        assert ("unsigned" in decl.flags) is (not decl.signature.present)
        if decl.signature.present:
            x0, y0, x1, y1 = decl.signature.bbox
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def test_batch_split_gives_one_declaration_per_form(dev_sample) -> None:
    data, truth = dev_sample(2, 0)
    result = ocr.extract(data)
    assert [list(d.pages) for d in result.declarations] == [
        d["pages"] for d in truth["declarations"]
    ]
    for got, want in zip(result.declarations, truth["declarations"], strict=True):
        assert got.fields["organisation_number"].value == want["fields"]["organisation_number"]
