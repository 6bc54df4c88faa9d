"""LightningModules for 2D keypoints: a top-down heatmap model and torchvision's Keypoint R-CNN.

Both are scored the same way, per ground-truth person in the original frame: PCK@0.2 of the box
size, PCKh@0.5 of the head segment (where the skeleton has one), per-joint PCK and COCO-style OKS
AP with the skeleton's sigmas (:mod:`aihub_bench.metrics.keypoints`). Both log ``train/loss`` per
step and epoch and ``val/loss`` per epoch, the curves of the builders' check (``LossCurve``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torchvision.ops import box_iou

from aihub_bench.data.heatmaps import apply_affine, decode_heatmaps, flip_heatmaps, from_heatmap_coords
from aihub_bench.metrics.keypoint_evaluator import KeypointEvaluator
from aihub_bench.tasks.base import ReportColumn, TaskFamily, loss_columns, value
from aihub_bench.tasks.detection import DetectorLoss
from aihub_bench.tasks.evaluation import EvaluatingTask
from aihub_bench.tasks.optim import configure_optimization

KEYPOINTS = TaskFamily(
    name="keypoints",
    title="Keypoints",
    unit="img",
    headline=("test/PCK@0.2", "test/PCKh@0.5", "test/OKS_AP"),
    report_columns=(
        ReportColumn("PCK@0.2", (value("test/PCK@0.2"),)),
        ReportColumn("PCKh@0.5", (value("test/PCKh@0.5"),)),
        ReportColumn("OKS AP", (value("test/OKS_AP"),)),
        ReportColumn("OKS AP50", (value("test/OKS_AP50"),)),
        *loss_columns(),
    ),
)


class PoseTask(EvaluatingTask):
    """What every keypoint task shares: the skeleton, per-person predictions and the metrics.

    ``data_mode`` is what the datamodule must serve (``topdown`` crops or whole ``image`` frames);
    the model config sets it and the dataset config follows it.
    """

    DATA_MODE = "topdown"
    family = KEYPOINTS

    def __init__(
        self,
        optimizer: Callable[..., torch.optim.Optimizer],
        joint_names: Sequence[str],
        flip_pairs: Sequence[Sequence[int]],
        oks_sigmas: Sequence[float],
        head_segment: Sequence[int] | None = None,
        scheduler: dict[str, Any] | None = None,
        pck_alpha: float = 0.2,
        pckh_alpha: float = 0.5,
        monitor: str = "val/PCK@0.2",
        monitor_mode: str = "max",
        results_file: str = "predictions_test.json",
        data_mode: str | None = None,
    ) -> None:
        super().__init__()
        if data_mode not in (None, self.DATA_MODE):
            raise ValueError(f"{type(self).__name__} needs data_mode={self.DATA_MODE!r}, got {data_mode!r}")
        # every argument of this and the subclass's __init__ (the skeleton makes checkpoints self-describing)
        self.save_hyperparameters(ignore=["net", "optimizer"])
        self.joint_names = list(joint_names)
        self.flip_pairs = [(int(a), int(b)) for a, b in flip_pairs]
        self.optimizer_factory = optimizer
        self.evaluator = self.make_evaluator("test")  # replaced each epoch; here for direct calls

    # -- evaluation -------------------------------------------------------------------------
    def make_evaluator(self, split: str) -> KeypointEvaluator:
        return KeypointEvaluator(
            self.joint_names,
            self.hparams.oks_sigmas,
            head_segment=self.hparams.head_segment,
            pck_alpha=self.hparams.pck_alpha,
            pckh_alpha=self.hparams.pckh_alpha,
            results_file=self.hparams.results_file,
        )

    # -- optimisation -----------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)


class HeatmapPoseTask(PoseTask):
    """Top-down heatmap regression (SimpleBaseline): weighted MSE on Gaussian heatmaps.

    ``net`` is a factory ``net(num_joints=J)``. With ``flip_test`` the heatmaps of the flipped crop
    (left/right swapped back) are averaged in at evaluation. A joint's score is its heatmap peak;
    a person's score is the mean of its joints' scores.
    """

    def __init__(self, net: Callable[..., nn.Module], flip_test: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.net = net(num_joints=len(self.joint_names))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)

    @staticmethod
    def heatmap_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """Mean squared error over the supervised joints' heatmaps (others weigh 0)."""
        if pred.shape != target.shape:
            raise ValueError(
                f"the model gives heatmaps of {tuple(pred.shape[-2:])}, the data {tuple(target.shape[-2:])}: "
                "dataset.input_size must be a multiple of the backbone's stride (32) on both sides"
            )
        return ((pred - target) ** 2 * weight[:, :, None, None]).mean()

    def training_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        return self.heatmap_loss(self.net(batch["image"]), batch["heatmap"], batch["weight"])

    def batch_units(self, batch: dict[str, Any]) -> int:
        return len(batch["image"])

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self.logged_training_loss(batch, len(batch["image"]))

    def _evaluate(self, batch: dict[str, Any], split: str) -> None:
        heatmaps = self.net(batch["image"])
        self.log(
            f"{split}/loss",
            self.heatmap_loss(heatmaps, batch["heatmap"], batch["weight"]),
            on_epoch=True,
            batch_size=len(heatmaps),
            sync_dist=True,
        )
        if self.hparams.flip_test:
            flipped = self.net(batch["image"].flip(-1))
            heatmaps = (heatmaps + flip_heatmaps(flipped, self.flip_pairs)) / 2
        coords, joint_scores = decode_heatmaps(heatmaps.float().cpu())
        stride = batch["image"].shape[-1] // heatmaps.shape[-1]
        inputs = from_heatmap_coords(coords.numpy(), stride)
        inverse = batch["inverse"].cpu().numpy()
        original = np.stack([apply_affine(inputs[i], inverse[i]) for i in range(len(inputs))])
        scores = joint_scores.numpy()
        pred = np.concatenate([original, scores[..., None]], axis=-1)
        people = {k: batch[k].cpu().numpy() for k in ("keypoints", "box")}
        self.evaluator.process(
            {**people, "image_id": batch["image_id"].tolist()},
            {"keypoints": pred, "scores": scores.mean(axis=1)},
        )

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")


