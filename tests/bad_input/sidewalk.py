"""Bad-input corpus: the 인도 보행 (sidewalk) reader (CVAT 1.1 XML per walk, JPEG frames, conditions CSV).

The twin is the smoke one (``SPEC.smoke``): per subset 6 walks of 4 frames (384x216), each walk in
its own folder with two task XMLs (frames 1-3 and frame 4), and one environment CSV at the root.
Most faults break the first task XML of the first box walk (or of the first polygon walk, read with
the options of ``sidewalk_polygon.yaml``) or its first frame.
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
from aihub_bench.datasets.sidewalk import SPEC, read_sidewalk, write_synthetic_sidewalk
from aihub_bench.datasets.sidewalk.layout import image_name, xml_name
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome

DATASET = "sidewalk"
CONFIGS = Path(aihub_bench.configs.__file__).parent / "dataset"
TWIN = dict(SPEC.smoke)
FRAMES_PER_WALK = TWIN["frames_per_sequence"]  # images in one walk folder
PER_TASK = TWIN["frames_per_task"]  # images in the first task XML of a walk
WIDTH, HEIGHT = TWIN["image_size"][1], TWIN["image_size"][0]
FIRST_WALK = {"bbox": 1001, "polygon": 2001}  # the twin numbers walks 1000 * (subset index + 1) + n
ENVIRONMENT_CSV = "Sidewalk_19009_environment.csv"


def _reader_options(config: str) -> dict[str, Any]:
    """A dataset yaml's own ``reader:`` options, without the Hydra keys."""
    reader = OmegaConf.to_container(OmegaConf.load(CONFIGS / f"{config}.yaml").reader)
    assert isinstance(reader, dict)
    return {str(k): v for k, v in reader.items() if not str(k).startswith("_")}


BBOX_OPTIONS = _reader_options("sidewalk_bbox")
POLYGON = _reader_options("sidewalk_polygon")  # composed over sidewalk_bbox: only what it changes
assert POLYGON == {"subset": "polygon"}, POLYGON


def write_twin(root: Path) -> None:
    write_synthetic_sidewalk(root, **TWIN)


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    """Read as the datamodule does, with ``sidewalk_bbox.yaml``'s ``reader:`` options."""
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    samples = read_sidewalk(root, policy, **{**BBOX_OPTIONS, **options})
    return Outcome(len(samples), policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _walk(root: Path, subset: str = "bbox", walk: int = 0) -> Path:
    """The folder of a walk (``walk`` counts from the first of the subset)."""
    return root / subset / f"{FIRST_WALK[subset] + walk:06d}"


def _xml(root: Path, subset: str = "bbox", walk: int = 0) -> Path:
    """The first task XML of a walk."""
    return _walk(root, subset, walk) / xml_name(subset, FIRST_WALK[subset] + walk, 1)


def _image(root: Path, subset: str = "bbox") -> Path:
    """The first frame of the first walk (listed by ``_xml``)."""
    return _walk(root, subset) / image_name(subset, FIRST_WALK[subset], 1)


def _replace(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _first_element(text: str, tag: str) -> str:
    match = re.search(rf"<{tag} [^>]*>", text)
    assert match is not None, tag
    return match.group(0)


def _set(tag: str, changes: dict[str, str], subset: str = "bbox") -> Callable[[Path], Path]:
    """Set (or add) attributes of the first ``<tag>`` of the target XML (its first image's)."""

    def apply(root: Path) -> Path:
        path = _xml(root, subset)
        old = _first_element(path.read_text(encoding="utf-8"), tag)
        new = old
        for attribute, value in changes.items():
            new, n = re.subn(rf'\b{attribute}="[^"]*"', f'{attribute}="{value}"', new, count=1)
            if n == 0:
                closing = " />" if new.endswith(" />") else ">"
                new = f'{new[: -len(closing)]} {attribute}="{value}"{closing}'
        assert new != old, (changes, old)
        return _replace(path, old, new)

    return apply


def _polygon_points(points: str) -> Callable[[Path], Path]:
    return _set("polygon", {"points": points}, subset="polygon")


def _box_outside(root: Path) -> Path:
    return _set("box", {"xtl": f"{WIDTH + 10}", "xbr": f"{WIDTH + 60}"})(root)


def _zero_area_box(root: Path) -> Path:
    xtl = re.search(r'xtl="([^"]*)"', _first_element(_xml(root).read_text(encoding="utf-8"), "box"))
    assert xtl is not None
    return _set("box", {"xbr": xtl.group(1)})(root)


def _polygon_only_class_in_box_task(root: Path) -> Path:
    """A controller (a polygon-subset class) declared and used in a box task."""
    label = "traffic_light_controller"
    _replace(_xml(root), "<labels>", f"<labels><label><name>{label}</name></label>")
    return _set("box", {"label": label})(root)


def _doctype(root: Path, doctype: str, reference: str) -> Path:
    """Put ``doctype`` after the XML declaration and ``reference`` in the task's name."""
    path = _xml(root)
    _replace(
        path,
        '<?xml version="1.0" encoding="utf-8"?>\n',
        f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}\n',
    )
    return _replace(path, "<name>bbox_", f"<name>{reference}bbox_")


def _billion_laughs(root: Path) -> Path:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    ]
    return _doctype(root, "<!DOCTYPE annotations [\n" + "\n".join(entities) + "\n]>", "&lol9;")


