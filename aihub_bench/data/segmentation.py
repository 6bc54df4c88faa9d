"""Semantic segmentation data: class-index masks from polygons or colour masks, grouped splits, batches.

A :class:`~aihub_bench.records.SegmentationSample` becomes a ``(H, W)`` class-index mask in one of two
ways (``target``): its regions painted in ascending z_order (``polygons``), or the release's RGB mask
decoded through ``mask_colours`` (``mask``; a colour no class owns becomes the ignore index 255 and is
counted). Every mask is built once in ``setup`` (a thread pool of ``num_workers``): bad samples are
raised or skipped and counted there, never in a loader worker, and the scan gives each image's
majority class (the split's stratum) and the per-class pixel shares of ``data_report.json``.

Batches: ``image`` ``(B, 3, H, W)`` ImageNet-normalised and ``mask`` ``(B, H, W)`` int64 at
``input_size`` (nearest), ``image_id``, ``image_path``; val/test batches also hold ``mask_full``, the
masks at the label's own resolution (uint8 NumPy arrays: the metrics run on the CPU, so they never
travel to the accelerator).
"""

from __future__ import annotations

import colorsys
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
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
from aihub_bench.data.transforms import SeededCompose, augment_probabilities, normalise_image
from aihub_bench.errors import BadInputError, ErrorPolicy, OnError
from aihub_bench.formats.images import load_rgb
from aihub_bench.formats.masks import IGNORE_INDEX, RGB, decode_colour_mask, paint_polygons, read_colour_mask
from aihub_bench.records import SegmentationSample
from aihub_bench.run_dir import write_json

log = logging.getLogger(__name__)

Reader = Callable[..., list[SegmentationSample]]
TARGETS = ("polygons", "mask")
AUGMENTATIONS = ("hflip", "brightness_contrast")
WORST_AGREEMENT = 10  # images listed under mask_agreement.worst in data_report.json
UNKNOWN_COLOURS_LISTED = 50


def _rgb(value: Sequence[int], what: str) -> RGB:
    """``[r, g, b]`` as a tuple of three 0-255 ints, else a ``ValueError`` naming ``what``."""
    values = [int(v) for v in value]
    if len(values) != 3 or not all(0 <= v <= 255 for v in values):
        raise ValueError(f"{what} must be [r, g, b] with values 0-255, got {list(value)}")
    return values[0], values[1], values[2]


