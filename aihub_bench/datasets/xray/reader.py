"""Read the X-ray release (or its synthetic twin) into ``DetectionSample`` records.

Bad input either raises ``BadInputError`` naming the file and reason, or (``on_error="skip"``)
drops the whole image and counts it: never a single object, which would silently turn into
background for the detector. A COCO file whose structure is broken drops every image it lists
and counts each of them; a file that cannot be parsed at all is counted once (its images are
unknown) and noted in ``stats.annotation_files_dropped``.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
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
from aihub_bench.errors import BadInputError, ErrorPolicy, check_inside, resolve_inside
from aihub_bench.formats.coco import check_coco, listed_images, load_coco
from aihub_bench.formats.images import check_image, check_verify_mode, read_image_header
from aihub_bench.formats.voc import VocAnnotation, read_voc
from aihub_bench.formats.walk import walk_inside
from aihub_bench.records import DetectionSample

BOX_TOLERANCE = 1.0  # pixels a box may stick out of the image before it counts as bad
_INT64 = 2**63


@dataclass
class _Object:
    """One annotated object before validation; ``ref`` says where it came from, for messages."""

    ref: str
    category: str | None  # shipped name, None when the category id is unknown
    box: Any = None  # as written (COCO xywh or VOC corners), or None to derive from the polygons
    polygons: list[Any] | None = None
    raw_category: Any = None
    box_format: str = "xyxy"  # "xywh" (COCO bbox) or "xyxy" (VOC corners)


@dataclass(frozen=True)
class BoxCheck:
    """How far a COCO ``bbox`` may disagree with its own polygon's bounds.

    A bbox is refused when some edge lies more than ``tolerance`` px from the polygon's bounds
    *and* the two boxes overlap with IoU below ``min_iou``; ``tolerance=None`` turns the check off.
    """

    tolerance: float | None = 2.0
    min_iou: float = 0.5


@dataclass
class _Reader:
    root: Path
    policy: ErrorPolicy
    makers: frozenset[str] | None
    classes: frozenset[str] | None
    subsets: frozenset[str] | None
    verify_images: str
    allow_outside_links: bool = False
    box_check: BoxCheck = field(default_factory=BoxCheck)
    samples: dict[str, tuple[DetectionSample, Path]] = field(default_factory=dict)
    outside_folders: list[Path] = field(default_factory=list)
    _index: dict[str, list[ImageLocation]] | None = None

    # ------------------------------------------------------------ locating images

    def name_index(self) -> dict[str, list[ImageLocation]]:
        """File name -> locations in ``<Maker>/<Class>/<Subset>/``; built once, on first need.

        A folder linked outside the root is not entered, only noted (``outside_folders``): it is
        named when an image is not found, and images listed at a path through it are refused.
        """
        if self._index is None:
            index: dict[str, list[ImageLocation]] = defaultdict(list)
            walk = walk_inside(
                self.root,
                self.policy,
                allow_outside_links=self.allow_outside_links,
                on_outside_link=lambda err: self.outside_folders.append(Path(err.path)),
            )
            for folder, dirs, files in walk:
                parts = folder.relative_to(self.root).parts
                if not parts:
                    dirs[:] = [d for d in dirs if lookup_maker(d) is not None]
                elif len(parts) == 2:
                    dirs[:] = [d for d in dirs if lookup_subset(d) is not None]
                elif len(parts) == 3:
                    dirs.clear()
                    for name in files:
                        index[name].append(ImageLocation(parts[0], parts[1], parts[2], name))
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
        unwalked = ""
        if self.outside_folders:
            shown = ", ".join(_relative(p, self.root) for p in self.outside_folders[:3])
            unwalked = (
                f"; not searched: {len(self.outside_folders)} folder(s) linked outside the root ({shown})"
            )
        raise BadInputError(
            self.root / file_name,
            f"image file not found anywhere under the dataset root (listed in {source.name}){unwalked}",
            "missing_image",
        )

    def _inside(self, source: Path, file_name: str, relative: str) -> None:
        try:
            resolve_inside(self.root, relative, self.allow_outside_links)
        except BadInputError as err:
            if err.kind == "link_outside_root":  # the culprit is the link on disk, not the name
                raise BadInputError(err.path, f"{err.reason} (listed in {source.name})", err.kind) from err
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
            box = _box(source, where, obj, parts, (width, height), self.box_check)
            labels.append(label)
            boxes.append(box)
            if parts is not None:
                polygons.append([np.clip(p, 0.0, [width, height]).astype(np.float32) for p in parts])
        image_path = self.root / loc.relative
        try:
            check_inside(self.root, image_path, self.allow_outside_links)
            _verify_image(image_path, self.verify_images, (width, height))
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

    def drop_file(self, err: BadInputError, images: int | None) -> None:
        """Raise ``err``, or count the whole annotation file as dropped: once per image it lists."""
        if images:
            reason = f"{err.reason}; the whole file is dropped with the {images} image(s) it lists"
            err = BadInputError(err.path, reason, err.kind)
        # one example in the report, but the count is in images, the unit that goes
        self.policy.handle(err, units=images or 1)
        if images:
            self.policy.count("images_dropped_with_file", images)
        self.policy.count("annotation_files_dropped")

    def read_coco_file(self, source: Path) -> None:
        data = load_coco(source)
        try:
            check_coco(source, data)
        except BadInputError as err:
            self.drop_file(err, listed_images(data))
            return
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
                        a.get("bbox"),
                        a.get("segmentation"),
                        a["category_id"],
                        box_format="xywh",
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
    verify_images: str = "full",
    allow_outside_links: bool = False,
    bbox_polygon_tolerance: float | None = 2.0,
    bbox_polygon_min_iou: float = 0.5,
) -> list[DetectionSample]:
    """Read every annotated image under ``root`` into ``DetectionSample`` records.

    ``annotations``: ``"coco"`` (polygons and boxes) or ``"voc"`` (boxes only). ``makers``,
    ``classes`` (clean or shipped names, matched against the image's class folder) and ``subsets``
    filter images. ``verify_images``: ``full`` (decode every image: truncation is caught),
    ``header`` (read only each header: much faster on the full release; a wrong size or a
    decompression bomb is still caught, a truncated file is not) or ``none`` (the file exists).
    ``allow_outside_links`` accepts symbolic links whose target lies outside ``root``.
    A COCO ``bbox`` must match its polygon's bounds (see ``BoxCheck``): within
    ``bbox_polygon_tolerance`` px per edge (``None``: no check) or with IoU at least
    ``bbox_polygon_min_iou``. Samples are sorted by their path relative to ``root`` and
    numbered 1..N.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"X-ray dataset root {root} is not a directory")
    if annotations not in ("coco", "voc"):
        raise ValueError(f"annotations must be 'coco' or 'voc', got {annotations!r}")
    check_verify_mode(verify_images)
    if bbox_polygon_tolerance is not None and not bbox_polygon_tolerance >= 0:
        raise ValueError(f"bbox_polygon_tolerance must be >= 0 or None, got {bbox_polygon_tolerance!r}")
    if not 0.0 <= bbox_polygon_min_iou <= 1.0:
        raise ValueError(f"bbox_polygon_min_iou must be in [0, 1], got {bbox_polygon_min_iou!r}")
    reader = _Reader(
        root=root,
        policy=policy if policy is not None else ErrorPolicy("raise"),
        makers=_names(makers, lookup_maker, "maker", MAKERS),
        classes=_names(classes, lookup_class, "class", None),
        subsets=_names(subsets, lookup_subset, "subset", SUBSETS),
        verify_images=verify_images,
        allow_outside_links=allow_outside_links,
        box_check=BoxCheck(bbox_polygon_tolerance, bbox_polygon_min_iou),
    )
    pattern = coco_glob if annotations == "coco" else voc_glob
    files = _annotation_files(root, pattern, reader.policy, allow_outside_links)
    if not files:
        raise FileNotFoundError(f"no {annotations} annotation files match {pattern!r} under {root}")
    read_file = reader.read_coco_file if annotations == "coco" else reader.read_voc_file
    for source in files:
        try:
            check_inside(root, source, allow_outside_links)
            read_file(source)
        except BadInputError as err:
            if annotations == "coco":
                reader.drop_file(err, None)  # images unknown: the file was refused or unparsable
            else:
                reader.policy.handle(err)  # one VOC file is one image
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


