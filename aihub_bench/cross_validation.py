"""``cv.folds=K``: K-fold cross-validation in one command (or one fold with ``cv.fold=i``).

The parent run directory gets ``folds.json`` (who is in which fold; reused when present or given as
``cv.folds_file``), one ``fold_<i>/`` run directory per fold (the usual contract: config, metrics,
checkpoints, predictions, ROC curve) and the summary (``cv_summary.json``, ``cv_results.md``,
``roc_pooled.png``, ``metrics.json`` with ``cv/...`` keys). Each fold trains a fresh model through
:func:`aihub_bench.fit.fit_and_test`, given the fold's split of one datamodule read once.
"""

from __future__ import annotations

import copy
import logging
import shutil
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, open_dict

from aihub_bench.data.folds import assert_groups_in_one_fold, read_folds, stratified_group_folds, write_folds
from aihub_bench.fit import fit_and_test, is_rank_zero, prepare_once
from aihub_bench.metrics.cv_report import cv_title, fold_dir, headline, summarize_cross_validation
from aihub_bench.run_dir import FlatMetrics, write_config, write_env, write_metrics

log = logging.getLogger(__name__)

FOLDS_FILE = "folds.json"


def fold_assignment(cfg: DictConfig, datamodule: Any, parent: Path, k: int) -> list[int]:
    """Saved folds (``cv.folds_file`` or ``<parent>/folds.json``) if any, else new ones, saved."""
    cases = datamodule.read()
    ids = [c.case_id for c in cases]
    groups = [c.group for c in cases]
    saved = Path(cfg.cv.folds_file) if cfg.cv.get("folds_file") else parent / FOLDS_FILE
    if cfg.cv.get("folds_file") and not saved.is_file():
        raise FileNotFoundError(f"cv.folds_file={cfg.cv.folds_file} does not exist")
    if saved.is_file():
        fold_of = read_folds(saved, ids)
        if max(fold_of) + 1 != k:
            raise ValueError(f"{saved} holds {max(fold_of) + 1} folds but cv.folds={k}")
        log.info("Reusing the fold assignment in %s", saved)
    else:
        fold_of = stratified_group_folds([c.label for c in cases], groups, k, seed=cfg.cv.seed)
    assert_groups_in_one_fold(groups, fold_of)
    target = parent / FOLDS_FILE
    if not target.is_file() or saved != target:
        write_folds(target, ids, groups, fold_of)
    return fold_of


def wants_cross_validation(cfg: DictConfig) -> bool:
    """``cv.folds`` is set."""
    return bool((cfg.get("cv") or {}).get("folds"))


def run_cross_validation(cfg: DictConfig) -> FlatMetrics:
    """Run the requested folds, then (re)build the summary from every fold finished so far."""
    k = int(cfg.cv.folds)
    parent = Path(cfg.cv.get("output_dir") or cfg.paths.output_dir)
    parent.mkdir(parents=True, exist_ok=True)
    if is_rank_zero():
        write_config(parent, cfg)
        write_env(parent, cfg.get("seed"))

    datamodule = hydra.utils.instantiate(cfg.dataset)
    prepare_once(datamodule, cfg)
    fold_of = fold_assignment(cfg, datamodule, parent, k)
    requested = cfg.cv.get("fold")
    if requested is not None and not 0 <= int(requested) < k:
        raise ValueError(f"cv.fold={requested} is not in 0..{k - 1}")
    folds = range(k) if requested is None else [int(requested)]
    if cfg.get("ckpt_path") and requested is None:
        raise ValueError(
            "ckpt_path resumes one model: with cv.folds, also pass the fold it belongs to (cv.fold=i)"
        )

    for fold in folds:
        out = fold_dir(parent, fold)
        fresh_training = cfg.get("train") and not cfg.get("ckpt_path")
        if out.exists() and fresh_training and cfg.cv.get("overwrite", True):
            shutil.rmtree(out)  # a re-run must not leave an older fold's checkpoints behind
        log.info("Cross-validation fold %d of %d -> %s", fold + 1, k, out)
        fold_cfg = copy.deepcopy(cfg)
        with open_dict(fold_cfg):
            fold_cfg.paths.output_dir = str(out)
            fold_cfg.cv.output_dir = str(parent)
            fold_cfg.cv.fold = fold
        datamodule.use_fold(fold_of, fold)
        fit_and_test(fold_cfg, datamodule=datamodule)

    summary = summarize_cross_validation(
        parent,
        k,
        title=cv_title(datamodule.name, *datamodule.class_names),
        aggregation=cfg.model.get("patient_aggregation", "max"),
        n_boot=cfg.model.get("bootstrap", 1000),
    )
    flat = write_metrics(parent, headline(summary))
    _print_summary(summary, parent)
    return flat


def _print_summary(summary: dict[str, Any], parent: Path) -> None:
    done = summary["folds_completed"]
    print(f"Cross-validation, {len(done)} of {summary['k']} folds, patient level:")
    for key in ("auc", "sensitivity", "specificity"):
        if f"{key}_mean" in summary:
            print(f"  {key:<12} {summary[f'{key}_mean']:.4f} ± {summary[f'{key}_std']:.4f}")
    print(f"Run directory: {parent.resolve()} (cv_results.md, cv_summary.json)")
