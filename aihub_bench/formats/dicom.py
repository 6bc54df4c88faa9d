"""DICOM images (mammography): read to display-ready grey levels, and write de-identified test files.

Reading follows the DICOM display pipeline: pixel data (any transfer syntax pydicom can decode; JPEG
family syntaxes need the pylibjpeg or gdcm plugins) -> Modality LUT (rescale slope/intercept) -> VOI
LUT or window centre/width -> MONOCHROME1 inverted so that bright is always dense tissue -> scaled to
float32 in [0, 1]. 8-, 12- and 16-bit data all come out the same way. Plain numpy + pydicom, no torch.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.pixels import apply_modality_lut, apply_voi_lut
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from aihub_bench.errors import BadInputError

GREYSCALE = ("MONOCHROME1", "MONOCHROME2")
UNDEFINED_LENGTH = 0xFFFFFFFF
ITEM_TAG = b"\xfe\xff\x00\xe0"  # (FFFE,E000), little endian: the first item of encapsulated data
DEID_DATE = "19000101"  # the release's de-identified dates
COMPRESSIONS = {"rle": RLELossless, "jpeg2000": JPEG2000Lossless}
META_KEYWORDS = (
    "PatientID",
    "Manufacturer",
    "ManufacturerModelName",
    "ViewPosition",
    "ImageLaterality",
    "Laterality",
    "BodyPartExamined",
    "StudyDate",
)


@dataclass
class DicomImage:
    """Grey levels in [0, 1] (``(H, W)`` float32, bright = dense) and the header fields we keep."""

    pixels: np.ndarray
    photometric: str
    bits_stored: int
    transfer_syntax: str
    meta: dict[str, Any] = field(default_factory=dict)


def read_dicom_image(path: str | Path) -> DicomImage:
    """Decode ``path``; every failure is a :class:`BadInputError` naming the file and the reason."""
    path = Path(path)
    try:
        ds = pydicom.dcmread(path)
    except (InvalidDicomError, OSError, EOFError, ValueError, KeyError) as err:
        raise BadInputError(path, f"not a readable DICOM file: {err}", "unreadable_dicom") from err
    if "PixelData" not in ds:
        raise BadInputError(path, "DICOM file has no pixel data", "no_pixel_data")
    photometric, _, _ = check_image_header(path, ds)
    uid = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    syntax = str(uid or "")
    try:
        raw = ds.pixel_array
    except (ValueError, RuntimeError, NotImplementedError, AttributeError, OSError) as err:
        name = getattr(uid, "name", syntax) or "unknown transfer syntax"
        raise BadInputError(
            path,
            f"cannot decode pixel data ({name}): {err}. Truncated file, or a compressed transfer syntax "
            "without its decoder (pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg)",
            "undecodable_pixels",
        ) from err
    if raw.ndim != 2:
        raise BadInputError(
            path, f"expected one 2-D frame, got pixel array of shape {raw.shape}", "bad_shape"
        )
    try:
        values = apply_voi_lut(apply_modality_lut(raw, ds), ds).astype(np.float64)
    except (ValueError, TypeError, IndexError, KeyError) as err:  # a LUT the header checks let through
        raise BadInputError(path, f"cannot apply the modality/VOI LUT: {err}", "bad_window") from err
    low, high = float(values.min()), float(values.max())
    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    if photometric == "MONOCHROME1":
        scaled = 1.0 - scaled
    meta = {k: str(ds.get(k)) for k in META_KEYWORDS if ds.get(k) not in (None, "")}
    return DicomImage(scaled.astype(np.float32), photometric, int(ds.get("BitsStored", 8)), syntax, meta)


# ------------------------------------------------------------------------------------------ header checks


def check_image_header(path: str | Path, ds: Dataset) -> tuple[str, int, int]:
    """``(photometric, rows, columns)`` of a single greyscale frame with a usable display pipeline.

    Refuses what would otherwise fail (or silently go wrong) only when the pixels are displayed:
    a colour photometric, a non-positive size, more than one frame or sample per pixel, a window
    width below 1 or a non-finite window/rescale value. Works on a header read without pixels.
    """
    try:
        photometric = str(ds.get("PhotometricInterpretation", "")).strip()
        rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
    except (TypeError, ValueError, OverflowError) as err:  # a malformed IS/US value
        raise BadInputError(path, f"unreadable DICOM header: {err}", "unreadable_dicom") from None
    if photometric not in GREYSCALE:
        raise BadInputError(
            path,
            f"photometric interpretation {photometric or '(missing)'!r} is not greyscale ({', '.join(GREYSCALE)})",
            "unknown_photometric",
        )
    if rows <= 0 or cols <= 0:
        raise BadInputError(
            path, f"image size {cols}x{rows} in the header is not positive", "unreadable_dicom"
        )
    if frames != 1 or samples != 1:
        raise BadInputError(
            path,
            f"NumberOfFrames {frames}, SamplesPerPixel {samples}: one 2-D greyscale frame is expected",
            "bad_shape",
        )
    _check_rescale(path, ds)
    _check_window(path, ds)
    return photometric, rows, cols


def _numbers(path: str | Path, ds: Dataset, keyword: str, kind: str) -> list[float]:
    """The values of a (possibly multi-valued) numeric tag; unparsable or non-finite ones refused."""
    try:
        value = ds.get(keyword)
        values = [float(v) for v in (value if isinstance(value, (list, tuple, MultiValue)) else [value])]
    except (TypeError, ValueError, OverflowError) as err:
        raise BadInputError(path, f"{keyword} is not a number: {err}", kind) from None
    if not all(math.isfinite(v) for v in values):
        raise BadInputError(path, f"{keyword} {values} is not finite", kind)
    return values


def _check_rescale(path: str | Path, ds: Dataset) -> None:
    if "ModalityLUTSequence" in ds:
        return
    for keyword in ("RescaleSlope", "RescaleIntercept"):
        if ds.get(keyword) not in (None, ""):
            _numbers(path, ds, keyword, "bad_rescale")


def _check_window(path: str | Path, ds: Dataset) -> None:
    """The window pydicom would apply: finite centre, width >= 1 (> 0 for LINEAR_EXACT)."""
    if "VOILUTSequence" in ds or ds.get("WindowWidth") in (None, "") or ds.get("WindowCenter") in (None, ""):
        return  # a VOI LUT sequence wins over the window; without both tags no window is applied
    _numbers(path, ds, "WindowCenter", "bad_window")
    widths = _numbers(path, ds, "WindowWidth", "bad_window")
    exact = str(ds.get("VOILUTFunction", "")).strip().upper() == "LINEAR_EXACT"
    if any(w <= 0 or (w < 1 and not exact) for w in widths):
        limit = "> 0" if exact else ">= 1"
        raise BadInputError(path, f"WindowWidth {widths} must be {limit}", "bad_window")


def check_pixel_data(path: str | Path, ds: Dataset) -> None:
    """Pixel data that agrees with the transfer syntax and the image size, and is all in the file.

    Works on a dataset read with ``defer_size``: deferred values are measured, not read. Raises
    ``pixel_data_mismatch`` (encapsulated vs native, or a native length that is not
    rows x columns x bytes) or ``truncated_pixel_data`` (the file ends before the declared bytes).
    """
    element = ds.get_item("PixelData", keep_deferred=True)
    compressed = is_compressed(ds)
    undefined = _length(element) == UNDEFINED_LENGTH
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    name = getattr(syntax, "name", str(syntax or "(missing)"))
    if compressed and (not undefined or _head(path, element) != ITEM_TAG):
        reason = (
            f"transfer syntax {name} is compressed, but the pixel data is not encapsulated (native bytes?)"
        )
        raise BadInputError(path, reason, "pixel_data_mismatch")
    if compressed:
        return
    if undefined:
        reason = f"transfer syntax {name} is uncompressed, but the pixel data is encapsulated (compressed)"
        raise BadInputError(path, reason, "pixel_data_mismatch")
    _check_native_length(path, ds, element)


def _check_native_length(path: str | Path, ds: Dataset, element: Any) -> None:
    rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    bits = int(ds.get("BitsAllocated", 16) or 16)
    expected = rows * cols * math.ceil(bits / 8)
    declared = _length(element)
    if isinstance(element, RawDataElement) and element.value is None:  # deferred: what the file holds
        stored = min(declared, max(0, os.path.getsize(path) - element.value_tell))
    else:
        stored = len(element.value or b"")
    if stored < min(declared, expected):
        raise BadInputError(
            path,
            f"file is truncated: pixel data has {stored} of {max(declared, expected)} bytes "
            f"({cols}x{rows} at {bits} bits)",
            "truncated_pixel_data",
        )
    if declared not in (expected, expected + expected % 2):  # odd lengths are padded to even
        raise BadInputError(
            path,
            f"pixel data declares {declared} bytes, but {cols}x{rows} pixels at {bits} bits need {expected}"
            " (wrong Rows/Columns/BitsAllocated, or compressed data under an uncompressed transfer syntax)",
            "pixel_data_mismatch",
        )


def is_compressed(ds: Dataset) -> bool:
    """Whether the file's transfer syntax stores encapsulated (compressed) pixel data."""
    uid = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    return bool(uid is not None and uid.is_compressed)


