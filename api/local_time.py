"""Moments as the registry's staff read them: Swedish time (Europe/Stockholm).

The audit trail, the overview and the intake's pages all show times this way, and the
audit trail's date filters are Swedish days (:data:`LOCAL_TZ`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    LOCAL_TZ: dt.tzinfo = ZoneInfo("Europe/Stockholm")
except ZoneInfoNotFoundError:  # no time-zone data on this machine: UTC, said as such
    LOCAL_TZ = dt.UTC


def local(moment: dt.datetime) -> str:
    """A moment as the staff read it: ``2026-03-01 10:15`` Swedish time."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def local_time(value: dt.datetime | None) -> str:
    """A moment in Swedish time (:func:`local`), or a dash for none."""
    return local(value) if value else "–"
