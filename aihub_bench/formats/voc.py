"""Pascal VOC XML annotations: read with defusedxml (no entities, no DTDs), write with ElementTree."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from aihub_bench.errors import BadInputError
from aihub_bench.formats.safe_xml import parse_xml_root


@dataclass
class VocObject:
    """One ``<object>``: class name and box corners in pixels."""

    name: str
    xmin: float
    ymin: float
    xmax: float
    ymax: float
    difficult: int | None = None
    truncated: int | None = None


@dataclass
class VocAnnotation:
    """One VOC file: the image it describes and its objects."""

    filename: str
    width: int
    height: int
    depth: int | None = None
    folder: str = ""
    path: str = ""
    objects: list[VocObject] = field(default_factory=list)


def read_voc(path: str | Path) -> VocAnnotation:
    """Parse a VOC XML file; raise ``BadInputError`` naming the file for anything unusable."""
    path = Path(path)
    root = parse_xml_root(path, forbid_dtd=False)
    if root.tag != "annotation":
        raise BadInputError(path, f"root element is <{root.tag}>, expected <annotation>", "malformed_xml")
    size = _child(path, root, "size")
    depth_text = size.findtext("depth")
    ann = VocAnnotation(
        filename=_text(path, root, "filename"),
        width=_int(path, size, "width"),
        height=_int(path, size, "height"),
        depth=_parse_int(path, "size/depth", depth_text) if depth_text and depth_text.strip() else None,
        folder=(root.findtext("folder") or "").strip(),
        path=(root.findtext("path") or "").strip(),
    )
    for i, obj in enumerate(root.iter("object")):
        ann.objects.append(_read_object(path, obj, i))
    return ann


def _read_object(path: Path, obj: Element, index: int) -> VocObject:
    where = f"object[{index}]"
    name = obj.findtext("name")
    if name is None or not name.strip():
        raise BadInputError(path, f"{where} has no <name>", "malformed_xml")
    box = obj.find("bndbox")
    if box is None:
        raise BadInputError(path, f"{where} ({name.strip()}) has no <bndbox>", "malformed_xml")
    xmin, ymin, xmax, ymax = (_float(path, box, key, where) for key in ("xmin", "ymin", "xmax", "ymax"))
    flags: dict[str, int | None] = {}
    for key in ("difficult", "truncated"):
        text = obj.findtext(key)
        flags[key] = _parse_int(path, f"{where}/{key}", text) if text and text.strip() else None
    return VocObject(
        name.strip(), xmin, ymin, xmax, ymax, difficult=flags["difficult"], truncated=flags["truncated"]
    )


def _child(path: Path, parent: Element, tag: str) -> Element:
    node = parent.find(tag)
    if node is None:
        raise BadInputError(path, f"missing <{tag}>", "malformed_xml")
    return node


def _text(path: Path, parent: Element, tag: str) -> str:
    text = parent.findtext(tag)
    if text is None or not text.strip():
        raise BadInputError(path, f"missing or empty <{tag}>", "malformed_xml")
    return text.strip()


def _int(path: Path, parent: Element, tag: str) -> int:
    return _parse_int(path, tag, _text(path, parent, tag))


def _parse_int(path: Path, where: str, text: str) -> int:
    try:
        value = float(text)
    except ValueError as err:
        raise BadInputError(path, f"<{where}> is {text.strip()!r}, not a number", "malformed_xml") from err
    if not value.is_integer():
        raise BadInputError(path, f"<{where}> is {text.strip()!r}, not an integer", "malformed_xml")
    return int(value)


def _float(path: Path, parent: Element, tag: str, where: str) -> float:
    text = parent.findtext(tag)
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise BadInputError(path, f"{where}/bndbox/{tag} is {text!r}, not a number", "malformed_xml")
    return value


def write_voc(path: str | Path, ann: VocAnnotation) -> Path:
    """Write ``ann`` as a LabelImg-style VOC file (integer-valued coordinates written as ints)."""
    path = Path(path)
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = ann.folder
    ET.SubElement(root, "filename").text = ann.filename
    ET.SubElement(root, "path").text = ann.path
    size = ET.SubElement(root, "size")
    ET.SubElement(size, "width").text = str(ann.width)
    ET.SubElement(size, "height").text = str(ann.height)
    if ann.depth is not None:
        ET.SubElement(size, "depth").text = str(ann.depth)
    for obj in ann.objects:
        node = ET.SubElement(root, "object")
        ET.SubElement(node, "name").text = obj.name
        for key in ("truncated", "difficult"):
            if getattr(obj, key) is not None:
                ET.SubElement(node, key).text = str(getattr(obj, key))
        box = ET.SubElement(node, "bndbox")
        for key in ("xmin", "ymin", "xmax", "ymax"):
            ET.SubElement(box, key).text = _fmt(getattr(obj, key))
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
