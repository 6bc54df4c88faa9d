"""Binary diagnosis evaluator: clinical metrics at patient and image level, predictions CSV, ROC curve.

Validation (``calibrated=False``) scores the AUC per level. Testing (``calibrated=True``) takes two
loaders, told apart by ``process(..., loader=)``: the val part of the training side
(``CALIBRATION``), where the decision threshold is chosen (Youden's J), and the test part
(``TEST``), reported at that threshold and at 0.5 with bootstrap 95% CIs. All rows of both loaders
are gathered in one collective, tagged with their loader, so no rank depends on having had batches
of each loader.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from sklearn.metrics import roc_auc_score

from aihub_bench.metrics.classification_predictions import (
    LEVELS,
    Predictions,
    has_both_classes,
    prediction_rows,
)
from aihub_bench.metrics.clinical import (
    AGGREGATIONS,
    binary_report,
    operating_point,
    plot_roc,
    youden_threshold,
)
from aihub_bench.metrics.evaluator import Evaluator, Metrics

log = logging.getLogger(__name__)

CASE_SCORES = ("head", "views")
FIXED_THRESHOLD = 0.5
# test loaders, in the order the classification datamodule returns them
CALIBRATION, TEST = 0, 1


def _nanmax(values: torch.Tensor, dim: int) -> torch.Tensor:
    return values.nan_to_num(float("-inf")).amax(dim=dim)


class ClassificationEvaluator(Evaluator):
    """Scores of a multi-view classifier (``outputs = (case_logits, view_logits)``).

    A case's score is the case head's (``case_score=head``) or its present views' scores
    aggregated by ``aggregation`` (``case_score=views``); patient-level scores aggregate a
    patient's cases the same way.
    """

    def __init__(
        self,
        views: Sequence[str],
        aggregation: str = "max",
        case_score: str = "head",
        calibrated: bool = False,
        bootstrap: int = 1000,
        title: str = "",
        results_file: str = "predictions_test.csv",
        roc_file: str | None = "roc_test.png",
    ) -> None:
        if case_score not in CASE_SCORES:
            raise ValueError(f"model.case_score must be one of {CASE_SCORES}, got {case_score!r}")
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"model.patient_aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
        super().__init__()
        self.views = list(views)
        self.aggregation = aggregation
        self.case_score = case_score
        self.calibrated = calibrated
        self.bootstrap = bootstrap
        self.title = title
        self.results_file = results_file
        self.roc_file = roc_file

    def process(
        self,
        batch: Mapping[str, Any],
        outputs: tuple[torch.Tensor, torch.Tensor],
        loader: int = TEST,
    ) -> None:
        case_logits, view_logits = (o.detach() for o in outputs)
        view_prob = torch.sigmoid(view_logits).masked_fill(~batch["view_mask"], float("nan"))
        case_prob = torch.sigmoid(case_logits)
        if self.case_score == "views":
            reduce = torch.nanmean if self.aggregation == "mean" else _nanmax
            case_prob = reduce(view_prob, dim=1)
        rows = prediction_rows(batch, self.views, case_prob.cpu(), view_prob.cpu())
        self.add(*((loader, row) for row in rows))

    def part(self, loader: int) -> Predictions:
        """The gathered rows of one loader (after :meth:`evaluate`), in gathering order."""
        return Predictions([row for index, row in self.gathered if index == loader])

    @property
    def scored(self) -> Predictions:
        """The rows the metrics are about: the test part when calibrated, else every row."""
        return self.part(TEST) if self.calibrated else Predictions([row for _, row in self.gathered])

    def compute(self, items: list[tuple[int, dict[str, Any]]]) -> Metrics:
        if not self.calibrated:
            return self._auc(self.scored)
        metrics: Metrics = {}
        for level in LEVELS:
            metrics.update(self._level_metrics(level, self.part(CALIBRATION), self.part(TEST)))
        return metrics

    def _auc(self, predictions: Predictions) -> Metrics:
        metrics: Metrics = {}
        for level in LEVELS:
            labels, scores = predictions.level(level, self.aggregation)
            if has_both_classes(labels):
                metrics[f"{level}/auc"] = float(roc_auc_score(labels, scores))
        return metrics

    def _level_metrics(self, level: str, calibration: Predictions, test: Predictions) -> Metrics:
        """Test metrics of one level at the Youden threshold of the calibration set and at 0.5."""
        cal_labels, cal_scores = calibration.level(level, self.aggregation)
        labels, scores = test.level(level, self.aggregation)
        if not has_both_classes(labels):
            log.warning("test set has one class only at %s level: no AUC, sensitivity or specificity", level)
            return {}
        if has_both_classes(cal_labels):
            threshold = youden_threshold(cal_labels, cal_scores)
        else:
            log.warning(
                "val part has one class only at %s level: threshold %.1f used", level, FIXED_THRESHOLD
            )
            threshold = FIXED_THRESHOLD
        report = binary_report(labels, scores, threshold, n_boot=self.bootstrap)
        fixed = operating_point(labels, scores, FIXED_THRESHOLD)
        out: Metrics = {f"{level}/{k}": v for k, v in report.items()}
        for key in ("sensitivity", "specificity", "ppv", "npv", "accuracy"):
            out[f"{level}/{key}_at_0.5"] = fixed[key]
        return out

    def write(self, run_dir: Path) -> list[Path]:
        """``results_file`` (the scored rows as CSV) and ``roc_file`` (a curve per level with both classes)."""
        run_dir.mkdir(parents=True, exist_ok=True)
        scored = self.scored
        scored.write_csv(run_dir / self.results_file)
        written = [run_dir / self.results_file]
        curves = {}
        for level in LEVELS if scored.rows else ():
            labels, scores = scored.level(level, self.aggregation)
            if has_both_classes(labels):
                curves[level] = (labels, scores)
        if self.roc_file and curves:
            written.append(plot_roc(curves, run_dir / self.roc_file, title=self.title))
        log.info("Test predictions and ROC curve written to %s", run_dir)
        return written
