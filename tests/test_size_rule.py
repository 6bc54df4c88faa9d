"""Size rule (aihub_bench.metrics.size_rule): COCO-style ignore of objects below a per-class size,
cross-checked against plain pycocotools on a hand-filtered copy, and its plumbing from the config."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from pycocotools import mask as pmask
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from aihub_bench.metrics.coco_eval import evaluate_coco
from aihub_bench.metrics.detection_evaluator import DetectionEvaluator
from aihub_bench.metrics.size_rule import SizeRule
from aihub_bench.records import DetectionSample
from aihub_bench.tasks.detection import DetectionTask
from tests.conftest import compose_config

CLASSES = ["car", "bench", "person"]
RULE = SizeRule(default=64, per_class={"car": 32, "person": 32})
THRESHOLDS = {"car": 32, "bench": 64, "person": 32}  # RULE written out, for the reference
SIZE = 200  # every image is SIZE x SIZE

# (image_id, class, x, y, w, h): objects above and at/below their class's threshold
GT_BOXES = [
    (1, "car", 10, 10, 80, 60),
    (1, "car", 120, 120, 25, 20),  # small: ignored
    (1, "bench", 100, 10, 90, 70),
    (1, "bench", 10, 120, 50, 40),  # small: ignored
    (1, "person", 150, 150, 20, 45),
    (2, "person", 10, 10, 30, 28),  # small: ignored
    (2, "bench", 60, 60, 100, 100),
    (2, "car", 20, 120, 40, 30),
]
# (image_id, class, x, y, w, h, score)
PREDICTIONS = [
    (1, "car", 12, 10, 78, 60, 0.9),
    (1, "car", 120, 121, 25, 19, 0.8),  # finds the small car: dropped
    (1, "bench", 102, 12, 88, 68, 0.85),
    (1, "bench", 8, 118, 70, 46, 0.95),  # kept (70 px), covers the small bench
    (1, "bench", 150, 20, 40, 40, 0.97),  # small false positive: dropped
    (1, "person", 150, 152, 20, 44, 0.7),
    (1, "car", 60, 150, 40, 40, 0.6),  # false positive, but a 40 px car is kept
    (2, "person", 10, 10, 30, 28, 0.9),  # finds the small person: dropped
    (2, "bench", 62, 58, 98, 100, 0.8),
    (2, "car", 22, 120, 40, 30, 0.75),
    (2, "bench", 10, 60, 40, 40, 0.99),  # small false positive: dropped
    (2, "person", 150, 10, 32, 20, 0.95),  # false positive exactly at the threshold: dropped
]
OVERALL = {"mAP": 0, "mAP_50": 1, "mAP_75": 2, "mAR_100": 8}


def _rle(x: float, y: float, w: float, h: float) -> dict[str, Any]:
    rle = pmask.frPyObjects([[x, y, x + w, y, x + w, y + h, x, y + h]], SIZE, SIZE)[0]
    return {"size": rle["size"], "counts": rle["counts"].decode("ascii")}


def _gt(boxes: list[tuple], classes: list[str] = CLASSES) -> dict[str, Any]:
    annotations = [
        {
            "id": k + 1,
            "image_id": image_id,
            "category_id": classes.index(name) + 1,
            "bbox": [x, y, w, h],
            "area": w * h,
            "iscrowd": 0,
            "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]],
        }
        for k, (image_id, name, x, y, w, h) in enumerate(boxes)
    ]
    images = [{"id": i, "width": SIZE, "height": SIZE} for i in sorted({b[0] for b in boxes})]
    categories = [{"id": i + 1, "name": name} for i, name in enumerate(classes)]
    return {"images": images, "annotations": annotations, "categories": categories}


def _results(predictions: list[tuple], classes: list[str] = CLASSES) -> list[dict[str, Any]]:
    return [
        {
            "image_id": image_id,
            "category_id": classes.index(name) + 1,
            "bbox": [x, y, w, h],
            "score": score,
            "segmentation": _rle(x, y, w, h),
        }
        for image_id, name, x, y, w, h, score in predictions
    ]


def _reference_stats(iou_type: str) -> np.ndarray:
    """Plain pycocotools on the rule applied by hand: small predictions filtered out of the list,
    small GT flagged ``iscrowd`` (pycocotools replaces a GT's ``ignore`` flag with ``iscrowd``)."""
    gt = _gt(GT_BOXES)
    for ann, (_, name, _, _, w, h) in zip(gt["annotations"], GT_BOXES, strict=True):
        if max(w, h) <= THRESHOLDS[name]:
            ann["iscrowd"] = 1
    kept = [p for p in PREDICTIONS if max(p[4], p[5]) > THRESHOLDS[p[1]]]
    results = _results(kept)
    if iou_type == "segm":  # as evaluate_coco: masks scored by mask area
        for r in results:
            r.pop("bbox")
    coco_gt = COCO()
    coco_gt.dataset = gt
    coco_gt.createIndex()
    evaluator = COCOeval(coco_gt, coco_gt.loadRes(results), iou_type)
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    return evaluator.stats


@pytest.mark.parametrize("backend", ["faster_coco_eval", "pycocotools"])
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_matches_pycocotools_on_hand_filtered_input(iou_type: str, backend: str) -> None:
    gt, results = _gt(GT_BOXES), _results(PREDICTIONS)
    before = copy.deepcopy((gt, results))
    ours = evaluate_coco(gt, results, (iou_type,), CLASSES, backend=backend, size_rule=RULE)
    reference = _reference_stats(iou_type)
    for key, index in OVERALL.items():
        assert ours[f"{iou_type}_{key}_size_rule"] == pytest.approx(reference[index], abs=1e-9), key
    assert ours[f"{iou_type}_mAP_size_rule"] > ours[f"{iou_type}_mAP"] + 0.05  # the rule matters here
    assert (gt, results) == before  # inputs untouched


def test_plain_keys_are_unchanged_by_the_rule() -> None:
    gt, results = _gt(GT_BOXES), _results(PREDICTIONS)
    plain = evaluate_coco(gt, results, ("bbox", "segm"), CLASSES)
    ruled = evaluate_coco(gt, results, ("bbox", "segm"), CLASSES, size_rule=RULE)
    assert {k: v for k, v in ruled.items() if not k.endswith("_size_rule")} == plain
    expected = {
        f"{t}_{k}_size_rule" for t in ("bbox", "segm") for k in ("mAP", "mAP_50", "mAP_75", "mAR_100")
    }
    assert expected <= set(ruled)
    assert not any("/" in k for k in ruled if k.endswith("_size_rule"))  # no per-class repeats


def _box(image_id: int, name: str, x: float, y: float, side: float, score: float | None = None) -> tuple:
    return (image_id, name, x, y, side, side) if score is None else (image_id, name, x, y, side, side, score)


def test_small_false_positive_lowers_plain_map_only() -> None:
    gt = _gt([_box(1, "bench", 50, 50, 100)])
    found = _box(1, "bench", 50, 50, 100, 0.9)
    small_fp = _box(1, "bench", 0, 160, 30, 0.95)  # ranked first
    with_fp = evaluate_coco(gt, _results([found, small_fp]), ("bbox",), CLASSES, size_rule=RULE)
    assert with_fp["bbox_mAP"] == pytest.approx(0.5)  # precision 1/2 at every recall
    assert with_fp["bbox_mAP_size_rule"] == pytest.approx(1.0)


def test_per_class_threshold() -> None:
    """A 40 px car (threshold 32) is kept as a false positive; a 40 px bench (64) is ignored."""
    gt = _gt([_box(1, "car", 10, 10, 100), _box(1, "bench", 100, 100, 90)])
    predictions = [
        _box(1, "car", 10, 10, 100, 0.9),
        _box(1, "bench", 100, 100, 90, 0.9),
        _box(1, "car", 150, 10, 40, 0.95),
        _box(1, "bench", 10, 150, 40, 0.95),
    ]
    metrics = evaluate_coco(gt, _results(predictions), ("bbox",), CLASSES, size_rule=RULE)
    assert metrics["bbox_AP/car"] == pytest.approx(0.5)
    assert metrics["bbox_AP/bench"] == pytest.approx(0.5)
    assert metrics["bbox_mAP_size_rule"] == pytest.approx((0.5 + 1.0) / 2)  # car 0.5, bench 1.0


def test_small_ground_truth_is_neither_missed_nor_rewarded() -> None:
    gt = _gt([_box(1, "bench", 100, 100, 90), _box(1, "bench", 10, 10, 50)])  # the 50 px one is ignored
    found = _box(1, "bench", 100, 100, 90, 0.9)
    missed = evaluate_coco(gt, _results([found]), ("bbox",), CLASSES, size_rule=RULE)
    assert missed["bbox_mAR_100"] == pytest.approx(0.5)
    assert missed["bbox_mAR_100_size_rule"] == pytest.approx(1.0)
    assert missed["bbox_mAP_size_rule"] == pytest.approx(1.0)
    # a kept 66 px box around the small bench (IoU 0.57) is ignored at IoU 0.5, not a true positive
    covering = _box(1, "bench", 8, 8, 66, 0.95)
    both = evaluate_coco(gt, _results([found, covering]), ("bbox",), CLASSES, size_rule=RULE)
    assert both["bbox_mAP_50"] == pytest.approx(1.0)
    assert both["bbox_mAP_50_size_rule"] == pytest.approx(1.0)
    assert both["bbox_mAR_100_size_rule"] == pytest.approx(1.0)


def test_rule_from_config(caplog: pytest.LogCaptureFixture) -> None:
    assert SizeRule.from_config(None, CLASSES) is None
    rule = SizeRule.from_config({"per_class": {"car": 32}}, CLASSES)
    assert rule == SizeRule(default=None, per_class={"car": 32.0})
    assert rule.ignores("car", 32, 10) and not rule.ignores("car", 33, 10)
    assert not rule.ignores("bench", 1, 1)  # no default: unlisted classes are not ruled
    with caplog.at_level(logging.WARNING, logger="aihub_bench.metrics.size_rule"):
        SizeRule.from_config({"default": 64, "per_class": {"cra": 32}}, CLASSES)
    assert "does not have: ['cra']" in caplog.text  # a typo, or a class of the release absent here
    scaled = SizeRule.from_config({"default": 64, "per_class": {"car": 32}, "scale": 0.25}, CLASSES)
    assert scaled == SizeRule(default=16.0, per_class={"car": 8.0})
    with pytest.raises(ValueError, match=r"size_rule.scale must be > 0"):
        SizeRule.from_config({"default": 64, "scale": 0}, CLASSES)
    with pytest.raises(ValueError, match=r"unknown keys \['measure'\]"):
        SizeRule.from_config({"default": 64, "measure": "area"}, CLASSES)
    with pytest.raises(ValueError, match=r"size_rule.per_class.car must be a finite number"):
        SizeRule.from_config({"per_class": {"car": -1}}, CLASSES)
    with pytest.raises(ValueError, match=r"size_rule.default must be a finite number"):
        SizeRule.from_config({"default": "64"}, CLASSES)


def test_evaluator_reports_both_ways() -> None:
    samples = [
        DetectionSample(Path("a.png"), SIZE, SIZE, np.array([[10, 10, 110, 110]]), ["bench"], None, 1),
    ]
    output = {
        "boxes": torch.tensor([[10.0, 10, 110, 110], [150, 150, 180, 180]]),
        "labels": torch.tensor([2, 2]),
        "scores": torch.tensor([0.9, 0.95]),
    }
    batch = ([None], [{"image_id": torch.tensor(1)}])
    plain, ruled = (DetectionEvaluator(samples, CLASSES, ("bbox",), size_rule=r) for r in (None, RULE))
    for evaluator in (plain, ruled):
        evaluator.process(batch, [output])
        evaluator.evaluate()
    assert "bbox_mAP_size_rule" not in plain.metrics
    assert ruled.metrics["bbox_mAP"] == plain.metrics["bbox_mAP"] == pytest.approx(0.5)
    assert ruled.metrics["bbox_mAP_size_rule"] == pytest.approx(1.0)


def test_task_reads_the_option() -> None:
    def make_task(size_rule: dict[str, Any] | None) -> DetectionTask:
        return DetectionTask(
            lambda num_classes: torch.nn.Linear(1, num_classes), torch.optim.SGD, CLASSES, size_rule=size_rule
        )

    assert make_task(None).size_rule is None
    assert make_task({"default": 64, "per_class": {"car": 32}}).size_rule == SizeRule(64, {"car": 32})
    with pytest.raises(ValueError, match="size_rule.default must be a finite number"):
        make_task({"default": -1})


@pytest.mark.parametrize("model", ["maskrcnn", "fasterrcnn", "retinanet", "ssd"])
def test_detector_configs_default_to_off(model: str, tmp_path: Path) -> None:
    cfg = compose_config(["dataset=xray", f"model={model}"], tmp_path / "run", tmp_path)
    assert cfg.model.size_rule is None
