"""The regression corpus (tests/ocr/cases/): every failure a rule of the engine was made
for, as a stored crop with the verdict the engine must give. No generator, no seed: the
crop is read through the engine's page step (see tests/ocr/cases/corpus.py)."""

from __future__ import annotations

import pytest

from tests.ocr.cases.corpus import MODES, PNG_BUDGET, SURE, Case, Verdict, judge, load_cases, read

CASES = load_cases()


def test_the_corpus_is_whole_and_small() -> None:
    assert len(CASES) >= 20
    total = 0
    for case in CASES:
        assert case.png.exists(), case.name
        assert case.mode in MODES, case.name
        assert case.meta.get("commit"), f"{case.name}: the commit that made the rule"
        assert case.meta.get("what"), f"{case.name}: what the failure was"
        assert case.meta["source"]["split"] != "heldout", case.name
        size = case.png.stat().st_size
        assert size <= PNG_BUDGET * 1.2, f"{case.name}: {size} bytes"
        total += size
    assert total < 2_000_000


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    problem = judge(case, read(case))
    assert problem is None, f"{problem} ({case.meta['what']}; rule {case.meta['commit']})"


def test_the_judge_can_fail() -> None:
    """Each mode refuses what it is there to refuse (the corpus is no use if its judge
    passes everything)."""
    base = CASES[0]

    def as_mode(mode: str, value: object) -> Case:
        from dataclasses import replace

        return replace(base, mode=mode, value=value)

    wrong_sure, wrong_unsure = Verdict("x", SURE), Verdict("x", SURE - 0.01)
    right_sure, right_unsure = Verdict("v", 0.99), Verdict("v", 0.5)
    assert judge(as_mode("never_sure_wrong", "v"), wrong_sure) is not None
    assert judge(as_mode("never_sure_wrong", "v"), wrong_unsure) is None
    assert judge(as_mode("never_sure_wrong", "v"), right_sure) is None
    assert judge(as_mode("right_sure", "v"), right_unsure) is not None
    assert judge(as_mode("right_sure", "v"), wrong_sure) is not None
    assert judge(as_mode("right_unsure", "v"), right_sure) is not None
    assert judge(as_mode("unsure", "v"), right_sure) is not None
    assert judge(as_mode("right", "v"), wrong_unsure) is not None
