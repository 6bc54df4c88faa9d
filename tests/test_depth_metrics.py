"""Depth metrics (aihub_bench.metrics.depth) against a reference written here from the formulas, pixel by
pixel in plain Python (no shared code), on random maps with holes, and on cases known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aihub_bench.metrics.depth import METRIC_NAMES, depth_errors, mean_over_images

MIN_DEPTH, MAX_DEPTH = 0.5, 30.0


def reference(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray, lo: float, hi: float) -> dict[str, float]:
    """Eigen et al. (2014) / KITTI, one pixel at a time: pixels with valid gt in (lo, hi), predictions
    clipped to [lo, hi]."""
    pairs = []
    for p, g, v in zip(pred.ravel().tolist(), gt.ravel().tolist(), valid.ravel().tolist(), strict=True):
        if v and lo < g < hi:
            pairs.append((min(max(p, lo), hi), g))
    n = len(pairs)
    logs = [math.log(p) - math.log(g) for p, g in pairs]
    mean_log = sum(logs) / n
    out = {
        "abs_rel": sum(abs(g - p) / g for p, g in pairs) / n,
        "sq_rel": sum((g - p) ** 2 / g for p, g in pairs) / n,
        "rmse": math.sqrt(sum((g - p) ** 2 for p, g in pairs) / n),
        "rmse_log": math.sqrt(sum(e * e for e in logs) / n),
        "silog": 100 * math.sqrt(max(sum(e * e for e in logs) / n - mean_log**2, 0.0)),
    }
    for i in (1, 2, 3):
        out[f"delta{i}"] = sum(max(g / p, p / g) < 1.25**i for p, g in pairs) / n
    return out


def random_maps(seed: int, shape: tuple[int, int] = (12, 17)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ground truth spanning past both bounds, holes (~30%), predictions off by up to x2 and some beyond
    ``MAX_DEPTH`` (so the clip matters)."""
    rng = np.random.default_rng(seed)
    gt = rng.uniform(0.1, 40.0, shape)
    valid = rng.random(shape) > 0.3
    gt[~valid] = 0.0
    pred = np.abs(gt * rng.uniform(0.5, 2.0, shape)) + 0.2
    pred[rng.random(shape) < 0.1] = 60.0
    return pred, gt, valid


@pytest.mark.parametrize("seed", range(5))
def test_metrics_equal_the_reference_on_random_maps_with_holes(seed: int) -> None:
    pred, gt, valid = random_maps(seed)
    got = depth_errors(pred, gt, valid, MIN_DEPTH, MAX_DEPTH)
    want = reference(pred, gt, valid, MIN_DEPTH, MAX_DEPTH)
    assert got["pixels"] == sum(
        1 for g, v in zip(gt.ravel(), valid.ravel(), strict=True) if v and 0.5 < g < 30
    )
    for name in METRIC_NAMES:
        assert got[name] == pytest.approx(want[name], rel=1e-9, abs=1e-12), name


def test_a_perfect_prediction_has_no_error_and_every_delta_one() -> None:
    _, gt, valid = random_maps(7)
    got = depth_errors(gt, gt, valid, MIN_DEPTH, MAX_DEPTH)
    for name in ("abs_rel", "sq_rel", "rmse", "rmse_log", "silog"):
        assert got[name] == pytest.approx(0.0, abs=1e-12), name
    assert got["delta1"] == got["delta2"] == got["delta3"] == 1.0


def test_a_uniform_thirty_percent_overestimate() -> None:
    """pred = 1.3 gt: every ratio is 1.3 (> 1.25, < 1.25²); the scale-invariant error is 0."""
    gt = np.linspace(1.0, 20.0, 48).reshape(6, 8)
    got = depth_errors(1.3 * gt, gt, np.ones_like(gt, dtype=bool), MIN_DEPTH, MAX_DEPTH)
    assert (got["delta1"], got["delta2"], got["delta3"]) == (0.0, 1.0, 1.0)
    assert got["abs_rel"] == pytest.approx(0.3)
    assert got["sq_rel"] == pytest.approx(0.09 * gt.mean())
    assert got["rmse"] == pytest.approx(0.3 * math.sqrt((gt**2).mean()))
    assert got["rmse_log"] == pytest.approx(math.log(1.3))
    assert got["silog"] == pytest.approx(0.0, abs=1e-5)


def test_predictions_are_clipped_and_out_of_range_ground_truth_ignored() -> None:
    gt = np.array([[10.0, 50.0], [0.2, 20.0]])  # 50 is beyond max_depth, 0.2 below min_depth
    pred = np.array([[100.0, 1.0], [1.0, 20.0]])  # 100 is clipped to 30
    got = depth_errors(pred, gt, np.ones_like(gt, dtype=bool), MIN_DEPTH, MAX_DEPTH)
    assert got["pixels"] == 2
    assert got["abs_rel"] == pytest.approx((20.0 / 10.0 + 0.0) / 2)
    assert got["delta3"] == 0.5


def test_an_image_without_scored_pixels_is_nan_and_left_out_of_the_mean() -> None:
    pred, gt, valid = random_maps(3)
    empty = depth_errors(pred, gt, np.zeros_like(valid), MIN_DEPTH, MAX_DEPTH)
    assert empty["pixels"] == 0 and all(math.isnan(empty[name]) for name in METRIC_NAMES)
    scored = depth_errors(pred, gt, valid, MIN_DEPTH, MAX_DEPTH)
    means = mean_over_images([scored, empty])
    assert means["images"] == 1 and means["abs_rel"] == scored["abs_rel"]


def test_the_mean_is_over_images_not_over_pixels() -> None:
    """A large image with small errors and a tiny one with large errors: each image weighs the same."""
    big_gt = np.full((20, 20), 10.0)
    small_gt = np.full((1, 2), 10.0)
    big = depth_errors(big_gt * 1.1, big_gt, np.ones_like(big_gt, dtype=bool), MIN_DEPTH, MAX_DEPTH)
    small = depth_errors(small_gt * 2.0, small_gt, np.ones_like(small_gt, dtype=bool), MIN_DEPTH, MAX_DEPTH)
    means = mean_over_images([big, small])
    assert means["abs_rel"] == pytest.approx((0.1 + 1.0) / 2)
    pooled = (400 * 0.1 + 2 * 1.0) / 402
    assert abs(means["abs_rel"] - pooled) > 0.4


def test_maps_of_different_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        depth_errors(np.ones((4, 5)), np.ones((4, 4)), np.ones((4, 4), dtype=bool))
