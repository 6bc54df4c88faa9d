"""CVAT for images 1.1 XML: read with defusedxml (no DTDs, no entities), write as CVAT writes it.

A CVAT export looks like this (CVAT's own dumper, 2019 to today)::

    <annotations>
      <version>1.1</version>
      <meta>
        <task><id/><name/><size/><mode/>… <labels><label><name>car</name><color>#fa3253</color>
          <attributes><attribute><name/><mutable/><input_type/><default_value/><values>a\\nb</values>
          </attribute></attributes></label></labels> … </task>
        <dumped/>
      </meta>
      <image id="7" name="a.jpg" width="1920" height="1080">
        <box label="car" occluded="0" xtl="1.00" ytl="2.00" xbr="30.00" ybr="40.00" z_order="0">
          <attribute name="kind">sedan</attribute>
        </box>
        <polygon label="sidewalk" occluded="0" points="1.00,2.00;…" z_order="1" group_id="3"/>
      </image>
    </annotations>

Reading is tolerant of what real exports vary in: unknown elements are ignored, labels may sit under
``<meta><task>``, ``<meta><project>`` or ``<meta><job>``, label attributes may be structured or in
CVAT 0.x's one-line form (``@select=name:a,b``), and ``occluded``/``z_order``/``group_id`` default to
0/0/none. Image ids need not start at 0 and ``meta/size`` need not match the images present: key
images by name (``images_by_name``).

Bad input: a file that cannot be used at all (missing, unsafe or malformed XML, not CVAT, a broken
label list) always raises ``BadInputError``. A bad image entry or shape goes through the
``ErrorPolicy``: raised, or skipped and counted. By default a bad shape drops its whole image (a
detection target or mask missing one object teaches the model wrong labels); ``drop="shape"`` drops
only the shape. Geometry rules:

- a box or polygon whose bounding rectangle does not overlap the image (zero overlap area) is bad
  (``shape_outside_image``);
- a box partly outside is clipped to the image, counted in ``stats.boxes_clipped_to_image``;
- a polygon partly outside is kept as written (a rasteriser clips it exactly; clamping its vertices
  would change its shape), counted in ``stats.polygons_partly_outside_image``;
- other annotations (polylines, points, tags, …) are not read; each is counted in
  ``stats.shapes_ignored_<tag>``.
"""

from __future__ import annotations

import csv
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.etree.ElementTree import Element

from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.safe_xml import parse_xml_root

CVAT_VERSION = "1.1"
ShapeKind = Literal["box", "polygon"]
DropUnit = Literal["image", "shape"]
SHAPE_KINDS: tuple[ShapeKind, ...] = ("box", "polygon")
_BAD_SHAPE_KIND = {"box": "bad_box", "polygon": "bad_polygon"}
# CVAT 0.x stored a label attribute as one line: "@select=name:a,b" (@ immutable, ~ mutable).
_LEGACY_ATTRIBUTE = re.compile(r"^[~@](\w+)=(\w+):(.*)$", re.DOTALL)
_TRUE_FLAGS = {"1", "true"}
_FALSE_FLAGS = {"0", "false"}


@dataclass
class CvatLabel:
    """A label of the task, with its attributes' allowed values (``{"attribute": ["a", "b"]}``)."""

    name: str
    color: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class CvatShape:
    """A ``<box>`` (points: top-left and bottom-right corners) or ``<polygon>`` in pixels."""

    kind: ShapeKind
    label: str
    points: tuple[tuple[float, float], ...]
    occluded: bool = False
    z_order: int = 0
    group_id: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class CvatImage:
    """One ``<image>``; ``id`` is CVAT's frame number, not a position (key images by ``name``)."""

    id: int
    name: str
    width: int
    height: int
    shapes: list[CvatShape] = field(default_factory=list)


@dataclass
class CvatTask:
    """A whole file: label list, images, and the task's plain ``<meta>`` fields (``id``, ``name``,
    ``size``, …, as strings; ``dumped`` is ``<meta><dumped>``)."""

    labels: list[CvatLabel] = field(default_factory=list)
    images: list[CvatImage] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)


def task_meta(name: str, size: int, task_id: int = 1) -> dict[str, str]:
    """The leading ``<meta><task>`` fields CVAT writes, for a file made from scratch (a twin)."""
    return {
        "id": str(task_id),
        "name": name,
        "size": str(size),
        "mode": "annotation",
        "overlap": "0",
        "bugtracker": "",
    }


