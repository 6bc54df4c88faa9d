"""Bad-input corpus: the 인도 보행 surface reader (CVAT 1.1 polygons per walk, JPEG frames, colour masks).

The twin is the smoke one (``SPEC.smoke``): 6 walks of 4 frames (384x216), each walk in its own folder
with two task XMLs (frames 1-3 and frame 4) and its masks in a ``mask/`` folder. Most faults break the
first task XML of the first walk, its first frame or that frame's mask. The reader runs with
``sidewalk_surface.yaml``'s options (every mask of the twin is checked against its polygons);
attribute faults with those of ``sidewalk_surface_attributes.yaml``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from PIL import Image

import aihub_bench.configs
from aihub_bench.datasets.sidewalk.layout import image_name, xml_name
from aihub_bench.datasets.sidewalk_surface import (
    SPEC,
    read_sidewalk_surface,
    write_synthetic_sidewalk_surface,
)
from aihub_bench.datasets.sidewalk_surface.layout import mask_name
from aihub_bench.datasets.sidewalk_surface.synth import FIRST_SEQUENCE
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome
from bad_input.sidewalk import _bytes, _first_element, _link_out, _replace, _truncate

DATASET = "sidewalk_surface"
CONFIGS = Path(aihub_bench.configs.__file__).parent / "dataset"
TWIN = dict(SPEC.smoke)
FRAMES_PER_WALK = TWIN["frames_per_sequence"]
PER_TASK = TWIN["frames_per_task"]
HEIGHT, WIDTH = TWIN["image_size"]


def _reader_options(config: str) -> dict[str, Any]:
    """A dataset yaml's own ``reader:`` options, without the Hydra keys."""
    reader = OmegaConf.to_container(OmegaConf.load(CONFIGS / f"{config}.yaml").reader)
    assert isinstance(reader, dict)
    return {str(k): v for k, v in reader.items() if not str(k).startswith("_")}


OPTIONS = _reader_options("sidewalk_surface")
ATTRIBUTES = _reader_options("sidewalk_surface_attributes")  # composed over sidewalk_surface
assert ATTRIBUTES == {"class_set": "label_attribute", "unknown_attribute": "error"}, ATTRIBUTES
assert OPTIONS["mask_agreement"] >= SPEC.smoke_samples  # every mask is decoded and compared


def write_twin(root: Path) -> None:
    write_synthetic_sidewalk_surface(root, **TWIN)


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    """Read as the datamodule does, with ``sidewalk_surface.yaml``'s ``reader:`` options."""
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    samples = read_sidewalk_surface(root, policy, **{**OPTIONS, **options})
    return Outcome(len(samples), policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _walk(root: Path, walk: int = 0) -> Path:
    return root / "surface" / f"{FIRST_SEQUENCE + walk:06d}"


def _xml(root: Path, walk: int = 0) -> Path:
    """The first task XML of a walk."""
    return _walk(root, walk) / xml_name("surface", FIRST_SEQUENCE + walk, 1)


def _image(root: Path) -> Path:
    """The first frame of the first walk (listed by ``_xml``)."""
    return _walk(root) / image_name("surface", FIRST_SEQUENCE, 1)


def _mask(root: Path) -> Path:
    """The colour mask of ``_image``."""
    return _walk(root) / "mask" / mask_name(FIRST_SEQUENCE, 1)


def _set(tag: str, changes: dict[str, str]) -> Callable[[Path], Path]:
    """Set (or add) attributes of the first ``<tag>`` of the target XML (its first image's)."""

    def apply(root: Path) -> Path:
        path = _xml(root)
        old = _first_element(path.read_text(encoding="utf-8"), tag)
        new = old
        for attribute, value in changes.items():
            new, n = re.subn(rf'\b{attribute}="[^"]*"', f'{attribute}="{value}"', new, count=1)
            if n == 0:
                new = f'{new[:-1]} {attribute}="{value}">'
        assert new != old, (changes, old)
        return _replace(path, old, new)

    return apply


def _polygon_points(points: str) -> Callable[[Path], Path]:
    return _set("polygon", {"points": points})


def _first_attribute(root: Path) -> str:
    """The first shape attribute element of the target XML (the first polygon's value)."""
    match = re.search(
        r'<attribute name="attribute">[^<]*</attribute>', _xml(root).read_text(encoding="utf-8")
    )
    assert match is not None
    return match.group(0)


def _attribute_value(value: str) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        return _replace(
            _xml(root), _first_attribute(root), f'<attribute name="attribute">{value}</attribute>'
        )

    return apply


def _no_attribute(root: Path) -> Path:
    return _replace(_xml(root), _first_attribute(root), "")


def _other_sub_dataset_label(root: Path) -> Path:
    """An obstacle label (person) declared in the task and used for a polygon."""
    _replace(_xml(root), "<labels>", "<labels><label><name>person</name></label>")
    return _set("polygon", {"label": "person"})(root)


def _doctype(doctype: str, reference: str) -> Callable[[Path], Path]:
    """Put ``doctype`` after the XML declaration and ``reference`` in the task's name."""

    def apply(root: Path) -> Path:
        path = _xml(root)
        declaration = '<?xml version="1.0" encoding="utf-8"?>\n'
        _replace(path, declaration, f"{declaration}{doctype}\n")
        return _replace(path, "<name>surface_", f"<name>{reference}surface_")

    return apply


_LAUGHS = "\n".join(
    ['<!ENTITY lol "lol">']
    + [f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10)]
)


