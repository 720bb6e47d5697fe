"""The join-online form: the declaration's text per profile, and the personalised PDF.

The PDF is one A4 page drawn at 300 dpi in black and white (CCITT G4, as a fax or a
scanner would store it, small and sharp): the declaration's title and text, its
commitments, the 2-D code (QR, error correction Q or better) at the top right, and the
signing block laid out as the engine reads it (labels from the form profile, the typed
values on their lines), with the date beside the place and the signature line left for
the pen. :func:`draw_form` gives the page and where everything is (in millimetres), so
the sample generator can "print, sign and scan" it (``samples/prefilled.py``).
"""

from __future__ import annotations

import io
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from ocr.profile import BLOCK_ROWS, FormProfile, load_profiles

TEXTS_FILE = Path(__file__).parent / "templates" / "join" / "declarations.toml"
A4_MM = (210.0, 297.0)
PDF_DPI = 300
_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation"),
)
_REGULAR = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")
_BOLD = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf")
MM_Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class DeclarationText:
    slug: str
    title: str
    issuer: str
    intro: tuple[str, ...]
    commitments_intro: str
    commitments: tuple[str, ...]
    benefits: tuple[str, ...]
    block_intro: str
    counties: tuple[str, ...]
    labels: dict[str, str]  # a block row → the label printed (the profile's first)


@dataclass(frozen=True, slots=True)
class FormValues:
    """What is printed in the signing block."""

    organisation: str
    organisation_number: str
    county: str
    place: str
    signatory_name: str
    signatory_title: str
    email: str


@dataclass(frozen=True, slots=True)
class DrawnForm:
    """The page and where its parts are, in millimetres from the top left."""

    image: Image.Image  # mode L at ``dpi``
    dpi: int
    value_boxes: dict[str, MM_Box]  # the typed values' ink
    signature_area: MM_Box  # where the signer signs
    date_at: tuple[float, float]  # where the hand-written date starts: x, baseline
    row_lines: dict[str, float]  # each row's line (y)
    value_x: float  # where values start
    code_box: MM_Box
    value_pt: float


@lru_cache(maxsize=8)
def _font_path(bold: bool) -> str:
    for name in _BOLD if bold else _REGULAR:
        for folder in _FONT_DIRS:
            if (folder / name).exists():
                return str(folder / name)
    raise FileNotFoundError("no DejaVu or Liberation Sans font (apt-get install fonts-dejavu-core)")


@lru_cache(maxsize=64)
def _font(bold: bool, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_path(bold), max(4, size_px))


@lru_cache(maxsize=1)
def _texts() -> dict[str, dict[str, object]]:
    with TEXTS_FILE.open("rb") as f:
        return tomllib.load(f)


@lru_cache(maxsize=1)
def declaration_texts() -> dict[str, DeclarationText]:
    """Every declaration with a form profile, by slug (prose from ``declarations.toml``)."""
    out = {}
    for profile in load_profiles():
        out[profile.slug] = _text_of(profile, _texts().get(profile.slug, {}))
    return out


def _text_of(profile: FormProfile, data: dict[str, object]) -> DeclarationText:
    def strings(key: str) -> tuple[str, ...]:
        value = data.get(key) or ()
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    labels = {row: profile.labels_for(row)[0] for row in BLOCK_ROWS if row != "signature"}
    labels["signature"] = profile.signature_labels[0]
    return DeclarationText(
        slug=profile.slug,
        title=profile.title,
        issuer=str(data.get("issuer") or ""),
        intro=strings("intro"),
        commitments_intro=str(data.get("commitments_intro") or ""),
        commitments=strings("commitments"),
        benefits=strings("benefits"),
        block_intro=str(data.get("block_intro") or ""),
        counties=profile.counties,
        labels=labels,
    )


