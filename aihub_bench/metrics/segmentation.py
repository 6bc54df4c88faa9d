"""Semantic-segmentation metrics from one confusion matrix accumulated over a whole split.

The matrix is summed over images (and DDP ranks) first and every score is computed from the sum, as
mmsegmentation's ``IoUMetric`` does: the numbers do not depend on how pixels were batched. Rows are
ground truth, columns prediction; ground-truth pixels of the ignore index are left out.

- ``IoU/<class>`` = TP / (TP + FP + FN), for classes with a non-zero union (a class that is neither in
  the ground truth nor predicted has no IoU and is left out, not counted as 0 or 1);
- ``mIoU`` = the mean of those IoUs;
- ``pixel_acc`` = correct pixels / labelled pixels;
- ``mean_acc`` = the mean per-class recall over classes present in the ground truth;
- ``fwIoU`` = the IoUs weighted by each class's share of the labelled pixels (Long et al., FCN).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aihub_bench.formats.masks import IGNORE_INDEX


def confusion_matrix(
    target: np.ndarray, pred: np.ndarray, num_classes: int, ignore_index: int = IGNORE_INDEX
) -> np.ndarray:
    """The ``(K, K)`` int64 matrix of pixel counts: row = ground-truth class, column = predicted class.

    ``target`` pixels equal to ``ignore_index`` are not counted; any other value outside ``[0, K)`` in
    either mask is a ``ValueError`` (a class set that does not match the data).
    """
    target = np.asarray(target)
    pred = np.asarray(pred)
    if target.shape != pred.shape:
        raise ValueError(f"target {target.shape} and prediction {pred.shape} differ in shape")
    t = target.reshape(-1).astype(np.int64)
    p = pred.reshape(-1).astype(np.int64)
    keep = t != ignore_index
    t, p = t[keep], p[keep]
    for name, values in (("target", t), ("prediction", p)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(
                f"{name} holds class indices outside [0, {num_classes}): {sorted(set(values.tolist()))[:10]}"
            )
    counts = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def per_class_iou(matrix: np.ndarray) -> np.ndarray:
    """IoU of each class (NaN where the union is empty)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    tp = np.diag(matrix)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def segmentation_scores(matrix: np.ndarray, class_names: Sequence[str]) -> dict[str, float]:
    """``mIoU``, ``pixel_acc``, ``mean_acc``, ``fwIoU`` and ``IoU/<class>`` of an accumulated matrix.

    Empty when no pixel was labelled. Classes with an empty union have no ``IoU/<class>`` key.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.shape != (len(class_names), len(class_names)):
        raise ValueError(f"a {matrix.shape} matrix for {len(class_names)} classes")
    total = matrix.sum()
    if total == 0:
        return {}
    tp = np.diag(matrix)
    gt = matrix.sum(axis=1)
    iou = per_class_iou(matrix)
    scored = ~np.isnan(iou)
    present = gt > 0
    out = {
        "mIoU": float(iou[scored].mean()),
        "pixel_acc": float(tp.sum() / total),
        "mean_acc": float((tp[present] / gt[present]).mean()),
        "fwIoU": float((gt[scored] / total * iou[scored]).sum()),
    }
    for name, value in zip(class_names, iou, strict=True):
        if not np.isnan(value):
            out[f"IoU/{name}"] = float(value)
    return out
