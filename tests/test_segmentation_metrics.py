"""metrics/segmentation.py against scikit-learn and torchmetrics, and on cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, balanced_accuracy_score, jaccard_score
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from torchmetrics.classification import MulticlassJaccardIndex

from aihub_bench.metrics.segmentation import (
    IGNORE_INDEX,
    confusion_matrix,
    per_class_iou,
    segmentation_scores,
)

CLASSES = ["background", "sidewalk", "roadway", "alley", "bike_lane"]
K = len(CLASSES)


def _random_masks(seed: int, absent: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A ground truth with ~10% ignored pixels and a prediction right ~60% of the time; ``absent`` is a
    class in neither."""
    rng = np.random.default_rng(seed)
    classes = [c for c in range(K) if c != absent]
    gt = rng.choice(classes, size=(37, 53)).astype(np.uint8)
    pred = np.where(rng.random(gt.shape) < 0.6, gt, rng.choice(classes, size=gt.shape)).astype(np.uint8)
    gt[rng.random(gt.shape) < 0.1] = IGNORE_INDEX
    return gt, pred


def _labelled(gt: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = gt != IGNORE_INDEX
    return gt[keep].astype(np.int64), pred[keep].astype(np.int64)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_confusion_matrix_equals_sklearn_on_the_labelled_pixels(seed: int) -> None:
    gt, pred = _random_masks(seed)
    t, p = _labelled(gt, pred)
    expected = sk_confusion_matrix(t, p, labels=list(range(K)))
    assert np.array_equal(confusion_matrix(gt, pred, K), expected)


@pytest.mark.parametrize(("seed", "absent"), [(0, None), (1, 3), (2, 0)])
def test_iou_and_accuracies_equal_sklearn(seed: int, absent: int | None) -> None:
    gt, pred = _random_masks(seed, absent)
    t, p = _labelled(gt, pred)
    scores = segmentation_scores(confusion_matrix(gt, pred, K), CLASSES)
    present = sorted(set(t.tolist()) | set(p.tolist()))
    per_class = jaccard_score(t, p, labels=present, average=None)
    assert [scores[f"IoU/{CLASSES[c]}"] for c in present] == pytest.approx(per_class)
    assert scores["mIoU"] == pytest.approx(jaccard_score(t, p, labels=present, average="macro"))
    assert scores["pixel_acc"] == pytest.approx(accuracy_score(t, p))
    assert scores["mean_acc"] == pytest.approx(balanced_accuracy_score(t, p))
    if absent is not None:
        assert f"IoU/{CLASSES[absent]}" not in scores


@pytest.mark.parametrize(("seed", "absent"), [(3, None), (4, 2)])
def test_miou_and_per_class_iou_equal_torchmetrics(seed: int, absent: int | None) -> None:
    """torchmetrics, too, leaves a class with an empty union out of the macro mean."""
    gt, pred = _random_masks(seed, absent)
    matrix = confusion_matrix(gt, pred, K)
    target, preds = torch.from_numpy(gt.astype(np.int64)), torch.from_numpy(pred.astype(np.int64))
    macro = MulticlassJaccardIndex(num_classes=K, ignore_index=IGNORE_INDEX, average="macro")
    assert segmentation_scores(matrix, CLASSES)["mIoU"] == pytest.approx(float(macro(preds, target)))
    none = MulticlassJaccardIndex(num_classes=K, ignore_index=IGNORE_INDEX, average="none")
    expected = none(preds, target).numpy()
    ours = per_class_iou(matrix)
    scored = ~np.isnan(ours)
    assert ours[scored] == pytest.approx(expected[scored])
    assert scored.sum() == K - (absent is not None)


def test_a_hand_made_case() -> None:
    """3 classes; class 2 never occurs; the ignored pixel's prediction does not count.

    gt   0 0 1 1 255      pred 0 1 1 1 2
    TP: class 0 = 1, class 1 = 2; union: class 0 = 2 (one missed), class 1 = 3 (one false positive).
    """
    gt = np.array([[0, 0, 1, 1, IGNORE_INDEX]], dtype=np.uint8)
    pred = np.array([[0, 1, 1, 1, 2]], dtype=np.uint8)
    matrix = confusion_matrix(gt, pred, 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]
    scores = segmentation_scores(matrix, ["a", "b", "c"])
    assert scores == pytest.approx(
        {
            "IoU/a": 1 / 2,
            "IoU/b": 2 / 3,
            "mIoU": (1 / 2 + 2 / 3) / 2,
            "pixel_acc": 3 / 4,
            "mean_acc": (1 / 2 + 2 / 2) / 2,
            "fwIoU": 2 / 4 * 1 / 2 + 2 / 4 * 2 / 3,
        }
    )


def test_a_class_only_predicted_has_iou_zero_and_no_weight_in_fwiou() -> None:
    gt = np.zeros((2, 2), dtype=np.uint8)
    pred = np.array([[0, 0], [0, 1]], dtype=np.uint8)
    scores = segmentation_scores(confusion_matrix(gt, pred, 2), ["a", "b"])
    assert scores["IoU/b"] == 0.0 and scores["IoU/a"] == pytest.approx(3 / 4)
    assert scores["mIoU"] == pytest.approx(3 / 8)
    assert scores["fwIoU"] == pytest.approx(3 / 4)
    assert scores["mean_acc"] == pytest.approx(3 / 4)  # recall of the one class in the labels


def test_summing_per_image_matrices_is_scoring_all_pixels_at_once() -> None:
    """Accumulated, not averaged per image: the sum equals the matrix of the concatenated pixels."""
    pairs = [_random_masks(seed) for seed in range(4)]
    summed = sum(confusion_matrix(gt, pred, K) for gt, pred in pairs)
    whole = confusion_matrix(np.concatenate([g for g, _ in pairs]), np.concatenate([p for _, p in pairs]), K)
    assert np.array_equal(summed, whole)
    per_image = np.mean([segmentation_scores(confusion_matrix(g, p, K), CLASSES)["mIoU"] for g, p in pairs])
    assert segmentation_scores(summed, CLASSES)["mIoU"] != pytest.approx(per_image, abs=1e-9)


def test_only_ignored_pixels_give_no_scores() -> None:
    gt = np.full((3, 3), IGNORE_INDEX, dtype=np.uint8)
    matrix = confusion_matrix(gt, np.zeros_like(gt), 2)
    assert matrix.sum() == 0 and segmentation_scores(matrix, ["a", "b"]) == {}


def test_indices_outside_the_class_set_and_shape_mismatches_are_refused() -> None:
    gt = np.array([[0, 3]], dtype=np.uint8)
    with pytest.raises(ValueError, match=r"target holds class indices outside \[0, 3\): \[0, 3\]"):
        confusion_matrix(gt, np.zeros_like(gt), 3)
    with pytest.raises(ValueError, match="prediction holds class indices"):
        confusion_matrix(np.zeros_like(gt), gt, 3)
    with pytest.raises(ValueError, match="differ in shape"):
        confusion_matrix(gt, np.zeros((2, 2), dtype=np.uint8), 3)
    with pytest.raises(ValueError, match="for 2 classes"):
        segmentation_scores(np.ones((3, 3)), ["a", "b"])
