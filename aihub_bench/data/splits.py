"""Reproducible, leakage-safe splits.

The unit of assignment is always a *group* (patient, take, scene, image...): every sample of a group
lands on the same side. Groups are stratified by a key (class, subset...) so that every stratum is
represented on each side in roughly the requested proportions.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Sequence

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

    A group's stratum is that of its first sample. Within each stratum groups are shuffled by
    ``seed`` and cut by the fractions (rounded); if the data has at least three groups, val and
    test are each guaranteed at least one group (taken from the largest train stratum).
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
    side_of: dict[Hashable, str] = {}
    for stratum in sorted(by_stratum, key=repr):
        members = sorted(by_stratum[stratum], key=repr)
        rng.shuffle(members)
        n_test = round(len(members) * test_fraction)
        n_val = round(len(members) * val_fraction)
        for i, group in enumerate(members):
            side_of[group] = "test" if i < n_test else "val" if i < n_test + n_val else "train"

    _ensure_non_empty(side_of, by_stratum, val_fraction, test_fraction)
    return [side_of[g] for g in groups]


def _ensure_non_empty(
    side_of: dict[Hashable, str],
    by_stratum: dict[Hashable, list[Hashable]],
    val_fraction: float,
    test_fraction: float,
) -> None:
    """Tiny datasets round every stratum's share to zero; move one train group where needed."""
    if len(side_of) < 3:
        return
    for side, fraction in (("test", test_fraction), ("val", val_fraction)):
        if fraction == 0 or side in side_of.values():
            continue
        largest = max(by_stratum.values(), key=lambda gs: sum(side_of[g] == "train" for g in gs))
        donor = next(g for g in largest if side_of[g] == "train")
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


def assert_no_leakage(groups: Sequence[Hashable], sides: Sequence[str]) -> None:
    """Raise :class:`LeakageError` if any group appears on two sides."""
    seen: dict[Hashable, str] = {}
    for group, side in zip(groups, sides, strict=True):
        if seen.setdefault(group, side) != side:
            raise LeakageError(f"group {group!r} appears in both {seen[group]!r} and {side!r}")
