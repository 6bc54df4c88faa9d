"""Box- and mask-aware augmentation for detection (albumentations)."""

from __future__ import annotations

import albumentations as A


def detection_augment(hflip: float = 0.5, vflip: float = 0.0, brightness_contrast: float = 0.0) -> A.Compose:
    """Augmentations that keep every object (flips and photometric only), so boxes, labels and
    masks stay aligned one to one. Geometric crops that can drop objects are deliberately absent."""
    ops: list[A.BasicTransform] = []
    if hflip > 0:
        ops.append(A.HorizontalFlip(p=hflip))
    if vflip > 0:
        ops.append(A.VerticalFlip(p=vflip))
    if brightness_contrast > 0:
        ops.append(A.RandomBrightnessContrast(p=brightness_contrast))
    return A.Compose(ops, bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"], clip=True))
