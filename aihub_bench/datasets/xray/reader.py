"""Read the X-ray release (or its synthetic twin) into ``DetectionSample`` records.

Bad input either raises ``BadInputError`` naming the file and reason, or (``on_error="skip"``)
drops the whole image and counts it: never a single object, which would silently turn into
background for the detector.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aihub_bench.datasets.xray.layout import (
    MAKERS,
    SUBSETS,
    ImageLocation,
    lookup_class,
    lookup_maker,
    lookup_subset,
    parse_image_path,
)
from aihub_bench.errors import BadInputError, ErrorPolicy, resolve_inside
from aihub_bench.formats.coco import read_coco
from aihub_bench.formats.images import check_image
from aihub_bench.formats.voc import VocAnnotation, read_voc
from aihub_bench.records import DetectionSample

BOX_TOLERANCE = 1.0  # pixels a box may stick out of the image before it counts as bad


@dataclass
class _Object:
    """One annotated object before validation; ``ref`` says where it came from, for messages."""

    ref: str
    category: str | None  # shipped name, None when the category id is unknown
    box: Any = None  # xyxy, or None to derive from the polygons
    polygons: list[Any] | None = None
    raw_category: Any = None


@dataclass
class _Reader:
    root: Path
    policy: ErrorPolicy
    makers: frozenset[str] | None
    classes: frozenset[str] | None
    subsets: frozenset[str] | None
    verify_images: bool
    samples: dict[str, tuple[DetectionSample, Path]] = field(default_factory=dict)
    _index: dict[str, list[ImageLocation]] | None = None

    # ------------------------------------------------------------ locating images

    def name_index(self) -> dict[str, list[ImageLocation]]:
        """File name -> locations in ``<Maker>/<Class>/<Subset>/``; built once, on first need."""
        if self._index is None:
            index: dict[str, list[ImageLocation]] = defaultdict(list)
            for maker_dir in _subdirs(self.root):
                maker = lookup_maker(maker_dir.name)
                if maker is None:
                    continue
                for class_dir in _subdirs(maker_dir):
                    for subset_dir in _subdirs(class_dir):
                        subset = lookup_subset(subset_dir.name)
                        if subset is None:
                            continue
                        for entry in os.scandir(subset_dir):
                            if entry.is_file():
                                loc = ImageLocation(
                                    maker_dir.name, class_dir.name, subset_dir.name, entry.name
                                )
                                index[entry.name].append(loc)
            self._index = dict(index)
        return self._index

    def locate(self, source: Path, file_name: Any, win_path: Any) -> ImageLocation:
        """Where the image lives, from maker/class/subset in ``win_path`` plus ``file_name``."""
        if not isinstance(file_name, str) or not file_name.strip():
            raise BadInputError(
                source, f"image entry has no usable file name ({file_name!r})", "bad_image_entry"
            )
        parsed = parse_image_path(win_path) if isinstance(win_path, str) else None
        if parsed is not None:
            loc = ImageLocation(parsed.maker, parsed.class_folder, parsed.subset, file_name)
            self._inside(source, file_name, loc.relative)
            if (self.root / loc.relative).is_file():
                return loc
        else:
            self._inside(source, file_name, file_name)
        hits = self.name_index().get(file_name, [])
        if len(hits) > 1:
            where = ", ".join(h.relative for h in hits[:5])
            raise BadInputError(
                source, f"image {file_name}: {len(hits)} files with this name ({where})", "ambiguous_image"
            )
        if hits:
            if parsed is not None:
                self.policy.count("images_found_by_name")
            return hits[0]
        if parsed is not None:  # let the image check report it missing at the expected place
            return loc
        raise BadInputError(
            self.root / file_name,
            f"image file not found anywhere under the dataset root (listed in {source.name})",
            "missing_image",
        )

    def _inside(self, source: Path, file_name: str, relative: str) -> None:
        try:
            resolve_inside(self.root, relative)
        except BadInputError as err:
            raise BadInputError(source, f"image {file_name}: {err.reason}", err.kind) from err
        if any(sep in file_name for sep in ("/", "\\")) or file_name in (".", ".."):
            raise BadInputError(
                source, f"image file name {file_name!r} must not contain folders", "bad_file_name"
            )

    # ------------------------------------------------------------ building samples

    def wanted(self, source: Path, loc: ImageLocation) -> str | None:
        """Clean class of the image's folder if the filters keep it, else ``None``."""
        if (self.makers and loc.maker not in self.makers) or (
            self.subsets and loc.subset not in self.subsets
        ):
            return None
        folder_class = lookup_class(loc.class_folder)
        if folder_class is None:
            raise BadInputError(
                source,
                f"image {loc.file_name}: class folder {loc.class_folder!r} is not an X-ray class",
                "unknown_class",
            )
        if self.classes and folder_class not in self.classes:
            return None
        return folder_class

    def build(
        self,
        source: Path,
        loc: ImageLocation,
        folder_class: str,
        size: tuple[Any, Any],
        objects: list[_Object],
        with_polygons: bool,
    ) -> None:
        """Validate one image and its objects; on success record the sample."""
        width, height = size
        name = loc.file_name
        if not (_is_int(width) and _is_int(height) and width > 0 and height > 0):
            raise BadInputError(
                source,
                f"image {name}: size {width!r}x{height!r} is not a positive integer size",
                "bad_image_entry",
            )
        labels, boxes, polygons = [], [], []
        for obj in objects:
            where = f"image {name}, {obj.ref}"
            label = lookup_class(obj.category) if obj.category is not None else None
            if label is None:
                shown = obj.category if obj.category is not None else f"category id {obj.raw_category!r}"
                raise BadInputError(source, f"{where}: unknown class {shown!r}", "unknown_class")
            parts = _polygons(source, where, obj.polygons) if with_polygons else None
            box = _box(source, where, obj.box, parts, width, height)
            labels.append(label)
            boxes.append(box)
            if parts is not None:
                polygons.append([np.clip(p, 0.0, [width, height]).astype(np.float32) for p in parts])
        image_path = self.root / loc.relative
        try:
            if self.verify_images:
                check_image(image_path, (width, height))
            elif not image_path.is_file():
                raise BadInputError(image_path, "image file not found", "missing_image")
        except BadInputError as err:
            raise BadInputError(err.path, f"{err.reason} (listed in {source.name})", err.kind) from err
        group = loc.relative
        if group in self.samples:
            first = self.samples[group][1].name
            raise BadInputError(source, f"image {name} is already annotated in {first}", "duplicate_image")
        sample = DetectionSample(
            image_path=image_path,
            width=width,
            height=height,
            boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
            labels=labels,
            polygons=polygons if with_polygons else None,
            group=group,
            meta={
                "maker": loc.maker,
                "class_folder": folder_class,
                "subset": loc.subset,
                "annotation_file": _relative(source, self.root),
                "file_name": name,
            },
        )
        self.samples[group] = (sample, source)
        self.policy.count("images_read")
        self.policy.count(f"images_read/{loc.maker}")
        self.policy.count("objects_read", len(labels))
        if not labels:
            self.policy.count("images_without_objects")

    # ------------------------------------------------------------ the two annotation formats

    def read_coco_file(self, source: Path) -> None:
        data = read_coco(source)
        self.policy.count("annotation_files_read")
        categories = {c["id"]: str(c["name"]) for c in data["categories"]}
        images = {im["id"] for im in data["images"]}
        by_image: dict[int, list[dict]] = defaultdict(list)
        for ann in data["annotations"]:
            if ann["image_id"] in images:
                by_image[ann["image_id"]].append(ann)
            else:
                self.policy.handle(
                    BadInputError(
                        source,
                        f"annotation {ann['id']} refers to image_id {ann['image_id']}, which is not listed",
                        "orphan_annotation",
                    )
                )
        for im in data["images"]:
            try:
                loc = self.locate(source, im["file_name"], im.get("path"))
                folder_class = self.wanted(source, loc)
                if folder_class is None:
                    continue
                objects = [
                    _Object(
                        f"annotation {a['id']}",
                        categories.get(a["category_id"]),
                        _xywh(a.get("bbox")),
                        _segmentation(a.get("segmentation")),
                        a["category_id"],
                    )
                    for a in by_image[im["id"]]
                ]
                self.build(
                    source, loc, folder_class, (im["width"], im["height"]), objects, with_polygons=True
                )
            except BadInputError as err:
                self.policy.handle(err)

    def read_voc_file(self, source: Path) -> None:
        ann: VocAnnotation = read_voc(source)
        self.policy.count("annotation_files_read")
        loc = self.locate(source, ann.filename, ann.path or None)
        folder_class = self.wanted(source, loc)
        if folder_class is None:
            return
        objects = [
            _Object(f"object[{i}]", o.name, [o.xmin, o.ymin, o.xmax, o.ymax])
            for i, o in enumerate(ann.objects)
        ]
        self.build(source, loc, folder_class, (ann.width, ann.height), objects, with_polygons=False)