def _image_entry(root: Path) -> str:
    """The first ``<image>`` element of the target XML, shapes included."""
    match = re.search(r"  <image .*?</image>\n", _xml(root).read_text(encoding="utf-8"), flags=re.DOTALL)
    assert match is not None
    return match.group(0)


def _listed_twice_in_one_xml(root: Path) -> Path:
    entry = _image_entry(root)
    return _replace(_xml(root), entry, entry + entry)


def _listed_by_another_xml(root: Path) -> Path:
    """The first frame's entry copied into the next walk's first task XML (read after it)."""
    entry = _image_entry(root)
    return _replace(_xml(root, walk=1), "</annotations>", entry + "</annotations>")


def _delete(target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = target(root)
        path.unlink()
        return path

    return apply


def _resized(target: Callable[[Path], Path], fmt: str) -> Callable[[Path], Path]:
    """The file rewritten at half the size (a plain grey picture in ``fmt``)."""

    def apply(root: Path) -> Path:
        path = target(root)
        Image.new("RGB", (WIDTH // 2, HEIGHT // 2), (90, 90, 90)).save(path, fmt)
        return path

    return apply


def _decompression_bomb(root: Path) -> Path:
    """Rewrite the JPEG's SOF0 header to declare 40000x40000 pixels."""
    path = _image(root)
    data = bytearray(path.read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (40000).to_bytes(2, "big") * 2  # height, width
    path.write_bytes(bytes(data))
    return path


def _image_without_mask(root: Path) -> Path:
    """The first frame's mask deleted: the error names the frame."""
    _mask(root).unlink()
    return _image(root)


def _mask_copy_elsewhere(root: Path) -> Path:
    """A second mask of the first frame's sequence and frame in another folder."""
    (root / "masks_backup").mkdir()
    shutil.copy(_mask(root), root / "masks_backup" / _mask(root).name)
    return _image(root)


# ------------------------------------------------------------------------------------------ faults

WHOLE_TASK = {"dropped": PER_TASK}  # a task XML that cannot be read at all: counted once, its frames go
SIZE = rf"is {WIDTH // 2}x{HEIGHT // 2}, its (XML says|image is) {WIDTH}x{HEIGHT}"

FAULTS = [
    # the task XML as a whole
    Fault("xml_billion_laughs", "unsafe_xml", r"refused unsafe XML \(DTDForbidden\)",
          _doctype(f"<!DOCTYPE annotations [\n{_LAUGHS}\n]>", "&lol9;"), **WHOLE_TASK),
    Fault("xml_external_entity", "unsafe_xml", r"refused unsafe XML",
          _doctype('<!DOCTYPE annotations [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"), **WHOLE_TASK),
    Fault("xml_is_not_cvat", "not_cvat", r"root element is <annotation>, expected <annotations>",
          _bytes(b"<annotation><filename>x.jpg</filename></annotation>\n", _xml), **WHOLE_TASK),
    Fault("xml_malformed", "malformed_xml", r"malformed XML: mismatched tag",
          lambda r: _replace(_xml(r), "</annotations>", "</annotation>"), **WHOLE_TASK),
    Fault("xml_truncated", "malformed_xml", r"malformed XML", _truncate(_xml), **WHOLE_TASK),
    Fault("xml_link_outside", "link_outside_root", r"leads outside the dataset root", _link_out(_xml),
          **WHOLE_TASK),
    Fault("walk_folder_link_outside", "link_outside_root",
          r"leads outside the dataset root.*none of the folder's annotations is read", _link_out(_walk),
          dropped=FRAMES_PER_WALK),
    # one image entry: the image goes
    Fault("unknown_label", "unknown_class", r"label 'unicorn' is not declared", _set("polygon", {"label": "unicorn"})),
    Fault("obstacle_label_in_surface_task", "unknown_class", r"'person' is not one of the dataset's labels",
          _other_sub_dataset_label),
    Fault("image_width_not_a_number", "bad_image_entry", r"width='wide' is not an integer",
          _set("image", {"width": "wide"})),
    Fault("polygon_2_points", "bad_polygon", r"polygon has 2 points, needs at least 3",
          _polygon_points("10.00,10.00;50.00,60.00")),
    Fault("polygon_points_on_a_line", "bad_polygon", r"zero area", _polygon_points("10,10;20,20;30,30")),
    Fault("polygon_outside_image", "shape_outside_image", rf"lies outside the {WIDTH}x{HEIGHT} image",
          _polygon_points(f"{WIDTH + 5},10;{WIDTH + 50},10;{WIDTH + 30},60")),
    Fault("polygon_non_numeric", "bad_polygon", r"point y is 'ten', not a number", _polygon_points("10,ten;50,10;30,60")),
    Fault("polygon_z_order_not_an_integer", "bad_polygon", r"z_order='top' is not an integer",
          _set("polygon", {"z_order": "top"})),
    Fault("attribute_unknown_value", "unknown_attribute",
          r"sidewalk polygon has attribute 'attribute' = 'marble'; expected one of blocks", _attribute_value("marble"),
          options=ATTRIBUTES),
    Fault("attribute_missing", "unknown_attribute", r"sidewalk polygon has no attribute 'attribute'", _no_attribute,
          options=ATTRIBUTES),
    Fault("image_listed_twice_in_one_xml", "duplicate_image", r"is listed 2 times", _listed_twice_in_one_xml,
          skipped=2),
    Fault("image_listed_by_two_xmls", "duplicate_image", r"is listed by another XML too", _listed_by_another_xml,
          dropped=0),
    Fault("image_name_escapes_root", "path_escape", r"escapes the dataset root",
          lambda r: _replace(_xml(r), f'name="{_image(r).name}"', 'name="../../../../../../etc/hostname"')),
    # the image files
    Fault("image_missing", "missing_image", r"listed in .* but missing", _delete(_image)),
    Fault("image_of_another_size", "size_mismatch", SIZE, _resized(_image, "JPEG")),
    Fault("image_not_an_image", "unreadable_image", r"unreadable image", _bytes(b"not a jpeg" * 50, _image)),
    Fault("image_truncated_full_verify", "unreadable_image", r"unreadable image", _truncate(_image),
          options={"verify_images": "full"}),
    Fault("decompression_bomb_header", "decompression_bomb", r"decompression bomb", _decompression_bomb),
    Fault("image_link_outside", "link_outside_root", r"leads outside the dataset root", _link_out(_image)),
    # the colour masks
    Fault("mask_of_another_size", "mask_size_mismatch", SIZE, _resized(_mask, "PNG")),
    Fault("mask_of_another_size_found_by_agreement", "mask_size_mismatch", SIZE, _resized(_mask, "PNG"),
          options={"verify_images": "none"}),
    Fault("mask_missing_when_required", "missing_mask", r"no colour mask of this image's sequence and frame",
          _image_without_mask, options={"require_masks": True}),
    Fault("mask_not_a_png", "corrupt_mask", r"mask: unreadable image", _bytes(b"not a png" * 50, _mask)),
    Fault("mask_truncated_full_verify", "corrupt_mask", r"mask: unreadable image", _truncate(_mask),
          options={"verify_images": "full"}),
    Fault("mask_truncated_found_by_agreement", "corrupt_mask", r"mask cannot be decoded", _truncate(_mask)),
    Fault("mask_twice", "ambiguous_mask", r"several masks belong to this image", _mask_copy_elsewhere),
    Fault("mask_link_outside", "link_outside_root", r"leads outside the dataset root", _link_out(_mask)),
]  # fmt: skip
