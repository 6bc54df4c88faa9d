"""Monocular depth data: stereo sets -> the left image and metric depth from the disparity map.

Each :class:`~aihub_bench.records.DepthSample` is served as the left image's disparity window (rows
``crop_top : crop_top + height``) resized to ``input_size`` and the depth ``fx * baseline / disparity``
nearest-resized with it (never interpolated across holes). Valid pixels have a disparity > 0 (and,
with ``use_confidence``, a confident pixel where the set has a confidence map). Val/test batches also
carry the full-resolution depth and validity, so metrics are computed at the ground truth's own size.
With ``band_rows``, a map taller than that (a raw frame whose disparity has values only in a central
band of rows) is cut, with its left window, to the centred band: raw frames and crops then show the
model the same field of view at the same scale.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import albumentations as A
import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from aihub_bench.data.base import SplitDataModule
from aihub_bench.data.splits import (
    assert_no_leakage,
    check_non_empty,
    partition,
    stratified_group_split,
)
from aihub_bench.data.transforms import SeededCompose, normalise_image
from aihub_bench.errors import BadInputError, ErrorPolicy, OnError
from aihub_bench.formats.disparity import (
    depth_from_disparity,
    read_confidence_png,
    read_disparity_header,
    read_disparity_png,
)
from aihub_bench.formats.images import load_rgb, read_image_header
from aihub_bench.records import DepthSample
from aihub_bench.run_dir import write_json

log = logging.getLogger(__name__)

Reader = Callable[..., list[DepthSample]]
AUGMENTS = ("hflip", "brightness_contrast")
# data_report.json's depth statistics read this many train maps (seeded), this many pixels of each
STATS_MAPS = 100
STATS_PIXELS_PER_MAP = 20_000


# -- one stereo set ------------------------------------------------------------------------------
def check_window(sample: DepthSample, left_size: tuple[int, int]) -> None:
    """Refuse a left image (``(width, height)``) that does not hold the disparity map's window: another
    width (another resolution: fx would not match) or too few rows below ``crop_top``."""
    width, height = left_size
    if width != sample.width or height < sample.crop_top + sample.height:
        raise BadInputError(
            sample.left_path,
            f"left image is {width}x{height}; the disparity map ({sample.width}x{sample.height} at row "
            f"{sample.crop_top}) needs width {sample.width} and at least {sample.crop_top + sample.height} rows",
            "size_mismatch",
        )


def _check_map_size(path: Path, size: tuple[int, int], sample: DepthSample, what: str) -> None:
    if size != (sample.width, sample.height):
        raise BadInputError(
            path,
            f"{what} is {size[0]}x{size[1]} but the set's disparity window is {sample.width}x{sample.height}",
            "size_mismatch",
        )


def check_depth_set(sample: DepthSample, use_confidence: bool) -> None:
    """Header-level checks of one set (no pixel decoded): the disparity map is 16-bit and
    ``width`` x ``height``, the left image holds the window, the confidence map (when used) matches."""
    _check_map_size(
        sample.disparity_path, read_disparity_header(sample.disparity_path), sample, "disparity map"
    )
    check_window(sample, read_image_header(sample.left_path))
    if use_confidence and sample.confidence_path is not None:
        size = read_image_header(sample.confidence_path)
        _check_map_size(sample.confidence_path, size, sample, "confidence map")


def load_depth(sample: DepthSample, use_confidence: bool) -> tuple[np.ndarray, np.ndarray]:
    """Depth in metres and the valid mask, both ``(height, width)``: disparity > 0, AND confidence when
    ``use_confidence`` and the set has a confidence map."""
    disparity = read_disparity_png(sample.disparity_path, sample.disparity_scale)
    _check_map_size(sample.disparity_path, (disparity.shape[1], disparity.shape[0]), sample, "disparity map")
    valid = disparity > 0
    if use_confidence and sample.confidence_path is not None:
        confidence = read_confidence_png(sample.confidence_path)
        _check_map_size(
            sample.confidence_path, (confidence.shape[1], confidence.shape[0]), sample, "confidence map"
        )
        valid &= confidence
    return depth_from_disparity(disparity, sample.fx, sample.baseline_m), valid


def load_left_window(sample: DepthSample) -> np.ndarray:
    """The left image's rows under the disparity map, ``(height, width, 3)`` uint8."""
    image = load_rgb(sample.left_path)
    check_window(sample, (image.shape[1], image.shape[0]))
    return image[sample.crop_top : sample.crop_top + sample.height]


def depth_augment(hflip: float = 0.0, brightness_contrast: float = 0.0) -> A.Compose:
    """Horizontal flips (the depth and valid maps flip with the image) and brightness/contrast."""
    ops: list[A.BasicTransform] = []
    if hflip > 0:
        ops.append(A.HorizontalFlip(p=hflip))
    if brightness_contrast > 0:
        ops.append(A.RandomBrightnessContrast(p=brightness_contrast))
    return SeededCompose(ops, additional_targets={"depth": "mask", "valid": "mask"})