def images_by_name(task: CvatTask) -> dict[str, CvatImage]:
    """The task's images keyed by file name (ids and positions are not reliable keys)."""
    names = Counter(image.name for image in task.images)
    repeated = sorted(name for name, n in names.items() if n > 1)
    if repeated:
        raise ValueError(f"image names listed more than once: {repeated[:5]}")
    return {image.name: image for image in task.images}


def task_images(
    xmls: Iterable[Path], policy: ErrorPolicy, known_labels: Collection[str], listed: set[str]
) -> Iterator[tuple[Path, CvatImage]]:
    """Every ``<image>`` of a release's task XMLs as ``(xml, entry)``, each file name once.

    An XML that cannot be used at all goes through ``policy`` and is counted in
    ``stats.annotation_files_dropped`` (its images are unknown); an image a second XML lists again is
    ``duplicate_image`` through ``policy``. ``listed`` collects the file names yielded, so a caller can
    count the images no XML lists."""
    for xml in xmls:
        try:
            task = read_cvat(xml, policy, known_labels=known_labels)
        except BadInputError as err:
            policy.handle(err)
            policy.count("annotation_files_dropped")
            continue
        for entry in task.images:
            key = Path(entry.name).name
            if key in listed:
                policy.handle(
                    BadInputError(
                        xml, f"image {entry.name!r} is listed by another XML too", "duplicate_image"
                    )
                )
                continue
            listed.add(key)
            yield xml, entry


# ---------------------------------------------------------------- reading


@dataclass
class _Context:
    """What every image and shape check needs: the file, the policy and the allowed labels."""

    path: Path
    policy: ErrorPolicy
    declared_labels: set[str]
    known_labels: Collection[str] | None
    drop: DropUnit


def read_cvat(
    path: str | Path,
    policy: ErrorPolicy | None = None,
    known_labels: Collection[str] | None = None,
    drop: DropUnit = "image",
) -> CvatTask:
    """Parse a CVAT for images 1.1 file.

    A shape's label must be declared in the file's label list (when it has one) and be one of
    ``known_labels`` (when given). Bad images and shapes go through ``policy`` (default: raise); with
    ``on_error=skip`` a bad shape drops its image (``drop="image"``) or only itself
    (``drop="shape"``), counted under its kind. An image name listed twice drops every entry of it.
    """
    path = Path(path)
    policy = policy if policy is not None else ErrorPolicy()
    root = _parse(path)
    meta_node = root.find("meta")
    image_nodes = root.findall("image")
    _check_is_cvat(path, root, meta_node, image_nodes)
    owner = _meta_owner(meta_node)
    labels = _read_labels(path, owner)
    ctx = _Context(path, policy, {label.name for label in labels}, known_labels, drop)
    tracks = len(root.findall("track"))
    if tracks:
        policy.count("shapes_ignored_track", tracks)
    return CvatTask(labels=labels, images=_read_images(ctx, image_nodes), meta=_read_meta(meta_node, owner))


def _parse(path: Path) -> Element:
    return parse_xml_root(path, refusal="a CVAT file has no DTD, entities or external references")


def _check_is_cvat(path: Path, root: Element, meta: Element | None, images: list[Element]) -> None:
    if root.tag != "annotations":
        raise BadInputError(
            path, f"not a CVAT XML file: root element is <{root.tag}>, expected <annotations>", "not_cvat"
        )
    version = (root.findtext("version") or "").strip()
    if version and version.split(".")[0] != "1":
        raise BadInputError(
            path, f"CVAT XML version {version!r} is not supported (expected {CVAT_VERSION})", "not_cvat"
        )
    if not images and root.find("track") is not None:
        raise BadInputError(
            path, "this is CVAT for video (<track> elements), not CVAT for images", "not_cvat"
        )
    if meta is None and not images:
        raise BadInputError(
            path, "not a CVAT XML file: <annotations> has neither <meta> nor <image>", "not_cvat"
        )


def _meta_owner(meta: Element | None) -> Element | None:
    """The element holding the labels: ``<task>``, or ``<project>``/``<job>`` in other exports."""
    if meta is None:
        return None
    for tag in ("task", "project", "job"):
        node = meta.find(tag)
        if node is not None:
            return node
    return None