class _Page:
    def __init__(self, dpi: int) -> None:
        self.dpi = dpi
        size = (round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi))
        self.image = Image.new("L", size, 255)
        self.draw = ImageDraw.Draw(self.image)

    def px(self, mm: float) -> int:
        return round(mm / 25.4 * self.dpi)

    def mm(self, px: float) -> float:
        return px * 25.4 / self.dpi

    def font(self, pt: float, bold: bool = False) -> ImageFont.FreeTypeFont:
        return _font(bold, round(pt * self.dpi / 72))

    def width_mm(self, text: str, pt: float, bold: bool = False) -> float:
        return self.mm(self.font(pt, bold).getlength(text))

    def fit(self, text: str, pt: float, width_mm: float, bold: bool = False) -> float:
        w = self.width_mm(text, pt, bold)
        return pt if w <= width_mm else max(pt * width_mm / w, pt * 0.6)

    def text(self, x: float, baseline: float, text: str, pt: float, bold: bool = False) -> MM_Box:
        f = self.font(pt, bold)
        xy = (self.px(x), self.px(baseline))
        self.draw.text(xy, text, font=f, fill=0, anchor="ls")
        b = self.draw.textbbox(xy, text, font=f, anchor="ls")
        return (self.mm(b[0]), self.mm(b[1]), self.mm(b[2]), self.mm(b[3]))

    def hline(self, x0: float, x1: float, y: float, pt: float = 0.6) -> None:
        w = max(1, round(pt * self.dpi / 72))
        py = self.px(y)
        self.draw.rectangle((self.px(x0), py, self.px(x1), py + w - 1), fill=0)

    def paragraph(self, x: float, top: float, width: float, text: str, pt: float) -> float:
        """``text`` wrapped into ``width`` from ``top``; the y below it."""
        f = self.font(pt)
        line_mm = pt * 1.35 * 25.4 / 72
        y = top + line_mm * 0.8
        line: list[str] = []
        for word in text.split():
            trial = " ".join([*line, word])
            if line and f.getlength(trial) > self.px(width):
                self.text(x, y, " ".join(line), pt)
                y += line_mm
                line = [word]
            else:
                line.append(word)
        if line:
            self.text(x, y, " ".join(line), pt)
            y += line_mm
        return y - line_mm * 0.8 + line_mm * 0.45


def code_image(payload: bytes) -> list[list[bool]]:
    """The QR code's modules (True = dark), quiet zone included: error correction Q,
    raised to H where the payload fits the same size."""
    qr = segno.make_qr(payload, error="q", boost_error=True)
    return [[bool(v) for v in row] for row in qr.matrix_iter(scale=1, border=4)]


