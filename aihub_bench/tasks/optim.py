"""Optimiser and learning-rate schedule helpers shared by tasks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytorch_lightning as pl
import torch


def build_optimizer(
    factory: Callable[..., torch.optim.Optimizer], params: Iterable[torch.nn.Parameter]
) -> torch.optim.Optimizer:
    return factory(params=[p for p in params if p.requires_grad])


def warmup_cosine(
    optimizer: torch.optim.Optimizer,
    total_steps: int | float,
    warmup_steps: int = 0,
    min_lr_ratio: float = 0.0,
) -> dict[str, Any]:
    """Linear warm-up then cosine decay, stepped every optimisation step (Lightning dict form)."""
    total_steps = max(int(total_steps), 1)
    warmup_steps = min(max(int(warmup_steps), 0), total_steps - 1)
    schedulers: list[torch.optim.lr_scheduler.LRScheduler] = []
    if warmup_steps > 0:
        schedulers.append(torch.optim.lr_scheduler.LinearLR(optimizer, 1e-3, 1.0, total_iters=warmup_steps))
    cosine_steps = max(total_steps - warmup_steps, 1)
    base = optimizer.param_groups[0]["lr"]
    schedulers.append(
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cosine_steps, eta_min=base * min_lr_ratio)
    )
    scheduler = (
        schedulers[0]
        if len(schedulers) == 1
        else torch.optim.lr_scheduler.SequentialLR(optimizer, schedulers, milestones=[warmup_steps])
    )
    return {"scheduler": scheduler, "interval": "step"}


def configure_optimization(
    module: pl.LightningModule,
    factory: Callable[..., torch.optim.Optimizer],
    scheduler: dict[str, Any] | None,
) -> Any:
    """What ``configure_optimizers`` returns: the optimiser, with warm-up + cosine when configured."""
    optimizer = build_optimizer(factory, module.parameters())
    if not scheduler:
        return optimizer
    schedule = warmup_cosine(optimizer, module.trainer.estimated_stepping_batches, **scheduler)
    return {"optimizer": optimizer, "lr_scheduler": schedule}
