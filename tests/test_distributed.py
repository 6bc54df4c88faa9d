"""DDP on CPU (gloo, 2 processes): training works, only rank 0 writes the run directory, and test
metrics equal a single process's (no duplicated samples, predictions gathered from every rank)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DDP_CPU = [
    "trainer=ddp",
    "trainer.accelerator=cpu",
    "trainer.devices=2",
    "trainer.precision=32-true",
    "trainer.sync_batchnorm=false",
]


def _run(script: str, run_dir: Path, data_dir: Path, *overrides: str) -> dict:
    command = [sys.executable, script, *overrides, f"hydra.run.dir={run_dir}", f"paths.data_dir={data_dir}"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads((run_dir / "metrics.json").read_text())


def test_ddp_training_on_two_cpu_processes_matches_single_process_evaluation(
    tmp_path: Path, synth_cache: Path
) -> None:
    smoke = ["experiment=human_motion_keypoints", "debug=smoke"]
    ddp_dir = tmp_path / "ddp"
    trained = _run("train.py", ddp_dir, synth_cache, *smoke, *DDP_CPU, "callbacks.rich_progress_bar=null")
    assert trained["train/loss_decreased"] is True

    # rank 0 wrote the run directory; rank 1 only its own log
    assert (ddp_dir / "train.log").is_file() and (ddp_dir / "train.rank1.log").is_file()
    assert "trainer=ddp" in " ".join(json.loads((ddp_dir / "env.json").read_text())["argv"])
    assert not list(ddp_dir.glob("*rank1*.json"))

    # the DDP test (each rank half the test set) equals one process testing the same checkpoint
    best = next((ddp_dir / "checkpoints").glob("best_epoch*.ckpt"))
    single = _run("eval.py", tmp_path / "single", synth_cache, *smoke, f"ckpt_path={best}")
    keys = [k for k in single if k.startswith("test/") and k != "test/loss"]
    assert keys and {k: trained[k] for k in keys} == {k: single[k] for k in keys}
    assert trained["test/loss"] == pytest.approx(single["test/loss"], rel=1e-5)  # mean of rank means
    people = json.loads((ddp_dir / "predictions_test.json").read_text())
    assert len(people) == trained["test/people"] == single["test/people"]


def test_ddp_translation_outputs_are_gathered_in_dataset_order(tmp_path: Path, synth_cache: Path) -> None:
    smoke = ["experiment=nmt_news_base", "debug=smoke", "train=false"]
    single = _run("train.py", tmp_path / "single", synth_cache, *smoke)
    ddp = _run("train.py", tmp_path / "ddp", synth_cache, *smoke, *DDP_CPU)
    for name in ("test.src.txt", "test.hyp.txt", "test.ref.txt"):
        assert (tmp_path / "ddp" / name).read_text() == (tmp_path / "single" / name).read_text(), name
    assert ddp["test/bleu"] == single["test/bleu"] and ddp["test/chrf"] == single["test/chrf"]


def test_submitit_launcher_composes_with_ddp_when_the_cluster_extra_is_installed() -> None:
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="aihub_bench.configs", version_base="1.3"):
        cfg = compose(
            config_name="train",
            overrides=[
                "hydra/launcher=submitit_slurm",
                "hydra.launcher.nodes=2",
                "hydra.launcher.tasks_per_node=4",
                "hydra.launcher.gpus_per_node=4",
                "trainer=ddp",
                "trainer.devices=4",
                "trainer.num_nodes=2",
            ],
            return_hydra_config=True,
        )
    assert cfg.hydra.launcher._target_.endswith("SlurmLauncher")
    assert cfg.trainer.strategy == "ddp" and cfg.trainer.num_nodes == 2


def test_train_loader_stays_shuffled_for_lightning_under_ddp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lightning keeps shuffling under DDP only if the loader it replaces looks shuffled (a
    RandomSampler); single-process training uses the epoch-seeded EpochShuffle instead."""
    from pytorch_lightning.utilities.data import _is_dataloader_shuffled

    from aihub_bench.data import base

    class Tiny(base.SplitDataModule):
        batch_size, eval_batch_size, num_workers = 2, 2, 0

        def dataset(self, split: str) -> list[int]:
            return list(range(10))

    assert isinstance(Tiny().train_dataloader().sampler, base.EpochShuffle)
    monkeypatch.setattr(base, "_distributed", lambda: True)
    loader = Tiny().train_dataloader()
    assert _is_dataloader_shuffled(loader)
