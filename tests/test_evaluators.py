"""Evaluators (aihub_bench.metrics.*_evaluator): the numbers of the metric functions they wrap, one
gather per evaluate, DDP-equivalent results from two simulated ranks, and the artefacts they write."""

from __future__ import annotations

import ast
import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from aihub_bench import distributed
from aihub_bench.metrics.classification_evaluator import CALIBRATION, TEST, ClassificationEvaluator
from aihub_bench.metrics.classification_predictions import PREDICTION_FIELDS, read_predictions_csv
from aihub_bench.metrics.clinical import aggregate_by_group, binary_report, operating_point, youden_threshold
from aihub_bench.metrics.coco_eval import coco_gt_from_samples, evaluate_coco, predictions_to_coco
from aihub_bench.metrics.detection_evaluator import DetectionEvaluator
from aihub_bench.metrics.evaluator import Evaluator
from aihub_bench.metrics.keypoint_evaluator import KeypointEvaluator
from aihub_bench.metrics.keypoints import bbox_norm, head_norm, oks_ap, pck
from aihub_bench.metrics.translation import corpus_scores
from aihub_bench.metrics.translation_evaluator import TranslationEvaluator
from aihub_bench.records import DetectionSample

METRICS_DIR = Path(__file__).resolve().parents[1] / "aihub_bench" / "metrics"


# -- hand-made inputs -----------------------------------------------------------------------------
DET_CLASSES = ["nodule", "mass"]


def _detection_samples() -> list[DetectionSample]:
    return [
        DetectionSample(
            Path("a.png"), 100, 100, np.array([[10, 10, 40, 40], [50, 50, 90, 80]]), DET_CLASSES, None, 1
        ),
        DetectionSample(Path("b.png"), 100, 100, np.array([[20, 30, 60, 70]]), ["mass"], None, 2),
        DetectionSample(Path("c.png"), 100, 100, np.array([[0, 0, 30, 30]]), ["nodule"], None, 3),
    ]


def _detection_batches() -> list[tuple[list, list[dict[str, Any]]]]:
    """(batch, outputs) pairs: image 1 found well, image 2 with a shifted box, image 3 missed."""
    outputs = [
        {"boxes": torch.tensor([[11.0, 10, 40, 41], [50, 52, 88, 80]]), "labels": torch.tensor([1, 2])},
        {"boxes": torch.tensor([[30.0, 40, 70, 80]]), "labels": torch.tensor([2])},
        {"boxes": torch.tensor([[60.0, 60, 90, 90]]), "labels": torch.tensor([1])},
    ]
    for i, out in enumerate(outputs):
        out["scores"] = torch.linspace(0.9, 0.5, len(out["boxes"])) - 0.1 * i
    targets = [{"image_id": torch.tensor(i + 1)} for i in range(3)]
    return [(([None], [t]), [o]) for t, o in zip(targets, outputs, strict=True)]


def _detection_evaluator() -> DetectionEvaluator:
    return DetectionEvaluator(
        _detection_samples(), DET_CLASSES, ("bbox",), class_groups={"nodule": "small", "mass": "big"}
    )


VIEWS = ["L", "R"]


def _classification_batch(first: int, labels: list[int], seed: int) -> dict[str, Any]:
    """Cases ``first...``, two per patient, each with one or two views present."""
    n = len(labels)
    mask = torch.ones(n, 2, dtype=torch.bool)
    mask[::3, 1] = False
    return {
        "case_id": [f"c{first + i}" for i in range(n)],
        "group": [f"p{(first + i) // 2}" for i in range(n)],
        "label": torch.tensor(labels, dtype=torch.float32),
        "view_mask": mask,
        "view_labels": torch.tensor(labels, dtype=torch.float32)[:, None].expand(n, 2).clone(),
        "seed": seed,
    }


