"""Signing-block layouts: where each label, value line and the signature space go.

Each family is one function ``draw_<family>(canvas, style, values, top_mm) -> Block``.
``values`` maps a form field (``FORM_FIELDS``) to its printed text, or ``None`` when the
field was left blank. The returned boxes are the ink boxes of the printed values and
the area the signer writes in, in page pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ocr.profile import BLOCK_ROWS
from samples.canvas import BLACK, Box, Canvas, Colour

FORM_FIELDS = BLOCK_ROWS  # the order printed forms use (ocr.profile)
FAMILIES = ("label_left", "label_above", "label_under", "table", "two_column", "letterhead")
# drawn only in the ``outside`` split (see samples.split)
OUTSIDE_FAMILIES = ("retyped", "small_under", "columns_under", "boxed")


@dataclass(frozen=True, slots=True)
class BlockStyle:
    family: str
    labels: dict[str, str]
    label_font: str
    label_pt: float
    value_font: str
    value_pt: float
    value_ink: Colour
    row_pitch_mm: float
    label_col_mm: float
    left_mm: float
    right_mm: float
    colon: bool
    line_pt: float
    hand: bool = False

    @property
    def sig_h_mm(self) -> float:
        return max(self.row_pitch_mm * 1.7, 17.0)

    def label(self, field: str) -> str:
        text = self.labels[field]
        return f"{text}:" if self.colon and not text.endswith(":") else text


@dataclass(frozen=True, slots=True)
class Block:
    value_boxes: dict[str, Box]
    signature_area: Box
    bottom_mm: float


def _value(
    canvas: Canvas,
    style: BlockStyle,
    values: dict[str, str | None],
    field: str,
    x_mm: float,
    baseline_mm: float,
    width_mm: float,
    boxes: dict[str, Box],
) -> None:
    text = values.get(field)
    if not text:
        return
    pt = canvas.fit_pt(text, style.value_font, style.value_pt, width_mm)
    draw = canvas.handwritten if style.hand else canvas.text
    box = draw(x_mm, baseline_mm, text, style.value_font, pt, style.value_ink)
    if box is not None and field == "place_date":
        _split_place_date(canvas, style, values, text, x_mm, pt, box, boxes)
    if box is not None:
        boxes[field] = box


def _split_place_date(
    canvas: Canvas,
    style: BlockStyle,
    values: dict[str, str | None],
    text: str,
    x_mm: float,
    pt: float,
    box: Box,
    boxes: dict[str, Box],
) -> None:
    """Boxes of the place and the date inside one ``Ort och datum`` value."""
    f = canvas.font(style.value_font, pt)
    x = canvas.px(x_mm)
    place, date = values.get("place"), values.get("signed_date")
    if place and text.startswith(place):
        boxes["place"] = (box[0], box[1], x + round(f.getlength(place)), box[3])
    if date and text.endswith(date):
        start = x + round(f.getlength(text[: len(text) - len(date)]))
        boxes["signed_date"] = (start, box[1], box[2], box[3])


def _area(canvas: Canvas, x0: float, y0: float, x1: float, y1: float) -> Box:
    return (canvas.px(x0), canvas.px(y0), canvas.px(x1), canvas.px(y1))


def draw_label_left(
    canvas: Canvas,
    style: BlockStyle,
    values: dict[str, str | None],
    top_mm: float,
    order: tuple[str, ...] = FORM_FIELDS,
) -> Block:
    boxes: dict[str, Box] = {}
    sig: Box = (0, 0, 0, 0)
    x_val = style.left_mm + style.label_col_mm
    y = top_mm
    for field in order:
        line_y = y + (style.sig_h_mm if field == "signature" else style.row_pitch_mm)
        canvas.text(
            style.left_mm,
            line_y - 1.0,
            style.label(field),
            style.label_font,
            canvas.fit_pt(
                style.label(field), style.label_font, style.label_pt, style.label_col_mm - 2
            ),
        )
        canvas.hline(x_val, style.right_mm, line_y + 0.4, style.line_pt)
        if field == "signature":
            sig = _area(canvas, x_val + 2, y + 2, style.right_mm - 15, line_y)
        else:
            _value(
                canvas,
                style,
                values,
                field,
                x_val + 2,
                line_y - 1.2,
                style.right_mm - x_val - 4,
                boxes,
            )
        y = line_y
    return Block(boxes, sig, y + 4)


def draw_label_above(
    canvas: Canvas, style: BlockStyle, values: dict[str, str | None], top_mm: float
) -> Block:
    boxes: dict[str, Box] = {}
    sig: Box = (0, 0, 0, 0)
    label_h = style.label_pt * 25.4 / 72 * 1.2
    y = top_mm
    for field in FORM_FIELDS:
        canvas.text(
            style.left_mm, y + label_h, style.label(field), style.label_font, style.label_pt
        )
        body = style.sig_h_mm if field == "signature" else style.row_pitch_mm * 0.8 + 2
        line_y = y + label_h + body
        canvas.hline(style.left_mm, style.right_mm, line_y + 0.4, style.line_pt)
        if field == "signature":
            sig = _area(canvas, style.left_mm + 2, y + label_h + 1, style.right_mm - 30, line_y)
        else:
            _value(
                canvas,
                style,
                values,
                field,
                style.left_mm + 1,
                line_y - 1.2,
                style.right_mm - style.left_mm - 2,
                boxes,
            )
        y = line_y + 2.5
    return Block(boxes, sig, y + 3)


_UNDER_ROWS: tuple[tuple[str, ...], ...] = (
    ("organisation",),
    ("organisation_number", "county"),
    ("place_date", "signature"),
    ("signatory_name", "signatory_title"),
    ("email",),
)


def draw_label_under(
    canvas: Canvas,
    style: BlockStyle,
    values: dict[str, str | None],
    top_mm: float,
    rows: tuple[tuple[str, ...], ...] = _UNDER_ROWS,
    sig_over_label: float = 0.0,
) -> Block:
    """Values on rules, labels under the rules. ``sig_over_label``: how far (in label
    heights) the signer's space reaches down across the signature's label."""
    boxes: dict[str, Box] = {}
    sig: Box = (0, 0, 0, 0)
    label_h = style.label_pt * 25.4 / 72 * 1.1
    gap = 8.0
    y = top_mm
    for row in rows:
        has_sig = "signature" in row
        line_y = y + (style.sig_h_mm if has_sig else style.row_pitch_mm)
        width = (style.right_mm - style.left_mm - gap * (len(row) - 1)) / len(row)
        for i, field in enumerate(row):
            x0 = style.left_mm + i * (width + gap)
            canvas.hline(x0, x0 + width, line_y + 0.4, style.line_pt)
            canvas.text(
                x0, line_y + 1.2 + label_h, style.label(field), style.label_font, style.label_pt
            )
            if field == "signature":
                low = line_y + sig_over_label * (1.2 + label_h)
                sig = _area(canvas, x0 + 1, y + 2, x0 + width - 2, low)
            else:
                _value(canvas, style, values, field, x0 + 1, line_y - 1.2, width - 2, boxes)
        y = line_y + label_h + 2.5
    return Block(boxes, sig, y + 3)


def draw_table(
    canvas: Canvas, style: BlockStyle, values: dict[str, str | None], top_mm: float
) -> Block:
    boxes: dict[str, Box] = {}
    sig: Box = (0, 0, 0, 0)
    x_val = style.left_mm + style.label_col_mm
    pitch = max(style.row_pitch_mm, 8.5)
    y = top_mm
    for field in FORM_FIELDS:
        h = style.sig_h_mm if field == "signature" else pitch
        canvas.rect(style.left_mm, y, x_val, y + h, style.line_pt)
        canvas.rect(x_val, y, style.right_mm, y + h, style.line_pt)
        mid = y + h / 2 + style.label_pt * 25.4 / 72 * 0.35
        canvas.text(
            style.left_mm + 2,
            mid,
            style.label(field),
            style.label_font,
            canvas.fit_pt(
                style.label(field), style.label_font, style.label_pt, style.label_col_mm - 4
            ),
        )
        if field == "signature":
            sig = _area(canvas, x_val + 2, y + 1.5, style.right_mm - 20, y + h - 1.5)
        else:
            _value(
                canvas,
                style,
                values,
                field,
                x_val + 2.5,
                y + h / 2 + style.value_pt * 25.4 / 72 * 0.35,
                style.right_mm - x_val - 5,
                boxes,
            )
        y += h
    return Block(boxes, sig, y + 4)


def _with(style: BlockStyle, **changes: object) -> BlockStyle:
    return BlockStyle(**{**{k: getattr(style, k) for k in BlockStyle.__slots__}, **changes})


def draw_two_column(
    canvas: Canvas, style: BlockStyle, values: dict[str, str | None], top_mm: float
) -> Block:
    gap = 10.0
    col_w = (style.right_mm - style.left_mm - gap) / 2
    label_col = min(style.label_col_mm, col_w * 0.42)
    left = _column_style(style, style.left_mm, style.left_mm + col_w, label_col)
    right = _column_style(style, style.left_mm + col_w + gap, style.right_mm, label_col)
    a = draw_label_left(
        canvas, left, values, top_mm, ("organisation", "organisation_number", "county", "email")
    )
    b = draw_label_left(
        canvas,
        right,
        values,
        top_mm,
        ("place_date", "signature", "signatory_name", "signatory_title"),
    )
    return Block(
        {**a.value_boxes, **b.value_boxes}, b.signature_area, max(a.bottom_mm, b.bottom_mm)
    )


def _column_style(style: BlockStyle, left: float, right: float, label_col: float) -> BlockStyle:
    return _with(style, left_mm=left, right_mm=right, label_col_mm=label_col)


_LETTER_ORDER = (
    "place_date",
    "signature",
    "signatory_name",
    "signatory_title",
    "organisation",
    "organisation_number",
    "county",
    "email",
)


def draw_letterhead(
    canvas: Canvas,
    style: BlockStyle,
    values: dict[str, str | None],
    top_mm: float,
    order: tuple[str, ...] = _LETTER_ORDER,
    tab_mm: float = 0.0,
) -> Block:
    """Retyped on the organisation's own paper: ``Label: value`` inline, no rules.
    ``tab_mm``: values start at least this far right of the labels' left edge (a tab)."""
    boxes: dict[str, Box] = {}
    sig: Box = (0, 0, 0, 0)
    y = top_mm
    pitch = style.row_pitch_mm * 0.75
    for field in order:
        label = style.label(field)
        if field == "signature":
            canvas.text(style.left_mm, y + style.sig_h_mm, label, style.label_font, style.label_pt)
            x0 = style.left_mm + canvas.text_width_mm(label, style.label_font, style.label_pt) + 3
            canvas.hline(x0, x0 + 70, y + style.sig_h_mm + 0.6, style.line_pt, BLACK)
            sig = _area(canvas, x0 + 2, y + 2, x0 + 68, y + style.sig_h_mm)
            y += style.sig_h_mm + pitch * 0.6
            continue
        y += pitch
        canvas.text(style.left_mm, y, label, style.label_font, style.label_pt)
        x_val = style.left_mm + canvas.text_width_mm(label, style.label_font, style.label_pt) + 2.5
        x_val = max(x_val, style.left_mm + tab_mm)
        _value(canvas, style, values, field, x_val, y, style.right_mm - x_val, boxes)
    return Block(boxes, sig, y + 5)


