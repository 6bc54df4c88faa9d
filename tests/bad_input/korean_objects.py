"""Bad-input corpus: Korean object images (``<domain>/<n>/<class folder>/<stem>.jpg + .json``).

The twin: three domains, two classes each, two shoots (class folders) of three images per class,
96x72 JPEGs: 36 images in 12 class folders. Most faults break the first image of the first heritage
class folder; folder faults move or link a whole class folder (its 3 images go).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from aihub_bench.datasets.korean_objects import read_korean_objects, write_synthetic_korean_objects
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome

DATASET = "korean_objects"
IMAGES_PER_FOLDER = 3


def write_twin(root: Path) -> None:
    write_synthetic_korean_objects(
        root,
        classes_per_domain=2,
        shoots_per_class=2,
        images_per_shoot=IMAGES_PER_FOLDER,
        image_size=(72, 96),  # [height, width]: imsize [96, 72] in the JSON
    )


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    """Read as the datamodule does (config defaults: ``verify_images=header``), without the index cache."""
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    samples = read_korean_objects(root=root, policy=policy, cache_dir=None, **options)
    return Outcome(len(samples), policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _class_dir(root: Path) -> Path:
    return sorted((root / "유적건조물" / "1").iterdir())[0]


def _json(root: Path) -> Path:
    return sorted(_class_dir(root).glob("*.json"))[0]


def _edit(root: Path, change: Any) -> Path:
    """Apply ``change(data)`` to the first annotation and write it back; return its path."""
    path = _json(root)
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _replace_text(root: Path, old: str, new: str) -> Path:
    """Replace ``old`` once in the first annotation's text (for values json.dumps cannot write)."""
    path = _json(root)
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _first_box_text(root: Path) -> str:
    return json.dumps(json.loads(_json(root).read_text(encoding="utf-8"))["regions"][0]["boxcorners"])


# ------------------------------------------------------------------------------------------ faults


def _truncated_json(root: Path) -> Path:
    path = _json(root)
    path.write_bytes(path.read_bytes()[:40])
    return path


def _huge_int_box(root: Path) -> Path:
    return _replace_text(root, _first_box_text(root), "[" + "9" * 400 + ", 1, 20, 20]")


def _huge_int_imsize(root: Path) -> Path:
    return _replace_text(root, '"imsize": [96, 72]', '"imsize": [' + "1" * 30 + ", 72]")


def _int_beyond_4300_digits(root: Path) -> Path:
    return _replace_text(root, '"version": "1.0"', '"version": ' + "7" * 5000)


def _deep_nesting(root: Path) -> Path:
    depth = 100_000
    return _replace_text(root, '"version": "1.0"', '"version": ' + "[" * depth + "]" * depth)


def _non_finite_box(root: Path) -> Path:
    return _replace_text(root, _first_box_text(root), "[1e400, 1, 20, 20]")


def _nan_imsize(root: Path) -> Path:
    return _replace_text(root, '"imsize": [96, 72]', '"imsize": [NaN, 72]')


