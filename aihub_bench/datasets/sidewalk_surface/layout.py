"""Where things live in the 인도 보행 surface-masking release: names, labels, attributes, mask colours.

    Sidewalk_19009_surface_raw_<sequence: 6 digits>_<frame>.jpg       [C] the photo
    Sidewalk_19009_surface_output_<sequence: 6 digits>_<part>.xml     [C] CVAT for images 1.1, one per task
    Sidewalk_19009_surface_mask_<sequence: 6 digits>_<frame>.png      [C] RGB colour per label

A task XML lists its frames by ``<image name>``; each region is a ``<polygon label z_order>`` with an
``<attribute name="attribute">`` value. Regions overlap and are painted in ascending ``z_order``,
which reproduces the shipped masks [C]. That a mask belongs to the image of the same sequence and
frame is [A] (the regexes are reader options), as are the folders above the files (the reader walks
the whole root), the braille blocks' mask colour and whether a colour depends on the attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from aihub_bench.formats.masks import paint_polygons
from aihub_bench.records import SegmentRegion

SUBSET = "surface"
BACKGROUND = "background"

#: The six surface labels [C] and each one's attribute values [C], in the order of FORMATS.md §4.
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "sidewalk": ("blocks", "cement", "urethane", "asphalt", "soil_stone", "damaged", "other"),
    "alley": ("normal", "crosswalk", "speed_bump", "damaged"),
    "roadway": ("normal", "crosswalk"),
    "braille_guide_blocks": ("normal", "damaged"),
    "caution_zone": ("stairs", "manhole", "tree_zone", "grating", "repair_zone"),
    "bike_lane": (),
}
LABELS: tuple[str, ...] = tuple(ATTRIBUTES)

#: ``class_set=label``: index 0 is the background (where no region lies), then the six labels.
LABEL_CLASSES: tuple[str, ...] = (BACKGROUND, *LABELS)
#: ``class_set=label_attribute``: the background, then ``label/attribute`` per pair in the order above
#: (``bike_lane`` alone: it has no attribute) — 22 classes.
LABEL_ATTRIBUTE_CLASSES: tuple[str, ...] = (
    BACKGROUND,
    *(
        f"{label}/{value}" if value else label
        for label, values in ATTRIBUTES.items()
        for value in values or ("",)
    ),
)
CLASS_SETS: dict[str, tuple[str, ...]] = {"label": LABEL_CLASSES, "label_attribute": LABEL_ATTRIBUTE_CLASSES}

RGB = tuple[int, int, int]
#: The shipped masks' colour per label: [C] for all but braille_guide_blocks, whose colour is not
#: documented [A: yellow, configurable as ``mask_colours``].
MASK_COLOURS: dict[str, RGB] = {
    BACKGROUND: (0, 0, 0),
    "sidewalk": (0, 0, 255),
    "alley": (230, 170, 255),
    "roadway": (255, 128, 255),
    "braille_guide_blocks": (255, 255, 0),
    "caution_zone": (0, 255, 0),
    "bike_lane": (255, 155, 155),
}

IMAGE_PATTERN = r"^Sidewalk_19009_(?P<subset>surface)_raw_(?P<sequence>\d{6})_(?P<frame>\d+)\.jpg$"
XML_PATTERN = r"^Sidewalk_19009_(?P<subset>surface)_output_(?P<sequence>\d{6})_(?P<part>\d+)\.xml$"
#: [A] a mask carries its image's sequence and frame.
MASK_PATTERN = r"^Sidewalk_19009_(?P<subset>surface)_mask_(?P<sequence>\d{6})_(?P<frame>\d+)\.png$"


def class_name(label: str, attribute: str, class_set: str) -> str:
    """The class of a region with ``label`` and ``attribute`` in ``class_set``."""
    if class_set == "label" or not ATTRIBUTES[label]:
        return label
    return f"{label}/{attribute}"


def mask_name(sequence: int, frame: int) -> str:
    return f"Sidewalk_19009_{SUBSET}_mask_{sequence:06d}_{frame}.png"


def mask_colour_table(mask_colours: Mapping[str, Sequence[int]]) -> dict[RGB, int]:
    """RGB -> index in :data:`LABEL_CLASSES`, from ``mask_colours``: ``background``, a label, or a
    ``label/attribute`` class (for a release that colours attributes apart) -> ``[r, g, b]``.

    Several colours may mean one label; one colour may not mean two (``ValueError``)."""
    if BACKGROUND not in mask_colours:
        raise ValueError(f"mask_colours needs the {BACKGROUND!r} colour, got keys {sorted(mask_colours)}")
    table: dict[RGB, int] = {}
    for key, colour in mask_colours.items():
        label = key.split("/", 1)[0]
        if label not in LABEL_CLASSES or (key != label and key not in LABEL_ATTRIBUTE_CLASSES):
            raise ValueError(f"mask_colours: {key!r} is neither a surface label nor a label/attribute class")
        rgb = tuple(int(c) for c in colour)
        if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
            raise ValueError(f"mask_colours: {key!r} must be [r, g, b] in 0..255, got {list(colour)}")
        index = LABEL_CLASSES.index(label)
        if table.setdefault((rgb[0], rgb[1], rgb[2]), index) != index:
            raise ValueError(f"mask_colours: {list(rgb)} is given to two labels")
    return table


def paint_labels(regions: Iterable[SegmentRegion], height: int, width: int) -> np.ndarray:
    """The ``(height, width)`` label-level mask (indices of :data:`LABEL_CLASSES`) of ``regions``
    painted in ascending z_order, ties in the order given: what the shipped colour masks show."""
    ordered = sorted(regions, key=lambda r: r.z_order)
    return paint_polygons((height, width), [(LABEL_CLASSES.index(r.label), r.parts) for r in ordered])
