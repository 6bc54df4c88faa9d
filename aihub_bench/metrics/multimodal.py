"""Classification scores of one target: accuracy, macro-F1 and per-class precision / recall / F1.

All from one confusion matrix (:func:`aihub_bench.metrics.video.classification_summary`), so every
number agrees with the others; the test cross-checks them against scikit-learn. Unlike scikit-learn,
a class with neither a true nor a predicted sample scores NaN (undefined) rather than 0, and the
macro-F1 averages over the classes present in the labels only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from aihub_bench.metrics.video import classification_summary


def _ratio(numerator: np.ndarray, denominator: np.ndarray, undefined: np.ndarray) -> np.ndarray:
    """``numerator / denominator``; 0 where the denominator is 0, NaN where ``undefined``."""
    out = np.divide(numerator, denominator, out=np.zeros(len(numerator)), where=denominator > 0)
    out[undefined] = np.nan
    return out


def class_scores(labels: ArrayLike, predictions: ArrayLike, num_classes: int) -> dict[str, Any]:
    """Scores of integer ``predictions`` against ``labels`` (both class indices in ``[0, num_classes)``).

    ``accuracy``; ``macro_f1`` (mean F1 over the classes present in ``labels``); ``(K,)`` arrays
    ``precision``, ``recall``, ``f1`` (0 where a class is only true or only predicted, NaN where it is
    neither) and ``support`` (true samples per class); ``confusion`` ``(K, K)`` (rows true, columns
    predicted).
    """
    summary = classification_summary(labels, predictions, num_classes)
    confusion: np.ndarray = summary["confusion"]
    hits = np.diag(confusion).astype(np.float64)
    support, predicted = confusion.sum(axis=1), confusion.sum(axis=0)
    absent = (support == 0) & (predicted == 0)
    precision = _ratio(hits, predicted, absent)
    recall = _ratio(hits, support, absent)
    f1 = _ratio(2 * precision * recall, precision + recall, absent)
    return {
        "accuracy": summary["top1"],
        "macro_f1": float(f1[support > 0].mean()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
        "confusion": confusion,
    }