def read_xray(
    root: str | Path,
    *,
    annotations: str = "coco",
    policy: ErrorPolicy | None = None,
    makers: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
    subsets: Sequence[str] | None = None,
    coco_glob: str = "Annotation/Train/CoCo/coco_*.json",
    voc_glob: str = "Annotation/Train/Pascal/**/*.xml",
    verify_images: bool = True,
) -> list[DetectionSample]:
    """Read every annotated image under ``root`` into ``DetectionSample`` records.

    ``annotations``: ``"coco"`` (polygons and boxes) or ``"voc"`` (boxes only). ``makers``,
    ``classes`` (clean or shipped names, matched against the image's class folder) and ``subsets``
    filter images. ``verify_images=False`` only checks that image files exist (much faster on the
    full release; truncated files and size mismatches then go unnoticed). Samples are sorted by
    their path relative to ``root`` and numbered 1..N.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"X-ray dataset root {root} is not a directory")
    if annotations not in ("coco", "voc"):
        raise ValueError(f"annotations must be 'coco' or 'voc', got {annotations!r}")
    reader = _Reader(
        root=root,
        policy=policy if policy is not None else ErrorPolicy("raise"),
        makers=_names(makers, lookup_maker, "maker", MAKERS),
        classes=_names(classes, lookup_class, "class", None),
        subsets=_names(subsets, lookup_subset, "subset", SUBSETS),
        verify_images=verify_images,
    )
    pattern = coco_glob if annotations == "coco" else voc_glob
    files = sorted(p for p in root.glob(pattern) if p.is_file())
    if not files:
        raise FileNotFoundError(f"no {annotations} annotation files match {pattern!r} under {root}")
    read_file = reader.read_coco_file if annotations == "coco" else reader.read_voc_file
    for source in files:
        try:
            read_file(source)
        except BadInputError as err:
            reader.policy.handle(err)
    samples = [reader.samples[key][0] for key in sorted(reader.samples)]
    for image_id, sample in enumerate(samples, start=1):
        sample.image_id = image_id
    return samples


# ---------------------------------------------------------------- helpers


def _names(
    values: Sequence[str] | None, lookup: Callable[[str], str | None], what: str, known: Iterable[str] | None
) -> frozenset[str] | None:
    """Normalise a filter list through ``lookup``; unknown names are a configuration error."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    out = set()
    for value in values:
        name = lookup(str(value))
        if name is None:
            hint = f"; known: {', '.join(known)}" if known else ""
            raise ValueError(f"unknown X-ray {what} {value!r}{hint}")
        out.add(name)
    return frozenset(out)