def _external_entity(root: Path) -> Path:
    return _doctype(root, '<!DOCTYPE annotations [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;")


def _voc_instead(root: Path) -> Path:
    """A Pascal VOC annotation under the task XML's name."""
    path = _xml(root)
    path.write_text(
        f"<annotation><folder>bbox</folder><filename>{_image(root).name}</filename>"
        f"<size><width>{WIDTH}</width><height>{HEIGHT}</height><depth>3</depth></size>"
        "<object><name>car</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax>"
        "</bndbox></object></annotation>\n",
        encoding="utf-8",
    )
    return path


def _bytes(content: bytes, target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """Replace a file's content."""

    def apply(root: Path) -> Path:
        path = target(root)
        path.write_bytes(content)
        return path

    return apply


def _truncate(target: Callable[[Path], Path], keep: float = 0.5) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = target(root)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])
        return path

    return apply


def _image_entry(root: Path) -> str:
    """The first ``<image>`` element of the target XML, shapes included."""
    text = _xml(root).read_text(encoding="utf-8")
    match = re.search(r"  <image .*?</image>\n", text, flags=re.DOTALL)
    assert match is not None
    return match.group(0)


def _listed_twice_in_one_xml(root: Path) -> Path:
    entry = _image_entry(root)
    return _replace(_xml(root), entry, entry + entry)


def _listed_by_another_xml(root: Path) -> Path:
    """The first frame's entry copied into the next walk's first task XML (read after it)."""
    entry = _image_entry(root)
    return _replace(_xml(root, walk=1), "</annotations>", entry + "</annotations>")


def _path_escape(root: Path) -> Path:
    return _replace(_xml(root), f'name="{_image(root).name}"', 'name="../../../../../../etc/hostname"')


def _delete_image(root: Path) -> Path:
    path = _image(root)
    path.unlink()
    return path


