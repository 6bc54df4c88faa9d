"""2D pose metrics for top-down keypoint estimation: PCK / PCKh and COCO-style OKS AP.

Dataset-agnostic: everything takes numpy arrays and per-joint constants (sigmas, the head segment).

* ``gt`` ``(N, J, 3)``: x, y, flag with 0 absent, 1 occluded, 2 visible (COCO's ``v``).
* ``pred`` ``(N, J, 2)`` or ``(N, J, 3)``: x, y[, score], one prediction per GT person (top-down).
* ``boxes`` ``(N, 4)``: GT person boxes, xyxy.

Undefined values are NaN (PCK of a joint that is never labelled), never 0.0, so that "undefined"
never reads as "the model failed".
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from faster_coco_eval import COCO as FasterCOCO
from faster_coco_eval import COCOeval_faster as FasterCOCOeval

from aihub_bench.metrics.coco_eval import _quiet

# Indices into COCOeval.stats for iouType "keypoints" (same in pycocotools and faster-coco-eval).
_OKS_STAT_KEYS = {"OKS_AP": 0, "OKS_AP50": 1, "OKS_AP75": 2, "OKS_AR": 5}


def _check_gt(gt: np.ndarray) -> np.ndarray:
    gt = np.asarray(gt, dtype=np.float64)
    if gt.ndim != 3 or gt.shape[-1] != 3:
        raise ValueError(f"gt must have shape (N, J, 3) (x, y, flag); got {gt.shape}")
    return gt


def _check_pred(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    pred = np.asarray(pred, dtype=np.float64)
    if pred.ndim != 3 or pred.shape[:2] != gt.shape[:2] or pred.shape[-1] not in (2, 3):
        raise ValueError(f"pred must have shape {gt.shape[:2] + (2,)} or (..., 3); got {pred.shape}")
    if not np.isfinite(pred[..., :2]).all():
        bad = int((~np.isfinite(pred[..., :2])).any(-1).sum())
        raise ValueError(f"pred has {bad} joints with NaN or infinite coordinates")
    return pred


def bbox_norm(boxes: np.ndarray) -> np.ndarray:
    """PCK normaliser ``max(w, h)`` of each xyxy box, ``(N,)``.

    "PCK@0.2 of the bbox size" is read as 0.2 x the longer box side (the convention of the
    top-down PCK evaluations in mmpose / HRNet-style code; some papers use the diagonal instead).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])


def head_norm(gt: np.ndarray, head_segment: tuple[int, int]) -> np.ndarray:
    """PCKh normaliser: distance between the two head-segment joints, ``(N,)``.

    NaN where either joint has flag 0; :func:`pck` leaves such instances out and counts them.
    """
    gt = _check_gt(gt)
    a, b = gt[:, head_segment[0]], gt[:, head_segment[1]]
    size = np.linalg.norm(a[:, :2] - b[:, :2], axis=-1)
    return np.where((a[:, 2] > 0) & (b[:, 2] > 0), size, np.nan)


