"""LightningModule for object detection / instance segmentation with torchvision detectors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from aihub_bench.distributed import gather_lists
from aihub_bench.metrics.coco_eval import (
    coco_gt_from_samples,
    evaluate_coco,
    predictions_to_coco,
    write_coco_results,
)
from aihub_bench.metrics.results_table import detection_results_markdown, write_results_markdown
from aihub_bench.tasks.base import FamilyTask, ReportColumn, TaskFamily, value
from aihub_bench.tasks.optim import configure_optimization

log = logging.getLogger(__name__)


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
        return sum(losses.values())  # type: ignore[return-value]

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


class DetectionTask(DetectorLoss, FamilyTask):
    """Trains a torchvision detector (its own losses) and evaluates with COCO mAP.

    ``net`` is a factory ``net(num_classes=K)`` (Hydra partial of a model builder); the class list
    comes from the datamodule and is saved in the checkpoint, so a checkpoint is self-describing.
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
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "optimizer"])
        self.class_names = list(class_names)
        self.net = net(num_classes=len(self.class_names))
        self.optimizer_factory = optimizer
        self._predictions: list[dict[str, Any]] = []
        self._seen_ids: list[int] = []

    def forward(self, images: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        return self.net(images)

    # -- evaluation -------------------------------------------------------------------------
    def _collect(self, batch: tuple[list, list]) -> None:
        images, targets = batch
        outputs = self.net(images)
        for output, target in zip(outputs, targets, strict=True):
            image_id = int(target["image_id"])
            cpu = {k: v.detach().float().cpu() if k != "labels" else v.cpu() for k, v in output.items()}
            self._predictions.extend(predictions_to_coco(image_id, cpu))
            self._seen_ids.append(image_id)

    def validation_step(self, batch: tuple[list, list], batch_idx: int) -> None:
        self._collect(batch)

    def test_step(self, batch: tuple[list, list], batch_idx: int) -> None:
        self._collect(batch)

    def on_validation_epoch_start(self) -> None:
        self._predictions, self._seen_ids = [], []

    on_test_epoch_start = on_validation_epoch_start

    def on_validation_epoch_end(self) -> None:
        self._log_coco("val")

    def on_test_epoch_end(self) -> None:
        predictions, metrics = self._log_coco("test")
        if not (self.trainer.is_global_zero and self.trainer.default_root_dir):
            return
        run_dir = Path(self.trainer.default_root_dir)
        write_coco_results(run_dir / self.hparams.results_file, predictions)
        log.info("COCO results written to %s", run_dir / self.hparams.results_file)
        if self.hparams.report_file and metrics:
            datamodule = self.trainer.datamodule
            text = detection_results_markdown(
                {f"test/{k}": v for k, v in metrics.items()},
                split="test",
                class_groups=getattr(datamodule, "class_groups", None) or None,
                object_counts=datamodule.object_counts("test"),
                worst=self.hparams.report_worst,
                title=f"{getattr(datamodule, 'name', '') or 'Detection'}: test results",
            )
            write_results_markdown(run_dir / self.hparams.report_file, text)
            log.info("Results table written to %s", run_dir / self.hparams.report_file)

    def _log_coco(self, split: str) -> tuple[list[dict[str, Any]], dict[str, float]]:
        predictions, seen = gather_lists(self._predictions), set(gather_lists(self._seen_ids))
        if self.trainer.sanity_checking or not seen:
            return predictions, {}
        datamodule = self.trainer.datamodule
        samples = [s for s in datamodule.splits[split] if s.image_id in seen]
        gt = coco_gt_from_samples(samples, self.class_names)
        metrics = evaluate_coco(
            gt,
            predictions,
            self.hparams.iou_types,
            self.class_names,
            category_groups=_invert(getattr(datamodule, "class_groups", None) or {}),
        )
        self.log_dict({f"{split}/{k}": float(v) for k, v in metrics.items()}, sync_dist=False)
        return predictions, metrics

    # -- optimisation -----------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)


def _invert(class_groups: dict[str, str]) -> dict[str, list[str]] | None:
    """``{class: group}`` -> ``{group: [classes]}`` (``None`` when there are no groups)."""
    groups: dict[str, list[str]] = {}
    for name, group in class_groups.items():
        groups.setdefault(group, []).append(name)
    return groups or None
