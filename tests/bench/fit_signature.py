"""Fit the signature model (ocr/data/signature_model.json) on generated forms.

    python -m tests.bench.fit_signature [--fit dev:101:120 --fit dev:102:120]
        [--calibrate validation:201:60] [--check stress:301:60] [--work /tmp/fit_signature]
        [--workers 2] [--c 1.0] [--model logistic|trees] [--write]

Each set is ``split:seed:count``, generated with the hard signing rows of
:mod:`samples.hazards` (signed across the label, small labels under the lines, stamps,
specks and typed names in unsigned signing rows). The engine reads every file
(``ocr.extract``) and each declaration's signature evidence (the measured features,
:mod:`ocr.signature_features`) is kept with the truth. A logistic regression
(scikit-learn), or with ``--model trees`` gradient-boosted trees (their size and rate
chosen from a small grid by the calibration set's Brier score), is fitted on the first
set, a Platt map on its log-odds on the second,
and the third, which nothing was fitted or tuned on, is reported: accuracy, Brier score,
reliability bins and silent errors (wrong at >= 0.9), side by side with the earlier
rule-based verdicts (recomputed exactly from the same features). ``--write`` writes the
model file. Files whose declarations the engine did not split as the truth did are
left out (counted).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np

from ocr.confidence import SURE
from ocr.signature_features import FEATURE_NAMES

LOG1P = (
    "ink_area",
    "span_w",
    "span_h",
    "n_comp",
    "big_area",
    "tall",
    "wide",
    "skel_len",
    "specks",
    "label_cross",
    "blanked",
    "rule_near",
    "free_run",
)
DISAGREE_CAP = 0.75  # set, not fitted: an absence the old rules contradict is never sure
# (trees, depth, learning rate) tried for --model trees; chosen on the calibration set
TREE_GRID = tuple((n, d, r) for d in (2, 3) for n in (100, 200, 400) for r in (0.05, 0.1))
MODEL_PATH = Path(__file__).resolve().parents[2] / "ocr" / "data" / "signature_model.json"


def _parse_set(text: str) -> tuple[str, int, int, bool]:
    """``split:seed:count``, or ``split:seed:count:plain`` for a set without hazards."""
    split, seed, count, *plain = text.split(":")
    return split, int(seed), int(count), plain != ["plain"]


def _read_one(pdf: str) -> list[dict[str, Any]]:
    import ocr

    truth = json.loads(Path(pdf).with_suffix(".json").read_text(encoding="utf-8"))
    try:
        result = ocr.extract(Path(pdf).read_bytes())
    except Exception as exc:  # a file the engine rejects: no signature evidence
        return [{"file": pdf, "error": repr(exc)}]
    want = truth["declarations"]
    if len(result.declarations) != len(want):
        return [{"file": pdf, "error": "split"}]
    rows = []
    for i, (got, t) in enumerate(zip(result.declarations, want, strict=True)):
        ev = dict(got.signature.evidence)
        rows.append(
            {
                "file": pdf,
                "decl": i,
                "present": bool(t["signature"]["present"]),
                "hazard": t.get("signature_hazard"),
                "layout": truth["variant"]["layout"],
                "evidence": ev,
            }
        )
    return rows


def gather(
    split: str, seed: int, count: int, hazards: bool, work: Path, workers: int
) -> list[dict[str, Any]]:
    """Evidence rows of one generated set (cached in ``work``)."""
    from samples.generate import generate_set

    cache = work / f"{split}-{seed}-{count}{'' if hazards else '-plain'}.jsonl"
    if cache.is_file():
        return [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
    out = work / f"{split}-{seed}{'' if hazards else '-plain'}"
    pdfs = generate_set(
        out, count=count, seed=seed, split=split, workers=workers, signing_hazards=hazards
    )
    with Pool(workers) as pool:
        rows = [r for rs in pool.imap(_read_one, [str(p) for p in pdfs]) for r in rs]
    cache.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return rows


def old_rule(ev: dict[str, float]) -> tuple[bool, float]:
    """The verdict and confidence the rule-based finder gave (before the model), from
    the same evidence: its thresholds and literal confidences, as they were."""
    if ev.get("src_block", 0.0) > 0:  # no label: unlabelled_signature, else no_label
        return (True, 0.85) if ev["rule_present"] > 0 else (False, 0.3)
    if ev["rule_present"] > 0:
        present = True
        conf = 0.99 if ev["ink_area"] >= 0.8 and ev["span_w"] >= 2.0 else 0.6
    elif ev["trail"] > 0:
        present, conf = True, 0.6
    else:
        present = False
        conf = 0.99 if ev["ink_area"] < 0.03 and ev["occupied"] == 0 else 0.6
    if ev.get("src_guessed", 0.0) > 0 and conf >= SURE:
        conf = 0.85
    return present, conf


def matrix(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> np.ndarray:
    x = np.array([[float(r["evidence"].get(f, 0.0)) for f in names] for r in rows], np.float64)
    for i, f in enumerate(names):
        if f in LOG1P:
            x[:, i] = np.log1p(np.maximum(x[:, i], 0.0))
    return x


def _usable(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if "error" not in r and r["evidence"]]


def fit(fit_rows: list[dict[str, Any]], cal_rows: list[dict[str, Any]], c: float) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    names = list(FEATURE_NAMES)
    x = matrix(fit_rows, names)
    y = np.array([r["present"] for r in fit_rows], int)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    lr = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    lr.fit((x - mean) / scale, y)
    coef, intercept = lr.coef_[0], float(lr.intercept_[0])
    # Platt on the calibration set: a logistic curve over the log-odds
    xc = (matrix(cal_rows, names) - mean) / scale
    z = xc @ coef + intercept
    yc = np.array([r["present"] for r in cal_rows], int)
    platt = LogisticRegression(C=1e4, max_iter=5000).fit(z.reshape(-1, 1), yc)
    return {
        "features": names,
        "log1p": [f for f in names if f in LOG1P],
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "coef": [round(float(v), 6) for v in coef],
        "intercept": round(intercept, 6),
        **_calibrated(platt),
    }


def _calibrated(platt: Any) -> dict[str, Any]:
    """The model file's calibration (a Platt map fitted over the scorer's log-odds),
    verdict threshold and cap."""
    return {
        "calibration": {
            "kind": "platt",
            "a": round(float(platt.coef_[0][0]), 6),
            "b": round(float(platt.intercept_[0]), 6),
        },
        "threshold": 0.5,
        "disagree_cap": DISAGREE_CAP,
    }


def fit_trees(
    fit_rows: list[dict[str, Any]],
    cal_rows: list[dict[str, Any]],
    grid: Sequence[tuple[int, int, float]] = TREE_GRID,
) -> dict[str, Any]:
    """Gradient-boosted trees (scikit-learn, the classes weighted to balance) on the
    fit set, one of ``grid`` (trees, depth, rate) chosen by the calibration set's Brier
    score after its Platt map: the check sets play no part. Written out node by node
    for :class:`ocr.signature_model.Trees` (checked to give scikit-learn's log-odds)."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    from ocr.signature_model import from_dict

    names = list(FEATURE_NAMES)
    x, xc = matrix(fit_rows, names), matrix(cal_rows, names)
    y = np.array([r["present"] for r in fit_rows], int)
    yc = np.array([r["present"] for r in cal_rows], int)
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    best: tuple[float, dict[str, Any]] | None = None
    for n, depth, rate in grid:
        clf = GradientBoostingClassifier(
            n_estimators=n, max_depth=depth, learning_rate=rate, subsample=0.8, random_state=0
        ).fit(x, y, sample_weight=weight)
        zc = clf.decision_function(xc)
        platt = LogisticRegression(C=1e4, max_iter=5000).fit(zc.reshape(-1, 1), yc)
        model = _trees_dict(clf, names, platt, x)
        m = from_dict(model)
        got = np.array([m.logit(r["evidence"]) for r in cal_rows])
        if not np.allclose(got, zc, atol=1e-6):
            raise RuntimeError("the written trees do not give scikit-learn's log-odds")
        rep = report("trees", cal_rows, _verdicts(model, cal_rows))
        model["grid_choice"] = {
            "trees": n,
            "depth": depth,
            "rate": rate,
            "calibration_brier": round(rep["brier"], 5),
        }
        print(
            f"  trees n={n} depth={depth} rate={rate}: calibration Brier {rep['brier']:.4f}, "
            f"accuracy {rep['accuracy']:.2%}",
            file=sys.stderr,
        )
        if best is None or rep["brier"] < best[0]:
            best = (rep["brier"], model)
    assert best is not None
    return best[1]


def _trees_dict(clf: Any, names: list[str], platt: Any, x: np.ndarray) -> dict[str, Any]:
    roots, feature, threshold, left, right, value = [], [], [], [], [], []
    for est in clf.estimators_[:, 0]:
        t = est.tree_
        base = len(feature)
        roots.append(base)
        leaf = t.children_left < 0
        feature += [-1 if lf else int(f) for f, lf in zip(t.feature, leaf, strict=True)]
        threshold += [0.0 if lf else float(v) for v, lf in zip(t.threshold, leaf, strict=True)]
        left += [-1 if lf else base + int(c) for c, lf in zip(t.children_left, leaf, strict=True)]
        right += [-1 if lf else base + int(c) for c, lf in zip(t.children_right, leaf, strict=True)]
        value += [float(v) for v in t.value[:, 0, 0]]
    rate = float(clf.learning_rate)
    one = x[:1]
    leaves = sum(float(e.predict(one)[0]) for e in clf.estimators_[:, 0])
    init = float(clf.decision_function(one)[0]) - rate * leaves
    return {
        "kind": "trees",
        "features": names,
        "log1p": [f for f in names if f in LOG1P],
        "trees": {
            "roots": roots,
            "feature": feature,
            "threshold": threshold,
            "left": left,
            "right": right,
            "value": [round(v, 9) for v in value],
            "init": init,
            "rate": rate,
        },
        **_calibrated(platt),
    }


def _verdicts(model: dict[str, Any], rows: Sequence[dict[str, Any]]) -> list[tuple[bool, float]]:
    from ocr.signature_model import from_dict

    m = from_dict(model)
    out = []
    for r in rows:
        present, conf, _ = m.decide(r["evidence"])
        out.append((present, conf))
    return out


def report(
    name: str, rows: Sequence[dict[str, Any]], verdicts: Sequence[tuple[bool, float]]
) -> dict[str, Any]:
    truth = [r["present"] for r in rows]
    right = [v[0] == t for v, t in zip(verdicts, truth, strict=True)]
    p_signed = [c if v else 1 - c for v, c in verdicts]
    brier = float(np.mean([(p - t) ** 2 for p, t in zip(p_signed, truth, strict=True)]))
    silent = [
        (r["file"], r["decl"], r["hazard"], round(c, 3))
        for r, (v, c), ok in zip(rows, verdicts, right, strict=True)
        if not ok and c >= SURE
    ]
    wrong = [
        (Path(r["file"]).name, r["decl"], r["hazard"], r["layout"], v, round(c, 3))
        for r, (v, c), ok in zip(rows, verdicts, right, strict=True)
        if not ok
    ]
    bins = []
    edges = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001)
    for lo, hi in zip(edges, edges[1:], strict=False):
        sel = [ok for (_, c), ok in zip(verdicts, right, strict=True) if lo <= c < hi]
        if sel:
            bins.append((lo, min(hi, 1.0), len(sel), sum(sel) / len(sel)))
    sure = sum(c >= SURE for _, c in verdicts)
    return {
        "name": name,
        "n": len(rows),
        "accuracy": sum(right) / max(1, len(rows)),
        "brier": brier,
        "sure_share": sure / max(1, len(rows)),
        "silent": silent,
        "wrong": wrong,
        "bins": bins,
    }


