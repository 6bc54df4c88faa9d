"""Bad-input corpus: the 한국어 글자체 이미지 reader (one COCO-like JSON per subset, PNG crops, JPEG photos).

The twin is the smoke one (``SPEC.smoke``): four fonts; printed 20 syllables, 20 words and 4 sentences
per font plus one file listed under a second id (177 samples), handwriting 40 + 40 + 8, augmented 8
syllables per font, 16 text-in-the-wild photos. The reader runs with ``ocr_syllable.yaml``'s options
widened to every subset, kind and box class, so that each fault's samples are counted. Most faults
break the printed JSON's first image (``00000001``, a syllable) or its file; text-in-the-wild faults
break the second photo (id ``00000002``: two word boxes, no character box, one ignored scribble).
"""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from PIL import Image

import aihub_bench.configs
from aihub_bench.datasets.ocr import SPEC, read_ocr, write_synthetic_ocr
from aihub_bench.datasets.ocr.layout import KINDS, SUBSETS, TIW_CLASSES, TIW_TYPE_FOLDERS
from aihub_bench.datasets.ocr.synth import FOLDERS, INFO_NAMES, KIND_FOLDERS, tiw_file_name
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome
from bad_input.sidewalk import _bytes, _link_out, _truncate

DATASET = "ocr"
TWIN = dict(SPEC.smoke)
FONTS = 4
PRINTED = FONTS * (TWIN["syllables_per_font"] + TWIN["words_per_font"] + TWIN["sentences_per_font"]) + 1
PRINTED_SYLLABLES = FONTS * TWIN["syllables_per_font"]
HANDWRITING = TWIN["handwriting_syllables"] + TWIN["handwriting_words"] + TWIN["handwriting_sentences"]
PHOTO_ID, PHOTO_BOXES = "00000002", 2  # the second photo: two words (index 1: 1 + 1 % 3), no characters


def _reader_options() -> dict[str, Any]:
    reader = OmegaConf.to_container(
        OmegaConf.load(Path(aihub_bench.configs.__file__).parent / "dataset" / "ocr_syllable.yaml").reader
    )
    assert isinstance(reader, dict)
    options = {str(k): v for k, v in reader.items() if not str(k).startswith("_")}
    return {**options, "subsets": list(SUBSETS), "kinds": list(KINDS), "tiw_classes": list(TIW_CLASSES)}


OPTIONS = _reader_options()


