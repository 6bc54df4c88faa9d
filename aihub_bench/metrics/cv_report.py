"""Cross-validation summary: ``cv_summary.json``, ``cv_results.md`` and a pooled ROC curve.

Built from what each fold left in ``<parent>/fold_<i>/``: ``metrics.json`` (the fold's test
metrics, ``test/<level>/<metric>``) and ``predictions_test.csv``. It can therefore be rebuilt at any
time, also after folds ran as separate jobs (``aihub-bench cv-summary <parent>``).

Headline keys (patient level): ``auc_mean``, ``auc_std``, ``sensitivity_mean``,
``specificity_mean``... (mean and sample std over folds); the image level sits under ``image``.
``pooled`` scores all folds' test predictions together (AUC with a bootstrap CI; sensitivity and
specificity with each case called at its own fold's threshold).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from aihub_bench.metrics.classification_predictions import LEVELS, has_both_classes, read_predictions_csv
from aihub_bench.metrics.clinical import bootstrap_ci, operating_point, plot_roc, summarize_folds
from aihub_bench.run_dir import write_json
from aihub_bench.tables import count, markdown_table, mean_std, number, value_ci

log = logging.getLogger(__name__)

PRIMARY_LEVEL = "patient"
FOLD_KEYS = (
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "sensitivity",
    "specificity",
    "ppv",
    "npv",
    "accuracy",
    "threshold",
    "sensitivity_at_0.5",
    "specificity_at_0.5",
    "n_pos",
    "n_neg",
)
OPERATING_POINT = (
    "threshold = Youden's J on each fold's val part (held out of the training folds); "
    "the *_at_0.5 metrics use a fixed 0.5"
)


def cv_title(name: str, negative: str, positive: str) -> str:
    """``"<dataset>: <positive> vs <negative>"``, the heading of every summary."""
    task = f"{positive} vs {negative}"
    return f"{name}: {task}" if name else task


def fold_dir(parent: Path, fold: int) -> Path:
    return parent / f"fold_{fold}"


def _fold_rows(parent: Path, k: int) -> tuple[list[int], dict[str, list[dict[str, float]]]]:
    """Completed folds and, per level, one ``{metric: value}`` row per completed fold."""
    done: list[int] = []
    rows: dict[str, list[dict[str, float]]] = {level: [] for level in LEVELS}
    for fold in range(k):
        path = fold_dir(parent, fold) / "metrics.json"
        if not path.is_file():
            continue
        metrics = json.loads(path.read_text(encoding="utf-8"))
        done.append(fold)
        for level in LEVELS:
            prefix = f"test/{level}/"
            row = {key: metrics[prefix + key] for key in FOLD_KEYS if prefix + key in metrics}
            rows[level].append({"fold": fold, **row})
    return done, rows


Curves = dict[str, tuple[np.ndarray, np.ndarray]]


def _pooled(
    parent: Path, folds: Sequence[int], rows: Sequence[Mapping[str, float]], level: str, how: str
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray] | None, Curves]:
    """Pooled labels/scores of all folds, plus calls at each fold's own threshold."""
    labels, scores, calls, per_fold = [], [], [], {}
    thresholds = {int(r["fold"]): r.get("threshold") for r in rows}
    for fold in folds:
        path = fold_dir(parent, fold) / "predictions_test.csv"
        if not path.is_file():
            continue
        y, s = read_predictions_csv(path).level(level, how)
        per_fold[f"fold {fold}"] = (y, s)
        labels.append(y)
        scores.append(s)
        threshold = thresholds.get(fold)
        calls.append(s >= threshold if threshold is not None else np.full(len(s), np.nan))
    if not labels:
        return None, per_fold
    return (np.concatenate(labels), np.concatenate(scores), np.concatenate(calls)), per_fold


def _pooled_report(y: np.ndarray, s: np.ndarray, called: np.ndarray, n_boot: int) -> dict[str, float]:
    if not has_both_classes(y):
        return {}
    report = {"auc": float(roc_auc_score(y, s)), "n_pos": int(y.sum()), "n_neg": int(len(y) - y.sum())}
    report["auc_ci_low"], report["auc_ci_high"] = bootstrap_ci(
        y, s, lambda yb, sb: float(roc_auc_score(yb, sb)), n_boot
    )
    if not np.isnan(called.astype(float)).any():
        point = operating_point(y, called.astype(float), 0.5)
        report.update(sensitivity=point["sensitivity"], specificity=point["specificity"])
    return report


