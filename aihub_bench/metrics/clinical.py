"""Binary diagnostic metrics for cross-validated clinical classification.

For tasks such as mammography (malignant vs normal) or fundus (disease vs normal): label 1 is the
positive (diseased) class and a higher score means "more likely positive"; a case is called
positive when ``score >= threshold``.

Intended use per cross-validation fold: pick the threshold on the training side with
:func:`youden_threshold`, report the held-out fold with :func:`binary_report` (AUC and the
operating point at that fixed threshold, with stratified percentile-bootstrap CIs), optionally
after :func:`aggregate_by_group` for patient-level results, then combine folds with
:func:`summarize_folds` and draw the curves with :func:`plot_roc`.

Ratios whose denominator is zero (sensitivity with no positives, PPV with no positive calls, ...)
are ``float('nan')``, never 0.0, so that "undefined" never reads as "the model failed".
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score, roc_curve

from aihub_bench.fonts import use_korean_font

Statistic = Callable[[np.ndarray, np.ndarray], float]

AGGREGATIONS = ("max", "mean")


def _validate(
    y_true: ArrayLike, scores: ArrayLike, both_classes: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``y_true`` as an int 0/1 array and ``scores`` as a float array; raises ValueError on bad input."""
    y = np.asarray(y_true)
    s = np.asarray(scores)
    if y.ndim != 1 or s.ndim != 1:
        raise ValueError(
            f"y_true and scores must be 1-D; got shapes {y.shape} and {s.shape} "
            "(pass the positive-class score, not a per-class matrix)"
        )
    if len(y) != len(s):
        raise ValueError(f"y_true and scores differ in length: {len(y)} vs {len(s)}")
    if len(y) == 0:
        raise ValueError("y_true and scores are empty")
    if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
        bad = np.unique(y[~np.isin(y, (0, 1))])[:5] if y.dtype.kind in "biuf" else y.dtype
        raise ValueError(f"y_true must hold only 0 and 1; found {bad}")
    if s.dtype.kind not in "biuf":
        raise ValueError(f"scores must be numeric; got dtype {s.dtype}")
    s = s.astype(np.float64)
    if not np.isfinite(s).all():
        raise ValueError(f"scores must be finite; {int((~np.isfinite(s)).sum())} are NaN or infinite")
    y = y.astype(np.int64)
    if both_classes and (y.min() == y.max()):
        raise ValueError(f"y_true holds only class {int(y[0])}; both classes (0 and 1) are needed")
    return y, s


def _ratio(num: int, den: int) -> float:
    return num / den if den else float("nan")


