"""What every entry point does: compose -> instantiate datamodule, task, trainer -> fit/test -> run dir.

Entry points import no dataset by name: everything comes from Hydra ``_target_`` instantiation.
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

from aihub_bench.run_dir import write_config, write_env, write_metrics

log = logging.getLogger(__name__)


def _instantiate_dict(section: DictConfig | None) -> list[Any]:
    """Instantiate every ``_target_`` entry of a config group such as ``callbacks`` or ``logger``."""
    if not section:
        return []
    return [hydra.utils.instantiate(entry) for entry in section.values() if entry and "_target_" in entry]


def build(
    cfg: DictConfig, datamodule: pl.LightningDataModule | None = None
) -> tuple[pl.LightningDataModule, pl.LightningModule, pl.Trainer]:
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


def build_task(cfg: DictConfig, datamodule: pl.LightningDataModule) -> pl.LightningModule:
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
    return rank_zero_only.rank == 0


def best_checkpoint(trainer: pl.Trainer) -> str | None:
    callback = trainer.checkpoint_callback
    path = getattr(callback, "best_model_path", "") if callback else ""
    return path or None


def run(
    cfg: DictConfig, evaluate_only: bool = False, datamodule: pl.LightningDataModule | None = None
) -> dict[str, float]:
    """Train and/or test as ``cfg`` says, write the run directory and return the final metrics.

    With ``cv.folds=K`` this runs K-fold cross-validation instead (:mod:`aihub_bench.cross_validation`),
    which calls back here once per fold with the fold's ``datamodule``.
    """
    if datamodule is None and (cfg.get("finetune") or {}).get("base_domain") and not cfg.finetune.base_ckpt:
        from aihub_bench.finetune import train_base_model

        cfg = train_base_model(cfg)  # the recipe's first stage; cfg then starts from its checkpoint
    if datamodule is None and (cfg.get("cv") or {}).get("folds"):
        if evaluate_only:
            raise ValueError(
                "eval.py tests one checkpoint; evaluate a fold as fold_<i>/ with its own ckpt_path"
            )
        from aihub_bench.cross_validation import run_cross_validation

        return run_cross_validation(cfg)
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
    ckpt_path = cfg.get("ckpt_path")
    if evaluate_only and not ckpt_path:
        raise ValueError("evaluation needs a checkpoint: pass ckpt_path=/path/to/checkpoint.ckpt")

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
        for callback in trainer.callbacks:  # e.g. LossCurve's train/loss_decreased
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

    flat: dict[str, float] = {}
    if trainer.is_global_zero:
        flat = write_metrics(run_dir, {k: v for k, v in metrics.items() if "/" in k})
        _print_summary(run_dir, flat)
    return flat


def load_weights(task: pl.LightningModule, checkpoint: str | Path) -> None:
    """Start ``task`` from a checkpoint's weights (a fresh optimiser, schedule and epoch count: not a resume)."""
    path = Path(checkpoint)
    if not path.is_file():
        raise FileNotFoundError(f"init_from={checkpoint} is not a file")
    state = torch.load(path, map_location="cpu", weights_only=True)
    task.load_state_dict(state["state_dict"])
    log.info("Weights initialised from %s", path)


def _renamed(metrics: dict[str, Any], suffix: str) -> dict[str, Any]:
    """``test/bleu`` -> ``test/bleu<suffix>``, for the test metrics only."""
    return {f"{k}{suffix}": v for k, v in metrics.items() if k.startswith("test/")}


def _print_summary(run_dir: Path, metrics: dict[str, float]) -> None:
    detail = ("/AP/", "_AP/", "_ci_", "/n_pos", "/n_neg")
    headline = {k: v for k, v in metrics.items() if k.startswith("test/") and not any(d in k for d in detail)}
    for key, value in headline.items():
        print(f"  {key:<28} {value:.4f}" if isinstance(value, float) else f"  {key:<28} {value}")
    print(f"Run directory: {run_dir.resolve()}")
