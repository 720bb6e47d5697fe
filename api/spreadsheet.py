"""CSV exports meant for a spreadsheet (the reviewers' own: audit trail, follow-up).

A spreadsheet takes a cell that starts with ``=``, ``+``, ``-`` or ``@`` for a formula
(CSV injection): such text is written with a leading ``'``. The public list's CSV is
data for programs and carries values unchanged.
"""

from __future__ import annotations

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA) else value
