"""Cross-validation folds: stratified by label, grouped by patient, reproducible, saved and reused."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from aihub_bench.data.folds import (
    assert_groups_in_one_fold,
    read_folds,
    stratified_group_folds,
    write_folds,
)
from aihub_bench.data.splits import LeakageError


def _patients(n: int = 60) -> tuple[list[str], list[str], list[int]]:
    """Four views per patient; every third patient is positive."""
    ids, groups, labels = [], [], []
    for p in range(n):
        for view in ("RCC", "LCC", "RMLO", "LMLO"):
            ids.append(f"{p:05d}_{view}")
            groups.append(f"환자{p:05d}")
            labels.append(int(p % 3 == 0))
    return ids, groups, labels


@pytest.mark.parametrize("k", [5, 10])
def test_folds_keep_patients_together_and_balance_labels(k: int) -> None:
    _, groups, labels = _patients()
    folds = stratified_group_folds(labels, groups, k, seed=0)
    assert set(folds) == set(range(k))
    assert_groups_in_one_fold(groups, folds)
    for fold in range(k):
        in_fold = [y for y, f in zip(labels, folds, strict=True) if f == fold]
        assert len(in_fold) == len(labels) // k  # 60 patients split evenly
        assert Counter(in_fold)[1] == Counter(labels)[1] // k  # positives spread evenly


def test_folds_are_reproducible_by_seed() -> None:
    _, groups, labels = _patients()
    assert stratified_group_folds(labels, groups, 5, seed=1) == stratified_group_folds(
        labels, groups, 5, seed=1
    )
    assert stratified_group_folds(labels, groups, 5, seed=1) != stratified_group_folds(
        labels, groups, 5, seed=2
    )


def test_too_few_patients_and_leaks_are_errors() -> None:
    with pytest.raises(ValueError, match="at least 5 groups"):
        stratified_group_folds([0, 1, 0, 1], ["a", "b", "c", "d"], 5)
    with pytest.raises(ValueError, match="at least 2 folds"):
        stratified_group_folds([0, 1], ["a", "b"], 1)
    with pytest.raises(LeakageError, match="'a' appears in folds 0 and 1"):
        assert_groups_in_one_fold(["a", "a", "b"], [0, 1, 1])


def test_saved_folds_are_reused(tmp_path: Path) -> None:
    ids, groups, labels = _patients(20)
    folds = stratified_group_folds(labels, groups, 5, seed=3)
    path = write_folds(tmp_path / "folds.json", ids, groups, folds)
    assert "환자00000" in path.read_text(encoding="utf-8")
    assert read_folds(path, ids) == folds
    assert read_folds(path, ids[::-1]) == folds[::-1]
    with pytest.raises(ValueError, match="not in the saved folds"):
        read_folds(path, [*ids, "99999_RCC"])
    (tmp_path / "bad.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match="not a fold assignment file"):
        read_folds(tmp_path / "bad.json", ids)
    with pytest.raises(LeakageError):
        write_folds(
            tmp_path / "leak.json", ids, groups, [0] + folds[1:] if folds[0] != 0 else [1] + folds[1:]
        )