def write_twin(root: Path) -> None:
    write_synthetic_ocr(root, **TWIN)


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    samples = read_ocr(root, policy, **{**OPTIONS, **options})
    return Outcome(len(samples), policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _json(subset: str) -> Callable[[Path], Path]:
    return lambda root: root / FOLDERS[subset] / INFO_NAMES[subset]


def _printed_image(root: Path) -> Path:
    return root / FOLDERS["printed"] / KIND_FOLDERS["printed"]["syllable"] / "00000001.png"


def _handwriting_image(root: Path) -> Path:
    return root / FOLDERS["handwriting"] / KIND_FOLDERS["handwriting"]["syllable"] / "00000001.png"


def _photo(root: Path) -> Path:
    folder = TIW_TYPE_FOLDERS[list(TIW_TYPE_FOLDERS)[1]]  # photo index 1 is a product photo
    return root / FOLDERS["tiw"] / folder / tiw_file_name(TWIN["seed"], 1)


def _edit(subset: str, change: Callable[[dict[str, Any]], Any]) -> Callable[[Path], Path]:
    """Load a subset's JSON, let ``change`` edit it in place, write it back."""

    def apply(root: Path) -> Path:
        path = _json(subset)(root)
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    return apply


def _image_entry(key: str, value: Any, index: int = 0) -> Callable[[Path], Path]:
    def change(data: dict[str, Any]) -> None:
        if value is None:
            del data["images"][index][key]
        else:
            data["images"][index][key] = value

    return _edit("printed", change)


def _annotation(subset: str, key: str, value: Any, image_id: str = "00000001") -> Callable[[Path], Path]:
    """Set (``None``: delete) ``key`` of the subset's first annotation of ``image_id``."""

    def change(data: dict[str, Any]) -> None:
        first = next(a for a in data["annotations"] if a["image_id"] == image_id)
        if value is None:
            del first[key]
        else:
            first[key] = value

    return _edit(subset, change)


def _replace_first_annotation(value: Any) -> Callable[[Path], Path]:
    def change(data: dict[str, Any]) -> None:
        data["annotations"][0] = value

    return _edit("printed", change)


def _raw(text: str, target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    return _bytes(text.encode("utf-8"), target)


def _deep_nesting(root: Path) -> Path:
    path = _json("printed")(root)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"version": "1.0"', '"version": ' + "[" * 100_000 + "]" * 100_000, 1))
    return path


def _huge_width(root: Path) -> Path:
    path = _json("printed")(root)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"width": 64', '"width": ' + "9" * 400, 1), encoding="utf-8")
    return path


def _png_bomb(root: Path) -> Path:
    """The PNG's IHDR rewritten to declare 40000x40000 pixels (with a valid CRC)."""
    path = _printed_image(root)
    data = bytearray(path.read_bytes())
    start = data.index(b"IHDR")
    data[start + 4 : start + 12] = (40000).to_bytes(4, "big") * 2
    data[start + 17 : start + 21] = zlib.crc32(bytes(data[start : start + 17])).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    return path


def _resized(target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = target(root)
        Image.new("L", (32, 32), 200).save(path, "PNG")
        return path

    return apply


def _delete(target: Callable[[Path], Path], subset: str) -> Callable[[Path], Path]:
    """Delete a file; the error names the subset's JSON, which lists it."""

    def apply(root: Path) -> Path:
        target(root).unlink()
        return _json(subset)(root)

    return apply


def _same_name_elsewhere(root: Path) -> Path:
    """A copy of the first printed syllable image in the printed word folder: two files of one name."""
    image = _printed_image(root)
    shutil.copy(image, root / FOLDERS["printed"] / KIND_FOLDERS["printed"]["word"] / image.name)
    return _json("printed")(root)


def _second_id_made_first(data: dict[str, Any]) -> None:
    data["images"][1]["id"] = data["images"][0]["id"]


def _syllable_folder(root: Path) -> Path:
    return root / FOLDERS["printed"] / KIND_FOLDERS["printed"]["syllable"].split("/")[0]


# ------------------------------------------------------------------------------------------ faults

WHOLE_PRINTED = {"dropped": PRINTED}

FAULTS = [
    # the printed JSON as a whole: its samples go, counted once (or per annotation listed)
    Fault("json_not_json", "bad_json", r"cannot read the JSON", _raw("{not json", _json("printed")), **WHOLE_PRINTED),
    Fault("json_not_utf8", "bad_json", r"not UTF-8", _bytes(b'{"images": "\xff\xfe"}', _json("printed")),
          **WHOLE_PRINTED),
    Fault("json_truncated", "bad_json", r"cannot read the JSON", _truncate(_json("printed")), **WHOLE_PRINTED),
    Fault("json_top_level_list", "bad_json", r"top level is list, expected an object", _raw("[]", _json("printed")),
          **WHOLE_PRINTED),
    Fault("json_without_annotations", "bad_json", r"'annotations' is missing",
          _raw('{"info": {}, "images": []}', _json("printed")), **WHOLE_PRINTED),
    Fault("json_images_not_a_list", "bad_json", r"'images' is a dict, not a list",
          _edit("printed", lambda d: d.update(images={})), skipped=PRINTED + 1, **WHOLE_PRINTED),
    Fault("json_nesting_100000_deep", "bad_json", r"nested deeper", _deep_nesting, **WHOLE_PRINTED),
    Fault("json_int_beyond_19_digits", "bad_json", r"integer .* out of range", _huge_width, **WHOLE_PRINTED),
    Fault("json_link_outside", "link_outside_root", r"leads outside the dataset root", _link_out(_json("printed")),
          **WHOLE_PRINTED),
    # one images[] entry: its annotations go
    Fault("image_width_not_a_number", "bad_image_entry", r"width is 'wide', not a positive integer",
          _image_entry("width", "wide")),
    Fault("image_height_zero", "bad_image_entry", r"height is 0, not a positive integer", _image_entry("height", 0)),
    Fault("image_without_file_name", "bad_image_entry", r"file_name is None", _image_entry("file_name", None)),
    Fault("image_without_id", "bad_image_entry", r"images\[0\] has no string id", _image_entry("id", None)),
    Fault("image_id_listed_twice", "duplicate_image_id", r"image id '00000001' is listed twice",
          _edit("printed", _second_id_made_first), dropped=2),
    Fault("image_name_escapes_root", "path_escape", r"escapes the dataset root",
          _image_entry("file_name", "../../../../etc/hostname")),
    # one annotation: it goes
    Fault("annotation_not_an_object", "bad_annotation", r"annotations\[0\] is str, not an object",
          _replace_first_annotation("가")),
    Fault("annotation_without_image_id", "bad_annotation", r"needs string id and image_id",
          _annotation("printed", "image_id", None)),
    Fault("annotation_attributes_not_an_object", "bad_annotation", r"an attributes object",
          _annotation("printed", "attributes", "font=NanumGothic")),
    Fault("text_empty", "empty_text", r"text is empty", _annotation("printed", "text", "")),
    Fault("text_only_spaces", "empty_text", r"text is empty", _annotation("printed", "text", "  ")),
    Fault("text_null", "empty_text", r"text is null", _annotation("handwriting", "text", None)),
    Fault("text_not_a_string", "bad_annotation", r"text is 5, not a string", _annotation("printed", "text", 5)),
    Fault("syllable_label_with_stray_jamo", "malformed_label",
          r"syllable label '국ㅇ' is malformed \(expected one modern Hangul syllable\)",
          _annotation("printed", "text", "국ㅇ"), options={"malformed_labels": "error"}),
    # the image files (the error names the JSON when the file is not there, else the file)
    Fault("image_missing", "missing_image", r"is listed but no such file is under the printed image folders",
          _delete(_printed_image, "printed")),
    Fault("handwriting_image_missing", "missing_image", r"no such file is under the handwriting image folders",
          _delete(_handwriting_image, "handwriting")),
    Fault("image_name_twice_in_subset", "ambiguous_image", r"is ambiguous: 2 files of that name",
          _same_name_elsewhere),
    Fault("image_not_an_image", "unreadable_image", r"unreadable image", _bytes(b"not a png" * 50, _printed_image)),
    Fault("image_truncated_full_verify", "unreadable_image", r"unreadable image", _truncate(_printed_image),
          options={"verify_images": "full"}),
    Fault("image_of_another_size", "size_mismatch", r"image is 32x32, printed_data_info.json says 64x64",
          _resized(_printed_image)),
    Fault("image_decompression_bomb", "decompression_bomb", r"decompression bomb", _png_bomb),
    Fault("image_link_outside", "link_outside_root", r"leads outside the dataset root", _link_out(_printed_image)),
    Fault("image_folder_link_outside", "link_outside_root", r"none of the folder's images is read",
          _link_out(_syllable_folder), dropped=PRINTED_SYLLABLES),
    # text in the wild: a box goes, or every box of its photo
    Fault("tiw_bbox_three_numbers", "bad_box", r"bbox \[.*\] has 3 values, expected 4 numbers",
          _annotation("tiw", "bbox", [10, 20, 30], PHOTO_ID)),
    Fault("tiw_bbox_not_a_list", "bad_box", r"is not a list, expected 4 numbers",
          _annotation("tiw", "bbox", "10,20,30,40", PHOTO_ID)),
    Fault("tiw_word_text_null", "empty_text", r"text is null", _annotation("tiw", "text", None, PHOTO_ID)),
    Fault("tiw_photo_missing", "missing_image", r"is listed but no such file is under the tiw image folders",
          _delete(_photo, "tiw"), skipped=PHOTO_BOXES, dropped=PHOTO_BOXES),
    Fault("tiw_photo_not_an_image", "unreadable_image", r"unreadable image", _bytes(b"not a jpeg" * 50, _photo),
          skipped=PHOTO_BOXES, dropped=PHOTO_BOXES),
]  # fmt: skip
