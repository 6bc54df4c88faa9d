"""``python train.py dataset=xray_voc model=yolo debug=smoke``: YOLO through the detection task, scored by
our COCO evaluator; the mAP it writes is checked against plain pycocotools on its own predictions."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from pathlib import Path

import hydra
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from aihub_bench.metrics.coco_eval import coco_gt_from_samples
from tests.conftest import compose_config, smoke_run_config

if importlib.util.find_spec("ultralytics") is None:
    pytest.skip("needs the optional yolo extra: pip install -e '.[yolo]'", allow_module_level=True)

DONE_WHEN = ["dataset=xray_voc", "model=yolo", "debug=smoke"]


@pytest.mark.slow
def test_smoke_run_writes_coco_map_that_pycocotools_confirms(tmp_path: Path, synth_cache: Path) -> None:
    run_dir = tmp_path / "run"
    metrics = smoke_run_config(DONE_WHEN, run_dir, synth_cache)
    assert metrics["train/loss_decreased"] is True
    assert {"train/loss_box", "train/loss_cls", "train/loss_dfl"} <= set(metrics)
    assert metrics["test/bbox_mAP_50"] > 0.0  # some boxes found where they are, with their class

    cfg = compose_config(DONE_WHEN, tmp_path / "again", synth_cache)
    assert cfg.model.net.backbone == "small" and cfg.model.net.imgsz == 128  # nano, 128 px canvas
    datamodule = hydra.utils.instantiate(cfg.dataset)
    datamodule.prepare_data()
    datamodule.setup()
    gt = coco_gt_from_samples(datamodule.splits["test"], datamodule.class_names)
    results = json.loads((run_dir / "predictions_test.json").read_text(encoding="utf-8"))
    sizes = {image["id"]: (image["width"], image["height"]) for image in gt["images"]}
    assert {r["category_id"] for r in results} <= {c["id"] for c in gt["categories"]}  # labels 1..K
    for r in results:
        x, y, w, h = r["bbox"]
        width, height = sizes[r["image_id"]]
        assert 0 <= x and 0 <= y and x + w <= width + 1e-3 and y + h <= height + 1e-3  # mapped back, clipped
    coco_gt = COCO()
    coco_gt.dataset = gt
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt.createIndex()
        evaluator = COCOeval(coco_gt, coco_gt.loadRes(results), "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    assert metrics["test/bbox_mAP"] == pytest.approx(evaluator.stats[0], abs=1e-4)
    assert metrics["test/bbox_mAP_50"] == pytest.approx(evaluator.stats[1], abs=1e-4)
