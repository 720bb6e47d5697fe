"""Form profiles are data: the package's TOML files load, bad ones say what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr.block import Label, Strip, identify, identify_by_labels
from ocr.errors import InvalidInput
from ocr.layout import Box
from ocr.model import FIELD_NAMES
from ocr.profile import LABEL_FIELDS, PLACE_DATE, FormProfile, load_profiles, profile_from_toml
from ocr.tesseract import Word

MINIMAL = """
slug = "test-form"
title = "Ett test"
identify = ["Testdeklarationen"]
[fields.organisation]
labels = ["Organisation"]
[fields.place_date]
labels = ["Ort och datum"]
[signature]
labels = ["Underskrift"]
"""


def test_package_profiles_load() -> None:
    profiles = load_profiles()
    slugs = [p.slug for p in profiles]
    assert slugs == sorted(slugs)
    assert {"jamstalld-industri", "cemr-charter"} <= set(slugs)
    industri = next(p for p in profiles if p.slug == "jamstalld-industri")
    assert industri.follow_up_years == 2
    assert "Org.nr" in industri.labels_for("organisation_number")
    assert "Ort och datum" in industri.labels_for(PLACE_DATE)
    assert "Underskrift" in industri.signature_labels
    assert "jämställd industri" in industri.identify
    assert ("signature", "Underskrift") in industri.all_labels


def test_every_result_field_has_a_label_group() -> None:
    covered = {f for fields in LABEL_FIELDS.values() for f in fields}
    assert covered == set(FIELD_NAMES)
    assert LABEL_FIELDS[PLACE_DATE] == ("place", "signed_date")
    for profile in load_profiles():
        assert set(profile.labels) == set(LABEL_FIELDS)


def test_profile_from_toml_minimal() -> None:
    profile = profile_from_toml(MINIMAL)
    assert isinstance(profile, FormProfile)
    assert profile.slug == "test-form"
    assert profile.identify == ("testdeklarationen",)  # matched case-insensitively
    assert profile.follow_up_years == 2
    assert profile.labels_for("email") == ()


def test_profiles_from_a_directory(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "b.toml").write_text(MINIMAL.replace("test-form", "other"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a profile", encoding="utf-8")
    assert [p.slug for p in load_profiles(tmp_path)] == ["other", "test-form"]


def test_duplicate_slugs_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "b.toml").write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(InvalidInput, match="share a slug"):
        load_profiles(tmp_path)


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("slug = ", "not valid TOML"),
        (MINIMAL.replace('slug = "test-form"', ""), "'slug'"),
        (MINIMAL.replace('title = "Ett test"', ""), "'title'"),
        (MINIMAL.replace("fields.organisation", "fields.organisationen"), "unknown field"),
        (MINIMAL.replace('labels = ["Organisation"]', "labels = []"), "[organisation]"),
        (MINIMAL.replace('labels = ["Underskrift"]', 'labels = [""]'), "[signature]"),
    ],
)
def test_bad_profile_says_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(InvalidInput) as err:
        profile_from_toml(text)
    assert complaint in str(err.value)


def _strip(*words: str) -> Strip:
    ws = tuple(Word(t, 100 * i, 0, 100 * i + 90, 40, 95.0, 0) for i, t in enumerate(words))
    return Strip(Box(0, 0, 100 * len(words), 40), ws)


@pytest.mark.parametrize(
    ("runs", "slug"),
    [
        # a title in wide letters falls apart into runs of one word each
        ((("Avsiktsförklaring",), ("Jämställd",), ("industri",)), "jamstalld-industri"),
        ((("CEMR-deklarationen", "för", "jämställdhet"),), "cemr-charter"),
        ((("Organisation",), ("Län",), ("Befattning",)), None),  # labels only: say so
    ],
)
def test_identify_joins_runs(runs: tuple[tuple[str, ...], ...], slug: str | None) -> None:
    assert identify([_strip(*r) for r in runs], load_profiles()) == slug


def _labelled(*pairs: tuple[str, str]) -> list[Label]:
    box = Box(0, 0, 100, 40)
    return [Label(key, box, box, 1.0, False, variant) for key, variant in pairs]


def test_identify_by_labels_worded_as_one_form_only() -> None:
    profiles = load_profiles()
    cemr = _labelled(("organisation", "Kommun/region"), ("county", "Län"))
    assert identify_by_labels(cemr, profiles) == "cemr-charter"
    industry = _labelled(("organisation", "Företag/organisation"), ("signature", "Signatur"))
    assert identify_by_labels(industry, profiles) == "jamstalld-industri"
    # worded as both forms word them (a colon or a space apart): no evidence
    shared = _labelled(("signatory_name", "Namn förtydligande"), ("email", "E-post"))
    assert identify_by_labels(shared, profiles) is None
    assert identify_by_labels(cemr + industry, profiles) is None  # evidence both ways