def _other_size(root: Path) -> Path:
    path = _image(root)
    Image.new("RGB", (WIDTH // 2, HEIGHT // 2), (90, 90, 90)).save(path, "JPEG")
    return path


def _decompression_bomb(root: Path) -> Path:
    """Rewrite the JPEG's SOF0 header to declare 40000x40000 pixels."""
    path = _image(root)
    data = bytearray(path.read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (40000).to_bytes(2, "big") * 2  # height, width
    path.write_bytes(bytes(data))
    return path


def _ambiguous_image(root: Path) -> Path:
    """The frame moved out of its walk folder, and a second file of its name elsewhere."""
    image = _image(root)
    for folder in ("images", "backup"):
        (root / folder).mkdir()
        shutil.copy(image, root / folder / image.name)
    image.unlink()
    return _xml(root)


def _dangling_image_link(root: Path) -> Path:
    path = _image(root)
    path.unlink()
    path.symlink_to(path.parent / "gone.jpg")
    return path


def _outside(root: Path, name: str) -> Path:
    """A place beside (not inside) the dataset root."""
    target = root.parent / "elsewhere" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _link_out(target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """Move a file or folder outside the root and leave a symbolic link to it in its place."""

    def apply(root: Path) -> Path:
        path = target(root)
        moved = _outside(root, path.name)
        shutil.move(path, moved)
        path.symlink_to(moved, target_is_directory=moved.is_dir())
        return path

    return apply


def _image_elsewhere_link_outside(root: Path) -> Path:
    """The frame gone from beside its XML; a link of its name in another folder leads outside."""
    image = _image(root)
    moved = _outside(root, image.name)
    shutil.move(image, moved)
    link = root / "images" / image.name
    link.parent.mkdir()
    link.symlink_to(moved)
    return link


def _environment(root: Path) -> Path:
    return root / ENVIRONMENT_CSV


def _csv_without_weather(root: Path) -> Path:
    path = _environment(root)
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [",".join(f for i, f in enumerate(line.split(",")) if i != 2) for line in lines]
    assert lines[0].split(",")[2] == "weather" and "weather" not in kept[0]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def _csv_field_over_limit(root: Path) -> Path:
    """A 200,000-character field: over the csv module's 131,072-character limit."""
    path = _environment(root)
    with path.open("a", encoding="utf-8") as f:
        f.write("x.jpg,day,clear," + "9" * 200_000 + "\n")
    return path


# ------------------------------------------------------------------------------------------ faults

WHOLE_TASK = {"dropped": PER_TASK}  # a task XML that cannot be read at all: counted once, its frames go
CSV = {"dropped": 0}  # a conditions CSV that cannot be read: counted once, no image goes

FAULTS = [
    # the task XML as a whole
    Fault("xml_billion_laughs", "unsafe_xml", r"refused unsafe XML \(DTDForbidden\)", _billion_laughs,
          **WHOLE_TASK),
    Fault("xml_external_entity", "unsafe_xml", r"refused unsafe XML", _external_entity, **WHOLE_TASK),
    Fault("xml_is_pascal_voc", "not_cvat", r"root element is <annotation>, expected <annotations>",
          _voc_instead, **WHOLE_TASK),
    Fault("xml_cvat_version_2", "not_cvat", r"version '2\.0' is not supported",
          lambda r: _replace(_xml(r), "<version>1.1</version>", "<version>2.0</version>"), **WHOLE_TASK),
    Fault("xml_malformed", "malformed_xml", r"malformed XML: mismatched tag",
          lambda r: _replace(_xml(r), "</annotations>", "</annotation>"), **WHOLE_TASK),
    Fault("xml_truncated", "malformed_xml", r"malformed XML", _truncate(_xml), **WHOLE_TASK),
    Fault("xml_empty_file", "malformed_xml", r"malformed XML: no element found", _bytes(b"", _xml),
          **WHOLE_TASK),
    Fault("xml_link_outside", "link_outside_root", r"leads outside the dataset root", _link_out(_xml),
          **WHOLE_TASK),
    Fault("walk_folder_link_outside", "link_outside_root",
          r"leads outside the dataset root.*none of the folder's annotations is read", _link_out(_walk),
          dropped=FRAMES_PER_WALK),
    # one image entry: the image goes
    Fault("unknown_label", "unknown_class", r"label 'unicorn' is not declared",
          _set("box", {"label": "unicorn"})),
    Fault("polygon_only_class_in_box_task", "unknown_class", r"'traffic_light_controller' is not one of the dataset",
          _polygon_only_class_in_box_task),
    Fault("box_outside_image", "shape_outside_image", rf"lies outside the {WIDTH}x{HEIGHT} image", _box_outside),
    Fault("box_zero_area", "zero_area_box", r"has zero area", _zero_area_box),
    Fault("box_swapped_corners", "swapped_corners", r"corners are swapped",
          _set("box", {"xtl": "300", "xbr": "100"})),
    Fault("box_non_numeric", "bad_box", r"xtl is 'left', not a number", _set("box", {"xtl": "left"})),
    Fault("box_beyond_float", "bad_box", r"ybr is '1e400', not a number", _set("box", {"ybr": "1e400"})),
    Fault("box_nan", "bad_box", r"xbr is 'nan', not a number", _set("box", {"xbr": "nan"})),
    Fault("box_rotated", "bad_box", r"rotated boxes", _set("box", {"rotation": "30"})),
    Fault("box_occluded_not_a_flag", "bad_box", r"occluded='maybe'", _set("box", {"occluded": "maybe"})),
    Fault("image_width_not_a_number", "bad_image_entry", r"width='wide' is not an integer",
          _set("image", {"width": "wide"})),
    Fault("image_listed_twice_in_one_xml", "duplicate_image", r"is listed 2 times", _listed_twice_in_one_xml,
          skipped=2),
    Fault("image_listed_by_two_xmls", "duplicate_image", r"is listed by another XML too",
          _listed_by_another_xml, dropped=0),
    Fault("image_name_escapes_root", "path_escape", r"escapes the dataset root", _path_escape),
    # polygons (the polygon subset)
    Fault("polygon_2_points", "bad_polygon", r"polygon has 2 points, needs at least 3",
          _polygon_points("10.00,10.00;50.00,60.00"), options=POLYGON),
    Fault("polygon_points_on_a_line", "bad_polygon", r"zero area",
          _polygon_points("10.00,10.00;20.00,20.00;30.00,30.00"), options=POLYGON),
    Fault("polygon_outside_image", "shape_outside_image", rf"lies outside the {WIDTH}x{HEIGHT} image",
          _polygon_points(f"{WIDTH + 5},10;{WIDTH + 50},10;{WIDTH + 30},60"), options=POLYGON),
    Fault("polygon_non_numeric", "bad_polygon", r"point y is 'ten', not a number",
          _polygon_points("10,ten;50,10;30,60"), options=POLYGON),
    Fault("polygon_point_not_a_pair", "bad_polygon", r"point '10,20,30' is not 'x,y'",
          _polygon_points("10,20,30;50,10;30,60"), options=POLYGON),
    Fault("polygon_negative_group", "bad_polygon", r"group_id=-2 is negative",
          _set("polygon", {"group_id": "-2"}, subset="polygon"), options=POLYGON),
    # the image files
    Fault("image_missing", "missing_image", r"listed in .* but missing", _delete_image),
    Fault("image_of_another_size", "size_mismatch",
          rf"image is {WIDTH // 2}x{HEIGHT // 2}, its XML says {WIDTH}x{HEIGHT}", _other_size),
    Fault("image_truncated_full_verify", "unreadable_image", r"unreadable image", _truncate(_image),
          options={"verify_images": "full"}),
    Fault("image_empty_file", "unreadable_image", r"unreadable image", _bytes(b"", _image)),
    Fault("image_not_an_image", "unreadable_image", r"unreadable image", _bytes(b"not a jpeg" * 50, _image)),
    Fault("decompression_bomb_header", "decompression_bomb", r"decompression bomb", _decompression_bomb),
    Fault("image_ambiguous_elsewhere", "ambiguous_image", r"ambiguous: several files have its name",
          _ambiguous_image),
    Fault("dangling_image_link", "missing_image", r"not found", _dangling_image_link),
    Fault("image_link_outside", "link_outside_root", r"leads outside the dataset root", _link_out(_image)),
    Fault("image_elsewhere_link_outside", "link_outside_root", r"leads outside the dataset root",
          _image_elsewhere_link_outside),
    # the environment (conditions) CSV: images stay, without conditions
    Fault("csv_lacks_a_column", "bad_csv", r"lacks columns \['weather'\]", _csv_without_weather, **CSV),
    Fault("csv_empty_file", "bad_csv", r"lacks columns", _bytes(b"", _environment), **CSV),
    Fault("csv_not_utf8", "bad_csv", r"not UTF-8", _bytes("image,날씨\n".encode("cp949") * 3, _environment),
          **CSV),
    Fault("csv_field_over_limit", "bad_csv", r"field larger than field limit", _csv_field_over_limit, **CSV),
    Fault("csv_link_outside", "link_outside_root", r"leads outside the dataset root", _link_out(_environment),
          **CSV),
]  # fmt: skip
