"""Augmentations follow the run's seed: albumentations 2 seeds each pipeline from OS entropy unless
told otherwise, which made two runs with one seed (and a resumed epoch) augment differently."""

from __future__ import annotations

import numpy as np
import pytest

from aihub_bench.data.classification import classification_augment
from aihub_bench.data.face import face_augment
from aihub_bench.data.text import text_augment
from aihub_bench.data.transforms import detection_augment

IMAGE = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)


def _draws(pipeline_factory, seed: int, n: int = 6) -> list[np.ndarray]:
    pipeline = pipeline_factory()  # a fresh pipeline, as a new run or a loader worker builds it
    np.random.seed(seed)
    return [pipeline(image=IMAGE)["image"] for _ in range(n)]


@pytest.mark.parametrize(
    "factory",
    [
        lambda: face_augment(hflip=0.5, brightness_contrast=0.5, affine=0.5),
        lambda: text_augment(affine=0.5, brightness_contrast=0.5, blur=0.5),
        lambda: classification_augment(hflip=0.5, brightness_contrast=0.5, affine=0.5),
    ],
    ids=["face", "text", "classification"],
)
def test_same_global_seed_same_augmentations_other_seed_others(factory) -> None:
    first, again, other = _draws(factory, 7), _draws(factory, 7), _draws(factory, 8)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_detection_augment_follows_the_global_seed_with_its_boxes() -> None:
    def draws(seed: int) -> list[tuple]:
        pipeline = detection_augment(hflip=0.5, brightness_contrast=0.5)
        np.random.seed(seed)
        out = []
        for _ in range(6):
            res = pipeline(image=IMAGE, bboxes=[[4.0, 5.0, 20.0, 30.0]], labels=["a"])
            out.append((res["image"].tobytes(), tuple(map(tuple, res["bboxes"]))))
        return out

    assert draws(3) == draws(3)
    assert draws(3) != draws(4)