def _decompression_bomb(root: Path) -> Path:
    """Rewrite the JPEG's SOF0 header to declare 40000x40000 pixels."""
    path = _json(root).with_suffix(".jpg")
    data = bytearray(path.read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (40000).to_bytes(2, "big") * 2  # height, width
    path.write_bytes(bytes(data))
    return path


def _truncated_image(root: Path) -> Path:
    path = _json(root).with_suffix(".jpg")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def _missing_image(root: Path) -> Path:
    path = _json(root)
    path.with_suffix(".jpg").unlink()
    return path


def _ambiguous_image(root: Path) -> Path:
    path = _json(root)
    shutil.copyfile(path.with_suffix(".jpg"), path.with_suffix(".png"))
    return path


def _missing_annotation(root: Path) -> Path:
    path = _json(root)
    path.unlink()
    return path.with_suffix(".jpg")


def _ambiguous_annotation(root: Path) -> Path:
    """``X.json`` and ``X.JSON`` beside one image; the error names the first in name order."""
    path = _json(root)
    return shutil.copyfile(path, path.with_suffix(".JSON"))


def _imsize_one_number(root: Path) -> Path:
    return _edit(root, lambda d: d["image"].update(imsize=[96]))


def _box_outside(root: Path) -> Path:
    return _edit(root, lambda d: d["regions"][0].update(boxcorners=[10, 10, 500, 60]))


def _empty_regions(root: Path) -> Path:
    return _edit(root, lambda d: d.update(regions=[]))


def _region_without_class(root: Path) -> Path:
    return _edit(root, lambda d: d["regions"][0].pop("class"))


def _size_mismatch(root: Path) -> Path:
    return _edit(root, lambda d: d["image"].update(imsize=[640, 480])).with_suffix(".jpg")  # names the image


def _bad_folder_name(root: Path) -> Path:
    folder = _class_dir(root)
    return folder.rename(folder.with_name(folder.name.split("_", 1)[0] + "_유적건조물_궁궐"))


def _class_folder_too_high(root: Path) -> Path:
    """``<domain>/<class folder>/`` instead of ``<domain>/<n>/<class folder>/``."""
    folder = _class_dir(root)
    return folder.rename(root / "유적건조물" / folder.name)


def _class_folder_too_deep(root: Path) -> Path:
    """``<domain>/<n>/백업/<class folder>/``: one folder level too many."""
    folder = _class_dir(root)
    (folder.parent / "백업").mkdir()
    return folder.rename(folder.parent / "백업" / folder.name)


def _images_in_subfolder(root: Path) -> Path:
    """Two images (and their JSONs) moved into a sub-folder of their class folder."""
    folder = _class_dir(root)
    sub = folder / "추가"
    sub.mkdir()
    for path in sorted(folder.glob("*.*"))[:4]:
        path.rename(sub / path.name)
    return sub


def _outside(root: Path) -> Path:
    """A folder beside the dataset root (outside it)."""
    out = root.parent / "elsewhere"
    out.mkdir(exist_ok=True)
    return out


def _image_link_outside(root: Path) -> Path:
    image = _json(root).with_suffix(".jpg")
    target = _outside(root) / image.name
    image.rename(target)
    image.symlink_to(target)
    return image


def _class_folder_link_outside(root: Path) -> Path:
    folder = _class_dir(root)
    target = _outside(root) / folder.name
    folder.rename(target)
    folder.symlink_to(target, target_is_directory=True)
    return folder


FAULTS = [
    Fault("truncated_json", "bad_json", r"cannot read the JSON", _truncated_json),
    Fault("int_too_large_for_float_in_box", "bad_json", r"integer .* out of range", _huge_int_box),
    Fault("int_too_large_in_imsize", "bad_json", r"integer .* out of range", _huge_int_imsize),
    Fault("int_beyond_4300_digits", "bad_json", r"integer .*digits.* out of range", _int_beyond_4300_digits),
    Fault("nesting_100000_deep", "bad_json", r"nested deeper", _deep_nesting),
    Fault("non_finite_number_in_box", "bad_json", r"not finite", _non_finite_box),
    Fault("nan_in_imsize", "bad_json", r"NaN", _nan_imsize),
    Fault("decompression_bomb_header", "decompression_bomb", r"decompression bomb", _decompression_bomb),
    Fault(
        "truncated_image_full_verify",
        "unreadable_image",
        r"unreadable image",
        _truncated_image,
        options={"verify_images": "full"},
    ),
    Fault("missing_image", "missing_image", r"no image file beside", _missing_image),
    Fault("jpg_and_png_beside_one_json", "ambiguous_image", r"ambiguous image files", _ambiguous_image),
    Fault("image_without_json", "missing_annotation", r"no annotation JSON", _missing_annotation),
    Fault(
        "json_and_JSON_beside_one_image",
        "ambiguous_annotation",
        r"ambiguous annotation",
        _ambiguous_annotation,
    ),
    Fault("imsize_one_number", "bad_image_entry", r"not two positive integers", _imsize_one_number),
    Fault("box_outside_image", "bad_box", r"outside the 96x72 image", _box_outside),
    Fault("empty_regions", "no_regions", r"'regions' is empty", _empty_regions),
    Fault(
        "region_without_class",
        "bad_region",
        r"no 'class'",
        _region_without_class,
        options={"label_source": "region"},
    ),
    Fault("imsize_differs_from_image", "size_mismatch", r"image is 96x72 but", _size_mismatch),
    Fault(
        "bad_class_folder_name",
        "bad_folder_name",
        r"folder name is not",
        _bad_folder_name,
        skipped=IMAGES_PER_FOLDER,
        dropped=IMAGES_PER_FOLDER,
    ),
    Fault(
        "class_folder_one_level_too_high",
        "wrong_depth",
        r"3 image file\(s\) lie directly in this numbered folder",
        _class_folder_too_high,
        skipped=IMAGES_PER_FOLDER,
        dropped=IMAGES_PER_FOLDER,
    ),
    Fault(
        "class_folder_one_level_too_deep",
        "wrong_depth",
        r"3 image file\(s\) in a folder below the class-folder level",
        _class_folder_too_deep,
        skipped=IMAGES_PER_FOLDER,
        dropped=IMAGES_PER_FOLDER,
    ),
    Fault(
        "images_in_subfolder_of_class_folder",
        "wrong_depth",
        r"2 image file\(s\) in a folder below",
        _images_in_subfolder,
        skipped=2,
        dropped=2,
    ),
    Fault(
        "image_link_outside_root", "link_outside_root", r"leads outside the dataset root", _image_link_outside
    ),
    Fault(
        "class_folder_link_outside_root",
        "link_outside_root",
        r"leads outside the dataset root",
        _class_folder_link_outside,
        skipped=IMAGES_PER_FOLDER,
        dropped=IMAGES_PER_FOLDER,
    ),
]