def class_palette(
    class_names: Sequence[str], colours: Mapping[str, Sequence[int]] | None = None
) -> list[list[int]]:
    """One ``[r, g, b]`` per class: ``colours[name]`` where given; the first class (background) black
    when no class took black; every other class a generated colour distinct from all the others."""
    given = {name: _rgb(rgb, f"mask_colours.{name}") for name, rgb in (colours or {}).items()}
    used = set(given.values())
    palette: list[list[int]] = []
    k = 0
    for i, name in enumerate(class_names):
        if name in given:
            palette.append(list(given[name]))
            continue
        if i == 0 and (0, 0, 0) not in used:
            colour: RGB = (0, 0, 0)
        else:
            while True:  # golden-ratio hues over three brightness levels: well spread, deterministic
                r, g, b = colorsys.hsv_to_rgb((k * 0.618034) % 1.0, 0.75, (1.0, 0.8, 0.6)[(k // 7) % 3])
                k += 1
                colour = (round(r * 255), round(g * 255), round(b * 255))
                if colour not in used:
                    break
        used.add(colour)
        palette.append(list(colour))
    return palette


def segmentation_transform(
    input_size: tuple[int, int], hflip: float = 0.0, brightness_contrast: float = 0.0
) -> A.Compose:
    """Resize to ``input_size`` (area-averaged image, nearest-neighbour mask), then the augmentations
    whose probability is above 0 (train only): horizontal flip, brightness/contrast."""
    height, width = input_size
    ops: list[A.BasicTransform] = [
        A.Resize(height, width, interpolation=cv2.INTER_LINEAR, area_for_downscale="image")
    ]
    if hflip > 0:
        ops.append(A.HorizontalFlip(p=hflip))
    if brightness_contrast > 0:
        ops.append(A.RandomBrightnessContrast(p=brightness_contrast))
    return SeededCompose(ops)


class ClassMasks:
    """Builds a sample's class-index mask at the label's resolution, or raises a ``BadInputError``.

    Kinds: ``unknown_class`` (a region's class is not in ``class_names``), ``no_regions`` /
    ``missing_mask`` (the sample lacks what ``target`` reads), ``mask_size_mismatch`` (a mask of
    another size than its image), and those of :func:`~aihub_bench.formats.masks.read_colour_mask`.
    """

    def __init__(
        self, class_names: Sequence[str], target: str, colours: Mapping[RGB, int] | None = None
    ) -> None:
        self.index_of = {name: i for i, name in enumerate(class_names)}
        self.target = target
        self.colours = dict(colours or {})

    def check_classes(self, sample: SegmentationSample) -> None:
        for region in sample.regions or []:
            if region.class_name not in self.index_of:
                raise BadInputError(
                    sample.image_path,
                    f"region class {region.class_name!r} (label {region.label!r}, attribute "
                    f"{region.attribute!r}) is not one of the {len(self.index_of)} classes of "
                    "dataset.class_names",
                    "unknown_class",
                )

    def __call__(self, sample: SegmentationSample) -> tuple[np.ndarray, dict[RGB, int]]:
        """The ``(height, width)`` uint8 mask and the pixels of colours no class owns (by colour)."""
        self.check_classes(sample)
        size = (sample.height, sample.width)
        if self.target == "polygons":
            if sample.regions is None:
                raise BadInputError(
                    sample.image_path,
                    "no polygon regions (dataset.target=polygons paints them)",
                    "no_regions",
                )
            shapes = [(self.index_of[r.class_name], r.parts) for r in sample.painting_order()]
            return paint_polygons(size, shapes), {}
        if sample.mask_path is None:
            raise BadInputError(
                sample.image_path, "no colour mask (dataset.target=mask decodes it)", "missing_mask"
            )
        rgb = read_colour_mask(sample.mask_path)
        if rgb.shape[:2] != size:
            raise BadInputError(
                sample.mask_path,
                f"mask is {rgb.shape[1]}x{rgb.shape[0]} but its image {sample.image_path.name} is "
                f"{sample.width}x{sample.height}",
                "mask_size_mismatch",
            )
        return decode_colour_mask(rgb, self.colours)


def class_pixels(mask: np.ndarray, num_classes: int) -> np.ndarray:
    """Pixels per class, then the ignored ones: ``(K + 1,)`` int64."""
    counts = np.bincount(mask.reshape(-1), minlength=256)
    return np.append(counts[:num_classes], counts[IGNORE_INDEX]).astype(np.int64)


class SegmentationDataset(Dataset):
    """``(sample) -> {image, mask, image_id, image_path[, mask_full]}`` (see the module docstring)."""

    def __init__(
        self,
        samples: Sequence[SegmentationSample],
        masks: ClassMasks,
        transform: A.Compose,
        full_masks: bool,
    ) -> None:
        self.samples = list(samples)
        self.masks = masks
        self.transform = transform
        self.full_masks = full_masks

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> dict[str, Any]:
        s = self.samples[i]
        image = load_rgb(s.image_path, (s.width, s.height))
        mask, _ = self.masks(s)  # unknown colours were counted when setup scanned the masks
        out = self.transform(image=image, mask=mask)
        item: dict[str, Any] = {
            "image": normalise_image(out["image"].astype(np.float32) / 255.0),
            "mask": torch.from_numpy(np.ascontiguousarray(out["mask"]).astype(np.int64)),
            "image_id": s.image_id,
            "image_path": str(s.image_path),
        }
        if self.full_masks:
            item["mask_full"] = mask
        return item


def collate_segmentation(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacks images and input-size masks; ids as a tensor; paths and full-size masks as lists."""
    batch: dict[str, Any] = {
        "image": torch.stack([it["image"] for it in items]),
        "mask": torch.stack([it["mask"] for it in items]),
        "image_id": torch.tensor([it["image_id"] for it in items], dtype=torch.int64),
        "image_path": [it["image_path"] for it in items],
    }
    if "mask_full" in items[0]:
        batch["mask_full"] = [it["mask_full"] for it in items]
    return batch


class SegmentationDataModule(SplitDataModule):
    """Reads segmentation records, builds and checks every mask once, splits by group and serves batches.

    ``class_names`` fixes the class order (index i = ``class_names[i]``; ``class_names[0]`` is the
    background, painted where no region lies). ``mask_colours`` (class -> ``[r, g, b]``) decodes the
    release's masks for ``target=mask`` and colours the predicted PNGs (classes without one get
    generated colours). ``split``: ``{strategy: random, stratify_by, val_fraction, test_fraction,
    seed}``, grouped by ``sample.group``; the stratum key ``class`` is the image's majority
    non-background class, other keys are read from ``sample.meta``.
    """

    collate_fn = staticmethod(collate_segmentation)

    def __init__(
        self,
        reader: Reader,
        class_names: Sequence[str],
        name: str = "segmentation",
        root: str | None = None,
        synthetic: Callable[[], str | Path] | None = None,
        on_error: OnError = "raise",
        target: str = "polygons",
        mask_colours: Mapping[str, Sequence[int]] | None = None,
        input_size: Sequence[int] = (512, 1024),
        batch_size: int = 4,
        eval_batch_size: int = 4,
        num_workers: int = 2,
        augment: Mapping[str, float] | None = None,
        max_samples: int | None = None,
        split: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.reader, self.synthetic, self.root, self.name = reader, synthetic, root, name
        self.policy = ErrorPolicy(on_error)
        self.class_names = [str(c) for c in class_names]
        if not self.class_names or len(set(self.class_names)) != len(self.class_names):
            raise ValueError(f"dataset.class_names must be distinct names, got {self.class_names}")
        if len(self.class_names) > IGNORE_INDEX:
            raise ValueError(f"at most {IGNORE_INDEX} classes (index {IGNORE_INDEX} is 'ignore')")
        if target not in TARGETS:
            raise ValueError(f"dataset.target must be one of {TARGETS}, got {target!r}")
        self.target = target
        colours = {str(k): _rgb(v, f"dataset.mask_colours.{k}") for k, v in (mask_colours or {}).items()}
        unknown = sorted(set(colours) - set(self.class_names))
        if unknown:
            raise ValueError(f"dataset.mask_colours names classes not in dataset.class_names: {unknown}")
        if target == "mask":
            if not colours:
                raise ValueError("dataset.target=mask needs dataset.mask_colours (class -> [r, g, b])")
            shared = _shared_colours(colours)
            if shared:
                raise ValueError(f"dataset.mask_colours gives several classes one colour: {shared}")
        self.mask_colours = colours
        self.palette = class_palette(self.class_names, colours)
        self.masks = ClassMasks(
            self.class_names, target, {rgb: self.class_names.index(c) for c, rgb in colours.items()}
        )
        if len(input_size) != 2 or min(int(v) for v in input_size) < 1:
            raise ValueError(f"dataset.input_size must be [height, width], got {list(input_size)}")
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.augment_cfg = augment_probabilities(augment, AUGMENTATIONS)
        self.split_cfg: dict[str, Any] = {
            "strategy": "random",
            "stratify_by": ["class"],
            "val_fraction": 0.1,
            "test_fraction": 0.1,
            "seed": 0,
        }
        self.split_cfg.update(split or {})
        if self.split_cfg["strategy"] != "random":
            raise ValueError(f"split.strategy must be 'random', got {self.split_cfg['strategy']!r}")
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.max_samples = max_samples
        self.splits: dict[str, list[SegmentationSample]] = {}
        self.pixels: dict[str, np.ndarray] = {}  # split -> pixels per class, then ignored
        self.unknown_colours: Counter[RGB] = Counter()

    # -- data preparation -------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        root = self.resolved_root()
        log.info("Reading %s from %s", self.name, root)
        samples = sorted(
            self.reader(root=root, policy=self.policy), key=lambda s: (s.image_id, str(s.image_path))
        )
        if self.max_samples:
            samples = samples[: self.max_samples]
        samples, counts = self._scan(samples)
        if not samples:
            raise ValueError(f"no usable samples found under {root} (see data_report.json)")
        sides = self._assign_splits(samples, counts)
        self.splits = partition(samples, sides)
        check_non_empty(self.splits, len(samples), "samples", self.split_cfg)
        self.pixels = {name: np.sum(picked, axis=0) for name, picked in partition(counts, sides).items()}
        log.info("Split sizes: %s", {k: len(v) for k, v in self.splits.items()})

    def _scan(self, samples: list[SegmentationSample]) -> tuple[list[SegmentationSample], list[np.ndarray]]:
        """Build every mask once: bad samples raised or skipped (counted); pixel counts of the others."""
        started = time.perf_counter()

        def build(sample: SegmentationSample) -> tuple[np.ndarray, dict[RGB, int]] | BadInputError:
            try:
                mask, unknown = self.masks(sample)
            except BadInputError as err:
                return err
            return class_pixels(mask, len(self.class_names)), unknown

        with ThreadPoolExecutor(max_workers=max(1, self.num_workers)) as pool:
            results = list(pool.map(build, samples))
        kept, counts = [], []
        for sample, result in zip(samples, results, strict=True):
            if isinstance(result, BadInputError):
                self.policy.handle(result)
                continue
            pixels, unknown = result
            if unknown:
                self.policy.count("masks_with_unknown_colours")
                self.policy.count("mask_unknown_colour_pixels", sum(unknown.values()))
                self.unknown_colours.update(unknown)
            kept.append(sample)
            counts.append(pixels)
        self.policy.count("masks_built", len(kept))
        log.info("Built %d %s masks in %.1f s", len(kept), self.target, time.perf_counter() - started)
        if self.unknown_colours:
            log.warning(
                "%d masks hold colours no class owns (%d pixels, ignored in training and metrics); "
                "see mask_unknown_colours in data_report.json",
                self.policy.stats["masks_with_unknown_colours"],
                self.policy.stats["mask_unknown_colour_pixels"],
            )
        return kept, counts

    def _assign_splits(
        self, samples: Sequence[SegmentationSample], counts: Sequence[np.ndarray]
    ) -> list[str]:
        cfg = self.split_cfg
        groups = [s.group or str(s.image_path) for s in samples]
        keys = list(cfg.get("stratify_by") or ())
        strata = [
            tuple(self.majority_class(c) if k == "class" else s.meta.get(k) for k in keys)
            for s, c in zip(samples, counts, strict=True)
        ]
        sides = stratified_group_split(groups, strata, cfg["val_fraction"], cfg["test_fraction"], cfg["seed"])
        assert_no_leakage(groups, sides)
        return sides

    def majority_class(self, pixels: np.ndarray) -> str:
        """The class with most pixels apart from the background (the background when there is none)."""
        foreground = pixels[1 : len(self.class_names)]
        return self.class_names[1 + int(foreground.argmax()) if foreground.any() else 0]

    def model_kwargs(self) -> dict[str, Any]:
        return {"class_names": list(self.class_names), "palette": [list(c) for c in self.palette]}

    # -- artefacts for the run directory -----------------------------------------------------
    def pixel_shares(self, split: str) -> dict[str, float]:
        """Each class's share of the split's labelled (not ignored) pixels."""
        counts = self.pixels[split][:-1]
        total = max(int(counts.sum()), 1)
        return {name: round(int(n) / total, 6) for name, n in zip(self.class_names, counts, strict=True)}

    def write_artifacts(self, run_dir: str | Path) -> None:
        """``data_report.json`` (skips, counts, split sizes, pixel shares, unknown mask colours, the
        polygon/mask agreement where the reader measured it) and ``splits.json`` (image paths)."""
        run_dir = Path(run_dir)
        report = self.policy.report()
        report["dataset"] = self.name
        report["target"] = self.target
        report["split_sizes"] = {k: len(v) for k, v in self.splits.items()}
        report["split_groups"] = {
            k: len({s.group or str(s.image_path) for s in v}) for k, v in self.splits.items()
        }
        report["pixel_share"] = {k: self.pixel_shares(k) for k in self.splits}
        report["ignored_pixel_share"] = {
            k: round(int(v[-1]) / max(int(v.sum()), 1), 6) for k, v in self.pixels.items()
        }
        missing = [c for c, n in zip(self.class_names, self.pixels["train"][:-1], strict=True) if n == 0]
        if missing:
            report["classes_without_training_pixels"] = missing
            log.warning("%d classes have no pixel in the train split (first: %s)", len(missing), missing[0])
        if self.unknown_colours:
            report["mask_unknown_colours"] = {
                ",".join(map(str, rgb)): n
                for rgb, n in self.unknown_colours.most_common(UNKNOWN_COLOURS_LISTED)
            }
        agreement = self.mask_agreement()
        if agreement:
            report["mask_agreement"] = agreement
        write_json(run_dir / "data_report.json", report)
        write_json(
            run_dir / "splits.json", {k: [str(s.image_path) for s in v] for k, v in self.splits.items()}
        )

    def mask_agreement(self) -> dict[str, Any]:
        """Mean, min, count and the worst images of ``meta["mask_agreement"]`` (empty when no sample has it)."""
        scored = [
            (float(s.meta["mask_agreement"]), str(s.image_path))
            for v in self.splits.values()
            for s in v
            if "mask_agreement" in s.meta
        ]
        if not scored:
            return {}
        values = np.array([a for a, _ in scored])
        return {
            "mean": float(values.mean()),
            "min": float(values.min()),
            "count": len(scored),
            "worst": [{"image": p, "agreement": a} for a, p in sorted(scored)[:WORST_AGREEMENT]],
        }

    # -- loaders ----------------------------------------------------------------------------
    def dataset(self, split: str) -> SegmentationDataset:
        train = split == "train"
        transform = segmentation_transform(self.input_size, **(self.augment_cfg if train else {}))
        return SegmentationDataset(self.splits[split], self.masks, transform, full_masks=not train)


def _shared_colours(colours: Mapping[str, RGB]) -> dict[str, list[str]]:
    """``"r,g,b"`` -> the classes sharing that colour, for colours given to more than one class."""
    by_colour: dict[RGB, list[str]] = {}
    for name, rgb in colours.items():
        by_colour.setdefault(rgb, []).append(name)
    return {",".join(map(str, rgb)): names for rgb, names in by_colour.items() if len(names) > 1}
