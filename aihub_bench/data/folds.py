"""K-fold assignments for cross-validation: stratified by label, grouped (patient, person), reusable.

Folds come from scikit-learn's ``StratifiedGroupKFold`` (shuffled, seeded): every group lands in
exactly one fold, and each fold's label mix is kept as close to the whole set's as the groups allow.
The assignment is saved as JSON (``folds.json``) so that another run, or one fold run on a cluster
node, reuses exactly the same folds.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from pathlib import Path

from sklearn.model_selection import StratifiedGroupKFold

from aihub_bench.data.splits import LeakageError

FOLDS_FORMAT = 1


def stratified_group_folds(
    labels: Sequence[Hashable], groups: Sequence[Hashable], k: int, seed: int = 0
) -> list[int]:
    """Fold index (0..k-1) of every sample; raises ValueError when there are fewer groups than folds."""
    if k < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got cv.folds={k}")
    if len(labels) != len(groups):
        raise ValueError(f"{len(labels)} labels for {len(groups)} groups")
    n_groups = len(set(groups))
    if n_groups < k:
        raise ValueError(f"{k} folds need at least {k} groups (patients); found {n_groups}")
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    fold_of = [-1] * len(labels)
    encoded = _encode(labels)
    for fold, (_, test_index) in enumerate(splitter.split(encoded, encoded, _encode(groups))):
        for i in test_index:
            fold_of[i] = fold
    assert_groups_in_one_fold(groups, fold_of)
    return fold_of


def _encode(values: Sequence[Hashable]) -> list[int]:
    """Integer codes (sorted by repr), so that any hashable labels or groups work."""
    codes = {v: i for i, v in enumerate(sorted(set(values), key=repr))}
    return [codes[v] for v in values]


def assert_groups_in_one_fold(groups: Sequence[Hashable], folds: Sequence[int]) -> None:
    """Raise :class:`LeakageError` if any group (patient) appears in two folds."""
    seen: dict[Hashable, int] = {}
    for group, fold in zip(groups, folds, strict=True):
        if seen.setdefault(group, fold) != fold:
            raise LeakageError(f"group {group!r} appears in folds {seen[group]} and {fold}")


def write_folds(
    path: str | Path, ids: Sequence[str], groups: Sequence[Hashable], folds: Sequence[int]
) -> Path:
    """Save ``{id: fold}`` with each fold's groups listed, as UTF-8 JSON."""
    assert_groups_in_one_fold(groups, folds)
    k = max(folds) + 1
    by_fold: list[list[str]] = [[] for _ in range(k)]
    for group, fold in sorted({(str(g), f) for g, f in zip(groups, folds, strict=True)}):
        by_fold[fold].append(group)
    payload = {
        "format": FOLDS_FORMAT,
        "k": k,
        "assignment": dict(zip(map(str, ids), map(int, folds), strict=True)),
        "groups_per_fold": by_fold,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def read_folds(path: str | Path, ids: Sequence[str]) -> list[int]:
    """The fold of each of ``ids`` from a saved assignment; every id must be listed in it."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        assignment = payload["assignment"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a fold assignment file ({err})") from err
    missing = [i for i in ids if str(i) not in assignment]
    if missing:
        raise ValueError(f"{path}: {len(missing)} samples are not in the saved folds (first: {missing[0]})")
    return [int(assignment[str(i)]) for i in ids]