# -- datasets and batches ------------------------------------------------------------------------
class DepthDataset(Dataset):
    """One item per stereo set: ``image`` (3, h, w), ``depth`` and ``valid`` (1, h, w) at ``input_size``
    (``[height, width]``), and with ``full_resolution`` the ``(H, W)`` maps ``depth_full``/``valid_full``."""

    def __init__(
        self,
        samples: Sequence[DepthSample],
        input_size: tuple[int, int],
        use_confidence: bool,
        full_resolution: bool,
        augment: A.Compose | None = None,
        band_rows: int | None = None,
    ) -> None:
        self.samples = list(samples)
        self.band_rows = band_rows
        self.input_size = input_size
        self.use_confidence = use_confidence
        self.full_resolution = full_resolution
        self.augment = augment

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> dict[str, Any]:
        s = self.samples[i]
        window = load_left_window(s)
        depth, valid = load_depth(s, self.use_confidence)
        if self.band_rows is not None and len(depth) > self.band_rows:
            # a raw frame: the centred band its disparity has values in, the same field of view as a crop
            top = (len(depth) - self.band_rows) // 2
            rows = slice(top, top + self.band_rows)
            window, depth, valid = window[rows], depth[rows], valid[rows]
        size = (self.input_size[1], self.input_size[0])  # cv2 takes (width, height)
        image = cv2.resize(window, size, interpolation=cv2.INTER_AREA)
        # nearest (exact: pixel centres, unlike cv2's INTER_NEAREST) keeps holes holes and depths real
        depth_in = cv2.resize(depth, size, interpolation=cv2.INTER_NEAREST_EXACT)
        valid_in = cv2.resize(valid.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST_EXACT)
        if self.augment is not None:
            out = self.augment(image=image, depth=depth_in, valid=valid_in)
            image, depth_in, valid_in = out["image"], out["depth"], out["valid"]
        item: dict[str, Any] = {
            "image": normalise_image(image.astype(np.float32) / 255.0),
            "depth": torch.from_numpy(np.ascontiguousarray(depth_in, dtype=np.float32))[None],
            "valid": torch.from_numpy(np.ascontiguousarray(valid_in) > 0)[None],
            "image_id": s.image_id,
            "left_path": str(s.left_path),
        }
        if self.full_resolution:
            item["depth_full"], item["valid_full"] = depth, valid
        return item


