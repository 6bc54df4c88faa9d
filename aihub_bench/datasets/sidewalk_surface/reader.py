"""Reader of the 인도 보행 surface-masking sub-dataset: CVAT polygons (+ colour masks) -> segmentation samples.

Every surface task XML under the root is read through :func:`aihub_bench.formats.cvat.read_cvat`; its
``<image name=...>`` entries are matched to image files by name (beside the XML, else anywhere under
the root), as in the obstacle reader. Each polygon is a region whose class is its label, or its
``label/attribute`` pair (``class_set``). An image's colour mask is found by its sequence and frame;
``mask_agreement`` paints the polygons of some images at label level and compares them with their
masks pixel by pixel, which shows whether the masks and the XMLs of a release tell the same story.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aihub_bench.datasets.sidewalk.layout import SidewalkName, parse_name
from aihub_bench.datasets.sidewalk.reader import find_listed_image
from aihub_bench.datasets.sidewalk_surface.layout import (
    ATTRIBUTES,
    CLASS_SETS,
    IMAGE_PATTERN,
    MASK_COLOURS,
    MASK_PATTERN,
    SUBSET,
    XML_PATTERN,
    class_name,
    mask_colour_table,
    paint_labels,
)
from aihub_bench.errors import BadInputError, ErrorPolicy, check_inside
from aihub_bench.formats.cvat import CvatImage, CvatShape, task_images
from aihub_bench.formats.images import check_verify_mode, verify_image
from aihub_bench.formats.masks import decode_colour_mask, read_colour_mask
from aihub_bench.formats.walk import file_inside, walk_inside
from aihub_bench.records import SegmentationSample, SegmentRegion

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
UNKNOWN_ATTRIBUTE_MODES = ("error", "count")
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class _Options:
    root: Path
    policy: ErrorPolicy
    class_set: str
    attribute_name: str
    unknown_attribute: str
    require_masks: bool
    verify_images: str
    allow_outside_links: bool


@dataclass
class _Files:
    """What the walk found: the task XMLs, images by file name and masks by (sequence, frame)."""

    xmls: list[Path]
    images: dict[str, list[Path]]
    masks: dict[tuple[str, int], list[Path]]


def read_sidewalk_surface(
    root: str | Path,
    policy: ErrorPolicy | None = None,
    *,
    class_set: str = "label",
    image_pattern: str = IMAGE_PATTERN,
    xml_pattern: str = XML_PATTERN,
    mask_pattern: str = MASK_PATTERN,
    require_masks: bool = False,
    mask_agreement: int | str = 0,
    mask_colours: Mapping[str, Sequence[int]] | None = None,
    attribute_name: str = "attribute",
    unknown_attribute: str = "count",
    verify_images: str = "header",
    allow_outside_links: bool = False,
) -> list[SegmentationSample]:
    """The surface images under ``root`` with their regions (and masks), sorted by image name.

    ``class_set``: ``label`` (6 labels) or ``label_attribute`` (label/attribute pairs, 21), each after
    ``background``. ``image_pattern`` / ``xml_pattern`` / ``mask_pattern``: regexes of the release's
    names (groups ``subset``, ``sequence``: the walk, the split's leakage unit, and ``frame``/``part``);
    a mask is its image's when sequence and frame agree. ``require_masks``: an image without a mask is
    bad input (else counted). ``mask_agreement``: how many images (0, N spread evenly, or ``all``) get
    their painted polygons compared with their mask, decoded through ``mask_colours`` (label, or
    ``label/attribute``, -> RGB; default the release's). ``attribute_name``: the shape attribute that
    holds the value. ``unknown_attribute``: ``count`` (a value the label does not have is counted and
    the region kept; only with ``class_set=label``) or ``error`` (bad input). ``verify_images``:
    ``none`` | ``header`` (image and mask sizes checked) | ``full`` (decodes every image and mask).
    """
    policy = policy or ErrorPolicy("raise")
    if class_set not in CLASS_SETS:
        raise ValueError(f"class_set must be one of {list(CLASS_SETS)}, got {class_set!r}")
    if unknown_attribute not in UNKNOWN_ATTRIBUTE_MODES:
        raise ValueError(
            f"unknown_attribute must be one of {list(UNKNOWN_ATTRIBUTE_MODES)}, got {unknown_attribute!r}"
        )
    if class_set == "label_attribute" and unknown_attribute != "error":
        raise ValueError(
            "class_set=label_attribute needs unknown_attribute=error: a region's class is its attribute"
        )
    check_verify_mode(verify_images)
    colours = mask_colour_table(MASK_COLOURS if mask_colours is None else mask_colours)
    opts = _Options(
        Path(root),
        policy,
        class_set,
        attribute_name,
        unknown_attribute,
        require_masks,
        verify_images,
        allow_outside_links,
    )
    files = _list_files(opts, xml_pattern, mask_pattern)
    if not files.xmls:
        raise FileNotFoundError(f"no surface annotation XML matching {xml_pattern!r} under {root}")
    samples: list[SegmentationSample] = []
    listed: set[str] = set()
    for xml, entry in task_images(files.xmls, policy, set(ATTRIBUTES), listed):
        xml_name = parse_name(xml.name, xml_pattern)
        xml_sequence = xml_name.sequence if xml_name else xml.stem
        try:
            samples.append(_sample(opts, files, xml, entry, image_pattern, xml_sequence))
        except BadInputError as err:
            policy.handle(err)
    _count_unmatched(opts, files, listed, image_pattern)
    samples.sort(key=lambda s: s.image_path.name)
    samples = _check_agreement(opts, samples, mask_agreement, colours)
    for i, s in enumerate(samples):
        s.image_id = i + 1
    return samples


def _list_files(opts: _Options, xml_pattern: str, mask_pattern: str) -> _Files:
    """One walk for XMLs, images and masks, so a refused folder link is counted once. An XML linked
    outside the root is refused here; images and masks are checked when they are used."""
    files = _Files([], {}, {})
    for folder, _dirs, names in walk_inside(
        opts.root, opts.policy, allow_outside_links=opts.allow_outside_links, contents="annotations"
    ):
        for name in names:
            path = folder / name
            lower = name.lower()
            if lower.endswith(".xml"):
                parsed = parse_name(name, xml_pattern)
                if parsed is not None and parsed.subset == SUBSET:
                    if file_inside(opts.root, path, opts.policy, opts.allow_outside_links):
                        files.xmls.append(path)
                elif parsed is None and not name.startswith("."):
                    opts.policy.count("xml_files_not_matching_xml_pattern")
                continue
            mask = parse_name(name, mask_pattern)
            if mask is not None:
                files.masks.setdefault((mask.sequence, mask.number), []).append(path)
            elif lower.endswith(IMAGE_SUFFIXES):
                files.images.setdefault(name, []).append(path)
    files.xmls.sort()
    return files


def _sample(
    opts: _Options, files: _Files, xml: Path, entry: CvatImage, image_pattern: str, xml_sequence: str
) -> SegmentationSample:
    """The sample of one ``<image>`` entry; its walk is the image name's sequence, else the XML's."""
    path = find_listed_image(opts.root, xml, entry.name, files.images, opts.allow_outside_links)
    size = verify_image(path, opts.verify_images)
    if size is not None and size != (entry.width, entry.height):
        raise BadInputError(
            path, f"image is {size[0]}x{size[1]}, its XML says {entry.width}x{entry.height}", "size_mismatch"
        )
    name = parse_name(path.name, image_pattern)
    if name is None:
        opts.policy.count("images_not_matching_image_pattern")
    sequence = name.sequence if name else xml_sequence
    regions = _regions(opts, xml, entry)
    if not regions:
        opts.policy.count("images_without_regions")
    mask = _mask_path(opts, files, path, entry, name)
    return SegmentationSample(
        image_path=path,
        width=entry.width,
        height=entry.height,
        regions=regions,
        mask_path=mask,
        group=sequence,
        meta={
            "sequence": sequence,
            "frame": name.number if name else 0,
            "task": xml.name,
        },
    )


def _regions(opts: _Options, xml: Path, entry: CvatImage) -> list[SegmentRegion]:
    """The image's polygons as regions of the class set (file order; painting sorts by z_order)."""
    regions = []
    for shape in entry.shapes:
        if shape.kind != "polygon":
            opts.policy.count(f"{shape.kind}_shapes_in_surface_subset")
            continue
        attribute = _attribute(opts, xml, entry, shape)
        regions.append(
            SegmentRegion(
                class_name=class_name(shape.label, attribute, opts.class_set),
                parts=[np.asarray(shape.points, dtype=np.float32)],
                z_order=shape.z_order,
                label=shape.label,
                attribute=attribute,
            )
        )
    return regions


def _attribute(opts: _Options, xml: Path, entry: CvatImage, shape: CvatShape) -> str:
    """The shape's attribute value, checked against its label's values (a label without values,
    bike_lane, ignores one given)."""
    value = shape.attributes.get(opts.attribute_name, "")
    allowed = ATTRIBUTES[shape.label]
    if not allowed:
        if value:
            opts.policy.count("attributes_ignored")
        return ""
    if value in allowed:
        return value
    if opts.unknown_attribute == "error":
        said = (
            f"attribute {opts.attribute_name!r} = {value!r}"
            if value
            else f"no attribute {opts.attribute_name!r}"
        )
        raise BadInputError(
            xml,
            f"image {entry.name!r}: {shape.label} polygon has {said}; expected one of {', '.join(allowed)}",
            "unknown_attribute",
        )
    opts.policy.count("unknown_attribute_values")
    return value


def _mask_path(
    opts: _Options, files: _Files, image: Path, entry: CvatImage, name: SidewalkName | None
) -> Path | None:
    """The image's colour mask (same sequence and frame), its size checked per ``verify_images``;
    None (counted) when there is none, unless masks are required."""
    found = files.masks.get((name.sequence, name.number), []) if name else []
    if len(found) > 1:
        others = ", ".join(str(p.relative_to(opts.root)) for p in found[:3])
        raise BadInputError(image, f"several masks belong to this image ({others})", "ambiguous_mask")
    if not found:
        if opts.require_masks:
            raise BadInputError(image, "no colour mask of this image's sequence and frame", "missing_mask")
        opts.policy.count("images_without_mask")
        return None
    mask = found[0]
    check_inside(opts.root, mask, opts.allow_outside_links)
    try:
        size = verify_image(mask, opts.verify_images)
    except BadInputError as err:
        kind = "corrupt_mask" if err.kind == "unreadable_image" else err.kind
        raise BadInputError(err.path, f"mask: {err.reason}", kind) from err
    if size is not None and size != (entry.width, entry.height):
        raise BadInputError(
            mask,
            f"mask is {size[0]}x{size[1]}, its image is {entry.width}x{entry.height}",
            "mask_size_mismatch",
        )
    return mask


def _count_unmatched(opts: _Options, files: _Files, listed: set[str], image_pattern: str) -> None:
    """Count surface images no readable XML lists (a lost task XML shows here) and masks of no image."""
    unlisted = 0
    keys = set()
    for name, paths in files.images.items():
        parsed = parse_name(name, image_pattern)
        if parsed is None or parsed.subset != SUBSET:
            continue
        keys.add((parsed.sequence, parsed.number))
        if name not in listed:
            unlisted += len(paths)
    if unlisted:
        opts.policy.count("images_not_listed_in_any_xml", unlisted)
    orphans = sum(len(paths) for key, paths in files.masks.items() if key not in keys)
    if orphans:
        opts.policy.count("masks_without_image", orphans)


def _agreement_indices(count: int, mask_agreement: int | str) -> list[int]:
    """Which of ``count`` samples to check: none, ``n`` spread evenly, or ``all``."""
    if mask_agreement == "all":
        return list(range(count))
    if isinstance(mask_agreement, bool) or not isinstance(mask_agreement, int) or mask_agreement < 0:
        raise ValueError(f"mask_agreement must be a number of images >= 0 or 'all', got {mask_agreement!r}")
    n = min(mask_agreement, count)
    return sorted({int(i) for i in np.linspace(0, count - 1, n)}) if n else []


def _check_agreement(
    opts: _Options, samples: list[SegmentationSample], mask_agreement: int | str, colours: Mapping[RGB, int]
) -> list[SegmentationSample]:
    """Compare painted polygons with the shipped mask on the chosen samples (those with a mask); an
    unreadable mask or one of another size drops its image through the policy."""
    with_mask = [s for s in samples if s.mask_path is not None]
    dropped: set[int] = set()
    for index in _agreement_indices(len(with_mask), mask_agreement):
        sample = with_mask[index]
        try:
            _agreement(opts, sample, colours)
        except BadInputError as err:
            opts.policy.handle(err)
            dropped.add(id(sample))
    return [s for s in samples if id(s) not in dropped]


def _agreement(opts: _Options, sample: SegmentationSample, colours: Mapping[RGB, int]) -> None:
    """``sample.meta["mask_agreement"]``: the share of pixels whose painted label equals the mask's
    (a pixel of an unknown colour disagrees; such pixels are counted)."""
    assert sample.mask_path is not None
    rgb = read_colour_mask(sample.mask_path)
    if rgb.shape[:2] != (sample.height, sample.width):
        raise BadInputError(
            sample.mask_path,
            f"mask is {rgb.shape[1]}x{rgb.shape[0]}, its image is {sample.width}x{sample.height}",
            "mask_size_mismatch",
        )
    shipped, unknown = decode_colour_mask(rgb, colours)
    painted = paint_labels(sample.regions or [], sample.height, sample.width)
    share = float(np.mean(painted == shipped))
    sample.meta["mask_agreement"] = share
    opts.policy.count("masks_checked_for_agreement")
    opts.policy.count("mask_pixels_compared", int(painted.size))
    opts.policy.count("mask_pixels_disagreeing", int(np.count_nonzero(painted != shipped)))
    if share < 1.0:
        opts.policy.count("masks_disagreeing_with_polygons")
    if unknown:
        opts.policy.count("agreement_masks_with_unknown_colours")
        opts.policy.count("agreement_unknown_colour_pixels", sum(unknown.values()))
        sample.meta["mask_unknown_colours"] = {
            ",".join(map(str, c)): n for c, n in Counter(unknown).most_common(5)
        }
