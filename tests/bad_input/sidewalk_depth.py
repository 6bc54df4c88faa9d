"""Bad-input corpus: the 인도 보행 depth reader (ZED stereo sets: PNG views and maps, a .conf each).

The twin is small: 2 walks of 5 sets (384x216 raw frames; set 2 of each walk cut to the 118-row band
in every file, set 4 in its maps only), all files of a walk in ``depth/<walk id>/``. Most faults break
one file of the first set of the first walk; a set is the unit, so each drops one set.
"""

from __future__ import annotations

import re
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf
from PIL import Image

import aihub_bench.configs
from aihub_bench.datasets.sidewalk_depth import read_sidewalk_depth, write_synthetic_sidewalk_depth
from aihub_bench.datasets.sidewalk_depth.layout import conf_name, file_name
from aihub_bench.datasets.sidewalk_depth.synth import FIRST_WALK
from aihub_bench.errors import ErrorPolicy
from aihub_bench.formats.disparity import write_disparity_png
from bad_input.common import Fault, Outcome

WALKS, SETS = 2, 5
WIDTH, HEIGHT = 384, 216
CONFIGS = Path(aihub_bench.configs.__file__).parent / "dataset"


def _reader_options() -> dict[str, Any]:
    """``sidewalk_depth.yaml``'s own ``reader:`` options, without the Hydra keys."""
    reader = OmegaConf.to_container(OmegaConf.load(CONFIGS / "sidewalk_depth.yaml").reader)
    assert isinstance(reader, dict)
    return {str(k): v for k, v in reader.items() if not str(k).startswith("_")}


OPTIONS = _reader_options()


