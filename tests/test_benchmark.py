"""``aihub-bench bench``: the report, and that the plain loop is the same computation as the Lightning run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import pytorch_lightning as pl
import torch

from aihub_bench.bench import (
    BenchOptions,
    StepClock,
    UnsupportedTaskError,
    build_from_overrides,
    build_lightning,
    build_task,
    family_of_task_class,
    resolve_precision,
    run_benchmark,
    task_family,
    to_device,
)
from aihub_bench.cli import build_parser
from aihub_bench.tasks.base import FamilyTask
from aihub_bench.tasks.classification import ClassificationTask
from aihub_bench.tasks.detection import DetectionTask
from aihub_bench.tasks.keypoints import HeatmapPoseTask, KeypointRCNNTask
from aihub_bench.tasks.translation import TranslationTask

REPO = Path(__file__).resolve().parents[1]
# the smallest setting: the smoke twin (160 px) fed to the small Faster R-CNN at 96 px
SMOKE = [
    "dataset=xray_voc",
    "model=fasterrcnn",
    "debug=smoke",
    "dataset.input_min_size=96",
    "dataset.input_max_size=96",
]
# same batches, same augmentations (none), deterministic kernels: both loops must agree step by step
DETERMINISTIC = ["trainer.deterministic=true", "dataset.augment=null", "dataset.num_workers=0"]
SEED = 42


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, synth_cache: Path) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    options = BenchOptions(
        overrides=[*SMOKE, *DETERMINISTIC, f"paths.data_dir={synth_cache}"],
        steps=2,
        warmup=1,
        repeats=1,
        loader_batches=2,
        workers=[0],
        out=out,
        seed=SEED,
        threads=1,  # a shared 2-core machine: oversubscribed threads make CPU steps 10x slower
    )
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    report = run_benchmark(options)
    # --threads and trainer.deterministic apply to the benchmark only
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == deterministic
    return report


@pytest.mark.slow
def test_report_has_both_throughputs_the_ratio_loader_memory_and_markdown(report: dict[str, Any]) -> None:
    written = json.loads(Path(report["out"]).read_text())
    assert written == {k: v for k, v in report.items() if k != "out"}
    plain, lightning = written["plain"], written["lightning"]
    assert plain["median"] > 0 and lightning["median"] > 0
    assert len(plain["values"]) == len(lightning["values"]) == 1
    assert written["ratio"] == pytest.approx(lightning["median"] / plain["median"])
    assert written["verdict"] == ("PASS" if written["ratio"] >= 0.95 else "BELOW")
    for run in (*plain["runs"], *lightning["runs"]):
        assert run["steps"] == 2 and run["units"] == 2 * 2  # two timed steps of batch 2
        assert run["schedule_total_steps"] == 3  # the same warm-up + cosine length in both loops
        assert run["seconds"] > 0 and run["peak_mib"] > 0
    # validation, checkpointing and the progress bar are off; the CSV logger stays
    assert not {"ModelCheckpoint", "RichProgressBar", "TQDMProgressBar"} & set(
        lightning["runs"][0]["callbacks"]
    )
    assert "CSVLogger" in lightning["runs"][0]["loggers"]

    (loader,) = written["loader"]
    assert loader["workers"] == 0 and loader["batches"] == 2 and loader["units_per_s"] > 0
    assert loader["units"] == 2 * 2  # the task's batch_units: images of two batches of 2
    assert loader["units_per_s_per_worker"] == loader["units_per_s"]  # 0 workers: the main process
    assert written["peak_memory_mib"]["max"] > 0 and "not per phase" in written["peak_memory_mib"]["kind"]

    assert written["unit"] == "img" and written["family"] == "detection"
    assert written["config"]["batch_size"] == 2 and written["config"]["precision"] == "32-true"
    assert written["env"]["torch"] == torch.__version__ and written["env"]["threads"] == 1
    assert written["overrides"][: len(SMOKE)] == SMOKE
    line = written["markdown"]
    assert line.startswith("| xray_voc / fasterrcnn (small) | cpu | 32-true | bs 2 | plain ")
    assert f"ratio {written['ratio']:.2f} {written['verdict']}" in line
    assert "| loader 0w " in line and line.endswith("|") and "peak " in line


@pytest.mark.slow
def test_plain_loop_and_lightning_compute_the_same_losses(report: dict[str, Any]) -> None:
    """Same initial weights, same batches, same optimiser/schedule/clipping: the same computation.

    On CPU with deterministic kernels the two loops give bit-identical losses; the tolerance only
    allows for a BLAS that sums in another order.
    """
    plain = report["plain"]["runs"][0]["losses"]
    lightning = report["lightning"]["runs"][0]["losses"]
    assert len(plain) == len(lightning) == 3  # warm-up + timed steps
    assert plain == pytest.approx(lightning, rel=1e-5, abs=1e-6)
    assert len(set(plain)) > 1  # the weights did move between steps


@pytest.mark.slow
def test_bf16_mixed_and_channels_last_apply_to_both_loops_alike(tmp_path: Path, synth_cache: Path) -> None:
    """The GPU options on CPU: autocast as Lightning's AMP plugin does it (no weight-cast cache)."""
    options = BenchOptions(
        overrides=[*SMOKE, *DETERMINISTIC, f"paths.data_dir={synth_cache}"],
        steps=2,
        warmup=1,
        repeats=1,
        loader_batches=1,
        workers=[0],
        precision="bf16-mixed",
        channels_last=True,
        out=tmp_path / "bf16.json",
        seed=SEED,
        threads=1,
    )
    report = run_benchmark(options)
    assert report["config"]["precision"] == "bf16-mixed" and report["settings"]["channels_last"]
    assert "| bf16-mixed channels_last |" in report["markdown"]
    plain, lightning = report["plain"]["runs"][0]["losses"], report["lightning"]["runs"][0]["losses"]
    # a weight-cast cache in the plain loop's autocast made the third loss differ in the 4th digit
    assert len(plain) == 3 and plain == pytest.approx(lightning, rel=1e-5, abs=1e-6)


