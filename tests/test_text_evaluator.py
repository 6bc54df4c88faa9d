"""Text evaluators (aihub_bench.metrics.text_evaluator): the numbers of the metric functions overall
and per subset / kind / font, order-free results across two simulated DDP ranks, the predictions CSV."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import torch

from aihub_bench import distributed
from aihub_bench.metrics.evaluator import Evaluator
from aihub_bench.metrics.text import (
    character_error_rate,
    exact_match,
    jamo_error_rate,
    topk_accuracy,
    word_error_rate,
)
from aihub_bench.metrics.text_evaluator import (
    RECOGNITION_FIELDS,
    SyllableEvaluator,
    TextRecognitionEvaluator,
    metric_key_part,
)

# (image_path, subset, kind, font, reference, prediction)
RECOGNITION = [
    ("p/003.png", "printed", "word", "나눔고딕", "학교", "학교"),
    ("p/001.png", "printed", "word", "나눔고딕", "도서관", "도사관"),
    ("p/002.png", "printed", "sentence", "HY견고딕/Bold", "오늘 날씨는 맑다", "오늘 날시는"),
    ("h/010.png", "handwriting", "word", "", "사랑", ""),
    ("h/011.png", "handwriting", "sentence", "", "값싼 닭고기", unicodedata.normalize("NFD", "값싼 닭고기")),
    ("t/abc.jpg", "tiw", "word", "", "출구", "출구 앞"),
    ("t/abc.jpg", "tiw", "word", "", "입구", "입고"),
    ("p/004.png", "printed", "word", "HY견고딕/Bold", "바다", "바다"),
]


def _recognition_batches(
    rows: list[tuple[str, ...]], size: int = 3
) -> list[tuple[dict[str, Any], list[str]]]:
    batches = []
    for start in range(0, len(rows), size):
        part = rows[start : start + size]
        paths, subsets, kinds, fonts, refs, preds = (list(col) for col in zip(*part, strict=True))
        batch = {"image_path": paths, "subset": subsets, "kind": kinds, "font": fonts, "text": refs}
        batches.append((batch, preds))
    return batches


def _feed(evaluator: Evaluator, batches: list[tuple[dict[str, Any], Any]]) -> Evaluator:
    for batch, outputs in batches:
        evaluator.process(batch, outputs)
    return evaluator


def _two_ranks(monkeypatch: pytest.MonkeyPatch, other: Evaluator) -> None:
    """gather_lists as on rank 0 of two: ``other`` is rank 1's evaluator."""
    monkeypatch.setattr(distributed, "gather_lists", lambda items, interleave=False: [*items, *other._items])


def _column(rows: list[tuple[str, ...]], index: int) -> list[str]:
    return [row[index] for row in rows]


# -- recognition -----------------------------------------------------------------------------------
def test_recognition_metrics_equal_the_metric_functions() -> None:
    metrics = _feed(TextRecognitionEvaluator(), _recognition_batches(RECOGNITION)).evaluate()
    refs, preds = _column(RECOGNITION, 4), _column(RECOGNITION, 5)
    assert metrics["cer"] == pytest.approx(character_error_rate(preds, refs))
    assert metrics["wer"] == pytest.approx(word_error_rate(preds, refs))
    assert metrics["jamo_cer"] == pytest.approx(jamo_error_rate(preds, refs))
    assert (
        metrics["accuracy"] == pytest.approx(exact_match(preds, refs)) == pytest.approx(3 / 8)
    )  # 학교, 바다, the NFD 값싼 닭고기
    assert metrics["samples"] == 8
    for attr, index in (("subset", 1), ("kind", 2), ("font", 3)):
        values = {row[index] for row in RECOGNITION if row[index]}
        for value in values:
            rows = [row for row in RECOGNITION if row[index] == value]
            key = f"{attr}/{metric_key_part(value)}"
            assert metrics[f"{key}/cer"] == pytest.approx(
                character_error_rate(_column(rows, 5), _column(rows, 4))
            )
            assert metrics[f"{key}/accuracy"] == pytest.approx(
                exact_match(_column(rows, 5), _column(rows, 4))
            )


def test_recognition_group_keys_are_sanitised_and_skip_empty_values() -> None:
    metrics = _feed(TextRecognitionEvaluator(), _recognition_batches(RECOGNITION)).evaluate()
    font_keys = sorted(k for k in metrics if k.startswith("font/"))
    assert font_keys == [
        "font/HY견고딕_Bold/accuracy",
        "font/HY견고딕_Bold/cer",
        "font/나눔고딕/accuracy",
        "font/나눔고딕/cer",
    ]
    assert {k.split("/")[1] for k in metrics if k.startswith("subset/")} == {"printed", "handwriting", "tiw"}
    assert {k.split("/")[1] for k in metrics if k.startswith("kind/")} == {"word", "sentence"}
    assert metric_key_part("a/b, c=d [x]") == "a_b__c_d__x_"


