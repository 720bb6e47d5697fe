"""Draw the pages of one document (cover letter, forms) and collect their truth."""

from __future__ import annotations

import random
from dataclasses import dataclass

from samples import hazards, texts
from samples.canvas import A4_MM, BLACK, Box, Canvas
from samples.layouts import DRAW, BlockStyle, block_height_mm
from samples.plan import DocPlan, FormPlan
from samples.signature import INKS, draw_signature
from samples.split import HAND_PT_SCALE


@dataclass(frozen=True, slots=True)
class DrawnForm:
    pages: list[Canvas]
    block_page: int  # index into pages
    value_boxes: dict[str, Box]
    signature_box: Box | None
    signature_style: str | None
    hazard: str | None = None  # a hard signing row (samples.hazards), when asked for


def _style(plan: DocPlan, form: FormPlan, rng: random.Random) -> BlockStyle:
    hand = plan.value_font != plan.font.regular
    return BlockStyle(
        family=plan.family,
        labels=form.labels,
        label_font=plan.font.bold if rng.random() < 0.4 else plan.font.regular,
        label_pt=plan.label_pt,
        value_font=plan.value_font,
        value_pt=plan.value_pt * (1.1 * HAND_PT_SCALE.get(plan.value_font, 1.0) if hand else 1.0),
        value_ink=INKS[form.ink] if hand else BLACK,
        hand=hand,
        row_pitch_mm=plan.row_pitch_mm,
        label_col_mm=plan.label_col_mm,
        left_mm=plan.margin_mm,
        right_mm=A4_MM[0] - plan.margin_mm,
        colon=plan.family == "letterhead" or rng.random() < 0.3,
        line_pt=rng.choice((0.4, 0.6, 0.8, 1.0)),
    )


def _header(canvas: Canvas, plan: DocPlan, form: FormPlan, rng: random.Random) -> float:
    """Letterhead or issuer line plus title; returns the y below it."""
    left, right = plan.margin_mm, A4_MM[0] - plan.margin_mm
    y = plan.margin_mm
    if plan.family == "letterhead":
        canvas.text(left, y + 6, form.letterhead_org, plan.font.bold, 15)
        canvas.text(left, y + 11, form.letterhead_address, plan.font.regular, 8)
        canvas.hline(left, right, y + 13, 0.8)
        y += 22
    else:
        issuer = rng.choice(texts.ISSUERS[form.declaration])
        canvas.text(left, y + 4, issuer, plan.font.regular, 9)
        y += 12
    titles = texts.HELDOUT_TITLES if plan.split == "heldout" else texts.TITLES
    title = rng.choice(titles[form.declaration])
    pt = canvas.fit_pt(title, plan.font.bold, rng.uniform(15, 19), right - left)
    canvas.text(left, y + pt * 0.36, title, plan.font.bold, pt)
    return y + pt * 0.36 + 6


def _body(canvas: Canvas, plan: DocPlan, paras: list[str], y: float, limit: float) -> float:
    left, width = plan.margin_mm, A4_MM[0] - 2 * plan.margin_mm
    while paras:
        h = canvas.paragraph_height(width, paras[0], plan.font.regular, plan.body_pt)
        if y + h > limit:
            break
        y = canvas.paragraph(left, y, width, paras.pop(0), plan.font.regular, plan.body_pt)
    return y


def _bullets(canvas: Canvas, plan: DocPlan, form: FormPlan, y: float) -> float:
    left, width = plan.margin_mm, A4_MM[0] - 2 * plan.margin_mm
    for item in texts.BULLETS[form.declaration]:
        canvas.text(left + 2, y + plan.body_pt * 0.3, "•", plan.font.regular, plan.body_pt)
        y = canvas.paragraph(left + 7, y - 0.5, width - 7, item, plan.font.regular, plan.body_pt)
    return y + 2


def _bullets_height(canvas: Canvas, plan: DocPlan, form: FormPlan) -> float:
    width = A4_MM[0] - 2 * plan.margin_mm - 7
    items = texts.BULLETS[form.declaration]
    return (
        sum(canvas.paragraph_height(width, i, plan.font.regular, plan.body_pt) for i in items) + 2
    )


