"""Reader of the 인도 보행 (sidewalk) box and polygon sub-datasets: CVAT XML -> detection samples.

Every task XML of the chosen sub-dataset under the root is read through
:func:`aihub_bench.formats.cvat.read_cvat`; its ``<image name=...>`` entries are matched to image
files by name (next to the XML first, else anywhere under the root), never by id or position. Polygons
of one object that share a ``group_id`` become one instance with several parts. The optional
environment CSV adds each image's conditions (day/night, weather, capture time) to ``meta`` for
per-condition results.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import numpy as np

from aihub_bench.datasets.sidewalk.layout import CLASSES, IMAGE_PATTERN, SUBSETS, XML_PATTERN, parse_name
from aihub_bench.errors import BadInputError, ErrorPolicy, check_inside, resolve_inside
from aihub_bench.formats.cvat import CvatImage, CvatShape, task_images
from aihub_bench.formats.images import check_verify_mode, verify_image
from aihub_bench.formats.walk import file_inside, walk_inside
from aihub_bench.records import DetectionSample

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
#: CSV column -> meta key (the twin's columns; [A] the release's are configurable).
DEFAULT_ENVIRONMENT_COLUMNS = {"daynight": "day_night", "weather": "weather", "datetime": "capture_time"}


@dataclass(frozen=True)
class _Options:
    root: Path
    policy: ErrorPolicy
    subset: str
    classes: frozenset[str]
    merge_groups: bool
    verify_images: str
    allow_outside_links: bool


def read_sidewalk(
    root: str | Path,
    policy: ErrorPolicy | None = None,
    *,
    subset: str = "bbox",
    classes: Sequence[str] | None = None,
    merge_groups: bool = True,
    image_pattern: str = IMAGE_PATTERN,
    xml_pattern: str = XML_PATTERN,
    environment_csv: str | None = "*environment*.csv",
    environment_key: str = "image",
    environment_columns: Mapping[str, str] | None = None,
    verify_images: str = "header",
    allow_outside_links: bool = False,
) -> list[DetectionSample]:
    """Samples of sub-dataset ``subset`` (``bbox`` or ``polygon``) under ``root``, sorted by image name.

    ``classes``: keep only these labels (others are counted, not kept; default every class of the
    subset). ``merge_groups``: polygons sharing a ``group_id`` are one object (false: each polygon is
    its own). ``image_pattern`` / ``xml_pattern``: regexes of the release's file names (groups
    ``subset``, ``sequence``, ``frame``/``part``); the sequence is the split's leakage unit.
    ``environment_csv``: a glob (relative to ``root``) of the conditions CSV, or null;
    ``environment_key`` its column holding the image file name; ``environment_columns`` maps its
    columns to meta keys. ``verify_images``: ``none`` | ``header`` (size checked against the XML) |
    ``full`` (decodes every image).
    """
    policy = policy or ErrorPolicy("raise")
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {list(SUBSETS)}, got {subset!r}")
    check_verify_mode(verify_images)
    unknown = sorted(set(classes or ()) - set(CLASSES[subset]))
    if unknown:
        raise ValueError(f"classes {unknown} are not {subset} classes; known: {', '.join(CLASSES[subset])}")
    opts = _Options(
        Path(root),
        policy,
        subset,
        frozenset(classes or CLASSES[subset]),
        merge_groups,
        verify_images,
        allow_outside_links,
    )
    xmls, images, csvs = _list_files(opts, xml_pattern, environment_csv)
    if not xmls:
        raise FileNotFoundError(f"no {subset} annotation XML matching {xml_pattern!r} under {root}")
    columns = environment_columns or DEFAULT_ENVIRONMENT_COLUMNS
    # None: no CSV asked for; {} : none found or none readable (every image's conditions "unknown")
    environment = _read_environment(opts, csvs, environment_key, columns) if environment_csv else None
    samples: list[DetectionSample] = []
    seen: set[str] = set()
    for xml, entry in task_images(xmls, policy, set(CLASSES[subset]), seen):
        xml_name = parse_name(xml.name, xml_pattern)
        try:
            path = find_listed_image(opts.root, xml, entry.name, images, opts.allow_outside_links)
            sample = _sample(opts, path, entry, xml_name.sequence if xml_name else xml.stem, image_pattern)
        except BadInputError as err:
            policy.handle(err)
            continue
        if environment is not None:
            conditions = environment.get(Path(entry.name).name)
            if conditions is None:
                policy.count("images_without_environment")
            sample.meta.update(conditions or dict.fromkeys(columns.values(), "unknown"))
        samples.append(sample)
    _count_unlisted_images(opts, images, seen, image_pattern)
    samples.sort(key=lambda s: s.image_path.name)
    for i, s in enumerate(samples):
        s.image_id = i + 1
    return samples


def _list_files(
    opts: _Options, xml_pattern: str, environment_csv: str | None
) -> tuple[list[Path], dict[str, list[Path]], list[Path]]:
    """The subset's XMLs (sorted), every image under the root by file name, and the environment CSVs
    (files whose path relative to the root, or name, matches the glob ``environment_csv``).

    One walk for all three, so a refused folder link is counted once. An XML or CSV linked outside
    the root is refused here (images are checked when an XML names them)."""
    xmls: list[Path] = []
    images: dict[str, list[Path]] = {}
    csvs: list[Path] = []
    pattern = (environment_csv or "").lower()
    for folder, _dirs, files in walk_inside(
        opts.root, opts.policy, allow_outside_links=opts.allow_outside_links, contents="annotations"
    ):
        for name in files:
            lower = name.lower()
            path = folder / name
            if lower.endswith(".xml"):
                parsed = parse_name(name, xml_pattern)
                if parsed is not None and parsed.subset == opts.subset:
                    if file_inside(opts.root, path, opts.policy, opts.allow_outside_links):
                        xmls.append(path)
                elif parsed is None and not name.startswith("."):
                    opts.policy.count("xml_files_not_matching_xml_pattern")
            elif lower.endswith(IMAGE_SUFFIXES):
                images.setdefault(name, []).append(path)
            elif pattern and (
                fnmatchcase(str(path.relative_to(opts.root)).lower(), pattern) or fnmatchcase(lower, pattern)
            ):
                if file_inside(opts.root, path, opts.policy, opts.allow_outside_links):
                    csvs.append(path)
    return sorted(xmls), images, sorted(csvs)


def _count_unlisted_images(
    opts: _Options, images: Mapping[str, list[Path]], listed: set[str], image_pattern: str
) -> None:
    """Count the subset's image files that no (readable) XML lists: a lost task XML shows here."""
    unlisted = 0
    for name, paths in images.items():
        parsed = parse_name(name, image_pattern)
        if name not in listed and parsed is not None and parsed.subset == opts.subset:
            unlisted += len(paths)
    if unlisted:
        opts.policy.count("images_not_listed_in_any_xml", unlisted)