def pck(
    pred: np.ndarray,
    gt: np.ndarray,
    norm: np.ndarray,
    alpha: float = 0.2,
    visible_only: bool = False,
    mean_joints: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Percentage of correct keypoints: joint correct when ``||pred - gt|| <= alpha * norm[i]``.

    Only labelled joints count (flag > 0; flag 2 only with ``visible_only``). Instances whose
    ``norm`` is NaN, infinite or <= 0 (no head size for PCKh) are skipped entirely.

    Returns:
        ``per_joint`` ``(J,)`` accuracy, NaN for a joint never labelled; ``correct`` and
        ``labelled`` ``(J,)`` counts; ``mean``: the unweighted mean of ``per_joint`` over the
        joints that have labels (every joint counts equally); ``pooled``: correct / labelled over
        all labelled joints (count-weighted, as MPII's evaluation script reports its "Mean", which
        also leaves out pelvis and thorax: pass ``mean_joints`` for that); ``num_instances`` (used)
        and ``num_skipped`` (bad ``norm``). ``mean`` / ``pooled`` are NaN when nothing is labelled.
    """
    gt = _check_gt(gt)
    pred = _check_pred(pred, gt)
    norm = np.asarray(norm, dtype=np.float64).reshape(-1)
    if norm.shape[0] != gt.shape[0]:
        raise ValueError(f"norm has {norm.shape[0]} values for {gt.shape[0]} instances")
    valid = np.isfinite(norm) & (norm > 0)
    flags = gt[valid, :, 2]
    labelled = flags >= 2 if visible_only else flags > 0
    dist = np.linalg.norm(pred[valid, :, :2] - gt[valid, :, :2], axis=-1)
    hit = (dist <= alpha * norm[valid, None]) & labelled

    correct_j = hit.sum(axis=0)
    labelled_j = labelled.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_joint = correct_j / labelled_j  # 0/0 -> NaN for joints never labelled
    joints = np.arange(gt.shape[1]) if mean_joints is None else np.asarray(mean_joints, dtype=int)
    has_labels = joints[labelled_j[joints] > 0]
    total = int(labelled_j[joints].sum())
    return {
        "per_joint": per_joint,
        "mean": float(per_joint[has_labels].mean()) if has_labels.size else float("nan"),
        "pooled": float(correct_j[joints].sum() / total) if total else float("nan"),
        "correct": correct_j,
        "labelled": labelled_j,
        "num_instances": int(valid.sum()),
        "num_skipped": int((~valid).sum()),
    }


def keypoints_to_coco(
    gt: np.ndarray,
    pred: np.ndarray,
    boxes: np.ndarray,
    scores: np.ndarray | None = None,
    areas: np.ndarray | None = None,
    image_ids: np.ndarray | None = None,
) -> tuple[dict, list[dict]]:
    """In-memory COCO ground truth and keypoint results for :func:`oks_ap`.

    One image per instance unless ``image_ids`` groups them; one category ``person`` (id 1).
    GT ``area`` (the OKS scale s^2) is the box area w*h unless ``areas`` is given; ``v`` = flag;
    ``num_keypoints`` = joints with flag > 0. Instances with no labelled joint are **dropped**
    together with their prediction (COCO would only ignore them, and a prediction near an ignored
    person then scores OKS 1 against its box region and is ignored too, or is a false positive).
    Result keypoints are ``[x, y, 1] * J`` with no ``bbox`` (given one, ``loadRes`` would take
    the detection area from it); score: ``scores``, else the mean joint score of a 3-column
    ``pred``, else 1.
    """
    gt = _check_gt(gt)
    pred = _check_pred(pred, gt)
    n, j = gt.shape[:2]
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if boxes.shape[0] != n:
        raise ValueError(f"boxes has {boxes.shape[0]} rows for {n} instances")
    xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)
    areas = xywh[:, 2] * xywh[:, 3] if areas is None else np.asarray(areas, dtype=np.float64).reshape(-1)
    if scores is None:
        scores = pred[..., 2].mean(axis=1) if pred.shape[-1] == 3 else np.ones(n)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    ids = np.arange(1, n + 1) if image_ids is None else np.asarray(image_ids).reshape(-1).astype(np.int64)
    for name, values in (("areas", areas), ("scores", scores), ("image_ids", ids)):
        if values.shape[0] != n:
            raise ValueError(f"{name} has {values.shape[0]} values for {n} instances")
    if not (np.isfinite(xywh).all() and np.isfinite(areas).all() and np.isfinite(scores).all()):
        raise ValueError("boxes, areas and scores must be finite")

    flags = gt[..., 2]
    num_kpts = (flags > 0).sum(axis=1)
    keep = num_kpts > 0
    bad_area = np.flatnonzero(keep & (areas <= 0))
    if bad_area.size:
        raise ValueError(f"instances {bad_area[:10].tolist()} have a non-positive area; OKS needs area > 0")

    gt_kpts = np.concatenate([np.where(flags[..., None] > 0, gt[..., :2], 0.0), flags[..., None]], -1)
    dt_kpts = np.concatenate([pred[..., :2], np.ones((n, j, 1))], axis=-1)
    annotations: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for i in np.flatnonzero(keep):
        annotations.append(
            {
                "id": len(annotations) + 1,  # ids start at 1: COCOeval reads a matched id 0 as "unmatched"
                "image_id": int(ids[i]),
                "category_id": 1,
                "bbox": xywh[i].tolist(),
                "area": float(areas[i]),
                "iscrowd": 0,
                "keypoints": gt_kpts[i].ravel().tolist(),
                "num_keypoints": int(num_kpts[i]),
            }
        )
        results.append(
            {
                "image_id": int(ids[i]),
                "category_id": 1,
                "keypoints": dt_kpts[i].ravel().tolist(),
                "score": float(scores[i]),
            }
        )
    images = [{"id": int(k)} for k in np.unique(ids)]
    category = {
        "id": 1,
        "name": "person",
        "keypoints": [str(k) for k in range(j)],
        "skeleton": [],
    }
    return {"images": images, "annotations": annotations, "categories": [category]}, results


def oks_ap(
    gt: np.ndarray,
    pred: np.ndarray,
    boxes: np.ndarray,
    sigmas: Sequence[float] | np.ndarray,
    scores: np.ndarray | None = None,
    areas: np.ndarray | None = None,
    image_ids: np.ndarray | None = None,
) -> dict[str, float | int]:
    """COCO keypoint AP with per-joint ``sigmas``, through faster-coco-eval (iouType "keypoints").

    Builds the COCO dicts with :func:`keypoints_to_coco` (see there for areas, scores, dropped
    instances) and keeps COCOeval's keypoint defaults: OKS thresholds .50:.05:.95, ``maxDets``
    [20] per image (only matters when ``image_ids`` puts more than 20 people in one image).

    Note the OKS scale: COCO's GT ``area`` is the person's segment area, roughly half the box
    area, so box-area OKS is more lenient and not comparable to COCO leaderboard numbers.
    Without scores every detection scores 1 and AP depends on the (stable) order of the ties,
    i.e. the instance order; ``OKS_AR`` does not.

    Returns ``OKS_AP`` (mean over thresholds), ``OKS_AP50``, ``OKS_AP75``, ``OKS_AR`` (floats),
    ``num_instances`` (evaluated) and ``num_dropped`` (no labelled joint). Raises ValueError when
    no instance has a labelled joint.
    """
    gt = _check_gt(gt)
    sigmas = np.asarray(sigmas, dtype=np.float64).reshape(-1)
    if sigmas.shape[0] != gt.shape[1]:
        raise ValueError(f"{sigmas.shape[0]} sigmas for {gt.shape[1]} joints")
    coco_gt, results = keypoints_to_coco(gt, pred, boxes, scores, areas, image_ids)
    if not coco_gt["annotations"]:
        raise ValueError(
            f"OKS AP is undefined: none of the {gt.shape[0]} instances has a labelled joint (flag > 0)"
        )
    with contextlib.redirect_stdout(io.StringIO()):
        coco = FasterCOCO(coco_gt, print_function=_quiet)
        evaluator = FasterCOCOeval(
            coco, coco.loadRes(results), "keypoints", kpt_oks_sigmas=sigmas, print_function=_quiet
        )
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    metrics: dict[str, float | int] = {k: float(evaluator.stats[i]) for k, i in _OKS_STAT_KEYS.items()}
    metrics["num_instances"] = len(coco_gt["annotations"])
    metrics["num_dropped"] = int(gt.shape[0] - len(coco_gt["annotations"]))
    return metrics
