"""인도 보행 surface and depth end to end: the smoke runs of the gate (reused when they exist) write the
metrics and artefacts each family promises."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from aihub_bench.formats.masks import read_palette_png
from tests.conftest import smoke_run_config

SURFACE = ["experiment=sidewalk_surface_segmentation", "debug=smoke"]
ATTRIBUTES = ["experiment=sidewalk_surface_attributes_segmentation", "debug=smoke"]
DEPTH = ["experiment=sidewalk_depth", "debug=smoke"]


@pytest.mark.slow
@pytest.mark.parametrize("overrides", [SURFACE, ATTRIBUTES], ids=["labels", "attributes"])
def test_surface_smoke_run_writes_miou_per_class_iou_and_palette_masks(
    overrides: list[str], tmp_path: Path, synth_cache: Path
) -> None:
    run = tmp_path / "run"
    metrics = smoke_run_config(overrides, run, synth_cache)
    assert metrics["train/loss_decreased"] is True
    per_class = {k: v for k, v in metrics.items() if k.startswith("test/IoU/")}
    assert per_class and metrics["test/mIoU"] == pytest.approx(np.mean(list(per_class.values())), abs=1e-6)
    for key in ("test/pixel_acc", "test/mean_acc", "test/fwIoU"):
        assert key in metrics
    config = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
    classes = config["dataset"]["class_names"]
    assert set(per_class) <= {f"test/IoU/{c}" for c in classes}
    masks = sorted((run / "predictions_test").glob("*.png"))
    assert len(masks) == metrics["test/images"]
    assert int(read_palette_png(masks[0]).max()) < len(classes)
    assert (run / "segmentation_test.png").is_file() and (run / "confusion_matrix_test.csv").is_file()


@pytest.mark.slow
def test_depth_smoke_run_writes_abs_rel_and_deltas(tmp_path: Path, synth_cache: Path) -> None:
    run = tmp_path / "run"
    metrics = smoke_run_config(DEPTH, run, synth_cache)
    assert metrics["train/loss_decreased"] is True
    assert metrics["test/abs_rel"] > 0 and metrics["test/rmse"] > 0
    assert metrics["test/delta1"] <= metrics["test/delta2"] <= metrics["test/delta3"]
    assert (run / "depth_test.png").is_file() and (run / "depth_metrics_test.csv").is_file()
