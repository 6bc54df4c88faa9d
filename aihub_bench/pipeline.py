"""What ``train.py`` and ``eval.py`` call: pick the recipe ``cfg`` asks for and run it.

- a single run: :func:`aihub_bench.fit.fit_and_test`, the lowest step every recipe calls;
- ``cv.folds=K``: K-fold cross-validation (:mod:`aihub_bench.cross_validation`), one step per fold;
- ``finetune.base_domain`` (without ``finetune.base_ckpt``): a base model first
  (:mod:`aihub_bench.finetune`), then the run above starts from its checkpoint.

Imports point one way, dispatcher -> recipes -> step: no recipe imports this module.
"""

from __future__ import annotations

from omegaconf import DictConfig

from aihub_bench.cross_validation import run_cross_validation, wants_cross_validation
from aihub_bench.extras import check_config
from aihub_bench.finetune import train_base_model, wants_base_model
from aihub_bench.fit import fit_and_test
from aihub_bench.run_dir import FlatMetrics


def run(cfg: DictConfig, evaluate_only: bool = False) -> FlatMetrics:
    """Run the recipe ``cfg`` asks for; return the metrics it wrote to the (parent) run directory.

    A model whose optional extra is missing stops here, before any data is read
    (:class:`~aihub_bench.extras.MissingExtraError`)."""
    check_config(cfg)
    if wants_base_model(cfg):
        cfg = train_base_model(cfg)  # the recipe's first stage; cfg then starts from its checkpoint
    if wants_cross_validation(cfg):
        if evaluate_only:
            raise ValueError(
                "eval.py tests one checkpoint; evaluate a fold as fold_<i>/ with its own ckpt_path"
            )
        return run_cross_validation(cfg)
    return fit_and_test(cfg, evaluate_only=evaluate_only)
