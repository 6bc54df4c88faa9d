"""Video metrics: clip classification (top-k, mean class accuracy, confusion) and temporal localisation
(frame-level ROC AUC, segment tIoU, score thresholding, temporal NMS, ActivityNet-style AP / mAP).

Segments are half-open ``(start, end)`` frame intervals: frames ``start … end - 1``. The frame ROC AUC
wraps scikit-learn; the rest is NumPy written here, as no maintained library computes temporal
detection AP without pulling in a whole framework (mmaction2, the ActivityNet toolkit). The AP follows
ActivityNet's ``compute_average_precision_detection`` and ``interpolated_prec_rec``.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import roc_auc_score

Segment = tuple[int, int]
# one predicted segment: (video, start, end, score); one ground-truth segment: (video, start, end)
Prediction = tuple[Hashable, int, int, float]
GroundTruth = tuple[Hashable, int, int]
C = TypeVar("C", bound=Hashable)  # a class (name or index)


# -- classification ------------------------------------------------------------------------------
def _class_indices(values: ArrayLike, num_classes: int, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {array.shape}")
    if array.dtype.kind not in "iu":
        raise ValueError(f"{what} must be integer class indices, got dtype {array.dtype}")
    if len(array) and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(f"{what} must lie in [0, {num_classes}); found {array.min()} … {array.max()}")
    return array.astype(np.int64)


def classification_summary(labels: ArrayLike, predictions: ArrayLike, num_classes: int) -> dict[str, Any]:
    """``top1`` (accuracy), ``mean_class_accuracy`` (the mean per-class recall over the classes present
    in ``labels``: balanced accuracy), ``recall`` (``(K,)``, NaN for a class absent from ``labels``) and
    ``confusion`` (``(K, K)`` counts, rows the true class, columns the predicted one)."""
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, got {num_classes}")
    y = _class_indices(labels, num_classes, "labels")
    p = _class_indices(predictions, num_classes, "predictions")
    if len(y) != len(p):
        raise ValueError(f"labels and predictions differ in length: {len(y)} vs {len(p)}")
    if not len(y):
        raise ValueError("labels and predictions are empty")
    confusion = np.bincount(y * num_classes + p, minlength=num_classes**2).reshape(num_classes, num_classes)
    support = confusion.sum(axis=1)
    present = support > 0
    recall = np.full(num_classes, np.nan)
    recall[present] = np.diag(confusion)[present] / support[present]
    return {
        "top1": float(np.trace(confusion) / len(y)),
        "mean_class_accuracy": float(recall[present].mean()),
        "recall": recall,
        "confusion": confusion,
    }


def topk_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """``(N, min(k, K))`` class indices, best first; ties go to the lower class index (as ``argmax``)."""
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def topk_accuracy(labels: ArrayLike, scores: ArrayLike, k: int) -> float:
    """Fraction of rows whose label is among the ``k`` highest of its ``(N, K)`` scores (``k`` is
    capped at K; ties are broken towards the lower class index, so ``k=1`` is argmax accuracy)."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError(f"scores must be (N, K), got shape {s.shape}")
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    y = _class_indices(labels, s.shape[1], "labels")
    if len(y) != len(s):
        raise ValueError(f"{len(y)} labels for {len(s)} score rows")
    if not len(y):
        raise ValueError("labels and scores are empty")
    return float((topk_indices(s, k) == y[:, None]).any(axis=1).mean())