def collate_depth(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacked ``image``/``depth``/``valid``; ``depth_full``/``valid_full`` stay lists of NumPy arrays
    (sizes may differ, and they stay on the CPU where the metrics are computed)."""
    batch: dict[str, Any] = {
        key: torch.stack([it[key] for it in items]) for key in ("image", "depth", "valid")
    }
    batch["image_id"] = torch.tensor([it["image_id"] for it in items], dtype=torch.int64)
    batch["left_path"] = [it["left_path"] for it in items]
    for key in ("depth_full", "valid_full"):
        if key in items[0]:
            batch[key] = [it[key] for it in items]
    return batch


def depth_statistics(samples: Sequence[DepthSample], use_confidence: bool, seed: int = 0) -> dict[str, Any]:
    """Valid share and depth percentiles of up to :data:`STATS_MAPS` maps (seeded sample), pooled over
    up to :data:`STATS_PIXELS_PER_MAP` valid pixels of each."""
    rng = random.Random(seed)
    chosen = rng.sample(list(samples), min(STATS_MAPS, len(samples)))
    pixel_rng = np.random.default_rng(seed)
    total = valid_total = 0
    pooled: list[np.ndarray] = []
    for sample in chosen:
        depth, valid = load_depth(sample, use_confidence)
        total += valid.size
        valid_total += int(valid.sum())
        values = depth[valid]
        if len(values) > STATS_PIXELS_PER_MAP:
            values = pixel_rng.choice(values, STATS_PIXELS_PER_MAP, replace=False)
        pooled.append(values)
    stats: dict[str, Any] = {"maps": len(chosen), "valid_share": valid_total / total if total else None}
    values = np.concatenate(pooled) if pooled else np.zeros(0)
    if len(values):
        names = ("p5", "p25", "median", "p75", "p95")
        quantiles = np.percentile(values, [5, 25, 50, 75, 95])
        stats["depth_m"] = {n: round(float(q), 4) for n, q in zip(names, quantiles, strict=True)}
        stats["depth_m"]["min"] = round(float(values.min()), 4)
        stats["depth_m"]["max"] = round(float(values.max()), 4)
    return stats


# -- the datamodule ------------------------------------------------------------------------------
class DepthDataModule(SplitDataModule):
    """Reads stereo sets through ``reader``, checks them (headers only), splits them by ``group``
    (asserted) and serves depth batches.

    ``reader(root, policy)`` -> ``list[DepthSample]``; ``split`` = {strategy: random, stratify_by:
    [meta keys], val_fraction, test_fraction, seed}; ``augment`` = {hflip: p, brightness_contrast: p}
    (train only). A set whose disparity map is not ``width`` x ``height`` (or 8-bit), whose left image
    does not hold the window, or whose confidence map (with ``use_confidence``) has another size is a
    :class:`~aihub_bench.errors.BadInputError`, raised or, with ``on_error=skip``, counted and left out.
    """

    collate_fn = staticmethod(collate_depth)

    def __init__(
        self,
        reader: Reader,
        name: str = "depth",
        root: str | None = None,
        synthetic: Callable[[], str | Path] | None = None,
        on_error: OnError = "raise",
        use_confidence: bool = False,
        input_size: Sequence[int] = (352, 1216),
        batch_size: int = 4,
        eval_batch_size: int = 4,
        num_workers: int = 2,
        augment: dict[str, float] | None = None,
        max_samples: int | None = None,
        split: dict[str, Any] | None = None,
        band_rows: int | None = None,
    ) -> None:
        super().__init__()
        if band_rows is not None and int(band_rows) < 1:
            raise ValueError(f"dataset.band_rows must be a positive number of rows or null, got {band_rows}")
        self.band_rows = None if band_rows is None else int(band_rows)
        if len(input_size) != 2 or min(int(v) for v in input_size) < 1:
            raise ValueError(f"dataset.input_size must be [height, width], got {list(input_size)}")
        unknown = sorted(set(augment or {}) - set(AUGMENTS))
        if unknown:
            raise ValueError(f"dataset.augment has unknown keys {unknown}; known: {list(AUGMENTS)}")
        self.reader, self.name, self.root, self.synthetic = reader, name, root, synthetic
        self.policy = ErrorPolicy(on_error)
        self.use_confidence = use_confidence
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.augment_cfg = dict(augment or {})
        self.max_samples = max_samples
        self.split_cfg: dict[str, Any] = {
            "strategy": "random",
            "stratify_by": [],
            "val_fraction": 0.1,
            "test_fraction": 0.1,
            "seed": 0,
        }
        self.split_cfg.update(split or {})
        if self.split_cfg["strategy"] != "random":
            raise ValueError(f"dataset.split.strategy must be 'random', got {self.split_cfg['strategy']!r}")
        self.splits: dict[str, list[DepthSample]] = {}

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        root = self.resolved_root()
        log.info("Reading %s from %s", self.name, root)
        samples = sorted(
            self.reader(root=root, policy=self.policy), key=lambda s: (s.image_id, str(s.left_path))
        )
        if self.max_samples:
            samples = samples[: self.max_samples]
        samples = self._checked(samples)
        if not samples:
            raise ValueError(f"no usable depth sets found under {root} (see data_report.json)")
        cfg = self.split_cfg
        groups = [s.group or str(s.left_path) for s in samples]
        strata = [tuple(s.meta.get(k) for k in cfg.get("stratify_by") or ()) for s in samples]
        sides = stratified_group_split(groups, strata, cfg["val_fraction"], cfg["test_fraction"], cfg["seed"])
        assert_no_leakage(groups, sides)
        self.splits = partition(samples, sides)
        check_non_empty(self.splits, len(samples), "sets", self.split_cfg)
        log.info("Split sizes (sets): %s", {k: len(v) for k, v in self.splits.items()})

    def _checked(self, samples: Sequence[DepthSample]) -> list[DepthSample]:
        """The sets that pass :func:`check_depth_set`; the others raise or are counted (policy)."""
        kept = []
        for sample in samples:
            try:
                check_depth_set(sample, self.use_confidence)
            except BadInputError as err:
                self.policy.handle(err)
                continue
            kept.append(sample)
            if self.use_confidence and sample.confidence_path is None:
                self.policy.count("sets_without_confidence")
        self.policy.count("depth_sets_kept", len(kept))
        return kept

    def model_kwargs(self) -> dict[str, Any]:
        """Nothing: a depth network is sized by its own options, not by the data."""
        return {}

    def write_artifacts(self, run_dir: str | Path) -> None:
        """``data_report.json`` (skips, counts, split sizes, train depth statistics) and ``splits.json``."""
        run_dir = Path(run_dir)
        report = self.policy.report()
        report["dataset"] = self.name
        report["use_confidence"] = self.use_confidence
        report["input_size"] = list(self.input_size)
        report["split_sizes"] = {k: len(v) for k, v in self.splits.items()}
        report["split_groups"] = {
            k: len({s.group or str(s.left_path) for s in v}) for k, v in self.splits.items()
        }
        if self.splits:
            report["depth_train"] = depth_statistics(
                self.splits["train"], self.use_confidence, self.split_cfg["seed"]
            )
        write_json(run_dir / "data_report.json", report)
        write_json(
            run_dir / "splits.json",
            {k: sorted({s.group or str(s.left_path) for s in v}) for k, v in self.splits.items()},
        )

    def dataset(self, split: str) -> DepthDataset:
        train = split == "train"
        augment = depth_augment(**self.augment_cfg) if train and self.augment_cfg else None
        return DepthDataset(
            self.splits[split],
            self.input_size,
            self.use_confidence,
            full_resolution=not train,
            augment=augment,
            band_rows=self.band_rows,
        )
