"""LightningModule for binary diagnosis with clinical metrics at image and patient level.

Validation logs the patient-level AUC (the checkpoint monitor). Testing runs two loaders: the val
part of the training side, where the decision threshold is chosen (Youden's J), then the test
part, which is reported at that threshold and at 0.5, with bootstrap 95% CIs, a predictions CSV
and a ROC curve PNG in the run directory.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score

from aihub_bench.distributed import gather_lists
from aihub_bench.metrics.clinical import (
    AGGREGATIONS,
    aggregate_by_group,
    binary_report,
    operating_point,
    plot_roc,
    youden_threshold,
)
from aihub_bench.tasks.base import FOLDS, FamilyTask, ReportColumn, TaskFamily, ci, mean_std, value, value_ci
from aihub_bench.tasks.optim import configure_optimization

log = logging.getLogger(__name__)

LEVELS = ("patient", "image")
CASE_SCORES = ("head", "views")
FIXED_THRESHOLD = 0.5
# test loaders, in the order the classification datamodule returns them
CALIBRATION, TEST = 0, 1
PREDICTION_FIELDS = ("level", "id", "group", "view", "label", "score")


class Predictions:
    """Scores collected over an epoch: one row per case and one per view present."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self, batch: dict[str, Any], views: Sequence[str], case_prob: torch.Tensor, view_prob: torch.Tensor
    ) -> None:
        mask = batch["view_mask"].cpu()
        view_labels = batch["view_labels"].cpu()
        for b, (case_id, group) in enumerate(zip(batch["case_id"], batch["group"], strict=True)):
            label = int(batch["label"][b])
            self.rows.append(
                {
                    "level": "case",
                    "id": case_id,
                    "group": group,
                    "view": "",
                    "label": label,
                    "score": float(case_prob[b]),
                }
            )
            for v, view in enumerate(views):
                if mask[b, v]:
                    self.rows.append(
                        {
                            "level": "image",
                            "id": f"{case_id}/{view}",
                            "group": group,
                            "view": view,
                            "label": int(view_labels[b, v]),
                            "score": float(view_prob[b, v]),
                        }
                    )

    def level(self, level: str, how: str = "max") -> tuple[np.ndarray, np.ndarray]:
        """``(labels, scores)``: ``image`` rows, or cases aggregated per ``patient`` (group)."""
        if level == "image":
            rows = [r for r in self.rows if r["level"] == "image"]
            return np.array([r["label"] for r in rows]), np.array([r["score"] for r in rows])
        rows = [r for r in self.rows if r["level"] == "case"]
        _, labels, scores = aggregate_by_group(
            [r["group"] for r in rows], [r["label"] for r in rows], [r["score"] for r in rows], how
        )
        return labels, scores

    def write_csv(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=PREDICTION_FIELDS)
            writer.writeheader()
            writer.writerows(self.rows)


def read_predictions_csv(path: Path) -> Predictions:
    """A :class:`Predictions` back from ``predictions_test.csv``."""
    predictions = Predictions()
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            predictions.rows.append({**row, "label": int(row["label"]), "score": float(row["score"])})
    return predictions


def _nanmax(values: torch.Tensor, dim: int) -> torch.Tensor:
    return values.nan_to_num(float("-inf")).amax(dim=dim)


def has_both_classes(labels: np.ndarray) -> bool:
    return len(np.unique(labels)) == 2


CLASSIFICATION = TaskFamily(
    name="classification",
    title="Classification",
    unit="case",
    headline=("test/patient/auc", "test/patient/sensitivity", "test/patient/specificity", "cv/auc_mean"),
    report_columns=(
        ReportColumn("AUC", (mean_std("cv/auc"), value("test/patient/auc"))),
        ReportColumn("AUC 95% CI", (ci("cv/pooled_auc_ci"), ci("test/patient/auc_ci"))),
        ReportColumn("sensitivity", (mean_std("cv/sensitivity"), value_ci("test/patient/sensitivity"))),
        ReportColumn("specificity", (mean_std("cv/specificity"), value_ci("test/patient/specificity"))),
        ReportColumn("folds", (FOLDS,)),
    ),
    report_note="Patient level. Cross-validation rows: mean ± std over the folds; their AUC 95% CI is the "
    "bootstrap CI of the AUC pooled over all folds' test predictions.",
    note_for_cv=True,
)