# -- frame level -----------------------------------------------------------------------------------
def frame_auc(scores: ArrayLike, labels: ArrayLike) -> float:
    """ROC AUC of per-frame abnormality ``scores`` against per-frame ``labels`` (1 inside an event).

    The anomaly-detection convention pools every frame of every test video into one curve. With one
    class only the AUC is undefined: NaN, with a ``UserWarning`` (scikit-learn would raise).
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels).ravel()
    if len(s) != len(y):
        raise ValueError(f"scores and labels differ in length: {len(s)} vs {len(y)}")
    if not len(y):
        raise ValueError("scores and labels are empty")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"labels must be 0 or 1; found {np.unique(y)[:5]}")
    if y.min() == y.max():
        warnings.warn(
            f"frame AUC undefined: all {len(y)} frames have label {int(y[0])}", UserWarning, stacklevel=2
        )
        return float("nan")
    return float(roc_auc_score(y.astype(np.int64), s))


# -- segments ------------------------------------------------------------------------------------
def _segments(segments: ArrayLike | Sequence[Segment], what: str) -> np.ndarray:
    array = np.asarray(segments, dtype=np.float64)
    if array.size == 0:
        return np.zeros((0, 2))
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{what} must be (start, end) pairs, got shape {array.shape}")
    if (array[:, 1] <= array[:, 0]).any():
        bad = array[array[:, 1] <= array[:, 0]][0]
        raise ValueError(f"{what}: segment ({bad[0]:g}, {bad[1]:g}) is empty (end must exceed start)")
    return array


def tiou_matrix(
    segments_a: ArrayLike | Sequence[Segment], segments_b: ArrayLike | Sequence[Segment]
) -> np.ndarray:
    """``(len(a), len(b))`` temporal IoU of every pair of half-open segments."""
    a = _segments(segments_a, "segments_a")
    b = _segments(segments_b, "segments_b")
    inter = np.clip(
        np.minimum(a[:, None, 1], b[None, :, 1]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None
    )
    union = (a[:, 1] - a[:, 0])[:, None] + (b[:, 1] - b[:, 0])[None, :] - inter
    return inter / union


def segment_tiou(a: Segment, b: Segment) -> float:
    """Temporal IoU of two half-open segments: shared frames / frames in either."""
    return float(tiou_matrix([a], [b])[0, 0])


def segments_from_scores(scores: ArrayLike, threshold: float, min_length: int = 1) -> list[Segment]:
    """Half-open runs of consecutive frames with ``scores >= threshold`` (NaN counts as below), in
    order; runs shorter than ``min_length`` frames are dropped."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"scores must be 1-D, got shape {s.shape}")
    if min_length < 1:
        raise ValueError(f"min_length must be at least 1, got {min_length}")
    above = np.concatenate(([0], (s >= threshold).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(above))
    return [(int(start), int(end)) for start, end in edges.reshape(-1, 2) if end - start >= min_length]


def temporal_nms(segments: ArrayLike | Sequence[Segment], scores: ArrayLike, tiou: float) -> list[int]:
    """Greedy non-maximum suppression: indices of the kept segments, best score first (ties: the
    earlier index). A segment is suppressed when its tIoU with a kept one exceeds ``tiou``."""
    segs = _segments(segments, "segments")
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != (len(segs),):
        raise ValueError(f"{len(segs)} segments but scores of shape {s.shape}")
    overlaps = tiou_matrix(segs, segs)
    alive = np.ones(len(segs), dtype=bool)
    kept: list[int] = []
    for i in np.argsort(-s, kind="stable"):
        if alive[i]:
            kept.append(int(i))
            alive &= overlaps[i] <= tiou
    return kept


# -- average precision -----------------------------------------------------------------------------
def interpolated_average_precision(precision: np.ndarray, recall: np.ndarray) -> float:
    """Area under the precision envelope (precision made non-increasing from the right) summed over
    the steps of ``recall`` (ActivityNet's ``interpolated_prec_rec``)."""
    mprec = np.concatenate(([0.0], precision, [0.0]))
    mrec = np.concatenate(([0.0], recall, [1.0]))
    envelope = np.maximum.accumulate(mprec[::-1])[::-1]
    steps = np.flatnonzero(mrec[1:] != mrec[:-1]) + 1
    return float(np.sum((mrec[steps] - mrec[steps - 1]) * envelope[steps]))


def average_precision(
    predictions: Sequence[Prediction], ground_truth: Sequence[GroundTruth], tiou: float
) -> float:
    """ActivityNet-style detection AP of one class.

    Predictions ``(video, start, end, score)`` are taken by descending score (stable); each is a true
    positive when an unmatched ground-truth segment ``(video, start, end)`` of the same video has tIoU
    ``>= tiou`` with it (the one with the highest tIoU is matched, once), else a false positive. NaN
    without ground truth; 0 with ground truth but no prediction.
    """
    if not ground_truth:
        return float("nan")
    if not predictions:
        return 0.0
    by_video: dict[Hashable, list[int]] = defaultdict(list)
    for index, (video, _, _) in enumerate(ground_truth):
        by_video[video].append(index)
    gt_segments = _segments([(start, end) for _, start, end in ground_truth], "ground truth")
    matched = np.zeros(len(ground_truth), dtype=bool)
    scores = np.array([score for *_, score in predictions], dtype=np.float64)
    hits = np.zeros(len(predictions), dtype=bool)
    for rank, index in enumerate(np.argsort(-scores, kind="stable")):
        video, start, end, _ = predictions[index]
        candidates = np.array(by_video.get(video, []), dtype=np.int64)
        if not len(candidates):
            continue
        overlaps = tiou_matrix([(start, end)], gt_segments[candidates])[0]
        overlaps[matched[candidates] | (overlaps < tiou)] = -1.0
        best = int(np.argmax(overlaps))
        if overlaps[best] >= 0:
            matched[candidates[best]] = True
            hits[rank] = True
    true_positives = np.cumsum(hits)
    precision = true_positives / np.arange(1, len(hits) + 1)
    recall = true_positives / len(ground_truth)
    return interpolated_average_precision(precision, recall)


def mean_average_precision(
    predictions: Mapping[C, Sequence[Prediction]],
    ground_truth: Mapping[C, Sequence[GroundTruth]],
    tiou: float,
) -> tuple[float, dict[C, float]]:
    """``(mAP, {class: AP})``: AP per class of either mapping (NaN for a class without ground truth),
    mAP the mean over the classes with ground truth (one without predictions scores 0); NaN when no
    class has ground truth."""
    classes = [*ground_truth, *(c for c in predictions if c not in ground_truth)]
    per_class = {c: average_precision(predictions.get(c, ()), ground_truth.get(c, ()), tiou) for c in classes}
    scored = [ap for ap in per_class.values() if not np.isnan(ap)]
    return (float(np.mean(scored)) if scored else float("nan")), per_class
