"""COCO evaluation wrapper: GT building, result conversion, and agreement with pycocotools."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from pycocotools import mask as pmask
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from aihub_bench.metrics.coco_eval import (
    coco_gt_from_samples,
    evaluate_coco,
    predictions_to_coco,
    write_coco_results,
)
from aihub_bench.records import DetectionSample

CLASSES = ["nodule", "mass", "calcification", "unused"]  # "unused" never appears in GT


def _polygon(rng: np.random.Generator, x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    """A star-shaped polygon inscribed in the box (12 vertices)."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, 12))
    radius = rng.uniform(0.6, 1.0, 12)
    cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
    return np.stack([cx + rx * radius * np.cos(angles), cy + ry * radius * np.sin(angles)], axis=1)


def _random_samples(seed: int = 0, n_images: int = 6) -> list[DetectionSample]:
    rng = np.random.default_rng(seed)
    samples = []
    for image_id in range(1, n_images + 1):
        w, h = int(rng.integers(240, 360)), int(rng.integers(240, 360))
        boxes, labels, polygons = [], [], []
        for _ in range(int(rng.integers(2, 7))):
            size = float(rng.choice([12.0, 50.0, 170.0]))  # small / medium / large objects
            bw, bh = size * rng.uniform(0.7, 1.3), size * rng.uniform(0.7, 1.3)
            x1, y1 = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
            boxes.append([x1, y1, x1 + bw, y1 + bh])
            labels.append(CLASSES[int(rng.integers(0, 3))])
            polygons.append([_polygon(rng, x1, y1, x1 + bw, y1 + bh)])
        samples.append(
            DetectionSample(Path(f"img_{image_id}.png"), w, h, np.array(boxes), labels, polygons, image_id)
        )
    return samples


def _rasterize(polygons: list[np.ndarray], height: int, width: int) -> np.ndarray:
    rles = pmask.frPyObjects([p.ravel().tolist() for p in polygons], height, width)
    return pmask.decode(pmask.merge(rles)).astype(np.float32)


def _predict(sample: DetectionSample, rng: np.random.Generator | None) -> dict[str, torch.Tensor]:
    """Torchvision-style output for one sample: exact when ``rng`` is None, else jittered with
    misses, wrong classes and false positives."""
    boxes, labels, scores, masks = [], [], [], []
    for box, label, parts in zip(sample.boxes, sample.labels, sample.polygons, strict=True):
        if rng is not None and rng.random() < 0.15:
            continue  # miss
        shift = 0.0 if rng is None else rng.normal(0, 0.08, 2) * (box[2:] - box[:2])
        jittered = [p + shift for p in parts]
        boxes.append(np.concatenate([box[:2] + shift, box[2:] + shift]))
        cls = CLASSES.index(label) + 1
        if rng is not None and rng.random() < 0.1:
            cls = cls % 3 + 1
        labels.append(cls)
        scores.append(1.0 if rng is None else rng.uniform(0.3, 1.0))
        masks.append(_rasterize(jittered, sample.height, sample.width))
    n_fp = 0 if rng is None else int(rng.integers(0, 3))
    for _ in range(n_fp):
        x1, y1 = rng.uniform(0, sample.width - 40), rng.uniform(0, sample.height - 40)
        fp_box = [x1, y1, x1 + rng.uniform(10, 40), y1 + rng.uniform(10, 40)]
        boxes.append(np.array(fp_box))
        labels.append(int(rng.integers(1, 4)))
        scores.append(rng.uniform(0.0, 0.9))
        masks.append(_rasterize([_polygon(rng, *fp_box)], sample.height, sample.width))
    out = {
        "boxes": torch.tensor(np.array(boxes), dtype=torch.float32).reshape(-1, 4),
        "labels": torch.tensor(labels, dtype=torch.int64),
        "scores": torch.tensor(scores, dtype=torch.float32),
    }
    out["masks"] = torch.from_numpy(np.array(masks)).reshape(-1, 1, sample.height, sample.width)
    return out


def _results(samples: list[DetectionSample], rng: np.random.Generator | None) -> list[dict]:
    return [r for s in samples for r in predictions_to_coco(s.image_id, _predict(s, rng))]


