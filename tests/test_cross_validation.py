"""cv.folds=K end to end on the mammography and fundus twins: folds, fold dirs, summary, reuse."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from aihub_bench.cli import main as cli_main
from aihub_bench.data.splits import LeakageError
from aihub_bench.metrics.cv_report import cv_markdown
from aihub_bench.pipeline import run
from tests.conftest import compose_config, run_config, smoke_run_config

HEADLINE = ("auc_mean", "auc_std", "sensitivity_mean", "specificity_mean")


def _summary(run: Path) -> dict:
    return json.loads((run / "cv_summary.json").read_text(encoding="utf-8"))


def _folds(run: Path) -> dict:
    return json.loads((run / "folds.json").read_text(encoding="utf-8"))


def _test_groups(run: Path, fold: int) -> set[str]:
    return set(json.loads((run / f"fold_{fold}" / "splits.json").read_text(encoding="utf-8"))["test"])


def _patient_scores(run: Path, fold: int) -> tuple[list[int], list[float]]:
    """Patient-level (max over a patient's cases) labels and scores, recomputed from the CSV."""
    best: dict[str, tuple[int, float]] = {}
    with (run / f"fold_{fold}" / "predictions_test.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["level"] == "case":
                label, score = int(row["label"]), float(row["score"])
                best[row["group"]] = (label, max(score, best.get(row["group"], (label, -1.0))[1]))
    return [v[0] for v in best.values()], [v[1] for v in best.values()]


@pytest.fixture(scope="module")
def mammography_cv(tmp_path_factory: pytest.TempPathFactory, synth_cache: Path) -> Path:
    run = tmp_path_factory.mktemp("mammography_cv")
    smoke_run_config(["experiment=mammography_5fold", "debug=smoke"], run, synth_cache)
    return run


def _assert_summary_is_the_folds_mean(run: Path, k: int) -> None:
    """The headline means are recomputed from the folds' own metrics.json files."""
    summary = _summary(run)
    folds = [json.loads((run / f"fold_{f}" / "metrics.json").read_text()) for f in range(k)]
    for key in HEADLINE:
        if key.endswith("_mean"):
            name = key[: -len("_mean")]
            values = [m[f"test/patient/{name}"] for m in folds if f"test/patient/{name}" in m]
            assert values and summary[key] == pytest.approx(np.mean(values)), key
    aucs = [m["test/patient/auc"] for m in folds if "test/patient/auc" in m]
    assert summary["auc_std"] == pytest.approx(np.std(aucs, ddof=1))


@pytest.mark.slow
def test_mammography_5fold_smoke_writes_the_summary(mammography_cv: Path) -> None:
    summary = _summary(mammography_cv)
    assert summary["k"] == 5 and summary["complete"] and summary["folds_completed"] == [0, 1, 2, 3, 4]
    assert summary["level"] == "patient" and len(summary["per_fold"]) == 5
    _assert_summary_is_the_folds_mean(mammography_cv, 5)
    assert len(summary["image"]["per_fold"]) == 5
    # learnable: even two smoke epochs separate lesion views from the rest (0.80 when measured)
    assert summary["image"]["pooled"]["auc"] > 0.7
    for name in ("cv_results.md", "roc_pooled.png", "metrics.json", "config.yaml", "env.json"):
        assert (mammography_cv / name).is_file(), name
    for fold in range(5):
        for name in (
            "metrics.json",
            "predictions_test.csv",
            "roc_test.png",
            "data_report.json",
            "checkpoints/last.ckpt",
        ):
            assert (mammography_cv / f"fold_{fold}" / name).is_file(), f"fold_{fold}/{name}"


@pytest.mark.slow
def test_mammography_folds_put_every_patient_in_exactly_one_fold(mammography_cv: Path) -> None:
    folds = _folds(mammography_cv)
    assert folds["k"] == 5
    listed = [g for fold in folds["groups_per_fold"] for g in fold]
    assert len(listed) == len(set(listed)) == len(folds["assignment"]) == 25  # 25 smoke patients
    test_sets = [_test_groups(mammography_cv, f) for f in range(5)]
    assert [sorted(t) for t in test_sets] == [sorted(g) for g in folds["groups_per_fold"]]
    for fold, test in enumerate(test_sets):
        splits = json.loads((mammography_cv / f"fold_{fold}" / "splits.json").read_text())
        assert not test & (set(splits["train"]) | set(splits["val"]))


@pytest.mark.slow
def test_summary_agrees_with_fold_metrics_and_sklearn(mammography_cv: Path) -> None:
    summary = _summary(mammography_cv)
    aucs = []
    for fold in range(5):
        metrics = json.loads((mammography_cv / f"fold_{fold}" / "metrics.json").read_text())
        labels, scores = _patient_scores(mammography_cv, fold)
        assert metrics["test/patient/auc"] == pytest.approx(roc_auc_score(labels, scores))
        aucs.append(metrics["test/patient/auc"])
    assert summary["auc_mean"] == pytest.approx(np.mean(aucs))
    assert summary["auc_std"] == pytest.approx(np.std(aucs, ddof=1))
    pooled = [_patient_scores(mammography_cv, f) for f in range(5)]
    labels = [y for ys, _ in pooled for y in ys]
    scores = [s for _, ss in pooled for s in ss]
    assert summary["pooled"]["auc"] == pytest.approx(roc_auc_score(labels, scores))
    headline = json.loads((mammography_cv / "metrics.json").read_text())
    assert headline["cv/auc_mean"] == pytest.approx(summary["auc_mean"])


@pytest.mark.slow
def test_threshold_comes_from_the_training_side_and_is_written_down(mammography_cv: Path) -> None:
    summary = _summary(mammography_cv)
    assert "Youden" in summary["operating_point"] and "0.5" in summary["operating_point"]
    for row in summary["per_fold"]:
        assert {"threshold", "sensitivity_at_0.5", "specificity_at_0.5"} <= row.keys()
    text = (mammography_cv / "cv_results.md").read_text(encoding="utf-8")
    assert "mean ± std" in text and "Youden" in text and text.count("\n| 4 |") == 2  # both level tables


@pytest.mark.slow
def test_cv_summary_command_rebuilds_the_same_summary(mammography_cv: Path) -> None:
    before = _summary(mammography_cv)
    (mammography_cv / "cv_summary.json").unlink()
    assert cli_main(["cv-summary", str(mammography_cv)]) == 0
    assert _summary(mammography_cv) == before


@pytest.mark.slow
def test_fundus_general_10fold_smoke_keeps_both_eyes_in_one_fold(tmp_path: Path, synth_cache: Path) -> None:
    smoke_run_config(["experiment=fundus_general_10fold", "debug=smoke"], tmp_path, synth_cache)
    summary = _summary(tmp_path)
    assert summary["k"] == 10 and summary["complete"] and len(summary["per_fold"]) == 10
    _assert_summary_is_the_folds_mean(tmp_path, 10)
    pooled = [_patient_scores(tmp_path, f) for f in range(10)]
    labels = [y for ys, _ in pooled for y in ys]
    assert (labels.count(1), labels.count(0)) == (20, 20)  # every smoke person tested exactly once
    assert summary["pooled"]["auc"] == pytest.approx(
        roc_auc_score(labels, [s for _, ss in pooled for s in ss])
    )
    folds = _folds(tmp_path)
    by_person: dict[str, set[int]] = {}
    for image, fold in folds["assignment"].items():  # General_Normal_0001_L -> person General_Normal_0001
        by_person.setdefault(image.rsplit("_", 1)[0], set()).add(fold)
    assert all(len(f) == 1 for f in by_person.values())
    assert sum(1 for image in folds["assignment"] if image.endswith("_R")) > 0
    assert any(
        image.replace("_L", "_R") in folds["assignment"]
        for image in folds["assignment"]
        if image.endswith("_L")
    )


@pytest.mark.slow
def test_one_fold_at_a_time_reuses_the_folds_and_grows_the_summary(tmp_path: Path, synth_cache: Path) -> None:
    base = [
        "experiment=mammography_5fold",
        "debug=smoke",
        "trainer.max_epochs=1",
        f"cv.output_dir={tmp_path}",
    ]
    # each job has its own hydra run dir; cv.output_dir is the shared parent that gets the results
    run(compose_config([*base, "cv.fold=2"], tmp_path / "job2", synth_cache))
    first = _summary(tmp_path)
    assert first["folds_completed"] == [2] and not first["complete"]
    assert "Incomplete" in (tmp_path / "cv_results.md").read_text(encoding="utf-8")
    folds_before = (tmp_path / "folds.json").read_bytes()
    run(compose_config([*base, "cv.fold=3"], tmp_path / "job3", synth_cache))
    assert (tmp_path / "folds.json").read_bytes() == folds_before
    assert _summary(tmp_path)["folds_completed"] == [2, 3]
    assert sorted(p.name for p in tmp_path.glob("fold_*")) == ["fold_2", "fold_3"]


@pytest.mark.slow
def test_a_saved_folds_file_is_reused_and_checked(tmp_path: Path, synth_cache: Path) -> None:
    first = tmp_path / "first"
    run_config(
        ["experiment=mammography_5fold", "debug=smoke", "trainer.max_epochs=1", "cv.fold=0"],
        first,
        synth_cache,
    )
    folds = _folds(first)
    second = tmp_path / "second"
    run_config(
        [
            "experiment=mammography_5fold",
            "debug=smoke",
            "trainer.max_epochs=1",
            "cv.fold=1",
            f"cv.folds_file={first / 'folds.json'}",
        ],
        second,
        synth_cache,
    )
    assert _folds(second)["assignment"] == folds["assignment"]
    with pytest.raises(ValueError, match="holds 5 folds but cv.folds=4"):
        run_config(
            [
                "experiment=mammography_5fold",
                "debug=smoke",
                "cv.folds=4",
                f"cv.folds_file={first / 'folds.json'}",
            ],
            tmp_path / "third",
            synth_cache,
        )


def test_fold_index_out_of_range_is_a_clear_error(tmp_path: Path, synth_cache: Path) -> None:
    with pytest.raises(ValueError, match=r"cv.fold=7 is not in 0..4"):
        run_config(["experiment=mammography_5fold", "debug=smoke", "cv.fold=7"], tmp_path, synth_cache)


def test_resuming_needs_the_fold_it_belongs_to(tmp_path: Path, synth_cache: Path) -> None:
    with pytest.raises(ValueError, match=r"cv.fold=i"):
        run_config(["experiment=mammography_5fold", "debug=smoke", "ckpt_path=x.ckpt"], tmp_path, synth_cache)


@pytest.mark.slow
def test_a_fold_checkpoint_can_be_tested_again(tmp_path: Path, synth_cache: Path) -> None:
    base = ["experiment=mammography_5fold", "debug=smoke", "trainer.max_epochs=1", "cv.fold=0"]
    trained = run_config(base, tmp_path, synth_cache)
    checkpoint = tmp_path / "fold_0" / "checkpoints" / "last.ckpt"
    retested = run_config([*base, "train=false", f"ckpt_path={checkpoint}"], tmp_path, synth_cache)
    assert checkpoint.is_file()  # not wiped by the re-run
    assert retested["cv/image/auc_mean"] == pytest.approx(trained["cv/image/auc_mean"])


@pytest.mark.slow
def test_folds_that_split_a_person_are_refused(tmp_path: Path, synth_cache: Path) -> None:
    cmd = [
        "experiment=fundus_general_10fold",
        "debug=smoke",
        "cv.folds=2",
        "trainer.max_epochs=1",
        "cv.fold=0",
    ]
    run_config(cmd, tmp_path / "ok", synth_cache)
    folds = _folds(tmp_path / "ok")
    left = next(i for i in folds["assignment"] if i.endswith("_L") and i[:-1] + "R" in folds["assignment"])
    folds["assignment"][left] = 1 - folds["assignment"][left[:-1] + "R"]
    bad = tmp_path / "bad_folds.json"
    bad.write_text(json.dumps(folds), encoding="utf-8")
    with pytest.raises(LeakageError, match="appears in folds"):
        run_config([*cmd, f"cv.folds_file={bad}"], tmp_path / "bad", synth_cache)


def test_cv_markdown_fold_rows_spread_and_pooled_scores() -> None:
    """Hand-made summary: counts as integers, CI in brackets, undefined values as "—"."""
    fold = {"fold": 0, "auc": 0.8, "auc_ci_low": 0.7, "auc_ci_high": 0.85, "sensitivity": 0.8}
    fold |= {"specificity": 0.7, "threshold": 0.43, "sensitivity_at_0.5": 0.75, "n_pos": 10, "n_neg": 12.0}
    level = {
        "auc_mean": 0.85,
        "auc_std": 0.05,
        "threshold_mean": float("nan"),
        "threshold_std": float("nan"),
        "per_fold": [{**fold, "specificity_at_0.5": float("nan")}, {"fold": 2}],
        "pooled": {"auc": 0.84, "auc_ci_low": 0.7, "auc_ci_high": 0.95, "n_pos": 30, "n_neg": 36},
    }
    summary = {"k": 3, "folds_completed": [0, 2], "complete": False, "operating_point": "Youden"}
    text = cv_markdown({**summary, "patient_aggregation": "max", **level, "image": {}}, "Mammo")
    assert text.startswith("# Mammo: 3-fold cross-validation\n\n**Incomplete:** 2 of 3 folds")
    patient = text[text.index("## Patient level") : text.index("## Image level")].splitlines()[2:-1]
    assert patient == [
        "| fold | positives | negatives | AUC (95% CI) | sensitivity | specificity | sens @0.5 | spec @0.5 "
        "| threshold |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        "| 0 | 10 | 12 | 0.800 [0.700, 0.850] | 0.800 | 0.700 | 0.750 | — | 0.430 |",
        "| 2 | — | — | — | — | — | — | — | — |",
        "| **mean ± std** | | | 0.850 ± 0.050 | — | — | — | — | — |",
        "| **pooled** | 30 | 36 | 0.840 [0.700, 0.950] | — | — | | | |",
    ]
    assert text.rstrip().endswith("| **mean ± std** | | | — | — | — | — | — | — |")  # no image folds
