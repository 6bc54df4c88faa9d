"""Gathering per-rank evaluation outputs under DDP (a no-op in a single process).

Val/test loaders give every sample to exactly one rank (``UnrepeatedDistributedSampler``, see
``data/base.py``), so metrics computed on the gathered lists equal the single-process ones.
"""

from __future__ import annotations

from typing import Any, TypeVar

import torch.distributed as dist

T = TypeVar("T")


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def gather_lists(items: list[T], interleave: bool = False) -> list[T]:
    """Every rank's ``items``, on every rank. Must be called by all ranks (a collective).

    ``interleave=True`` restores the dataset order for lists with one item per sample, in loader
    order: rank ``r`` held samples ``r, r + W, r + 2W, ...``.
    """
    size = world_size()
    if size == 1:
        return items
    parts: list[Any] = [None] * size
    dist.all_gather_object(parts, items)
    if not interleave:
        return [item for part in parts for item in part]
    merged: list[T] = []
    for i in range(max(len(part) for part in parts)):
        merged.extend(part[i] for part in parts if i < len(part))
    return merged