def write_twin(root: Path) -> None:
    write_synthetic_sidewalk_depth(root, sequences=WALKS, frames_per_sequence=SETS, seed=0)


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    """Read as the datamodule does, with ``sidewalk_depth.yaml``'s ``reader:`` options."""
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    samples = read_sidewalk_depth(root, policy, **{**OPTIONS, **options})
    return Outcome(len(samples), policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _walk(root: Path, walk: int = 0) -> Path:
    return root / "depth" / f"{FIRST_WALK + 1 + walk:06d}"


def _file(kind: str, frame: int = 1) -> Callable[[Path], Path]:
    """The first walk's set ``frame``: its PNG of ``kind``, or (``conf``) its calibration."""

    def path(root: Path) -> Path:
        name = conf_name(FIRST_WALK + 1, frame) if kind == "conf" else file_name(kind, FIRST_WALK + 1, frame)
        return _walk(root) / name

    return path


def _delete(target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = target(root)
        path.unlink()
        return path

    return apply


def _bytes(content: bytes, target: Callable[[Path], Path]) -> Callable[[Path], Path]:
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


def _image(mode: str, size: tuple[int, int], target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """Replace a PNG with a grey one of ``mode`` and ``(width, height)``."""

    def apply(root: Path) -> Path:
        path = target(root)
        Image.new(mode, size, 90 if mode in ("L", "I;16") else (90, 90, 90)).save(path)
        return path

    return apply


def _disparity(size: tuple[int, int]) -> Callable[[Path], Path]:
    """A valid 16-bit disparity map of ``(width, height)`` in place of the first set's."""

    def apply(root: Path) -> Path:
        return write_disparity_png(_file("disp16")(root), np.full((size[1], size[0]), 5.0), 256.0)

    return apply


def _rendered_picture_as_data(root: Path) -> Path:
    """The set's 8-bit ``disp`` picture copied over its ``disp16``."""
    path = _file("disp16")(root)
    shutil.copy(_file("disp")(root), path)
    return path


def _edit_conf(old: str, new: str) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = _file("conf")(root)
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    return apply


def _conf_value(key: str, value: str) -> Callable[[Path], Path]:
    """Set the first ``key=`` line of the first set's calibration."""

    def apply(root: Path) -> Path:
        path = _file("conf")(root)
        text, n = re.subn(
            rf"^{key}=.*$", f"{key}={value}", path.read_text(encoding="utf-8"), count=1, flags=re.M
        )
        assert n == 1, key
        path.write_text(text, encoding="utf-8")
        return path

    return apply


def _png_bomb(target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """Rewrite a PNG's IHDR (CRC fixed) to declare 40000x40000 pixels."""

    def apply(root: Path) -> Path:
        path = target(root)
        data = bytearray(path.read_bytes())
        data[16:24] = (40000).to_bytes(4, "big") * 2
        data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
        path.write_bytes(bytes(data))
        return path

    return apply


def _twice(target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """A second file of the same name in another folder."""

    def apply(root: Path) -> Path:
        path = target(root)
        (root / "extra").mkdir()
        shutil.copy(path, root / "extra" / path.name)
        return path

    return apply


def _link_out(target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """Move a file or folder outside the root and leave a symbolic link to it in its place."""

    def apply(root: Path) -> Path:
        path = target(root)
        moved = root.parent / "elsewhere" / path.name
        moved.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, moved)
        path.symlink_to(moved, target_is_directory=moved.is_dir())
        return path

    return apply


def _dangling_link(target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = target(root)
        path.unlink()
        path.symlink_to(path.parent / "gone.png")
        return path

    return apply


# ------------------------------------------------------------------------------------------ faults

FULL = {"options": {"verify_images": "full"}}

FAULTS = [
    # the disparity map
    Fault("disparity_8bit", "disparity_not_16bit", r"must be 16-bit greyscale, got mode 'L'",
          _image("L", (WIDTH, HEIGHT), _file("disp16"))),
    Fault("disparity_is_the_rendered_picture", "disparity_not_16bit", r"a rendered picture, not data",
          _rendered_picture_as_data),
    Fault("disparity_other_width", "size_mismatch", rf"is {WIDTH // 2}x{HEIGHT} .*\(widths differ\)",
          _disparity((WIDTH // 2, HEIGHT))),
    Fault("disparity_taller_than_left", "size_mismatch", r"the map has more rows", _disparity((WIDTH, HEIGHT + 8))),
    Fault("disparity_missing", "missing_disparity", r"disp16 file of the depth set missing",
          _delete(_file("disp16"))),
    Fault("disparity_dangling_link", "missing_disparity", r"disparity file not found",
          _dangling_link(_file("disp16"))),
    Fault("disparity_empty_file", "corrupt_disparity", r"cannot be decoded", _bytes(b"", _file("disp16"))),
    Fault("disparity_truncated_full_verify", "corrupt_disparity", r"cannot be decoded",
          _truncate(_file("disp16")), **FULL),
    Fault("disparity_twice", "ambiguous_image", r"ambiguous: 2 files have this set's name",
          _twice(_file("disp16"))),
    Fault("disparity_link_outside", "link_outside_root", r"leads outside the dataset root",
          _link_out(_file("disp16"))),
    # the left view
    Fault("left_missing", "missing_image", r"left file of the depth set missing.*the set has: L, R, ",
          _delete(_file("left"))),
    Fault("left_not_an_image", "unreadable_image", r"unreadable image", _bytes(b"not a png" * 40, _file("left"))),
    Fault("left_truncated_full_verify", "unreadable_image", r"unreadable image", _truncate(_file("left")), **FULL),
    Fault("left_decompression_bomb", "decompression_bomb", r"decompression bomb", _png_bomb(_file("left"))),
    Fault("left_link_outside", "link_outside_root", r"leads outside the dataset root", _link_out(_file("left"))),
    # the optional right view and confidence map: present but broken
    Fault("right_other_size", "size_mismatch", rf"is {WIDTH // 2}x{HEIGHT} but .*left.* is {WIDTH}x{HEIGHT}",
          _image("RGB", (WIDTH // 2, HEIGHT), _file("right"))),
    Fault("confidence_other_size", "size_mismatch", rf"is {WIDTH}x{HEIGHT // 2} but .*disp16.* is {WIDTH}x{HEIGHT}",
          _image("L", (WIDTH, HEIGHT // 2), _file("confidence"))),
    Fault("confidence_truncated_full_verify", "corrupt_confidence", r"cannot be decoded",
          _truncate(_file("confidence")), **FULL),
    Fault("right_twice", "ambiguous_image", r"ambiguous: 2 files", _twice(_file("right"))),
    # the calibration
    Fault("conf_missing", "missing_calibration", r"calibration file of the depth set missing",
          _delete(_file("conf"))),
    Fault("conf_without_stereo", "bad_calibration", r"no \[STEREO\] section", _edit_conf("[STEREO]", "[STEREO_OLD]")),
    Fault("conf_without_baseline", "bad_calibration", r"\[STEREO\] has no BaseLine",
          _edit_conf("BaseLine=", "Base_Line=")),
    Fault("conf_fx_not_a_number", "bad_calibration", r"\[LEFT_CAM_2K\] fx='wide' is not a finite number",
          _conf_value("fx", "wide")),
    Fault("conf_baseline_zero", "bad_calibration", r"must be positive", _conf_value("BaseLine", "0")),
    Fault("conf_without_fhd_section", "bad_calibration", r"no \[LEFT_CAM_FHD\] section for a 384-pixel-wide image",
          _edit_conf("[LEFT_CAM_FHD]", "[LEFT_CAM_FHD1200]")),
    Fault("conf_not_ini", "unreadable_calibration", r"not an INI file", _bytes(b"fx=1400\nBaseLine=120\n", _file("conf"))),
    Fault("conf_not_utf8", "unreadable_calibration", r"not UTF-8 text",
          _bytes("[STEREO]\n# 보정값\nBaseLine=120\n".encode("cp949"), _file("conf"))),
    Fault("conf_twice", "ambiguous_calibration", r"ambiguous: 2 files", _twice(_file("conf"))),
    Fault("conf_link_outside", "link_outside_root", r"leads outside the dataset root", _link_out(_file("conf"))),
    # a whole walk
    Fault("walk_folder_link_outside", "link_outside_root",
          r"leads outside the dataset root.*none of the folder's depth sets is read", _link_out(_walk), dropped=SETS),
]  # fmt: skip
