"""인도 보행 (sidewalk) obstacles end to end: walk-grouped splits, smoke runs with size-rule and
per-condition results."""

from __future__ import annotations

from pathlib import Path

import hydra
import pytest

from aihub_bench.data.detection import DetectionDataModule
from tests.conftest import compose_config, smoke_run_config

BBOX = ["experiment=sidewalk_bbox_retinanet", "debug=smoke"]
POLYGON = ["experiment=sidewalk_polygon_maskrcnn", "debug=smoke"]


def _datamodule(overrides: list[str], tmp_path: Path, data_dir: Path) -> DetectionDataModule:
    dm = hydra.utils.instantiate(compose_config(overrides, tmp_path / "run", data_dir).dataset)
    dm.prepare_data()
    dm.setup()
    return dm


def test_frames_of_one_walk_stay_in_one_split(tmp_path: Path, synth_cache: Path) -> None:
    dm = _datamodule(BBOX, tmp_path, synth_cache)
    side_of_walk: dict[str, str] = {}
    for side, samples in dm.splits.items():
        for s in samples:
            assert side_of_walk.setdefault(s.meta["sequence"], side) == side, (
                f"walk {s.meta['sequence']} leaks"
            )
    assert {len(v) for v in dm.splits.values()} <= {4, 8, 12, 16}  # whole walks of four frames
    assert dm.class_names == ["bench", "bollard", "car", "person"]
    masks = _datamodule(POLYGON, tmp_path, synth_cache)
    assert masks.with_masks and all(s.polygons is not None for s in masks.splits["train"])
    assert dm.image_conditions("test") == {
        s.image_id: {"day_night": s.meta["day_night"], "weather": s.meta["weather"]}
        for s in dm.splits["test"]
    }


def _conditions(dm: DetectionDataModule) -> set[str]:
    return {f"{k}/{v}" for values in dm.image_conditions("test").values() for k, v in values.items()}


@pytest.mark.slow
def test_box_smoke_run_reports_size_rule_and_condition_map(tmp_path: Path, synth_cache: Path) -> None:
    metrics = smoke_run_config(BBOX, tmp_path / "run", synth_cache)
    assert metrics["train/loss_decreased"] is True
    for key in ("mAP", "mAP_50", "mAP_75"):
        assert f"test/bbox_{key}" in metrics and f"test/bbox_{key}_size_rule" in metrics
    found = {k.removeprefix("test/bbox_mAP_by_") for k in metrics if k.startswith("test/bbox_mAP_by_")}
    assert found == _conditions(_datamodule(BBOX, tmp_path, synth_cache))
    assert (tmp_path / "run" / "results.md").is_file()


@pytest.mark.slow
def test_polygon_smoke_run_reports_mask_map(tmp_path: Path, synth_cache: Path) -> None:
    metrics = smoke_run_config(POLYGON, tmp_path / "run", synth_cache)
    assert metrics["train/loss_decreased"] is True
    for key in ("bbox_mAP", "segm_mAP", "segm_mAP_50"):
        assert f"test/{key}" in metrics and f"test/{key}_size_rule" in metrics
    assert metrics["test/segm_mAP_50"] >= metrics["test/segm_mAP"]