def _annotation_files(root: Path, pattern: str, policy: ErrorPolicy, allow_outside_links: bool) -> list[Path]:
    """Files matching ``pattern``; a ``**`` component is walked with ``walk_inside``.

    pathlib's ``**`` never enters a linked folder (Python < 3.13), which would drop its files
    silently. Here the folders below the part before ``**`` are walked by the link policy: a linked
    folder is searched when its target stays inside the root (or outside links are allowed), else
    refused as ``link_outside_root``. What follows ``**`` is matched against the path below it (one
    ``**`` per pattern). Files reached twice through links are read once.
    """
    parts = pattern.split("/")
    if "**" not in parts:
        files = [p for p in root.glob(pattern) if p.is_file()]
    else:
        at = parts.index("**")
        head, tail = "/".join(parts[:at]), "/".join(parts[at + 1 :])
        if "**" in parts[at + 1 :] or not tail:
            raise ValueError(f"annotation glob {pattern!r}: use one '**', followed by a file pattern")
        files = []
        for base in root.glob(head) if head else [root]:
            walk = walk_inside(
                root, policy, allow_outside_links=allow_outside_links, top=base, contents="annotation files"
            )
            for folder, _dirs, names in walk:
                below = folder.relative_to(base)
                files += [folder / n for n in names if PurePosixPath(below.as_posix(), n).match(tail)]
    unique = {os.path.realpath(p): p for p in sorted(files, reverse=True)}  # the first name wins
    return sorted(unique.values())


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """A finite int or float; ints beyond 64 bits are refused (``math.isfinite`` would overflow)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -_INT64 <= value < _INT64
    return isinstance(value, float) and math.isfinite(value)


def _verify_image(path: Path, mode: str, size: tuple[int, int]) -> None:
    """Check the image per ``verify_images``: it exists (``none``), its header opens and has the
    annotated size (``header``: bombs refused), or every pixel decodes too (``full``)."""
    if mode == "full":
        check_image(path, size)
        return
    if mode == "none":
        if not path.is_file():
            raise BadInputError(path, "image file not found", "missing_image")
        return
    found = read_image_header(path)
    if found != tuple(size):
        raise BadInputError(
            path,
            f"image is {found[0]}x{found[1]} but annotation says {size[0]}x{size[1]}",
            "size_mismatch",
        )


def _polygons(source: Path, where: str, raw: Any) -> list[np.ndarray]:
    """COCO polygon lists -> ``(K, 2)`` arrays; each needs >= 3 points and a non-zero area."""
    if raw is None or raw == []:
        raise BadInputError(source, f"{where}: no polygon (segmentation is {raw!r})", "bad_polygon")
    parts = raw if isinstance(raw, list) else [raw]  # an RLE dict is reported as a non-polygon part
    out = []
    for k, part in enumerate(parts):
        if part is None:
            raise BadInputError(
                source, f"{where}: polygon {k} is null (of {len(parts)} segmentation parts)", "bad_polygon"
            )
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


def _corners(source: Path, where: str, obj: _Object, parts: list[np.ndarray] | None) -> list[float]:
    """The object's ``[x1, y1, x2, y2]`` as annotated (from the polygons when there is no box)."""
    box = obj.box
    if box is None and parts:
        pts = np.concatenate(parts)
        return [*pts.min(axis=0).tolist(), *pts.max(axis=0).tolist()]
    if not (isinstance(box, (list, tuple)) and len(box) == 4 and all(_is_number(v) for v in box)):
        raise BadInputError(source, f"{where}: box {box!r} is not four numbers", "bad_box")
    a, b, c, d = (float(v) for v in box)
    if obj.box_format == "xywh":
        if c < 0 or d < 0:
            raise BadInputError(
                source, f"{where}: bbox [{_fmt(box)}] (x, y, w, h) has a negative width or height", "bad_box"
            )
        return [a, b, a + c, b + d]
    if a > c or b > d:
        swapped = " and ".join(n for n, bad in (("xmin > xmax", a > c), ("ymin > ymax", b > d)) if bad)
        raise BadInputError(
            source,
            f"{where}: box [{_fmt(box)}] (xmin, ymin, xmax, ymax) has swapped corners ({swapped})",
            "swapped_corners",
        )
    return [a, b, c, d]


