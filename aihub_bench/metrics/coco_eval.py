"""COCO-style detection / instance-segmentation evaluation.

A thin wrapper over faster-coco-eval (default) or pycocotools: build the GT dict from
:class:`~aihub_bench.records.DetectionSample` records, convert torchvision outputs to COCO
results, and run ``COCOeval`` into flat metric keys.

Keys returned by :func:`evaluate_coco`, for each IoU type ``t`` in ``bbox`` / ``segm``:
``{t}_mAP``, ``{t}_mAP_50``, ``{t}_mAP_75``, ``{t}_mAP_s``, ``{t}_mAP_m``, ``{t}_mAP_l``,
``{t}_mAR_100`` and ``{t}_AP/<class name>``; with ``category_groups``, also ``{t}_mAP/<group>`` and
``{t}_mAP_50/<group>`` (COCO mAP restricted to the group's categories, LVIS APr/APc/APf style);
with a ``size_rule``, also the overall keys computed under it (:mod:`aihub_bench.metrics.size_rule`)
with the suffix ``_size_rule`` (``{t}_mAP_size_rule``, ``{t}_mAP_50_size_rule``, ...).

COCO reports ``-1`` when a value is undefined because there is no ground truth for it (no small
objects, a class absent from the split). Such keys are **left out** of the dict rather than
mapped to 0.0, so that "undefined" never reads as "the model failed". A split with ground truth
but no predictions is defined and scores 0.0.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from faster_coco_eval import COCO as FasterCOCO
from faster_coco_eval import COCOeval_faster as FasterCOCOeval
from faster_coco_eval.core import mask as mask_utils
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval

from aihub_bench.metrics.size_rule import SIZE_RULE_SUFFIX, SizeRule
from aihub_bench.records import DetectionSample

IOU_TYPES = ("bbox", "segm")
BACKENDS = ("faster_coco_eval", "pycocotools")

# Indices into COCOeval.stats (identical in both backends).
_STAT_KEYS = {
    "mAP": 0,
    "mAP_50": 1,
    "mAP_75": 2,
    "mAP_s": 3,
    "mAP_m": 4,
    "mAP_l": 5,
    "mAR_100": 8,
}


def _polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _box_polygon(x1: float, y1: float, x2: float, y2: float) -> list[float]:
    return [x1, y1, x2, y1, x2, y2, x1, y2]


def coco_gt_from_samples(samples: Sequence[DetectionSample], class_names: Sequence[str]) -> dict:
    """COCO ground-truth dict for ``samples``; category id = 1 + index in ``class_names``.

    With polygons, ``segmentation`` holds one flat ``[x, y, ...]`` list per polygon part and
    ``area`` is the summed polygon (shoelace) area. Parts with fewer than three points cannot be
    rasterised by COCO and are dropped; an object left with no part falls back to its box.
    """
    cat_ids = {name: i + 1 for i, name in enumerate(class_names)}
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    seen_ids: set[int] = set()
    for sample in samples:
        if sample.image_id in seen_ids:
            raise ValueError(
                f"{sample.image_path}: duplicate image_id {sample.image_id}; image ids must be unique"
            )
        seen_ids.add(sample.image_id)
        images.append(
            {
                "id": int(sample.image_id),
                "width": int(sample.width),
                "height": int(sample.height),
                "file_name": str(sample.image_path),
            }
        )
        for k, (box, label) in enumerate(zip(sample.boxes.tolist(), sample.labels, strict=True)):
            if label not in cat_ids:
                raise ValueError(
                    f"{sample.image_path}: label {label!r} is not in class_names {list(class_names)}"
                )
            x1, y1, x2, y2 = box
            ann: dict[str, Any] = {
                # Ids start at 1: COCOeval treats a matched GT id of 0 as "unmatched".
                "id": len(annotations) + 1,
                "image_id": int(sample.image_id),
                "category_id": cat_ids[label],
                "bbox": [x1, y1, x2 - x1, y2 - y1],
                "area": (x2 - x1) * (y2 - y1),
                "iscrowd": 0,
            }
            if sample.polygons is not None:
                parts = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in sample.polygons[k]]
                parts = [p for p in parts if len(p) >= 3]
                if parts:
                    ann["segmentation"] = [p.ravel().tolist() for p in parts]
                    ann["area"] = sum(_polygon_area(p) for p in parts)
                else:
                    ann["segmentation"] = [_box_polygon(x1, y1, x2, y2)]
            annotations.append(ann)
    categories = [{"id": cat_ids[name], "name": name} for name in class_names]
    return {"images": images, "annotations": annotations, "categories": categories}


def predictions_to_coco(
    image_id: int, output: Mapping[str, torch.Tensor], mask_threshold: float = 0.5
) -> list[dict]:
    """COCO result entries for one torchvision detection output.

    ``output`` has ``boxes`` (N, 4) xyxy, ``labels`` (N,) 1-based category ids, ``scores`` (N,)
    and optionally ``masks`` (N, 1, H, W) probabilities, binarised at ``mask_threshold`` and
    stored as compressed RLE with ``counts`` as ``str`` (JSON-serialisable).
    """
    boxes = output["boxes"].detach().cpu().to(torch.float64).reshape(-1, 4)
    xywh = torch.cat([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], dim=1).tolist()
    labels = output["labels"].detach().cpu().tolist()
    scores = output["scores"].detach().cpu().tolist()
    rles: list[dict] | None = None
    if "masks" in output and len(boxes):
        binary = (output["masks"].detach().cpu()[:, 0] > mask_threshold).numpy()
        rles = mask_utils.encode(np.asfortranarray(binary.transpose(1, 2, 0).astype(np.uint8)))
    results = []
    for i, (box, label, score) in enumerate(zip(xywh, labels, scores, strict=True)):
        entry: dict[str, Any] = {
            "image_id": int(image_id),
            "category_id": int(label),
            "bbox": box,
            "score": float(score),
        }
        if rles is not None:
            rle = rles[i]
            entry["segmentation"] = {"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")}
        results.append(entry)
    return results


def write_coco_results(path: str | Path, results: Sequence[dict]) -> Path:
    """Write COCO results as JSON (creating parent folders); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(list(results)), encoding="utf-8")
    return path


