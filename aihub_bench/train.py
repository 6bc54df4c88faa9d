"""``python train.py dataset=... model=...``: Hydra entry for training (and testing the best checkpoint)."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from aihub_bench.pipeline import run


@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg: DictConfig) -> float | None:
    metrics = run(cfg)
    monitor = cfg.get("optimized_metric")
    return metrics.get(monitor) if monitor else None  # for Hydra sweepers


if __name__ == "__main__":
    main()
