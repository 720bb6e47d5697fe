"""The naive baseline the engine is measured against, in the same run.

What anyone would write first: rasterise every whole page at 300 dpi (pypdfium2), run
the ``tesseract -l swe`` command on it (one process per page), and take each value by
regex from the text after its label (the rest of the line, or the next line when the
label stands alone). The values then go through the same parsers as the engine's
(:mod:`ocr.values`), so the comparison is about reading, not about date formats.

It has no notion of confidence or signatures: every value it gives counts as sure,
every page with a signing-block label counts as one signed declaration, and a file is
"rejected" only when pdfium cannot open it.

As a command, the way ``signreg extract`` is run (one JSON line per file, in input
order, files shared among ``--workers`` processes), so the two can be timed alike with
their start-up included::

    python -m tests.bench.baseline [--workers 2] FILE...
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from ocr.model import FIELD_NAMES
from ocr.profile import FormProfile, load_profiles
from ocr.values import (
    Parsed,
    clean_name,
    clean_organisation,
    clean_title,
    parse_county,
    parse_email,
    parse_orgnr,
    parse_place_date,
)

DPI = 300
_BLOCK_GROUPS = ("organisation_number", "signatory_name")
_PARSERS: dict[str, Callable[[str], Parsed]] = {
    "organisation": clean_organisation,
    "organisation_number": parse_orgnr,
    "county": parse_county,
    "signatory_name": clean_name,
    "signatory_title": clean_title,
    "email": parse_email,
}


def baseline_file(path: str, profiles: Sequence[FormProfile] | None = None) -> dict[str, Any]:
    """The baseline's output line for one file, in the shape of ``signreg extract``."""
    profiles = tuple(profiles) if profiles is not None else load_profiles()
    try:
        doc = pdfium.PdfDocument(Path(path).read_bytes())
    except (pdfium.PdfiumError, OSError) as e:
        return {"file": path, "error": str(e), "reason": "baseline"}
    try:
        pages = len(doc)
        if pages == 0:
            return {"file": path, "error": "no pages", "reason": "baseline"}
        texts = [_ocr_page(doc, i) for i in range(pages)]
    finally:
        doc.close()
    labels = _label_patterns(profiles)
    declarations = [
        _declaration(text, number, labels)
        for number, text in enumerate(texts, start=1)
        if any(labels[g].search(text) for g in _BLOCK_GROUPS)
    ]
    return {"file": path, "pages": pages, "declarations": declarations}


def opens(path: str) -> bool:
    """The baseline's only check of a bad input: does pdfium open it with pages?"""
    try:
        doc = pdfium.PdfDocument(Path(path).read_bytes())
    except (pdfium.PdfiumError, OSError):
        return False
    try:
        return len(doc) > 0
    finally:
        doc.close()


def _ocr_page(doc: pdfium.PdfDocument, index: int) -> str:
    page = doc[index]
    try:
        image = page.render(scale=DPI / 72).to_pil()
    finally:
        page.close()
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "page.png"
        image.save(png)
        done = subprocess.run(
            ["tesseract", str(png), "stdout", "-l", "swe"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},  # one core per page, as the engine
        )
    return done.stdout


def _label_patterns(profiles: Sequence[FormProfile]) -> dict[str, re.Pattern[str]]:
    groups: dict[str, set[str]] = {}
    for profile in profiles:
        for group, variants in profile.labels.items():
            groups.setdefault(group, set()).update(variants)
    return {
        group: re.compile(
            r"(?im)^[ \t|]*(?:"
            + "|".join(re.escape(v) for v in sorted(vs, key=len, reverse=True))
            + r")[ \t]*:?[ \t]*(.*)$"
        )
        for group, vs in groups.items()
    }


def _after_label(text: str, pattern: re.Pattern[str]) -> str | None:
    match = pattern.search(text)
    if match is None:
        return None
    rest = match.group(1).strip()
    if rest:
        return rest
    following = [line.strip() for line in text[match.end() :].splitlines() if line.strip()]
    return following[0] if following else None


def _declaration(text: str, page: int, labels: dict[str, re.Pattern[str]]) -> dict[str, Any]:
    values: dict[str, str | None] = dict.fromkeys(FIELD_NAMES)
    for group, pattern in labels.items():
        raw = _after_label(text, pattern)
        if raw is None:
            continue
        if group == "place_date":
            place, date = parse_place_date(raw)
            values["place"], values["signed_date"] = place.value, date.value
        elif group in _PARSERS:
            values[group] = _PARSERS[group](raw).value
    fields = {
        name: {
            "value": value,
            "confidence": 1.0 if value is not None else 0.0,
            "page": page,
            "bbox": None,
        }
        for name, value in values.items()
    }
    return {
        "pages": [page],
        "declaration": None,
        "fields": fields,
        "signature": {"present": True, "confidence": 1.0, "page": page, "bbox": None},
        "flags": [],
    }


def baseline_files(files: Sequence[str], workers: int) -> Iterator[dict[str, Any]]:
    """Each file's line, in input order, the files shared among ``workers`` processes."""
    with get_context("spawn").Pool(max(1, workers)) as pool:
        yield from pool.imap(baseline_file, files, chunksize=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.baseline")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    for line in baseline_files(args.files, args.workers):
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
