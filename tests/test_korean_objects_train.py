"""Korean object images end to end: grouped 8:1:1 splits, the smoke run, per-domain results."""

from __future__ import annotations

import json
from pathlib import Path

import hydra
import pytest

from aihub_bench.data.detection import DetectionDataModule
from tests.conftest import compose_config, smoke_run_config

SMOKE = ["experiment=korean_objects_retinanet", "debug=smoke"]
DOMAINS = ("유적건조물", "상품", "랜드마크")


def _datamodule(tmp_path: Path, data_dir: Path, *overrides: str) -> DetectionDataModule:
    cfg = compose_config([*SMOKE, *overrides], tmp_path / "run", data_dir)
    dm = hydra.utils.instantiate(cfg.dataset)
    dm.prepare_data()
    dm.setup()
    return dm


def _assignment(dm: DetectionDataModule) -> dict[str, list[str]]:
    return {k: sorted(str(s.image_path) for s in v) for k, v in dm.splits.items()}


def test_split_is_8_1_1_grouped_by_shoot_and_stratified_by_class(tmp_path: Path, synth_cache: Path) -> None:
    dm = _datamodule(tmp_path, synth_cache)
    sizes = {k: len(v) for k, v in dm.splits.items()}
    assert sizes == {"train": 48, "val": 6, "test": 6}
    side_of_code: dict[str, str] = {}
    for side, samples in dm.splits.items():
        for s in samples:
            assert side_of_code.setdefault(s.meta["code"], side) == side, f"shoot {s.meta['code']} leaks"
    # stratified: every class is in train, and the one-per-class val/test picks cover every class
    for side in ("train", "val", "test"):
        assert set(dm.object_counts(side)) == set(dm.class_names), side
    assert dm.class_groups == {name: dm.class_groups[name] for name in dm.class_names}
    assert set(dm.class_groups.values()) == set(DOMAINS)


def test_split_is_reproducible_by_seed(tmp_path: Path, synth_cache: Path) -> None:
    first = _assignment(_datamodule(tmp_path, synth_cache))
    again = _assignment(_datamodule(tmp_path, synth_cache))
    other = _assignment(_datamodule(tmp_path, synth_cache, "dataset.split.seed=7"))
    assert first == again
    assert first != other


def test_one_domain_alone(tmp_path: Path, synth_cache: Path) -> None:
    dm = _datamodule(tmp_path, synth_cache, "dataset.reader.domains=[products]")
    assert {s.meta["domain"] for v in dm.splits.values() for s in v} == {"상품"}
    assert set(dm.class_groups.values()) == {"상품"}


@pytest.mark.slow
def test_smoke_run_reports_per_domain_map_and_results_table(tmp_path: Path, synth_cache: Path) -> None:
    run_dir = tmp_path / "실행_결과"
    metrics = smoke_run_config(SMOKE, run_dir, synth_cache)
    assert metrics["train/loss_decreased"] is True
    # AP at IoU 0.5 bounds the AP over 0.5:0.95, overall and per domain
    assert metrics["test/bbox_mAP_50"] >= metrics["test/bbox_mAP_75"]
    assert metrics["test/bbox_mAP_50"] >= metrics["test/bbox_mAP"]
    for domain in DOMAINS:
        assert metrics[f"test/bbox_mAP_50/{domain}"] >= metrics[f"test/bbox_mAP/{domain}"]
    per_class = {k for k in metrics if k.startswith("test/bbox_AP/")}
    assert len(per_class) == 6
    # each domain's mAP is the mean over its two classes
    class_groups = _datamodule(tmp_path, synth_cache).class_groups
    for domain in DOMAINS:
        names = [name for name, group in class_groups.items() if group == domain]
        assert len(names) == 2, domain
        mean = sum(metrics[f"test/bbox_AP/{name}"] for name in names) / 2
        assert metrics[f"test/bbox_mAP/{domain}"] == pytest.approx(mean, abs=1e-6)
    # COCO mAP is the mean over classes, so the domain means must average back to it
    domain_mean = sum(metrics[f"test/bbox_mAP/{d}"] * 2 for d in DOMAINS) / 6
    assert domain_mean == pytest.approx(metrics["test/bbox_mAP"], abs=1e-6)

    table = (run_dir / "results.md").read_text(encoding="utf-8")
    assert "## Per group" in table and "## Worst classes" in table
    for domain in DOMAINS:
        assert f"| {domain} | 2 | {metrics[f'test/bbox_mAP/{domain}']:.3f} |" in table
    assert f"| bbox | {metrics['test/bbox_mAP']:.3f} | {metrics['test/bbox_mAP_50']:.3f} |" in table

    splits = json.loads((run_dir / "splits.json").read_text(encoding="utf-8"))
    assert {len(v) for v in splits.values()} and not set(splits["train"]) & set(splits["test"])
    report = json.loads((run_dir / "data_report.json").read_text(encoding="utf-8"))
    assert report["stats"]["boxes_with_swapped_corners"] > 0
    assert report["stats"]["images_read/상품"] == 20
    assert (run_dir / "predictions_test.json").is_file()
