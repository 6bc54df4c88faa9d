"""The base-then-domain recipe of the translation corpus's builders, as one command.

With ``finetune.base_domain`` set and no ``finetune.base_ckpt``, the base model is trained first on
that domain (news) into ``<run dir>/base/`` (a normal run directory); the run then continues from its
best checkpoint on ``dataset.domain``. Give ``finetune.base_ckpt=...`` to reuse a base model instead.
The base stage takes its schedule from ``finetune.base_max_epochs`` / ``base_batch_size`` / ``base_lr``
/ ``base_warmup_steps`` (the fine-tuning stage's own are usually smaller).
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path

from omegaconf import DictConfig, open_dict

from aihub_bench.fit import fit_and_test

log = logging.getLogger(__name__)

BASE_DIR = "base"


def base_checkpoint(run_dir: Path) -> Path:
    """The best checkpoint of a finished run (``last.ckpt`` when none was ranked)."""
    best = sorted((run_dir / "checkpoints").glob("best*.ckpt"))
    last = run_dir / "checkpoints" / "last.ckpt"
    if best:
        return best[-1]
    if last.is_file():
        return last
    raise FileNotFoundError(f"the base run {run_dir} saved no checkpoint")


def wants_base_model(cfg: DictConfig) -> bool:
    """``finetune.base_domain`` is set and no ``finetune.base_ckpt`` was given: stage 1 must run."""
    stage = cfg.get("finetune") or {}
    return bool(stage.get("base_domain")) and not stage.get("base_ckpt")


def train_base_model(cfg: DictConfig) -> DictConfig:
    """Train the base model as its own run and return ``cfg`` pointed at its checkpoint."""
    base_dir = Path(cfg.paths.output_dir) / BASE_DIR
    base_cfg = copy.deepcopy(cfg)
    with open_dict(base_cfg):
        base_cfg.finetune = None
        base_cfg.init_from = None
        base_cfg.test_before = False
        base_cfg.dataset.domain = cfg.finetune.base_domain
        base_cfg.dataset.tokenizers_from = None
        base_cfg.paths.output_dir = str(base_dir)
        stage = cfg.finetune
        if stage.get("base_max_epochs"):
            base_cfg.trainer.max_epochs = stage.base_max_epochs
        if stage.get("base_batch_size"):
            base_cfg.dataset.batch_size = stage.base_batch_size
        if stage.get("base_lr"):
            base_cfg.model.optimizer.lr = stage.base_lr
        if stage.get("base_warmup_steps") is not None and base_cfg.model.get("scheduler"):
            base_cfg.model.scheduler.warmup_steps = stage.base_warmup_steps
    log.info("Fine-tuning recipe, stage 1: the base model on %s -> %s", cfg.finetune.base_domain, base_dir)
    fit_and_test(base_cfg)
    checkpoint = base_checkpoint(base_dir)
    cfg = copy.deepcopy(cfg)
    with open_dict(cfg):
        cfg.finetune.base_ckpt = str(checkpoint)
    log.info("Fine-tuning recipe, stage 2: %s from %s", cfg.dataset.domain, checkpoint)
    return cfg
