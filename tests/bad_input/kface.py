"""Bad-input corpus: the K-Face reader (``<resolution>/<id>/S/L/E/C.jpg``, annotation txt) and its
pair and identity lists.

The twin is the smoke one (``SPEC.smoke``): 16 identities x S001, S003 x L1, L7 x E01, E02 x C4, C7,
C10 (384 images); annotations in every ``S001/L1/E0x`` folder. The reader runs with ``kface.yaml``'s
options (no index cache). Folder faults break the first identity's ``S003`` branch (12 images:
``L7`` 6, ``L7/E02`` 3); annotation faults its ``S001/L1/E01/C7.txt`` (the image stays, without
it: nothing dropped). Pair-list faults break ``protocols/pairs_paths.txt`` / ``pairs_short.txt``
(option ``pairs``; the unit is a pair) and ``test_identities.txt`` (option ``identities``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

import aihub_bench.configs
from aihub_bench.datasets.kface import (
    SPEC,
    read_identity_list,
    read_kface,
    read_pair_list,
    write_synthetic_kface,
)
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome
from bad_input.sidewalk import _bytes, _link_out, _truncate

TWIN = dict(SPEC.smoke)
FIRST = f"{TWIN['first_id']:08d}"
PAIRS_PATHS, PAIRS_SHORT, IDENTITIES = (
    "protocols/pairs_paths.txt",
    "protocols/pairs_short.txt",
    "protocols/test_identities.txt",
)


def _reader_options() -> dict[str, Any]:
    reader = OmegaConf.load(Path(aihub_bench.configs.__file__).parent / "dataset" / "kface.yaml").reader
    options = {str(k): v for k, v in OmegaConf.to_container(reader).items() if not str(k).startswith("_")}  # type: ignore[union-attr]
    return {**options, "cache_dir": None}


OPTIONS = _reader_options()


def write_twin(root: Path) -> None:
    write_synthetic_kface(root, **TWIN)


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    """Read the images, or with ``pairs`` / ``identities`` (a path below ``root``) that list."""
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    if "pairs" in options:
        units = len(read_pair_list(root / options["pairs"], policy, form=options.get("pair_form", "auto")))
    elif "identities" in options:
        units = len(read_identity_list(root / options["identities"], policy))
    else:
        units = len(read_kface(root, policy, **{**OPTIONS, **options}))
    return Outcome(units, policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _folder(*parts: str) -> Callable[[Path], Path]:
    return lambda root: root / TWIN["resolution_dir"] / FIRST / Path(*parts)


_IMAGE = _folder("S003", "L7", "E02", "C4.jpg")
_ANNOTATION = _folder("S001", "L1", "E01", "C7.txt")


def _rename(target: Callable[[Path], Path], new_name: str) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = target(root)
        return path.rename(path.with_name(new_name))

    return apply


def _move_expression_up(root: Path) -> Path:
    """``S003/L7/E02`` moved up a level, to ``S003/E02`` (a light level missing)."""
    source = _folder("S003", "L7", "E02")(root)
    return source.rename(source.parent.parent / "E02")


def _copy_image_to(*parts: str) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        folder = _folder(*parts)(root)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(_IMAGE(root), folder / "C4.jpg")
        return folder

    return apply


def _second_image_of_one_camera(root: Path) -> Path:
    image = _IMAGE(root)
    shutil.copy(image, image.with_suffix(".png"))
    return image


def _annotation_line(line: int, text: str) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = _ANNOTATION(root)
        lines = path.read_text(encoding="utf-8").splitlines()
        lines[line - 1] = text
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return apply


def _extra_box(root: Path) -> Path:
    path = _ANNOTATION(root)
    path.write_text("1 1 5 5\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _delete_annotated_image(root: Path) -> Path:
    image = _ANNOTATION(root).with_suffix(".jpg")
    image.unlink()
    return image


def _list_line(name: str, line: int, edit: Callable[[list[str]], list[str]]) -> Callable[[Path], Path]:
    """Replace the fields of line ``line`` (1-based) of a protocol list by ``edit(fields)``."""

    def apply(root: Path) -> Path:
        path = root / name
        lines = path.read_text(encoding="utf-8").splitlines()
        lines[line - 1] = " ".join(edit(lines[line - 1].split()))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return apply


def _set(index: int, value: str) -> Callable[[list[str]], list[str]]:
    return lambda fields: [value if i == index else f for i, f in enumerate(fields)]


def _key_without_expression(fields: list[str]) -> list[str]:
    identity, s, light, _e, camera = fields[0].split("/")
    return [f"{identity}/{s}/{light}/{camera}", *fields[1:]]


def _decompression_bomb_at(root: Path) -> Path:
    """Rewrite the JPEG's SOF0 header to declare 40000x40000 pixels."""
    path = _IMAGE(root)
    data = bytearray(path.read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (40000).to_bytes(2, "big") * 2
    path.write_bytes(bytes(data))
    return path


PAIRS = {"pairs": PAIRS_PATHS}
SHORT = {"pairs": PAIRS_SHORT, "pair_form": "short"}
FOLDER_S003, FOLDER_L7, FOLDER_E02 = 12, 6, 3  # images in the first identity's broken folders

# fmt: off
FAULTS = [
    # -- condition codes and layout
    Fault("accessory_code_unknown", "unknown_condition", r"unknown accessory code 'S007'",
          _rename(_folder("S003"), "S007"), skipped=FOLDER_S003, dropped=FOLDER_S003),
    Fault("light_code_unknown", "unknown_condition", r"unknown light code 'L31'",
          _rename(_folder("S003", "L7"), "L31"), skipped=FOLDER_L7, dropped=FOLDER_L7),
    Fault("expression_code_unknown", "unknown_condition", r"unknown expression code 'E04'",
          _rename(_folder("S003", "L7", "E02"), "E04"), skipped=FOLDER_E02, dropped=FOLDER_E02),
    Fault("camera_code_unknown", "unknown_condition", r"unknown camera code 'C21'", _rename(_IMAGE, "C21.jpg")),
    Fault("camera_code_of_no_factor", "unknown_condition", r"unknown camera code 'X01'", _rename(_IMAGE, "X01.jpg")),
    Fault("expression_folder_where_light_belongs", "wrong_depth", r"an expression folder where a light folder belongs",
          _move_expression_up, skipped=FOLDER_E02, dropped=FOLDER_E02),
    Fault("image_in_identity_folder", "wrong_depth", r"1 image file\(s\) lie directly in an identity folder",
          _copy_image_to(), dropped=0),
    Fault("image_below_expression_folder", "wrong_depth", r"below the expression level \(too deep\)",
          _copy_image_to("S003", "L7", "E02", "extra"), dropped=0),
    # -- image files
    Fault("image_not_an_image", "unreadable_image", r"unreadable image", _bytes(b"not a jpeg" * 50, _IMAGE)),
    Fault("image_truncated_full_verify", "unreadable_image", r"unreadable image", _truncate(_IMAGE),
          options={"verify_images": "full"}),
    Fault("image_decompression_bomb", "decompression_bomb", r"decompression bomb",
          _decompression_bomb_at),
    Fault("image_link_outside", "link_outside_root", r"leads outside the dataset root", _link_out(_IMAGE)),
    Fault("accessory_folder_link_outside", "link_outside_root", r"none of the folder's images is read",
          _link_out(_folder("S003")), skipped=FOLDER_S003, dropped=FOLDER_S003),
    Fault("two_images_of_one_camera", "ambiguous_image", r"ambiguous image files C4.jpg, C4.png",
          _second_image_of_one_camera),
    # -- annotation txt (the image stays, without its annotation)
    Fault("annotation_line_of_three_values", "bad_annotation", r"line 1: 3 values; expected 4 \(a box\) or 2",
          _annotation_line(1, "10 10 20"), dropped=0),
    Fault("annotation_line_not_numbers", "bad_annotation", r"line 2: 'a b c d' is not numbers",
          _annotation_line(2, "a b c d"), dropped=0),
    Fault("annotation_value_not_finite", "bad_annotation", r"line 3: .* is not finite",
          _annotation_line(3, "nan 1 2 3"), dropped=0),
    Fault("annotation_box_negative_size", "bad_annotation", r"line 1: box .* has a negative size",
          _annotation_line(1, "10 10 -5 4"), dropped=0),
    Fault("annotation_eight_boxes", "bad_annotation", r"line 8: more than 7 boxes", _extra_box, dropped=0),
    Fault("annotation_not_utf8", "bad_annotation", r"not UTF-8", _bytes(b"\xff\xfe\x00 1 2\n", _ANNOTATION),
          dropped=0),
    Fault("annotation_without_its_image", "missing_image", r"the annotation C7.txt has no image beside it",
          _delete_annotated_image),
    # -- pair lists (the unit is a pair)
    Fault("pair_line_of_four_fields", "bad_pair_line", r"line 2: 4 fields; the paths form has 3",
          _list_line(PAIRS_PATHS, 2, lambda f: [*f, "1"]), options=PAIRS),
    Fault("pair_first_line_of_neither_form", "bad_pair_line", r"line 1: 2 fields: neither",
          _list_line(PAIRS_PATHS, 1, lambda f: [f[0], f[2]]), options=PAIRS, skip_mode=False),
    Fault("pair_label_two", "bad_pair_label", r"line 3: label '2' is not 0 or 1",
          _list_line(PAIRS_PATHS, 3, _set(2, "2")), options=PAIRS),
    Fault("pair_label_word", "bad_pair_label", r"label 'same' is not 0 or 1",
          _list_line(PAIRS_PATHS, 3, _set(2, "same")), options=PAIRS),
    Fault("pair_key_without_expression", "bad_pair_key", r"line 4: .* is not <id>/S###/L#/E##/C#",
          _list_line(PAIRS_PATHS, 4, _key_without_expression), options=PAIRS),
    Fault("pair_key_unknown_accessory", "unknown_condition", r"line 5: .*unknown accessory code 'S009'",
          _list_line(PAIRS_PATHS, 5, lambda f: [f[0].replace("/S001/", "/S009/"), *f[1:]]), options=PAIRS),
    Fault("pair_key_short_identity", "bad_pair_key", r"line 6: identity '1906242' is not an 8-digit id",
          _list_line(PAIRS_PATHS, 6, lambda f: ["1906242/" + f[0].split("/", 1)[1], *f[1:]]), options=PAIRS),
    Fault("pair_list_not_utf8", "bad_pair_list", r"not UTF-8",
          _bytes(b"\xff\xfe 1 2 1\n", lambda root: root / PAIRS_PATHS), options=PAIRS, skip_mode=False),
    Fault("short_pair_identity_of_seven_digits", "bad_pair_key", r"line 2: identity '1906243' is not an 8-digit",
          _list_line(PAIRS_SHORT, 2, _set(0, "1906243")), options=SHORT),
    Fault("short_pair_camera_unknown", "unknown_condition", r"line 3: unknown camera code 'C25'",
          _list_line(PAIRS_SHORT, 3, _set(3, "C25")), options=SHORT),
    Fault("short_pair_line_of_three_fields", "bad_pair_line", r"line 4: 3 fields; the short form has 5",
          _list_line(PAIRS_SHORT, 4, lambda f: f[:3]), options=SHORT),
    Fault("short_pair_label_minus_one", "bad_pair_label", r"label '-1' is not 0 or 1",
          _list_line(PAIRS_SHORT, 2, _set(4, "-1")), options=SHORT),
    # -- held-out identity lists
    Fault("identity_not_eight_digits", "bad_identity", r"line 1: '1906243x' is not an 8-digit id",
          _list_line(IDENTITIES, 1, lambda f: ["1906243x"]), options={"identities": IDENTITIES}),
    Fault("identity_line_of_two_ids", "bad_identity", r"line 2: 2 fields; expected one id",
          _list_line(IDENTITIES, 2, lambda f: [*f, *f]), options={"identities": IDENTITIES}),
]
# fmt: on
