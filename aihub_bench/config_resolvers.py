"""OmegaConf resolvers used by the configs (registered on import of ``aihub_bench``)."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf


def if_synthetic(synthetic_value: Any, real_value: Any, *, _root_: DictConfig) -> Any:
    """``${if_synthetic:TWIN,REAL}``: TWIN on the synthetic twin (no ``dataset.root`` given), else REAL.

    The one way configs say what differs between the twin (CPU minutes) and the real release (the
    builders' schedule): an override of the key itself (``trainer.max_epochs=3``) still wins.
    """
    root = OmegaConf.select(_root_, "dataset.root", default=None)
    return synthetic_value if root in (None, "", "null", "None") else real_value


def rank_suffix() -> str:
    """``${rank_suffix:}``: "" in a single process and on rank 0, ``.rank<k>`` on the other DDP ranks
    (so each process logs to its own file, e.g. ``train.rank1.log``)."""
    from pytorch_lightning.utilities.rank_zero import rank_zero_only

    # Lightning sets ``rank`` on the decorator function itself at import time.
    rank = getattr(rank_zero_only, "rank", 0)
    return f".rank{rank}" if rank else ""


def register() -> None:
    if not OmegaConf.has_resolver("if_synthetic"):
        OmegaConf.register_new_resolver("if_synthetic", if_synthetic)
    if not OmegaConf.has_resolver("rank_suffix"):
        OmegaConf.register_new_resolver("rank_suffix", rank_suffix)