def _subdirs(path: Path) -> list[Path]:
    return sorted(Path(e.path) for e in os.scandir(path) if e.is_dir())


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _xywh(bbox: Any) -> Any:
    """COCO ``[x, y, w, h]`` -> ``[x1, y1, x2, y2]``; anything malformed passes through for _box to report."""
    if isinstance(bbox, list) and len(bbox) == 4 and all(_is_number(v) for v in bbox):
        return [bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]]
    return bbox


def _segmentation(seg: Any) -> list[Any]:
    return seg if isinstance(seg, list) else [seg]


def _polygons(source: Path, where: str, raw: list[Any] | None) -> list[np.ndarray]:
    """COCO polygon lists -> ``(K, 2)`` arrays; each needs >= 3 points and a non-zero area."""
    parts = [p for p in (raw or []) if p is not None]
    if not parts:
        raise BadInputError(source, f"{where}: no polygon (segmentation is empty)", "bad_polygon")
    out = []
    for k, part in enumerate(parts):
        if not isinstance(part, list) or not all(_is_number(v) for v in part):
            raise BadInputError(
                source,
                f"{where}: polygon {k} is not a list of numbers ({type(part).__name__})",
                "bad_polygon",
            )
        if len(part) % 2 or len(part) < 6:
            raise BadInputError(
                source, f"{where}: polygon {k} has {len(part) / 2:g} points, needs at least 3", "bad_polygon"
            )
        pts = np.asarray(part, np.float64).reshape(-1, 2)
        area = 0.5 * abs(np.dot(pts[:, 0], np.roll(pts[:, 1], 1)) - np.dot(pts[:, 1], np.roll(pts[:, 0], 1)))
        if area <= 0.0:
            raise BadInputError(source, f"{where}: polygon {k} has zero area", "bad_polygon")
        out.append(pts)
    return out


def _box(
    source: Path, where: str, box: Any, parts: list[np.ndarray] | None, width: int, height: int
) -> list[float]:
    """Validated ``[x1, y1, x2, y2]``: at most ``BOX_TOLERANCE`` px outside the image, then clipped."""
    if box is None and parts:
        pts = np.concatenate(parts)
        box = [*pts.min(axis=0), *pts.max(axis=0)]
    if not (isinstance(box, (list, tuple)) and len(box) == 4 and all(_is_number(v) for v in box)):
        raise BadInputError(source, f"{where}: box {box!r} is not four numbers", "bad_box")
    x1, y1, x2, y2 = (float(v) for v in box)
    if x2 <= x1 or y2 <= y1:
        raise BadInputError(
            source, f"{where}: box [{_fmt(box)}] (x1, y1, x2, y2) has zero area", "zero_area_box"
        )
    lo, hi = [x1, y1], [x2, y2]
    if parts:  # polygon points must respect the same bounds as the box
        pts = np.concatenate(parts)
        lo, hi = np.minimum(lo, pts.min(axis=0)).tolist(), np.maximum(hi, pts.max(axis=0)).tolist()
    if min(lo) < -BOX_TOLERANCE or hi[0] > width + BOX_TOLERANCE or hi[1] > height + BOX_TOLERANCE:
        raise BadInputError(
            source,
            f"{where}: object [{_fmt(lo + hi)}] lies outside the {width}x{height} image",
            "box_outside_image",
        )
    clipped = [
        min(max(x1, 0.0), width),
        min(max(y1, 0.0), height),
        min(max(x2, 0.0), width),
        min(max(y2, 0.0), height),
    ]
    if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
        raise BadInputError(
            source, f"{where}: box [{_fmt(box)}] has zero area inside the image", "zero_area_box"
        )
    return clipped


def _fmt(values: Iterable[Any]) -> str:
    return ", ".join(f"{float(v):g}" for v in values)
