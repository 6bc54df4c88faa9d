"""The lowest step of every recipe: fit and test one datamodule, write one run directory.

Everything comes from Hydra ``_target_`` instantiation: no dataset is imported by name. This step never
dispatches; the recipes (:mod:`aihub_bench.pipeline` picks one) call it once per run they make.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
import torch
from filelock import FileLock
from omegaconf import DictConfig
from pytorch_lightning.utilities.rank_zero import rank_zero_only

from aihub_bench.data.base import SplitDataModule
from aihub_bench.run_dir import FlatMetrics, write_config, write_env, write_metrics

log = logging.getLogger(__name__)


def _instantiate_dict(section: DictConfig | None) -> list[Any]:
    """Instantiate every ``_target_`` entry of a config group such as ``callbacks`` or ``logger``."""
    if not section:
        return []
    return [hydra.utils.instantiate(entry) for entry in section.values() if entry and "_target_" in entry]


def build(
    cfg: DictConfig, datamodule: SplitDataModule | None = None
) -> tuple[SplitDataModule, pl.LightningModule, pl.Trainer]:
    """Datamodule (read and split, unless one is given), task (sized by the data) and trainer."""
    if datamodule is None:
        datamodule = hydra.utils.instantiate(cfg.dataset)
        prepare_once(datamodule, cfg)
        datamodule.setup()
    task = build_task(cfg, datamodule)
    trainer = hydra.utils.instantiate(
        cfg.trainer,
        callbacks=_instantiate_dict(cfg.get("callbacks")),
        logger=_instantiate_dict(cfg.get("logger")),
    )
    return datamodule, task, trainer


def build_task(cfg: DictConfig, datamodule: SplitDataModule) -> pl.LightningModule:
    """The task of ``cfg.model``, sized by the datamodule (class names, skeleton, tokenizers)."""
    # plain containers: checkpoints must load with torch.load(weights_only=True)
    return hydra.utils.instantiate(cfg.model, **datamodule.model_kwargs(), _convert_="all")


def prepare_once(datamodule: pl.LightningDataModule, cfg: DictConfig) -> None:
    """``prepare_data`` (e.g. writing the synthetic twin) under a file lock, so that processes started
    together (torchrun, SLURM) do not write the same cache at once; the later ones find it ready."""
    lock_dir = Path(cfg.paths.data_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock_dir / ".prepare_data.lock")):
        datamodule.prepare_data()


def is_rank_zero() -> bool:
    """Rank 0, or a single process (known from the launcher's environment before DDP starts)."""
    # Lightning sets ``rank`` on the decorator function itself at import time.
    return getattr(rank_zero_only, "rank", 0) == 0


def best_checkpoint(trainer: pl.Trainer) -> str | None:
    """The checkpoint callback's best model, or ``None`` when it ranked none."""
    callback = trainer.checkpoint_callback
    path = getattr(callback, "best_model_path", "") if callback else ""
    return path or None


def load_weights(task: pl.LightningModule, checkpoint: str | Path) -> None:
    """Start ``task`` from a checkpoint's weights (a fresh optimiser, schedule and epoch count: not a resume)."""
    path = Path(checkpoint)
    if not path.is_file():
        raise FileNotFoundError(f"init_from={checkpoint} is not a file")
    state = torch.load(path, map_location="cpu", weights_only=True)
    task.load_state_dict(state["state_dict"])
    log.info("Weights initialised from %s", path)


def fit_and_test(
    cfg: DictConfig, datamodule: SplitDataModule | None = None, evaluate_only: bool = False
) -> FlatMetrics:
    """Train and/or test one model as ``cfg`` says, write its run directory, return the final metrics.

    ``datamodule``: one already read and split (a cross-validation fold); by default ``cfg.dataset``'s.
    ``evaluate_only``: test ``cfg.ckpt_path`` and nothing else (``eval.py``).
    """
    ckpt_path = cfg.get("ckpt_path")
    if evaluate_only and not ckpt_path:
        raise ValueError("evaluation needs a checkpoint: pass ckpt_path=/path/to/checkpoint.ckpt")
    run_dir = Path(cfg.paths.output_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if cfg.get("seed") is not None:
        pl.seed_everything(cfg.seed, workers=True)
    if is_rank_zero():  # under DDP every rank runs this; only rank 0 writes the run directory
        write_config(run_dir, cfg)
        write_env(run_dir, cfg.get("seed"))

    datamodule, task, trainer = build(cfg, datamodule)
    if trainer.is_global_zero:
        datamodule.write_artifacts(run_dir)
    metrics: dict[str, Any] = {}

    if cfg.get("init_from") and not evaluate_only:
        load_weights(task, cfg.init_from)
    if cfg.get("test_before") and not evaluate_only:
        log.info("Testing the starting weights (test_before=true)")
        trainer.test(task, datamodule=datamodule)
        metrics.update(_renamed(trainer.callback_metrics, "_before"))
        metrics.update(_renamed(getattr(task, "summary_metrics", dict)(), "_before"))

    if cfg.get("train") and not evaluate_only:
        trainer.fit(task, datamodule=datamodule, ckpt_path=ckpt_path)
        metrics.update(trainer.callback_metrics)
        for callback in trainer.callbacks:  # type: ignore[attr-defined]  # set at run time; e.g. LossCurve's train/loss_decreased
            metrics.update(getattr(callback, "summary_metrics", dict)())
        ckpt_path = best_checkpoint(trainer)
        if ckpt_path is None:
            log.warning("No best checkpoint was recorded; testing the weights at the end of training.")
    if cfg.get("test") or evaluate_only:
        log.info("Testing checkpoint: %s", ckpt_path or "current (untrained or final) weights")
        trainer.test(task, datamodule=datamodule, ckpt_path=ckpt_path)
        metrics.update(trainer.callback_metrics)
        metrics.update(getattr(task, "summary_metrics", dict)())  # e.g. sacreBLEU signatures
        if cfg.get("test_before"):
            metrics.update(_renamed(trainer.callback_metrics, "_after"))

    flat: FlatMetrics = {}
    if trainer.is_global_zero:
        flat = write_metrics(run_dir, {k: v for k, v in metrics.items() if "/" in k})
        _print_summary(run_dir, flat)
    return flat


def _renamed(metrics: dict[str, Any], suffix: str) -> dict[str, Any]:
    """``test/bleu`` -> ``test/bleu<suffix>``, for the test metrics only."""
    return {f"{k}{suffix}": v for k, v in metrics.items() if k.startswith("test/")}


def _print_summary(run_dir: Path, metrics: FlatMetrics) -> None:
    # per-class, per-group and CI keys stay in metrics.json; the summary keeps the split-wide numbers
    detail = ("/AP/", "_AP/", "_ci_", "/n_pos", "/n_neg", "/font/", "/subset/", "/kind/")
    headline = {k: v for k, v in metrics.items() if k.startswith("test/") and not any(d in k for d in detail)}
    for key, value in headline.items():
        print(f"  {key:<28} {value:.4f}" if isinstance(value, float) else f"  {key:<28} {value}")
    print(f"Run directory: {run_dir.resolve()}")