def _results_for(iou_type: str, results: Sequence[dict]) -> list[dict]:
    """Copies of ``results`` holding only the fields this IoU type is scored on.

    For ``segm`` the box is dropped: when a result has a ``bbox``, COCO takes its area from the
    box instead of the mask, which shifts the small/medium/large split (detectron2 does the same).
    """
    geometry = "bbox" if iou_type == "bbox" else "segmentation"
    out = []
    for r in results:
        if geometry not in r:
            raise ValueError(
                f"{iou_type} evaluation needs '{geometry}' in every result; got keys {sorted(r)}"
            )
        out.append({k: copy.deepcopy(r[k]) for k in ("image_id", "category_id", "score", geometry)})
    return out


def _quiet(*args: Any, **kwargs: Any) -> None:
    return None


def _faster_evaluator(gt: dict, results: list[dict], iou_type: str) -> FasterCOCOeval:
    coco_gt = FasterCOCO(gt, print_function=_quiet)
    return FasterCOCOeval(coco_gt, coco_gt.loadRes(results), iou_type, print_function=_quiet)


def _pycocotools_evaluator(gt: dict, results: list[dict], iou_type: str) -> PyCOCOeval:
    coco_gt = PyCOCO()
    coco_gt.dataset = gt
    coco_gt.createIndex()
    if results:
        coco_dt = coco_gt.loadRes(results)
    else:  # pycocotools' loadRes indexes results[0]
        coco_dt = PyCOCO()
        coco_dt.dataset = {"images": gt["images"], "categories": gt["categories"], "annotations": []}
        coco_dt.createIndex()
    return PyCOCOeval(coco_gt, coco_dt, iou_type)


def _run_cocoeval(gt: dict, results: list[dict], iou_type: str, backend: str) -> Any:
    """Evaluate, accumulate and summarise; the evaluator's printing is swallowed."""
    gt = copy.deepcopy(gt)  # both backends write into the GT annotations while evaluating
    make = _faster_evaluator if backend == "faster_coco_eval" else _pycocotools_evaluator
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator = make(gt, results, iou_type)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator


