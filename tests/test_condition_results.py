"""Per-condition detection results (``dataset.condition_results_by``): COCO mAP on each condition's
images, cross-checked against plain pycocotools run on a hand-picked subset."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from aihub_bench.metrics.detection_evaluator import DetectionEvaluator
from aihub_bench.records import DetectionSample

CLASSES = ["car", "bench"]
SIZE = 200
# image_id -> (condition, [(class, x1, y1, x2, y2)]), and its predictions [(class, x1, y1, x2, y2, score)]
IMAGES = {
    1: ("day", [("car", 10, 10, 90, 70), ("bench", 100, 100, 180, 160)]),
    2: ("day", [("bench", 20, 20, 120, 90)]),
    3: ("night", [("car", 30, 30, 110, 100), ("bench", 120, 20, 190, 80)]),
    4: ("night", [("car", 50, 50, 150, 150)]),
}
PREDICTIONS = {
    1: [("car", 12, 10, 88, 72, 0.9), ("bench", 100, 102, 178, 160, 0.8)],
    2: [("bench", 22, 20, 118, 92, 0.7), ("car", 0, 0, 50, 50, 0.95)],  # a confident false positive
    3: [("car", 60, 60, 140, 130, 0.9), ("bench", 120, 22, 188, 80, 0.6)],  # a car half off
    4: [("car", 52, 48, 150, 150, 0.85), ("bench", 10, 150, 60, 190, 0.5)],
}


def _reference(image_ids: list[int]) -> dict[str, float]:
    """pycocotools on the given images alone, from dicts written here."""
    gt = {
        "images": [{"id": i, "width": SIZE, "height": SIZE} for i in image_ids],
        "categories": [{"id": k + 1, "name": c} for k, c in enumerate(CLASSES)],
        "annotations": [
            {
                "id": 100 * i + k,
                "image_id": i,
                "category_id": CLASSES.index(c) + 1,
                "bbox": [x1, y1, x2 - x1, y2 - y1],
                "area": (x2 - x1) * (y2 - y1),
                "iscrowd": 0,
            }
            for i in image_ids
            for k, (c, x1, y1, x2, y2) in enumerate(IMAGES[i][1])
        ],
    }
    results = [
        {"image_id": i, "category_id": CLASSES.index(c) + 1, "bbox": [x1, y1, x2 - x1, y2 - y1], "score": s}
        for i in image_ids
        for c, x1, y1, x2, y2, s in PREDICTIONS[i]
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        run = COCOeval(coco, coco.loadRes(results), "bbox")
        run.evaluate()
        run.accumulate()
        run.summarize()
    return {"mAP": float(run.stats[0]), "mAP_50": float(run.stats[1])}


def test_each_condition_is_scored_on_its_own_images() -> None:
    samples = [
        DetectionSample(
            Path(f"{i}.png"),
            SIZE,
            SIZE,
            np.array([b[1:] for b in boxes], dtype=np.float32),
            [b[0] for b in boxes],
            None,
            i,
            meta={"day_night": when},
        )
        for i, (when, boxes) in IMAGES.items()
    ]
    conditions = {i: {"day_night": when} for i, (when, _) in IMAGES.items()}
    evaluator = DetectionEvaluator(samples, CLASSES, ("bbox",), image_conditions=conditions)
    for i, predictions in PREDICTIONS.items():
        output = {
            "boxes": torch.tensor([p[1:5] for p in predictions], dtype=torch.float32),
            "labels": torch.tensor([CLASSES.index(p[0]) + 1 for p in predictions]),
            "scores": torch.tensor([p[5] for p in predictions]),
        }
        evaluator.process(([None], [{"image_id": torch.tensor(i)}]), [output])
    evaluator.evaluate()
    metrics = evaluator.metrics
    day, night = _reference([1, 2]), _reference([3, 4])
    assert metrics["bbox_mAP_by_day_night/day"] == pytest.approx(day["mAP"], abs=1e-6)
    assert metrics["bbox_mAP_50_by_day_night/day"] == pytest.approx(day["mAP_50"], abs=1e-6)
    assert metrics["bbox_mAP_by_day_night/night"] == pytest.approx(night["mAP"], abs=1e-6)
    assert metrics["bbox_mAP_50_by_day_night/night"] == pytest.approx(night["mAP_50"], abs=1e-6)
    assert metrics["bbox_mAP"] == pytest.approx(_reference([1, 2, 3, 4])["mAP"], abs=1e-6)
    # the conditions differ here, so a mix-up of the subsets would show
    assert abs(metrics["bbox_mAP_by_day_night/day"] - metrics["bbox_mAP_by_day_night/night"]) > 0.05
    assert not [k for k in metrics if "_by_" in k and "day_night" not in k]
