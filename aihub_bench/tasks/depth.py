"""LightningModule for monocular depth estimation from the left image of a stereo set.

Loss on the valid pixels whose ground truth lies in ``(min_depth, max_depth)``: the scale-invariant log
loss (SILog; Eigen et al. 2014, in BTS's form ``scale * sqrt(mean d² - λ (mean d)²)``, d = ln pred - ln gt)
or L1. Evaluation upsamples each prediction bilinearly to its ground truth's resolution and scores it
there (:class:`~aihub_bench.metrics.depth_evaluator.DepthEvaluator`: AbsRel, SqRel, RMSE, RMSE log,
SILog, δ1-3 per image, averaged over images). ``train/loss`` per step and epoch and ``val/loss`` per
epoch feed ``LossCurve``'s ``train/loss_first / last / decreased``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from aihub_bench.metrics.depth_evaluator import DepthEvaluator
from aihub_bench.tasks.base import ReportColumn, TaskFamily, loss_columns, value
from aihub_bench.tasks.evaluation import EvaluatingTask
from aihub_bench.tasks.optim import configure_optimization

DEPTH = TaskFamily(
    name="depth",
    title="Depth estimation",
    unit="img",
    headline=("test/abs_rel", "test/delta1", "test/rmse"),
    report_columns=(
        ReportColumn("AbsRel", (value("test/abs_rel"),)),
        ReportColumn("SqRel", (value("test/sq_rel"),)),
        ReportColumn("RMSE", (value("test/rmse"),)),
        ReportColumn("RMSE log", (value("test/rmse_log"),)),
        ReportColumn("δ1", (value("test/delta1"),), "delta1"),
        ReportColumn("δ2", (value("test/delta2"),), "delta2"),
        ReportColumn("δ3", (value("test/delta3"),), "delta3"),
        *loss_columns(),
    ),
)
LOSSES = ("silog", "l1")


def silog_loss(
    pred: torch.Tensor,
    gt: torch.Tensor,
    mask: torch.Tensor,
    variance_focus: float = 0.85,
    scale: float = 10.0,
) -> torch.Tensor:
    """``scale * sqrt(mean d² - variance_focus * (mean d)²)`` over the masked pixels of the batch,
    d = ln pred - ln gt (BTS; ``variance_focus`` 1 is Eigen's fully scale-invariant error, 0 plain log RMSE)."""
    d = torch.log(pred[mask].clamp_min(1e-6)) - torch.log(gt[mask])
    variance = (d**2).mean() - variance_focus * d.mean() ** 2
    return scale * torch.sqrt(variance.clamp_min(1e-8))


class DepthTask(EvaluatingTask):
    """Trains ``net`` (a factory ``net(max_depth=...)``, e.g. :func:`~aihub_bench.models.depth.build_unet_depth`).

    ``max_depth`` bounds the network's output and the pixels trained on; ``min_depth`` and
    ``eval_max_depth`` (default: ``max_depth``) bound the pixels scored; ``loss`` is ``silog`` (with
    ``silog_variance_focus`` λ and ``silog_scale``) or ``l1``.
    """

    family = DEPTH
    evaluator: DepthEvaluator

    def __init__(
        self,
        net: Callable[..., nn.Module],
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: dict[str, Any] | None = None,
        loss: str = "silog",
        silog_variance_focus: float = 0.85,
        silog_scale: float = 10.0,
        max_depth: float = 80.0,
        min_depth: float = 1e-3,
        eval_max_depth: float | None = None,
        figure_images: int = 4,
        monitor: str = "val/abs_rel",
        monitor_mode: str = "min",
        results_file: str = "depth_metrics_test.csv",
        figure_file: str | None = "depth_test.png",
    ) -> None:
        super().__init__()
        if loss not in LOSSES:
            raise ValueError(f"model.loss must be one of {LOSSES}, got {loss!r}")
        if not 0 <= min_depth < max_depth:
            raise ValueError(f"need 0 <= model.min_depth < model.max_depth, got {min_depth} and {max_depth}")
        if eval_max_depth is not None and not min_depth < eval_max_depth:
            raise ValueError(f"model.eval_max_depth={eval_max_depth} must exceed model.min_depth={min_depth}")
        self.save_hyperparameters(ignore=["net", "optimizer"])
        self.net = net(max_depth=max_depth)
        self.optimizer_factory = optimizer
        self.evaluator = self.make_evaluator("test")  # replaced each epoch; here for direct calls

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)

    # -- training ---------------------------------------------------------------------------
    def supervised(self, batch: dict[str, Any]) -> torch.Tensor:
        """The pixels a loss uses: valid, with ground truth in ``(min_depth, max_depth)``."""
        gt = batch["depth"]
        return batch["valid"] & (gt > self.hparams.min_depth) & (gt < self.hparams.max_depth)

    def loss(self, pred: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:
        """The configured loss on the supervised pixels (0, still attached to the graph, when none)."""
        pred, gt, mask = pred.float(), batch["depth"].float(), self.supervised(batch)
        if not mask.any():
            return pred.sum() * 0.0
        if self.hparams.loss == "l1":
            return F.l1_loss(pred[mask], gt[mask])
        return silog_loss(pred, gt, mask, self.hparams.silog_variance_focus, self.hparams.silog_scale)

    def training_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        return self.loss(self.net(batch["image"]), batch)

    def batch_units(self, batch: dict[str, Any]) -> int:
        return len(batch["image"])

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self.logged_training_loss(batch, len(batch["image"]))

    # -- evaluation -------------------------------------------------------------------------
    def make_evaluator(self, split: str) -> DepthEvaluator:
        hp = self.hparams
        return DepthEvaluator(
            min_depth=hp.min_depth,
            max_depth=hp.eval_max_depth if hp.eval_max_depth is not None else hp.max_depth,
            figure_images=hp.figure_images,
            results_file=hp.results_file,
            figure_file=hp.figure_file,
        )

    def full_resolution(self, pred: torch.Tensor, batch: dict[str, Any]) -> list[np.ndarray]:
        """Each prediction upsampled bilinearly to its ground truth's ``(H, W)``, as a NumPy array."""
        out = []
        for one, gt in zip(pred.float(), batch["depth_full"], strict=True):
            resized = F.interpolate(one[None], size=tuple(gt.shape), mode="bilinear", align_corners=False)
            out.append(resized[0, 0].cpu().numpy())
        return out

    def _evaluate(self, batch: dict[str, Any], split: str) -> None:
        pred = self.net(batch["image"])
        self.log(f"{split}/loss", self.loss(pred, batch), on_epoch=True, batch_size=len(pred), sync_dist=True)
        self.evaluator.process(batch, self.full_resolution(pred, batch))

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    # -- optimisation -----------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)
