"""Multimodal classification metrics (aihub_bench.metrics.multimodal) against scikit-learn and hand-counted
cases, and the evaluator (aihub_bench.metrics.multimodal_evaluator): keys, per-head values, the
primary head's headline, files written, and clear errors."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from aihub_bench import distributed
from aihub_bench.metrics.multimodal import class_scores
from aihub_bench.metrics.multimodal_evaluator import MultimodalClassificationEvaluator


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# -- class_scores ----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_class_scores_agree_with_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = 6
    labels = rng.choice([0, 1, 2, 4], size=60)  # classes 3 and 5 never true
    predictions = np.where(
        rng.random(60) < 0.5, labels, rng.choice([0, 1, 2, 3], size=60)
    )  # 3 only predicted
    scores = class_scores(labels, predictions, k)
    present = np.unique(labels)
    assert scores["accuracy"] == pytest.approx(accuracy_score(labels, predictions))
    assert scores["macro_f1"] == pytest.approx(
        f1_score(labels, predictions, labels=present, average="macro", zero_division=0)
    )
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predictions, labels=np.arange(k), zero_division=0
    )
    defined = np.isin(np.arange(k), np.union1d(labels, predictions))
    assert defined.tolist() == [True, True, True, True, True, False]
    np.testing.assert_allclose(scores["precision"][defined], precision[defined])
    np.testing.assert_allclose(scores["recall"][defined], recall[defined])
    np.testing.assert_allclose(scores["f1"][defined], f1[defined])
    assert np.isnan(scores["precision"][5]) and np.isnan(scores["recall"][5]) and np.isnan(scores["f1"][5])
    np.testing.assert_array_equal(scores["support"], support)
    np.testing.assert_array_equal(
        scores["confusion"], confusion_matrix(labels, predictions, labels=np.arange(k))
    )


def test_class_scores_of_a_hand_counted_case() -> None:
    # true 0 0 0 1 1 2; predicted 0 0 1 1 2 2 (class 3 neither true nor predicted)
    scores = class_scores([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 4)
    assert scores["accuracy"] == pytest.approx(4 / 6)
    np.testing.assert_allclose(scores["precision"][:3], [1.0, 0.5, 0.5])
    np.testing.assert_allclose(scores["recall"][:3], [2 / 3, 0.5, 1.0])
    np.testing.assert_allclose(scores["f1"][:3], [0.8, 0.5, 2 / 3])
    assert np.isnan(scores["f1"][3])
    assert scores["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert scores["support"].tolist() == [3, 2, 1, 0]
    assert scores["confusion"].tolist() == [[2, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]


def test_a_class_only_predicted_scores_zero_and_lowers_no_macro_f1() -> None:
    scores = class_scores([0, 0, 1, 1], [0, 2, 1, 1], 3)
    assert (scores["precision"][2], scores["recall"][2], scores["f1"][2]) == (0.0, 0.0, 0.0)
    assert scores["recall"][0] == 0.5 and scores["precision"][0] == 1.0
    assert scores["macro_f1"] == pytest.approx((2 / 3 + 1.0) / 2)  # over classes 0 and 1 only


def test_class_scores_reject_out_of_range_or_mismatched_input() -> None:
    with pytest.raises(ValueError, match=r"must lie in \[0, 3\)"):
        class_scores([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match="differ in length"):
        class_scores([0, 1], [0], 3)


# -- evaluator -------------------------------------------------------------------------------------
EMOTIONS = ["neutral", "happy", "sad"]
EMOTION_NAMES = ["중립 (neutral)", "기쁨 (happy)", "슬픔 (sad)"]


def _logits(predicted: list[int], k: int, confidence: float = 3.0) -> torch.Tensor:
    logits = torch.zeros(len(predicted), k)
    logits[torch.arange(len(predicted)), torch.tensor(predicted)] = confidence
    return logits


def _emotion_batch() -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    labels = [0, 0, 1, 1, 2, 1]
    batch = {"key": [f"clip_{i}#t0" for i in range(6)], "labels": {"emotion": torch.tensor(labels)}}
    outputs = {"text": _logits([0, 1, 1, 1, 2, 0], 3), "fused": _logits([0, 0, 1, 1, 2, 1], 3)}
    return batch, outputs


def _evaluated(evaluator: MultimodalClassificationEvaluator, *batches: Any) -> dict[str, Any]:
    evaluator.reset()
    for batch, outputs in batches:
        evaluator.process(batch, outputs)
    return evaluator.evaluate()


def test_each_head_is_scored_by_class_scores_and_the_primary_is_the_headline() -> None:
    evaluator = MultimodalClassificationEvaluator(
        {"text": "emotion", "fused": "emotion"}, {"emotion": EMOTIONS}, primary="text"
    )
    batch, outputs = _emotion_batch()
    metrics = _evaluated(evaluator, (batch, outputs))
    labels = batch["labels"]["emotion"].numpy()
    text = class_scores(labels, outputs["text"].argmax(1).numpy(), 3)
    assert metrics["text/accuracy"] == pytest.approx(text["accuracy"]) == pytest.approx(4 / 6)
    assert metrics["text/macro_f1"] == pytest.approx(text["macro_f1"])
    for name, f1 in zip(EMOTIONS, text["f1"], strict=True):
        assert metrics[f"text/f1/{name}"] == pytest.approx(f1)
    assert metrics["fused/accuracy"] == 1.0 and metrics["fused/macro_f1"] == 1.0
    assert (metrics["accuracy"], metrics["macro_f1"]) == (metrics["text/accuracy"], metrics["text/macro_f1"])
    assert metrics["samples"] == 6.0 and metrics["text/samples"] == 6.0


def test_the_last_head_is_primary_by_default_and_classes_absent_from_labels_get_no_f1_key() -> None:
    evaluator = MultimodalClassificationEvaluator(
        {"text": "emotion", "fused": "emotion"}, {"emotion": EMOTIONS}
    )
    batch = {"key": ["a", "b"], "labels": {"emotion": torch.tensor([0, 1])}}
    metrics = _evaluated(evaluator, (batch, {"text": _logits([0, 2], 3), "fused": _logits([0, 0], 3)}))
    assert metrics["accuracy"] == metrics["fused/accuracy"] == 0.5
    assert "text/f1/sad" not in metrics and metrics["text/f1/happy"] == 0.0


def test_batching_and_repeated_samples_do_not_change_the_metrics() -> None:
    evaluator = MultimodalClassificationEvaluator(
        {"text": "emotion", "fused": "emotion"}, {"emotion": EMOTIONS}
    )
    batch, outputs = _emotion_batch()
    whole = _evaluated(evaluator, (batch, outputs))

    def part(rows: slice) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return (
            {"key": batch["key"][rows], "labels": {"emotion": batch["labels"]["emotion"][rows]}},
            {head: logits[rows] for head, logits in outputs.items()},
        )

    # the last sample repeated, as DDP padding does
    assert _evaluated(evaluator, part(slice(0, 4)), part(slice(3, 6)), part(slice(5, 6))) == whole


def test_two_heads_with_different_targets_and_class_counts() -> None:
    classes = {"gender": ["male", "female"], "age": ["20s", "30s", "40s", "50s"]}
    evaluator = MultimodalClassificationEvaluator(
        {"gender": "gender", "age": "age"},
        classes,
        display_names={
            "gender": ["남성 (male)", "여성 (female)"],
            "age": ["20대 (20s)", "30대 (30s)", "40대 (40s)", "50대 (50s)"],
        },
        primary="age",
    )
    batch = {
        "key": ["c1#p1", "c1#p2", "c2#p1", "c2#p2", "c3#p1"],
        "labels": {"gender": torch.tensor([0, 1, 1, 0, 1]), "age": torch.tensor([0, 1, 2, 3, 1])},
    }
    outputs = {"gender": _logits([0, 1, 0, 0, 1], 2), "age": _logits([0, 1, 2, 2, 3], 4)}
    metrics = _evaluated(evaluator, (batch, outputs))
    gender = class_scores([0, 1, 1, 0, 1], [0, 1, 0, 0, 1], 2)
    age = class_scores([0, 1, 2, 3, 1], [0, 1, 2, 2, 3], 4)
    assert metrics["gender/accuracy"] == pytest.approx(0.8)
    assert metrics["gender/macro_f1"] == pytest.approx(gender["macro_f1"])
    assert metrics["age/accuracy"] == pytest.approx(0.6)
    assert metrics["age/macro_f1"] == pytest.approx(age["macro_f1"])
    assert metrics["macro_f1"] == metrics["age/macro_f1"]
    assert {k for k in metrics if "/f1/" in k} == {
        "gender/f1/male",
        "gender/f1/female",
        "age/f1/20s",
        "age/f1/30s",
        "age/f1/40s",
        "age/f1/50s",
    }


def test_write_gives_a_confusion_png_per_head_and_the_csv_tables(tmp_path: Path) -> None:
    evaluator = MultimodalClassificationEvaluator(
        {"text": "emotion", "fused": "emotion"},
        {"emotion": EMOTIONS},
        display_names={"emotion": EMOTION_NAMES},
        split="val",
    )
    batch, outputs = _emotion_batch()
    _evaluated(evaluator, (batch, outputs))
    written = evaluator.write(tmp_path)
    names = sorted(path.name for path in written)
    assert names == [
        "confusion_val_fused.png",
        "confusion_val_text.png",
        "per_class_val.csv",
        "predictions_val.csv",
    ]
    for head in ("text", "fused"):
        assert (tmp_path / f"confusion_val_{head}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    predictions = _rows(tmp_path / "predictions_val.csv")
    assert len(predictions) == 12
    first_text = next(r for r in predictions if r["head"] == "text" and r["key"] == "clip_1#t0")
    assert first_text == {
        "key": "clip_1#t0",
        "head": "text",
        "target": "emotion",
        "label": "neutral",
        "predicted": "happy",
        "confidence": f"{torch.softmax(torch.tensor([0.0, 3.0, 0.0]), 0)[1].item():.4f}",
    }
    per_class = _rows(tmp_path / "per_class_val.csv")
    assert len(per_class) == 6
    # text on happy: true at samples 2, 3, 5, predicted at 1, 2, 3
    happy = next(r for r in per_class if r["head"] == "text" and r["class"] == "happy")
    assert happy["display_name"] == "기쁨 (happy)"
    assert (happy["precision"], happy["recall"], happy["f1"], happy["support"]) == (
        "0.6667",
        "0.6667",
        "0.6667",
        "3",
    )


def test_a_class_neither_true_nor_predicted_has_empty_scores_in_the_table(tmp_path: Path) -> None:
    evaluator = MultimodalClassificationEvaluator({"text": "emotion"}, {"emotion": EMOTIONS})
    batch = {"key": ["a", "b"], "labels": {"emotion": torch.tensor([0, 1])}}
    _evaluated(evaluator, (batch, {"text": _logits([0, 1], 3)}))
    evaluator.write(tmp_path)
    sad = next(r for r in _rows(tmp_path / "per_class_test.csv") if r["class"] == "sad")
    assert (sad["precision"], sad["recall"], sad["f1"], sad["support"]) == ("", "", "", "0")


def test_nothing_processed_gives_no_metrics_and_no_files(tmp_path: Path) -> None:
    evaluator = MultimodalClassificationEvaluator({"text": "emotion"}, {"emotion": EMOTIONS})
    assert evaluator.evaluate() == {}
    assert evaluator.write(tmp_path) == []


def test_the_evaluator_gathers_every_ranks_samples(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluator = MultimodalClassificationEvaluator({"text": "emotion"}, {"emotion": EMOTIONS})
    batch = {"key": ["a", "b"], "labels": {"emotion": torch.tensor([0, 1])}}
    evaluator.process(batch, {"text": _logits([0, 0], 3)})
    other_rank = [*evaluator._items]
    monkeypatch.setattr(distributed, "gather_lists", lambda items, interleave=False: [*items, *other_rank])
    assert evaluator.evaluate()["text/samples"] == 2.0  # the same samples twice count once


def test_unknown_or_missing_heads_and_bad_logits_are_clear_errors() -> None:
    evaluator = MultimodalClassificationEvaluator(
        {"text": "emotion", "fused": "emotion"}, {"emotion": EMOTIONS}
    )
    batch, outputs = _emotion_batch()
    with pytest.raises(ValueError, match=r"unknown: \['image'\]"):
        evaluator.process(batch, {**outputs, "image": outputs["text"]})
    with pytest.raises(ValueError, match=r"missing: \['fused'\]"):
        evaluator.process(batch, {"text": outputs["text"]})
    with pytest.raises(ValueError, match=r"head 'text': logits must be \(B, K\) = \(6, 3\)"):
        evaluator.process(batch, {"text": outputs["text"][:, :2], "fused": outputs["fused"]})
    with pytest.raises(ValueError, match="no labels for target 'emotion'"):
        evaluator.process({"key": batch["key"], "labels": {}}, outputs)
    with pytest.raises(ValueError, match=r"labels of 'emotion' must lie in \[0, 3\)"):
        evaluator.process(
            {"key": ["a"], "labels": {"emotion": torch.tensor([3])}}, {h: _logits([0], 3) for h in outputs}
        )


def test_a_bad_evaluator_config_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="target 'age' has no classes"):
        MultimodalClassificationEvaluator({"age": "age"}, {"emotion": EMOTIONS})
    with pytest.raises(ValueError, match="primary head 'image' is not one of"):
        MultimodalClassificationEvaluator({"text": "emotion"}, {"emotion": EMOTIONS}, primary="image")
    with pytest.raises(ValueError, match="display names of 'emotion': 2 for 3 classes"):
        MultimodalClassificationEvaluator(
            {"text": "emotion"}, {"emotion": EMOTIONS}, display_names={"emotion": ["a", "b"]}
        )
