"""The signature verdict: measured features through a fitted, calibrated model.

The weights live in a data file shipped with the package (``ocr/data/signature_model.json``),
written by ``python -m tests.bench.fit_signature``: the feature names, how each is
transformed and scaled, the logistic regression's coefficients, the calibration map fitted
on a second split (Platt: a logistic curve over the model's log-odds) and the commit and
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

    def vector(self, values: dict[str, float]) -> np.ndarray:
        x = np.array([float(values.get(f, 0.0)) for f in self.features], dtype=np.float64)
        for i, f in enumerate(self.features):
            if f in self.log1p:
                x[i] = np.log1p(max(x[i], 0.0))
        return (x - self.mean) / self.scale

    def logit(self, values: dict[str, float]) -> float:
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
    return SignatureModel(
        features=features,
        log1p=frozenset(data.get("log1p", ())),
        mean=np.asarray(data["mean"], dtype=np.float64),
        scale=np.asarray(data["scale"], dtype=np.float64),
        coef=np.asarray(data["coef"], dtype=np.float64),
        intercept=float(data["intercept"]),
        platt=(float(cal["a"]), float(cal["b"])),
        threshold=float(data.get("threshold", 0.5)),
        name=str(data.get("name", "signature-model")),
        disagree_cap=float(data.get("disagree_cap", 0.75)),
    )


@lru_cache(maxsize=1)
def load_model() -> SignatureModel:
    """The shipped model (read once per process; immutable)."""
    text = resources.files("ocr").joinpath("data", MODEL_FILE).read_text(encoding="utf-8")
    return from_dict(json.loads(text))
