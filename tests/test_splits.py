from collections import Counter

import pytest

from aihub_bench.data.splits import (
    LeakageError,
    assert_no_leakage,
    holdout_split,
    stratified_group_split,
)


def _data(n_groups=60, per_group=3):
    groups, strata = [], []
    for g in range(n_groups):
        for _ in range(per_group):
            groups.append(f"g{g}")
            strata.append(("cls", g % 3))
    return groups, strata


def test_groups_never_cross_sides_and_fractions_hold():
    groups, strata = _data()
    sides = stratified_group_split(groups, strata, val_fraction=0.1, test_fraction=0.2, seed=1)
    assert_no_leakage(groups, sides)
    per_group = {g: s for g, s in zip(groups, sides, strict=False)}
    counts = Counter(per_group.values())
    assert counts == {"train": 42, "val": 6, "test": 12}
    # stratified: each stratum of 20 groups contributes 4 test groups
    test_strata = Counter(st for g, st, s in zip(groups, strata, sides, strict=False) if s == "test")
    assert set(test_strata.values()) == {4 * 3}


def test_split_is_reproducible_by_seed_and_changes_with_it():
    groups, strata = _data()
    a = stratified_group_split(groups, strata, 0.1, 0.2, seed=7)
    b = stratified_group_split(groups, strata, 0.1, 0.2, seed=7)
    c = stratified_group_split(groups, strata, 0.1, 0.2, seed=8)
    assert a == b
    assert a != c


def test_tiny_data_still_gets_val_and_test():
    groups = ["a", "b", "c", "d"]
    strata = ["x", "y", "z", "w"]  # every stratum rounds to zero val/test
    sides = stratified_group_split(groups, strata, 0.1, 0.2, seed=0)
    assert {"train", "val", "test"} == set(sides)


def test_holdout_puts_flagged_samples_in_test_only():
    groups = [f"img{i}" for i in range(30)]
    makers = ["A", "B", "C"] * 10
    sides = holdout_split(groups, [("s",)] * 30, [m == "C" for m in makers], val_fraction=0.2, seed=0)
    assert all(s == "test" for s, m in zip(sides, makers, strict=False) if m == "C")
    assert all(s in ("train", "val") for s, m in zip(sides, makers, strict=False) if m != "C")
    assert "val" in sides


def test_leakage_is_detected():
    with pytest.raises(LeakageError, match="g1"):
        assert_no_leakage(["g1", "g1", "g2"], ["train", "test", "train"])


def test_bad_fractions_rejected():
    with pytest.raises(ValueError):
        stratified_group_split(["a"], ["s"], 0.6, 0.5, seed=0)
