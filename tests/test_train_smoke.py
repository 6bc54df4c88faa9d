"""End-to-end: `train.py ... debug=smoke` per model, the run directory contract, resume, eval."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from tests.conftest import run_config, smoke_run_config

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_maskrcnn_smoke_writes_run_dir_and_beats_untrained(tmp_path: Path, synth_cache: Path) -> None:
    # the smoke tier's experiment, so that CI reuses the gate's run (tests/conftest.py)
    trained = smoke_run_config(["experiment=xray_maskrcnn", "debug=smoke"], tmp_path / "run", synth_cache)
    for key in ("test/bbox_mAP", "test/segm_mAP", "test/bbox_mAP_50", "test/bbox_mAP_75", "test/segm_mAP_50"):
        assert key in trained
    assert any(k.startswith("test/bbox_AP/") for k in trained), "per-class AP missing"

    run = tmp_path / "run"
    for name in (
        "metrics.json",
        "config.yaml",
        "env.json",
        "data_report.json",
        "splits.json",
        "predictions_test.json",
        "csv/metrics.csv",
        "checkpoints/last.ckpt",
    ):
        assert (run / name).is_file(), name
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["model"]["net"]["arch"] == "maskrcnn"
    assert "${" not in (run / "config.yaml").read_text(), "config.yaml must be resolved"
    env = json.loads((run / "env.json").read_text())
    assert env["seed"] == 42 and env["packages"]["torch"] == torch.__version__.split("+")[0]
    assert {"git_sha", "device", "python"} <= env.keys()
    predictions = json.loads((run / "predictions_test.json").read_text())
    assert (
        predictions and {"image_id", "category_id", "bbox", "score", "segmentation"} <= predictions[0].keys()
    )

    untrained = run_config(
        ["experiment=xray_maskrcnn", "debug=smoke", "train=false"], tmp_path / "untrained", synth_cache
    )
    # Three epochs from scratch are chaotic: mAP@50 ranges 0.04-0.41 with the seed and the CPU's thread
    # count (README). The smoke run checks that training happened, not how well it went.
    assert trained["train/loss_decreased"] is True
    assert trained["test/bbox_mAP_50"] > untrained["test/bbox_mAP_50"]
    assert (run / "loss_curve.csv").is_file() and (run / "loss_curve.png").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("model", ["fasterrcnn", "retinanet", "ssd"])
def test_box_models_smoke_on_voc(model: str, tmp_path: Path, synth_cache: Path) -> None:
    metrics = run_config(
        ["dataset=xray_voc", f"model={model}", "debug=smoke", "trainer.max_epochs=1"], tmp_path, synth_cache
    )
    assert "test/bbox_mAP" in metrics and "test/segm_mAP" not in metrics
    # COCO mAP is the mean of the per-class APs, and AP at IoU 0.5 bounds the AP over 0.5:0.95
    per_class = [v for k, v in metrics.items() if k.startswith("test/bbox_AP/")]
    assert per_class and metrics["test/bbox_mAP"] == pytest.approx(sum(per_class) / len(per_class), abs=1e-6)
    assert metrics["test/bbox_mAP_50"] >= metrics["test/bbox_mAP"]
    predictions = json.loads((tmp_path / "predictions_test.json").read_text())
    test_images = json.loads((tmp_path / "splits.json").read_text())["test"]
    # one epoch may leave every score under the threshold; no predictions must then score zero
    assert len({p["image_id"] for p in predictions}) <= len(test_images)
    assert predictions or metrics["test/bbox_mAP_50"] == 0.0


def test_mask_model_on_box_only_dataset_fails_clearly(tmp_path: Path, synth_cache: Path) -> None:
    with pytest.raises(ValueError, match="boxes only"):
        run_config(["dataset=xray_voc", "model=maskrcnn", "debug=smoke"], tmp_path, synth_cache)


def _epochs_logged(run_dir: Path) -> set[int]:
    with (run_dir / "csv" / "metrics.csv").open() as fh:
        return {int(row["epoch"]) for row in csv.DictReader(fh) if row.get("epoch")}


@pytest.mark.slow
def test_resume_from_checkpoint_and_evaluate_it(tmp_path: Path, synth_cache: Path) -> None:
    base = ["dataset=xray_voc", "model=ssd", "debug=smoke"]
    first = tmp_path / "first"
    run_config([*base, "trainer.max_epochs=1", "test=false"], first, synth_cache)
    last = first / "checkpoints" / "last.ckpt"
    state = torch.load(last, map_location="cpu", weights_only=False)
    assert state["epoch"] == 0

    resumed = tmp_path / "resumed"
    run_config([*base, "trainer.max_epochs=2", f"ckpt_path={last}", "test=false"], resumed, synth_cache)
    state2 = torch.load(resumed / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert state2["epoch"] == 1 and state2["global_step"] == 2 * state["global_step"]
    assert _epochs_logged(resumed) == {1}, "a resumed run continues at epoch 1"

    evaluated = run_config(
        [*base, f"ckpt_path={last}"], tmp_path / "eval", synth_cache, config_name="eval", evaluate_only=True
    )
    assert "test/bbox_mAP" in evaluated


@pytest.mark.slow
def test_cli_multirun_writes_one_run_dir_per_job(tmp_path: Path, synth_cache: Path) -> None:
    cmd = [
        sys.executable,
        "train.py",
        "-m",
        "dataset=xray_voc",
        "model=ssd",
        "debug=smoke",
        "seed=1,2",
        "trainer.max_epochs=1",
        "callbacks.rich_progress_bar=null",
        f"paths.data_dir={synth_cache}",
        f"hydra.sweep.dir={tmp_path}",
    ]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for job in ("0", "1"):
        metrics = json.loads((tmp_path / job / "metrics.json").read_text())
        assert "test/bbox_mAP" in metrics
        assert json.loads((tmp_path / job / "env.json").read_text())["seed"] == int(job) + 1
    assert "Run directory:" in done.stdout


@pytest.mark.slow
def test_real_root_with_bad_image_is_skipped_and_reported(tmp_path: Path, synth_cache: Path) -> None:
    from aihub_bench.datasets.xray import write_synthetic_xray

    root = write_synthetic_xray(
        tmp_path / "download", classes=["Gun", "Knife"], images_per_subset=1, image_size=96
    )
    broken = sorted(root.rglob("*.png"))[3]
    broken.write_bytes(broken.read_bytes()[:200])  # truncated PNG
    base = ["dataset=xray_voc", "model=ssd", "debug=smoke", f"dataset.root={root}", "train=false"]

    with pytest.raises(Exception, match=broken.name):
        run_config(base, tmp_path / "strict", synth_cache)

    run_config([*base, "dataset.on_error=skip"], tmp_path / "skip", synth_cache)
    report = json.loads((tmp_path / "skip" / "data_report.json").read_text())
    assert report["skipped_total"] == 1
    assert report["examples"][0]["path"].endswith(broken.name)
    assert sum(report["split_sizes"].values()) == 23


def test_missing_root_is_a_clear_error(tmp_path: Path, synth_cache: Path) -> None:
    with pytest.raises(FileNotFoundError, match="dataset.root="):
        run_config(
            ["dataset=xray", "debug=smoke", f"dataset.root={tmp_path / 'nope'}"], tmp_path / "r", synth_cache
        )
