"""A page drawn at its scan resolution, addressed in millimetres and points.

Text is drawn with Pillow at the target dpi (font size = points × dpi / 72), so there is
no resampling and every box the drawing returns is exact in the page's pixels.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

A4_MM = (210.0, 297.0)
Box = tuple[int, int, int, int]
Colour = tuple[int, int, int]
BLACK: Colour = (20, 20, 20)


@lru_cache(maxsize=256)
def font(path: str, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, max(size_px, 4))


@dataclass
class Canvas:
    """One upright page; ``image`` is RGB white paper."""

    dpi: int
    image: Image.Image
    draw: ImageDraw.ImageDraw

    @classmethod
    def a4(cls, dpi: int, mode: str = "RGB") -> Canvas:
        """A blank page; mode ``L`` for pages that will be scanned without colour."""
        size = (round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi))
        image = Image.new(mode, size, 255 if mode == "L" else (255, 255, 255))
        return cls(dpi=dpi, image=image, draw=ImageDraw.Draw(image))

    def ink(self, colour: Colour) -> int | Colour:
        """``colour`` as this page's mode takes it (luminance on a grey page)."""
        if self.image.mode == "L":
            r, g, b = colour
            return (r * 299 + g * 587 + b * 114) // 1000
        return colour

    @property
    def width_mm(self) -> float:
        return A4_MM[0]

    def px(self, mm: float) -> int:
        return round(mm / 25.4 * self.dpi)

    def mm(self, px: float) -> float:
        return px * 25.4 / self.dpi

    def font(self, path: str, pt: float) -> ImageFont.FreeTypeFont:
        return font(path, round(pt * self.dpi / 72))

    def text_width_mm(self, text: str, path: str, pt: float) -> float:
        return self.mm(self.font(path, pt).getlength(text))

    def text(
        self, x_mm: float, baseline_mm: float, text: str, path: str, pt: float, fill: Colour = BLACK
    ) -> Box | None:
        """Draw ``text`` with its baseline at ``baseline_mm``; returns its ink box in pixels."""
        if not text:
            return None
        f = self.font(path, pt)
        xy = (self.px(x_mm), self.px(baseline_mm))
        self.draw.text(xy, text, font=f, fill=self.ink(fill), anchor="ls")
        box = self.draw.textbbox(xy, text, font=f, anchor="ls")
        return (int(box[0]), int(box[1]), int(box[2]), int(box[3]))

    def handwritten(
        self, x_mm: float, baseline_mm: float, text: str, path: str, pt: float, fill: Colour
    ) -> Box | None:
        """``text`` as written by hand in print letters: a slight tilt and a wandering
        baseline, both derived from the text so no random stream is consumed."""
        if not text:
            return None
        f = self.font(path, pt)
        n = zlib.crc32(text.encode())
        angle = ((n % 41) - 20) / 10  # ±2°
        lift = self.px(((n >> 8) % 11 - 5) / 10)  # ±0.5 mm
        left, top, right, bottom = (int(v) for v in f.getbbox(text, anchor="ls"))
        pad = int(f.size * 0.6)
        mask = Image.new("L", (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad), 0)
        pen = max(1, round(self.dpi / 300))  # a ballpoint is broader than a font stroke
        ImageDraw.Draw(mask).text(
            (pad - left, pad - top),
            text,
            font=f,
            fill=255,
            anchor="ls",
            stroke_width=pen,
            stroke_fill=255,
        )
        mask = mask.rotate(angle, resample=Image.Resampling.BILINEAR, center=(pad, pad - top))
        ink = mask.getbbox()
        if ink is None:
            return None
        x0 = self.px(x_mm) + left - pad
        y0 = self.px(baseline_mm) + top - pad - lift
        self.image.paste(Image.new(self.image.mode, mask.size, self.ink(fill)), (x0, y0), mask)
        return (x0 + ink[0], y0 + ink[1], x0 + ink[2], y0 + ink[3])

    def fit_pt(self, text: str, path: str, pt: float, width_mm: float) -> float:
        """``pt`` shrunk (not below 60 %) so that ``text`` fits in ``width_mm``."""
        w = self.text_width_mm(text, path, pt)
        return pt if w <= width_mm else max(pt * width_mm / w, pt * 0.6)

    def hline(
        self, x0_mm: float, x1_mm: float, y_mm: float, pt: float = 0.6, fill: Colour = BLACK
    ) -> None:
        w = max(1, round(pt * self.dpi / 72))
        y = self.px(y_mm)
        self.draw.rectangle((self.px(x0_mm), y, self.px(x1_mm), y + w - 1), fill=self.ink(fill))

    def vline(self, x_mm: float, y0_mm: float, y1_mm: float, pt: float = 0.6) -> None:
        w = max(1, round(pt * self.dpi / 72))
        x = self.px(x_mm)
        self.draw.rectangle((x, self.px(y0_mm), x + w - 1, self.px(y1_mm)), fill=self.ink(BLACK))

    def rect(self, x0_mm: float, y0_mm: float, x1_mm: float, y1_mm: float, pt: float = 0.6) -> None:
        w = max(1, round(pt * self.dpi / 72))
        box = (self.px(x0_mm), self.px(y0_mm), self.px(x1_mm), self.px(y1_mm))
        self.draw.rectangle(box, outline=self.ink(BLACK), width=w)

    def paragraph(
        self,
        x_mm: float,
        y_mm: float,
        width_mm: float,
        text: str,
        path: str,
        pt: float,
        leading: float = 1.35,
    ) -> float:
        """Wrap ``text`` into ``width_mm``; ``y_mm`` is the top; returns the y below it."""
        f = self.font(path, pt)
        max_px = self.px(width_mm)
        line_mm = pt * leading * 25.4 / 72
        words = text.split()
        line: list[str] = []
        y = y_mm + line_mm * 0.8
        for word in words:
            trial = " ".join([*line, word])
            if line and f.getlength(trial) > max_px:
                self.text(x_mm, y, " ".join(line), path, pt)
                y += line_mm
                line = [word]
            else:
                line.append(word)
        if line:
            self.text(x_mm, y, " ".join(line), path, pt)
            y += line_mm
        return y - line_mm * 0.8 + line_mm * 0.45

    def paragraph_height(
        self, width_mm: float, text: str, path: str, pt: float, leading: float = 1.35
    ) -> float:
        f = self.font(path, pt)
        max_px = self.px(width_mm)
        lines, line = 0, ""
        for word in text.split():
            trial = f"{line} {word}".strip()
            if line and f.getlength(trial) > max_px:
                lines, line = lines + 1, word
            else:
                line = trial
        lines += 1 if line else 0
        line_mm = pt * leading * 25.4 / 72
        return lines * line_mm + line_mm * 0.45
