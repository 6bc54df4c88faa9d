"""The standard monocular-depth error metrics (Eigen et al. 2014; the KITTI depth benchmark).

On one image: the pixels scored are those with valid ground truth and ``min_depth < gt < max_depth``;
predictions are clipped to ``[min_depth, max_depth]`` first. Over a test set the metrics are computed
per image and then averaged over images (the Eigen / KITTI convention, as in BTS and AdaBins), not
pooled over all pixels. No maintained library computes them, so they are written here from the
formulas (and checked against an independent NumPy reference in ``tests/test_depth_metrics.py``).
"""

from __future__ import annotations

import math

import numpy as np

# delta_i is the share of pixels with max(gt / pred, pred / gt) < 1.25 ** i
DELTA_BASE = 1.25
METRIC_NAMES = ("abs_rel", "sq_rel", "rmse", "rmse_log", "silog", "delta1", "delta2", "delta3")


def scored_pixels(gt: np.ndarray, valid: np.ndarray, min_depth: float, max_depth: float) -> np.ndarray:
    """The boolean mask of pixels a metric scores: valid ground truth inside ``(min_depth, max_depth)``."""
    return np.asarray(valid, dtype=bool) & (gt > min_depth) & (gt < max_depth)


def depth_errors(
    pred: np.ndarray, gt: np.ndarray, valid: np.ndarray, min_depth: float = 1e-3, max_depth: float = 80.0
) -> dict[str, float]:
    """Metrics of one depth map (metres, ``pred`` and ``gt`` of one shape) on its scored pixels.

    ``abs_rel`` = mean |gt - pred| / gt, ``sq_rel`` = mean (gt - pred)² / gt, ``rmse`` = √mean (gt - pred)²,
    ``rmse_log`` = √mean (ln gt - ln pred)², ``silog`` = 100 · √(mean e² - (mean e)²) with
    e = ln pred - ln gt (the KITTI benchmark's scale-invariant log error), ``delta{i}`` = share of
    pixels with max(gt/pred, pred/gt) < 1.25^i. ``pixels`` counts the scored pixels; with none, every
    metric is NaN (the image has nothing to score).
    """
    pred, gt = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    if pred.shape != gt.shape or np.shape(valid) != gt.shape:
        raise ValueError(
            f"prediction {pred.shape}, ground truth {gt.shape} and valid mask {np.shape(valid)} differ in shape"
        )
    if not 0 <= min_depth < max_depth:
        raise ValueError(f"need 0 <= min_depth < max_depth, got {min_depth} and {max_depth}")
    mask = scored_pixels(gt, valid, min_depth, max_depth)
    if not mask.any():
        return {**dict.fromkeys(METRIC_NAMES, math.nan), "pixels": 0.0}
    g = gt[mask]
    p = np.clip(pred[mask], max(min_depth, np.finfo(np.float64).tiny), max_depth)
    diff = g - p
    log_diff = np.log(p) - np.log(g)
    ratio = np.maximum(g / p, p / g)
    out = {
        "abs_rel": float(np.mean(np.abs(diff) / g)),
        "sq_rel": float(np.mean(diff**2 / g)),
        "rmse": float(np.sqrt(np.mean(diff**2))),
        "rmse_log": float(np.sqrt(np.mean(log_diff**2))),
        # the variance of the log error; max(0, ...) absorbs rounding when it is ~0
        "silog": float(100.0 * np.sqrt(max(np.mean(log_diff**2) - np.mean(log_diff) ** 2, 0.0))),
    }
    for i in (1, 2, 3):
        out[f"delta{i}"] = float(np.mean(ratio < DELTA_BASE**i))
    out["pixels"] = float(mask.sum())
    return out


def mean_over_images(rows: list[dict[str, float]]) -> dict[str, float]:
    """Each metric's mean over the images that had scored pixels, and ``images``, their number."""
    scored = [r for r in rows if r.get("pixels", 0) > 0]
    out = {name: float(np.mean([r[name] for r in scored])) for name in METRIC_NAMES} if scored else {}
    out["images"] = float(len(scored))
    return out
