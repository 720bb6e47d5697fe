"""Server-rendered SVG bar charts: data in, an escaped SVG string out, no JavaScript.

Each chart is one image to assistive technology (``role="img"``, ``aria-label`` its
title, ``<title>`` and ``<desc>`` inside) and carries its numbers as text beside every
bar, so it reads without colour, hover or a legend. The page sets a visually hidden
table of the same numbers beside it (``Chart.bars``) for screen readers.

Two shapes: :func:`bar_chart`, horizontal bars with the label above each (long names
need no truncation), and :func:`column_chart`, vertical columns for a time series.
Every piece of text passes through :func:`markupsafe.escape`; colours are attributes
(the chart reads alike outside the page) that a stylesheet may override by class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"
INK = "#1b1f23"
BAR = "#0b5cad"  # 6.9:1 against white
FONT = "system-ui, sans-serif"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart of a page: what the template needs for the SVG and the table beside it."""

    chart_id: str
    title: str
    desc: str
    bars: tuple[Bar, ...]
    columns: bool = False  # a time series: vertical columns
    empty: str = ""  # said in the chart when there are no bars

    @property
    def total(self) -> int:
        return sum(b.value for b in self.bars)

    def svg(self) -> Markup:
        draw = column_chart if self.columns else bar_chart
        return draw(
            self.bars, chart_id=self.chart_id, title=self.title, desc=self.desc, empty=self.empty
        )


def _open(chart_id: str, title: str, desc: str, width: float, height: float) -> str:
    cid = escape(chart_id)
    return (
        f'<svg xmlns="{SVG_NS}" id="{cid}" class="chart-svg" role="img" '
        f'aria-label="{escape(title)}" aria-describedby="{cid}-desc" '
        f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
        f'font-family="{FONT}" fill="{INK}">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>'
    )


def _empty(empty: str, width: float, height: float) -> str:
    return f'<text x="{width / 2:g}" y="{height / 2:g}" text-anchor="middle">{escape(empty)}</text>'


def _scale(bars: Sequence[Bar], room: float) -> float:
    top = max((b.value for b in bars), default=0)
    return room / top if top > 0 else 0.0


def wrap(text: str, chars: int) -> list[str]:
    """``text`` in lines of at most ``chars`` characters, broken between words (a word
    longer than a line stands alone on its line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    width: int = 560,
    empty: str = "",
) -> Markup:
    """Horizontal bars, one row each: the label above (wrapped to the width), the bar,
    its number after it."""
    line, bar, gap, pad, value_room = 17, 18, 8, 8, 56
    labels = [wrap(b.label, int(width / 7.6)) for b in bars]
    height = pad * 2 + sum(len(ls) * line + bar + gap for ls in labels) if bars else 60
    parts = [_open(chart_id, title, desc, width, height)]
    if not bars:
        parts.append(_empty(empty, width, height))
    scale = _scale(bars, width - value_room)
    top = pad
    for item, lines in zip(bars, labels, strict=True):
        length = item.value * scale
        number = escape(str(item.value))
        spans = "".join(
            f'<tspan x="0" dy="{line if i else 0}">{escape(text)}</tspan>'
            for i, text in enumerate(lines)
        )
        bar_top = top + len(lines) * line + 2
        parts.append(
            f'<g class="bar-row"><title>{escape(item.label)}: {number}</title>'
            f'<text class="label" x="0" y="{top + 13}" font-size="14">{spans}</text>'
            f'<rect class="bar" x="0" y="{bar_top}" width="{length:.1f}" height="{bar}" '
            f'fill="{BAR}"/>'
            f'<text class="value" x="{length + 6:.1f}" y="{bar_top + 14}" font-size="14" '
            f'font-weight="600">{number}</text></g>'
        )
        top = bar_top + bar + gap
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    height: int = 240,
    empty: str = "",
) -> Markup:
    """Vertical columns left to right: the number above each, the label turned under it."""
    column, gap, pad, label_room, value_room = 22, 6, 8, 64, 18
    left_room = 36  # the first label, turned, reaches left of its column
    width = left_room + pad + max(len(bars), 1) * (column + gap)
    base = height - label_room
    parts = [_open(chart_id, title, desc, width, height)]
    if not bars:
        parts.append(_empty(empty, width, height))
    scale = _scale(bars, base - value_room - pad)
    for i, bar in enumerate(bars):
        left = left_room + i * (column + gap)
        middle = left + column / 2
        length = bar.value * scale
        label, number = escape(bar.label), escape(str(bar.value))
        parts.append(
            f'<g class="bar-row"><title>{label}: {number}</title>'
            f'<rect class="bar" x="{left}" y="{base - length:.1f}" width="{column}" '
            f'height="{length:.1f}" fill="{BAR}"/>'
            f'<text class="value" x="{middle:g}" y="{base - length - 4:.1f}" font-size="11" '
            f'text-anchor="middle">{number}</text>'
            f'<text class="label" x="{middle:g}" y="{base + 12}" font-size="11" '
            f'text-anchor="end" transform="rotate(-55 {middle:g} {base + 12})">{label}</text></g>'
        )
    start = left_room - gap
    parts.append(f'<line x1="{start}" y1="{base}" x2="{width - pad}" y2="{base}" stroke="{INK}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