def test_recognition_is_order_free_across_two_ranks(monkeypatch: pytest.MonkeyPatch) -> None:
    single = _feed(TextRecognitionEvaluator(), _recognition_batches(RECOGNITION, size=8)).evaluate()
    batches = _recognition_batches(RECOGNITION, size=1)
    rank0 = _feed(TextRecognitionEvaluator(), batches[1::2])  # rank 1's samples first, reversed batching
    rank1 = _feed(TextRecognitionEvaluator(), batches[0::2][::-1])
    _two_ranks(monkeypatch, rank1)
    assert rank0.evaluate() == single


def test_an_error_rate_without_reference_characters_is_left_out() -> None:
    rows = [("a.png", "printed", "word", "", "", "가"), ("b.png", "tiw", "word", "", "나", "나")]
    metrics = _feed(TextRecognitionEvaluator(), _recognition_batches(rows)).evaluate()
    assert "subset/printed/cer" not in metrics
    assert metrics["subset/printed/accuracy"] == 0.0
    assert metrics["subset/tiw/cer"] == 0.0
    assert metrics["cer"] == pytest.approx(1.0)  # one insertion over one reference character


def test_recognition_rejects_a_prediction_count_that_does_not_match_the_batch() -> None:
    batch, _ = _recognition_batches(RECOGNITION)[0]
    with pytest.raises(ValueError, match="2 predictions for a batch of 3 samples"):
        TextRecognitionEvaluator().process(batch, ["가", "나"])


def test_nothing_processed_gives_no_metrics_and_no_file(tmp_path: Path) -> None:
    evaluator = TextRecognitionEvaluator(prediction_file="predictions_test.csv")
    assert evaluator.evaluate() == {}
    assert evaluator.write(tmp_path) == []
    assert not (tmp_path / "predictions_test.csv").exists()