def _read_meta(meta: Element | None, owner: Element | None) -> dict[str, str]:
    fields = {}
    if owner is not None:
        fields = {
            child.tag: (child.text or "").strip()
            for child in owner
            if len(child) == 0 and child.tag != "labels"
        }
    dumped = meta.find("dumped") if meta is not None else None
    if dumped is not None:
        fields["dumped"] = (dumped.text or "").strip()
    return fields


def _read_labels(path: Path, owner: Element | None) -> list[CvatLabel]:
    labels_node = owner.find("labels") if owner is not None else None
    if labels_node is None:
        return []
    labels: list[CvatLabel] = []
    for index, node in enumerate(labels_node.findall("label")):
        name = (node.findtext("name") or "").strip()
        if not name:
            raise BadInputError(path, f"meta: label #{index} has no <name>", "malformed_xml")
        if any(label.name == name for label in labels):
            raise BadInputError(path, f"meta: label {name!r} is declared twice", "malformed_xml")
        specs = node.find("attributes")
        attributes = dict(
            _read_attribute_spec(path, name, spec) for spec in (specs if specs is not None else [])
        )
        labels.append(CvatLabel(name, (node.findtext("color") or "").strip(), attributes))
    return labels


def _read_attribute_spec(path: Path, label: str, spec: Element) -> tuple[str, list[str]]:
    name = spec.findtext("name")
    if name is not None and name.strip():
        lines = (spec.findtext("values") or "").split("\n")
        return name.strip(), [value.strip() for value in lines if value.strip()]
    text = (spec.text or "").strip()
    legacy = _LEGACY_ATTRIBUTE.match(text)
    if legacy is None:
        raise BadInputError(
            path,
            f"meta: label {label!r} has an attribute {text!r} with neither a <name> nor the '@select=name:a,b' form",
            "malformed_xml",
        )
    values_text = legacy.group(3)
    values = next(csv.reader([values_text], quotechar="'")) if values_text else []
    return legacy.group(2), [value.strip() for value in values]


def _read_images(ctx: _Context, nodes: list[Element]) -> list[CvatImage]:
    names = Counter(node.get("name") for node in nodes)
    reported: set[str] = set()
    images: list[CvatImage] = []
    for node in nodes:
        name = node.get("name")
        if name and names[name] > 1:
            if name not in reported:
                reported.add(name)
                err = BadInputError(
                    ctx.path,
                    f"image {name!r} is listed {names[name]} times; cannot tell which entry is right",
                    "duplicate_image",
                )
                ctx.policy.handle(err, units=names[name])
            continue
        try:
            images.append(_read_image(ctx, node))
        except BadInputError as err:
            ctx.policy.handle(err)
    return images


def _read_image(ctx: _Context, node: Element) -> CvatImage:
    name = node.get("name") or ""
    if not name.strip():
        raise BadInputError(ctx.path, f"<image id={node.get('id')!r}> has no name", "bad_image_entry")
    where = f"image {name!r}"
    image_id = _int_attribute(ctx.path, node, "id", where, "bad_image_entry")
    width = _int_attribute(ctx.path, node, "width", where, "bad_image_entry")
    height = _int_attribute(ctx.path, node, "height", where, "bad_image_entry")
    if image_id is None or width is None or height is None or width <= 0 or height <= 0:
        raise BadInputError(
            ctx.path,
            f"{where}: needs an id and a positive width and height, got id={node.get('id')!r} "
            f"width={node.get('width')!r} height={node.get('height')!r}",
            "bad_image_entry",
        )
    image = CvatImage(image_id, name, width, height)
    for index, child in enumerate(node):
        if child.tag not in SHAPE_KINDS:
            ctx.policy.count(f"shapes_ignored_{child.tag}")
            continue
        try:
            image.shapes.append(_read_shape(ctx, image, child, f"{where}: {child.tag} #{index}"))
        except BadInputError as err:
            if ctx.drop == "image":
                raise
            ctx.policy.handle(err)
    return image


