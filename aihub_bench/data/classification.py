"""Binary diagnosis from one or several views per case (mammography patients, fundus eyes).

A batch holds ``images`` ``(B, V, 3, H, W)`` with a ``view_mask`` ``(B, V)`` (a patient without
one view has zeros there and ``False``), the case ``label`` and per-view ``view_labels``, plus the
``case_id`` and ``group`` strings the metrics need. Images keep their aspect ratio: each view is
resized to fit ``image_size`` and padded with black.

Splits are either a grouped, stratified holdout (train/val/test) or, under cross-validation, one
fold as test with the other folds as the training side, from which a grouped, stratified val part
is held out (for the best checkpoint and the decision threshold).
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import albumentations as A
import cv2
import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from aihub_bench.data.base import SplitDataModule
from aihub_bench.data.folds import assert_groups_in_one_fold
from aihub_bench.data.splits import (
    assert_no_leakage,
    partition,
    stratified_group_split,
)
from aihub_bench.data.transforms import SeededCompose, normalise_image
from aihub_bench.errors import ErrorPolicy, OnError
from aihub_bench.formats.dicom import read_dicom_image
from aihub_bench.formats.images import load_rgb
from aihub_bench.records import ClassificationCase
from aihub_bench.run_dir import write_json

log = logging.getLogger(__name__)

Reader = Callable[..., list[ClassificationCase]]
DICOM_SUFFIXES = (".dcm", ".dicom")


def load_view(path: Path) -> np.ndarray:
    """``(H, W, 3)`` float32 in [0, 1]: DICOM through its display pipeline, other files as RGB."""
    if path.suffix.lower() in DICOM_SUFFIXES:
        grey = read_dicom_image(path).pixels
        return np.repeat(grey[:, :, None], 3, axis=2)
    return load_rgb(path).astype(np.float32) / 255.0


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """Lossy JPEG re-encode at ``quality`` (8 bits per channel, as a JPEG export would store it)."""
    as_uint8 = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    grey = bool(np.all(as_uint8[..., 0] == as_uint8[..., 1]) and np.all(as_uint8[..., 0] == as_uint8[..., 2]))
    Image.fromarray(as_uint8[..., 0] if grey else as_uint8).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0


def fit_and_pad(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize keeping the aspect ratio so the image fits ``height x width``, then centre-pad with 0."""
    h, w = image.shape[:2]
    scale = min(height / h, width / w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    out = np.zeros((height, width, image.shape[2]), dtype=np.float32)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    out[top : top + new_h, left : left + new_w] = resized
    return out


def classification_augment(
    hflip: float = 0.5, brightness_contrast: float = 0.0, affine: float = 0.0
) -> A.Compose:
    """Per-view training augmentation; each value is its transform's probability (0 = off)."""
    ops: list[A.BasicTransform] = []
    if hflip > 0:
        ops.append(A.HorizontalFlip(p=hflip))
    if affine > 0:
        ops.append(A.Affine(scale=(0.9, 1.1), rotate=(-10, 10), translate_percent=(-0.05, 0.05), p=affine))
    if brightness_contrast > 0:
        ops.append(A.RandomBrightnessContrast(0.15, 0.15, p=brightness_contrast))
    return SeededCompose(ops)


class ClassificationDataset(Dataset):
    """Cases -> view tensors, masks and labels (see the module docstring for the batch layout)."""

    def __init__(
        self,
        cases: Sequence[ClassificationCase],
        views: Sequence[str],
        image_size: tuple[int, int],
        augment: A.Compose | None = None,
        jpeg_quality: int | None = None,
    ) -> None:
        self.cases = list(cases)
        self.views = list(views)
        self.height, self.width = image_size
        self.augment = augment
        self.jpeg_quality = jpeg_quality

    def __len__(self) -> int:
        return len(self.cases)

    def _view_tensor(self, path: Path) -> torch.Tensor:
        image = load_view(path)
        if self.jpeg_quality is not None:
            image = jpeg_roundtrip(image, self.jpeg_quality)
        image = fit_and_pad(image, self.height, self.width)
        if self.augment is not None:
            image = self.augment(image=image)["image"]
        return normalise_image(image)

    def __getitem__(self, i: int) -> dict[str, Any]:
        case = self.cases[i]
        images = torch.zeros(len(self.views), 3, self.height, self.width)
        mask = torch.zeros(len(self.views), dtype=torch.bool)
        view_labels = torch.zeros(len(self.views))
        for v, view in enumerate(self.views):
            if view in case.views:
                images[v] = self._view_tensor(case.views[view])
                mask[v] = True
                view_labels[v] = case.view_label(view)
        return {
            "images": images,
            "view_mask": mask,
            "label": torch.tensor(float(case.label)),
            "view_labels": view_labels,
            "case_id": case.case_id,
            "group": case.group,
        }


class ClassificationDataModule(SplitDataModule):
    """Reads cases through ``reader`` (real root or synthetic twin) and serves one split or CV fold.

    ``class_names`` is ``[negative_name, positive_name]``. ``test_dataloader`` returns two loaders:
    the val part of the training side first (the task picks its decision threshold there), then
    the test part.
    """

    def __init__(
        self,
        reader: Reader,
        synthetic: Callable[[], str | Path] | None = None,
        root: str | None = None,
        name: str = "",
        on_error: OnError = "raise",
        views: Sequence[str] | None = None,
        negative_name: str = "negative",
        positive_name: str = "positive",
        image_size: Sequence[int] = (224, 224),
        jpeg_quality: int | None = None,
        batch_size: int = 8,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        augment: dict[str, float] | None = None,
        split: dict[str, Any] | None = None,
        max_cases: int | None = None,
    ) -> None:
        super().__init__()
        self.reader = reader
        self.synthetic = synthetic
        self.root = root
        self.name = name
        self.policy = ErrorPolicy(on_error)
        self.views = list(views) if views else None
        self.class_names = [negative_name, positive_name]
        self.image_size = _height_width(image_size)
        if jpeg_quality is not None and not 1 <= int(jpeg_quality) <= 100:
            raise ValueError(f"dataset.jpeg_quality must be in 1..100 (or null), got {jpeg_quality}")
        self.jpeg_quality = None if jpeg_quality is None else int(jpeg_quality)
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.augment_cfg = augment or {}
        self.split_cfg: dict[str, Any] = {"val_fraction": 0.1, "test_fraction": 0.2, "seed": 0}
        self.split_cfg.update(split or {})
        self.max_cases = max_cases
        self.cases: list[ClassificationCase] = []
        self.splits: dict[str, list[ClassificationCase]] = {}
        self.fold: int | None = None

    # -- reading ----------------------------------------------------------------------------
    def read(self) -> list[ClassificationCase]:
        """All usable cases (read once), sorted by id; the views list is fixed here too."""
        if self.cases:
            return self.cases
        root = self.resolved_root()
        log.info("Reading %s from %s", self.name or "dataset", root)
        cases = sorted(self.reader(root=root, policy=self.policy), key=lambda c: c.case_id)
        if self.max_cases:
            cases = cases[: self.max_cases]
        if not cases:
            raise ValueError(f"no usable cases found under {root} (see data_report.json)")
        if len({c.label for c in cases}) < 2:
            raise ValueError(
                f"{root}: every case has label {cases[0].label}; a binary task needs both classes"
            )
        if self.views is None:
            self.views = list(dict.fromkeys(v for c in cases for v in c.views))
        unknown = {v for c in cases for v in c.views} - set(self.views)
        if unknown:
            raise ValueError(f"cases have views {sorted(unknown)} that dataset.views does not list")
        self.cases = cases
        return cases

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        cases = self.read()
        groups = [c.group for c in cases]
        sides = stratified_group_split(
            groups,
            [c.label for c in cases],
            self.split_cfg["val_fraction"],
            self.split_cfg["test_fraction"],
            self.split_cfg["seed"],
        )
        self._assign(cases, sides)

    def use_fold(self, fold_of: Sequence[int], fold: int) -> None:
        """Cross-validation: fold ``fold`` is test; val is held out of the other folds, grouped."""
        cases = self.read()
        if len(fold_of) != len(cases):
            raise ValueError(f"{len(fold_of)} fold assignments for {len(cases)} cases")
        assert_groups_in_one_fold([c.group for c in cases], fold_of)
        training = [i for i, f in enumerate(fold_of) if f != fold]
        inner = stratified_group_split(
            [cases[i].group for i in training],
            [cases[i].label for i in training],
            self.split_cfg["val_fraction"],
            0.0,
            self.split_cfg["seed"] + fold,
        )
        sides = ["test"] * len(cases)
        for i, side in zip(training, inner, strict=True):
            sides[i] = side
        self.fold = fold
        self._assign(cases, sides)

    def _assign(self, cases: Sequence[ClassificationCase], sides: Sequence[str]) -> None:
        assert_no_leakage([c.group for c in cases], sides)
        self.splits = partition(cases, sides)
        for name, part in self.splits.items():
            labels = {c.label for c in part}
            if not part:
                raise ValueError(f"the {name} split is empty ({len(cases)} cases, split={self.split_cfg})")
            if labels != {0, 1}:
                log.warning("the %s split has only label %s: its AUC is undefined", name, labels)
        log.info("Split sizes%s: %s", "" if self.fold is None else f" (fold {self.fold})", self.split_sizes())

    def split_sizes(self) -> dict[str, dict[str, int]]:
        """Cases per class name in each split."""
        return {
            name: {self.class_names[label]: n for label, n in sorted(Counter(c.label for c in part).items())}
            for name, part in self.splits.items()
        }

    # -- run directory ----------------------------------------------------------------------
    def write_artifacts(self, run_dir: str | Path) -> None:
        """``data_report.json`` (skips, counts, split sizes by class) and ``splits.json``."""
        run_dir = Path(run_dir)
        report = self.policy.report()
        report["dataset"] = self.name
        report["views"] = self.views
        report["cases_per_class"] = dict(sorted(Counter(c.class_name for c in self.cases).items()))
        report["split_sizes"] = self.split_sizes()
        if self.fold is not None:
            report["fold"] = self.fold
        write_json(run_dir / "data_report.json", report)
        write_json(run_dir / "splits.json", {k: sorted({c.group for c in v}) for k, v in self.splits.items()})

    # -- loaders ----------------------------------------------------------------------------
    def dataset(self, split: str) -> ClassificationDataset:
        augment = (
            classification_augment(**self.augment_cfg) if split == "train" and self.augment_cfg else None
        )
        assert self.views is not None
        return ClassificationDataset(
            self.splits[split], self.views, self.image_size, augment, self.jpeg_quality
        )

    def test_dataloader(self) -> list[DataLoader]:
        return [self._loader("val", shuffle=False), self._loader("test", shuffle=False)]


def _height_width(image_size: Sequence[int] | int) -> tuple[int, int]:
    if isinstance(image_size, int):
        return image_size, image_size
    height, width = (int(v) for v in image_size)
    if min(height, width) < 16:
        raise ValueError(f"dataset.image_size must be [height, width] of at least 16 px, got {image_size}")
    return height, width