def _print(rep: dict[str, Any]) -> None:
    print(
        f"  {rep['name']:<7} n={rep['n']}  accuracy {rep['accuracy']:.2%}  Brier {rep['brier']:.4f}"
        f"  sure {rep['sure_share']:.1%}  silent (wrong, conf >= 0.9) {len(rep['silent'])}"
    )
    for lo, hi, n, acc in rep["bins"]:
        print(f"      conf [{lo:.2f}, {hi:.2f}): {n:4d} verdicts, {acc:.1%} right")
    for w in rep["wrong"]:
        print(f"      wrong: {w}")


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.fit_signature", description=__doc__)
    ap.add_argument("--fit", type=_parse_set, action="append", help="repeatable")
    ap.add_argument("--calibrate", type=_parse_set, action="append", help="repeatable")
    ap.add_argument("--check", type=_parse_set, action="append", help="repeatable")
    ap.add_argument("--work", default=Path("/tmp/fit_signature"), type=Path)
    ap.add_argument("--workers", default=2, type=int)
    ap.add_argument("--c", default=1.0, type=float, help="inverse regularisation strength")
    ap.add_argument("--write", action="store_true", help="write ocr/data/signature_model.json")
    ap.add_argument(
        "--model",
        choices=("logistic", "trees"),
        default="logistic",
        help="the scorer: a logistic regression, or gradient-boosted trees (grid on calibration)",
    )
    args = ap.parse_args(argv)
    checks = args.check or [_parse_set("stress:301:60")]
    fits = args.fit or [_parse_set("dev:101:120"), _parse_set("dev:102:120")]
    args.work.mkdir(parents=True, exist_ok=True)
    cals = args.calibrate or [_parse_set("validation:201:60")]
    sets = {"fit": fits, "calibrate": cals, "check": checks}
    data: dict[str, list[dict[str, Any]]] = {}
    for role, specs in sets.items():
        rows: list[dict[str, Any]] = []
        for split, seed, count, hazards in specs:
            got = gather(split, seed, count, hazards, args.work, args.workers)
            bad = sum("error" in r for r in got)
            print(
                f"{role}: {split} seed {seed}, {count} files: {len(got) - bad} signatures, "
                f"{bad} files left out",
                file=sys.stderr,
            )
            rows += _usable(got)
        data[role] = rows
    if args.model == "trees":
        model = fit_trees(data["fit"], data["calibrate"])
    else:
        model = fit(data["fit"], data["calibrate"], args.c)
    model["name"] = (
        f"{args.model}+platt@{_commit()} fit {' '.join(':'.join(map(str, s)) for s in fits)} "
        f"calibrated {' '.join(':'.join(map(str, s)) for s in cals)}"
    )
    model["fitted"] = {
        "commit": _commit(),
        "fit": " ".join(":".join(map(str, s)) for s in fits),
        "calibrate": " ".join(":".join(map(str, s)) for s in cals),
        "check": [":".join(map(str, s)) for s in checks],
        "signing_hazards": True,
        "n_fit": len(data["fit"]),
        "n_calibrate": len(data["calibrate"]),
        "C": args.c,
    }
    results = {}
    for role in ("fit", "calibrate", "check"):
        rows = data[role]
        new = report("model", rows, _verdicts(model, rows))
        old = report("rules", rows, [old_rule(r["evidence"]) for r in rows])
        results[role] = {"model": new, "rules": old}
        note = " — never fitted or tuned on" if role == "check" else ""
        print(f"{role} ({len(rows)} signatures){note}:")
        _print(old)
        _print(new)
    model["check"] = {
        k: {
            kk: (len(vv) if isinstance(vv, list) else round(vv, 4))
            for kk, vv in v.items()
            if kk in ("n", "accuracy", "brier", "sure_share", "silent")
        }
        for k, v in results["check"].items()
    }
    if args.write:
        MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
        tmp = MODEL_PATH.with_suffix(".tmp")
        tmp.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        tmp.replace(MODEL_PATH)
        print(f"wrote {MODEL_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
