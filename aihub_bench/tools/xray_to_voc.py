"""The builders' inspection tool: polygon JSON -> VOC boxes, checked against the shipped VOC files.

For every image it derives the tight box of each polygon, writes a derived VOC XML, matches those
boxes to the shipped VOC objects (same class, greedy by IoU) and reports every disagreement:
an object only one side has, or a matched pair whose IoU is below the threshold. Crop thumbnails
per object (grouped by class) make a visual review quick.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from aihub_bench.datasets.xray import read_xray
from aihub_bench.errors import ErrorPolicy
from aihub_bench.formats.voc import VocAnnotation, VocObject, write_voc
from aihub_bench.records import DetectionSample

THUMB_SIZE = 128


@dataclass
class Disagreement:
    image: str
    kind: str  # no_voc_file | only_in_polygons | only_in_voc | box_mismatch
    label: str
    polygon_box: list[float] | None = None
    voc_box: list[float] | None = None
    iou: float | None = None


@dataclass
class InspectionReport:
    images: int = 0
    objects: int = 0
    derived_files: int = 0
    thumbnails: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)
    skipped: dict = field(default_factory=dict)

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for d in self.disagreements:
            kinds[d.kind] = kinds.get(d.kind, 0) + 1
        lines = [
            f"images: {self.images}, polygon objects: {self.objects}, derived VOC files: {self.derived_files}",
            f"disagreements with the shipped VOC: {len(self.disagreements)} {kinds or ''}".rstrip(),
            f"thumbnails: {self.thumbnails}",
            f"skipped bad input: {self.skipped.get('skipped_total', 0)} {self.skipped.get('skipped_by_kind', {}) or ''}".rstrip(),
        ]
        return "\n".join(lines)


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def polygon_box(parts: list[np.ndarray]) -> np.ndarray:
    """The integer pixel box enclosing the polygon (floor of the minima, ceil of the maxima), as VOC stores it."""
    points = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in parts])
    return np.array(
        [
            np.floor(points[:, 0].min()),
            np.floor(points[:, 1].min()),
            np.ceil(points[:, 0].max()),
            np.ceil(points[:, 1].max()),
        ]
    )


def compare_boxes(
    image: str, poly: list[tuple[str, np.ndarray]], voc: list[tuple[str, np.ndarray]], iou_threshold: float
) -> list[Disagreement]:
    """Greedy same-class matching by IoU; unmatched objects and weak matches are disagreements."""
    pairs = sorted(
        (
            (box_iou(pb, vb), i, j)
            for i, (pl, pb) in enumerate(poly)
            for j, (vl, vb) in enumerate(voc)
            if pl == vl
        ),
        reverse=True,
    )
    used_p: set[int] = set()
    used_v: set[int] = set()
    out: list[Disagreement] = []
    for iou, i, j in pairs:
        if i in used_p or j in used_v or iou <= 0:
            continue
        used_p.add(i)
        used_v.add(j)
        if iou < iou_threshold:
            out.append(
                Disagreement(image, "box_mismatch", poly[i][0], _r(poly[i][1]), _r(voc[j][1]), round(iou, 4))
            )
    out += [
        Disagreement(image, "only_in_polygons", lab, _r(b))
        for k, (lab, b) in enumerate(poly)
        if k not in used_p
    ]
    out += [
        Disagreement(image, "only_in_voc", lab, None, _r(b))
        for k, (lab, b) in enumerate(voc)
        if k not in used_v
    ]
    return out


def _r(box: np.ndarray) -> list[float]:
    return [round(float(v), 2) for v in box]


def _corners(box: np.ndarray) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in box)
    return x1, y1, x2, y2


def _write_derived(sample: DetectionSample, boxes: list[tuple[str, np.ndarray]], out: Path) -> None:
    maker = str(sample.meta.get("maker", ""))
    objects = [VocObject(label, *_corners(box)) for label, box in boxes]
    ann = VocAnnotation(
        filename=sample.image_path.name,
        width=sample.width,
        height=sample.height,
        depth=3,
        folder=str(sample.meta.get("class_folder", "")),
        objects=objects,
    )
    write_voc(out / "voc" / maker / f"{sample.image_path.stem}.xml", ann)


def _write_thumbnails(sample: DetectionSample, boxes: list[tuple[str, np.ndarray]], out: Path) -> int:
    with Image.open(sample.image_path) as im:
        image = im.convert("RGB")
    for k, (label, box) in enumerate(boxes):
        pad = 0.1 * max(box[2] - box[0], box[3] - box[1])
        crop = image.crop(
            (
                int(max(0, box[0] - pad)),
                int(max(0, box[1] - pad)),
                int(min(sample.width, box[2] + pad)),
                int(min(sample.height, box[3] + pad)),
            )
        )
        crop.thumbnail((THUMB_SIZE, THUMB_SIZE))
        target = (
            out / "thumbnails" / label / f"{sample.meta.get('maker', '')}_{sample.image_path.stem}_{k}.png"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        crop.save(target)
    return len(boxes)


def run_xray_to_voc(
    root: Path, out: Path, iou_threshold: float = 0.9, thumbnails: bool = True, **reader_kwargs: Any
) -> InspectionReport:
    """Inspect an X-ray dataset root; writes ``out/voc/``, ``out/thumbnails/``, ``out/report.json``
    and ``out/disagreements.csv``. Bad input is skipped and counted in the report."""
    out.mkdir(parents=True, exist_ok=True)
    policy = ErrorPolicy("skip")
    polygons = read_xray(root, annotations="coco", policy=policy, **reader_kwargs)
    # the polygon read above already decoded every image; the VOC read only needs to pair files
    voc_kwargs = {**reader_kwargs, "verify_images": "header"}
    shipped = {s.group: s for s in read_xray(root, annotations="voc", policy=policy, **voc_kwargs)}

    report = InspectionReport()
    for sample in polygons:
        assert sample.polygons is not None
        boxes = [
            (label, polygon_box(parts)) for label, parts in zip(sample.labels, sample.polygons, strict=True)
        ]
        report.images += 1
        report.objects += len(boxes)
        _write_derived(sample, boxes, out)
        report.derived_files += 1
        if thumbnails:
            report.thumbnails += _write_thumbnails(sample, boxes, out)
        voc = shipped.get(sample.group)
        if voc is None:
            report.disagreements.append(Disagreement(sample.group, "no_voc_file", ""))
            continue
        voc_boxes = [(label, box) for label, box in zip(voc.labels, voc.boxes, strict=True)]
        report.disagreements += compare_boxes(sample.group, boxes, voc_boxes, iou_threshold)
    report.skipped = policy.report()
    _write_report(report, out)
    return report


def _write_report(report: InspectionReport, out: Path) -> None:
    payload = asdict(report)
    (out / "report.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    with (out / "disagreements.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["image", "kind", "label", "polygon_box", "voc_box", "iou"])
        for d in report.disagreements:
            writer.writerow([d.image, d.kind, d.label, d.polygon_box, d.voc_box, d.iou])
