"""Video metrics (aihub_bench.metrics.video): classification cross-checked against scikit-learn, frame
AUC against ``roc_auc_score``, tIoU / runs / NMS / ActivityNet AP on hand-computed cases, and AP
against a brute-force reference written here from the ActivityNet definition."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    recall_score,
    roc_auc_score,
    top_k_accuracy_score,
)

from aihub_bench.metrics.video import (
    average_precision,
    classification_summary,
    frame_auc,
    mean_average_precision,
    segment_tiou,
    segments_from_scores,
    temporal_nms,
    tiou_matrix,
    topk_accuracy,
)


# -- classification ------------------------------------------------------------------------------
def test_classification_summary_matches_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    k = 6
    labels = rng.choice([0, 1, 2, 4, 5], size=300)  # class 3 never occurs
    predictions = np.where(rng.random(300) < 0.6, labels, rng.integers(0, k, 300))
    summary = classification_summary(labels, predictions, k)
    assert summary["top1"] == pytest.approx(accuracy_score(labels, predictions))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns that class 3 is predicted but absent
        balanced = balanced_accuracy_score(labels, predictions)
    assert summary["mean_class_accuracy"] == pytest.approx(balanced)
    expected_recall = recall_score(labels, predictions, labels=range(k), average=None, zero_division=np.nan)
    np.testing.assert_allclose(summary["recall"], expected_recall, equal_nan=True)
    assert np.isnan(summary["recall"][3])
    np.testing.assert_array_equal(
        summary["confusion"], confusion_matrix(labels, predictions, labels=range(k))
    )


def test_classification_summary_by_hand() -> None:
    summary = classification_summary([0, 0, 1, 2], [0, 1, 1, 1], num_classes=4)
    assert summary["top1"] == 0.5
    np.testing.assert_array_equal(summary["recall"], [0.5, 1.0, 0.0, np.nan])
    assert summary["mean_class_accuracy"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert summary["confusion"].tolist() == [[1, 1, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_topk_accuracy_matches_scikit_learn(k: int) -> None:
    rng = np.random.default_rng(k)
    scores = rng.random((200, 7))
    labels = rng.integers(0, 7, 200)
    assert topk_accuracy(labels, scores, k) == pytest.approx(
        top_k_accuracy_score(labels, scores, k=k, labels=range(7))
    )


def test_topk_breaks_ties_like_argmax_and_caps_k() -> None:
    scores = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    assert topk_accuracy([0, 2], scores, 1) == 1.0  # the tie goes to class 0, as argmax
    assert topk_accuracy([1, 2], scores, 1) == 0.5
    assert topk_accuracy([2, 0], scores, 10) == 1.0


def test_classification_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        classification_summary([0, 1], [0], 2)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        classification_summary([0, 2], [0, 1], 2)
    with pytest.raises(ValueError, match="k must be positive"):
        topk_accuracy([0], [[1.0, 0.0]], 0)


# -- frame AUC -------------------------------------------------------------------------------------
def test_frame_auc_pools_frames_as_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    videos = []
    for length, (start, end) in [(120, (30, 70)), (80, (0, 20)), (200, (150, 200))]:
        labels = np.zeros(length, dtype=int)
        labels[start:end] = 1
        videos.append((labels * 0.3 + rng.random(length), labels))
    scores = np.concatenate([s for s, _ in videos])
    labels = np.concatenate([y for _, y in videos])
    assert frame_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))


def test_frame_auc_by_hand_and_with_one_class() -> None:
    # pairs (positive, negative): 0.35 beats 0.1 only, 0.8 beats both -> 3 of 4
    assert frame_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    with pytest.warns(UserWarning, match="undefined"):
        assert np.isnan(frame_auc([0.1, 0.2], [1, 1]))
    with pytest.raises(ValueError, match="0 or 1"):
        frame_auc([0.1, 0.2], [0, 2])


# -- tIoU, runs, NMS ---------------------------------------------------------------------------------
def test_segment_tiou_by_hand() -> None:
    assert segment_tiou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert segment_tiou((0, 10), (2, 4)) == pytest.approx(2 / 10)
    assert segment_tiou((0, 5), (5, 10)) == 0.0  # half-open: touching segments share no frame
    assert segment_tiou((3, 9), (3, 9)) == 1.0
    with pytest.raises(ValueError, match="empty"):
        segment_tiou((4, 4), (0, 10))


def test_tiou_matrix_holds_every_pair() -> None:
    a = [(0, 10), (5, 15), (20, 30)]
    b = [(0, 5), (8, 25)]
    matrix = tiou_matrix(a, b)
    assert matrix.shape == (3, 2)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            assert matrix[i, j] == pytest.approx(segment_tiou(x, y))
    assert tiou_matrix([], b).shape == (0, 2)


def test_segments_from_scores_edge_cases() -> None:
    scores = [0.9, 0.9, 0.1, 0.5, 0.2, 0.7, 0.8]
    assert segments_from_scores(scores, 0.5) == [(0, 2), (3, 4), (5, 7)]  # runs touch both ends
    assert segments_from_scores(scores, 0.5, min_length=2) == [(0, 2), (5, 7)]
    assert segments_from_scores(scores, 0.95) == []
    assert segments_from_scores([0.6] * 4, 0.5) == [(0, 4)]
    assert segments_from_scores([0.6, np.nan, 0.6], 0.5) == [(0, 1), (2, 3)]
    assert segments_from_scores([], 0.5) == []
    with pytest.raises(ValueError, match="min_length"):
        segments_from_scores(scores, 0.5, min_length=0)


def test_temporal_nms_keeps_the_best_of_each_overlap() -> None:
    segments = [(0, 10), (1, 11), (20, 30), (0, 9)]
    # (0, 9) first; (0, 10) overlaps it 0.9 and (1, 11) 8/11: suppressed; (20, 30) is apart
    assert temporal_nms(segments, [0.9, 0.8, 0.7, 0.95], tiou=0.5) == [3, 2]
    # a tIoU equal to the threshold does not suppress
    assert temporal_nms([(0, 10), (5, 15)], [0.9, 0.8], tiou=1 / 3) == [0, 1]
    assert temporal_nms([(0, 10), (0, 10)], [0.5, 0.5], tiou=0.5) == [0]  # a tie keeps the first
    assert temporal_nms([], [], tiou=0.5) == []


# -- average precision -----------------------------------------------------------------------------
GROUND_TRUTH = [("A", 0, 10), ("A", 20, 30), ("B", 0, 10)]
PREDICTIONS = [
    ("C", 0, 10, 0.6),  # a video without ground truth: false positive
    ("A", 0, 10, 0.8),  # the same GT as the 0.9 one, already matched: false positive
    ("A", 0, 10, 0.9),  # tIoU 1: true positive
    ("B", 0, 4, 0.5),  # tIoU 0.4: a hit only below 0.4
    ("A", 20, 25, 0.7),  # tIoU exactly 0.5: a hit at 0.5
]


def test_average_precision_by_hand() -> None:
    # at 0.5: TP FP TP FP FP -> precision 1, 1/2, 2/3, 1/2, 2/5 at recall 1/3, 1/3, 2/3, 2/3, 2/3;
    # envelope 1 up to recall 1/3, 2/3 up to 2/3, 0 beyond
    assert average_precision(PREDICTIONS, GROUND_TRUTH, 0.5) == pytest.approx(1 / 3 + 1 / 3 * 2 / 3)
    # at 0.3 the last becomes a hit: precision 3/5 at recall 1
    assert average_precision(PREDICTIONS, GROUND_TRUTH, 0.3) == pytest.approx(1 / 3 + 2 / 9 + 1 / 3 * 3 / 5)
    # at 0.6 only the first counts
    assert average_precision(PREDICTIONS, GROUND_TRUTH, 0.6) == pytest.approx(1 / 3)


def test_average_precision_matches_the_best_overlap_and_ranks_ties_stably() -> None:
    truth = [("v", 0, 10), ("v", 5, 20)]
    # (4, 18): tIoU 6/18 with the first, 13/16 with the second -> takes the second; (12, 20) misses
    # the first and finds the second matched: TP FP at recall 1/2 -> AP 1/2
    assert average_precision([("v", 4, 18, 0.9), ("v", 12, 20, 0.8)], truth, 0.1) == pytest.approx(0.5)
    # equal scores keep the given order: FP then TP -> precision 1/2 at recall 1
    tie = [("w", 0, 10, 0.5), ("v", 0, 10, 0.5)]
    assert average_precision(tie, [("v", 0, 10)], 0.5) == pytest.approx(0.5)
    assert average_precision(tie[::-1], [("v", 0, 10)], 0.5) == pytest.approx(1.0)


def test_average_precision_without_ground_truth_or_predictions() -> None:
    assert np.isnan(average_precision([("v", 0, 5, 0.9)], [], 0.5))
    assert average_precision([], [("v", 0, 5)], 0.5) == 0.0


def _reference_ap(predictions: list, ground_truth: list, tiou: float) -> float:
    """ActivityNet's algorithm, spelled out with loops: rank by score, match each prediction to the
    first unmatched GT of its video in descending tIoU, envelope from the right, sum over recall steps."""
    order = sorted(range(len(predictions)), key=lambda i: -predictions[i][3])
    used = [False] * len(ground_truth)
    tp, fp = [], []
    for i in order:
        video, start, end, _ = predictions[i]
        overlaps = []
        for j, (gt_video, gt_start, gt_end) in enumerate(ground_truth):
            if gt_video == video:
                inter = max(0, min(end, gt_end) - max(start, gt_start))
                overlaps.append((inter / ((end - start) + (gt_end - gt_start) - inter), j))
        hit = False
        for overlap, j in sorted(overlaps, key=lambda pair: -pair[0]):
            if overlap < tiou:
                break
            if not used[j]:
                used[j] = hit = True
                break
        tp.append(int(hit))
        fp.append(int(not hit))
    precision, recall, hits, misses = [], [], 0, 0
    for t, f in zip(tp, fp, strict=True):
        hits, misses = hits + t, misses + f
        precision.append(hits / (hits + misses))
        recall.append(hits / len(ground_truth))
    prec = [0.0, *precision, 0.0]
    rec = [0.0, *recall, 1.0]
    for i in range(len(prec) - 2, -1, -1):
        prec[i] = max(prec[i], prec[i + 1])
    return sum((rec[i] - rec[i - 1]) * prec[i] for i in range(1, len(rec)) if rec[i] != rec[i - 1])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("tiou", [0.3, 0.5, 0.7])
def test_average_precision_matches_the_reference(seed: int, tiou: float) -> None:
    rng = np.random.default_rng(seed)
    videos = [f"v{i}" for i in range(5)]
    truth = []
    for video in videos:
        for _ in range(int(rng.integers(1, 3))):
            start = int(rng.integers(0, 200))
            truth.append((video, start, start + int(rng.integers(10, 60))))
    predictions = []
    for _ in range(40):
        video, start, end = truth[int(rng.integers(len(truth)))]
        jitter = rng.integers(-15, 16, 2)
        new_start = max(0, start + int(jitter[0]))
        new_end = max(new_start + 1, end + int(jitter[1]))
        other = videos[int(rng.integers(5))] if rng.random() < 0.2 else video
        predictions.append((other, new_start, new_end, float(rng.random())))
    assert average_precision(predictions, truth, tiou) == pytest.approx(
        _reference_ap(predictions, truth, tiou)
    )


def test_mean_average_precision_averages_classes_with_ground_truth() -> None:
    predictions = {"fight": PREDICTIONS, "swoon": [("A", 0, 10, 0.9)]}
    truth = {"fight": GROUND_TRUTH, "dump": [("D", 0, 10)]}
    mean_ap, per_class = mean_average_precision(predictions, truth, 0.5)
    fight = average_precision(PREDICTIONS, GROUND_TRUTH, 0.5)
    assert per_class["fight"] == pytest.approx(fight)
    assert per_class["dump"] == 0.0  # ground truth, no prediction
    assert np.isnan(per_class["swoon"])  # predictions, no ground truth: not averaged
    assert mean_ap == pytest.approx((fight + 0.0) / 2)
    assert np.isnan(mean_average_precision({"fight": PREDICTIONS}, {}, 0.5)[0])
