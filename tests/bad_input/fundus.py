"""Bad-input corpus for the fundus reader: images, the metadata sheet and symbolic links."""

from __future__ import annotations

import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf
from openpyxl import load_workbook
from PIL import Image

import aihub_bench.configs
from aihub_bench.datasets.fundus import read_fundus, write_synthetic_fundus
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome

DATASET = "fundus"
CONFIG = Path(aihub_bench.configs.__file__).parent / "dataset" / "fundus.yaml"
# 4 normal and 3 glaucoma persons, both eyes each: 14 images of the default task
TWIN = {
    "per_class": {"General_Normal": 4, "General_Glaucoma": 3},
    "both_eyes_fraction": 1.0,
    "image_size": 64,
    "seed": 3,
}
SHEET = "metadata.xlsx"
FILE_NAME, KIND, CODE, EYE = 1, 2, 3, 5  # sheet columns (0-based)


def write_twin(root: Path) -> None:
    write_synthetic_fundus(root, **TWIN)


def _reader_options() -> dict[str, Any]:
    """The yaml's ``reader:`` options (what the datamodule passes), without the Hydra keys."""
    reader = OmegaConf.to_container(OmegaConf.load(CONFIG).reader)
    return {k: v for k, v in reader.items() if not k.startswith("_")}


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    policy = ErrorPolicy(on_error)
    cases = read_fundus(root=root, policy=policy, **{**_reader_options(), **options})
    return Outcome(len(cases), policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _image(root: Path, prefix: str = "General_Normal_0001_L") -> Path:
    return root / "General" / f"{prefix}.jpg"


def _edit_sheet(root: Path, fn: Callable[[list[list]], None]) -> None:
    """Rewrite the sheet's rows (header first) through ``fn``."""
    path = root / SHEET
    book = load_workbook(path)
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    fn(rows)
    book.remove(book.active)
    sheet = book.create_sheet("metadata")
    for row in rows:
        sheet.append(row)
    book.save(path)


def _set_cell(root: Path, image: Path, column: int, value: str) -> Path:
    def edit(rows: list[list]) -> None:
        next(r for r in rows if r[FILE_NAME] == image.name)[column] = value

    _edit_sheet(root, edit)
    return image


def _rewrite_member(path: Path, member: str, data: bytes | None) -> None:
    """Replace (or, with ``None``, drop) one member of a zip archive, deflate-compressed."""
    with zipfile.ZipFile(path) as src:
        members = {i.filename: src.read(i) for i in src.infolist()}
    if data is None:
        members.pop(member)
    else:
        members[member] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, body in members.items():
            dst.writestr(name, body)


def _outside(root: Path, name: str) -> Path:
    """A place next to (not inside) the dataset root."""
    folder = root.parent / "outside"
    folder.mkdir(exist_ok=True)
    return folder / name


def _png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


# ------------------------------------------------------------------------------------------ faults


def _sheet_comment_bomb(root: Path) -> Path:
    """The tester's 40 KB workbook whose sheet XML holds a 32 MB comment (minutes in openpyxl)."""
    path = root / SHEET
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    head, tail = xml.split(b"<sheetData", 1)
    padded = head + b"<!-- " + b"x" * (32 * 1024 * 1024) + b" --><sheetData" + tail
    _rewrite_member(path, "xl/worksheets/sheet1.xml", padded)
    return path


def _sheet_without_worksheet(root: Path) -> Path:
    _rewrite_member(root / SHEET, "xl/worksheets/sheet1.xml", None)
    return root / SHEET


def _sheet_not_a_zip(root: Path) -> Path:
    (root / SHEET).write_bytes(b"PK\3\4 cut short")
    return root / SHEET


def _sheet_without_file_name_column(root: Path) -> Path:
    _edit_sheet(root, lambda rows: rows[0].__setitem__(FILE_NAME, "filename"))
    return root / SHEET


def _code_contradicts_name(root: Path) -> Path:
    return _set_cell(root, _image(root), CODE, "Glaucoma")


def _kind_contradicts_name(root: Path) -> Path:
    return _set_cell(root, _image(root, "General_Glaucoma_0002_R"), KIND, "Wide")


def _eye_contradicts_name(root: Path) -> Path:
    return _set_cell(root, _image(root, "General_Normal_0003_R"), EYE, "L")


def _not_an_image(root: Path) -> Path:
    path = _image(root, "General_Glaucoma_0001_L")
    path.write_bytes(b"this is not a jpeg at all")
    return path


def _truncated_jpeg(root: Path) -> Path:
    path = _image(root, "General_Normal_0002_L")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # header intact: only verify_images=full notices
    return path


def _decompression_bomb(root: Path) -> Path:
    """A PNG header declaring 50000 x 50000 pixels (no pixel data needed to refuse it)."""
    path = _image(root, "General_Normal_0004_R")
    ihdr = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    png = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
    path.write_bytes(png + _png_chunk(b"IEND", b""))
    return path


def _float_image(root: Path) -> Path:
    """A 32-bit float TIFF under a .jpg name: Pillow opens it by content, mode F has no RGB view."""
    path = _image(root, "General_Glaucoma_0003_R")
    Image.fromarray(np.zeros((8, 8), np.float32), "F").save(path, "TIFF")
    return path


def _unmatched_name(root: Path) -> Path:
    path = root / "General" / "General_Normal_0099.jpg"  # no eye
    shutil.copy(_image(root), path)
    return path


def _duplicate_image(root: Path) -> Path:
    (root / "extra").mkdir()
    path = root / "extra" / "General_Normal_0001_L.jpg"
    shutil.copy(_image(root), path)
    return path


def _image_link_outside(root: Path) -> Path:
    path = _image(root, "General_Glaucoma_0002_L")
    target = _outside(root, path.name)
    shutil.move(path, target)
    path.symlink_to(target)
    return path


def _dangling_image_link(root: Path) -> Path:
    path = _image(root, "General_Normal_0002_R")
    path.unlink()
    path.symlink_to(root / "General" / "gone.jpg")
    return path


def _sheet_link_outside(root: Path) -> Path:
    path = root / SHEET
    target = _outside(root, SHEET)
    shutil.move(path, target)
    path.symlink_to(target)
    return path


def _folder_link_outside(root: Path) -> Path:
    """A folder link to images outside the root: they are not read, the folder is the skip."""
    folder = _outside(root, "more")
    folder.mkdir()
    shutil.copy(_image(root), folder / "General_Normal_0042_L.jpg")
    link = root / "more"
    link.symlink_to(folder, target_is_directory=True)
    return link


FAULTS: list[Fault] = [
    Fault("sheet_comment_bomb", "bad_sheet", r"expands \d+x", _sheet_comment_bomb, dropped=0),
    Fault("sheet_without_worksheet", "bad_sheet", "no worksheet", _sheet_without_worksheet, dropped=0),
    Fault("sheet_not_a_zip", "bad_sheet", "not an .xlsx zip", _sheet_not_a_zip, dropped=0),
    Fault(
        "sheet_without_file_name_column",
        "bad_sheet",
        "no file-name column 'file_name'",
        _sheet_without_file_name_column,
        dropped=0,
    ),
    Fault(
        "code_contradicts_name",
        "label_mismatch",
        r"says code Normal but .* 'Glaucoma'",
        _code_contradicts_name,
    ),
    Fault(
        "kind_contradicts_name", "label_mismatch", r"says kind General but .* 'Wide'", _kind_contradicts_name
    ),
    Fault("eye_contradicts_name", "eye_mismatch", r"says eye R but .* 'L'", _eye_contradicts_name),
    Fault("not_an_image", "unreadable_image", "unreadable image", _not_an_image),
    Fault(
        "truncated_jpeg",
        "unreadable_image",
        "unreadable image",
        _truncated_jpeg,
        options={"verify_images": "full"},
    ),
    Fault("decompression_bomb", "decompression_bomb", "decompression bomb", _decompression_bomb),
    Fault("float_image", "unsupported_image", "mode 'F' cannot be read as RGB", _float_image),
    Fault(
        "unmatched_name", "unmatched_name", "does not match the fundus pattern", _unmatched_name, dropped=0
    ),
    Fault("duplicate_image", "duplicate_image", "duplicate image", _duplicate_image, dropped=0),
    Fault("image_link_outside", "link_outside_root", "leads outside the dataset root", _image_link_outside),
    Fault("dangling_image_link", "missing_image", "not found", _dangling_image_link),
    Fault(
        "sheet_link_outside",
        "link_outside_root",
        "leads outside the dataset root",
        _sheet_link_outside,
        dropped=0,
    ),
    Fault(
        "folder_link_outside",
        "link_outside_root",
        "leads outside the dataset root.*none of the folder's images is read",
        _folder_link_outside,
        dropped=0,
    ),
]
