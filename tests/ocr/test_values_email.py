"""E-mail addresses read together with what stands beside them."""

from __future__ import annotations

from ocr.values import parse_email


def test_the_next_columns_label_and_value_run_on_after_an_address_are_cut_off() -> None:
    """Two columns: a long address runs into the label and the name of the column to its
    right, read as one line. The address ends at its domain (a repair: not tidy)."""
    p = parse_email("solveig.lindh@regionvasterbotten.seNamnfértydligande Solveig Lindh Wikblad")
    assert p.valid and p.value == "solveig.lindh@regionvasterbotten.se"
    assert p.certainty < 1.0
    assert parse_email("anna.svensson@lulea.se").certainty == 1.0
    assert parse_email("karin@lkab.se Namnförtydligande").value == "karin@lkab.se"