class KeypointRCNNTask(DetectorLoss, PoseTask):
    """torchvision Keypoint R-CNN (detects people, then their joints) on whole frames.

    ``net`` is a factory ``net(num_classes=1, num_keypoints=J)``. Each GT person is scored with the
    detection of highest box IoU; a person with no overlapping detection gets its joints at the box
    centre with score 0 (a miss, never a drop). The val loss is the detector's own losses computed
    with BatchNorm frozen, so validation does not move its statistics.
    """

    DATA_MODE = "image"

    def __init__(self, net: Callable[..., nn.Module], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.net = net(num_classes=1, num_keypoints=len(self.joint_names))

    def forward(self, images: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        return self.net(images)

    def _losses_frozen_bn(self, images: list, targets: list) -> torch.Tensor:
        self.net.train()
        for module in self.net.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()
        with torch.no_grad():
            loss = sum(self.net(images, targets).values())
        self.net.eval()
        return loss

    def _evaluate(self, batch: tuple[list, list], split: str) -> None:
        images, targets = batch
        valid = [t for t in targets if len(t["boxes"])]
        if len(valid) == len(targets):
            self.log(
                f"{split}/loss",
                self._losses_frozen_bn(images, targets),
                on_epoch=True,
                batch_size=len(images),
                sync_dist=True,
            )
        outputs = self.net(images)
        for output, target in zip(outputs, targets, strict=True):
            gt = target["keypoints_gt"].cpu().numpy()
            boxes = target["boxes"].cpu()
            if not len(boxes):
                continue
            pred, scores = _match_detections(output, boxes, gt.shape[1])
            self.evaluator.process(
                {"keypoints": gt, "box": boxes.numpy(), "image_id": [int(target["image_id"])] * len(gt)},
                {"keypoints": pred, "scores": scores},
            )

    def validation_step(self, batch: tuple[list, list], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: tuple[list, list], batch_idx: int) -> None:
        self._evaluate(batch, "test")


def _match_detections(
    output: dict[str, torch.Tensor], gt_boxes: torch.Tensor, num_joints: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each GT box, the keypoints (J, 3) and score of the detection with the highest IoU."""
    n = len(gt_boxes)
    centres = ((gt_boxes[:, :2] + gt_boxes[:, 2:]) / 2).numpy()
    pred = np.zeros((n, num_joints, 3), dtype=np.float64)
    pred[..., :2] = centres[:, None, :]
    scores = np.zeros(n)
    boxes = output["boxes"].detach().float().cpu()
    if len(boxes):
        iou = box_iou(gt_boxes.float(), boxes)
        best_iou, best = iou.max(dim=1)
        keypoints = output["keypoints"].detach().float().cpu().numpy()
        joint_scores = output["keypoints_scores"].detach().float().cpu().numpy()
        for i in range(n):
            if best_iou[i] > 0:
                d = int(best[i])
                pred[i, :, :2] = keypoints[d, :, :2]
                pred[i, :, 2] = 1.0 / (1.0 + np.exp(-joint_scores[d]))
                scores[i] = float(output["scores"][d])
    return pred, scores