def find_listed_image(
    root: Path, xml: Path, name: str, images: Mapping[str, list[Path]], allow_outside_links: bool
) -> Path:
    """The file an XML's ``<image name>`` refers to: relative to the XML's folder, else found by file
    name in ``images`` (file name -> paths under ``root``); also used by the surface reader."""
    try:
        beside = resolve_inside(root, xml.parent.relative_to(root) / name, allow_outside_links)
    except BadInputError as err:
        if err.kind != "path_escape":  # a link leading outside: the error names the link
            raise
        raise BadInputError(xml, f"image {name!r}: {err.reason}", err.kind) from err
    if beside.is_file():
        return beside
    found = images.get(Path(name).name, [])
    if len(found) == 1:
        check_inside(root, found[0], allow_outside_links)
    if len(found) > 1:
        others = ", ".join(str(p.relative_to(root)) for p in found[:3])
        raise BadInputError(
            xml,
            f"image {name!r} is ambiguous: several files have its name ({others})",
            "ambiguous_image",
        )
    if not found:
        raise BadInputError(
            beside,
            f"image listed in {xml.name} but missing (nor found elsewhere under the root)",
            "missing_image",
        )
    return found[0]


def _sample(
    opts: _Options, path: Path, entry: CvatImage, xml_sequence: str, image_pattern: str
) -> DetectionSample:
    size = verify_image(path, opts.verify_images)
    if size is not None and size != (entry.width, entry.height):
        raise BadInputError(
            path, f"image is {size[0]}x{size[1]}, its XML says {entry.width}x{entry.height}", "size_mismatch"
        )
    name = parse_name(path.name, image_pattern)
    if name is None:
        opts.policy.count("images_not_matching_image_pattern")
    sequence = name.sequence if name else xml_sequence
    boxes, labels, polygons, occluded = _objects(opts, entry.shapes)
    if not labels:
        opts.policy.count("images_without_objects")
    counts = Counter(labels)
    return DetectionSample(
        image_path=path,
        width=entry.width,
        height=entry.height,
        boxes=np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        labels=labels,
        polygons=polygons if opts.subset == "polygon" else None,
        group=f"{opts.subset}_{sequence}",
        meta={
            "subset": opts.subset,
            "sequence": sequence,
            "frame": name.number if name else 0,
            # the stratum: the image's most frequent class (the rarer name on a tie)
            "class": min(counts, key=lambda c: (-counts[c], c)) if counts else "none",
            "occluded_objects": occluded,
        },
    )