def _pycocotools_reference(
    gt: dict, results: list[dict], iou_type: str, cat_ids: list[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Plain pycocotools COCOeval (restricted to ``cat_ids`` if given): stats and the precision array."""
    coco_gt = COCO()
    coco_gt.dataset = copy.deepcopy(gt)
    coco_gt.createIndex()
    res = copy.deepcopy(results)
    if iou_type == "segm":  # score masks by mask area, not box area (detectron2 convention)
        for r in res:
            r.pop("bbox")
    evaluator = COCOeval(coco_gt, coco_gt.loadRes(res), iou_type)
    if cat_ids is not None:
        evaluator.params.catIds = cat_ids
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    return evaluator.stats, evaluator.eval["precision"]


@pytest.fixture(scope="module")
def samples() -> list[DetectionSample]:
    return _random_samples()


@pytest.fixture(scope="module")
def gt(samples: list[DetectionSample]) -> dict:
    return coco_gt_from_samples(samples, CLASSES)


@pytest.mark.parametrize("backend", ["faster_coco_eval", "pycocotools"])
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_matches_pycocotools(samples, gt, iou_type: str, backend: str) -> None:
    results = _results(samples, np.random.default_rng(1))
    ref_stats, ref_precision = _pycocotools_reference(gt, results, iou_type)
    ours = evaluate_coco(gt, results, iou_types=(iou_type,), class_names=CLASSES, backend=backend)

    assert 0.2 < ours[f"{iou_type}_mAP"] < 0.95  # a meaningful, non-degenerate case
    stats = {"mAP": 0, "mAP_50": 1, "mAP_75": 2, "mAP_s": 3, "mAP_m": 4, "mAP_l": 5, "mAR_100": 8}
    assert all(ref_stats[i] >= 0 for i in stats.values())  # small, medium and large objects all present
    for key, index in stats.items():
        assert ours[f"{iou_type}_{key}"] == pytest.approx(ref_stats[index], abs=1e-6), key
    for k, name in enumerate(CLASSES[:3]):
        p = ref_precision[:, :, k, 0, -1]
        assert ours[f"{iou_type}_AP/{name}"] == pytest.approx(p[p > -1].mean(), abs=1e-6), name
    assert f"{iou_type}_AP/unused" not in ours  # no GT: undefined, left out


def test_results_are_not_mutated(samples, gt) -> None:
    results = _results(samples, np.random.default_rng(1))
    before_gt, before_results = copy.deepcopy(gt), copy.deepcopy(results)
    evaluate_coco(gt, results, iou_types=("bbox", "segm"))
    assert gt == before_gt
    assert results == before_results


def test_perfect_predictions_score_one(samples, gt) -> None:
    metrics = evaluate_coco(gt, _results(samples, None), iou_types=("bbox", "segm"))
    for t in ("bbox", "segm"):
        assert metrics[f"{t}_mAP"] == pytest.approx(1.0)
        assert metrics[f"{t}_mAR_100"] == pytest.approx(1.0)
        for name in CLASSES[:3]:
            assert metrics[f"{t}_AP/{name}"] == pytest.approx(1.0)


@pytest.mark.parametrize("backend", ["faster_coco_eval", "pycocotools"])
def test_empty_results_score_zero(gt, backend: str, capsys) -> None:
    metrics = evaluate_coco(gt, [], iou_types=("bbox", "segm"), backend=backend)
    for t in ("bbox", "segm"):
        assert metrics[f"{t}_mAP"] == 0.0
        assert metrics[f"{t}_mAP_50"] == 0.0
        assert metrics[f"{t}_AP/nodule"] == 0.0
    assert capsys.readouterr().out == ""  # evaluator chatter is swallowed


def test_undefined_area_ranges_are_left_out() -> None:
    sample = DetectionSample(Path("a.png"), 300, 300, np.array([[10, 10, 210, 210]]), ["mass"], image_id=7)
    gt = coco_gt_from_samples([sample], CLASSES)
    out = {
        "boxes": torch.tensor([[10.0, 10.0, 210.0, 210.0]]),
        "labels": torch.tensor([2]),
        "scores": torch.tensor([0.9]),
    }
    metrics = evaluate_coco(gt, predictions_to_coco(7, out))
    assert metrics["bbox_mAP"] == pytest.approx(1.0)
    assert metrics["bbox_mAP_l"] == pytest.approx(1.0)
    assert "bbox_mAP_s" not in metrics and "bbox_mAP_m" not in metrics
    assert set(k for k in metrics if "/" in k) == {"bbox_AP/mass"}


def test_unknown_backend_and_iou_type_raise(gt) -> None:
    with pytest.raises(ValueError, match="backend"):
        evaluate_coco(gt, [], backend="detectron")
    with pytest.raises(ValueError, match="keypoints"):
        evaluate_coco(gt, [], iou_types=("keypoints",))


def test_segm_needs_masks(samples, gt) -> None:
    out = _predict(samples[0], None)
    del out["masks"]
    with pytest.raises(ValueError, match="segmentation"):
        evaluate_coco(gt, predictions_to_coco(samples[0].image_id, out), iou_types=("segm",))


def test_gt_from_samples_fields() -> None:
    square = np.array([[10, 20], [40, 20], [40, 30], [10, 30]], dtype=np.float32)  # 30 x 10
    with_poly = DetectionSample(
        Path("a.png"), 100, 80, np.array([[10, 20, 40, 30], [5, 5, 15, 25]]), ["mass", "nodule"],
        polygons=[[square], [np.array([[5, 5], [6, 6]])]], image_id=3,
    )  # fmt: skip
    box_only = DetectionSample(
        Path("b.png"), 64, 48, np.array([[1, 2, 11, 7]]), ["calcification"], image_id=9
    )
    gt = coco_gt_from_samples([with_poly, box_only], CLASSES)

    assert gt["categories"] == [{"id": i + 1, "name": n} for i, n in enumerate(CLASSES)]
    assert gt["images"] == [
        {"id": 3, "width": 100, "height": 80, "file_name": "a.png"},
        {"id": 9, "width": 64, "height": 48, "file_name": "b.png"},
    ]
    a, b, c = gt["annotations"]
    assert [x["id"] for x in (a, b, c)] == [1, 2, 3]
    assert [x["image_id"] for x in (a, b, c)] == [3, 3, 9]
    assert [x["category_id"] for x in (a, b, c)] == [2, 1, 3]
    assert a["bbox"] == [10, 20, 30, 10] and c["bbox"] == [1, 2, 10, 5]
    assert a["segmentation"] == [square.ravel().tolist()]
    assert a["area"] == pytest.approx(300.0)  # polygon area
    assert b["segmentation"] == [[5, 5, 15, 5, 15, 25, 5, 25]]  # degenerate part -> box polygon
    assert "segmentation" not in c and c["area"] == pytest.approx(50.0)  # box area
    assert all(x["iscrowd"] == 0 for x in (a, b, c))
    json.dumps(gt)  # plain Python types only


def test_gt_from_samples_rejects_bad_input() -> None:
    s = DetectionSample(Path("a.png"), 10, 10, np.array([[1, 1, 5, 5]]), ["tumour"], image_id=1)
    with pytest.raises(ValueError, match="tumour"):
        coco_gt_from_samples([s], CLASSES)
    t = DetectionSample(Path("b.png"), 10, 10, np.zeros((0, 4)), [], image_id=1)
    u = DetectionSample(Path("c.png"), 10, 10, np.zeros((0, 4)), [], image_id=1)
    with pytest.raises(ValueError, match="duplicate image_id"):
        coco_gt_from_samples([t, u], CLASSES)


def test_predictions_to_coco_and_write(tmp_path: Path) -> None:
    masks = torch.zeros(2, 1, 20, 30)
    masks[0, 0, 2:6, 3:9] = 0.9
    masks[0, 0, 10, 10] = 0.4  # below the threshold
    masks[1, 0, 15:, 20:] = 0.7
    out = {
        "boxes": torch.tensor([[3.0, 2.0, 9.0, 6.0], [20.0, 15.0, 30.0, 20.0]]),
        "labels": torch.tensor([3, 1]),
        "scores": torch.tensor([0.8, 0.25]),
        "masks": masks,
    }
    results = predictions_to_coco(5, out)
    assert [r["category_id"] for r in results] == [3, 1]
    assert results[0]["bbox"] == [3.0, 2.0, 6.0, 4.0]
    assert results[1]["score"] == pytest.approx(0.25)
    assert all(r["image_id"] == 5 for r in results)
    seg = results[0]["segmentation"]
    assert isinstance(seg["counts"], str) and seg["size"] == [20, 30]
    decoded = pmask.decode({"size": seg["size"], "counts": seg["counts"].encode()})
    assert decoded.sum() == 24 and decoded[2:6, 3:9].all()

    empty = {
        "boxes": torch.zeros(0, 4),
        "labels": torch.zeros(0),
        "scores": torch.zeros(0),
        "masks": torch.zeros(0, 1, 4, 4),
    }
    assert predictions_to_coco(1, empty) == []

    path = write_coco_results(tmp_path / "run" / "coco_results.json", results)
    assert json.loads(path.read_text()) == results


GROUPS = {
    "lesions": ["nodule", "mass"],
    "mixed": ["calcification", "unused"],  # one class without GT: it must not count
    "everything": CLASSES,
}


@pytest.mark.parametrize("backend", ["faster_coco_eval", "pycocotools"])
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_group_map_matches_restricted_pycocotools(samples, gt, iou_type: str, backend: str) -> None:
    results = _results(samples, np.random.default_rng(2))
    ours = evaluate_coco(gt, results, (iou_type,), CLASSES, backend=backend, category_groups=GROUPS)
    full_stats, _ = _pycocotools_reference(gt, results, iou_type)
    for group, members in GROUPS.items():
        ids = [CLASSES.index(m) + 1 for m in members]
        ref_stats, _ = _pycocotools_reference(gt, results, iou_type, cat_ids=ids)
        assert ours[f"{iou_type}_mAP/{group}"] == pytest.approx(ref_stats[0], abs=1e-6), group
        assert ours[f"{iou_type}_mAP_50/{group}"] == pytest.approx(ref_stats[1], abs=1e-6), group
    assert 0.2 < ours[f"{iou_type}_mAP/lesions"] < 0.95  # non-degenerate
    assert ours[f"{iou_type}_mAP/lesions"] != pytest.approx(ours[f"{iou_type}_mAP/mixed"])
    assert ours[f"{iou_type}_mAP/everything"] == pytest.approx(full_stats[0], abs=1e-6)
    assert ours[f"{iou_type}_mAP/mixed"] == pytest.approx(ours[f"{iou_type}_AP/calcification"], abs=1e-6)


def test_group_without_gt_is_left_out(samples, gt) -> None:
    results = _results(samples, np.random.default_rng(2))
    metrics = evaluate_coco(gt, results, ("bbox", "segm"), category_groups={"empty": ["unused"], "none": []})
    assert not any(k.endswith(("/empty", "/none")) for k in metrics)


def test_group_with_unknown_class_raises(gt) -> None:
    with pytest.raises(ValueError, match="tumour"):
        evaluate_coco(gt, [], category_groups={"lesions": ["nodule", "tumour"]})
    with pytest.raises(ValueError, match="not a string"):
        evaluate_coco(gt, [], category_groups={"lesions": "nodule"})


def test_korean_group_and_class_names(samples, gt) -> None:
    korean = ["결절", "종괴", "석회화", "미사용"]
    results = _results(samples, np.random.default_rng(2))
    english = evaluate_coco(gt, results, category_groups={"lesions": CLASSES[:2]})
    gt_ko = copy.deepcopy(gt)
    for cat in gt_ko["categories"]:
        cat["name"] = korean[cat["id"] - 1]
    metrics = evaluate_coco(gt_ko, results, category_groups={"유적건조물": korean[:2]})
    assert metrics["bbox_mAP/유적건조물"] == pytest.approx(english["bbox_mAP/lesions"])
    assert metrics["bbox_mAP_50/유적건조물"] == pytest.approx(english["bbox_mAP_50/lesions"])
    assert metrics["bbox_AP/결절"] == pytest.approx(english["bbox_AP/nodule"])
