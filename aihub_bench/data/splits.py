"""Reproducible, leakage-safe splits.

The unit of assignment is always a *group* (patient, take, scene, image...): every sample of a group
lands on the same side. Groups are stratified by a key (class, subset...) so that every stratum is
represented on each side in roughly the requested proportions.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

SPLITS = ("train", "val", "test")


class LeakageError(AssertionError):
    """A group was found on more than one side of a split."""


def stratified_group_split(
    groups: Sequence[Hashable],
    strata: Sequence[Hashable],
    val_fraction: float,
    test_fraction: float,
    seed: int,
) -> list[str]:
    """Assign each sample to train/val/test; samples of one group share a side.

    A group's stratum is that of its first sample. Groups are ordered by stratum (shuffled by
    ``seed`` inside each) and then sampled systematically, so the totals match the fractions
    exactly (rounded) and every stratum gets its proportional share (within one group), even when
    strata are tiny. With at least three groups, val and test each get at least one group.
    """
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ValueError(f"bad split fractions: val={val_fraction}, test={test_fraction}")
    if len(groups) != len(strata):
        raise ValueError("groups and strata must have the same length")
    stratum_of: dict[Hashable, Hashable] = {}
    for group, stratum in zip(groups, strata, strict=True):
        stratum_of.setdefault(group, stratum)
    by_stratum: dict[Hashable, list[Hashable]] = defaultdict(list)
    for group, stratum in stratum_of.items():
        by_stratum[stratum].append(group)

    rng = random.Random(seed)
    ordered: list[Hashable] = []
    for stratum in sorted(by_stratum, key=repr):
        members = sorted(by_stratum[stratum], key=repr)
        rng.shuffle(members)
        ordered.extend(members)

    side_of = dict.fromkeys(ordered, "train")
    test_picks = _systematic(len(ordered), test_fraction, rng.random())
    for i in test_picks:
        side_of[ordered[i]] = "test"
    rest = [g for g in ordered if side_of[g] == "train"]
    val_share = val_fraction / (1 - test_fraction) if test_fraction < 1 else 0.0
    for i in _systematic(len(rest), val_share, rng.random()):
        side_of[rest[i]] = "val"

    _ensure_non_empty(side_of, ordered, val_fraction, test_fraction)
    return [side_of[g] for g in groups]


def _systematic(n: int, fraction: float, offset: float) -> list[int]:
    """Indices picked by systematic sampling: one every 1/fraction positions, ``round(n*fraction)`` in all."""
    k = round(n * fraction)
    if k == 0:
        return []
    step = n / k
    return sorted({min(n - 1, int((j + offset) * step)) for j in range(k)})


def _ensure_non_empty(
    side_of: dict[Hashable, str], ordered: list[Hashable], val_fraction: float, test_fraction: float
) -> None:
    """Tiny datasets round a share to zero; move one train group where needed."""
    if len(side_of) < 3:
        return
    for side, fraction in (("test", test_fraction), ("val", val_fraction)):
        if fraction > 0 and side not in side_of.values():
            donor = next(g for g in reversed(ordered) if side_of[g] == "train")
            side_of[donor] = side


def holdout_split(
    groups: Sequence[Hashable],
    strata: Sequence[Hashable],
    holdout: Sequence[bool],
    val_fraction: float,
    seed: int,
) -> list[str]:
    """Samples flagged ``holdout`` form the test side; the rest is split train/val, stratified."""
    rest = [i for i, h in enumerate(holdout) if not h]
    inner = stratified_group_split(
        [groups[i] for i in rest], [strata[i] for i in rest], val_fraction, 0.0, seed
    )
    sides = ["test"] * len(groups)
    for i, side in zip(rest, inner, strict=True):
        sides[i] = side
    return sides


def partition(items: Sequence[T], sides: Sequence[str]) -> dict[str, list[T]]:
    """``items`` by their side: ``{"train": [...], "val": [...], "test": [...]}`` in input order."""
    return {name: [item for item, side in zip(items, sides, strict=True) if side == name] for name in SPLITS}


def check_non_empty(splits: dict[str, list[Any]], total: int, unit: str, config: Any) -> None:
    """A ``ValueError`` naming the first empty side, the ``total`` ``unit`` split and the split ``config``."""
    for name in SPLITS:
        if not splits[name]:
            raise ValueError(f"the {name} split is empty: {total} {unit}, split={config}")


def assert_no_leakage(groups: Sequence[Hashable], sides: Sequence[str]) -> None:
    """Raise :class:`LeakageError` if any group appears on two sides."""
    seen: dict[Hashable, str] = {}
    for group, side in zip(groups, sides, strict=True):
        if seen.setdefault(group, side) != side:
            raise LeakageError(f"group {group!r} appears in both {seen[group]!r} and {side!r}")
