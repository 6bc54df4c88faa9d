"""LightningModule for binary diagnosis with clinical metrics at image and patient level.

Validation logs the patient-level AUC (the checkpoint monitor). Testing runs two loaders: the val
part of the training side, where the decision threshold is chosen (Youden's J), then the test
part, which is reported at that threshold and at 0.5, with bootstrap 95% CIs, a predictions CSV
and a ROC curve PNG in the run directory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from aihub_bench.metrics.classification_evaluator import (
    CALIBRATION,
    CASE_SCORES,
    TEST,
    ClassificationEvaluator,
)
from aihub_bench.metrics.clinical import AGGREGATIONS
from aihub_bench.tasks.base import FOLDS, ReportColumn, TaskFamily, ci, mean_std, value, value_ci
from aihub_bench.tasks.evaluation import EvaluatingTask
from aihub_bench.tasks.optim import configure_optimization

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


class ClassificationTask(EvaluatingTask):
    """Trains ``net`` (a :class:`~aihub_bench.models.classifier.MultiViewClassifier` factory).

    Loss: BCE on the case logit plus ``image_loss_weight`` x BCE on each present view's logit
    (view labels come from lesion annotations where the release has them, else the case label).
    A case's score is the case head's (``case_score=head``) or its views' scores aggregated by
    ``patient_aggregation`` (``case_score=views``); patient-level scores aggregate a patient's cases
    (a person's two eyes) the same way.
    """

    family = CLASSIFICATION
    evaluator: ClassificationEvaluator

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
        return self.logged_training_loss(batch, len(batch["label"]))

    # -- evaluation -------------------------------------------------------------------------
    def make_evaluator(self, split: str) -> ClassificationEvaluator:
        """At test, the datamodule's two loaders: its val part (``CALIBRATION``), then ``TEST``."""
        name = getattr(self.datamodule, "name", "")
        return ClassificationEvaluator(
            self.datamodule.views,
            aggregation=self.hparams.patient_aggregation,
            case_score=self.hparams.case_score,
            calibrated=split == "test",
            bootstrap=self.hparams.bootstrap,
            title=f"{name}: {self.class_names[1]} vs {self.class_names[0]}",
            results_file=self.hparams.results_file,
            roc_file=self.hparams.roc_file,
        )

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        loss, case_logits, view_logits = self._loss(batch)
        self.evaluator.process(batch, (case_logits, view_logits), loader=CALIBRATION)
        self.log("val/loss", loss, on_epoch=True, batch_size=len(batch["label"]), sync_dist=True)

    def test_step(self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = TEST) -> None:
        _, case_logits, view_logits = self._loss(batch)
        self.evaluator.process(batch, (case_logits, view_logits), loader=dataloader_idx)

    # -- optimisation -----------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)
