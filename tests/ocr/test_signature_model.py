"""The signature verdict's parts: the measured features and the shipped, fitted model."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr.layout import Box
from ocr.model import SignatureFinding
from ocr.signature_features import (
    FEATURE_NAMES,
    Context,
    crossing_px,
    kept_pieces,
    measure,
    rule_rows,
)
from ocr.signature_model import from_dict, load_model

TH = 40.0  # text height in pixels (300 dpi)


def _mask(draw_fn) -> np.ndarray:
    img = Image.new("L", (1200, 300), 0)
    draw_fn(ImageDraw.Draw(img))
    return np.asarray(img) > 0


def _ctx(**kw) -> Context:
    args = dict(label=None, rules_y=(), occupied=False, source="label")
    args.update(kw)
    return Context(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize("pen", [4, 8, 14])
def test_stroke_width_is_the_pens_width_in_text_heights(pen: int) -> None:
    mask = _mask(lambda d: d.line((100, 150, 900, 120), fill=255, width=pen))
    got = measure(mask, TH, _ctx()).values["stroke_w"]
    assert got == pytest.approx(pen / TH, rel=0.35)


def test_extent_and_pieces_are_measured_in_text_heights() -> None:
    def draw(d: ImageDraw.ImageDraw) -> None:
        d.line((100, 100, 500, 100), fill=255, width=6)  # 10 text heights long
        d.ellipse((600, 80, 680, 200), outline=255, width=5)  # 2 wide, 3 high

    v = measure(_mask(draw), TH, _ctx()).values
    assert v["n_comp"] == 2
    assert v["span_w"] == pytest.approx(580 / TH, abs=0.3)
    assert v["tall"] == pytest.approx(121 / TH, abs=0.2)
    assert v["wide"] == pytest.approx(401 / TH, abs=0.3)


def test_speckle_is_dropped_and_counted() -> None:
    def draw(d: ImageDraw.ImageDraw) -> None:
        for i in range(10):
            d.rectangle((100 + 60 * i, 100, 101 + 60 * i, 101), fill=255)  # 4 px specks

    mask = _mask(draw)
    kept, stats, dropped = kept_pieces(mask, TH)
    assert not kept.any() and len(stats) == 0 and dropped == 10
    v = measure(mask, TH, _ctx()).values
    assert v["ink_area"] == 0 and v["specks"] > 0


def test_a_stroke_running_out_of_the_label_box_crosses_it() -> None:
    label = Box(200, 120, 500, 160)

    def letters(d: ImageDraw.ImageDraw) -> None:
        for x in range(210, 490, 30):  # the label's own letters, inside its box
            d.rectangle((x, 125, x + 15, 155), fill=255)

    own = _mask(letters)
    assert crossing_px(own, label, 4) == 0

    def signed(d: ImageDraw.ImageDraw) -> None:
        letters(d)
        d.line((250, 60, 450, 220), fill=255, width=4)  # a stroke through the label

    assert crossing_px(_mask(signed), label, 4) > 0


def test_rule_rows_are_the_middles_of_long_runs() -> None:
    rules = np.zeros((200, 1000), np.uint8)
    rules[100:104, 50:950] = 255
    rules[150:152, 0:100] = 255  # too short to be a rule across the region
    assert rule_rows(rules) == (101,)


def test_ink_above_the_rule_is_measured_from_it() -> None:
    mask = _mask(lambda d: d.line((100, 100, 700, 140), fill=255, width=6))
    v = measure(mask, TH, _ctx(rules_y=(200,))).values
    assert v["has_rule"] == 1 and v["above_rule"] == 1.0
    assert v["rule_dy"] == pytest.approx((120 - 200) / TH, abs=0.2)


def test_the_shipped_model_reads_and_names_what_it_was_fitted_on() -> None:
    text = resources.files("ocr").joinpath("data", "signature_model.json").read_text("utf-8")
    data = json.loads(text)
    model = load_model()
    assert set(model.features) <= set(FEATURE_NAMES)
    if model.trees is None:
        assert len(model.coef) == len(model.mean) == len(model.scale) == len(model.features)
    else:
        assert len(model.trees.roots) >= 10 and (model.trees.feature < len(model.features)).all()
    fitted = data["fitted"]
    # fitted, calibrated and checked on three different sets
    assert len({fitted["fit"], fitted["calibrate"], *fitted["check"]}) == 2 + len(fitted["check"])


def test_confidence_is_the_probability_of_the_verdict_given() -> None:
    model = load_model()
    rng = np.random.default_rng(5)
    for _ in range(50):
        values = {f: float(rng.uniform(0, 3)) for f in FEATURE_NAMES}
        present, conf, p = model.decide(values)
        assert present is (p >= model.threshold)
        contradicted = values["rule_present"] > 0 or values["trail"] > 0
        if present or not contradicted:
            assert conf == pytest.approx(p if present else 1 - p)
        else:
            assert conf <= model.disagree_cap < 0.9


def _stumps(**trees: object) -> dict[str, object]:
    """A trees model of two stumps: ink_area <= 0.5 scores -1 else +2; span_w <= 1 scores
    0 else +1 (log-odds init 0.25, rate 0.5)."""
    t = {
        "roots": [0, 3],
        "feature": [0, -1, -1, 1, -1, -1],
        "threshold": [0.5, 0, 0, 1.0, 0, 0],
        "left": [1, -1, -1, 4, -1, -1],
        "right": [2, -1, -1, 5, -1, -1],
        "value": [0, -1.0, 2.0, 0, 0.0, 1.0],
        "init": 0.25,
        "rate": 0.5,
    }
    t.update(trees)
    return {
        "kind": "trees",
        "features": ["ink_area", "span_w"],
        "trees": t,
        "calibration": {"kind": "platt", "a": 1, "b": 0},
    }


def test_a_trees_model_scores_by_walking_each_tree_to_its_leaf() -> None:
    model = from_dict(_stumps())
    assert model.logit({"ink_area": 0.2, "span_w": 0.5}) == pytest.approx(0.25 - 0.5)
    assert model.logit({"ink_area": 0.9, "span_w": 3.0}) == pytest.approx(0.25 + 1.5)
    present, conf, p = model.decide({"ink_area": 0.9, "span_w": 3.0})
    assert present and conf == pytest.approx(p) == pytest.approx(1 / (1 + np.exp(-1.75)))
    assert not model.decide({"ink_area": 0.2, "span_w": 0.5})[0]


@pytest.mark.parametrize(
    "broken",
    [
        {"left": [0, -1, -1, 4, -1, -1]},  # a node pointing back at itself: never a leaf
        {"right": [9, -1, -1, 5, -1, -1]},  # beyond the nodes
        {"feature": [7, -1, -1, 1, -1, -1]},  # a feature the model does not have
        {"value": [0, 1.0]},  # arrays of different lengths
    ],
)
def test_a_malformed_trees_file_is_refused(broken: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="trees"):
        from_dict(_stumps(**broken))


def test_an_unknown_feature_in_the_model_file_is_refused() -> None:
    data = {
        "features": ["ink_area", "no_such_feature"],
        "mean": [0, 0],
        "scale": [1, 1],
        "coef": [1, 1],
        "intercept": 0,
        "calibration": {"kind": "platt", "a": 1, "b": 0},
    }
    with pytest.raises(ValueError, match="no_such_feature"):
        from_dict(data)


def test_the_evidence_goes_into_the_json_only_where_there_is_some() -> None:
    plain = SignatureFinding(present=True, confidence=0.95, page=1)
    assert "evidence" not in plain.to_dict()
    told = SignatureFinding(True, 0.95, 1, None, (("p_signed", 0.951234), ("ink_area", 3.0)))
    assert told.to_dict()["evidence"] == {"p_signed": 0.9512, "ink_area": 3.0}
