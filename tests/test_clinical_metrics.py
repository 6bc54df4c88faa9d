"""Clinical binary metrics: agreement with scikit-learn, Youden threshold, bootstrap CIs, plotting."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from aihub_bench.metrics.clinical import (
    _rank_auc,
    aggregate_by_group,
    binary_report,
    bootstrap_ci,
    operating_point,
    plot_roc,
    summarize_folds,
    youden_threshold,
)

REPORT_KEYS = {
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "sensitivity",
    "sensitivity_ci_low",
    "sensitivity_ci_high",
    "specificity",
    "specificity_ci_low",
    "specificity_ci_high",
    "ppv",
    "npv",
    "accuracy",
    "threshold",
    "n_pos",
    "n_neg",
}


def _data(n: int = 300, seed: int = 0, prevalence: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probability-like scores (rounded, so there are ties)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    scores = 1 / (1 + np.exp(-rng.normal(1.5 * y - 0.75, 1.0)))
    return y, np.round(scores, 2)


def _youden_j(y: np.ndarray, s: np.ndarray, threshold: float) -> float:
    op = operating_point(y, s, threshold)
    return op["sensitivity"] + op["specificity"] - 1


def test_agrees_with_sklearn() -> None:
    y, s = _data()
    threshold = 0.5
    pred = (s >= threshold).astype(int)
    op = operating_point(y, s, threshold)
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    assert (op["tp"], op["fp"], op["tn"], op["fn"]) == (tp, fp, tn, fn)
    assert op["sensitivity"] == pytest.approx(recall_score(y, pred))
    assert op["specificity"] == pytest.approx(recall_score(y, pred, pos_label=0))
    assert op["ppv"] == pytest.approx(precision_score(y, pred))
    assert op["npv"] == pytest.approx(precision_score(y, pred, pos_label=0))
    assert op["accuracy"] == pytest.approx(accuracy_score(y, pred))

    report = binary_report(y, s, threshold, n_boot=200)
    assert set(report) == REPORT_KEYS
    assert report["auc"] == pytest.approx(roc_auc_score(y, s))
    assert report["sensitivity"] == op["sensitivity"]
    assert report["specificity"] == op["specificity"]
    assert (report["n_pos"], report["n_neg"], report["threshold"]) == (y.sum(), len(y) - y.sum(), 0.5)
    # the fast AUC used inside the bootstrap equals sklearn's, ties included
    for seed in range(5):
        yb, sb = _data(n=40, seed=seed)
        assert _rank_auc(yb, sb) == pytest.approx(roc_auc_score(yb, sb), abs=1e-12)


def test_undefined_ratios_are_nan() -> None:
    op = operating_point([0, 0, 0], [0.1, 0.2, 0.3], threshold=0.9)
    assert math.isnan(op["sensitivity"]) and math.isnan(op["ppv"])
    assert op["specificity"] == 1.0 and op["npv"] == 1.0 and op["accuracy"] == 1.0


@pytest.mark.parametrize("seed", range(4))
def test_youden_is_brute_force_max(seed: int) -> None:
    y, s = _data(n=120, seed=seed)
    threshold = youden_threshold(y, s)
    assert math.isfinite(threshold)
    brute = max(_youden_j(y, s, t) for t in np.unique(s))
    fpr, tpr, _ = roc_curve(y, s)
    assert _youden_j(y, s, threshold) == pytest.approx(brute)
    assert _youden_j(y, s, threshold) == pytest.approx(np.max(tpr - fpr))


def test_youden_separable_and_ties() -> None:
    y = np.array([0, 0, 0, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    threshold = youden_threshold(y, s)
    assert threshold == pytest.approx(0.55)  # the middle of the gap between 0.3 and 0.8
    op = operating_point(y, s, threshold)
    assert op["sensitivity"] == 1.0 and op["specificity"] == 1.0

    # J = 0.5 at both 0.9 and 0.3 (and at 0.55 / 0.1): the one nearer 0.5 wins, then halfway down
    assert youden_threshold([0, 1, 0, 1], [0.1, 0.3, 0.6, 0.9]) == pytest.approx(0.2)
    assert youden_threshold([0, 1, 0, 1], [0.05, 0.1, 0.3, 0.55]) == pytest.approx(0.425)
    # the lowest score as the best threshold (call everything positive) stays as it is
    # (J = 0 there and at "call nothing"; 0.1 is nearer 0.5)
    assert youden_threshold([1, 0], [0.1, 0.9]) == 0.1


def test_youden_replaces_inf() -> None:
    # anti-correlated scores below 0.5: best is "call nothing positive", roc_curve's inf threshold
    y = np.array([1, 1, 0, 0])
    s = np.array([0.1, 0.2, 0.3, 0.4])
    threshold = youden_threshold(y, s)
    assert math.isfinite(threshold) and threshold > s.max()
    op = operating_point(y, s, threshold)
    assert op["tp"] + op["fp"] == 0


def test_youden_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="only class 1"):
        youden_threshold([1, 1, 1], [0.2, 0.5, 0.9])


def test_bootstrap_ci_contains_estimate_and_is_reproducible() -> None:
    y, s = _data(n=200)
    auc = roc_auc_score(y, s)
    low, high = bootstrap_ci(y, s, roc_auc_score, n_boot=300, seed=3)
    assert low <= auc <= high and low < high
    assert bootstrap_ci(y, s, roc_auc_score, n_boot=300, seed=3) == (low, high)
    assert bootstrap_ci(y, s, roc_auc_score, n_boot=300, seed=4) != (low, high)


def test_bootstrap_ci_narrows_with_more_data() -> None:
    widths = []
    for n in (60, 2000):
        y, s = _data(n=n, seed=1)
        low, high = bootstrap_ci(y, s, _rank_auc, n_boot=400)
        widths.append(high - low)
    assert widths[1] < widths[0] / 2


def test_bootstrap_is_stratified_with_tiny_minority() -> None:
    y, s = _data(n=200, seed=2, prevalence=0.3)
    y = np.zeros_like(y)
    y[[5, 17]] = 1  # two positives among 200
    seen: list[tuple[int, int, float]] = []

    def record(yb: np.ndarray, sb: np.ndarray) -> float:
        auc = roc_auc_score(yb, sb)
        seen.append((int(yb.sum()), len(yb), auc))
        return auc

    low, high = bootstrap_ci(y, s, record, n_boot=200)
    assert len(seen) == 200
    assert all(n_pos == 2 and n == 200 and math.isfinite(auc) for n_pos, n, auc in seen)
    assert math.isfinite(low) and math.isfinite(high)
    report = binary_report(y, s, youden_threshold(y, s), n_boot=200)
    assert all(math.isfinite(v) for k, v in report.items() if k not in ("ppv", "npv"))


def test_bootstrap_drops_undefined_replicates() -> None:
    y, s = _data(n=50)
    with pytest.warns(RuntimeWarning, match="undefined in 20 of 20"):
        low, high = bootstrap_ci(y, s, lambda yb, sb: float("nan"), n_boot=20)
    assert math.isnan(low) and math.isnan(high)


def test_report_cis_bracket_estimates() -> None:
    y, s = _data(n=400, seed=5)
    report = binary_report(y, s, youden_threshold(y, s), n_boot=300, seed=1)
    for name in ("auc", "sensitivity", "specificity"):
        assert report[f"{name}_ci_low"] <= report[name] <= report[f"{name}_ci_high"]
    assert binary_report(y, s, report["threshold"], n_boot=300, seed=1) == report


def test_aggregate_by_group() -> None:
    groups = ["p2", "p1", "p2", "p3", "p1"]
    y = [1, 0, 1, 0, 0]
    s = [0.9, 0.2, 0.5, 0.4, 0.6]
    ids, ya, sa = aggregate_by_group(groups, y, s, how="max")
    assert ids == ["p2", "p1", "p3"]
    np.testing.assert_array_equal(ya, [1, 0, 0])
    np.testing.assert_allclose(sa, [0.9, 0.6, 0.4])
    _, _, sm = aggregate_by_group(np.array(groups), y, s, how="mean")
    np.testing.assert_allclose(sm, [0.7, 0.4, 0.4])

    with pytest.raises(ValueError, match="group 'p1' has conflicting labels"):
        aggregate_by_group(groups, [1, 1, 1, 0, 0], s)
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate_by_group(groups, y, s, how="median")
    with pytest.raises(ValueError, match="groups and y_true differ in length"):
        aggregate_by_group(groups[:-1], y, s)


def test_plot_roc_writes_png(tmp_path: Path) -> None:
    curves = {f"fold {k}": _data(n=80, seed=k) for k in range(3)}
    pooled_y = np.concatenate([y for y, _ in curves.values()])
    pooled_s = np.concatenate([s for _, s in curves.values()])
    curves["pooled"] = (pooled_y, pooled_s)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = plot_roc(curves, tmp_path / "figs" / "roc.png", title="유방촬영술 ROC (5-fold)")
    assert path == tmp_path / "figs" / "roc.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    assert not [w for w in caught if "Glyph" in str(w.message)]

    with pytest.raises(ValueError, match="curve 'bad'"):
        plot_roc({"bad": ([1, 1], [0.2, 0.3])}, tmp_path / "bad.png")
    with pytest.raises(ValueError, match="at least one curve"):
        plot_roc({}, tmp_path / "none.png")


def test_summarize_folds() -> None:
    folds = [
        {"auc": 0.81, "sensitivity": 0.7, "n_pos": 10, "name": "a", "only_here": 1.0},
        {"auc": 0.85, "sensitivity": 0.8, "n_pos": 12, "name": "b"},
        {"auc": 0.78, "sensitivity": 0.75, "n_pos": np.int64(11), "name": "c"},
    ]
    summary = summarize_folds(folds)
    assert set(summary) == {f"{k}_{s}" for k in ("auc", "sensitivity", "n_pos") for s in ("mean", "std")}
    for key in ("auc", "sensitivity", "n_pos"):
        values = np.array([f[key] for f in folds], dtype=float)
        assert summary[f"{key}_mean"] == pytest.approx(values.mean())
        assert summary[f"{key}_std"] == pytest.approx(values.std(ddof=1))
    assert summarize_folds(folds[:1]) == {
        "auc_mean": 0.81,
        "auc_std": 0.0,
        "sensitivity_mean": 0.7,
        "sensitivity_std": 0.0,
        "n_pos_mean": 10.0,
        "n_pos_std": 0.0,
        "only_here_mean": 1.0,
        "only_here_std": 0.0,
    }
    with pytest.raises(ValueError, match="at least one fold"):
        summarize_folds([])


@pytest.mark.parametrize(
    ("y", "s", "message"),
    [
        ([0, 1, 1], [0.1, 0.2], "differ in length: 3 vs 2"),
        ([0, 2, 1], [0.1, 0.2, 0.3], "only 0 and 1"),
        (["0", "1"], [0.1, 0.2], "only 0 and 1"),
        ([0, 1, 1], [0.1, float("nan"), 0.3], "finite"),
        ([0, 1, 1], [0.1, float("inf"), 0.3], "finite"),
        ([0, 1], [[0.3, 0.7], [0.6, 0.4]], "1-D"),
        ([], [], "empty"),
    ],
)
def test_validation_errors(y: list, s: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        operating_point(y, s, 0.5)
    with pytest.raises(ValueError, match=message):
        binary_report(y, s, 0.5, n_boot=10)