@pytest.mark.slow
def test_both_loops_start_from_identical_weights(tmp_path: Path, synth_cache: Path) -> None:
    setup = build_from_overrides([*SMOKE, f"paths.data_dir={synth_cache}"], tmp_path)
    plain = build_task(setup, SEED)
    lightning, trainer = build_lightning(setup, SEED, 3, "32-true", tmp_path / "lightning")
    first_plain, first_lightning = next(plain.parameters()), next(lightning.parameters())
    assert torch.equal(first_plain, first_lightning)
    state_plain, state_lightning = plain.state_dict(), lightning.state_dict()
    assert state_plain.keys() == state_lightning.keys()
    assert all(torch.equal(state_plain[k], state_lightning[k]) for k in state_plain)
    other = build_task(setup, SEED + 1)
    assert not torch.equal(next(other.parameters()), first_plain)  # the seed is what makes them equal
    assert trainer.max_steps == 3 and trainer.limit_val_batches == 0 and trainer.checkpoint_callback is None


class _NoFamilyTask(pl.LightningModule):
    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return torch.zeros(())


class _NoLossTask(FamilyTask):
    family = DetectionTask.family  # a family, but no training_loss of its own


def test_task_without_a_family_fails_clearly() -> None:
    with pytest.raises(UnsupportedTaskError, match="cannot train _NoFamilyTask: .* declares no task family"):
        task_family(_NoFamilyTask())
    # the CLI reports ValueErrors; the contract raises TypeError: it is both
    assert issubclass(UnsupportedTaskError, TypeError) and issubclass(UnsupportedTaskError, ValueError)


def test_task_without_a_training_loss_fails_clearly() -> None:
    with pytest.raises(UnsupportedTaskError, match="cannot train _NoLossTask: .*training_loss"):
        family_of_task_class(_NoLossTask)


def test_family_and_unit_come_from_the_task_class() -> None:
    # Keypoint R-CNN trains on the detector's losses but belongs to the keypoints family
    got = {
        cls.__name__: (family_of_task_class(cls).name, family_of_task_class(cls).unit)
        for cls in (DetectionTask, ClassificationTask, HeatmapPoseTask, KeypointRCNNTask, TranslationTask)
    }
    assert got == {
        "DetectionTask": ("detection", "img"),
        "ClassificationTask": ("classification", "case"),
        "HeatmapPoseTask": ("keypoints", "img"),
        "KeypointRCNNTask": ("keypoints", "img"),
        "TranslationTask": ("translation", "tok"),
    }


def test_step_clock_counts_what_the_counter_says() -> None:
    clock = StepClock(warmup=1, steps=2, units=lambda batch: batch["n"], device=torch.device("cpu"))
    for n in (100, torch.tensor(3), 4):  # the warm-up step is not counted; tensors are summed after
        clock.start()
        clock.end(torch.tensor(1.0), {"n": n})
    result = clock.result()
    assert result["units"] == 7 and result["steps"] == 2 and result["losses"] == [1.0] * 3


def test_precision_choice() -> None:
    assert resolve_precision(_trainer_cfg(), "bf16") == "bf16-mixed"
    with pytest.raises(ValueError, match="32-true or bf16-mixed"):
        resolve_precision(_trainer_cfg(), "16-mixed")


def _trainer_cfg() -> Any:
    from omegaconf import OmegaConf

    return OmegaConf.create({"trainer": {"precision": "32-true"}})


def test_channels_last_applies_to_image_batches_only() -> None:
    batch = {"image": torch.zeros(2, 3, 8, 8), "heatmap": [torch.zeros(3, 4, 4)], "name": ["a"]}
    moved = to_device(batch, torch.device("cpu"), channels_last=True)
    assert moved["image"].is_contiguous(memory_format=torch.channels_last)
    assert moved["heatmap"][0].is_contiguous() and moved["name"] == ["a"]


def test_cli_parses_bench_flags_and_overrides() -> None:
    args = build_parser().parse_args(
        [
            "bench",
            "dataset=xray_voc",
            "model=fasterrcnn",
            "model.net.backbone=small",
            "--steps",
            "20",
            "--workers",
            "0,1,2",
            "--precision",
            "bf16-mixed",
            "--channels-last",
            "--compile",
        ]
    )
    assert args.overrides == ["dataset=xray_voc", "model=fasterrcnn", "model.net.backbone=small"]
    assert (args.steps, args.workers, args.precision) == (20, [0, 1, 2], "bf16-mixed")
    assert args.channels_last and args.compile and args.repeats == 3 and args.warmup is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "--workers", "x"])


def test_script_wrapper_is_the_same_command() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "benchmark.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    ).stdout
    assert "--loader-batches" in out and "--channels-last" in out