# --- families only the ``outside`` split draws (samples.split.OUTSIDE_FAMILIES) ---------
_RETYPED_ORDER = (
    "organisation",
    "organisation_number",
    "county",
    "signature",
    "signatory_name",
    "signatory_title",
    "email",
    "place_date",
)
_SMALL_UNDER_ROWS: tuple[tuple[str, ...], ...] = (
    ("organisation", "organisation_number"),
    ("county", "email"),
    ("signature",),
    ("signatory_name",),
    ("signatory_title", "place_date"),
)
_COLUMNS_UNDER_ROWS: tuple[tuple[str, ...], ...] = (
    ("organisation", "place_date"),
    ("organisation_number", "signature"),
    ("county", "signatory_name"),
    ("email", "signatory_title"),
)
_BOXED_ROWS: tuple[tuple[str, ...], ...] = (
    ("organisation",),
    ("organisation_number", "county"),
    ("place_date", "email"),
    ("signature",),
    ("signatory_name", "signatory_title"),
)


def draw_retyped(
    canvas: Canvas, style: BlockStyle, values: dict[str, str | None], top_mm: float
) -> Block:
    """A block retyped on letterhead by the signer's office, labels in the office's own
    words with a colon, set as large as the values, values at a tab stop."""
    typed = _with(style, colon=True, label_pt=style.value_pt)
    return draw_letterhead(canvas, typed, values, top_mm, _RETYPED_ORDER, style.label_col_mm)


