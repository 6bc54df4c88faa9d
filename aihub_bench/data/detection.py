"""Generic detection DataModule: records -> split -> tensors in torchvision's detection format."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch.utils.data import Dataset

from aihub_bench.data.base import SplitDataModule
from aihub_bench.data.splits import (
    assert_no_leakage,
    check_non_empty,
    holdout_split,
    partition,
    stratified_group_split,
)
from aihub_bench.data.transforms import detection_augment
from aihub_bench.errors import ErrorPolicy, OnError
from aihub_bench.formats.images import load_rgb
from aihub_bench.records import DetectionSample

log = logging.getLogger(__name__)

Reader = Callable[..., list[DetectionSample]]


def rasterize_polygons(parts: Sequence[np.ndarray], width: int, height: int) -> np.ndarray:
    """Union of polygon parts as a ``(H, W)`` uint8 mask."""
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for part in parts:
        draw.polygon([tuple(p) for p in np.asarray(part, dtype=float).tolist()], fill=1)
    return np.asarray(canvas, dtype=np.uint8)


class DetectionDataset(Dataset):
    """Turns :class:`DetectionSample` records into ``(image, target)`` pairs for torchvision."""

    def __init__(
        self,
        samples: Sequence[DetectionSample],
        class_names: Sequence[str],
        with_masks: bool,
        augment: Callable[..., dict] | None = None,
    ) -> None:
        self.samples = list(samples)
        self.index_of = {name: i + 1 for i, name in enumerate(class_names)}  # 0 is background
        self.with_masks = with_masks
        self.augment = augment

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        s = self.samples[i]
        image = load_rgb(s.image_path, (s.width, s.height))
        boxes = s.boxes.copy()
        labels = [self.index_of[name] for name in s.labels]
        masks = (
            [rasterize_polygons(parts, s.width, s.height) for parts in s.polygons]
            if self.with_masks and s.polygons is not None
            else None
        )
        if self.augment is not None:
            kwargs: dict[str, Any] = {"image": image, "bboxes": boxes, "labels": labels}
            if masks:
                kwargs["masks"] = masks
            out = self.augment(**kwargs)
            image, boxes, labels = out["image"], np.asarray(out["bboxes"]), list(out["labels"])
            masks = out.get("masks", masks)
            if len(labels) != len(s.labels):
                raise RuntimeError(
                    f"{s.image_path}: augmentation dropped objects; use flips/photometric only"
                )
        target: dict[str, torch.Tensor] = {
            "boxes": torch.as_tensor(np.asarray(boxes, dtype=np.float32).reshape(-1, 4)),
            "labels": torch.as_tensor(labels, dtype=torch.int64),
            "image_id": torch.tensor(s.image_id, dtype=torch.int64),
        }
        if self.with_masks:
            stacked = np.stack(masks) if masks else np.zeros((0, image.shape[0], image.shape[1]), np.uint8)
            target["masks"] = torch.as_tensor(stacked, dtype=torch.uint8)
        tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0)
        return tensor, target


def collate_detection(batch: list[tuple[torch.Tensor, dict]]) -> tuple[list[torch.Tensor], list[dict]]:
    images, targets = zip(*batch, strict=True)
    return list(images), list(targets)


class DetectionDataModule(SplitDataModule):
    """Reads a dataset through its ``reader``, splits it without leakage and serves batches.

    ``root=None`` means "use the synthetic twin": ``synthetic()`` generates it (cached) and
    returns its root, which is then read by the very same reader as a real download.
    """

    collate_fn = staticmethod(collate_detection)

    def __init__(
        self,
        reader: Reader,
        synthetic: Callable[[], str | Path] | None = None,
        root: str | None = None,
        name: str = "",
        on_error: OnError = "raise",
        split: dict[str, Any] | None = None,
        with_masks: bool = True,
        label_names: Sequence[str] | None = None,
        input_min_size: int | None = None,
        input_max_size: int | None = None,
        batch_size: int = 2,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        augment: dict[str, float] | None = None,
        max_samples: int | None = None,
        group_results_by: str | None = None,
        condition_results_by: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.reader = reader
        self.synthetic = synthetic
        self.root = root
        self.name = name
        self.policy = ErrorPolicy(on_error)  # validates on_error early
        self.split_cfg: dict[str, Any] = {
            "strategy": "random",
            "val_fraction": 0.1,
            "test_fraction": 0.2,
            "seed": 0,
        }
        self.split_cfg.update(split or {})
        self.with_masks = with_masks
        self.fixed_classes = list(label_names) if label_names else None
        # the model input size this dataset is meant for (detection models read it from the config)
        self.input_min_size, self.input_max_size = input_min_size, input_max_size
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.augment_cfg = augment or {}
        self.max_samples = max_samples
        self.group_results_by = group_results_by
        self.condition_results_by = list(condition_results_by or [])
        self.splits: dict[str, list[DetectionSample]] = {}
        self.class_names: list[str] = []
        self.class_groups: dict[str, str] = {}

    # -- data preparation -------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        root = self.resolved_root()
        log.info("Reading %s from %s", self.name or "dataset", root)
        samples = self.reader(root=root, policy=self.policy)
        if not samples:
            raise ValueError(f"no usable samples found under {root} (see data_report.json)")
        samples = sorted(samples, key=lambda s: s.image_id)
        if self.max_samples:
            samples = samples[: self.max_samples]
        self.class_names = self.fixed_classes or sorted({label for s in samples for label in s.labels})
        unknown = {label for s in samples for label in s.labels} - set(self.class_names)
        if unknown:
            raise ValueError(f"dataset.label_names does not list {sorted(unknown)}")
        if self.group_results_by:
            self.class_groups = self._class_groups(samples, self.group_results_by)
        for key in self.condition_results_by:
            lacking = next((s for s in samples if key not in s.meta), None)
            if lacking is not None:
                raise ValueError(
                    f"dataset.condition_results_by names {key!r}, but {lacking.image_path} has no such field "
                    f"(it has {sorted(lacking.meta)})"
                )
        sides = self._assign_splits(samples)
        self.splits = partition(samples, sides)
        check_non_empty(self.splits, len(samples), "samples", self.split_cfg)
        if self.with_masks and any(s.polygons is None for s in samples):
            raise ValueError(f"dataset {self.name!r} has boxes only; a mask model needs polygon annotations")
        log.info("Split sizes: %s", {k: len(v) for k, v in self.splits.items()})

    def _class_groups(self, samples: Sequence[DetectionSample], key: str) -> dict[str, str]:
        """Class -> value of ``meta[key]`` (e.g. its domain), for per-group results."""
        seen: dict[str, Counter[str]] = {}
        for s in samples:
            if key not in s.meta:
                raise ValueError(f"dataset.group_results_by={key!r}, but {s.image_path} has no such field")
            for label in s.labels:
                seen.setdefault(label, Counter())[str(s.meta[key])] += 1
        ambiguous = sorted(label for label, c in seen.items() if len(c) > 1)
        if ambiguous:
            log.warning(
                "%d classes occur under several %s values (first: %s); each is reported under its "
                "most frequent one",
                len(ambiguous),
                key,
                ambiguous[0],
            )
        return {label: c.most_common(1)[0][0] for label, c in sorted(seen.items())}

    def _assign_splits(self, samples: Sequence[DetectionSample]) -> list[str]:
        cfg = self.split_cfg
        groups = [s.group or str(s.image_path) for s in samples]
        strata = [tuple(s.meta.get(k) for k in cfg.get("stratify_by", ())) for s in samples]
        if cfg["strategy"] == "random":
            sides = stratified_group_split(
                groups, strata, cfg["val_fraction"], cfg["test_fraction"], cfg["seed"]
            )
        elif cfg["strategy"] == "holdout":
            key, value = cfg["holdout_key"], cfg["holdout_value"]
            present = sorted({str(s.meta.get(key)) for s in samples})
            if value not in present:
                raise ValueError(f"split.holdout_value={value!r} not among {key} values {present}")
            holdout = [s.meta.get(key) == value for s in samples]
            sides = holdout_split(groups, strata, holdout, cfg["val_fraction"], cfg["seed"])
        else:
            raise ValueError(f"split.strategy must be 'random' or 'holdout', got {cfg['strategy']!r}")
        assert_no_leakage(groups, sides)
        return sides

    # -- artefacts for the run directory -----------------------------------------------------
    def write_artifacts(self, run_dir: str | Path) -> None:
        """``data_report.json`` (skips, counts, split sizes) and ``splits.json`` (who went where)."""
        run_dir = Path(run_dir)
        report = self.policy.report()
        report["dataset"] = self.name
        report["split_sizes"] = {k: len(v) for k, v in self.splits.items()}
        report["objects_per_class"] = {
            split: dict(sorted(self.object_counts(split).items())) for split in self.splits
        }
        missing = sorted(set(self.class_names) - set(self.object_counts("train")))
        if missing:
            report["classes_without_training_objects"] = missing
            log.warning("%d classes have no object in the train split (first: %s)", len(missing), missing[0])
        (run_dir / "data_report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
        assignment = {k: [str(s.group or s.image_path) for s in v] for k, v in self.splits.items()}
        (run_dir / "splits.json").write_text(json.dumps(assignment, indent=1, ensure_ascii=False), "utf-8")

    def image_conditions(self, split: str) -> dict[int, dict[str, str]]:
        """Image id -> its value of each ``condition_results_by`` key (empty when there are none)."""
        keys = self.condition_results_by
        if not keys:
            return {}
        return {s.image_id: {k: str(s.meta[k]) for k in keys} for s in self.splits.get(split, [])}

    def object_counts(self, split: str) -> Counter[str]:
        """Number of annotated objects per class in ``split``."""
        return Counter(label for s in self.splits.get(split, []) for label in s.labels)

    # -- loaders ----------------------------------------------------------------------------
    def dataset(self, split: str) -> DetectionDataset:
        augment = detection_augment(**self.augment_cfg) if split == "train" and self.augment_cfg else None
        return DetectionDataset(self.splits[split], self.class_names, self.with_masks, augment)
