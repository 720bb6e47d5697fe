"""The sample generator: deterministic, truth consistent with the files, splits complete."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pypdf
import pytest

from ocr.model import FIELD_NAMES
from samples.generate import generate_set
from samples.layouts import FAMILIES
from samples.plan import DOC_KINDS
from samples.scanner import COLOURS
from samples.split import HELDOUT_LABELS, SPLITS
from samples.values import luhn_valid

FAST_DPI = 72
_FILTER = {
    "colour-jpeg": "/DCTDecode",
    "grey-jpeg": "/DCTDecode",
    "bw-g4": "/CCITTFaxDecode",
    "bw-flate": "/FlateDecode",
}


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    root = tmp_path_factory.mktemp("samples")
    return {
        # seed 5: its 16 samples hold every document kind (kinds are drawn, not cycled)
        split: generate_set(root / split, count=16, seed=5, split=split, workers=2, dpi=FAST_DPI)
        for split in ("dev", "heldout")
    }


def _truth(pdf: Path) -> dict:
    return json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    a = generate_set(tmp_path / "a", count=3, seed=11, split="dev", workers=1, dpi=FAST_DPI)
    b = generate_set(tmp_path / "b", count=3, seed=11, split="dev", workers=1, dpi=FAST_DPI)
    c = generate_set(tmp_path / "c", count=3, seed=12, split="dev", workers=1, dpi=FAST_DPI)
    pooled = generate_set(tmp_path / "p", count=3, seed=11, split="dev", workers=2, dpi=FAST_DPI)
    assert [p.read_bytes() for p in pooled] == [p.read_bytes() for p in a]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
        assert pa.with_suffix(".json").read_bytes() == pb.with_suffix(".json").read_bytes()
    assert [p.read_bytes() for p in a] != [p.read_bytes() for p in c]


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_truth_is_consistent(sets: dict[str, list[Path]], split: str) -> None:
    for pdf in sets[split]:
        truth = _truth(pdf)
        assert truth["file"] == pdf.name and truth["split"] == split
        reader = pypdf.PdfReader(io.BytesIO(pdf.read_bytes()))
        assert len(reader.pages) == truth["pages"]
        for decl in truth["declarations"]:
            fields = decl["fields"]
            assert tuple(fields) == FIELD_NAMES
            number = fields["organisation_number"]
            assert number is None or (luhn_valid(number) and number[6] == "-")
            if "organisation_number_printed" in decl:
                assert number is None and not luhn_valid(decl["organisation_number_printed"])
            assert fields["county"] in (None, "Norrbotten", "Västerbotten")
            dt.date.fromisoformat(fields["signed_date"])
            assert all(1 <= p <= truth["pages"] for p in decl["pages"])
            sig = decl["signature"]
            assert sig["page"] in decl["pages"]
            assert (sig["bbox"] is not None) == sig["present"]
            boxes = [sig["bbox"]] + [b["bbox"] for b in decl["value_boxes"].values()]
            for box in filter(None, boxes):
                x0, y0, x1, y1 = box
                assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1, box
            boxed = decl["value_boxes"]
            assert "signed_date" in boxed
            assert (fields["place"] is None) == ("place" not in boxed)
            for name in ("organisation", "signatory_name", "signatory_title", "email"):
                assert (fields[name] is None) == (name not in boxed), name


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_pdf_pages_are_scans_as_declared(sets: dict[str, list[Path]], split: str) -> None:
    for pdf in sets[split]:
        variant = _truth(pdf)["variant"]
        reader = pypdf.PdfReader(io.BytesIO(pdf.read_bytes()))
        for page, rotation in zip(reader.pages, variant["page_rotations"], strict=True):
            images = page["/Resources"]["/XObject"]
            assert len(images) == 1
            image = next(iter(images.values())).get_object()
            filters = image["/Filter"]
            filters = list(filters) if isinstance(filters, list) else [filters]
            assert filters == [_FILTER[variant["colour"]]]
            width, height = image["/Width"], image["/Height"]
            assert (width > height) == (rotation in (90, 270))
            expected = (360 - rotation) % 360 if variant["pdf_rotate"] else 0
            assert page.get("/Rotate", 0) == expected


def test_every_family_kind_and_scanner_mode_in_both_splits(sets: dict[str, list[Path]]) -> None:
    for paths in sets.values():
        variants = [_truth(p)["variant"] for p in paths]
        assert {v["layout"] for v in variants} == set(FAMILIES)
        assert {v["document"] for v in variants} == set(DOC_KINDS)
        assert {v["colour"] for v in variants} == set(COLOURS)
        truths = [_truth(p) for p in paths]
        signed = [d["signature"]["present"] for t in truths for d in t["declarations"]]
        assert True in signed and False in signed


def test_heldout_uses_fonts_and_labels_never_seen_in_dev(sets: dict[str, list[Path]]) -> None:
    dev, held = SPLITS["dev"], SPLITS["heldout"]
    dev_files = {f.regular for f in dev.text_fonts} | set(dev.hand_fonts) | set(dev.signature_fonts)
    held_files = {f.regular for f in held.text_fonts} | set(held.hand_fonts)
    assert not dev_files & (held_files | set(held.signature_fonts))
    dev_labels = {lab for p in sets["dev"] for lab in _truth(p)["variant"]["labels"]}
    held_labels = {lab for p in sets["heldout"] for lab in _truth(p)["variant"]["labels"]}
    assert not dev_labels & HELDOUT_LABELS
    assert held_labels & HELDOUT_LABELS
    assert {_truth(p)["variant"]["font"] for p in sets["heldout"]}.isdisjoint(
        {f.name for f in dev.text_fonts}
    )


def test_batches_hold_several_declarations_and_cover_letters_none(
    sets: dict[str, list[Path]],
) -> None:
    for pdf in sets["dev"] + sets["heldout"]:
        truth = _truth(pdf)
        kind = truth["variant"]["document"]
        decls = truth["declarations"]
        if kind == "batch":
            assert 2 <= len(decls) <= 4
            pages = [p for d in decls for p in d["pages"]]
            assert pages == sorted(set(pages))
        else:
            assert len(decls) == 1
        if kind == "cover_letter":
            assert decls[0]["pages"][0] == 2
        if kind == "two_page":
            assert decls[0]["pages"] == [1, 2] and decls[0]["signature"]["page"] == 2


def test_cli_writes_samples_and_truth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from samples.generate import main

    main(
        [
            "--out",
            str(tmp_path),
            "--count",
            "2",
            "--seed",
            "3",
            "--split",
            "heldout",
            "--dpi",
            str(FAST_DPI),
            "--workers",
            "1",
        ]
    )
    assert "wrote 2 samples" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "0000.json",
        "0000.pdf",
        "0001.json",
        "0001.pdf",
    ]
    assert _truth(tmp_path / "0001.pdf")["split"] == "heldout"


def test_signature_styles_cover_script_fonts_of_the_split(sets: dict[str, list[Path]]) -> None:
    for split, paths in sets.items():
        fonts = {Path(f).stem for f in SPLITS[split].signature_fonts}
        styles = {
            d["signature_style"]["style"]
            for p in paths
            for d in _truth(p)["declarations"]
            if d["signature"]["present"]
        }
        assert styles and styles <= fonts | {"scribble"}


def test_dev_and_validation_hand_print_in_handwriting_fonts_of_their_own() -> None:
    """Hand-printed values are not all Comic Neue: each split has handwriting fonts
    (different families per split), and the held-out split's are none of them."""
    dev, val, held = (set(SPLITS[s].hand_fonts) for s in ("dev", "validation", "heldout"))
    family = {p: Path(p).stem.split("-")[0] for p in dev | val | held}
    for fonts in (dev, val):
        assert {family[p] for p in fonts} - {"ComicNeue"}
    assert not {family[p] for p in dev} & {family[p] for p in val} - {"ComicNeue"}
    assert not (dev | val) & held


def test_the_stress_split_signs_and_hand_prints_in_hands_no_other_split_uses() -> None:
    others = {
        f
        for s in ("dev", "validation", "heldout")
        for f in (*SPLITS[s].hand_fonts, *SPLITS[s].signature_fonts)
    }
    stress = SPLITS["stress"]
    assert stress.signature_fonts and stress.hand_fonts
    assert not (set(stress.signature_fonts) | set(stress.hand_fonts)) & others
    assert stress.text_fonts == SPLITS["validation"].text_fonts
