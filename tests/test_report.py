"""`aihub-bench report`: paper-style tables from hand-written run directories (no training)."""

from __future__ import annotations

import csv
import json
import os
import sys
import time
import types
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from aihub_bench.cli import main
from aihub_bench.report import (
    families_present,
    family_of,
    family_table,
    find_run_dirs,
    load_run,
    load_runs,
    report_markdown,
    update_readme,
)
from aihub_bench.tasks.base import FamilyTask, ReportColumn, TaskFamily, ci, mean_std, value

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16  # any bytes do: the report only copies the file
TASKS = "aihub_bench.tasks."
SYNTHETIC_RUNS = Path("/work/synthetic_runs")


def make_run(
    run_dir: Path,
    target: str,
    metrics: dict[str, Any],
    argv: list[str],
    dataset: str = "synthetic",
    minutes: float | None = None,
    sha: str = "e83c163c8586a6fb",
    dirty: bool = False,
    plots: tuple[str, ...] = (),
) -> Path:
    """A run directory as pipeline.run leaves it; ``minutes`` sets the mtimes to a run of that length."""
    run_dir.mkdir(parents=True)
    start = int(time.time()) - 3600  # whole seconds, as time_utc holds them
    env = {
        "seed": 42,
        "time_utc": datetime.fromtimestamp(start, timezone.utc).isoformat(timespec="seconds"),
        "argv": ["train.py", *argv],
        "python": "3.11.7",
        "git_sha": sha,
        "git_dirty": dirty,
        "device": "cpu",
        "cuda_available": False,
        "cpu_count": 2,
        "packages": {"aihub_bench": "0.1.0", "torch": "2.15.0", "pytorch-lightning": "2.6.6"},
    }
    (run_dir / "env.json").write_text(json.dumps(env), encoding="utf-8")
    config = {"seed": 42, "dataset": {"name": dataset}, "model": {"_target_": TASKS + target}}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (run_dir / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    for name in plots:
        (run_dir / name).write_bytes(PNG)
    if minutes is not None:  # env.json written at the start, metrics.json at the end
        os.utime(run_dir / "env.json", (start, start))
        os.utime(run_dir / "metrics.json", (start + minutes * 60, start + minutes * 60))
    return run_dir


CV_METRICS = {
    "cv/auc_mean": 0.9,
    "cv/auc_std": 0.1,
    "cv/sensitivity_mean": 0.975,
    "cv/sensitivity_std": 0.05590169943749474,
    "cv/specificity_mean": 1.0,
    "cv/specificity_std": 0.0,
    "cv/pooled_auc": 0.91,
    "cv/pooled_auc_ci_low": 0.8512,
    "cv/pooled_auc_ci_high": 0.9634,
    "cv/image/auc_mean": 0.5,
    "cv/image/auc_std": 0.2,
}
FOLD_METRICS = {"test/patient/auc": 0.95, "test/patient/sensitivity": 1.0, "test/patient/specificity": 0.9}


@pytest.fixture()
def runs_root(tmp_path: Path) -> Path:
    """A regression-run output folder: one run dir per experiment (one family each, plus extras)."""
    root = tmp_path / "runs"
    make_run(
        root / "xray",
        "detection.DetectionTask",
        {"test/bbox_mAP": 0.5278, "test/bbox_mAP_50": 0.8464, "test/bbox_mAP/Gun": 0.1, "val/bbox_mAP": 0.9},
        ["experiment=xray_maskrcnn", "hydra.run.dir=/tmp/x", "callbacks.rich_progress_bar=null"],
        minutes=5.1,
    )
    cv = make_run(
        root / "mammo",
        "classification.ClassificationTask",
        CV_METRICS,
        ["experiment=mammography_5fold", "paths.data_dir=/tmp/d"],
        plots=("roc_pooled.png",),
        dirty=True,
    )
    (cv / "cv_summary.json").write_text(json.dumps({"k": 2, "folds_completed": [0, 1]}), encoding="utf-8")
    for fold in (0, 1):
        make_run(
            cv / f"fold_{fold}",
            "classification.ClassificationTask",
            FOLD_METRICS,
            ["experiment=mammography_5fold"],
            plots=("roc_test.png",),
        )
    make_run(
        root / "single",
        "classification.ClassificationTask",
        {
            "test/patient/auc": 0.8123,
            "test/patient/auc_ci_low": 0.7,
            "test/patient/auc_ci_high": 0.9,
            "test/patient/sensitivity": 0.75,
            "test/patient/sensitivity_ci_low": 0.5,
            "test/patient/sensitivity_ci_high": 0.9,
            "test/patient/specificity": 0.8,
        },
        [],
        dataset="fundus",
    )
    for name, extra in (("hm", []), ("hm_eval", ["train=false"])):
        make_run(
            root / name,
            "keypoints.HeatmapPoseTask",
            {
                "test/PCK@0.2": 0.8854,
                "test/PCK@0.2/neck": 0.98,
                "test/OKS_AP": 0.5246,
                "train/loss_first": 0.01307,
                "train/loss_last": 0.0047,
                "train/loss_decreased": True,
            },
            ["experiment=human_motion_keypoints", "dataset.num_workers=2", *extra],
            plots=("loss_curve.png",),
        )
    finetune = make_run(
        root / "nmt_ft",
        "translation.TranslationTask",
        {
            "test/bleu": 53.297,
            "test/chrf": 76.779,
            "test/bleu_before": 0.2166,
            "test/bleu_after": 53.297,
            "test/bleu_signature": "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0",
        },
        ["experiment=nmt_domain_finetune"],
        sha="d9c155ba595966f0",
    )
    make_run(
        finetune / "base", "translation.TranslationTask", {"test/bleu": 90.0}, ["experiment=nmt_news_base"]
    )
    make_run(
        root / "misc",
        "not_a_module.SegmentationTask",  # a class that cannot be imported
        {"test/miou": 0.61, "test/miou/road": 0.7, "test/flag": True, "val/miou": 0.6},
        [],
        dataset="sidewalk",
    )
    return root


def test_family_is_the_one_the_task_class_declares(capsys: pytest.CaptureFixture) -> None:
    assert family_of(TASKS + "detection.DetectionTask").name == "detection"
    assert family_of(TASKS + "classification.ClassificationTask").name == "classification"
    assert family_of(TASKS + "keypoints.HeatmapPoseTask").name == "keypoints"
    assert family_of(TASKS + "keypoints.KeypointRCNNTask").name == "keypoints"
    assert family_of(TASKS + "translation.TranslationTask").name == "translation"
    assert family_of(TASKS + "detection.DetectionTask").title == "Detection"
    # a class that declares no family, an empty target
    assert family_of(TASKS + "base.FamilyTask").name == family_of("").name == "other"
    assert capsys.readouterr().err == ""
    # a class that cannot be imported: "other", and said so once
    assert family_of("my.module.FancyPoseTask").name == "other"
    assert family_of("my.module.FancyPoseTask").name == "other"
    err = capsys.readouterr().err
    assert err.count("my.module.FancyPoseTask: cannot import (ModuleNotFoundError") == 1


NEW_FAMILY = TaskFamily(
    name="segmentation",
    title="Segmentation",
    unit="img",
    headline=("test/mIoU",),
    report_columns=(
        ReportColumn("mIoU", (mean_std("cv/mIoU"), value("test/mIoU"))),
        ReportColumn("mIoU CI", (ci("test/mIoU_ci"),), csv="mIoU"),
        ReportColumn("pixel acc", (value("test/pixel_acc", digits=1),)),
    ),
    report_note="Mean IoU over the classes present in the test split.",
    signatures=(("BLEU", "test/sig"),),
)


@pytest.fixture()
def new_family_module(monkeypatch: pytest.MonkeyPatch) -> str:
    """An importable module with a task class of a family the report has never heard of."""
    module = types.ModuleType("report_test_segmentation")

    class SegmentationTask(FamilyTask):
        family = NEW_FAMILY

    module.SegmentationTask = SegmentationTask  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return f"{module.__name__}.SegmentationTask"


def test_a_new_family_gets_its_own_table_from_its_contract(
    runs_root: Path, new_family_module: str, tmp_path: Path
) -> None:
    metrics = {"test/mIoU": 0.61, "test/mIoU_ci_low": 0.5, "test/mIoU_ci_high": 0.7, "test/pixel_acc": 0.912}
    run_dir = tmp_path / "more" / "seg"
    make_run(run_dir, "x", {**metrics, "test/sig": "sig:1"}, ["experiment=sidewalk_seg"])
    config = {"seed": 42, "dataset": {"name": "sidewalk"}, "model": {"_target_": new_family_module}}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")

    runs, _ = load_runs([runs_root, tmp_path / "more"])
    # the known families in the README's order, a new one after them, "other" last
    assert families_present(runs) == [
        "detection",
        "classification",
        "keypoints",
        "translation",
        "segmentation",
        "other",
    ]
    assert [run.family for run in runs][-2:] == ["segmentation", "other"]  # rows sorted alike
    header, rows = family_table("segmentation", runs)
    assert header == ["experiment", "run", "mIoU", "mIoU CI", "pixel acc"]
    assert rows == [["sidewalk_seg", "more/seg", "0.610", "[0.500, 0.700]", "0.9"]]
    markdown = report_markdown(runs)
    section = markdown[markdown.index("### Segmentation") : markdown.index("### Other")]
    # the note is not CV-only: printed for any run; the declared signatures are listed
    assert "Mean IoU over the classes present in the test split.\n" in section
    assert "sacreBLEU BLEU signature: `sig:1`" in section
    assert markdown.index("### Translation") < markdown.index("### Segmentation")


def test_cv_only_note_needs_a_cv_row(runs_root: Path) -> None:
    runs, _ = load_runs([runs_root])
    note = "Patient level. Cross-validation rows"
    assert note in report_markdown(runs)
    single = [run for run in runs if run.path.name != "mammo"]
    assert single and note not in report_markdown(single)


def test_run_dirs_found_without_descending_into_runs(runs_root: Path) -> None:
    found = find_run_dirs([runs_root])
    assert sorted(p.name for p in found) == ["hm", "hm_eval", "mammo", "misc", "nmt_ft", "single", "xray"]
    assert find_run_dirs([runs_root / "mammo" / "fold_0"]) == [runs_root / "mammo" / "fold_0"]


def test_tables_per_family(runs_root: Path) -> None:
    runs, skipped = load_runs([runs_root])
    assert skipped == 0
    assert [r.family for r in runs].count("classification") == 2  # the CV parent once, no fold rows

    header, rows = family_table("detection", runs)
    assert header == ["experiment", "run", "bbox mAP", "mAP@50", "time"]  # no segm: no run has it
    assert rows == [["xray_maskrcnn", "xray", "0.528", "0.846", "5.1 min"]]

    header, rows = family_table("classification", runs)
    assert header == ["experiment", "run", "AUC", "AUC 95% CI", "sensitivity", "specificity", "folds"]
    by_run = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_run["mammo"]["experiment"] == "mammography_5fold"
    assert by_run["mammo"]["AUC"] == "0.900 ± 0.100"
    assert by_run["mammo"]["AUC 95% CI"] == "[0.851, 0.963]"  # the pooled AUC's CI
    assert by_run["mammo"]["sensitivity"] == "0.975 ± 0.056"
    assert by_run["mammo"]["folds"] == "2"
    assert by_run["single"]["experiment"] == "fundus / ClassificationTask"  # no experiment= in argv
    assert by_run["single"]["AUC"] == "0.812"
    assert by_run["single"]["AUC 95% CI"] == "[0.700, 0.900]"
    assert by_run["single"]["sensitivity"] == "0.750 [0.500, 0.900]"
    assert by_run["single"]["folds"] == "—"

    header, rows = family_table("keypoints", runs)
    assert header == [
        "experiment",
        "run",
        "PCK@0.2",
        "OKS AP",
        "train loss first → last",
        "loss decreased",
    ]
    # the shared dataset.num_workers=2 is left out; what tells the two apart is kept
    assert [row[0] for row in rows] == ["human_motion_keypoints", "human_motion_keypoints (train=false)"]
    assert rows[0][2:] == ["0.885", "0.525", "0.013 → 0.005", "yes"]

    header, rows = family_table("translation", runs)
    assert header == ["experiment", "run", "BLEU", "chrF", "BLEU before → after"]
    assert rows == [["nmt_domain_finetune", "nmt_ft", "53.30", "76.78", "0.22 → 53.30"]]  # no base/ row

    header, rows = family_table("other", runs)
    assert header == ["experiment", "run", "miou"]  # top-level test/ numbers only
    assert rows == [["sidewalk / SegmentationTask", "misc", "0.610"]]


def test_report_files(runs_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    assert main(["report", str(runs_root), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for family in ("detection", "classification", "keypoints", "translation", "other"):
        assert (out / f"{family}.md").is_file() and (out / f"{family}.csv").is_file()
        assert str(out / f"{family}.md") in printed

    report = (out / "report.md").read_text(encoding="utf-8")
    for title in ("Detection", "Classification", "Keypoints", "Translation", "Other"):
        assert report.count(f"### {title}\n") == 1
    assert "0.975 ± 0.056" in report
    assert "fold_0" not in report and "fold_1" not in report
    assert "`nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`" in report  # under the table
    assert "| nrefs" not in report
    assert "Environment: aihub_bench 0.1.0 · torch 2.15.0 · pytorch-lightning 2.6.6 · " in report
    # unique values joined: the single run and the CV run (dirty tree)
    assert "device cpu (2 threads) · seed 42 · git e83c163, e83c163+dirty\n" in report
    assert "git d9c155b" in report

    plots = sorted(p.name for p in (out / "plots").iterdir())
    assert plots == [
        "human_motion_keypoints-train-false_loss_curve.png",
        "human_motion_keypoints_loss_curve.png",
        "mammography_5fold_roc_pooled.png",  # the parent's pooled ROC, not the folds' roc_test.png
    ]
    assert (out / "plots" / plots[0]).read_bytes() == PNG
    assert "(plots/mammography_5fold_roc_pooled.png)" in report

    with (out / "classification.csv").open(encoding="utf-8") as handle:
        rows = {row["run"]: row for row in csv.DictReader(handle)}
    assert float(rows["mammo"]["AUC"]) == 0.9 and float(rows["mammo"]["AUC std"]) == 0.1
    assert float(rows["mammo"]["sensitivity std"]) == pytest.approx(0.05590169943749474)
    assert float(rows["mammo"]["AUC 95% CI low"]) == 0.8512
    assert float(rows["single"]["AUC"]) == 0.8123 and rows["single"]["AUC std"] == ""
    assert rows["mammo"]["experiment"] == "mammography_5fold"
    assert rows["mammo"]["git_sha"] == "e83c163+dirty"
    assert rows["mammo"]["device"] == "cpu" and rows["mammo"]["seed"] == "42"
    assert Path(rows["mammo"]["path"]) == (runs_root / "mammo").resolve()
    with (out / "detection.csv").open(encoding="utf-8") as handle:
        (row,) = csv.DictReader(handle)
    assert float(row["bbox mAP"]) == 0.5278 and float(row["minutes"]) == pytest.approx(5.1)


def test_readme_markers_replaced(runs_root: Path, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    before, after = "# Title\n\nIntro text.\n<!-- report:start -->\n", "<!-- report:end -->\n\nMore text.\n"
    readme.write_text(before + "old table\n" + after, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["report", str(runs_root), "--out", str(out), "--readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(before) and text.endswith(after)
    assert "old table" not in text
    assert f"Generated with `aihub-bench report {runs_root} --out {out} --readme {readme}`." in text
    assert "### Classification" in text and "0.975 ± 0.056" in text
    assert "plots/" not in text  # plots are not committed with the README

    update_readme(readme, "### New\n", "aihub-bench report x --out y")  # and again: the markers stay
    text = readme.read_text(encoding="utf-8")
    assert text == before + "Generated with `aihub-bench report x --out y`.\n\n### New\n\n" + after


def test_readme_without_markers_is_an_error(runs_root: Path, tmp_path: Path, capsys) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# No markers here\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(runs_root), "--out", str(tmp_path / "out"), "--readme", str(readme)])
    assert exit_info.value.code == 2
    assert str(readme) in capsys.readouterr().err
    assert readme.read_text(encoding="utf-8") == "# No markers here\n"


def test_path_without_run_dirs_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    for path in (empty, tmp_path / "missing"):
        with pytest.raises(SystemExit) as exit_info:
            main(["report", str(path), "--out", str(tmp_path / "out")])
        assert exit_info.value.code == 2
        assert str(path) in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_broken_metrics_is_a_counted_skip(runs_root: Path, tmp_path: Path, capsys) -> None:
    broken = make_run(runs_root / "broken", "detection.DetectionTask", {}, ["experiment=broken"])
    (broken / "metrics.json").write_text("{not json", encoding="utf-8")
    crashed = make_run(runs_root / "crashed", "detection.DetectionTask", {}, ["experiment=crashed"])
    (crashed / "metrics.json").unlink()  # a run that died before writing its metrics
    assert load_run(broken) is None
    assert (
        f"warning: skipped {broken / 'metrics.json'}: unreadable (JSONDecodeError" in capsys.readouterr().err
    )

    assert main(["report", str(runs_root), "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert f"{crashed / 'metrics.json'}: missing" in captured.err
    assert "Traceback" not in captured.err
    assert "7 runs reported" in captured.out and "2 run directories skipped" in captured.out
    assert "| broken |" not in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_time_falls_back_to_the_log_when_mtimes_were_lost(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "copied", "detection.DetectionTask", {"test/bbox_mAP": 0.5}, [])
    (run_dir / "train.log").write_text(
        "[2026-11-23 20:54:17,581][x][INFO] - start\n[2026-11-23 21:29:56,594][x][INFO] - end\n",
        encoding="utf-8",
    )
    run = load_run(run_dir)  # env.json's mtime is an hour after its time_utc: copied without times
    assert run is not None and run.minutes == pytest.approx(35.65, abs=0.01)
    (run_dir / "train.log").unlink()
    assert load_run(run_dir).minutes is None


@pytest.mark.skipif(not SYNTHETIC_RUNS.is_dir(), reason="the example run dirs exist on the dev machine only")
def test_report_over_the_example_runs(tmp_path: Path) -> None:
    assert main(["report", str(SYNTHETIC_RUNS), "--out", str(tmp_path)]) == 0
    for family in ("detection", "classification", "keypoints", "translation"):
        assert (tmp_path / f"{family}.md").is_file()
    assert not (tmp_path / "other.md").exists()
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert report.count("\n### ") == 4
    assert "| mammography_5fold | mammography_5fold | 1.000 ± 0.000 |" in report