def _box(
    source: Path,
    where: str,
    obj: _Object,
    parts: list[np.ndarray] | None,
    size: tuple[int, int],
    check: BoxCheck,
) -> list[float]:
    """Validated ``[x1, y1, x2, y2]``: at most ``BOX_TOLERANCE`` px outside the image, then clipped."""
    width, height = size
    box = _corners(source, where, obj, parts)
    x1, y1, x2, y2 = box
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
    if obj.box is not None and parts:
        _match_polygon(source, where, box, parts, check)
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


def _match_polygon(
    source: Path, where: str, box: list[float], parts: list[np.ndarray], check: BoxCheck
) -> None:
    """Refuse a bbox that is not where its own polygon is (see ``BoxCheck``)."""
    if check.tolerance is None:
        return
    pts = np.concatenate(parts)
    bounds = [*pts.min(axis=0).tolist(), *pts.max(axis=0).tolist()]
    gap = max(abs(a - b) for a, b in zip(box, bounds, strict=True))
    if gap <= check.tolerance:
        return
    iou = _iou(box, bounds)
    if iou < check.min_iou:
        raise BadInputError(
            source,
            f"{where}: bbox [{_fmt(box)}] does not match its polygon's bounds [{_fmt(bounds)}] "
            f"(edges up to {gap:g} px apart, IoU {iou:.2f} < {check.min_iou:g})",
            "bbox_polygon_mismatch",
        )


def _iou(a: list[float], b: list[float]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _fmt(values: Iterable[Any]) -> str:
    return ", ".join(f"{float(v):g}" for v in values)