def _length(element: Any) -> int:
    return int(element.length) if isinstance(element, RawDataElement) else len(element.value or b"")


def _head(path: str | Path, element: Any) -> bytes:
    """The first four bytes of the pixel data value, read from the file when it was deferred."""
    if element.value is not None:
        return bytes(element.value[:4])
    with open(path, "rb") as handle:
        handle.seek(element.value_tell)
        return handle.read(4)


def write_dicom_image(
    path: str | Path,
    pixels: np.ndarray,
    *,
    bits_stored: int = 12,
    photometric: str = "MONOCHROME2",
    window: tuple[float, float] | None = None,
    compress: bool | str = False,
    meta: dict[str, str] | None = None,
) -> Path:
    """Write an unsigned greyscale image as a de-identified DICOM file (synthetic twins, tests).

    ``pixels`` are stored as given (uint16, values below ``2**bits_stored``); ``window`` is
    (centre, width); ``compress`` stores ``"rle"`` (RLE Lossless, encoded by pydicom itself; also
    ``True``) or ``"jpeg2000"`` (JPEG 2000 Lossless, via pylibjpeg-openjpeg). Identifying tags
    are absent; dates are 19000101, as in the release.
    """
    pixels = np.asarray(pixels)
    if pixels.ndim != 2 or pixels.dtype.kind != "u":
        raise ValueError(f"pixels must be a 2-D unsigned array, got {pixels.dtype} {pixels.shape}")
    if photometric not in GREYSCALE:
        raise ValueError(f"photometric must be one of {GREYSCALE}")
    if int(pixels.max(initial=0)) >= 2**bits_stored:
        raise ValueError(f"pixel values exceed {bits_stored} bits")
    file_meta = FileMetaDataset()
    file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    file_meta.MediaStorageSOPInstanceUID = generate_uid()
    file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = file_meta
    ds.SOPClassUID = file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "MG"
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = DEID_DATE
    ds.PatientName, ds.PatientBirthDate = "", ""
    for key, value in (meta or {}).items():
        setattr(ds, key, value)
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16 if bits_stored > 8 else 8
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = float(window[0]), float(window[1])
    ds.PixelData = pixels.astype(np.uint16 if ds.BitsAllocated == 16 else np.uint8).tobytes()
    if compress:
        syntax = COMPRESSIONS.get("rle" if compress is True else str(compress))
        if syntax is None:
            raise ValueError(f"compress must be one of {sorted(COMPRESSIONS)} or a bool, got {compress!r}")
        ds.compress(syntax, encoding_plugin="pylibjpeg" if syntax == JPEG2000Lossless else "")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path