def _read_shape(ctx: _Context, image: CvatImage, node: Element, where: str) -> CvatShape:
    kind: ShapeKind = "box" if node.tag == "box" else "polygon"
    bad = _BAD_SHAPE_KIND[kind]
    label = (node.get("label") or "").strip()
    if not label:
        raise BadInputError(ctx.path, f"{where} has no label", bad)
    where = f"{where} ({label})"
    if ctx.declared_labels and label not in ctx.declared_labels:
        raise BadInputError(
            ctx.path, f"{where}: label {label!r} is not declared in the file's <labels>", "unknown_class"
        )
    if ctx.known_labels is not None and label not in ctx.known_labels:
        raise BadInputError(
            ctx.path, f"{where}: label {label!r} is not one of the dataset's labels", "unknown_class"
        )
    occluded = (node.get("occluded") or "0").strip().lower()
    if occluded not in _TRUE_FLAGS | _FALSE_FLAGS:
        raise BadInputError(ctx.path, f"{where}: occluded={occluded!r} is not 0 or 1", bad)
    group_id = _int_attribute(ctx.path, node, "group_id", where, bad)
    if group_id is not None and group_id < 0:
        raise BadInputError(ctx.path, f"{where}: group_id={group_id} is negative", bad)
    if kind == "box":
        points = _box_points(ctx, image, node, where)
    else:
        points = _polygon_points(ctx, image, node, where)
    return CvatShape(
        kind=kind,
        label=label,
        points=points,
        occluded=occluded in _TRUE_FLAGS,
        z_order=_int_attribute(ctx.path, node, "z_order", where, bad) or 0,
        group_id=group_id or None,  # CVAT's group 0 means "no group"
        attributes=_shape_attributes(ctx.path, node, where, bad),
    )


def _shape_attributes(path: Path, node: Element, where: str, kind: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for child in node.findall("attribute"):
        name = (child.get("name") or "").strip()
        if not name:
            raise BadInputError(path, f"{where}: an <attribute> has no name", kind)
        attributes[name] = (child.text or "").strip()
    return attributes


def _box_points(
    ctx: _Context, image: CvatImage, node: Element, where: str
) -> tuple[tuple[float, float], ...]:
    xtl, ytl, xbr, ybr = (
        _coordinate(ctx.path, node.get(key), f"{where}: {key}", "bad_box")
        for key in ("xtl", "ytl", "xbr", "ybr")
    )
    rotation = _coordinate(ctx.path, node.get("rotation", "0"), f"{where}: rotation", "bad_box")
    if rotation % 360:
        raise BadInputError(
            ctx.path, f"{where}: rotated boxes (rotation={rotation:g}) are not supported", "bad_box"
        )
    if xbr < xtl or ybr < ytl:
        raise BadInputError(
            ctx.path,
            f"{where}: corners are swapped (xtl={xtl:g} ytl={ytl:g} xbr={xbr:g} ybr={ybr:g})",
            "swapped_corners",
        )
    if xbr == xtl or ybr == ytl:
        raise BadInputError(
            ctx.path, f"{where}: box ({xtl:g}, {ytl:g}, {xbr:g}, {ybr:g}) has zero area", "zero_area_box"
        )
    _check_overlaps_image(ctx.path, image, (xtl, ytl, xbr, ybr), where)
    clipped = (
        (min(max(xtl, 0.0), image.width), min(max(ytl, 0.0), image.height)),
        (min(max(xbr, 0.0), image.width), min(max(ybr, 0.0), image.height)),
    )
    if clipped != ((xtl, ytl), (xbr, ybr)):
        ctx.policy.count("boxes_clipped_to_image")
    return clipped


def _polygon_points(
    ctx: _Context, image: CvatImage, node: Element, where: str
) -> tuple[tuple[float, float], ...]:
    text = node.get("points") or ""
    points: list[tuple[float, float]] = []
    for pair in (part for part in text.split(";") if part.strip()):
        xy = pair.split(",")
        if len(xy) != 2:
            raise BadInputError(ctx.path, f"{where}: point {pair.strip()!r} is not 'x,y'", "bad_polygon")
        points.append(
            (
                _coordinate(ctx.path, xy[0], f"{where}: point x", "bad_polygon"),
                _coordinate(ctx.path, xy[1], f"{where}: point y", "bad_polygon"),
            )
        )
    if len(points) < 3:
        raise BadInputError(
            ctx.path, f"{where}: polygon has {len(points)} points, needs at least 3", "bad_polygon"
        )
    if _polygon_area(points) == 0:
        raise BadInputError(
            ctx.path, f"{where}: polygon has zero area (its points are on one line)", "bad_polygon"
        )
    xs, ys = [x for x, _ in points], [y for _, y in points]
    bounds = (min(xs), min(ys), max(xs), max(ys))
    _check_overlaps_image(ctx.path, image, bounds, where)
    if bounds[0] < 0 or bounds[1] < 0 or bounds[2] > image.width or bounds[3] > image.height:
        ctx.policy.count("polygons_partly_outside_image")
    return tuple(points)


def _polygon_area(points: list[tuple[float, float]]) -> float:
    """Shoelace formula (absolute area)."""
    twice = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True))
    return abs(twice) / 2


