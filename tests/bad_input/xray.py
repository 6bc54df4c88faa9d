"""Bad-input corpus for the X-ray reader: COCO JSON, VOC XML, images and symbolic links.

The twin: 2 makers x 2 classes x 4 subsets x 1 image = 16 images of 64 px, one COCO file per
maker (8 images each) and one VOC file per image. Faults break the Smith side.
"""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

import aihub_bench.configs
from aihub_bench.datasets.xray import read_xray, write_synthetic_xray
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome

DATASET = "xray"
CONFIG = Path(aihub_bench.configs.__file__).parent / "dataset" / "xray.yaml"
TWIN = {
    "classes": ["Knife", "Laptop"],
    "makers": ["Astrophysics", "Smith"],
    "images_per_subset": 1,
    "image_size": 64,
    "seed": 1,
}
PER_MAKER = 2 * 4  # images in one maker's COCO file
PER_CLASS_FOLDER = 4  # images in one maker's class folder (one per subset)
COCO = "Annotation/Train/CoCo/coco_smith.json"
VOC = {"annotations": "voc"}
SENTINEL = 123456789


def write_twin(root: Path) -> None:
    write_synthetic_xray(root, **TWIN)


def _reader_options() -> dict[str, Any]:
    """The yaml's ``reader:`` options (what the datamodule passes), without the Hydra keys."""
    reader = OmegaConf.to_container(OmegaConf.load(CONFIG).reader)
    return {k: v for k, v in reader.items() if not k.startswith("_")}


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    policy = ErrorPolicy(on_error)
    samples = read_xray(root=root, policy=policy, **{**_reader_options(), **options})
    return Outcome(len(samples), policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _load(root: Path) -> dict:
    return json.loads((root / COCO).read_text(encoding="utf-8"))


def _save(root: Path, data: dict) -> None:
    (root / COCO).write_text(json.dumps(data), encoding="utf-8")


def _target(data: dict) -> tuple[dict, list[dict]]:
    """The Smith Knife Multiple_Categories image (several objects) and its annotations."""
    image = next(im for im in data["images"] if "\\Knife\\Multiple_Categories\\" in im["path"])
    return image, [a for a in data["annotations"] if a["image_id"] == image["id"]]


def _image_path(root: Path, image: dict) -> Path:
    return root.joinpath(*image["path"].split("\\")[-4:])


def _edit(fn: Callable[[dict, list[dict]], None]) -> Callable[[Path], Path]:
    """Change the target image's COCO entries; the error names the COCO file."""

    def apply(root: Path) -> Path:
        data = _load(root)
        fn(*_target(data))
        _save(root, data)
        return root / COCO

    return apply


def _raw_edit(replacement: str) -> Callable[[Path], Path]:
    """Put ``replacement`` (raw JSON text) where the target's first bbox value was."""

    def apply(root: Path) -> Path:
        data = _load(root)
        _target(data)[1][0]["bbox"][2] = SENTINEL
        text = json.dumps(data)
        assert text.count(str(SENTINEL)) == 1
        (root / COCO).write_text(text.replace(str(SENTINEL), replacement), encoding="utf-8")
        return root / COCO

    return apply


def _truncate_json(root: Path) -> Path:
    text = (root / COCO).read_text(encoding="utf-8")
    (root / COCO).write_text(text[: len(text) // 2], encoding="utf-8")
    return root / COCO


def _break_structure(root: Path) -> Path:
    data = _load(root)
    del data["annotations"][0]["image_id"]  # no way to tell which image it belongs to
    _save(root, data)
    return root / COCO


def _target_image(root: Path) -> Path:
    return _image_path(root, _target(_load(root))[0])


def _delete_image(root: Path) -> Path:
    path = _target_image(root)
    path.unlink()
    return path


def _truncate_image(root: Path) -> Path:
    path = _target_image(root)
    path.write_bytes(path.read_bytes()[:-100])
    return path


def _chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def _bomb(root: Path) -> Path:
    """A PNG whose header declares 30000 x 30000 pixels (900 MP) with almost no data."""
    path = _target_image(root)
    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 30_001))
        + _chunk(b"IEND", b"")
    )
    return path


def _outside(root: Path, name: str) -> Path:
    """A place next to (not inside) the dataset root."""
    target = root.parent / "elsewhere" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _link_out(relative: str | Callable[[Path], Path]) -> Callable[[Path], Path]:
    """Move a file or folder outside the root and leave a symbolic link to it in its place."""

    def apply(root: Path) -> Path:
        path = relative(root) if callable(relative) else root / relative
        target = _outside(root, path.name)
        shutil.move(path, target)
        path.symlink_to(target, target_is_directory=target.is_dir())
        return path

    return apply


def _voc_file(root: Path) -> Path:
    return root / "Annotation/Train/Pascal/Smith" / f"{_target_image(root).stem}.xml"


def _voc_edit(old: str, new: str) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = _voc_file(root)
        text = path.read_text(encoding="utf-8")
        assert old in text, text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    return apply


def _voc_swap_x(root: Path) -> Path:
    """Swap the first object's xmin and xmax."""
    path = _voc_file(root)
    text = path.read_text(encoding="utf-8")
    xmin = text.split("<xmin>", 1)[1].split("</xmin>", 1)[0]
    xmax = text.split("<xmax>", 1)[1].split("</xmax>", 1)[0]
    text = text.replace(f"<xmin>{xmin}</xmin>", f"<xmin>{xmax}</xmin>", 1)
    path.write_text(text.replace(f"<xmax>{xmax}</xmax>", f"<xmax>{xmin}</xmax>", 1), encoding="utf-8")
    return path


