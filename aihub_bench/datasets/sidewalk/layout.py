"""Where things live in the 인도 보행 (sidewalk) release: names, classes, the guideline's size rule.

    Sidewalk_19009_{bbox|polygon}_raw_<sequence: 6 digits>_<frame>.jpg        [C]
    Sidewalk_19009_{bbox|polygon}_output_<sequence: 6 digits>_<part>.xml       [C] CVAT for images 1.1

One XML per annotation task (a walk of up to ~300 frames); its ``<image name=...>`` entries name the
frames. Folders above the files are not documented [A]: the reader walks the whole root. The
sequence id groups the frames of one walk (the split's leakage unit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUBSETS = ("bbox", "polygon")

#: The 27 box classes [C], in the order of FORMATS.md.
BBOX_CLASSES: tuple[str, ...] = (
    "wheelchair", "truck", "tree_trunk", "traffic_sign", "traffic_light", "table", "stroller", "stop",
    "scooter", "potted_plant", "pole", "person", "parking_meter", "movable_signage", "motorcycle",
    "kiosk", "fire_hydrant", "dog", "chair", "cat", "carrier", "car", "bus", "bollard", "bicycle",
    "bench", "barricade",
)  # fmt: skip
#: The polygon subset adds two controllers [C] (29 classes).
POLYGON_CLASSES: tuple[str, ...] = (*BBOX_CLASSES, "traffic_light_controller", "power_controller")
CLASSES = {"bbox": BBOX_CLASSES, "polygon": POLYGON_CLASSES}

#: The guideline did not annotate objects whose longer side is at most this many pixels [C] ...
SIZE_RULE_DEFAULT = 64
#: ... or at most 32 px for these classes [C].
SIZE_RULE_SMALL = 32
SIZE_RULE_SMALL_CLASSES = ("car", "bus", "truck", "person", "bollard", "traffic_light", "traffic_sign")

IMAGE_PATTERN = r"^Sidewalk_19009_(?P<subset>bbox|polygon)_raw_(?P<sequence>\d{6})_(?P<frame>\d+)\.jpg$"
XML_PATTERN = r"^Sidewalk_19009_(?P<subset>bbox|polygon)_output_(?P<sequence>\d{6})_(?P<part>\d+)\.xml$"


def size_rule(classes: tuple[str, ...]) -> dict[str, int]:
    """Class -> the longest side (px) at or below which the builders left an object unannotated."""
    return {c: SIZE_RULE_SMALL if c in SIZE_RULE_SMALL_CLASSES else SIZE_RULE_DEFAULT for c in classes}


@dataclass(frozen=True)
class SidewalkName:
    """The parts of a release file name."""

    subset: str
    sequence: str
    number: int  # the frame of an image, the part of an XML


def parse_name(name: str, pattern: str) -> SidewalkName | None:
    """``name`` split by ``pattern`` (groups ``subset``, ``sequence`` and ``frame`` or ``part``), else None."""
    match = re.match(pattern, name, flags=re.IGNORECASE)
    if match is None:
        return None
    groups = match.groupdict()
    number = groups.get("frame") or groups.get("part") or "0"
    return SidewalkName(groups["subset"].lower(), groups["sequence"], int(number))


def image_name(subset: str, sequence: int, frame: int) -> str:
    return f"Sidewalk_19009_{subset}_raw_{sequence:06d}_{frame}.jpg"


def xml_name(subset: str, sequence: int, part: int) -> str:
    return f"Sidewalk_19009_{subset}_output_{sequence:06d}_{part}.xml"
