"""Every random choice of one sample, made up front from its seed: what the document holds,
which values each form carries, how it is laid out and how it was scanned.

Layout families and scanner colour modes are cycled by the sample's index (not drawn at
random) so that any set of 12 or more samples holds each of them, in either split.
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from samples import values as v
from samples.layouts import FAMILIES
from samples.marks import Extras
from samples.scanner import COLOURS, ScanSpec
from samples.split import SPLIT_NAMES, SPLITS, FontFace, Split, allowed_labels

PROFILE_DIR = Path(__file__).resolve().parent.parent / "ocr" / "profiles"
DOC_KINDS = ("short", "two_page", "cover_letter", "batch")
KIND_WEIGHTS = (40, 25, 15, 20)
_PROFILE_KEYS = {
    "organisation": "organisation",
    "organisation_number": "organisation_number",
    "county": "county",
    "place_date": "place_date",
    "signatory_name": "signatory_name",
    "signatory_title": "signatory_title",
    "email": "email",
}


def profile_labels(declaration: str) -> dict[str, list[str]]:
    data = tomllib.loads((PROFILE_DIR / f"{declaration}.toml").read_text(encoding="utf-8"))
    labels = {form: list(data["fields"][key]["labels"]) for form, key in _PROFILE_KEYS.items()}
    labels["signature"] = list(data["signature"]["labels"])
    return labels


@dataclass(frozen=True, slots=True)
class FormPlan:
    """One paper form: its printed values, truth and look."""

    declaration: str
    printed: dict[str, str | None]
    truth: dict[str, str | None]
    orgnr_printed_invalid: str | None
    signed: bool
    signature_font: str
    ink: str
    labels: dict[str, str]
    hand: bool
    two_page: bool
    letterhead_org: str
    letterhead_address: str


@dataclass(frozen=True, slots=True)
class DocPlan:
    kind: str
    family: str
    font: FontFace
    value_font: str
    forms: tuple[FormPlan, ...]
    scan: ScanSpec
    margin_mm: float
    body_pt: float
    value_pt: float
    label_pt: float
    row_pitch_mm: float
    label_col_mm: float
    cover_letter: bool
    extras: Extras
    split: Split

    @property
    def page_mode(self) -> str:
        return "RGB" if self.scan.colour == "colour-jpeg" else "L"


def _colour_slot(index: int) -> int:
    """Scanner modes cycle with the index, shifted by one every 24 samples so that over a
    set of 48 or more every layout family meets every mode (4 and 6 share a factor 2)."""
    return index + index // 24


def _pick_label(rng: random.Random, options: list[str], split: Split) -> str:
    if split == "dev":
        return options[0] if rng.random() < 0.6 or len(options) == 1 else rng.choice(options[1:])
    return rng.choice(options)


def _form(rng: random.Random, split: Split, declaration: str, two_page: bool) -> FormPlan:
    spec = SPLITS[split]
    org = v.make_organisation(rng, municipal_only=declaration == "cemr-charter")
    person = v.make_person(rng, org, with_email=rng.random() < 0.6)
    date = v.make_date(rng)
    place = rng.choice(v.PLACES[org.county])
    date_text = v.format_date(rng, date)
    signed = rng.random() >= 0.2
    blanks: set[str] = set()
    if (not signed and rng.random() < 0.5) or (signed and rng.random() < 0.1):
        blanks = set(
            rng.sample(
                [
                    "organisation_number",
                    "county",
                    "signatory_title",
                    "email",
                    "signatory_name",
                    "place",
                ],
                rng.randint(2, 4),
            )
        )
    elif rng.random() < 0.08:
        blanks = {rng.choice(["county", "place", "signatory_title"])}
    orgnr_printed = org.orgnr
    invalid = None
    if "organisation_number" not in blanks and rng.random() < 0.05:
        orgnr_printed = invalid = v.typo_orgnr(rng, org.orgnr)
    place_text = None if "place" in blanks else place
    printed: dict[str, str | None] = {
        "organisation": org.name,
        "organisation_number": None if "organisation_number" in blanks else orgnr_printed,
        "county": None if "county" in blanks else v.printed_county(rng, org.county),
        "place_date": v.format_place_date(rng, place_text, date_text),
        "place": place_text,  # the two parts of place_date, not printed on their own
        "signed_date": date_text,
        "signatory_name": None if "signatory_name" in blanks else person.name,
        "signatory_title": None if "signatory_title" in blanks else person.title,
        "email": None if "email" in blanks else person.email,
    }
    truth: dict[str, str | None] = {
        "organisation": org.name,
        "organisation_number": None if (invalid or "organisation_number" in blanks) else org.orgnr,
        "county": None if "county" in blanks else org.county,
        "place": place_text,
        "signed_date": date.isoformat(),
        "signatory_name": printed["signatory_name"],
        "signatory_title": printed["signatory_title"],
        "email": printed["email"],
    }
    labels = {
        field: _pick_label(rng, allowed_labels(options, split, field), split)
        for field, options in profile_labels(declaration).items()
    }
    return FormPlan(
        declaration=declaration,
        printed=printed,
        truth=truth,
        orgnr_printed_invalid=invalid,
        signed=signed,
        signature_font=rng.choice(spec.signature_fonts),
        ink=rng.choice(("blue", "blue", "dark-blue", "black")),
        labels=labels,
        hand=rng.random() < 0.2 and not spec.typed_only,
        two_page=two_page,
        letterhead_org=org.name,
        letterhead_address=v.address(org),
    )


def _scan(rng: random.Random, index: int, pages: int) -> ScanSpec:
    dpi = rng.choices(
        (200, 300, 400, 600), weights=(35, 45, 10, 10) if pages <= 2 else (1, 1, 0, 0)
    )[0]
    colour = COLOURS[_colour_slot(index) % len(COLOURS)]
    rotation = rng.choice((0,) * 7 + (90, 180, 270))
    return scanner_defects(rng, dpi=dpi, colour=colour, rotation=rotation)


def scanner_defects(rng: random.Random, *, dpi: int, colour: str, rotation: int) -> ScanSpec:
    """A scan at ``dpi``, ``colour`` and ``rotation`` with the defects of a real scanner
    drawn from ``rng`` (JPEG quality, a rotation written in the PDF, skew, noise, blur,
    paper tone); the draws in this order, so generated sets stay the same."""
    return ScanSpec(
        dpi=dpi,
        colour=colour,
        jpeg_quality=rng.choice((35, 55, 75, 90)),
        rotation=rotation,
        pdf_rotate=rotation != 0 and rng.random() < 0.25,
        skew=round(rng.uniform(-3, 3), 2) if rng.random() < 0.6 else 0.0,
        noise=rng.choice(("none", "speckle", "grain")),
        blur=round(rng.uniform(0.3, 1.0) * dpi / 300, 2) if rng.random() < 0.4 else 0.0,
        paper=rng.choice((0, 0, 6, 12, 20)),
    )


def plan_sample(index: int, seed: int, split: Split, *, dpi: int | None = None) -> DocPlan:
    """All choices of sample ``index``; ``dpi`` overrides the scan resolution (fast tests)."""
    rng = random.Random(f"{seed}:{split}:{index}")
    spec = SPLITS[split]
    kind = rng.choices(DOC_KINDS, weights=KIND_WEIGHTS)[0]
    declaration = "cemr-charter" if rng.random() < 0.25 else "jamstalld-industri"
    n_forms = rng.randint(2, 3 if rng.random() < 0.7 else 4) if kind == "batch" else 1
    forms = tuple(
        _form(
            rng, split, declaration, kind == "two_page" or (kind == "batch" and rng.random() < 0.2)
        )
        for _ in range(n_forms)
    )
    pages = sum(2 if f.two_page else 1 for f in forms) + (kind == "cover_letter")
    face = rng.choice(spec.text_fonts)
    hand = any(f.hand for f in forms)
    value_font = rng.choice(spec.hand_fonts) if hand else face.regular
    scan = _scan(rng, index, pages)
    if dpi is not None:
        scan = replace(scan, dpi=dpi, blur=round(scan.blur * dpi / scan.dpi, 2))
    return DocPlan(
        kind=kind,
        family=(spec.families or FAMILIES)[index % len(spec.families or FAMILIES)],
        font=face,
        value_font=value_font,
        forms=forms,
        scan=scan,
        margin_mm=rng.uniform(*spec.margin_mm),
        body_pt=rng.uniform(*spec.body_pt),
        value_pt=rng.uniform(*spec.value_pt),
        label_pt=spec.pick(rng, spec.label_pt),
        row_pitch_mm=spec.pick(rng, spec.row_pitch_mm),
        label_col_mm=spec.pick(rng, spec.label_col_mm),
        cover_letter=kind == "cover_letter",
        split=split,
        extras=_extras(random.Random(f"extras:{seed}:{split}:{index}"), kind, pages, scan),
    )


def _extras(rng: random.Random, kind: str, pages: int, scan: ScanSpec) -> Extras:
    flip = rng.random() < 0.3 and kind == "batch" and scan.rotation == 0
    return Extras(
        stamp=rng.random() < 0.25,
        stamp_days=rng.randint(2, 30),
        stamp_board=rng.choice(("Länsstyrelsen Norrbotten", "Länsstyrelsen Västerbotten")),
        punch_holes=rng.random() < 0.2,
        flip_page=rng.randrange(pages) if flip else None,
        edge_shadow=rng.choice(("left", "right", "top", "bottom")) if rng.random() < 0.15 else None,
    )


def numpy_rng(index: int, seed: int, split: Split) -> np.random.Generator:
    return np.random.default_rng([seed, index, SPLIT_NAMES.index(split)])