def _far_bbox(image: dict, anns: list[dict]) -> None:
    """Move the first bbox to the opposite corner of the image, away from its polygon."""
    x, y, w, h = anns[0]["bbox"]
    anns[0]["bbox"] = [image["width"] - x - w, image["height"] - y - h, w, h]
    # the move must really take the box off its polygon, or the fault tests nothing
    assert abs(image["width"] - 2 * x - w) > 10 or abs(image["height"] - 2 * y - h) > 10


def _null_part(image: dict, anns: list[dict]) -> None:
    anns[0]["segmentation"].append(None)


# ------------------------------------------------------------------------------------------ faults

FAULTS = [
    # JSON the standard parser crashes on or lets through: the whole file is refused, its images
    # cannot be known, so it counts once (stats.annotation_files_dropped) and all 8 images go
    Fault("json_int_beyond_float", "malformed_json", r"integer 1000.* is out of range",
          _raw_edit("1" + "0" * 400), dropped=PER_MAKER),
    Fault("json_int_5000_digits", "malformed_json", r"5000 digits\) is out of range",
          _raw_edit("9" * 5000), dropped=PER_MAKER),
    Fault("json_float_infinite", "malformed_json", r"1e400 is not finite",
          _raw_edit("1e400"), dropped=PER_MAKER),
    Fault("json_nested_100000", "malformed_json", r"nested deeper",
          _raw_edit("[" * 100_000 + "]" * 100_000), dropped=PER_MAKER),
    Fault("json_truncated", "malformed_json", r"cannot read the JSON", _truncate_json, dropped=PER_MAKER),
    # parsed, but broken in a way that loses the whole file: counted once per image it lists
    Fault("coco_annotation_without_image_id", "malformed_json",
          r"lacks key\(s\) image_id; the whole file is dropped with the 8 image",
          _break_structure, skipped=PER_MAKER, dropped=PER_MAKER),
    # one image's annotation is wrong: that image goes
    Fault("null_polygon_part", "bad_polygon", r"polygon 1 is null", _edit(_null_part)),
    Fault("polygon_2_points", "bad_polygon", r"has 2 points, needs at least 3",
          _edit(lambda im, a: a[0].update(segmentation=[[1, 1, 9, 9]]))),
    Fault("bbox_far_from_polygon", "bbox_polygon_mismatch", r"does not match its polygon's bounds.*IoU 0\.00",
          _edit(_far_bbox)),
    Fault("bbox_negative_width", "bad_box", r"negative width or height",
          _edit(lambda im, a: a[0]["bbox"].__setitem__(2, -a[0]["bbox"][2]))),
    Fault("unknown_class", "unknown_class", r"unknown class 'category id 9999'",
          _edit(lambda im, a: a[0].update(category_id=9999))),
    Fault("path_escape", "path_escape", r"escapes the dataset root",
          _edit(lambda im, a: im.update(file_name="../../../../../../../../etc/passwd"))),
    # the image file itself
    Fault("missing_image", "missing_image", r"image file not found", _delete_image),
    Fault("truncated_image", "unreadable_image", r"unreadable image", _truncate_image),
    Fault("decompression_bomb", "decompression_bomb", r"decompression bomb", _bomb),
    Fault("decompression_bomb_header_only", "decompression_bomb", r"decompression bomb", _bomb,
          options={"verify_images": "header"}),
    # symbolic links leading outside the dataset root
    Fault("image_link_outside", "link_outside_root", r"leads outside the dataset root.*coco_smith.json",
          _link_out(_target_image)),
    Fault("class_folder_link_outside", "link_outside_root", r"leads outside the dataset root",
          _link_out("Smith/Knife"), skipped=PER_CLASS_FOLDER, dropped=PER_CLASS_FOLDER),
    Fault("maker_folder_link_outside", "link_outside_root", r"leads outside the dataset root",
          _link_out("Smith"), skipped=PER_MAKER, dropped=PER_MAKER),
    Fault("annotation_file_link_outside", "link_outside_root", r"allow_outside_links",
          _link_out(COCO), dropped=PER_MAKER),
    # Pascal VOC: one file per image
    Fault("voc_swapped_corners", "swapped_corners", r"swapped corners \(xmin > xmax\)", _voc_swap_x,
          options=VOC),
    Fault("voc_malformed_xml", "malformed_xml", r"malformed XML", _voc_edit("</annotation>", "</annotatio"),
          options=VOC),
    Fault("voc_number_beyond_float", "malformed_xml", r"xmin is '1e400', not a number",
          lambda r: _voc_edit(f"<xmin>{_voc_xmin(r)}</xmin>", "<xmin>1e400</xmin>")(r), options=VOC),
    Fault("voc_unknown_class", "unknown_class", r"unknown class 'Teapot'",
          _voc_edit("<name>Knife</name>", "<name>Teapot</name>"), options=VOC),
    Fault("voc_path_escape", "path_escape", r"escapes the dataset root",
          _voc_edit("<filename>", "<filename>../../../../../../"), options=VOC),
    Fault("voc_folder_link_outside", "link_outside_root", r"leads outside.*none of the folder's annotation files",
          _link_out("Annotation/Train/Pascal/Smith"), dropped=PER_MAKER, options=VOC),
    Fault("voc_image_link_outside", "link_outside_root", r"leads outside the dataset root",
          _link_out(_target_image), options=VOC),
]  # fmt: skip


def _voc_xmin(root: Path) -> str:
    return _voc_file(root).read_text(encoding="utf-8").split("<xmin>", 1)[1].split("</xmin>", 1)[0]
