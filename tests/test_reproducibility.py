"""Same seed + ``trainer.deterministic=true`` -> identical metrics; a killed run resumed from its last
checkpoint ends exactly where an uninterrupted one does (EpochShuffle + checkpointed callback state)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow  # three 4-epoch training runs

REPO = Path(__file__).resolve().parents[1]
SMOKE = [
    "experiment=human_motion_keypoints",
    "debug=smoke",
    "trainer.deterministic=true",
    "trainer.max_epochs=4",
    "callbacks.rich_progress_bar=null",
]


def _command(run_dir: Path, data_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "train.py",
        *SMOKE,
        f"hydra.run.dir={run_dir}",
        f"paths.data_dir={data_dir}",
        *extra,
    ]


def _train(run_dir: Path, data_dir: Path, *extra: str) -> dict:
    subprocess.run(_command(run_dir, data_dir, *extra), cwd=REPO, check=True, capture_output=True)
    return json.loads((run_dir / "metrics.json").read_text())


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory, synth_cache: Path) -> tuple[Path, dict]:
    run_dir = tmp_path_factory.mktemp("repro") / "uninterrupted"
    return run_dir, _train(run_dir, synth_cache)


def test_two_runs_with_the_same_seed_give_identical_metrics(
    uninterrupted: tuple[Path, dict], tmp_path: Path, synth_cache: Path
) -> None:
    _, first = uninterrupted
    second = _train(tmp_path / "again", synth_cache)
    assert second == first  # exact, every key
    assert first["train/loss_decreased"] is True and "test/PCK@0.2" in first


def test_a_killed_run_resumed_from_last_ckpt_ends_like_an_uninterrupted_one(
    uninterrupted: tuple[Path, dict], tmp_path: Path, synth_cache: Path
) -> None:
    _, expected = uninterrupted
    run_dir = tmp_path / "killed"
    last = run_dir / "checkpoints" / "last.ckpt"
    process = subprocess.Popen(
        _command(run_dir, synth_cache),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while not last.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # let the first epoch's checkpoint finish writing; epoch 2 is now under way
    assert process.poll() is None, "the run ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (run_dir / "metrics.json").exists()
    saved_epoch = torch.load(last, map_location="cpu", weights_only=True)["epoch"]
    assert 0 <= saved_epoch < 3  # killed before the last epoch

    resumed = _train(run_dir, synth_cache, f"ckpt_path={last}")
    assert resumed == expected
    rows = (run_dir / "loss_curve.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + 4  # header + every epoch, the ones before the kill included
