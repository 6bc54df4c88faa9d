"""The ZED calibration codec (formats/zed_conf.py): round trip, the real names, fx per width, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aihub_bench.errors import BadInputError
from aihub_bench.formats.zed_conf import (
    RESOLUTIONS,
    ZedCalibration,
    ZedCamera,
    read_zed_conf,
    resolution_of_width,
    write_zed_conf,
)

#: A calibration as a ZED 2019 camera ships it (values of that shape; an older file: k1/k2 only,
#: ``Baseline`` spelt with a small l, a [MISC] section).
REAL_STYLE = """[LEFT_CAM_2K]
fx=1400.28
fy=1400.28
cx=1091.97
cy=620.165
k1=-0.173542
k2=0.0276304

[LEFT_CAM_FHD]
fx=1400.28
fy=1400.28
cx=947.97
cy=539.165
k1=-0.173542
k2=0.0276304

[LEFT_CAM_HD]
fx=700.14
fy=700.14
cx=633.985
cy=359.5825
k1=-0.173542
k2=0.0276304

[LEFT_CAM_VGA]
fx=350.07
fy=350.07
cx=331.4925
cy=188.29125
k1=-0.173542
k2=0.0276304

[RIGHT_CAM_FHD]
fx=1398.95
fy=1398.95
cx=963.62
cy=551.018
k1=-0.171807
k2=0.0263758

[STEREO]
Baseline=120.009
TY=-0.0284419
TZ=-0.397866
CV_FHD=0.00322213
RX_FHD=0.00259546
RZ_FHD=-0.00141064

