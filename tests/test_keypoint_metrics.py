"""PCK / PCKh and OKS AP (aihub_bench.metrics.keypoints), cross-checked against pycocotools."""

from __future__ import annotations

import contextlib
import copy
import io
import math

import numpy as np
import pytest
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval

from aihub_bench.metrics.keypoints import bbox_norm, head_norm, keypoints_to_coco, oks_ap, pck

J = 4
SIGMAS = np.array([0.05, 0.08, 0.1, 0.062])


def _gt(xy: np.ndarray, flags: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(xy, float), np.asarray(flags, float)[..., None]], axis=-1)


# ---------------------------------------------------------------- PCK


def test_bbox_norm_is_longer_side():
    np.testing.assert_allclose(bbox_norm(np.array([[10, 20, 50, 120], [0, 0, 30, 10]])), [100, 30])


def test_pck_threshold_inclusive_and_just_outside():
    gt = _gt(np.zeros((1, J, 2)), [[2, 2, 2, 2]])
    # alpha * norm = 0.2 * 100 = 20: just inside, exactly on (3-4-5 triangle), just outside, far
    pred = np.array([[[19.99, 0.0], [12.0, 16.0], [20.01, 0.0], [0.0, 50.0]]])
    out = pck(pred, gt, norm=np.array([100.0]), alpha=0.2)
    np.testing.assert_array_equal(out["per_joint"], [1.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(out["correct"], [1, 1, 0, 0])
    np.testing.assert_array_equal(out["labelled"], [1, 1, 1, 1])
    assert out["mean"] == pytest.approx(0.5)
    assert out["num_instances"] == 1 and out["num_skipped"] == 0


def test_pck_ignores_flag_zero_and_visible_only():
    gt = _gt(np.zeros((2, J, 2)), [[2, 1, 0, 2], [1, 1, 2, 2]])
    pred = np.zeros((2, J, 2))
    pred[0, 2] = 1000.0  # flag 0: far off but must not count
    pred[:, 1] = 1000.0  # occluded joint wrong in both instances
    out = pck(pred, gt, norm=np.array([100.0, 100.0]))
    np.testing.assert_array_equal(out["labelled"], [2, 2, 1, 2])
    np.testing.assert_array_equal(out["per_joint"], [1.0, 0.0, 1.0, 1.0])

    vis = pck(pred, gt, norm=np.array([100.0, 100.0]), visible_only=True)
    np.testing.assert_array_equal(vis["labelled"], [1, 0, 1, 2])
    assert math.isnan(vis["per_joint"][1])  # only ever occluded -> undefined under visible_only
    assert vis["mean"] == 1.0


def test_pck_never_labelled_joint_is_nan_and_left_out_of_mean():
    gt = _gt(np.zeros((3, J, 2)), [[2, 2, 0, 2], [2, 0, 0, 2], [2, 0, 0, 0]])
    pred = np.zeros((3, J, 2))
    pred[0, 0] = 1000.0  # joint 0: 2 of 3 correct
    out = pck(pred, gt, norm=np.full(3, 100.0))
    assert math.isnan(out["per_joint"][2])
    np.testing.assert_allclose(out["per_joint"][[0, 1, 3]], [2 / 3, 1.0, 1.0])
    # mean: per-joint PCK averaged over labelled joints; pooled: correct / labelled
    assert out["mean"] == pytest.approx((2 / 3 + 1 + 1) / 3)
    assert out["pooled"] == pytest.approx(5 / 6)
    assert pck(pred, gt, np.full(3, 100.0), mean_joints=[1, 3])["mean"] == 1.0


def test_pck_nothing_labelled_is_nan():
    out = pck(np.zeros((1, J, 2)), _gt(np.zeros((1, J, 2)), [[0] * J]), norm=np.array([10.0]))
    assert math.isnan(out["mean"]) and math.isnan(out["pooled"])
    assert np.isnan(out["per_joint"]).all()


def test_pckh_skips_instances_without_head():
    head = (2, 3)
    xy = np.zeros((3, J, 2))
    xy[:, 3] = [0.0, 10.0]  # head segment length 10 -> threshold 0.5 * 10 = 5
    gt = _gt(xy, [[2, 2, 2, 2], [2, 2, 0, 2], [2, 2, 2, 1]])
    norm = head_norm(gt, head)
    assert norm[0] == pytest.approx(10.0) and math.isnan(norm[1]) and norm[2] == pytest.approx(10.0)

    pred = xy.copy()
    pred[:, 0] = [4.9, 0.0]  # inside 5
    pred[:, 1] = [5.1, 0.0]  # outside 5 -- in the skipped instance too
    out = pck(pred, gt, norm, alpha=0.5)
    assert out["num_instances"] == 2 and out["num_skipped"] == 1
    np.testing.assert_array_equal(out["labelled"], [2, 2, 2, 2])
    np.testing.assert_array_equal(out["per_joint"], [1.0, 0.0, 1.0, 1.0])


def test_pck_rejects_bad_shapes_and_nan_predictions():
    gt = _gt(np.zeros((1, J, 2)), [[2] * J])
    with pytest.raises(ValueError, match="shape"):
        pck(np.zeros((1, J + 1, 2)), gt, np.ones(1))
    with pytest.raises(ValueError, match="norm"):
        pck(np.zeros((1, J, 2)), gt, np.ones(2))
    with pytest.raises(ValueError, match="NaN"):
        pck(np.full((1, J, 2), np.nan), gt, np.ones(1))


# ---------------------------------------------------------------- OKS AP


def _one_instance(pred_xy: np.ndarray, flags=(2, 2, 2, 2)) -> dict:
    gt = _gt([[[10, 10], [20, 30], [40, 50], [60, 80]]], [flags])
    boxes = np.array([[0.0, 0.0, 100.0, 100.0]])
    return oks_ap(gt, pred_xy[None], boxes, SIGMAS)


def test_oks_ap_perfect_and_far_off():
    xy = np.array([[10, 10], [20, 30], [40, 50], [60, 80]], float)
    perfect = _one_instance(xy)
    assert perfect == {
        "OKS_AP": 1.0,
        "OKS_AP50": 1.0,
        "OKS_AP75": 1.0,
        "OKS_AR": 1.0,
        "num_instances": 1,
        "num_dropped": 0,
    }
    far = _one_instance(xy + 200.0)
    assert far["OKS_AP"] == 0.0 and far["OKS_AP50"] == 0.0 and far["OKS_AR"] == 0.0


def test_oks_hand_computed_and_flag_zero_does_not_matter():
    # One labelled joint (index 2, sigma .1); area 100 * 100. OKS = exp(-d^2 / (2 * area * (2 sigma)^2)).
    area, sigma, target_oks = 100.0 * 100.0, SIGMAS[2], 0.72
    d = math.sqrt(-math.log(target_oks) * 2 * area * (2 * sigma) ** 2)
    xy = np.array([[10, 10], [20, 30], [40, 50], [60, 80]], float)
    flags = (0, 0, 2, 0)
    shifted = xy.copy()
    shifted[2, 0] += d
    out = _one_instance(shifted, flags)
    # OKS .72 passes thresholds .50 ... .70 (5 of 10): AP 0.5, AP50 1, AP75 0
    assert out["OKS_AP"] == pytest.approx(0.5) and out["OKS_AP50"] == 1.0 and out["OKS_AP75"] == 0.0

    # moving the flag-0 joints anywhere (GT coordinates NaN too) changes nothing
    shifted[[0, 1, 3]] += 500.0
    gt = _gt([xy], [flags])
    gt[0, [0, 1, 3], :2] = np.nan
    again = oks_ap(gt, shifted[None], np.array([[0.0, 0.0, 100.0, 100.0]]), SIGMAS)
    assert again == out


def test_oks_ap_drops_unlabelled_instances_and_raises_when_empty():
    xy = np.array([[[10, 10], [20, 30], [40, 50], [60, 80]]], float).repeat(2, axis=0)
    gt = _gt(xy, [[2, 2, 2, 2], [0, 0, 0, 0]])
    out = oks_ap(gt, xy + [[[0.0]], [[300.0]]], np.tile([0.0, 0, 100, 100], (2, 1)), SIGMAS)
    assert out["OKS_AP"] == 1.0 and out["num_instances"] == 1 and out["num_dropped"] == 1

    with pytest.raises(ValueError, match="labelled joint"):
        oks_ap(_gt(xy, np.zeros((2, J))), xy, np.tile([0.0, 0, 100, 100], (2, 1)), SIGMAS)
    with pytest.raises(ValueError, match="sigmas"):
        oks_ap(gt, xy, np.tile([0.0, 0, 100, 100], (2, 1)), SIGMAS[:3])
    with pytest.raises(ValueError, match="area"):
        oks_ap(gt, xy, np.tile([0.0, 0, 0, 100], (2, 1)), SIGMAS)


def test_oks_ap_default_score_is_mean_joint_score():
    _, results = keypoints_to_coco(
        _gt(np.zeros((1, J, 2)), [[2] * J]),
        np.concatenate([np.zeros((1, J, 2)), [[[0.2], [0.4], [0.6], [0.8]]]], axis=-1),
        np.array([[0.0, 0.0, 10.0, 10.0]]),
    )
    assert results[0]["score"] == pytest.approx(0.5)
    assert results[0]["keypoints"][2::3] == [1.0] * J and "bbox" not in results[0]


def _random_case(seed: int, n: int = 48, j: int = 16):
    rng = np.random.default_rng(seed)
    centre = rng.uniform(100, 900, (n, 1, 2))
    size = rng.uniform(30, 300, (n, 1, 2))
    xy = centre + rng.uniform(-0.5, 0.5, (n, j, 2)) * size
    flags = rng.choice([0, 1, 2], size=(n, j), p=[0.2, 0.3, 0.5])
    flags[:3] = 0  # a few people with no labelled joint
    gt = _gt(xy, flags)
    boxes = np.concatenate([xy.min(axis=1), xy.max(axis=1)], axis=1)
    noise = rng.choice([0.5, 3.0, 10.0, 30.0, 100.0], size=(n, 1, 1))
    pred = np.concatenate([xy + rng.normal(size=(n, j, 2)) * noise, rng.uniform(size=(n, j, 1))], -1)
    sigmas = rng.uniform(0.025, 0.11, j)
    image_ids = rng.integers(0, n // 3, n)  # several people per image: real matching
    return gt, pred, boxes, sigmas, image_ids


def _pycocotools_stats(coco_gt: dict, results: list[dict], sigmas: np.ndarray) -> np.ndarray:
    with contextlib.redirect_stdout(io.StringIO()):
        gt_api = PyCOCO()
        gt_api.dataset = copy.deepcopy(coco_gt)
        gt_api.createIndex()
        evaluator = PyCOCOeval(gt_api, gt_api.loadRes(copy.deepcopy(results)), "keypoints")
        evaluator.params.kpt_oks_sigmas = np.asarray(sigmas)  # an ndarray: COCOeval does (sigmas * 2) ** 2
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return np.asarray(evaluator.stats)


@pytest.mark.parametrize("joint_scores", [True, False])  # False: every score 1, ties broken by order
@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_oks_ap_matches_pycocotools(seed: int, grouped: bool, joint_scores: bool):
    gt, pred, boxes, sigmas, image_ids = _random_case(seed)
    ids = image_ids if grouped else None
    pred = pred if joint_scores else pred[..., :2]
    ours = oks_ap(gt, pred, boxes, sigmas, image_ids=ids)
    assert ours["num_dropped"] == 3 and ours["num_instances"] == len(gt) - 3
    assert 0.05 < ours["OKS_AP"] < 0.95  # a non-trivial case

    coco_gt, results = keypoints_to_coco(gt, pred, boxes, image_ids=ids)
    stats = _pycocotools_stats(coco_gt, results, sigmas)
    for key, index in (("OKS_AP", 0), ("OKS_AP50", 1), ("OKS_AP75", 2), ("OKS_AR", 5)):
        assert ours[key] == pytest.approx(stats[index], abs=1e-6), key
