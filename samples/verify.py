"""Check a generated set against its own truth: OCR every value box and compare.

    python -m samples.verify DIR        # DIR written by samples.generate

Each page is rendered with pdfium (as a viewer shows it), turned back by its pixel
rotation and skew, and Tesseract reads each ``value_boxes`` crop. The agreement with
the printed text, per layout family, shows whether the truth boxes sit where the ink
is; a box that reads as something else is listed.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import pypdfium2 as pdfium
import pytesseract
from PIL import Image
from rapidfuzz import fuzz

RENDER_DPI = 200
LOW = 70


def _upright(pdf: Path, page_no: int, variant: dict) -> Image.Image:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        image = doc[page_no - 1].render(scale=RENDER_DPI / 72).to_pil().convert("L")
    finally:
        doc.close()
    turn = 0 if variant["pdf_rotate"] else variant["page_rotations"][page_no - 1]
    if turn:
        image = image.rotate(turn, expand=True)
    if variant["skew"]:
        image = image.rotate(-variant["skew"], resample=Image.Resampling.BICUBIC, fillcolor=255)
    return image


def verify(directory: Path) -> tuple[dict[str, list[float]], list[tuple[str, str, str, str]]]:
    """Similarity scores per layout, and the boxes that read as something else."""
    scores: dict[str, list[float]] = defaultdict(list)
    low: list[tuple[str, str, str, str]] = []
    for truth_path in sorted(directory.glob("*.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        variant = truth["variant"]
        pages: dict[int, Image.Image] = {}
        for decl in truth["declarations"]:
            for field, box in decl["value_boxes"].items():
                page = box["page"]
                if page not in pages:
                    pages[page] = _upright(truth_path.with_suffix(".pdf"), page, variant)
                image = pages[page]
                w, h = image.size
                x0, y0, x1, y1 = box["bbox"]
                crop = image.crop(
                    (
                        int((x0 - 0.012) * w),
                        int((y0 - 0.004) * h),
                        int((x1 + 0.012) * w),
                        int((y1 + 0.004) * h),
                    )
                )
                read = pytesseract.image_to_string(crop, lang="swe", config="--psm 7").strip()
                want = decl["printed"][field]
                score = fuzz.ratio(read, want)
                scores[variant["layout"]].append(score)
                if score < LOW:
                    low.append((truth_path.name, field, want, read))
    return scores, low


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m samples.verify", description=__doc__)
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    scores, low = verify(args.directory)
    for layout, values in sorted(scores.items()):
        print(
            f"{layout:12} {len(values):4d} boxes  mean similarity {sum(values) / len(values):5.1f}"
        )
    for name, field, want, read in low:
        print(f"low: {name} {field}: printed {want!r}, read {read!r}")


if __name__ == "__main__":
    main()
