"""LightningModule for semantic segmentation: per-pixel cross-entropy, mIoU from one confusion matrix.

Training: cross-entropy on the input-size masks, pixels of the ignore index (255) left out, optional
class weights. Evaluation: the logits of each image are upsampled bilinearly to its label's own size
and the arg-max is scored there (:mod:`aihub_bench.metrics.segmentation_evaluator`). At test the
evaluator also writes every predicted mask as a palette PNG to ``<run dir>/<prediction_dir>/`` from the
rank that predicted it. ``train/loss`` (step and epoch) and ``val/loss`` feed the ``LossCurve``
callback, which puts ``train/loss_first`` / ``_last`` / ``_decreased`` into ``metrics.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from aihub_bench.data.segmentation import class_palette
from aihub_bench.formats.masks import IGNORE_INDEX
from aihub_bench.metrics.segmentation_evaluator import SegmentationEvaluator
from aihub_bench.tasks.base import ReportColumn, TaskFamily, class_weight_tensor, loss_columns, value
from aihub_bench.tasks.evaluation import EvaluatingTask
from aihub_bench.tasks.optim import configure_optimization

SEGMENTATION = TaskFamily(
    name="segmentation",
    title="Semantic segmentation",
    unit="img",
    headline=("test/mIoU", "test/pixel_acc"),
    report_columns=(
        ReportColumn("mIoU", (value("test/mIoU"),)),
        ReportColumn("pixel acc", (value("test/pixel_acc"),)),
        ReportColumn("mean acc", (value("test/mean_acc"),)),
        ReportColumn("fwIoU", (value("test/fwIoU"),)),
        *loss_columns(),
    ),
    report_note="mIoU: the mean IoU over the classes present in the test labels or predictions.",
)


def full_size_predictions(logits: torch.Tensor, sizes: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """Each image's class-index mask (uint8) at ``sizes[i]`` = (height, width): its logits upsampled
    bilinearly, then the arg-max."""
    out = []
    for one, size in zip(logits, sizes, strict=True):
        upsampled = F.interpolate(one[None].float(), size=tuple(size), mode="bilinear", align_corners=False)
        out.append(upsampled[0].argmax(dim=0).to(torch.uint8).cpu().numpy())
    return out


class SegmentationTask(EvaluatingTask):
    """Trains ``net`` (a factory ``net(num_classes=K)`` returning logits at the input size).

    ``class_names`` and ``palette`` come from the datamodule and are saved in the checkpoint;
    ``class_weights`` (one per class, or ``None``) weighs the cross-entropy.
    """

    family = SEGMENTATION
    evaluator: SegmentationEvaluator

    def __init__(
        self,
        net: Callable[..., nn.Module],
        optimizer: Callable[..., torch.optim.Optimizer],
        class_names: Sequence[str],
        palette: Sequence[Sequence[int]] | None = None,
        scheduler: dict[str, Any] | None = None,
        class_weights: Sequence[float] | None = None,
        monitor: str = "val/mIoU",
        monitor_mode: str = "max",
        prediction_dir: str | None = "predictions_test",
        figure_images: int = 4,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "optimizer"])
        self.class_names = list(class_names)
        self.palette = [[int(c) for c in rgb] for rgb in palette or class_palette(self.class_names)]
        if len(self.palette) != len(self.class_names):
            raise ValueError(f"{len(self.palette)} palette colours for {len(self.class_names)} classes")
        self.register_buffer(
            "class_weights", class_weight_tensor(class_weights, self.class_names), persistent=False
        )
        self.net = net(num_classes=len(self.class_names))
        self.optimizer_factory = optimizer

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)

    # -- training ---------------------------------------------------------------------------
    def pixel_loss(self, logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Cross-entropy over the labelled pixels (0 with a gradient when a batch has none)."""
        if not (mask != IGNORE_INDEX).any():
            return logits.sum() * 0.0
        weight = self.class_weights if isinstance(self.class_weights, torch.Tensor) else None
        return F.cross_entropy(logits.float(), mask, weight=weight, ignore_index=IGNORE_INDEX)

    def training_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        return self.pixel_loss(self.net(batch["image"]), batch["mask"])

    def batch_units(self, batch: dict[str, Any]) -> int:
        return len(batch["image"])

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self.logged_training_loss(batch, self.batch_units(batch))

    # -- evaluation -------------------------------------------------------------------------
    def make_evaluator(self, split: str) -> SegmentationEvaluator:
        """At test, predicted masks go to ``<run dir>/<prediction_dir>/`` (when the trainer has a run dir)."""
        run_dir = self.trainer.default_root_dir
        folder = self.hparams.prediction_dir
        test = split == "test"
        return SegmentationEvaluator(
            self.class_names,
            self.palette,
            split=split,
            prediction_dir=Path(run_dir) / folder if test and run_dir and folder else None,
            figure_images=self.hparams.figure_images if test else 0,
            title=getattr(self.datamodule, "name", ""),
        )

    def _evaluate(self, batch: dict[str, Any], split: str) -> None:
        logits = self.net(batch["image"])
        self.log(
            f"{split}/loss",
            self.pixel_loss(logits, batch["mask"]),
            on_epoch=True,
            batch_size=len(logits),
            sync_dist=True,
        )
        sizes = [tuple(m.shape[-2:]) for m in batch["mask_full"]]
        self.evaluator.process(batch, full_size_predictions(logits, sizes))

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    # -- optimisation -----------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)
