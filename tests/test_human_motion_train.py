"""Human motion end to end: the builders' loss-curve check, pose metrics, Keypoint R-CNN, bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aihub_bench.datasets.human_motion import read_human_motion
from aihub_bench.datasets.registry import ensure_twin
from aihub_bench.errors import ErrorPolicy
from tests.conftest import reuse_smoke_run, run_config

REPO = Path(__file__).resolve().parents[1]
SMOKE = ["experiment=human_motion_keypoints", "debug=smoke"]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory, synth_cache: Path) -> Path:
    """The issue's done-when, as a user types it (or the same run from ``$AIHUB_SMOKE_RUNS``)."""
    run = tmp_path_factory.mktemp("human_motion") / "run"
    if reuse_smoke_run(SMOKE, run, synth_cache) is None:
        subprocess.run(
            [sys.executable, "train.py", *SMOKE, f"hydra.run.dir={run}", f"paths.data_dir={synth_cache}"],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
    return run


@pytest.mark.slow
def test_smoke_run_writes_the_loss_curve_and_pose_metrics(smoke_run: Path) -> None:
    run = smoke_run
    metrics = json.loads((run / "metrics.json").read_text())
    # a smoke run learns the stick figures reliably: 0.82-0.92 trained, 0.29-0.39 untrained (README)
    assert metrics["test/PCK@0.2"] > 0.6
    # AP at OKS 0.5 bounds the AP averaged over the stricter thresholds 0.5:0.95
    assert metrics["test/OKS_AP50"] >= metrics["test/OKS_AP"] > 0.0
    joints = [k for k in metrics if k.startswith("test/PCK@0.2/")]
    assert len(joints) == 16 and "test/PCK@0.2/head_top" in joints
    assert min(metrics[k] for k in joints) <= metrics["test/PCK@0.2"] <= max(metrics[k] for k in joints)
    assert metrics["train/loss_decreased"] is True
    assert metrics["train/loss_last"] < metrics["train/loss_first"]
    assert (run / "loss_curve.png").stat().st_size > 1000

    with (run / "loss_curve.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    assert float(rows[0]["train_loss"]) == pytest.approx(metrics["train/loss_first"])
    assert all(float(r["val_loss"]) > 0 for r in rows)
    with (run / "csv" / "metrics.csv").open() as fh:
        logged = list(csv.DictReader(fh))
    val_losses = [float(r["val/loss"]) for r in logged if r.get("val/loss")]
    assert val_losses == pytest.approx([float(r["val_loss"]) for r in rows])

    predictions = json.loads((run / "predictions_test.json").read_text())
    assert len(predictions) == metrics["test/people"] and len(predictions[0]["keypoints"]) == 16 * 3
    report = json.loads((run / "data_report.json").read_text())
    assert report["split_takes"]["test"] >= 1 and report["stats"]["flag_1"] > 0


@pytest.mark.slow
def test_trained_model_beats_the_untrained_one(smoke_run: Path, tmp_path: Path, synth_cache: Path) -> None:
    trained = json.loads((smoke_run / "metrics.json").read_text())
    untrained = run_config([*SMOKE, "train=false"], tmp_path / "untrained", synth_cache)
    assert trained["test/PCK@0.2"] > untrained["test/PCK@0.2"] + 0.2
    assert trained["test/PCKh@0.5"] > untrained["test/PCKh@0.5"]


@pytest.mark.slow
def test_keypoint_rcnn_trains_on_whole_frames(tmp_path: Path, synth_cache: Path) -> None:
    metrics = run_config(
        ["dataset=human_motion", "model=keypointrcnn", "debug=smoke", "trainer.max_epochs=2"],
        tmp_path,
        synth_cache,
    )
    assert metrics["train/loss_decreased"] is True
    assert {"test/PCK@0.2", "test/OKS_AP", "val/loss"} <= metrics.keys()
    assert (tmp_path / "loss_curve.csv").is_file()


def test_frames_decoded_from_videos_match_the_frame_files(tmp_path: Path, synth_cache: Path) -> None:
    root = ensure_twin("human_motion", synth_cache, takes_per_scenario=1, cameras=2, frames_per_clip=3)
    from_images = read_human_motion(root, ErrorPolicy(), frames="images")
    from_video = read_human_motion(root, ErrorPolicy(), frames="video", frame_cache_dir=tmp_path / "frames")
    assert len(from_images) == len(from_video) == 4 * 2 * 3
    for a, b in zip(from_images, from_video, strict=True):
        assert a.meta["clip"] == b.meta["clip"] and a.meta["img_no"] == b.meta["img_no"]
        np.testing.assert_array_equal(a.keypoints, b.keypoints)
        assert b.image_path.is_relative_to(tmp_path / "frames")
    with_3d = [s for s in from_images if s.joints_3d is not None]
    assert with_3d and with_3d[0].joints_3d.shape == (1, 16, 3)


@pytest.mark.slow
def test_bad_annotation_files_are_counted_in_the_data_report(tmp_path: Path, synth_cache: Path) -> None:
    import shutil

    source = ensure_twin("human_motion", synth_cache, takes_per_scenario=3, cameras=2, frames_per_clip=4)
    root = tmp_path / "release"
    shutil.copytree(source, root)
    annotations = sorted((root / "annotation").rglob("*_2D.json"))
    annotations[0].write_text("{not json", encoding="utf-8")
    broken = json.loads(annotations[1].read_text(encoding="utf-8"))
    broken["annotations"][0]["keypoints"] = broken["annotations"][0]["keypoints"][:-3]
    annotations[1].write_text(json.dumps(broken), encoding="utf-8")

    with pytest.raises(ValueError, match=annotations[0].name):
        run_config([*SMOKE, f"dataset.root={root}"], tmp_path / "strict", synth_cache)
    run_config(
        [*SMOKE, f"dataset.root={root}", "dataset.on_error=skip", "train=false"],
        tmp_path / "lenient",
        synth_cache,
    )
    report = json.loads((tmp_path / "lenient" / "data_report.json").read_text())
    assert report["skipped_by_kind"] == {"bad_json": 1, "bad_keypoints": 1}
    assert report["stats"]["clips"] == len(annotations) - 1
