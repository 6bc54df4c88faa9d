"""DICOM codec: display pipeline (window, MONOCHROME1, bit depths, RLE), de-identification, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from aihub_bench.errors import BadInputError
from aihub_bench.formats.dicom import read_dicom_image, write_dicom_image


def _ramp(bits: int) -> np.ndarray:
    return np.linspace(0, 2**bits - 1, 32 * 40).round().astype(np.uint16).reshape(32, 40)


@pytest.mark.parametrize("bits", [8, 12, 16])
@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_scales_any_bit_depth_to_unit_range(tmp_path: Path, bits: int, compress: bool) -> None:
    pixels = _ramp(bits)
    image = read_dicom_image(
        write_dicom_image(tmp_path / "a.dcm", pixels, bits_stored=bits, compress=compress)
    )
    np.testing.assert_allclose(image.pixels, pixels / pixels.max(), atol=1e-6)
    assert image.bits_stored == bits and image.pixels.dtype == np.float32
    assert image.transfer_syntax == ("1.2.840.10008.1.2.5" if compress else "1.2.840.10008.1.2.1")


def test_monochrome1_is_inverted(tmp_path: Path) -> None:
    pixels = _ramp(12)
    image = read_dicom_image(write_dicom_image(tmp_path / "a.dcm", pixels, photometric="MONOCHROME1"))
    np.testing.assert_allclose(image.pixels, 1.0 - pixels / pixels.max(), atol=1e-6)


def test_window_is_applied(tmp_path: Path) -> None:
    pixels = _ramp(12)
    image = read_dicom_image(write_dicom_image(tmp_path / "a.dcm", pixels, window=(1024, 512)))
    below, above = pixels < 1024 - 256, pixels > 1024 + 256
    assert np.all(image.pixels[below] == 0.0) and np.all(image.pixels[above] == 1.0)
    inside = image.pixels[~below & ~above]
    assert np.all(np.diff(inside) >= 0) and 0 < inside.mean() < 1


def test_written_files_are_deidentified(tmp_path: Path) -> None:
    path = write_dicom_image(tmp_path / "a.dcm", _ramp(12), meta={"PatientID": "00001", "ViewPosition": "CC"})
    ds = pydicom.dcmread(path)
    assert ds.StudyDate == ds.ContentDate == "19000101" and str(ds.PatientName) == ""
    assert read_dicom_image(path).meta == {
        "PatientID": "00001",
        "ViewPosition": "CC",
        "StudyDate": "19000101",
    }


def test_bad_files_name_the_file_and_reason(tmp_path: Path) -> None:
    good = write_dicom_image(tmp_path / "good.dcm", _ramp(12))
    cases = {}
    truncated = tmp_path / "truncated.dcm"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size - 1000])
    cases[truncated] = "undecodable_pixels"
    no_pixels = tmp_path / "no_pixels.dcm"
    ds = pydicom.dcmread(good)
    del ds.PixelData
    ds.save_as(no_pixels)
    cases[no_pixels] = "no_pixel_data"
    rgb = tmp_path / "rgb.dcm"
    ds = pydicom.dcmread(good)
    ds.PhotometricInterpretation = "RGB"
    ds.save_as(rgb)
    cases[rgb] = "unknown_photometric"
    for name, tags, kind in (
        ("window0.dcm", {"WindowCenter": 100, "WindowWidth": 0}, "bad_window"),
        ("two_frames.dcm", {"NumberOfFrames": 2}, "bad_shape"),
        ("slope_inf.dcm", {"RescaleSlope": "inf", "RescaleIntercept": 0}, "bad_rescale"),
    ):  # found before decoding, instead of pydicom's ValueError from the display pipeline
        ds = pydicom.dcmread(good)
        for keyword, value in tags.items():
            setattr(ds, keyword, value)
        ds.save_as(tmp_path / name)
        cases[tmp_path / name] = kind
    text = tmp_path / "text.dcm"
    text.write_text("not dicom", encoding="utf-8")
    cases[text] = "unreadable_dicom"
    for path, kind in cases.items():
        with pytest.raises(BadInputError) as info:
            read_dicom_image(path)
        assert info.value.kind == kind and info.value.path == str(path), (path, info.value)