def _check_overlaps_image(
    path: Path, image: CvatImage, bounds: tuple[float, float, float, float], where: str
) -> None:
    x0, y0, x1, y1 = bounds
    if min(x1, image.width) <= max(x0, 0.0) or min(y1, image.height) <= max(y0, 0.0):
        raise BadInputError(
            path,
            f"{where}: lies outside the {image.width}x{image.height} image "
            f"(bounds {x0:g}, {y0:g}, {x1:g}, {y1:g})",
            "shape_outside_image",
        )


def _coordinate(path: Path, text: str | None, where: str, kind: str) -> float:
    if text is None:
        raise BadInputError(path, f"{where} is missing", kind)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise BadInputError(path, f"{where} is {text!r}, not a number", kind)
    return value


def _int_attribute(path: Path, node: Element, key: str, where: str, kind: str) -> int | None:
    """An optional integer XML attribute (``"3"`` or ``"3.0"``); None when absent."""
    text = node.get(key)
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value.is_integer():
        raise BadInputError(path, f"{where}: {key}={text!r} is not an integer", kind)
    return int(value)


# ---------------------------------------------------------------- writing


def write_cvat(path: str | Path, task: CvatTask) -> Path:
    """Write ``task`` as CVAT for images 1.1, as CVAT's dumper lays it out (coordinates to 2
    decimals). The same task always gives the same bytes."""
    path = Path(path)
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = CVAT_VERSION
    meta = ET.SubElement(root, "meta")
    task_node = ET.SubElement(meta, "task")
    for key, value in task.meta.items():
        if key != "dumped":
            ET.SubElement(task_node, key).text = value
    labels = ET.SubElement(task_node, "labels")
    for label in task.labels:
        _write_label(labels, label)
    if "dumped" in task.meta:
        ET.SubElement(meta, "dumped").text = task.meta["dumped"]
    for image in task.images:
        node = ET.SubElement(
            root,
            "image",
            {"id": str(image.id), "name": image.name, "width": str(image.width), "height": str(image.height)},
        )
        for shape in image.shapes:
            _write_shape(node, shape)
    ET.indent(root)
    text = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def _write_label(parent: Element, label: CvatLabel) -> None:
    node = ET.SubElement(parent, "label")
    ET.SubElement(node, "name").text = label.name
    if label.color:
        ET.SubElement(node, "color").text = label.color
    attributes = ET.SubElement(node, "attributes")
    for name, values in label.attributes.items():
        spec = ET.SubElement(attributes, "attribute")
        ET.SubElement(spec, "name").text = name
        ET.SubElement(spec, "mutable").text = "False"
        ET.SubElement(spec, "input_type").text = "select" if values else "text"
        ET.SubElement(spec, "default_value").text = values[0] if values else ""
        ET.SubElement(spec, "values").text = "\n".join(values)


def _write_shape(parent: Element, shape: CvatShape) -> None:
    if shape.kind not in SHAPE_KINDS:
        raise ValueError(f"shape kind must be one of {SHAPE_KINDS}, got {shape.kind!r}")
    if shape.group_id is not None and shape.group_id < 1:
        raise ValueError(f"CVAT numbers groups from 1 (None means no group), got group_id={shape.group_id}")
    attrib = {"label": shape.label, "occluded": str(int(shape.occluded))}
    if shape.kind == "box":
        (xtl, ytl), (xbr, ybr) = shape.points
        attrib.update(xtl=_fmt(xtl), ytl=_fmt(ytl), xbr=_fmt(xbr), ybr=_fmt(ybr))
    else:
        attrib["points"] = ";".join(f"{_fmt(x)},{_fmt(y)}" for x, y in shape.points)
    attrib["z_order"] = str(shape.z_order)
    if shape.group_id is not None:
        attrib["group_id"] = str(shape.group_id)
    node = ET.SubElement(parent, shape.kind, attrib)
    for name, value in shape.attributes.items():
        ET.SubElement(node, "attribute", {"name": name}).text = value


def _fmt(value: float) -> str:
    return f"{value:.2f}"
