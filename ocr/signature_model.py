"""The signature verdict: measured features through a fitted, calibrated model.

The weights live in a data file shipped with the package (``ocr/data/signature_model.json``),
written by ``python -m tests.bench.fit_signature``: the feature names, how each is
transformed and scaled, the scorer (a logistic regression's coefficients, or
gradient-boosted regression trees: ``"kind": "trees"``), the calibration map fitted on a
second split (Platt: a logistic curve over the scorer's log-odds) and the commit and
splits it was fitted, calibrated and checked on. Only numpy is needed to apply it.

``predict`` gives the calibrated probability that the region holds a signature; the
verdict is present when it reaches the file's ``threshold``, and its confidence is the
probability of the verdict given (``p`` or ``1 - p``); an absence that the earlier rules'
evidence contradicts is never sure (at most ``disagree_cap``, from the file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ocr.signature_features import FEATURE_NAMES

MODEL_FILE = "signature_model.json"


@dataclass(frozen=True, slots=True)
class Trees:
    """Gradient-boosted regression trees (scikit-learn's, written out): the log-odds are
    ``init + rate * sum(tree leaves reached)``. Every tree's nodes are in one array each:
    ``feature`` (-1 at a leaf), ``threshold`` (go left where the value is <= it),
    ``left``/``right`` (node indices), ``value`` (a leaf's output); ``roots`` the index
    of each tree's first node."""

    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    init: float
    rate: float

    def score(self, x: np.ndarray) -> float:
        x = x.astype(np.float32).astype(np.float64)  # as scikit-learn compares: in float32
        total = 0.0
        for root in self.roots:
            node = int(root)
            while self.feature[node] >= 0:
                go_left = x[self.feature[node]] <= self.threshold[node]
                node = int(self.left[node] if go_left else self.right[node])
            total += float(self.value[node])
        return self.init + self.rate * total


@dataclass(frozen=True, slots=True)
class SignatureModel:
    features: tuple[str, ...]
    log1p: frozenset[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    platt: tuple[float, float]  # (a, b): p = 1 / (1 + exp(-(a * logit + b)))
    threshold: float
    name: str  # what the file says it is (commit, splits): shown with the evidence
    # an absence the earlier rules' evidence contradicts (their verdict, or a trail of
    # specks) is never sure: its confidence is at most this
    disagree_cap: float = 0.75
    trees: Trees | None = None  # the scorer where the file has trees (coef then unused)

    def raw(self, values: dict[str, float]) -> np.ndarray:
        x = np.array([float(values.get(f, 0.0)) for f in self.features], dtype=np.float64)
        for i, f in enumerate(self.features):
            if f in self.log1p:
                x[i] = np.log1p(max(x[i], 0.0))
        return x

    def vector(self, values: dict[str, float]) -> np.ndarray:
        return (self.raw(values) - self.mean) / self.scale

    def logit(self, values: dict[str, float]) -> float:
        """The scorer's log-odds, before calibration."""
        if self.trees is not None:
            return self.trees.score(self.raw(values))
        return float(self.vector(values) @ self.coef + self.intercept)

    def predict(self, values: dict[str, float]) -> float:
        """Calibrated probability that the region is signed."""
        a, b = self.platt
        z = a * self.logit(values) + b
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0))))

    def decide(self, values: dict[str, float]) -> tuple[bool, float, float]:
        """(present, confidence of that verdict, calibrated probability of a signature)."""
        p = self.predict(values)
        present = p >= self.threshold
        conf = p if present else 1.0 - p
        if not present and (values.get("rule_present", 0.0) > 0 or values.get("trail", 0.0) > 0):
            conf = min(conf, self.disagree_cap)
        return present, conf, p


def from_dict(data: dict[str, Any]) -> SignatureModel:
    features = tuple(data["features"])
    unknown = set(features) - set(FEATURE_NAMES)
    if unknown:
        raise ValueError(f"signature model uses unknown features: {sorted(unknown)}")
    cal = data["calibration"]
    if cal.get("kind") != "platt":
        raise ValueError(f"unknown calibration {cal.get('kind')!r}")
    kind = data.get("kind", "logistic")
    if kind not in ("logistic", "trees"):
        raise ValueError(f"unknown signature model kind {kind!r}")
    n = len(features)
    trees = _trees(data["trees"], n) if kind == "trees" else None
    return SignatureModel(
        features=features,
        log1p=frozenset(data.get("log1p", ())),
        mean=np.asarray(data.get("mean", [0.0] * n), dtype=np.float64),
        scale=np.asarray(data.get("scale", [1.0] * n), dtype=np.float64),
        coef=np.asarray(data.get("coef", [0.0] * n), dtype=np.float64),
        intercept=float(data.get("intercept", 0.0)),
        platt=(float(cal["a"]), float(cal["b"])),
        threshold=float(data.get("threshold", 0.5)),
        name=str(data.get("name", "signature-model")),
        disagree_cap=float(data.get("disagree_cap", 0.75)),
        trees=trees,
    )


def _trees(data: dict[str, Any], n_features: int) -> Trees:
    t = Trees(
        roots=np.asarray(data["roots"], dtype=np.int64),
        feature=np.asarray(data["feature"], dtype=np.int64),
        threshold=np.asarray(data["threshold"], dtype=np.float64),
        left=np.asarray(data["left"], dtype=np.int64),
        right=np.asarray(data["right"], dtype=np.int64),
        value=np.asarray(data["value"], dtype=np.float64),
        init=float(data["init"]),
        rate=float(data["rate"]),
    )
    size = len(t.feature)
    if not (len(t.threshold) == len(t.left) == len(t.right) == len(t.value) == size):
        raise ValueError("signature model trees: node arrays of different lengths")
    inner = t.feature >= 0
    if (t.feature >= n_features).any() or ((t.left[inner] <= np.flatnonzero(inner)).any()):
        raise ValueError("signature model trees: a node points outside its tree")
    if ((t.right[inner] >= size) | (t.left[inner] >= size)).any() or (t.roots >= size).any():
        raise ValueError("signature model trees: a node index beyond the nodes")
    return t


@lru_cache(maxsize=1)
def load_model() -> SignatureModel:
    """The shipped model (read once per process; immutable)."""
    text = resources.files("ocr").joinpath("data", MODEL_FILE).read_text(encoding="utf-8")
    return from_dict(json.loads(text))
