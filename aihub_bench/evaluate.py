"""``python eval.py ckpt_path=... [dataset=... model=...]``: test a saved checkpoint, nothing else."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from aihub_bench.extras import missing_extra_exits
from aihub_bench.overrides import quote_argv
from aihub_bench.pipeline import run


@hydra.main(version_base="1.3", config_path="pkg://aihub_bench.configs", config_name="eval")
def _main(cfg: DictConfig) -> None:
    with missing_extra_exits():
        run(cfg, evaluate_only=True)


def main() -> object:
    """Hydra entry point; Korean values on the command line need no quoting (see overrides.py)."""
    quote_argv()
    return _main()


if __name__ == "__main__":
    main()
