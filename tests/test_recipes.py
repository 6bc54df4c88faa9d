"""The dispatcher picks the recipe; the recipes call the lowest step. No training: the step is recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from omegaconf import DictConfig, OmegaConf

from aihub_bench import finetune, pipeline


def _cfg(tmp_path: Path, **sections: Any) -> DictConfig:
    base = {
        "paths": {"output_dir": str(tmp_path / "run")},
        "cv": {"folds": None},
        "finetune": None,
        "init_from": None,
        "test_before": False,
        "trainer": {"max_epochs": 8},
        "dataset": {"domain": "조례", "batch_size": 16, "tokenizers_from": None},
        "model": {"optimizer": {"lr": 1e-4}, "scheduler": {"warmup_steps": 10}},
    }
    return OmegaConf.merge(OmegaConf.create(base), OmegaConf.create(sections))  # type: ignore[return-value]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, DictConfig, bool]]:
    """Replace the step and the recipes the dispatcher calls with recorders."""
    seen: list[tuple[str, DictConfig, bool]] = []

    def step(cfg: DictConfig, evaluate_only: bool = False) -> dict[str, float]:
        seen.append(("fit_and_test", cfg, evaluate_only))
        return {"test/x": 1.0}

    def cross_validation(cfg: DictConfig) -> dict[str, float]:
        seen.append(("cross_validation", cfg, False))
        return {"cv/x": 2.0}

    def base_model(cfg: DictConfig) -> DictConfig:
        seen.append(("base_model", cfg, False))
        cfg = cfg.copy()
        cfg.finetune.base_ckpt = "base.ckpt"
        return cfg

    monkeypatch.setattr(pipeline, "fit_and_test", step)
    monkeypatch.setattr(pipeline, "run_cross_validation", cross_validation)
    monkeypatch.setattr(pipeline, "train_base_model", base_model)
    return seen


def test_a_plain_config_is_one_step(tmp_path: Path, calls: list) -> None:
    assert pipeline.run(_cfg(tmp_path)) == {"test/x": 1.0}
    assert [(name, only) for name, _, only in calls] == [("fit_and_test", False)]


def test_evaluation_is_one_step_that_only_tests(tmp_path: Path, calls: list) -> None:
    pipeline.run(_cfg(tmp_path), evaluate_only=True)
    assert [(name, only) for name, _, only in calls] == [("fit_and_test", True)]


def test_cv_folds_runs_cross_validation(tmp_path: Path, calls: list) -> None:
    assert pipeline.run(_cfg(tmp_path, cv={"folds": 5})) == {"cv/x": 2.0}
    assert [name for name, _, _ in calls] == ["cross_validation"]


def test_cross_validation_cannot_be_evaluated_as_one_checkpoint(tmp_path: Path, calls: list) -> None:
    with pytest.raises(ValueError, match="fold_<i>"):
        pipeline.run(_cfg(tmp_path, cv={"folds": 5}), evaluate_only=True)
    assert calls == []


def test_a_base_domain_trains_the_base_model_first(tmp_path: Path, calls: list) -> None:
    pipeline.run(_cfg(tmp_path, finetune={"base_domain": "뉴스", "base_ckpt": None}))
    assert [name for name, _, _ in calls] == ["base_model", "fit_and_test"]
    assert calls[1][1].finetune.base_ckpt == "base.ckpt"  # stage 2 starts from stage 1's checkpoint


def test_a_given_base_checkpoint_skips_the_base_model(tmp_path: Path, calls: list) -> None:
    pipeline.run(_cfg(tmp_path, finetune={"base_domain": "뉴스", "base_ckpt": "given.ckpt"}))
    assert [name for name, _, _ in calls] == ["fit_and_test"]


def test_finetune_with_folds_cross_validates_from_the_base_model(tmp_path: Path, calls: list) -> None:
    pipeline.run(_cfg(tmp_path, cv={"folds": 3}, finetune={"base_domain": "뉴스", "base_ckpt": None}))
    assert [name for name, _, _ in calls] == ["base_model", "cross_validation"]


def test_base_stage_is_one_step_on_the_base_domain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stage 1 is a single run (never a recipe) on the base domain, with the base schedule, in base/."""
    stages: list[DictConfig] = []

    def step(cfg: DictConfig) -> dict[str, float]:
        stages.append(cfg)
        checkpoints = Path(cfg.paths.output_dir) / "checkpoints"
        checkpoints.mkdir(parents=True)
        (checkpoints / "best_epoch001.ckpt").touch()
        return {}

    monkeypatch.setattr(finetune, "fit_and_test", step)
    stage = {"base_domain": "뉴스", "base_ckpt": None, "base_max_epochs": 3, "base_lr": 5e-4}
    cfg = _cfg(tmp_path, finetune=stage, init_from="${finetune.base_ckpt}", test_before=True)
    after = finetune.train_base_model(cfg)

    (base,) = stages
    assert base.dataset.domain == "뉴스" and base.finetune is None and base.init_from is None
    assert not base.test_before and base.trainer.max_epochs == 3 and base.model.optimizer.lr == 5e-4
    assert Path(base.paths.output_dir) == tmp_path / "run" / finetune.BASE_DIR
    expected = str(tmp_path / "run" / "base" / "checkpoints" / "best_epoch001.ckpt")
    assert after.finetune.base_ckpt == expected and after.init_from == expected
    assert after.dataset.domain == "조례" and cfg.finetune.base_ckpt is None  # the caller's cfg is untouched