def _draw_code(page: _Page, modules: list[list[bool]], right: float, top: float) -> MM_Box:
    n = len(modules)
    # whole pixels per module (sharp edges), about 0.6 mm, the code no wider than 48 mm
    module_px = max(3, min(round(0.6 / 25.4 * page.dpi), int(48 / 25.4 * page.dpi) // n))
    size = n * module_px
    x0, y0 = page.px(right) - size, page.px(top)
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                page.draw.rectangle(
                    (
                        x0 + c * module_px,
                        y0 + r * module_px,
                        x0 + (c + 1) * module_px - 1,
                        y0 + (r + 1) * module_px - 1,
                    ),
                    fill=0,
                )
    return (page.mm(x0), page.mm(y0), page.mm(x0 + size), page.mm(y0 + size))


def draw_form(
    text: DeclarationText,
    values: FormValues,
    payload: bytes,
    *,
    application_id: str,
    dpi: int = PDF_DPI,
) -> DrawnForm:
    page = _Page(dpi)
    left, right = 22.0, A4_MM[0] - 22.0
    top = 16.0
    modules = code_image(payload)
    code_box = _draw_code(page, modules, A4_MM[0] - 14.0, top - 4.0)
    page.text(code_box[0] + 1.5, code_box[3] + 1.5, f"Ansökan {application_id}", 7)
    head_right = code_box[0] - 4.0
    y = top + 4
    if text.issuer:
        pt = page.fit(text.issuer, 9, head_right - left)
        page.text(left, y, text.issuer, pt)
        y += 9
    title_pt = page.fit(text.title, 17, head_right - left, bold=True)
    if page.width_mm(text.title, 17, bold=True) > head_right - left and title_pt < 13:
        # a long title in two lines rather than too small
        words = text.title.split()
        half = len(words) // 2
        for part in (" ".join(words[:half]), " ".join(words[half:])):
            pt = page.fit(part, 15, head_right - left, bold=True)
            page.text(left, y + pt * 0.36, part, pt, bold=True)
            y += pt * 0.36 + 2.5
    else:
        page.text(left, y + title_pt * 0.36, text.title, title_pt, bold=True)
        y += title_pt * 0.36
    y = max(y + 8, code_box[3] + 6)
    width = right - left
    body_pt = 10.5
    for para in text.intro:
        y = page.paragraph(left, y, width, para, body_pt) + 1
    if text.commitments:
        if text.commitments_intro:
            y = page.paragraph(left, y, width, text.commitments_intro, body_pt)
        for item in text.commitments:
            page.text(left + 2, y + body_pt * 0.3, "•", body_pt)
            y = page.paragraph(left + 7, y - 0.5, width - 7, item, body_pt)
        y += 2
    if text.block_intro:
        y = page.paragraph(left, y + 2, width, text.block_intro, body_pt)
    # the signing block: label on the left, the value on a line beside it
    label_col, pitch, sig_h, label_pt, value_pt = 48.0, 11.5, 20.0, 10.5, 11.5
    block_h = pitch * (len(BLOCK_ROWS) - 1) + sig_h
    y = min(y + 4, A4_MM[1] - 16.0 - block_h)
    x_val = left + label_col
    printed = {
        "organisation": values.organisation,
        "organisation_number": values.organisation_number,
        "county": values.county,
        "place_date": f"{values.place}," if values.place else "",
        "signatory_name": values.signatory_name,
        "signatory_title": values.signatory_title,
        "email": values.email,
    }
    boxes: dict[str, MM_Box] = {}
    lines: dict[str, float] = {}
    sig_area: MM_Box = (0.0, 0.0, 0.0, 0.0)
    date_at = (x_val + 2, 0.0)
    for row in BLOCK_ROWS:
        line_y = y + (sig_h if row == "signature" else pitch)
        label = text.labels[row]
        page.text(left, line_y - 1.0, label, page.fit(label, label_pt, label_col - 2))
        page.hline(x_val, right, line_y + 0.4)
        lines[row] = line_y
        if row == "signature":
            sig_area = (x_val + 2, y + 2, right - 15, line_y)
        else:
            value = printed.get(row) or ""
            if value:
                pt = page.fit(value, value_pt, right - x_val - 4)
                box = page.text(x_val + 2, line_y - 1.2, value, pt)
                key = "place" if row == "place_date" else row
                boxes[key] = box
                if row == "place_date":
                    date_at = (box[2] + 3.0, line_y - 1.2)
            elif row == "place_date":
                date_at = (x_val + 2, line_y - 1.2)
        y = line_y
    return DrawnForm(
        image=page.image,
        dpi=dpi,
        value_boxes=boxes,
        signature_area=sig_area,
        date_at=date_at,
        row_lines=lines,
        value_x=x_val,
        code_box=code_box,
        value_pt=value_pt,
    )


def form_pdf(
    text: DeclarationText, values: FormValues, payload: bytes, *, application_id: str
) -> bytes:
    """The personalised form as a one-page PDF (black and white, CCITT G4, 300 dpi)."""
    drawn = draw_form(text, values, payload, application_id=application_id)
    return pdf_of(drawn, title=f"{text.title} – {values.organisation}")


def pdf_of(drawn: DrawnForm, *, title: str) -> bytes:
    """A drawn form as a one-page black-and-white PDF (CCITT G4)."""
    bw = drawn.image.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)
    buf = io.BytesIO()
    bw.save(buf, "PDF", resolution=float(drawn.dpi), title=title, producer="signatory-registry")
    return buf.getvalue()