def _objects(
    opts: _Options, shapes: Sequence[CvatShape]
) -> tuple[list[list[float]], list[str], list[list[np.ndarray]], int]:
    """Boxes, labels, polygon parts and the number of occluded objects, in z_order."""
    objects: dict[tuple[str, int | None] | int, list[CvatShape]] = {}
    for i, shape in enumerate(sorted(shapes, key=lambda s: s.z_order)):
        if shape.label not in opts.classes:
            opts.policy.count("objects_of_other_classes")
            continue
        if shape.kind != ("box" if opts.subset == "bbox" else "polygon"):
            opts.policy.count(f"{shape.kind}_shapes_in_{opts.subset}_subset")
            continue
        grouped = opts.merge_groups and shape.group_id is not None
        key: tuple[str, int | None] | int = (shape.label, shape.group_id) if grouped else i
        objects.setdefault(key, []).append(shape)
    boxes, labels, polygons = [], [], []
    occluded = 0
    for key, parts in objects.items():
        if isinstance(key, tuple):
            opts.policy.count("polygon_parts_merged", len(parts) - 1)
        points = np.asarray([p for shape in parts for p in shape.points], dtype=np.float32)
        boxes.append([*points.min(axis=0), *points.max(axis=0)])
        labels.append(parts[0].label)
        polygons.append([np.asarray(shape.points, dtype=np.float32) for shape in parts])
        occluded += any(shape.occluded for shape in parts)
    return boxes, labels, polygons, occluded


def _read_environment(
    opts: _Options, found: Sequence[Path], key: str, columns: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """Image file name -> conditions, from the environment CSVs ``found``; none found is counted
    (per-condition results then show ``unknown``), a CSV that cannot be read goes to the policy."""
    if not found:
        opts.policy.count("environment_csv_missing")
        return {}
    table: dict[str, dict[str, str]] = {}
    for path in found:
        try:
            table.update(_read_environment_csv(path, key, columns))
        except BadInputError as err:
            opts.policy.handle(err)  # no image goes: they keep no (or another CSV's) conditions
    return table


def _read_environment_csv(path: Path, key: str, columns: Mapping[str, str]) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = csv.DictReader(f)
        try:
            header = rows.fieldnames or []
            missing = [c for c in (key, *columns) if c not in header]
            if missing:
                raise BadInputError(
                    path, f"environment CSV lacks columns {missing}; it has {header}", "bad_csv"
                )
            for row in rows:
                table[Path((row[key] or "").strip()).name] = {
                    meta: (row[c] or "").strip() for c, meta in columns.items()
                }
        except UnicodeDecodeError as err:
            raise BadInputError(path, f"environment CSV is not UTF-8 text: {err}", "bad_csv") from err
        except csv.Error as err:
            raise BadInputError(path, f"environment CSV line {rows.line_num}: {err}", "bad_csv") from err
    return table
