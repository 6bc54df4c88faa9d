"""LightningModule for object detection / instance segmentation with torchvision detectors."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from aihub_bench.metrics.detection_evaluator import DetectionEvaluator
from aihub_bench.metrics.size_rule import SizeRule
from aihub_bench.tasks.base import ReportColumn, TaskFamily, value
from aihub_bench.tasks.evaluation import EvaluatingTask
from aihub_bench.tasks.optim import configure_optimization

DETECTION = TaskFamily(
    name="detection",
    title="Detection",
    unit="img",
    headline=("test/bbox_mAP", "test/bbox_mAP_50", "test/segm_mAP"),
    report_columns=(
        ReportColumn("bbox mAP", (value("test/bbox_mAP"),)),
        ReportColumn("mAP@50", (value("test/bbox_mAP_50"),)),
        ReportColumn("mAP@75", (value("test/bbox_mAP_75"),)),
        ReportColumn("segm mAP", (value("test/segm_mAP"),)),
        ReportColumn("segm mAP@50", (value("test/segm_mAP_50"),)),
    ),
)


class DetectorLoss:
    """``training_loss`` / ``batch_units`` / ``training_step`` of a torchvision detector (its own
    loss dict, summed), shared by detection and Keypoint R-CNN. Needs ``self.net``."""

    net: torch.nn.Module
    loss_parts: dict[str, torch.Tensor]

    def training_loss(self, batch: tuple[list, list]) -> torch.Tensor:
        images, targets = batch
        losses = self.net(images, targets)
        self.loss_parts = {name: part.detach() for name, part in losses.items()}  # logged per part
        return sum(losses.values())

    def batch_units(self, batch: tuple[list, list]) -> int:
        return len(batch[0])

    def training_step(self, batch: tuple[list, list], batch_idx: int) -> torch.Tensor:
        """The summed losses, logged as ``train/loss`` (step and epoch) and per part."""
        module: Any = self
        loss = self.training_loss(batch)
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"non-finite training loss at step {module.global_step}: {self.loss_parts}"
            )
        bs = self.batch_units(batch)
        module.log("train/loss", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=bs)
        for name, part in self.loss_parts.items():
            module.log(f"train/{name}", part, on_step=False, on_epoch=True, batch_size=bs)
        return loss


class DetectionTask(DetectorLoss, EvaluatingTask):
    """Trains a torchvision detector (its own losses) and evaluates with COCO mAP.

    ``net`` is a factory ``net(num_classes=K)`` (Hydra partial of a model builder); the class list
    comes from the datamodule and is saved in the checkpoint, so a checkpoint is self-describing.
    ``size_rule`` (``{default: px, per_class: {class: px}}``, ``None`` = off) also reports mAP with
    small objects ignored (:mod:`aihub_bench.metrics.size_rule`).
    """

    family = DETECTION

    def __init__(
        self,
        net: Callable[..., torch.nn.Module],
        optimizer: Callable[..., torch.optim.Optimizer],
        class_names: Sequence[str],
        scheduler: dict[str, Any] | None = None,
        iou_types: Sequence[str] = ("bbox",),
        needs_masks: bool = False,
        monitor: str = "val/bbox_mAP",
        monitor_mode: str = "max",
        results_file: str = "predictions_test.json",
        report_file: str | None = "results.md",
        report_worst: int = 10,
        size_rule: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "optimizer"])
        self.class_names = list(class_names)
        self.size_rule = SizeRule.from_config(size_rule, self.class_names)
        self.net = net(num_classes=len(self.class_names))
        self.optimizer_factory = optimizer

    def forward(self, images: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        return self.net(images)

    # -- evaluation -------------------------------------------------------------------------
    def make_evaluator(self, split: str) -> DetectionEvaluator:
        datamodule = self.datamodule
        return DetectionEvaluator(
            datamodule.splits[split],
            self.class_names,
            self.hparams.iou_types,
            class_groups=getattr(datamodule, "class_groups", None),
            image_conditions=datamodule.image_conditions(split)
            if hasattr(datamodule, "image_conditions")
            else None,
            object_counts=datamodule.object_counts(split) if split == "test" else None,
            split=split,
            title=getattr(datamodule, "name", ""),
            results_file=self.hparams.results_file,
            report_file=self.hparams.report_file,
            report_worst=self.hparams.report_worst,
            size_rule=self.size_rule,
        )

    def validation_step(self, batch: tuple[list, list], batch_idx: int) -> None:
        self.evaluator.process(batch, self.net(batch[0]))

    def test_step(self, batch: tuple[list, list], batch_idx: int) -> None:
        self.evaluator.process(batch, self.net(batch[0]))

    def on_train_epoch_end(self) -> None:
        """A net with a per-epoch schedule of its own (YOLO26's loss weights) is told an epoch ended."""
        end_epoch = getattr(self.net, "end_epoch", None)
        if callable(end_epoch):
            end_epoch()

    # -- optimisation -----------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)