def evaluate_coco(
    gt: dict,
    results: list[dict],
    iou_types: Sequence[str] = ("bbox",),
    class_names: Sequence[str] | None = None,
    backend: str = "faster_coco_eval",
    category_groups: Mapping[str, Sequence[str]] | None = None,
    size_rule: SizeRule | None = None,
) -> dict[str, float]:
    """COCO metrics as flat keys (see the module docstring); undefined (-1) values are left out.

    ``class_names[i]`` names category id ``i + 1``; by default names come from ``gt["categories"]``.
    ``category_groups`` maps a group name to class names; a group with no ground truth is left out.
    ``size_rule`` adds the overall keys a second time, under the rule (per-class and per-group keys
    are not repeated: they would read as more classes and groups in ``results.md``).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown COCO backend {backend!r}; choose one of {BACKENDS}")
    if class_names is None:
        names = {int(c["id"]): str(c["name"]) for c in gt["categories"]}
    else:
        names = {i + 1: str(n) for i, n in enumerate(class_names)}
    group_ids = _group_category_ids(category_groups or {}, names)
    metrics: dict[str, float] = {}
    for iou_type in iou_types:
        if iou_type not in IOU_TYPES:
            raise ValueError(f"unknown iou type {iou_type!r}; choose from {IOU_TYPES}")
        evaluator = _run_cocoeval(gt, _results_for(iou_type, results), iou_type, backend)
        for key, index in _STAT_KEYS.items():
            value = float(evaluator.stats[index])
            if value >= 0:
                metrics[f"{iou_type}_{key}"] = value
        # precision: [IoU thresholds, recall thresholds, categories, area ranges, max dets]
        precision = np.asarray(evaluator.eval["precision"])
        for k, cat_id in enumerate(evaluator.params.catIds):
            p = precision[:, :, k, 0, -1]
            p = p[p > -1]
            if p.size:
                metrics[f"{iou_type}_AP/{names.get(int(cat_id), str(cat_id))}"] = float(p.mean())
        metrics.update(_group_metrics(iou_type, evaluator, precision, group_ids))
    if size_rule is not None:
        ruled_gt, ruled_results = size_rule.apply(gt, results, names)
        ruled = evaluate_coco(ruled_gt, ruled_results, iou_types, class_names, backend)
        overall = {f"{t}_{key}" for t in iou_types for key in _STAT_KEYS}
        metrics.update({f"{k}{SIZE_RULE_SUFFIX}": v for k, v in ruled.items() if k in overall})
    return metrics


def _group_category_ids(
    groups: Mapping[str, Sequence[str]], names: Mapping[int, str]
) -> dict[str, list[int]]:
    """Category ids per group; raises on class names that are not categories."""
    ids_by_name = {name: cat_id for cat_id, name in names.items()}
    out: dict[str, list[int]] = {}
    for group, members in groups.items():
        if isinstance(members, str):  # a bare string would be read as one class per character
            raise ValueError(f"category group {group!r} must be a sequence of class names, not a string")
        unknown = [m for m in members if m not in ids_by_name]
        if unknown:
            raise ValueError(
                f"category group {group!r} names unknown classes {unknown}; known: {sorted(ids_by_name)}"
            )
        out[str(group)] = [ids_by_name[m] for m in members]
    return out


def _group_metrics(
    iou_type: str, evaluator: Any, precision: np.ndarray, group_ids: Mapping[str, Sequence[int]]
) -> dict[str, float]:
    """``mAP`` and ``mAP_50`` per group, as COCOeval's summarize gives with ``params.catIds`` restricted.

    Categories are evaluated independently, so slicing the full precision array equals re-running
    the evaluation on the group's categories alone.
    """
    cat_index = {int(c): k for k, c in enumerate(evaluator.params.catIds)}
    iou_50 = np.flatnonzero(np.isclose(np.asarray(evaluator.params.iouThrs), 0.5))
    metrics: dict[str, float] = {}
    for group, ids in group_ids.items():
        ks = sorted({cat_index[i] for i in ids if i in cat_index})
        p = precision[:, :, ks, 0, -1]  # area "all", maxDets 100
        for key, values in (("mAP", p), ("mAP_50", p[iou_50])):
            values = values[values > -1]
            if values.size:
                metrics[f"{iou_type}_{key}/{group}"] = float(values.mean())
    return metrics