[MISC]
Sensor_ID=0
"""


def _conf(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "SN12345.conf"
    path.write_text(text, encoding="utf-8")
    return path


def _calibration() -> ZedCalibration:
    def camera(f: float, w: int, h: int) -> ZedCamera:
        return ZedCamera(
            f, f, w / 2 + 0.5, h / 2 - 1.25, {"k1": -0.17, "k2": 0.027, "p1": 0.0, "p2": 0.0, "k3": 0.0}
        )

    ratios = {"2K": 1.0, "FHD": 1.0, "HD": 0.5, "VGA": 0.25}
    left = {name: camera(1400.28 * r, *RESOLUTIONS[name]) for name, r in ratios.items()}
    right = {name: camera(1398.5 * r, *RESOLUTIONS[name]) for name, r in ratios.items()}
    return ZedCalibration(
        left, right, 120.009, {"TY": -0.028, "CV_FHD": 0.0032, "RX_HD": 0.0026, "RZ_VGA": -0.0014}
    )


def test_a_real_style_file_reads_with_its_key_names(tmp_path: Path) -> None:
    calib = read_zed_conf(_conf(tmp_path, REAL_STYLE))
    assert set(calib.left) == set(RESOLUTIONS) and set(calib.right) == {"FHD"}
    assert calib.left["FHD"] == ZedCamera(
        1400.28, 1400.28, 947.97, 539.165, {"k1": -0.173542, "k2": 0.0276304}
    )
    assert calib.baseline_mm == 120.009 and calib.baseline_m == pytest.approx(0.120009)
    assert calib.stereo == {
        "TY": -0.0284419,
        "TZ": -0.397866,
        "CV_FHD": 0.00322213,
        "RX_FHD": 0.00259546,
        "RZ_FHD": -0.00141064,
    }


def test_write_then_read_gives_the_same_calibration_and_the_real_names(tmp_path: Path) -> None:
    calib = _calibration()
    path = write_zed_conf(tmp_path / "out.conf", calib)
    assert read_zed_conf(path) == calib
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[:3] == ["[LEFT_CAM_2K]", "fx=1400.28", "fy=1400.28"]
    assert "[RIGHT_CAM_VGA]" in lines and "p1=0" in lines
    assert lines[lines.index("[STEREO]") + 1] == "BaseLine=120.009"
    assert {"CV_FHD=0.0032", "RX_HD=0.0026", "RZ_VGA=-0.0014"} <= set(lines)


def test_fx_follows_the_width_of_the_image() -> None:
    calib = _calibration()
    assert resolution_of_width(1920) == "FHD" and resolution_of_width(2208) == "2K"
    assert resolution_of_width(384) is None
    assert calib.focal_length(1920) == 1400.28  # the FHD section as is
    assert calib.focal_length(1280) == pytest.approx(700.14)  # HD: its own section
    assert calib.focal_length(960) == pytest.approx(700.14)  # a half-size FHD frame
    assert calib.focal_length(960, resized_from="HD") == pytest.approx(700.14 * 960 / 1280)
    assert calib.focal_length(1920, resolution="2K") == pytest.approx(1400.28 * 1920 / 2208)
    with pytest.raises(ValueError, match="must be one of"):
        calib.focal_length(1920, resolution="4K")


def test_a_missing_section_for_the_width_names_the_file(tmp_path: Path) -> None:
    text = REAL_STYLE.replace("[LEFT_CAM_HD]", "[LEFT_CAM_HD1200]")
    calib = read_zed_conf(_conf(tmp_path, text))
    with pytest.raises(BadInputError, match=r"no \[LEFT_CAM_HD\] section") as caught:
        calib.focal_length(1280)
    assert caught.value.kind == "bad_calibration" and caught.value.path.endswith("SN12345.conf")


@pytest.mark.parametrize(
    ("change", "kind", "reason"),
    [
        (lambda t: t.replace("[STEREO]", "[STEREO_X]"), "bad_calibration", r"no \[STEREO\] section"),
        (lambda t: t.replace("Baseline=120.009\n", ""), "bad_calibration", r"\[STEREO\] has no BaseLine"),
        (lambda t: t.replace("Baseline=120.009", "Baseline=-120"), "bad_calibration", r"must be positive"),
        (lambda t: t.replace("fx=1400.28\n", "", 1), "bad_calibration", r"\[LEFT_CAM_2K\] has no fx"),
        (
            lambda t: t.replace("fx=1400.28", "fx=wide", 1),
            "bad_calibration",
            r"fx='wide' is not a finite number",
        ),
        (
            lambda t: t.replace("fx=1400.28", "fx=nan", 1),
            "bad_calibration",
            r"fx='nan' is not a finite number",
        ),
        (
            lambda t: t.replace("fx=1400.28", "fx=0", 1),
            "bad_calibration",
            r"focal length .* must be positive",
        ),
        (
            lambda t: "fx=1400\n" + t,
            "unreadable_calibration",
            r"not an INI file: File contains no section headers",
        ),
        (
            lambda t: t + "[STEREO]\nBaseline=1\n",
            "unreadable_calibration",
            r"not an INI file: .*already exists",
        ),
        (
            lambda t: t.replace("TY=", "BaseLine=1\nTY="),
            "unreadable_calibration",
            r"Baseline and BaseLine: one key twice",
        ),
        (lambda t: t.replace("[STEREO]", "[STEREO"), "unreadable_calibration", r"not an INI file"),
    ],
    ids=[
        "no_stereo",
        "no_baseline",
        "negative_baseline",
        "no_fx",
        "fx_not_a_number",
        "fx_nan",
        "fx_zero",
        "no_section_header",
        "section_twice",
        "baseline_twice",
        "broken_section_header",
    ],
)
def test_bad_files_name_the_file_and_the_reason(
    tmp_path: Path, change: Callable[[str], str], kind: str, reason: str
) -> None:
    path = _conf(tmp_path, change(REAL_STYLE))
    with pytest.raises(BadInputError, match=reason) as caught:
        read_zed_conf(path)
    assert caught.value.kind == kind and caught.value.path == str(path)


def test_unreadable_bytes_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "cp949.conf"
    path.write_bytes("[STEREO]\n# 보정\nBaseline=120\n".encode("cp949"))
    with pytest.raises(BadInputError, match="not UTF-8 text") as caught:
        read_zed_conf(path)
    assert caught.value.kind == "unreadable_calibration"
    huge = tmp_path / "huge.conf"
    huge.write_bytes(b"[STEREO]\n" + b"#" * (2 << 20))
    with pytest.raises(BadInputError, match="is not a ZED calibration file"):
        read_zed_conf(huge)
    with pytest.raises(BadInputError, match="not found") as missing:
        read_zed_conf(tmp_path / "gone.conf")
    assert missing.value.kind == "missing_calibration"
