"""2D keypoint evaluator: PCK / PCKh / OKS AP per ground-truth person, ``predictions_test.json``."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aihub_bench.metrics.evaluator import Evaluator, Metrics
from aihub_bench.metrics.keypoints import bbox_norm, head_norm, oks_ap, pck
from aihub_bench.run_dir import write_json

log = logging.getLogger(__name__)

# one ground-truth person: gt (J, 3), pred (J, 3) as x, y, score, box xyxy, image id, person score
Person = tuple[np.ndarray, np.ndarray, np.ndarray, int, float]


class KeypointEvaluator(Evaluator):
    """Scores one prediction per ground-truth person, in the original frame's coordinates.

    ``process(people, outputs)``: ``people`` has the GT ``keypoints`` (N, J, 3), ``box`` (N, 4)
    and ``image_id`` (N,) of N people; ``outputs`` their predicted ``keypoints`` (N, J, 3) and
    person ``scores`` (N,). A top-down batch is such a mapping as it comes.
    """

    def __init__(
        self,
        joint_names: Sequence[str],
        oks_sigmas: Sequence[float],
        head_segment: Sequence[int] | None = None,
        pck_alpha: float = 0.2,
        pckh_alpha: float = 0.5,
        results_file: str = "predictions_test.json",
    ) -> None:
        super().__init__()
        self.joint_names = list(joint_names)
        self.oks_sigmas = list(oks_sigmas)
        self.head_segment = (int(head_segment[0]), int(head_segment[1])) if head_segment else None
        self.pck_alpha = pck_alpha
        self.pckh_alpha = pckh_alpha
        self.results_file = results_file

    def process(self, batch: Mapping[str, Any], outputs: Mapping[str, Any]) -> None:
        gt, boxes = np.asarray(batch["keypoints"]), np.asarray(batch["box"])
        pred, scores = np.asarray(outputs["keypoints"]), np.asarray(outputs["scores"])
        image_ids = batch["image_id"]
        self.add(*((gt[i], pred[i], boxes[i], int(image_ids[i]), float(scores[i])) for i in range(len(gt))))

    @property
    def rows(self) -> list[Person]:
        """This rank's people processed so far (before gathering)."""
        return list(self._items)

    def compute(self, items: list[Person]) -> Metrics:
        """PCK@alpha (mean and per joint), PCKh, OKS AP/AP50/AP75/AR and the people counted."""
        gt = np.stack([r[0] for r in items]).astype(np.float64)
        pred = np.stack([r[1] for r in items]).astype(np.float64)
        boxes = np.stack([r[2] for r in items]).astype(np.float64)
        scores = np.array([r[4] for r in items])
        alpha, alpha_h = self.pck_alpha, self.pckh_alpha
        out: dict[str, float] = {}
        by_box = pck(pred, gt, bbox_norm(boxes), alpha)
        out[f"PCK@{alpha:g}"] = by_box["mean"]
        for name, score in zip(self.joint_names, by_box["per_joint"], strict=True):
            out[f"PCK@{alpha:g}/{name}"] = float(score)
        if self.head_segment:
            by_head = pck(pred, gt, head_norm(gt, self.head_segment), alpha_h)
            out[f"PCKh@{alpha_h:g}"] = by_head["mean"]
            out["PCKh_people"] = float(by_head["num_instances"])
        if (gt[..., 2] > 0).any():
            oks = oks_ap(gt, pred, boxes, self.oks_sigmas, scores=scores)
            out.update({k: float(v) for k, v in oks.items() if k.startswith("OKS_")})
        out["people"] = float(len(items))
        return {k: v for k, v in out.items() if not math.isnan(v)}

    def write(self, run_dir: Path) -> list[Path]:
        """Every person's prediction in COCO's keypoint results format (nothing when none)."""
        if not self.gathered:
            return []
        path = run_dir / self.results_file
        write_json(
            path,
            [coco_keypoint_result(pred, image_id, score) for _, pred, _, image_id, score in self.gathered],
        )
        log.info("Keypoint predictions written to %s", path)
        return [path]


def coco_keypoint_result(pred: np.ndarray, image_id: int, score: float) -> dict[str, Any]:
    """One person in COCO's keypoint results format."""
    flat = [round(float(v), 2) for joint in pred for v in joint]
    return {"image_id": image_id, "category_id": 1, "keypoints": flat, "score": round(score, 4)}
