"""Bad-input corpus: mammography (four DICOM views + one metadata JSON per patient).

Units are patient cases: a bad view file drops its whole patient (all four views), so every
fault that breaks one file drops exactly one case.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydicom
from omegaconf import OmegaConf
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, JPEGBaseline8Bit

import aihub_bench.configs
from aihub_bench.datasets.mammography import read_mammography, write_synthetic_mammography
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome

DATASET = "mammography"
CONFIG = Path(aihub_bench.configs.__file__).parent / "dataset" / "mammography.yaml"
PATIENTS = {"malignant": 2, "benign": 1, "normal": 2}
PLAIN = "20002/20002_RCC.dcm"  # Explicit VR Little Endian, MONOCHROME2, no window
LESION_JSON = "00001/00001.json"  # a malignant patient: has lesion polygons


def write_twin(root: Path) -> None:
    """Five patients, views 80 px high and 64 wide, a quarter of them compressed (RLE, JPEG 2000)."""
    write_synthetic_mammography(root, patients=PATIENTS, image_size=(80, 64), seed=0)


def _reader_options() -> dict[str, Any]:
    """The ``reader:`` section of the dataset config, as the datamodule's partial gets it."""
    cfg = OmegaConf.load(CONFIG)
    options = OmegaConf.to_container(cfg.reader, resolve=False)
    assert isinstance(options, dict)
    options = {k: v for k, v in options.items() if not k.startswith("_")}
    options["views"] = list(cfg.views)
    return options


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    policy = ErrorPolicy(on_error)
    cases = read_mammography(root=root, policy=policy, **{**_reader_options(), **options})
    return Outcome(len(cases), policy.report())


# ---------------------------------------------------------------- helpers


def _edit_header(relative: str, **tags: Any) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = root / relative
        ds = pydicom.dcmread(path)
        for keyword, value in tags.items():
            setattr(ds, keyword, value)
        ds.save_as(path)
        return path

    return apply


def _first_with_syntax(root: Path, uid: str) -> Path:
    return next(
        p
        for p in sorted(root.rglob("*.dcm"))
        if pydicom.dcmread(p, stop_before_pixels=True).file_meta.TransferSyntaxUID == uid
    )


def _set_syntax(path: Path, uid: str) -> None:
    """Rewrite only the file meta's transfer syntax; the dataset bytes stay as they are."""
    meta = pydicom.dcmread(path, stop_before_pixels=True).file_meta
    raw = path.read_bytes()
    body = 132 + 12 + int(meta.FileMetaInformationGroupLength)  # preamble, DICM, group length element
    meta.TransferSyntaxUID = uid
    del meta.FileMetaInformationGroupLength
    buffer = DicomBytesIO()
    write_file_meta_info(buffer, meta, enforce_standard=True)
    path.write_bytes(raw[:132] + buffer.getvalue() + raw[body:])


