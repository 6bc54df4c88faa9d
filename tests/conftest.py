"""Shared fixtures: compose the real Hydra configs in-process and run them into tmp dirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

from aihub_bench.overrides import quote_non_ascii
from aihub_bench.pipeline import run


@pytest.fixture(scope="session")
def synth_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic-data cache for the whole session (twins are generated once, then reused)."""
    return tmp_path_factory.mktemp("synthetic_cache")


def compose_config(
    overrides: list[str], run_dir: Path, data_dir: Path, config_name: str = "train"
) -> DictConfig:
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="aihub_bench.configs", version_base="1.3"):
        cfg = compose(
            config_name=config_name,
            overrides=quote_non_ascii(
                [
                    *overrides,
                    f"paths.data_dir={data_dir}",
                    f"hydra.run.dir={run_dir}",
                    "callbacks.rich_progress_bar=null" if config_name == "train" else "callbacks=none",
                    "dataset.num_workers=0",
                ]
            ),
            return_hydra_config=True,
        )
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        cfg.paths.output_dir = str(run_dir)
        cfg.paths.root_dir = str(run_dir.parent)
        del cfg["hydra"]  # as under @hydra.main, the job config does not carry the hydra node
    return cfg


def run_config(
    overrides: list[str],
    run_dir: Path,
    data_dir: Path,
    config_name: str = "train",
    evaluate_only: bool = False,
) -> dict[str, float]:
    cfg = compose_config(overrides, run_dir, data_dir, config_name)
    metrics = run(cfg, evaluate_only=evaluate_only)
    assert json.loads((run_dir / "metrics.json").read_text()) == pytest.approx(metrics)
    return metrics
