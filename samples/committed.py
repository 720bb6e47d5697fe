"""The small sample PDFs committed in ``samples/committed/`` for the README and the tests.

Each is the first sample of a fixed seed whose plan matches a description, rendered at
200 dpi so every file stays small. Regenerate with ``python -m samples.committed``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from samples.generate import render_sample
from samples.plan import DocPlan, plan_sample
from samples.split import Split

COMMITTED_DIR = Path(__file__).resolve().parent / "committed"
SEED = 2024
DPI = 200
MAX_BYTES = 280_000


def _upright(p: DocPlan) -> bool:
    return p.scan.rotation == 0 and abs(p.scan.skew) < 2


def _full(p: DocPlan) -> bool:
    return all(
        v is not None for f in p.forms for k, v in f.printed.items() if k != "email"
    ) and not any(f.orgnr_printed_invalid for f in p.forms)


Wanted = tuple[str, Split, str, Callable[[DocPlan], bool]]

WANTED: tuple[Wanted, ...] = (
    (
        "signed-label-left",
        "dev",
        "signed one-page form, label left of value",
        lambda p: (
            p.kind == "short"
            and p.family == "label_left"
            and p.forms[0].signed
            and _upright(p)
            and _full(p)
            and p.scan.colour == "grey-jpeg"
        ),
    ),
    (
        "two-page-block-on-page-2",
        "dev",
        "declaration text fills page 1, signing block on page 2",
        lambda p: (
            p.kind == "two_page"
            and p.forms[0].signed
            and _upright(p)
            and _full(p)
            and p.scan.colour == "grey-jpeg"
            and p.scan.jpeg_quality <= 55
        ),
    ),
    (
        "unsigned",
        "dev",
        "form filled in but not signed: signature.present is false",
        lambda p: (
            p.kind == "short"
            and not p.forms[0].signed
            and _upright(p)
            and _full(p)
            and p.family in ("label_above", "label_left")
        ),
    ),
    (
        "rotated-180",
        "dev",
        "signed form fed upside down (pixels turned, no /Rotate)",
        lambda p: (
            p.kind == "short"
            and p.scan.rotation == 180
            and not p.scan.pdf_rotate
            and p.forms[0].signed
            and _full(p)
        ),
    ),
    (
        "batch-of-2",
        "dev",
        "two signed one-page forms scanned in one PDF: two declarations",
        lambda p: (
            p.kind == "batch"
            and len(p.forms) == 2
            and not any(f.two_page for f in p.forms)
            and all(f.signed for f in p.forms)
            and _upright(p)
        ),
    ),
    (
        "bw-g4-table",
        "dev",
        "bordered table, black-and-white CCITT G4",
        lambda p: (
            p.family == "table"
            and p.scan.colour == "bw-g4"
            and p.kind == "short"
            and p.forms[0].signed
            and _upright(p)
        ),
    ),
    (
        "cover-letter-and-form",
        "dev",
        "cover letter (no declaration) then the signed form",
        lambda p: (
            p.kind == "cover_letter"
            and p.forms[0].signed
            and _upright(p)
            and not p.forms[0].two_page
        ),
    ),
    (
        "heldout-two-column",
        "heldout",
        "held-out fonts and labels, two-column block",
        lambda p: (
            p.family == "two_column"
            and p.kind == "short"
            and p.forms[0].signed
            and _upright(p)
            and p.scan.colour.endswith("jpeg")
        ),
    ),
)


def find(split: Split, wanted: Callable[[DocPlan], bool]) -> tuple[int, bytes, dict]:
    """The first sample of ``SEED`` that matches and renders to under ``MAX_BYTES``."""
    for index in range(3000):
        if wanted(plan_sample(index, SEED, split, dpi=DPI)):
            pdf, truth = render_sample(index, SEED, split, dpi=DPI)
            if len(pdf) < MAX_BYTES:
                return index, pdf, truth
    raise LookupError("no sample matches")


def build(out_dir: Path = COMMITTED_DIR) -> list[tuple[str, str]]:
    """Write the committed samples; returns ``(file name, description)`` pairs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, split, description, wanted in WANTED:
        index, pdf, truth = find(split, wanted)
        (out_dir / f"{name}.pdf").write_bytes(pdf)
        truth = {"file": f"{name}.pdf", **truth, "source": {"seed": SEED, "index": index}}
        (out_dir / f"{name}.json").write_text(
            json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        written.append((f"{name}.pdf", description))
    _write_readme(out_dir, written)
    return written


def _write_readme(out_dir: Path, written: list[tuple[str, str]]) -> None:
    lines = [
        "# Committed sample scans",
        "",
        "Synthetic scanned declarations made by `samples/` (regenerate with",
        "`python -m samples.committed`; the same code always writes the same truth and,",
        "up to encoder and rounding noise, the same pixels). Each",
        "`NAME.pdf` has its truth in `NAME.json`: the values the engine must output, which",
        "pages hold which declaration, the signature box, and how the scan was made.",
        f"All are rendered at {DPI} dpi from seed {SEED}.",
        "",
        "| file | what it shows | pages | layout | scan |",
        "|---|---|---|---|---|",
    ]
    for file, description in written:
        truth = json.loads((out_dir / file).with_suffix(".json").read_text(encoding="utf-8"))
        v = truth["variant"]
        scan = f"{v['colour']}, rotation {v['rotation']}, skew {v['skew']}°"
        lines.append(
            f"| `{file}` | {description} | {truth['pages']} | {v['layout']} ({v['font']}) "
            f"| {scan} |"
        )
    lines += [
        "",
        "Truth conventions: `fields` hold normalised values (organisation number",
        "`NNNNNN-NNNN` with a valid Luhn digit, ISO date, county `Norrbotten`/`Västerbotten`);",
        "a field left blank on the form is `null`; a misprinted organisation number that",
        "fails Luhn is `null` in `fields` and kept as `organisation_number_printed`. `bbox`",
        "values are `[x0, y0, x1, y1]` fractions of the upright page; `value_boxes` give the",
        "ink box of each printed value and `printed` the text as it stands on the paper.",
        "",
    ]
    (out_dir / "README.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    for file, description in build():
        size = (COMMITTED_DIR / file).stat().st_size
        print(f"{file:32} {size // 1024:4d} kB  {description}")
