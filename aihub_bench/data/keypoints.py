"""2D keypoint data: take-grouped splits, top-down person crops with heatmap targets, whole images.

Two ways to serve the same :class:`~aihub_bench.records.KeypointSample` records:

* ``mode=topdown`` (heatmap models): one item per person, the box padded and widened to the
  input aspect ratio, cropped by an affine warp (scale / rotation / flip augmentation in
  training), with Gaussian heatmap targets and per-joint weights.
* ``mode=image`` (Keypoint R-CNN): one item per frame, torchvision's ``(image, target)`` format.

Which joints are supervised: flags 1 (occluded) and 2 (visible), or flag 2 only with
``visible_only=true``, as the builders suggest. Metrics always score every labelled joint.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from aihub_bench.data.base import SplitDataModule
from aihub_bench.data.detection import collate_detection
from aihub_bench.data.heatmaps import (
    apply_affine,
    box_to_center_scale,
    crop_transform,
    encode_heatmaps,
    invert_affine,
    to_heatmap_coords,
)
from aihub_bench.data.splits import (
    assert_no_leakage,
    check_non_empty,
    partition,
    stratified_group_split,
)
from aihub_bench.data.transforms import normalise_image
from aihub_bench.errors import ErrorPolicy, OnError
from aihub_bench.formats.images import load_rgb
from aihub_bench.records import KeypointSample, Skeleton
from aihub_bench.run_dir import write_json

log = logging.getLogger(__name__)

Reader = Callable[..., list[KeypointSample]]
MODES = ("topdown", "image")


def supervised(flags: np.ndarray, visible_only: bool) -> np.ndarray:
    """Per-joint training weight (0/1) from the flags."""
    return ((flags == 2) if visible_only else (flags > 0)).astype(np.float32)


def swap_joints(values: np.ndarray, flip_pairs: Sequence[Sequence[int]]) -> np.ndarray:
    out = values.copy()
    for a, b in flip_pairs:
        out[[a, b]] = values[[b, a]]
    return out


class TopDownDataset(Dataset):
    """One item per person: the normalised crop, heatmaps, weights and what maps results back."""

    def __init__(
        self,
        instances: Sequence[tuple[KeypointSample, int]],
        skeleton: Skeleton,
        input_size: tuple[int, int],
        heatmap_stride: int,
        sigma: float,
        bbox_padding: float,
        visible_only: bool,
        augment: dict[str, float] | None = None,
    ) -> None:
        self.instances = list(instances)
        self.skeleton = skeleton
        self.input_size = input_size  # (height, width)
        self.stride = heatmap_stride
        self.heatmap_size = (input_size[0] // heatmap_stride, input_size[1] // heatmap_stride)
        self.sigma = sigma
        self.padding = bbox_padding
        self.visible_only = visible_only
        self.augment = augment or {}

    def __len__(self) -> int:
        return len(self.instances)

    def _jitter(self) -> tuple[float, float, bool]:
        """Scale factor, rotation (degrees) and flip drawn for one training item."""
        a = self.augment
        scale = 1.0 + random.uniform(-1, 1) * a.get("scale", 0.0)
        rotation = (
            random.uniform(-1, 1) * a.get("rotation", 0.0)
            if random.random() < a.get("rotation_p", 0.0)
            else 0.0
        )
        flip = random.random() < a.get("hflip", 0.0)
        return scale, rotation, flip

    def __getitem__(self, i: int) -> dict[str, Any]:
        sample, person = self.instances[i]
        image = load_rgb(sample.image_path, (sample.width, sample.height))
        keypoints = sample.keypoints[person]
        height, width = self.input_size
        center, size = box_to_center_scale(sample.boxes[person], width / height, self.padding)
        scale, rotation, flip = self._jitter() if self.augment else (1.0, 0.0, False)
        matrix = crop_transform(center, size * scale, self.input_size, rotation)
        crop = cv2.warpAffine(
            image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
        )
        joints = apply_affine(keypoints[:, :2], matrix)
        weights = supervised(keypoints[:, 2], self.visible_only)
        if flip:
            crop = crop[:, ::-1]
            joints[:, 0] = width - 1 - joints[:, 0]
            joints, weights = (
                swap_joints(joints, self.skeleton.flip_pairs),
                swap_joints(weights, self.skeleton.flip_pairs),
            )
        if self.augment.get("brightness_contrast", 0.0):
            strength = self.augment["brightness_contrast"]
            gain = 1.0 + random.uniform(-strength, strength)
            bias = random.uniform(-strength, strength) * 64
            crop = np.clip(crop.astype(np.float32) * gain + bias, 0, 255).astype(np.uint8)
        heatmaps, weights = encode_heatmaps(
            to_heatmap_coords(joints, self.stride), weights, self.heatmap_size, self.sigma
        )
        return {
            "image": normalise_image(crop.astype(np.float32) / 255.0),
            "heatmap": torch.from_numpy(heatmaps),
            "weight": torch.from_numpy(weights),
            "inverse": torch.from_numpy(invert_affine(matrix).astype(np.float32)),
            "keypoints": torch.from_numpy(keypoints.copy()),
            "box": torch.from_numpy(sample.boxes[person].copy()),
            "image_id": sample.image_id,
            "index": i,
        }


class ImageKeypointDataset(Dataset):
    """One item per frame in torchvision's detection format, with ``keypoints (N, J, 3)`` targets.

    torchvision supervises a keypoint when its third value is > 0, so unsupervised joints get 0 in
    ``keypoints``; ``keypoints_gt`` keeps the release's flags for the metrics.
    """

    def __init__(
        self, samples: Sequence[KeypointSample], skeleton: Skeleton, visible_only: bool, hflip: float = 0.0
    ) -> None:
        self.samples = list(samples)
        self.skeleton = skeleton
        self.visible_only = visible_only
        self.hflip = hflip

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        s = self.samples[i]
        image = load_rgb(s.image_path, (s.width, s.height))
        boxes = s.boxes.copy()
        keypoints = s.keypoints.copy()
        if self.hflip and random.random() < self.hflip:
            image = image[:, ::-1]
            boxes[:, [0, 2]] = s.width - boxes[:, [2, 0]]
            keypoints[..., 0] = s.width - 1 - keypoints[..., 0]
            keypoints = np.stack([swap_joints(k, self.skeleton.flip_pairs) for k in keypoints])
        trained = keypoints.copy()
        trained[..., 2] = supervised(keypoints[..., 2], self.visible_only)
        target = {
            "boxes": torch.from_numpy(boxes),
            "labels": torch.ones(len(boxes), dtype=torch.int64),
            "keypoints": torch.from_numpy(trained),
            "keypoints_gt": torch.from_numpy(keypoints),
            "image_id": torch.tensor(s.image_id, dtype=torch.int64),
        }
        tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0)
        return tensor, target


class KeypointDataModule(SplitDataModule):
    """Reads keypoint records, splits them by take (asserted) and serves top-down or image batches.

    ``val_sample=N`` validates on a seeded random sample of N val frames, as the builders did
    (200k of 4M images); test always uses the whole test split.
    """

    def __init__(
        self,
        reader: Reader,
        skeleton: Skeleton,
        synthetic: Callable[[], str | Path] | None = None,
        root: str | None = None,
        name: str = "",
        on_error: OnError = "raise",
        mode: str = "topdown",
        split: dict[str, Any] | None = None,
        val_sample: int | None = None,
        input_size: Sequence[int] = (256, 192),
        heatmap_stride: int = 4,
        sigma: float = 2.0,
        bbox_padding: float = 1.25,
        visible_only: bool = False,
        batch_size: int = 32,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        augment: dict[str, float] | None = None,
        max_samples: int | None = None,
    ) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"dataset.mode must be one of {MODES}, got {mode!r}")
        height, width = (int(v) for v in input_size)
        if height % heatmap_stride or width % heatmap_stride:
            raise ValueError(
                f"dataset.input_size [{height}, {width}] ([height, width]) must be divisible by "
                f"heatmap_stride={heatmap_stride}"
            )
        self.reader, self.skeleton, self.synthetic, self.root, self.name = (
            reader,
            skeleton,
            synthetic,
            root,
            name,
        )
        self.policy = ErrorPolicy(on_error)
        self.mode = mode
        self.split_cfg: dict[str, Any] = {
            "val_fraction": 0.1,
            "test_fraction": 0.2,
            "seed": 0,
            "stratify_by": ["action"],
        }
        self.split_cfg.update(split or {})
        self.val_sample = val_sample
        self.input_size = (height, width)
        self.heatmap_stride, self.sigma, self.bbox_padding = heatmap_stride, sigma, bbox_padding
        self.visible_only = visible_only
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.augment_cfg = augment or {}
        self.max_samples = max_samples
        self.splits: dict[str, list[KeypointSample]] = {}
        self.instances: dict[str, list[tuple[KeypointSample, int]]] = {}
        self.class_names = ["person"]
        self.collate_fn = collate_detection if mode == "image" else None

    # -- data preparation -------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        root = self.resolved_root()
        log.info("Reading %s from %s", self.name or "dataset", root)
        samples = sorted(self.reader(root=root, policy=self.policy), key=lambda s: s.image_id)
        if not samples:
            raise ValueError(f"no usable frames found under {root} (see data_report.json)")
        joints = {s.keypoints.shape[1] for s in samples}
        if joints != {len(self.skeleton.joints)}:
            raise ValueError(
                f"frames have {sorted(joints)} joints; the skeleton has {len(self.skeleton.joints)}"
            )
        if self.max_samples:
            samples = samples[: self.max_samples]
        groups = [s.group or str(s.image_path) for s in samples]
        strata = [tuple(s.meta.get(k) for k in self.split_cfg.get("stratify_by") or ()) for s in samples]
        cfg = self.split_cfg
        sides = stratified_group_split(groups, strata, cfg["val_fraction"], cfg["test_fraction"], cfg["seed"])
        assert_no_leakage(groups, sides)
        self.splits = partition(samples, sides)
        if self.val_sample and len(self.splits["val"]) > self.val_sample:
            chosen = random.Random(cfg["seed"]).sample(range(len(self.splits["val"])), self.val_sample)
            self.splits["val"] = [self.splits["val"][i] for i in sorted(chosen)]
        check_non_empty(self.splits, len(samples), "frames", self.split_cfg)
        self.instances = {name: self._instances(name, frames) for name, frames in self.splits.items()}
        log.info("Split sizes (frames): %s", {k: len(v) for k, v in self.splits.items()})

    def _instances(self, split: str, frames: Sequence[KeypointSample]) -> list[tuple[KeypointSample, int]]:
        """The people a split uses, the others counted (never silently lost): in training those with a
        supervised joint; in val / test those with any labelled joint, whatever ``visible_only`` says."""
        visible_only = self.visible_only and split == "train"
        out = []
        for sample in frames:
            for person, keypoints in enumerate(sample.keypoints):
                if supervised(keypoints[:, 2], visible_only).any():
                    out.append((sample, person))
                else:
                    self.policy.count(f"{split}_people_without_usable_joints")
        return out

    def model_kwargs(self) -> dict[str, Any]:
        return self.skeleton.as_kwargs()

    # -- artefacts for the run directory -----------------------------------------------------
    def write_artifacts(self, run_dir: str | Path) -> None:
        """``data_report.json`` (skips, counts, split sizes, joint flags) and ``splits.json`` (takes)."""
        run_dir = Path(run_dir)
        report = self.policy.report()
        report["dataset"] = self.name
        report["mode"] = self.mode
        report["visible_only"] = self.visible_only
        report["split_frames"] = {k: len(v) for k, v in self.splits.items()}
        report["split_people"] = {k: len(v) for k, v in self.instances.items()}
        report["split_takes"] = {k: len({s.group for s in v}) for k, v in self.splits.items()}
        report["joint_flags"] = {
            k: {
                str(f): n
                for f, n in sorted(Counter(int(f) for s in v for f in s.keypoints[..., 2].ravel()).items())
            }
            for k, v in self.splits.items()
        }
        write_json(run_dir / "data_report.json", report)
        write_json(run_dir / "splits.json", {k: sorted({s.group for s in v}) for k, v in self.splits.items()})

    # -- loaders ----------------------------------------------------------------------------
    def dataset(self, split: str) -> Dataset:
        train = split == "train"
        if self.mode == "image":
            return ImageKeypointDataset(
                self.splits[split],
                self.skeleton,
                self.visible_only,
                self.augment_cfg.get("hflip", 0.0) if train else 0.0,
            )
        return TopDownDataset(
            self.instances[split],
            self.skeleton,
            self.input_size,
            self.heatmap_stride,
            self.sigma,
            self.bbox_padding,
            self.visible_only,
            self.augment_cfg if train else None,
        )
