"""K-Face end to end: the gate's smoke run (reused when it exists) writes the verification,
identification and per-condition metrics and files the face family promises, and a public pair
list passed by path, in either form, is the one evaluated."""

from __future__ import annotations

import csv
from pathlib import Path

import hydra
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from aihub_bench.datasets.kface.pairs import read_pair_list
from aihub_bench.errors import ErrorPolicy
from aihub_bench.records import FACE_FACTORS
from tests.conftest import compose_config, run_config, smoke_run_config

SMOKE = ["experiment=kface_arcface", "debug=smoke"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.slow
def test_smoke_run_writes_verification_identification_and_per_condition_results(
    tmp_path: Path, synth_cache: Path
) -> None:
    run = tmp_path / "run"
    metrics = smoke_run_config(SMOKE, run, synth_cache)
    assert metrics["train/loss_decreased"] is True
    for key in ("test/verification_accuracy", "test/TAR@FAR=1e-3", "test/rank1", "test/roc_auc", "test/eer"):
        assert key in metrics
    for factor in FACE_FACTORS:
        assert any(k.startswith(f"test/{factor}/") and k.endswith("/rank1") for k in metrics), factor
    # the AUC of metrics.json is the one of the pair scores written, by scikit-learn
    pairs = _rows(run / "verification_test.csv")
    assert len(pairs) == metrics["test/pairs"] == len(_lines(run / "pairs_test.txt"))
    labels = np.array([int(r["label"]) for r in pairs])
    scores = np.array([float(r["score"]) for r in pairs])
    assert metrics["test/roc_auc"] == pytest.approx(roc_auc_score(labels, scores), abs=1e-6)
    probes = _rows(run / "identification_test.csv")
    assert len(probes) == metrics["test/probes"]
    assert metrics["test/rank1"] == pytest.approx(np.mean([int(r["rank"]) == 1 for r in probes]), abs=1e-6)
    # identity-disjoint splits, as the run directory lists them
    sides = {s: set(_lines(run / f"identities_{s}.txt")) for s in ("train", "val", "test")}
    assert sides["train"] and sides["test"]
    assert not sides["train"] & sides["test"] and not sides["train"] & sides["val"]
    assert not sides["val"] & sides["test"]
    assert {r["identity"] for r in probes} <= sides["test"]
    for name in ("results.md", "roc_test.png", "conditions_test.csv", "gallery_test.txt"):
        assert (run / name).is_file(), name


@pytest.mark.slow
@pytest.mark.parametrize("form", ["paths", "short"])
def test_a_public_pair_list_passed_by_path_is_the_one_evaluated(
    form: str, tmp_path: Path, synth_cache: Path
) -> None:
    twin = Path(
        hydra.utils.instantiate(compose_config(SMOKE, tmp_path / "compose", synth_cache).dataset.synthetic)()
    )
    pair_file = twin / "protocols" / f"pairs_{form}.txt"
    run = tmp_path / "run"
    metrics = run_config([*SMOKE, "train=false", f"dataset.protocol.pairs={pair_file}"], run, synth_cache)
    listed = read_pair_list(pair_file, ErrorPolicy("raise"))
    assert metrics["test/pairs"] == len(listed) == len(_lines(pair_file))
    assert metrics["test/positive_pairs"] == sum(p.same for p in listed)
    evaluated = [(r["key_a"], r["key_b"], r["label"]) for r in _rows(run / "verification_test.csv")]
    assert sorted(evaluated) == sorted((p.key_a, p.key_b, str(int(p.same))) for p in listed)
    # the pair list pins the test identities; none of them was trained on
    named = {key.split("/")[0] for p in listed for key in (p.key_a, p.key_b)}
    assert set(_lines(run / "identities_test.txt")) == named
    assert not named & set(_lines(run / "identities_train.txt"))
    assert "test/TAR@FAR=1e-3" in metrics and "test/rank1" in metrics
