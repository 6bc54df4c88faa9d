"""Every config combination users are told about composes and builds."""

from __future__ import annotations

from pathlib import Path

import hydra
import pytest

from tests.conftest import compose_config

CONFIGS = Path(__file__).resolve().parents[1] / "aihub_bench" / "configs"
EXPERIMENTS = sorted(p.stem for p in (CONFIGS / "experiment").glob("*.yaml"))


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_with_smoke_builds_a_small_model(experiment: str, tmp_path: Path) -> None:
    cfg = compose_config([f"experiment={experiment}", "debug=smoke"], tmp_path / "run", tmp_path)
    assert cfg.model.net.backbone == "small" and cfg.trainer.max_epochs <= 3
    net = hydra.utils.instantiate(cfg.model.net)(num_classes=3)
    assert sum(p.numel() for p in net.parameters()) < 40e6  # the smallest backbones, not R50


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_composes_for_a_real_root(experiment: str, tmp_path: Path) -> None:
    cfg = compose_config([f"experiment={experiment}", "dataset.root=/data/xray"], tmp_path / "run", tmp_path)
    assert cfg.dataset.input_min_size == 800 and cfg.dataset.input_max_size == 1333
    assert cfg.callbacks.model_checkpoint.monitor == "val/bbox_mAP"


def test_synthetic_default_sizes_the_model_input_to_the_twin(tmp_path: Path) -> None:
    cfg = compose_config([], tmp_path / "run", tmp_path)
    assert cfg.dataset.input_min_size == cfg.dataset.synthetic.image_size == 320


@pytest.mark.parametrize("trainer", ["default", "cpu", "gpu", "ddp"])
def test_trainer_groups_compose(trainer: str, tmp_path: Path) -> None:
    cfg = compose_config([f"trainer={trainer}"], tmp_path / "run", tmp_path)
    assert cfg.trainer._target_ == "pytorch_lightning.Trainer"
    if trainer in ("gpu", "ddp"):
        assert cfg.trainer.precision == "bf16-mixed"
