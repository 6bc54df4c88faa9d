"""CCTV end to end: the gate's smoke runs (reused when they exist) write the keys and files the two
video families promise, their numbers agree with the files written, and no take crosses splits."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import smoke_run_config

CLASSIFICATION = ["experiment=cctv_event_classification", "debug=smoke"]
LOCALIZATION = ["experiment=cctv_temporal_localization", "debug=smoke"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _takes(run: Path, split: str) -> set[str]:
    """The takes (scene folders) of a split's videos, from the keys the run lists."""
    lines = (run / f"videos_{split}.txt").read_text(encoding="utf-8").splitlines()
    return {Path(line).parent.name for line in lines if line.strip()}


def _assert_take_disjoint(run: Path) -> None:
    train, val, test = (_takes(run, s) for s in ("train", "val", "test"))
    assert train and test
    assert not train & test and not train & val and not val & test


@pytest.mark.slow
def test_event_classification_smoke_run_writes_top1_and_mean_class_accuracy(
    tmp_path: Path, synth_cache: Path
) -> None:
    run = tmp_path / "run"
    metrics = smoke_run_config(CLASSIFICATION, run, synth_cache)
    assert metrics["train/loss_decreased"] is True
    clips = _rows(run / "predictions_test.csv")
    assert len(clips) == metrics["test/clips"] > 0
    correct = np.array([r["label"] == r["predicted"] for r in clips])
    assert metrics["test/top1"] == pytest.approx(correct.mean(), abs=1e-6)
    labels = sorted({r["label"] for r in clips})
    recalls = [np.mean([r["predicted"] == c for r in clips if r["label"] == c]) for c in labels]
    assert metrics["test/mean_class_accuracy"] == pytest.approx(np.mean(recalls), abs=1e-6)
    assert (run / "confusion_test.png").is_file() and (run / "results.md").is_file()
    _assert_take_disjoint(run)


@pytest.mark.slow
def test_temporal_localization_smoke_run_writes_frame_auc_and_segment_map(
    tmp_path: Path, synth_cache: Path
) -> None:
    run = tmp_path / "run"
    metrics = smoke_run_config(LOCALIZATION, run, synth_cache)
    assert metrics["train/loss_decreased"] is True
    for key in ("test/frame_auc", "test/mAP@0.3", "test/mAP@0.5", "test/mAP@0.7", "test/mAP"):
        assert key in metrics, key
    assert metrics["test/mAP"] == pytest.approx(
        np.mean([metrics[f"test/mAP@{t}"] for t in (0.3, 0.5, 0.7)]), abs=1e-6
    )
    windows = _rows(run / "windows_test.csv")
    assert len(windows) == metrics["test/windows"]
    # every test video was scored: the smoke settings let every window through
    tested = (run / "videos_test.txt").read_text(encoding="utf-8").split()
    assert {r["key"] for r in windows} == set(tested)
    assert metrics["test/videos_without_windows"] == 0
    assert (run / "timeline_test.png").is_file() and (run / "segments_test.csv").is_file()
    _assert_take_disjoint(run)
