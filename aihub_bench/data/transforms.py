"""Box- and mask-aware augmentation for detection (albumentations), the seeded albumentations
pipeline every datamodule builds its augmentations with, and the input normalisation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import albumentations as A
import numpy as np
import torch


def augment_probabilities(augment: Mapping[str, Any] | None, known: Sequence[str]) -> dict[str, float]:
    """``dataset.augment`` as ``{transform: probability}``; a transform not in ``known`` is a ValueError."""
    probabilities = {str(k): float(v) for k, v in (augment or {}).items()}
    extra = sorted(set(probabilities) - set(known))
    if extra:
        raise ValueError(f"dataset.augment knows {list(known)}, not {extra}")
    return probabilities


class SeededCompose(A.Compose):
    """``A.Compose`` whose random draws follow the global NumPy RNG.

    albumentations 2 gives each pipeline its own generator, seeded from OS entropy unless a seed is
    passed, so two runs with the same seed would augment differently and a resumed run would not
    repeat the epoch it resumes. Each call re-seeds the pipeline from ``np.random``, which
    :class:`~aihub_bench.data.base.EpochShuffle` seeds per (seed, epoch) and each loader worker per
    worker.
    """

    def __call__(self, *args: Any, **data: Any) -> dict[str, Any]:
        self.set_random_seed(int(np.random.randint(0, 2**31 - 1)))
        return super().__call__(*args, **data)


# timm's ImageNet statistics: pretrained backbones expect them, and they do no harm from scratch
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def normalise_image(image: np.ndarray) -> torch.Tensor:
    """``(H, W, 3)`` in [0, 1] -> a ``(3, H, W)`` float tensor with ImageNet mean and std."""
    scaled = (np.clip(image, 0.0, 1.0).astype(np.float32) - IMAGENET_MEAN) / IMAGENET_STD
    return torch.from_numpy(np.ascontiguousarray(scaled.transpose(2, 0, 1)))


def detection_augment(
    hflip: float = 0.5,
    vflip: float = 0.0,
    brightness_contrast: float = 0.0,
    hue_saturation: float = 0.0,
    safe_crop: float = 0.0,
) -> A.Compose:
    """Augmentations that keep every object, so boxes, labels and masks stay aligned one to one.

    Each value is the probability of its transform (0 = off): flips, photometric changes, and
    ``safe_crop``, a random crop that never cuts into a box (``BBoxSafeRandomCrop``); the model
    resizes its input anyway. Crops that can drop objects are deliberately absent.
    """
    ops: list[A.BasicTransform] = []
    if safe_crop > 0:
        ops.append(A.BBoxSafeRandomCrop(erosion_rate=0.0, p=safe_crop))
    if hflip > 0:
        ops.append(A.HorizontalFlip(p=hflip))
    if vflip > 0:
        ops.append(A.VerticalFlip(p=vflip))
    if brightness_contrast > 0:
        ops.append(A.RandomBrightnessContrast(p=brightness_contrast))
    if hue_saturation > 0:
        ops.append(A.HueSaturationValue(p=hue_saturation))
    return SeededCompose(
        ops, bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"], clip=True)
    )