def _classification_logits(batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy logits that lean towards the label."""
    g = torch.Generator().manual_seed(batch["seed"])
    label = batch["label"]
    return label * 1.5 + torch.randn(len(label), generator=g), label[:, None] + torch.randn(
        len(label), 2, generator=g
    )


def _classification_inputs() -> list[tuple[dict[str, Any], tuple[torch.Tensor, torch.Tensor], int]]:
    """(batch, outputs, loader): two calibration batches, then two test batches."""
    parts = [(0, [0, 0, 1, 1, 0, 0], CALIBRATION), (6, [1, 1, 0, 0], CALIBRATION)]
    parts += [(10, [0, 0, 1, 1, 1, 1], TEST), (16, [0, 0, 0, 0, 1, 1, 0, 0], TEST)]
    inputs = []
    for seed, (first, labels, loader) in enumerate(parts):
        batch = _classification_batch(first, labels, seed)
        inputs.append((batch, _classification_logits(batch), loader))
    return inputs


JOINTS = ["head", "neck", "hip", "knee"]
SIGMAS = [0.05, 0.06, 0.08, 0.09]


def _keypoint_inputs() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    rng = np.random.default_rng(0)
    inputs = []
    for b in range(3):
        n = 2
        gt = np.concatenate([rng.uniform(20, 80, (n, 4, 2)), np.full((n, 4, 1), 2.0)], axis=-1)
        gt[0, 3, 2] = 0  # one absent joint
        pred = np.concatenate(
            [gt[..., :2] + rng.normal(0, 3 + 3 * b, (n, 4, 2)), rng.uniform(0, 1, (n, 4, 1))], -1
        )
        boxes = np.array([[10.0, 10, 90, 90]] * n)
        inputs.append(
            (
                {"keypoints": gt, "box": boxes, "image_id": [10 + b] * n},
                {"keypoints": pred, "scores": pred[..., 2].mean(axis=1)},
            )
        )
    return inputs


def _keypoint_evaluator() -> KeypointEvaluator:
    return KeypointEvaluator(JOINTS, SIGMAS, head_segment=(0, 1))


def _translation_inputs() -> list[tuple[dict[str, Any], list[str]]]:
    return [
        (
            {"sources": ["가", "나"], "references": ["the cat sat on the mat", "a dog ran home"]},
            ["the cat sat on a mat", "a dog ran"],
        ),
        (
            {"sources": ["다", "라", "마"], "references": ["it rains today", "we eat rice", "hello world"]},
            ["it rains", "we eat rice", "hello there world"],
        ),
    ]


def _feed(evaluator: Evaluator, inputs: list[tuple]) -> Evaluator:
    for batch, outputs, *loader in inputs:
        if loader:
            evaluator.process(batch, outputs, loader=loader[0])  # type: ignore[call-arg]
        else:
            evaluator.process(batch, outputs)
    return evaluator


CASES: dict[str, tuple[Callable[[], Evaluator], Callable[[], list[tuple]]]] = {
    "detection": (_detection_evaluator, _detection_batches),
    "classification": (
        lambda: ClassificationEvaluator(VIEWS, calibrated=True, bootstrap=50),
        _classification_inputs,
    ),
    "keypoints": (_keypoint_evaluator, _keypoint_inputs),
    "translation": (lambda: TranslationEvaluator("en"), _translation_inputs),
}


# -- the numbers of the metric functions ----------------------------------------------------------
def test_detection_evaluator_gives_evaluate_coco_of_the_same_predictions() -> None:
    evaluator = _feed(_detection_evaluator(), _detection_batches())
    metrics = evaluator.evaluate()
    predictions = []
    for (_, targets), outputs in _detection_batches():
        predictions += predictions_to_coco(int(targets[0]["image_id"]), outputs[0])
    expected = evaluate_coco(
        coco_gt_from_samples(_detection_samples(), DET_CLASSES),
        predictions,
        ("bbox",),
        DET_CLASSES,
        category_groups={"small": ["nodule"], "big": ["mass"]},
    )
    assert metrics == expected
    assert 0.2 < metrics["bbox_mAP"] < 0.9 and metrics["bbox_AP/mass"] != metrics["bbox_AP/nodule"]
    assert "bbox_mAP/small" in metrics and evaluator.predictions == predictions


def test_detection_ground_truth_is_only_the_images_evaluated() -> None:
    """A capped loader evaluates a prefix of the split: unseen images are no misses."""
    evaluator = _feed(_detection_evaluator(), _detection_batches()[:1])
    only_first = evaluator.evaluate()
    assert only_first["bbox_mAP_50"] == pytest.approx(1.0)


def test_classification_evaluator_calibrates_on_the_val_part_and_reports_the_test_part() -> None:
    inputs = _classification_inputs()
    metrics = _feed(ClassificationEvaluator(VIEWS, calibrated=True, bootstrap=50), inputs).evaluate()

    def patient(loader: int) -> tuple[np.ndarray, np.ndarray]:
        groups, labels, scores = [], [], []
        for batch, (case_logits, _), index in inputs:
            if index == loader:
                groups += batch["group"]
                labels += batch["label"].int().tolist()
                scores += torch.sigmoid(case_logits).tolist()
        _, y, s = aggregate_by_group(groups, labels, scores, "max")
        return y, s

    threshold = youden_threshold(*patient(CALIBRATION))
    y, s = patient(TEST)
    expected = binary_report(y, s, threshold, n_boot=50)
    assert {k: metrics[f"patient/{k}"] for k in expected} == expected
    assert metrics["patient/threshold"] == threshold != 0.5
    assert metrics["patient/sensitivity_at_0.5"] == operating_point(y, s, 0.5)["sensitivity"]
    assert metrics["image/n_pos"] + metrics["image/n_neg"] == 2 * 14 - 5  # present views of the 14 test cases


def test_classification_validation_scores_the_auc_of_every_row() -> None:
    inputs = [(batch, outputs, CALIBRATION) for batch, outputs, _ in _classification_inputs()]
    metrics = _feed(ClassificationEvaluator(VIEWS, case_score="views", aggregation="mean"), inputs).evaluate()
    labels, scores = [], []
    for batch, (_, view_logits), _ in inputs:
        mask = batch["view_mask"]
        labels += batch["view_labels"][mask].int().tolist()
        scores += torch.sigmoid(view_logits)[mask].tolist()
    assert set(metrics) == {"patient/auc", "image/auc"}
    assert metrics["image/auc"] == pytest.approx(roc_auc_score(labels, scores))


def test_keypoint_evaluator_gives_pck_and_oks_ap() -> None:
    inputs = _keypoint_inputs()
    metrics = _feed(_keypoint_evaluator(), inputs).evaluate()
    gt = np.concatenate([b["keypoints"] for b, _ in inputs])
    pred = np.concatenate([o["keypoints"] for _, o in inputs])
    boxes = np.concatenate([b["box"] for b, _ in inputs])
    scores = np.concatenate([o["scores"] for _, o in inputs])
    by_box = pck(pred, gt, bbox_norm(boxes), 0.2)
    assert metrics["PCK@0.2"] == by_box["mean"]
    assert [metrics[f"PCK@0.2/{j}"] for j in JOINTS] == pytest.approx(list(by_box["per_joint"]))
    assert metrics["PCKh@0.5"] == pck(pred, gt, head_norm(gt, (0, 1)), 0.5)["mean"]
    oks = oks_ap(gt, pred, boxes, SIGMAS, scores=scores)
    assert metrics["OKS_AP"] == oks["OKS_AP"] and metrics["OKS_AP50"] == oks["OKS_AP50"]
    assert metrics["people"] == 6.0 and 0 < metrics["PCK@0.2"] < 1


def test_translation_evaluator_gives_corpus_scores_and_keeps_the_signatures() -> None:
    metrics = _feed(TranslationEvaluator("en"), _translation_inputs()).evaluate()
    hyps = [h for _, hs in _translation_inputs() for h in hs]
    refs = [r for b, _ in _translation_inputs() for r in b["references"]]
    expected = corpus_scores(hyps, refs, "en")
    assert metrics == {k: expected[k] for k in ("bleu", "chrf", "bleu_signature", "chrf_signature")}
    assert 0 < metrics["bleu"] < 100 and "tok:13a" in metrics["bleu_signature"]


def test_nothing_processed_evaluates_to_no_metrics() -> None:
    for make, _ in CASES.values():
        assert make().evaluate() == {}


def test_reset_forgets_what_was_processed() -> None:
    evaluator = _feed(_keypoint_evaluator(), _keypoint_inputs())
    evaluator.reset()
    assert evaluator.evaluate() == {}


# -- gathering ------------------------------------------------------------------------------------
@pytest.mark.parametrize("family", sorted(CASES))
def test_evaluate_gathers_exactly_once(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    real = distributed.gather_lists

    def counting(items: list, interleave: bool = False) -> list:
        calls.append(interleave)
        return real(items, interleave)

    monkeypatch.setattr(distributed, "gather_lists", counting)
    make, inputs = CASES[family]
    evaluator = _feed(make(), inputs())
    assert evaluator.evaluate()
    assert calls == [family == "translation"]  # hypotheses must stay in dataset order
    evaluator.evaluate()
    assert len(calls) == 2


def _two_ranks(monkeypatch: pytest.MonkeyPatch, other: Evaluator) -> None:
    """gather_lists as on rank 0 of two: ``other`` is rank 1's evaluator."""

    def gather(items: list, interleave: bool = False) -> list:
        parts = [items, other._items]
        if not interleave:
            return [item for part in parts for item in part]
        return [part[i] for i in range(max(map(len, parts))) for part in parts if i < len(part)]

    monkeypatch.setattr(distributed, "gather_lists", gather)


@pytest.mark.parametrize("family", sorted(CASES))
def test_two_ranks_give_the_single_process_metrics(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs dealt to two ranks as a DDP sampler does (rank r gets samples r, r + 2, ...)."""
    make, inputs = CASES[family]
    single = _feed(make(), inputs()).evaluate()
    rank0, rank1 = make(), make()
    if family == "translation":  # one sentence per item: deal sentences, not batches
        sentences = [
            ({"sources": [s], "references": [r]}, [h])
            for b, hs in inputs()
            for s, r, h in zip(b["sources"], b["references"], hs, strict=True)
        ]
    else:
        sentences = inputs()
    _feed(rank0, sentences[0::2])
    _feed(rank1, sentences[1::2])
    _two_ranks(monkeypatch, rank1)
    assert rank0.evaluate() == pytest.approx(single, nan_ok=True)  # keypoints: another order of summation


def test_a_rank_without_calibration_batches_still_calibrates_on_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One gather for both loaders: no per-loader collective a rank could skip."""
    inputs = _classification_inputs()
    single = _feed(ClassificationEvaluator(VIEWS, calibrated=True, bootstrap=50), inputs).evaluate()
    rank0 = _feed(
        ClassificationEvaluator(VIEWS, calibrated=True, bootstrap=50), [i for i in inputs if i[2] == TEST]
    )
    rank1 = _feed(
        ClassificationEvaluator(VIEWS, calibrated=True, bootstrap=50), [i for i in inputs if i[2] != TEST]
    )
    _two_ranks(monkeypatch, rank1)
    assert rank0.evaluate() == pytest.approx(single, nan_ok=True)


def test_translations_are_gathered_in_dataset_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sentences = [({"sources": [f"s{i}"], "references": [f"r {i}"]}, [f"h {i}"]) for i in range(5)]
    rank0, rank1 = (
        _feed(TranslationEvaluator("en"), sentences[0::2]),
        _feed(TranslationEvaluator("en"), sentences[1::2]),
    )
    _two_ranks(monkeypatch, rank1)
    rank0.evaluate()
    rank0.write(tmp_path)
    assert (tmp_path / "test.hyp.txt").read_text() == "".join(f"h {i}\n" for i in range(5))
    assert (tmp_path / "test.src.txt").read_text() == "".join(f"s{i}\n" for i in range(5))


# -- artefacts ------------------------------------------------------------------------------------
def test_detection_writes_coco_results_and_the_results_table(tmp_path: Path) -> None:
    evaluator = _feed(_detection_evaluator(), _detection_batches())
    evaluator.evaluate()
    written = evaluator.write(tmp_path)
    assert written == [tmp_path / "predictions_test.json", tmp_path / "results.md"]
    assert json.loads(written[0].read_text()) == evaluator.predictions
    table = written[1].read_text()
    assert table.startswith("# Detection: test results") and "## Per group" in table


def test_classification_writes_the_test_part_as_csv_and_a_roc_curve(tmp_path: Path) -> None:
    evaluator = _feed(
        ClassificationEvaluator(VIEWS, calibrated=True, bootstrap=50, title="t"), _classification_inputs()
    )
    evaluator.evaluate()
    evaluator.write(tmp_path)
    with (tmp_path / "predictions_test.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == PREDICTION_FIELDS
    assert {r["id"] for r in rows if r["level"] == "case"} == {f"c{i}" for i in range(10, 24)}
    assert (tmp_path / "roc_test.png").stat().st_size > 1000
    reread = read_predictions_csv(tmp_path / "predictions_test.csv")
    assert reread.rows == evaluator.scored.rows


def test_keypoints_write_coco_keypoint_results(tmp_path: Path) -> None:
    evaluator = _feed(_keypoint_evaluator(), _keypoint_inputs())
    evaluator.evaluate()
    (path,) = evaluator.write(tmp_path)
    results = json.loads(path.read_text())
    assert len(results) == 6 and results[0]["image_id"] == 10 and len(results[0]["keypoints"]) == 12
    assert _keypoint_evaluator().write(tmp_path / "none") == []


def test_translation_writes_files_that_reproduce_bleu(tmp_path: Path) -> None:
    evaluator = _feed(TranslationEvaluator("en"), _translation_inputs())
    metrics = evaluator.evaluate()
    evaluator.write(tmp_path)
    bleu = json.loads((tmp_path / "bleu.json").read_text())
    assert bleu["bleu"] == metrics["bleu"] and bleu["signature"] == metrics["bleu_signature"]
    assert "-tok 13a" in bleu["reproduce"]
    assert (tmp_path / "test.ref.txt").read_text().splitlines()[0] == "the cat sat on the mat"


# -- layering -------------------------------------------------------------------------------------
def test_metrics_never_import_tasks() -> None:
    """Also imports inside functions: metrics are below tasks."""
    offenders = []
    for path in sorted(METRICS_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("aihub_bench.tasks")]
    assert not offenders