def _edit_lesion_json(edit: Callable[[dict[str, Any]], str]) -> Callable[[Path], Path]:
    """``edit`` changes the metadata and returns it serialised (so it can write what json cannot)."""

    def apply(root: Path) -> Path:
        path = root / LESION_JSON
        path.write_text(edit(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
        return path

    return apply


# ---------------------------------------------------------------- faults


def _huge_int_point(data: dict[str, Any]) -> str:
    data["lesions"][0]["points"][0] = [10**30, 5]  # json.loads accepts it; math.isfinite overflowed
    return json.dumps(data)


def _long_int_point(data: dict[str, Any]) -> str:
    text = json.dumps(data)
    return text.replace('"points": [[', '"points": [[' + "9" * 5000 + ", 1], [", 1)


def _deep_lesions(data: dict[str, Any]) -> str:
    return json.dumps(data)[:-1] + ', "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"


def _two_frames(root: Path) -> Path:
    return _edit_header(PLAIN, NumberOfFrames=2)(root)


def _native_under_jpeg(root: Path) -> Path:
    path = root / PLAIN
    _set_syntax(path, JPEGBaseline8Bit)
    return path


def _encapsulated_under_native(root: Path) -> Path:
    path = _first_with_syntax(root, JPEG2000Lossless)
    _set_syntax(path, ExplicitVRLittleEndian)
    return path


def _cut_to_300_bytes(root: Path) -> Path:
    path = root / PLAIN
    path.write_bytes(path.read_bytes()[:300])
    return path


def _file_link_outside(root: Path) -> Path:
    path = root / PLAIN
    outside = root.parent / "elsewhere" / path.name
    outside.parent.mkdir()
    shutil.move(path, outside)
    path.symlink_to(outside)
    return path


def _folder_link_outside(root: Path) -> Path:
    folder = root / "20001"
    outside = root.parent / "elsewhere" / "20001"
    outside.parent.mkdir()
    shutil.move(folder, outside)
    folder.symlink_to(outside, target_is_directory=True)
    return folder


def _json_link_outside(root: Path) -> Path:
    path = root / LESION_JSON
    outside = root.parent / "elsewhere" / path.name
    outside.parent.mkdir()
    shutil.move(path, outside)
    path.symlink_to(outside)
    return path


FAULTS: list[Fault] = [
    Fault(
        "lesion_point_int_beyond_64_bits", "bad_metadata", r"out of range", _edit_lesion_json(_huge_int_point)
    ),
    Fault("lesion_point_5000_digit_int", "bad_metadata", r"out of range", _edit_lesion_json(_long_int_point)),
    Fault("metadata_nested_100k_deep", "bad_metadata", r"nested deeper", _edit_lesion_json(_deep_lesions)),
    Fault(
        "window_width_zero",
        "bad_window",
        r"WindowWidth .* must be >= 1",
        _edit_header(PLAIN, WindowCenter=100, WindowWidth=0),
    ),
    Fault(
        "window_centre_nan",
        "bad_window",
        r"WindowCenter .* not finite",
        _edit_header(PLAIN, WindowCenter="NaN", WindowWidth=100),
    ),
    Fault(
        "rescale_slope_infinite",
        "bad_rescale",
        r"RescaleSlope .* not finite",
        _edit_header(PLAIN, RescaleSlope="inf", RescaleIntercept=0),
    ),
    Fault("two_frames", "bad_shape", r"NumberOfFrames 2", _two_frames),
    Fault(
        "native_pixels_under_jpeg_syntax",
        "pixel_data_mismatch",
        r"JPEG Baseline.* not encapsulated",
        _native_under_jpeg,
    ),
    Fault(
        "encapsulated_pixels_under_native_syntax",
        "pixel_data_mismatch",
        r"uncompressed, but .* encapsulated",
        _encapsulated_under_native,
    ),
    Fault(
        "rows_disagree_with_pixel_length",
        "pixel_data_mismatch",
        r"declares 10240 bytes.* need 11520",
        _edit_header(PLAIN, Rows=90),
    ),
    Fault(
        "patient_id_contradicts_name",
        "header_mismatch",
        r"PatientID '20003'",
        _edit_header(PLAIN, PatientID="20003"),
    ),
    Fault(
        "laterality_contradicts_name",
        "header_mismatch",
        r"laterality 'L'",
        _edit_header(PLAIN, ImageLaterality="L"),
    ),
    Fault(
        "view_position_contradicts_name",
        "header_mismatch",
        r"ViewPosition 'MLO'",
        _edit_header(PLAIN, ViewPosition="MLO"),
    ),
    Fault("cut_to_300_bytes", "truncated_dicom", r"truncated: it ends after 300 bytes", _cut_to_300_bytes),
    Fault(
        "view_file_links_outside_root", "link_outside_root", r"outside the dataset root", _file_link_outside
    ),
    Fault(
        "patient_folder_links_outside_root",
        "link_outside_root",
        r"outside the dataset root",
        _folder_link_outside,
    ),
    Fault(
        "metadata_links_outside_root", "link_outside_root", r"outside the dataset root", _json_link_outside
    ),
]
