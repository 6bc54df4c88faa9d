"""OmegaConf resolvers used by the configs (registered on import of ``aihub_bench``)."""

from __future__ import annotations

from typing import Any

from omegaconf import OmegaConf


def if_synthetic(root: Any, synthetic_value: Any, real_value: Any) -> Any:
    """``${if_synthetic:${dataset.root},A,B}``: A on the synthetic twin (no root given), else B."""
    return synthetic_value if root in (None, "", "null", "None") else real_value


def register() -> None:
    if not OmegaConf.has_resolver("if_synthetic"):
        OmegaConf.register_new_resolver("if_synthetic", if_synthetic)