def test_recognition_writes_a_sorted_utf8_predictions_csv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    batches = _recognition_batches(RECOGNITION, size=2)
    rank0 = _feed(TextRecognitionEvaluator(prediction_file="predictions_test.csv"), batches[0::2])
    rank1 = _feed(TextRecognitionEvaluator(prediction_file="predictions_test.csv"), batches[1::2])
    _two_ranks(monkeypatch, rank1)
    rank0.evaluate()
    assert rank0.write(tmp_path) == [tmp_path / "predictions_test.csv"]
    with (tmp_path / "predictions_test.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == RECOGNITION_FIELDS
        rows = list(reader)
    assert [(r["image_path"], r["reference"]) for r in rows] == sorted(
        (row[0], row[4]) for row in RECOGNITION
    )
    by_ref = {r["reference"]: r for r in rows}
    assert by_ref["도서관"]["prediction"] == "도사관"
    assert float(by_ref["도서관"]["cer"]) == pytest.approx(1 / 3)
    assert by_ref["도서관"]["font"] == "나눔고딕"
    assert by_ref["오늘 날씨는 맑다"]["font"] == "HY견고딕/Bold"  # the file keeps the name as it is
    assert by_ref["값싼 닭고기"]["prediction"] == "값싼 닭고기"  # written in NFC
    assert float(by_ref["값싼 닭고기"]["cer"]) == 0.0
    assert by_ref["사랑"]["prediction"] == ""
    assert float(by_ref["사랑"]["cer"]) == 1.0


def test_without_a_prediction_file_nothing_is_written(tmp_path: Path) -> None:
    evaluator = _feed(TextRecognitionEvaluator(), _recognition_batches(RECOGNITION))
    evaluator.evaluate()
    assert evaluator.write(tmp_path) == []
    assert list(tmp_path.iterdir()) == []


# -- syllable classification -----------------------------------------------------------------------
CLASSES = ["가", "각", "간", "갇", "갈", "감", "갑"]


def _syllable_rows(seed: int = 0, n: int = 24) -> tuple[list[dict[str, Any]], torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, len(CLASSES), (n,), generator=generator)
    scores = torch.randn(n, len(CLASSES), generator=generator)
    scores[torch.arange(n), labels] += 1.0  # better than chance, not perfect
    subsets = ["printed", "handwriting", "augmented"]
    fonts = ["나눔고딕", "나눔고딕 Bold", ""]
    rows = [
        {
            "image_path": f"img/{n - i:03d}.png",
            "subset": subsets[i % 3],
            "kind": "syllable",
            "font": fonts[i % 3],
            "text": CLASSES[int(labels[i])],
        }
        for i in range(n)
    ]
    return rows, scores, labels


def _syllable_batches(
    rows: list[dict[str, Any]], scores: torch.Tensor, labels: torch.Tensor, indices: list[int], size: int = 5
) -> list[tuple[dict[str, Any], torch.Tensor]]:
    batches = []
    for start in range(0, len(indices), size):
        part = indices[start : start + size]
        batch: dict[str, Any] = {key: [rows[i][key] for i in part] for key in rows[0]}
        batch["label"] = labels[part]
        batches.append((batch, scores[part]))
    return batches


def test_syllable_metrics_equal_topk_accuracy_overall_and_per_group() -> None:
    rows, scores, labels = _syllable_rows()
    evaluator = SyllableEvaluator(CLASSES)
    metrics = _feed(evaluator, _syllable_batches(rows, scores, labels, list(range(len(rows))))).evaluate()
    assert metrics["top1"] == pytest.approx(topk_accuracy(scores, labels, 1))
    assert metrics["top5"] == pytest.approx(topk_accuracy(scores, labels, 5))
    assert metrics["top1"] < metrics["top5"] < 1.0
    assert metrics["samples"] == len(rows)
    for attr, value in (("subset", "handwriting"), ("font", "나눔고딕 Bold"), ("kind", "syllable")):
        index = [i for i, row in enumerate(rows) if row[attr] == value]
        assert metrics[f"{attr}/{metric_key_part(value)}/top1"] == pytest.approx(
            topk_accuracy(scores[index], labels[index], 1)
        )
    assert "font/nanum/top1" not in metrics
    assert sorted(k for k in metrics if k.startswith("font/")) == [
        "font/나눔고딕/top1",
        "font/나눔고딕/top5",
        "font/나눔고딕_Bold/top1",
        "font/나눔고딕_Bold/top5",
    ]


def test_syllable_topk_is_capped_at_the_number_of_classes() -> None:
    rows, scores, labels = _syllable_rows()
    few = [i for i, label in enumerate(labels.tolist()) if label < 3]
    batch: dict[str, Any] = {"label": labels[few], "image_path": [rows[i]["image_path"] for i in few]}
    evaluator = SyllableEvaluator(CLASSES[:3], topk=(1, 5))
    evaluator.process(batch, scores[few][:, :3])
    metrics = evaluator.evaluate()
    assert metrics["top5"] == 1.0
    assert metrics["top1"] == pytest.approx(topk_accuracy(scores[few][:, :3], labels[few], 1))


def test_syllable_is_order_free_across_two_ranks(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, scores, labels = _syllable_rows(seed=1)
    n = len(rows)
    single = _feed(
        SyllableEvaluator(CLASSES), _syllable_batches(rows, scores, labels, list(range(n)))
    ).evaluate()
    rank0 = _feed(SyllableEvaluator(CLASSES), _syllable_batches(rows, scores, labels, list(range(1, n, 2))))
    rank1 = _feed(
        SyllableEvaluator(CLASSES), _syllable_batches(rows, scores, labels, list(range(0, n, 2)), 3)
    )
    _two_ranks(monkeypatch, rank1)
    assert rank0.evaluate() == single


def test_syllable_rejects_scores_of_the_wrong_shape() -> None:
    rows, scores, labels = _syllable_rows()
    (batch, batch_scores), *_ = _syllable_batches(rows, scores, labels, list(range(5)))
    with pytest.raises(ValueError, match=r"scores must be \(B, 7\)"):
        SyllableEvaluator(CLASSES).process(batch, batch_scores[:, :4])
    with pytest.raises(ValueError, match="4 score rows for a batch of 5"):
        SyllableEvaluator(CLASSES).process(batch, batch_scores[:4])
    with pytest.raises(ValueError, match="topk must list positive integers"):
        SyllableEvaluator(CLASSES, topk=(0,))


def test_syllable_writes_the_top_classes_csv(tmp_path: Path) -> None:
    rows, scores, labels = _syllable_rows()
    evaluator = SyllableEvaluator(CLASSES, prediction_file=tmp_path / "out" / "syllables.csv")
    _feed(evaluator, _syllable_batches(rows, scores, labels, list(range(len(rows)))))
    metrics = evaluator.evaluate()
    assert evaluator.write(tmp_path / "run") == [tmp_path / "out" / "syllables.csv"]  # absolute path kept
    with (tmp_path / "out" / "syllables.csv").open(encoding="utf-8", newline="") as fh:
        written = list(csv.DictReader(fh))
    assert list(written[0]) == [
        "image_path",
        "subset",
        "kind",
        "font",
        "reference",
        "label",
        "correct",
        *(f"prediction_{i}" for i in range(1, 6)),
    ]
    assert [r["image_path"] for r in written] == sorted(row["image_path"] for row in rows)
    first = min(range(len(rows)), key=lambda i: rows[i]["image_path"])
    best = scores[first].argsort(descending=True)[:5].tolist()
    assert [written[0][f"prediction_{i + 1}"] for i in range(5)] == [CLASSES[j] for j in best]
    assert written[0]["label"] == written[0]["reference"] == CLASSES[int(labels[first])]
    assert sum(int(r["correct"]) for r in written) / len(written) == pytest.approx(metrics["top1"])
