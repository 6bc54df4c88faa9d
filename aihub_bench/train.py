"""``python train.py dataset=... model=...``: Hydra entry for training (and testing the best checkpoint)."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from aihub_bench.extras import missing_extra_exits
from aihub_bench.overrides import quote_argv
from aihub_bench.pipeline import run


@hydra.main(version_base="1.3", config_path="pkg://aihub_bench.configs", config_name="train")
def _main(cfg: DictConfig) -> float | None:
    with missing_extra_exits():
        metrics = run(cfg)
    monitor = cfg.get("optimized_metric")
    value = metrics.get(monitor) if monitor else None
    return None if isinstance(value, str) else value  # for Hydra sweepers, which optimise numbers


def main() -> object:
    """Hydra entry point; Korean values on the command line need no quoting (see overrides.py)."""
    quote_argv()
    return _main()


if __name__ == "__main__":
    main()
