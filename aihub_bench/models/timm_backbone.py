"""Creating timm models the same way everywhere: the ``small`` alias, name checks, opt-in weights."""

from __future__ import annotations

from typing import Any

import timm
from torch import nn

# backbone=small: the smallest timm model that still learns the synthetic twins (smoke runs, tests)
SMALL_BACKBONE = "resnet10t"


def create_timm_model(backbone: str, pretrained: bool = False, **kwargs: Any) -> nn.Module:
    """``timm.create_model`` for ``model.net.backbone`` (``small`` = :data:`SMALL_BACKBONE`).

    An unknown name is a ValueError naming the option; ``pretrained=true`` downloads ImageNet weights
    once through timm / Hugging Face Hub and, offline, fails with a message saying how to turn it off.
    """
    name = SMALL_BACKBONE if backbone == "small" else backbone
    if name not in timm.list_models() and name not in timm.list_models(pretrained=True):
        raise ValueError(f"model.net.backbone={backbone!r} is not a timm model (see timm.list_models())")
    try:
        return timm.create_model(name, pretrained=pretrained, **kwargs)
    except (OSError, RuntimeError) as err:
        if not pretrained:
            raise
        raise RuntimeError(
            f"could not fetch pretrained weights for {name!r} ({err}). Run once with network access "
            "(weights are cached by Hugging Face Hub), or set model.net.pretrained=false."
        ) from err