def summarize_cross_validation(
    parent: str | Path,
    k: int,
    *,
    title: str = "",
    aggregation: str = "max",
    n_boot: int = 1000,
) -> dict[str, Any]:
    """Write ``cv_summary.json``, ``cv_results.md`` and ``roc_pooled.png`` into ``parent``."""
    parent = Path(parent)
    done, rows = _fold_rows(parent, k)
    if not done:
        raise FileNotFoundError(f"{parent}: no fold_<i>/metrics.json found for any of {k} folds")
    summary: dict[str, Any] = {
        "k": k,
        "folds_completed": done,
        "complete": len(done) == k,
        "level": PRIMARY_LEVEL,
        "patient_aggregation": aggregation,
        "operating_point": OPERATING_POINT,
        "folds_file": "folds.json",
    }
    curves: dict[str, Any] = {}
    for level in LEVELS:
        metrics_only = [{key: v for key, v in r.items() if key != "fold"} for r in rows[level]]
        level_summary: dict[str, Any] = summarize_folds(metrics_only) if metrics_only[0] else {}
        pooled, per_fold = _pooled(parent, done, rows[level], level, aggregation)
        level_summary["pooled"] = _pooled_report(*pooled, n_boot) if pooled else {}
        level_summary["per_fold"] = rows[level]
        if level == PRIMARY_LEVEL:
            summary.update(level_summary)
            curves = per_fold
            if pooled and has_both_classes(pooled[0]):
                curves["pooled"] = (pooled[0], pooled[1])
        else:
            summary[level] = level_summary
    write_json(parent / "cv_summary.json", _finite_or_none(summary))
    (parent / "cv_results.md").write_text(cv_markdown(summary, title), encoding="utf-8")
    drawable = {name: c for name, c in curves.items() if has_both_classes(np.asarray(c[0]))}
    if drawable:
        plot_roc(drawable, parent / "roc_pooled.png", title=f"{title} ({PRIMARY_LEVEL} level)".strip())
    log.info("Cross-validation summary (%d of %d folds) written to %s", len(done), k, parent)
    return summary


def _finite_or_none(value: Any) -> Any:
    """NaN and infinity become ``null``: JSON has no such numbers."""
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def headline(summary: Mapping[str, Any]) -> dict[str, float]:
    """Flat ``cv/<key>`` numbers (patient level, plus ``cv/image/<key>``) for metrics.json."""
    out = {f"cv/{k}": v for k, v in summary.items() if k.endswith(("_mean", "_std"))}
    image = summary.get("image", {})
    out.update({f"cv/image/{k}": v for k, v in image.items() if k.endswith(("_mean", "_std"))})
    for level, block in ((PRIMARY_LEVEL, summary), ("image", image)):
        prefix = "cv/" if level == PRIMARY_LEVEL else "cv/image/"
        out.update({f"{prefix}pooled_{k}": v for k, v in block.get("pooled", {}).items()})
    return out


# -- markdown ---------------------------------------------------------------------------------
LEVEL_HEADER = (
    "fold",
    "positives",
    "negatives",
    "AUC (95% CI)",
    "sensitivity",
    "specificity",
    "sens @0.5",
    "spec @0.5",
    "threshold",
)
# the per-fold metrics after the AUC column, in LEVEL_HEADER's order
RATE_KEYS = ("sensitivity", "specificity", "sensitivity_at_0.5", "specificity_at_0.5", "threshold")


def _auc_ci(row: Mapping[str, Any]) -> str:
    return value_ci(row.get("auc"), row.get("auc_ci_low"), row.get("auc_ci_high"))


def _level_table(block: Mapping[str, Any]) -> list[str]:
    """One level's table: a row per fold, then mean ± std over the folds and the pooled scores."""
    rows = [
        [
            str(row["fold"]),
            count(row.get("n_pos")),
            count(row.get("n_neg")),
            _auc_ci(row),
            *(number(row.get(key)) for key in RATE_KEYS),
        ]
        for row in block.get("per_fold", [])
    ]
    spread = [mean_std(block.get(f"{key}_mean"), block.get(f"{key}_std")) for key in ("auc", *RATE_KEYS)]
    rows.append(["**mean ± std**", "", "", *spread])
    pooled = block.get("pooled") or {}
    if pooled:
        counts = [count(pooled.get("n_pos")), count(pooled.get("n_neg"))]
        rates = [number(pooled.get(key)) for key in RATE_KEYS[:2]]  # no fixed-0.5 point, no threshold
        rows.append(["**pooled**", *counts, _auc_ci(pooled), *rates, "", "", ""])
    return markdown_table(LEVEL_HEADER, rows, numeric_from=1)


def cv_markdown(summary: Mapping[str, Any], title: str = "") -> str:
    """The ``cv_results.md`` text: patient-level and image-level fold tables."""
    k, done = summary["k"], summary["folds_completed"]
    lines = [f"# {title or 'Cross-validation'}: {k}-fold cross-validation", ""]
    if not summary["complete"]:
        lines += [f"**Incomplete:** {len(done)} of {k} folds have results ({', '.join(map(str, done))}).", ""]
    lines += [
        f"Operating point: {summary['operating_point']}. 95% CIs: stratified percentile bootstrap.",
        "",
        f"## Patient level (views and eyes aggregated by {summary['patient_aggregation']})",
        "",
        *_level_table(summary),
        "",
        "## Image level (each view scored alone)",
        "",
        *_level_table(summary.get("image", {})),
        "",
    ]
    return "\n".join(lines)
