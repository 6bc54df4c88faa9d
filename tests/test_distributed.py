"""DDP on CPU (gloo, 2 processes): training works, only rank 0 writes the run directory, every test
sample is evaluated exactly once, and predictions are gathered from every rank.

Comparing DDP with one process is only exact when both compute each sample the same way: CPU
kernels may round differently for another batch composition or thread count, and a barely trained
model's near-flat heatmaps (or an untrained decoder's near-uniform logits) turn a last-bit
difference into another argmax. So the compared evaluations run with batch size 1 and one thread
on both sides: the same per-sample computation, whatever the CPU. A test with a deliberately broken
sampler shows that the checks fail when a sample is evaluated twice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DDP_CPU = [
    "trainer=ddp",
    "trainer.accelerator=cpu",
    "trainer.devices=2",
    "trainer.precision=32-true",
    "trainer.sync_batchnorm=false",
]
# with OMP_NUM_THREADS=1 (see _run); the whole test set, as smoke's batch cap applies per rank
SAME_PER_SAMPLE = ["dataset.eval_batch_size=1", "trainer.limit_test_batches=1.0"]
SMOKE_POSE = ["experiment=human_motion_keypoints", "debug=smoke", *SAME_PER_SAMPLE]

# Rank r gets every sample, as a sampler that forgot to shard would: each sample is evaluated twice.
BROKEN_SAMPLER_EVAL = """
import sys
import pytorch_lightning.overrides.distributed as pl_distributed
from torch.utils.data import DistributedSampler

class EverySampleOnEveryRank(DistributedSampler):  # a DistributedSampler, so Lightning keeps it
    def __init__(self, dataset, shuffle=False, **kwargs):
        super().__init__(dataset, shuffle=False, **kwargs)
        self.n = len(dataset)
    def __iter__(self):
        return iter(range(self.n))
    def __len__(self):
        return self.n

pl_distributed.UnrepeatedDistributedSampler = EverySampleOnEveryRank
sys.path.insert(0, {repo!r})
from aihub_bench.evaluate import main
main()
"""


def _run(script: str | Path, run_dir: Path, data_dir: Path, *overrides: str) -> dict[str, Any]:
    command = [
        sys.executable,
        str(script),
        *overrides,
        f"hydra.run.dir={run_dir}",
        f"paths.data_dir={data_dir}",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads((run_dir / "metrics.json").read_text())


def _evaluated_people(run_dir: Path) -> Counter[int]:
    """How many people of each test image the run evaluated (from its predictions file)."""
    return Counter(p["image_id"] for p in json.loads((run_dir / "predictions_test.json").read_text()))


def assert_same_evaluation(
    ddp_dir: Path, ddp: dict[str, Any], single_dir: Path, single: dict[str, Any]
) -> None:
    """Every sample exactly once (ids as a multiset, and the count), then equal metrics."""
    assert _evaluated_people(ddp_dir) == _evaluated_people(single_dir), "evaluated samples differ"
    assert ddp["test/people"] == single["test/people"]
    keys = [k for k in single if k.startswith("test/") and k != "test/loss"]
    assert keys and {k: ddp[k] for k in keys} == {k: single[k] for k in keys}
    assert ddp["test/loss"] == pytest.approx(single["test/loss"], rel=1e-5)  # a mean of rank means


@pytest.mark.slow
def test_ddp_training_on_two_cpu_processes_matches_single_process_evaluation(
    tmp_path: Path, synth_cache: Path
) -> None:
    ddp_dir = tmp_path / "ddp"
    trained = _run(
        "train.py", ddp_dir, synth_cache, *SMOKE_POSE, *DDP_CPU, "callbacks.rich_progress_bar=null"
    )
    assert trained["train/loss_decreased"] is True

    # rank 0 wrote the run directory; rank 1 only its own log
    assert (ddp_dir / "train.log").is_file() and (ddp_dir / "train.rank1.log").is_file()
    assert "trainer=ddp" in " ".join(json.loads((ddp_dir / "env.json").read_text())["argv"])
    assert not list(ddp_dir.glob("*rank1*.json"))

    # the DDP test (each rank half the test set) equals one process testing the same checkpoint
    best = next((ddp_dir / "checkpoints").glob("best_epoch*.ckpt"))
    single_dir = tmp_path / "single"
    single = _run("eval.py", single_dir, synth_cache, *SMOKE_POSE, f"ckpt_path={best}")
    assert_same_evaluation(ddp_dir, trained, single_dir, single)
    assert trained["test/people"] > 2 and sum(_evaluated_people(ddp_dir).values()) == trained["test/people"]

    # the same checks catch a sampler that evaluates samples twice
    broken_dir = tmp_path / "broken"
    script = tmp_path / "broken_sampler_eval.py"
    script.write_text(BROKEN_SAMPLER_EVAL.format(repo=str(REPO)))
    broken = _run(script, broken_dir, synth_cache, *SMOKE_POSE, *DDP_CPU, f"ckpt_path={best}")
    assert broken["test/people"] == 2 * single["test/people"]
    with pytest.raises(AssertionError, match="evaluated samples differ"):
        assert_same_evaluation(broken_dir, broken, single_dir, single)


@pytest.mark.slow
def test_ddp_translation_outputs_are_gathered_in_dataset_order(tmp_path: Path, synth_cache: Path) -> None:
    smoke = ["experiment=nmt_news_base", "debug=smoke", "train=false", *SAME_PER_SAMPLE]
    single = _run("train.py", tmp_path / "single", synth_cache, *smoke)
    ddp = _run("train.py", tmp_path / "ddp", synth_cache, *smoke, *DDP_CPU)
    for name in ("test.src.txt", "test.ref.txt", "test.hyp.txt"):
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