class ClassificationTask(FamilyTask):
    """Trains ``net`` (a :class:`~aihub_bench.models.classifier.MultiViewClassifier` factory).

    Loss: BCE on the case logit plus ``image_loss_weight`` x BCE on each present view's logit
    (view labels come from lesion annotations where the release has them, else the case label).
    A case's score is the case head's (``case_score=head``) or its views' scores aggregated by
    ``patient_aggregation`` (``case_score=views``); patient-level scores aggregate a patient's cases
    (a person's two eyes) the same way.
    """

    family = CLASSIFICATION

    def __init__(
        self,
        net: Callable[..., torch.nn.Module],
        optimizer: Callable[..., torch.optim.Optimizer],
        class_names: Sequence[str],
        scheduler: dict[str, Any] | None = None,
        image_loss_weight: float = 0.5,
        patient_aggregation: str = "max",
        case_score: str = "head",
        bootstrap: int = 1000,
        monitor: str = "val/patient/auc",
        monitor_mode: str = "max",
        results_file: str = "predictions_test.csv",
        roc_file: str | None = "roc_test.png",
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "optimizer"])
        if len(class_names) != 2:
            raise ValueError(f"binary classification needs two class names, got {list(class_names)}")
        if case_score not in CASE_SCORES:
            raise ValueError(f"model.case_score must be one of {CASE_SCORES}, got {case_score!r}")
        if patient_aggregation not in AGGREGATIONS:
            raise ValueError(
                f"model.patient_aggregation must be one of {AGGREGATIONS}, got {patient_aggregation!r}"
            )
        self.class_names = list(class_names)
        self.net = net()
        self.optimizer_factory = optimizer
        self._epoch: list[Predictions] = []

    def forward(self, images: torch.Tensor, view_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net(images, view_mask)

    # -- training ---------------------------------------------------------------------------
    def _loss(self, batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        case_logits, view_logits = self(batch["images"], batch["view_mask"])
        loss = F.binary_cross_entropy_with_logits(case_logits, batch["label"])
        mask = batch["view_mask"]
        if self.hparams.image_loss_weight and mask.any():
            view_loss = F.binary_cross_entropy_with_logits(view_logits[mask], batch["view_labels"][mask])
            loss = loss + self.hparams.image_loss_weight * view_loss
        return loss, case_logits, view_logits

    def training_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        return self._loss(batch)[0]

    def batch_units(self, batch: dict[str, Any]) -> int:
        return len(batch["label"])

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        loss = self.training_loss(batch)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite training loss at step {self.global_step}")
        self.log(
            "train/loss", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=len(batch["label"])
        )
        return loss

    # -- evaluation -------------------------------------------------------------------------
    def _collect(self, batch: dict[str, Any], index: int, split: str) -> None:
        loss, case_logits, view_logits = self._loss(batch)
        while len(self._epoch) <= index:
            self._epoch.append(Predictions())
        view_prob = torch.sigmoid(view_logits).masked_fill(~batch["view_mask"], float("nan"))
        case_prob = torch.sigmoid(case_logits)
        if self.hparams.case_score == "views":
            reduce = torch.nanmean if self.hparams.patient_aggregation == "mean" else _nanmax
            case_prob = reduce(view_prob, dim=1)
        self._epoch[index].add(batch, self.trainer.datamodule.views, case_prob.cpu(), view_prob.cpu())
        if split == "val":
            self.log("val/loss", loss, on_epoch=True, batch_size=len(batch["label"]), sync_dist=True)

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._collect(batch, 0, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = TEST) -> None:
        self._collect(batch, dataloader_idx, "test")

    def on_validation_epoch_start(self) -> None:
        self._epoch = []

    on_test_epoch_start = on_validation_epoch_start

    def _gather(self, loaders: int) -> None:
        """Every rank's predictions (DDP), for each of the epoch's ``loaders``."""
        while len(self._epoch) < loaders:
            self._epoch.append(Predictions())
        for predictions in self._epoch:
            predictions.rows = gather_lists(predictions.rows)

    def on_validation_epoch_end(self) -> None:
        self._gather(loaders=1)
        if self.trainer.sanity_checking or not self._epoch[0].rows:
            return
        for level in LEVELS:
            labels, scores = self._epoch[0].level(level, self.hparams.patient_aggregation)
            if has_both_classes(labels):
                self.log(f"val/{level}/auc", float(roc_auc_score(labels, scores)))

    def on_test_epoch_end(self) -> None:
        self._gather(loaders=TEST + 1)  # the same count on every rank, even one with no batches
        if len(self._epoch) <= TEST:
            raise RuntimeError("testing needs the calibration (val) and test loaders of the datamodule")
        calibration, test = self._epoch[CALIBRATION], self._epoch[TEST]
        metrics: dict[str, float] = {}
        for level in LEVELS:
            metrics.update(self._level_metrics(level, calibration, test))
        self.log_dict(metrics)
        if self.trainer.is_global_zero and self.trainer.default_root_dir:
            self._write_outputs(Path(self.trainer.default_root_dir), test)

    def _level_metrics(self, level: str, calibration: Predictions, test: Predictions) -> dict[str, float]:
        """Test metrics of one level at the Youden threshold of the calibration set and at 0.5."""
        how = self.hparams.patient_aggregation
        cal_labels, cal_scores = calibration.level(level, how)
        labels, scores = test.level(level, how)
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
        report = binary_report(labels, scores, threshold, n_boot=self.hparams.bootstrap)
        fixed = operating_point(labels, scores, FIXED_THRESHOLD)
        out = {f"test/{level}/{k}": v for k, v in report.items()}
        for key in ("sensitivity", "specificity", "ppv", "npv", "accuracy"):
            out[f"test/{level}/{key}_at_0.5"] = fixed[key]
        return out

    def _write_outputs(self, run_dir: Path, test: Predictions) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        test.write_csv(run_dir / self.hparams.results_file)
        curves = {}
        for level in LEVELS:
            labels, scores = test.level(level, self.hparams.patient_aggregation)
            if has_both_classes(labels):
                curves[level] = (labels, scores)
        if self.hparams.roc_file and curves:
            title = f"{getattr(self.trainer.datamodule, 'name', '')}: {self.class_names[1]} vs {self.class_names[0]}"
            plot_roc(curves, run_dir / self.hparams.roc_file, title=title)
        log.info("Test predictions and ROC curve written to %s", run_dir)

    # -- optimisation -----------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)
