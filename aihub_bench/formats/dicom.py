"""DICOM images (mammography): read to display-ready grey levels, and write de-identified test files.

Reading follows the DICOM display pipeline: pixel data (any transfer syntax pydicom can decode; JPEG
family syntaxes need the pylibjpeg or gdcm plugins) -> Modality LUT (rescale slope/intercept) -> VOI
LUT or window centre/width -> MONOCHROME1 inverted so that bright is always dense tissue -> scaled to
float32 in [0, 1]. 8-, 12- and 16-bit data all come out the same way. Plain numpy + pydicom, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
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
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    if photometric not in GREYSCALE:
        raise BadInputError(
            path,
            f"photometric interpretation {photometric or '(missing)'!r} is not greyscale ({', '.join(GREYSCALE)})",
            "unknown_photometric",
        )
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
    values = apply_voi_lut(apply_modality_lut(raw, ds), ds).astype(np.float64)
    low, high = float(values.min()), float(values.max())
    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    if photometric == "MONOCHROME1":
        scaled = 1.0 - scaled
    meta = {k: str(ds.get(k)) for k in META_KEYWORDS if ds.get(k) not in (None, "")}
    return DicomImage(scaled.astype(np.float32), photometric, int(ds.get("BitsStored", 8)), syntax, meta)


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