def draw_small_under(
    canvas: Canvas, style: BlockStyle, values: dict[str, str | None], top_mm: float
) -> Block:
    """Values on rules, labels printed small under them, the signature written across
    its label."""
    small = _with(style, label_pt=min(style.label_pt, style.value_pt * 0.7))
    return draw_label_under(canvas, small, values, top_mm, _SMALL_UNDER_ROWS, 0.6)


def draw_columns_under(
    canvas: Canvas, style: BlockStyle, values: dict[str, str | None], top_mm: float
) -> Block:
    """Two columns (the organisation left, the signer right), labels under the rules."""
    return draw_label_under(canvas, style, values, top_mm, _COLUMNS_UNDER_ROWS, 0.3)


def draw_boxed(
    canvas: Canvas, style: BlockStyle, values: dict[str, str | None], top_mm: float
) -> Block:
    """Ruled boxes, each with its label small in the top left corner and the value
    written below it inside the box."""
    boxes: dict[str, Box] = {}
    sig: Box = (0, 0, 0, 0)
    pt = min(style.label_pt, style.value_pt * 0.75)
    label_h = pt * 25.4 / 72
    value_h = style.value_pt * 25.4 / 72
    y = top_mm
    for row in _BOXED_ROWS:
        has_sig = "signature" in row
        h = style.sig_h_mm if has_sig else label_h + value_h + max(4.0, style.row_pitch_mm * 0.4)
        width = (style.right_mm - style.left_mm) / len(row)
        for i, field in enumerate(row):
            x0 = style.left_mm + i * width
            canvas.rect(x0, y, x0 + width, y + h, style.line_pt)
            canvas.text(x0 + 1.5, y + 1.0 + label_h, style.label(field), style.label_font, pt)
            if field == "signature":
                sig = _area(canvas, x0 + 2, y + 1.5 + label_h, x0 + width - 20, y + h - 1.0)
            else:
                _value(canvas, style, values, field, x0 + 2.5, y + h - 2.0, width - 5, boxes)
        y += h
    return Block(boxes, sig, y + 4)


DRAW: dict[str, Callable[[Canvas, BlockStyle, dict[str, str | None], float], Block]] = {
    "label_left": draw_label_left,
    "label_above": draw_label_above,
    "label_under": draw_label_under,
    "table": draw_table,
    "two_column": draw_two_column,
    "letterhead": draw_letterhead,
    "retyped": draw_retyped,
    "small_under": draw_small_under,
    "columns_under": draw_columns_under,
    "boxed": draw_boxed,
}


def block_height_mm(style: BlockStyle, values: dict[str, str | None]) -> float:
    """The block's exact height, measured by drawing it on a small scratch page."""
    return DRAW[style.family](Canvas.a4(36), style, values, 0.0).bottom_mm
