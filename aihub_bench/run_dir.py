"""The run directory contract: metrics.json, config.yaml, env.json (+ checkpoints, CSV log, plots)."""

from __future__ import annotations

import csv
import json
import math
import platform
import socket
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

TRACKED_PACKAGES = (
    "aihub_bench",
    "torch",
    "torchvision",
    "pytorch-lightning",
    "hydra-core",
    "omegaconf",
    "timm",
    "albumentations",
    "torchmetrics",
    "faster-coco-eval",
    "pycocotools",
    "numpy",
    "pillow",
    "transformers",
    "sacrebleu",
    "pydicom",
    # the optional yolo extra (null when not installed)
    "ultralytics-opencv-headless",
)


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(cwd: Path | None = None) -> dict[str, Any]:
    """Commit and dirtiness of the source checkout (``None`` when not in a git repository)."""
    where = cwd or Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    sha = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if sha else None
    return {"git_sha": sha, "git_dirty": bool(status) if status is not None else None}


def device_info() -> dict[str, Any]:
    info: dict[str, Any] = {"cuda_available": torch.cuda.is_available(), "cpu_count": torch.get_num_threads()}
    if torch.cuda.is_available():
        info["device"] = torch.cuda.get_device_name(0)
        info["cuda_version"] = torch.version.cuda
        info["gpu_count"] = torch.cuda.device_count()
    else:
        info["device"] = "cpu"
    return info


def collect_env(seed: int | None) -> dict[str, Any]:
    return {
        "seed": seed,
        "time_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        **git_state(),
        **device_info(),
        "packages": package_versions(),
    }


# what metrics.json holds: numbers, flags (bool counts as a number) and signatures (str)
FlatMetrics = dict[str, float | str]


def flat_metrics(values: dict[str, Any]) -> FlatMetrics:
    """Tensor/number metrics to plain floats (NaN/inf kept out: JSON cannot hold them); flags such
    as ``train/loss_decreased`` stay booleans and signatures such as ``test/bleu_signature`` strings."""
    out: FlatMetrics = {}
    for key, value in values.items():
        if isinstance(value, (bool, str)):
            out[key] = value
            continue
        number = float(value.item() if isinstance(value, torch.Tensor) else value)
        if math.isfinite(number):
            out[key] = number
    return dict(sorted(out.items()))


def write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def write_csv(path: Path, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """A UTF-8 CSV with a header row (what evaluators write their per-sample files with)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(fields)
        writer.writerows(rows)
    return path


def write_config(run_dir: Path, cfg: DictConfig) -> None:
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")


def write_env(run_dir: Path, seed: int | None) -> None:
    write_json(run_dir / "env.json", collect_env(seed))


def write_metrics(run_dir: Path, metrics: dict[str, Any]) -> FlatMetrics:
    flat = flat_metrics(metrics)
    write_json(run_dir / "metrics.json", flat)
    return flat