def draw_form(
    plan: DocPlan, form: FormPlan, rng: random.Random, hazard: random.Random | None = None
) -> DrawnForm:
    dpi = plan.scan.dpi
    style = _style(plan, form, rng)
    if hazard is not None:
        style = hazards.restyle(style, hazard)
    block_h = block_height_mm(style, form.printed)
    bottom = A4_MM[1] - plan.margin_mm
    first = Canvas.a4(dpi, plan.page_mode)
    y = _header(first, plan, form, rng)
    pages = [first]
    if form.two_page:
        paras = texts.pick_paragraphs(rng, form.declaration, 9)
        y = _body(first, plan, paras, y, bottom - 40)
        y = _bullets(first, plan, form, y)
        y = _body(first, plan, paras, y, bottom)
        page = Canvas.a4(dpi, plan.page_mode)
        pages.append(page)
        y = _body(page, plan, paras[:2], plan.margin_mm + 5, bottom - block_h)
    else:
        page = first
        paras = texts.pick_paragraphs(rng, form.declaration, rng.randint(1, 3))
        y = _body(page, plan, paras, y, bottom - block_h - 12)
        if rng.random() < 0.6 and y + _bullets_height(page, plan, form) + 6 < bottom - block_h:
            y = _bullets(page, plan, form, y)
    intro, gap = None, 2.0
    if plan.family == "letterhead":
        title = texts.IN_SENTENCE[form.declaration]
        intro = rng.choice(texts.LETTERHEAD_INTROS).format(org=form.letterhead_org, title=title)
        gap = 4.0
    elif rng.random() < 0.5:
        intro = rng.choice(texts.BLOCK_INTROS)
    width = A4_MM[0] - 2 * plan.margin_mm
    # the intro sentence goes in only where it fits above the block: printed text never
    # overlaps the labels (a form whose block was pulled up into the text reads as no form)
    if (
        intro
        and y + gap + page.paragraph_height(width, intro, plan.font.regular, plan.body_pt) + 4
        <= bottom - block_h
    ):
        y = page.paragraph(plan.margin_mm, y + gap, width, intro, plan.font.regular, plan.body_pt)
    if y + 4 > bottom - block_h:
        # the block does not fit under the text: it goes on a page of its own, as a real
        # form would, rather than being pulled up over the printed text
        page = Canvas.a4(dpi, plan.page_mode)
        pages.append(page)
        y = plan.margin_mm + 5
    top = min(y + 4, bottom - block_h)
    block = DRAW[plan.family](page, style, form.printed, top)
    signed = None
    area, kind = block.signature_area, None
    if hazard is not None and form.signed:
        area, kind = hazards.signing_area(page, hazard, plan.family, area)
    if form.signed:
        signed = draw_signature(
            page,
            rng,
            name=form.truth["signatory_name"] or "Anna Öberg",
            font_path=form.signature_font,
            area=area,
            ink=form.ink,
        )
    elif hazard is not None:
        kind = hazards.draw_distractor(
            page,
            hazard,
            area,
            name=form.truth["signatory_name"] or "Anna Öberg",
            value_font=plan.font.regular,
            label_font=plan.font.bold,
            value_pt=plan.value_pt,
        )
    if len(pages) == 2 and rng.random() < 0.5:
        for i, p in enumerate(pages, 1):
            p.text(A4_MM[0] / 2 - 8, A4_MM[1] - 10, f"Sida {i} av 2", plan.font.regular, 8)
    return DrawnForm(
        pages,
        len(pages) - 1,
        block.value_boxes,
        signed.box if signed else None,
        signed.style if signed else None,
        kind,
    )


def draw_cover_letter(plan: DocPlan, form: FormPlan, rng: random.Random) -> Canvas:
    """A letter from the signing organisation: no signing block, so no declaration."""
    page = Canvas.a4(plan.scan.dpi, plan.page_mode)
    left, width = plan.margin_mm, A4_MM[0] - 2 * plan.margin_mm
    f, pt = plan.font, plan.body_pt
    page.text(left, plan.margin_mm + 6, form.letterhead_org, f.bold, 14)
    page.text(left, plan.margin_mm + 11, form.letterhead_address, f.regular, 8)
    page.hline(left, left + width, plan.margin_mm + 13, 0.6)
    y = plan.margin_mm + 22
    page.text(left + width * 0.6, y, form.printed["place_date"] or "", f.regular, pt)
    y += 12
    for line in ("Länsstyrelsen", "Enheten för jämställdhet", "Att: kontaktperson"):
        page.text(left, y, line, f.regular, pt)
        y += pt * 0.5
    y += 8
    title = texts.TITLES[form.declaration][0]
    page.text(left, y, f"Angående: {title}", f.bold, pt, BLACK)
    y = page.paragraph(left, y + 4, width, rng.choice(texts.LETTER_BODIES), f.regular, pt)
    y = page.paragraph(left, y + 2, width, rng.choice(texts.LETTER_BODIES), f.regular, pt)
    page.text(left, y + 8, "Med vänliga hälsningar", f.regular, pt)
    name = form.truth["signatory_name"] or "Åsa Lindqvist"
    box = (page.px(left), page.px(y + 10), page.px(left + 70), page.px(y + 26))
    if rng.random() < 0.3:
        draw_signature(page, rng, name=name, font_path=form.signature_font, area=box, ink=form.ink)
    page.text(left, y + 32, name, f.regular, pt)
    return page
