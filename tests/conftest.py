"""Shared fixtures: compose the real Hydra configs in-process and run them into tmp dirs.

With ``AIHUB_SMOKE_RUNS=<dir>`` (``.ci/run`` sets it to the smoke tier's ``aihub-bench regress`` output),
a test that trains a smoke run first looks there for a run of the same configuration and copies it
instead of training again (:func:`reuse_smoke_run`). Without the variable every test trains.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict

import aihub_bench.configs
from aihub_bench.overrides import quote_non_ascii
from aihub_bench.pipeline import run

# the top-level configs/ of a checkout, or aihub_bench/configs of an installed wheel (setup.py)
CONFIGS = Path(aihub_bench.configs.__file__).resolve().parent
SMOKE_RUNS_ENV = "AIHUB_SMOKE_RUNS"
# keys that name where a run lives or how it is labelled, not what it computes
UNCOMPARED_KEYS = ("paths", "tags", "expected")


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


def comparable_config(config: dict[str, Any], run_dir: Path, data_dir: Path) -> dict[str, Any]:
    """A resolved run config with its location taken out: the run and data folders become
    placeholders and the keys that only say where or how a run is labelled are dropped."""
    replacements = ((str(run_dir), "<run>"), (str(data_dir), "<data>"))

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, str):
            for old, new in replacements:
                value = value.replace(old, new)
        return value

    return strip({k: v for k, v in config.items() if k not in UNCOMPARED_KEYS})


def find_smoke_run(overrides: list[str], run_dir: Path, data_dir: Path, root: Path) -> Path | None:
    """The run dir under ``root`` (finished: it has ``metrics.json``) whose ``config.yaml`` is the
    configuration ``overrides`` composes to, if any."""
    wanted = OmegaConf.to_container(compose_config(overrides, run_dir, data_dir), resolve=True)
    wanted = comparable_config(wanted, run_dir, data_dir)  # type: ignore[arg-type]
    for candidate in sorted(p for p in root.iterdir() if p.is_dir()):
        config_file, metrics_file = candidate / "config.yaml", candidate / "metrics.json"
        if not (config_file.is_file() and metrics_file.is_file()):
            continue
        saved = yaml.safe_load(config_file.read_text(encoding="utf-8"))
        where = saved.get("paths") or {}
        saved_run, saved_data = where.get("output_dir"), where.get("data_dir")
        if (
            saved_run
            and saved_data
            and _same(wanted, comparable_config(saved, Path(saved_run), Path(saved_data)))
        ):
            return candidate
    return None


def _same(wanted: Any, saved: Any) -> bool:
    """Equal configs, except that a key the run filled in from its own outputs (a recipe's base
    checkpoint: ``<run>/...`` where the composed config has null) counts as unset."""
    if isinstance(wanted, dict) and isinstance(saved, dict):
        return wanted.keys() == saved.keys() and all(_same(wanted[k], saved[k]) for k in wanted)
    if isinstance(wanted, list) and isinstance(saved, list):
        return len(wanted) == len(saved) and all(map(_same, wanted, saved))
    if wanted is None and isinstance(saved, str) and saved.startswith("<run>/"):
        return True
    return wanted == saved


def reuse_smoke_run(overrides: list[str], run_dir: Path, data_dir: Path) -> dict[str, Any] | None:
    """Copy the ``$AIHUB_SMOKE_RUNS`` run of the same configuration into ``run_dir`` and return its
    metrics; ``None`` (the caller trains) when the variable is unset or no run there matches."""
    root = os.environ.get(SMOKE_RUNS_ENV)
    if not root:
        return None
    found = find_smoke_run(overrides, run_dir, data_dir, Path(root)) if Path(root).is_dir() else None
    if found is None:
        warnings.warn(f"{SMOKE_RUNS_ENV}={root} holds no run of {overrides}; training it", stacklevel=2)
        return None
    shutil.copytree(found, run_dir, dirs_exist_ok=True, copy_function=_link_checkpoints)
    return json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))


def _link_checkpoints(source: str, destination: str) -> None:
    """Copy a file, but hard-link a checkpoint: a smoke tier's checkpoints are gigabytes (a 10-fold
    run keeps 20), which CI's disk cannot hold twice; tests read them and never write them."""
    if source.endswith(".ckpt"):
        try:
            os.link(source, destination)
            return
        except OSError:  # another file system, or links not allowed: copy
            pass
    shutil.copy2(source, destination)


def smoke_run_config(overrides: list[str], run_dir: Path, data_dir: Path) -> dict[str, Any]:
    """:func:`run_config`, or the reused run of the same configuration (see the module docstring)."""
    reused = reuse_smoke_run(overrides, run_dir, data_dir)
    return reused if reused is not None else run_config(overrides, run_dir, data_dir)


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (dedented) in a fresh interpreter from the repository root, ``env`` replacing the
    environment when given; stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