def _rank_auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney U statistic (ties count 1/2), equal to ``roc_auc_score``.

    Used inside the bootstrap, where ``roc_auc_score``'s input checks dominate the run time.
    """
    pos = y == 1
    n_pos = int(pos.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = float(rankdata(s)[pos].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def youden_threshold(y_true: ArrayLike, scores: ArrayLike) -> float:
    """Threshold maximising Youden's J = sensitivity + specificity - 1 on the given data.

    Candidates are every distinct score (``roc_curve`` with ``drop_intermediate=False``). J is
    compared exactly (from integer counts); ties go to the candidate closest to 0.5, then to the
    higher one. The result is then moved halfway down to the next lower observed score: same J on
    these data, but not sitting on one case's score (with perfectly separated data, the midpoint of
    the gap rather than the lowest positive score, which new positives would often fall below).
    ``roc_curve``'s leading ``inf`` (call nothing positive) becomes the next float above the highest
    score, which behaves the same under ``score >= threshold``.
    """
    y, s = _validate(y_true, scores, both_classes=True)
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    fpr, tpr, thresholds = roc_curve(y, s, drop_intermediate=False)
    thresholds = np.where(np.isinf(thresholds), np.nextafter(s.max(), np.inf), thresholds)
    tp = np.rint(tpr * n_pos).astype(np.int64)
    fp = np.rint(fpr * n_neg).astype(np.int64)
    j = tp * n_neg - fp * n_pos  # J * n_pos * n_neg, in integers so that ties are exact
    best = np.flatnonzero(j == j.max())
    # thresholds are decreasing, so argmin takes the higher one on an exact distance tie
    chosen = float(thresholds[best[np.argmin(np.abs(thresholds[best] - 0.5))]])
    below = s[s < chosen]
    if chosen > s.max() or not below.size:
        return chosen
    return (chosen + float(below.max())) / 2


def operating_point(y_true: ArrayLike, scores: ArrayLike, threshold: float) -> dict[str, float]:
    """Confusion counts and ratios for calling ``score >= threshold`` positive.

    Keys: ``tp``, ``fp``, ``tn``, ``fn`` (ints), ``sensitivity``, ``specificity``, ``ppv``,
    ``npv``, ``accuracy``; a ratio with a zero denominator is ``nan``.
    """
    y, s = _validate(y_true, scores)
    if np.isnan(threshold):
        raise ValueError("threshold is NaN")
    pred = s >= threshold
    pos = y == 1
    tp = int(np.sum(pred & pos))
    fp = int(np.sum(pred & ~pos))
    tn = int(np.sum(~pred & ~pos))
    fn = int(np.sum(~pred & pos))
    return {
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "sensitivity": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp),
        "ppv": _ratio(tp, tp + fp),
        "npv": _ratio(tn, tn + fn),
        "accuracy": (tp + tn) / len(y),
    }


def bootstrap_ci(
    y_true: ArrayLike,
    scores: ArrayLike,
    statistic: Statistic,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float]:
    """Stratified percentile-bootstrap ``(1 - alpha)`` confidence interval of ``statistic(y, s)``.

    Method: each of ``n_boot`` replicates draws ``n_pos`` cases with replacement from the
    positives and, separately, ``n_neg`` from the negatives (``numpy.random.default_rng(seed)``),
    so every replicate keeps the observed class counts and has both classes; the interval is the
    ``alpha/2`` and ``1 - alpha/2`` quantiles (linear interpolation) of the replicate statistics.
    Same inputs and seed give the same resamples, so CIs of different statistics computed with one
    seed share their replicates. Replicates where ``statistic`` is not finite (e.g. PPV with no
    positive calls) are left out with a RuntimeWarning; if none is finite the result is ``(nan, nan)``.
    """
    y, s = _validate(y_true, scores, both_classes=True)
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1; got {n_boot}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    values = np.empty(n_boot, dtype=np.float64)
    for b in range(n_boot):  # one replicate at a time: memory stays O(n) for large test sets
        i = np.concatenate(
            [pos[rng.integers(0, len(pos), len(pos))], neg[rng.integers(0, len(neg), len(neg))]]
        )
        values[b] = statistic(y[i], s[i])
    finite = np.isfinite(values)
    if not finite.all():
        warnings.warn(
            f"bootstrap_ci: statistic undefined in {int((~finite).sum())} of {n_boot} replicates; "
            "they are left out",
            RuntimeWarning,
            stacklevel=2,
        )
    if not finite.any():
        return float("nan"), float("nan")
    low, high = np.quantile(values[finite], [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def binary_report(
    y_true: ArrayLike, scores: ArrayLike, threshold: float, n_boot: int = 1000, seed: int = 0
) -> dict[str, float]:
    """AUC and the operating point at a fixed ``threshold``, with 95% stratified bootstrap CIs.

    Keys: ``auc``, ``auc_ci_low``, ``auc_ci_high``, ``sensitivity``, ``sensitivity_ci_low``,
    ``sensitivity_ci_high``, ``specificity``, ``specificity_ci_low``, ``specificity_ci_high``,
    ``ppv``, ``npv``, ``accuracy``, ``threshold``, ``n_pos``, ``n_neg``. The threshold is not
    re-fitted inside the bootstrap: pick it on training data (:func:`youden_threshold`).
    """
    y, s = _validate(y_true, scores, both_classes=True)
    op = operating_point(y, s, threshold)

    def sensitivity(yb: np.ndarray, sb: np.ndarray) -> float:
        return float(np.mean(sb[yb == 1] >= threshold))

    def specificity(yb: np.ndarray, sb: np.ndarray) -> float:
        return float(np.mean(sb[yb == 0] < threshold))

    report: dict[str, float] = {"auc": float(roc_auc_score(y, s))}
    report["auc_ci_low"], report["auc_ci_high"] = bootstrap_ci(y, s, _rank_auc, n_boot, seed=seed)
    for name, statistic in (("sensitivity", sensitivity), ("specificity", specificity)):
        report[name] = op[name]
        report[f"{name}_ci_low"], report[f"{name}_ci_high"] = bootstrap_ci(y, s, statistic, n_boot, seed=seed)
    report.update(
        ppv=op["ppv"],
        npv=op["npv"],
        accuracy=op["accuracy"],
        threshold=float(threshold),
        n_pos=int(y.sum()),
        n_neg=int(len(y) - y.sum()),
    )
    return report


def aggregate_by_group(
    groups: Sequence[Hashable] | np.ndarray, y_true: ArrayLike, scores: ArrayLike, how: str = "max"
) -> tuple[list[Hashable], np.ndarray, np.ndarray]:
    """One label and score per group (e.g. all views of one patient), groups in first-seen order.

    The score is the ``max`` (any suspicious view flags the patient) or ``mean`` of the group's
    scores. Raises ValueError if a group's images disagree on the label.
    """
    if how not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {how!r}; choose one of {AGGREGATIONS}")
    y, s = _validate(y_true, scores)
    groups = list(groups)
    if len(groups) != len(y):
        raise ValueError(f"groups and y_true differ in length: {len(groups)} vs {len(y)}")
    members: dict[Hashable, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    reduce = np.max if how == "max" else np.mean
    ids = list(members)
    y_out = np.empty(len(ids), dtype=np.int64)
    s_out = np.empty(len(ids), dtype=np.float64)
    for k, g in enumerate(ids):
        labels = np.unique(y[members[g]])
        if len(labels) > 1:
            raise ValueError(f"group {g!r} has conflicting labels {labels.tolist()}")
        y_out[k] = labels[0]
        s_out[k] = reduce(s[members[g]])
    return ids, y_out, s_out


def plot_roc(curves: Mapping[str, tuple[ArrayLike, ArrayLike]], path: str | Path, title: str = "") -> Path:
    """Write one PNG with a ROC line per ``name -> (y_true, scores)`` entry; return the path.

    Each legend entry shows the curve's AUC. Uses the Agg canvas directly (no pyplot), so no
    global backend is switched and no figure is left open. Hangul renders in NanumGothic
    (:func:`aihub_bench.fonts.use_korean_font`).
    """
    if not curves:
        raise ValueError("plot_roc needs at least one curve")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    use_korean_font()
    prepared: list[tuple[str, Any, Any, float]] = []
    for name, (y_true, scores) in curves.items():
        try:
            y, s = _validate(y_true, scores, both_classes=True)
        except ValueError as e:
            raise ValueError(f"curve {name!r}: {e}") from e
        fpr, tpr, _ = roc_curve(y, s)
        prepared.append((name, fpr, tpr, float(roc_auc_score(y, s))))

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(5.5, 5.5), dpi=150)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for name, fpr, tpr, auc in prepared:
        ax.plot(fpr, tpr, lw=1.5, label=f"{name} (AUC = {auc:.3f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="1 - specificity", ylabel="sensitivity")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def summarize_folds(per_fold: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """``{k}_mean`` and ``{k}_std`` for every key numeric in all folds (first fold's key order).

    The std is the sample std (ddof=1), 0.0 for a single fold. A NaN in any fold (an undefined
    metric) makes that key's mean and std NaN rather than being skipped.
    """
    if not per_fold:
        raise ValueError("summarize_folds needs at least one fold")
    summary: dict[str, float] = {}
    for key in per_fold[0]:
        if not all(key in fold and _is_number(fold[key]) for fold in per_fold):
            continue
        values = np.array([fold[key] for fold in per_fold], dtype=np.float64)
        summary[f"{key}_mean"] = float(values.mean())
        if len(values) > 1:
            summary[f"{key}_std"] = float(values.std(ddof=1))
        else:
            summary[f"{key}_std"] = 0.0 if np.isfinite(values[0]) else float("nan")
    return summary
