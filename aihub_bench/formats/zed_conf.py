"""The ZED stereo camera's calibration file (``SN<serial>.conf``, an INI file), read and written.

    [LEFT_CAM_FHD]          one section per camera and resolution (2K, FHD, HD, VGA)
    fx=1400.28              focal lengths and principal point in pixels at that resolution,
    fy=1400.28              then distortion coefficients (k1, k2, and p1, p2, k3 where present)
    cx=959.8
    cy=540.2
    k1=-0.1721
    k2=0.0265
    [RIGHT_CAM_FHD]
    ...
    [STEREO]
    BaseLine=120.009        the baseline in millimetres
    CV_FHD=0.0021           rotations per resolution (CV_*, RX_*, RZ_*), translations TY, TZ
    ...

Keys are matched without regard to case (older files spell ``Baseline``); the writer keeps the
names it is given. Any other section ([MISC], ZED X's ``LEFT_CAM_FHD1200``) is ignored.
"""

from __future__ import annotations

import configparser
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aihub_bench.errors import BadInputError

#: ZED resolutions and their (width, height) in pixels.
RESOLUTIONS: dict[str, tuple[int, int]] = {
    "2K": (2208, 1242),
    "FHD": (1920, 1080),
    "HD": (1280, 720),
    "VGA": (672, 376),
}
CAMERAS = ("LEFT", "RIGHT")
INTRINSIC_KEYS = ("fx", "fy", "cx", "cy")
BASELINE_KEY = "BaseLine"
MAX_CONF_BYTES = 1 << 20  # a ZED calibration is ~2 KB; anything this large is not one


@dataclass(frozen=True)
class ZedCamera:
    """One camera at one resolution: pinhole intrinsics (pixels) and distortion coefficients by name."""

    fx: float
    fy: float
    cx: float
    cy: float
    distortion: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ZedCalibration:
    """A ZED calibration: ``left``/``right`` cameras by resolution name, the baseline and the other
    ``[STEREO]`` values by their key names (``CV_FHD``, ``RX_HD``, ``TY`` ...)."""

    left: Mapping[str, ZedCamera]
    right: Mapping[str, ZedCamera]
    baseline_mm: float
    stereo: Mapping[str, float] = field(default_factory=dict)
    path: Path | None = field(default=None, compare=False)

    @property
    def baseline_m(self) -> float:
        return self.baseline_mm / 1000.0

    def section_for_width(self, width: int, resized_from: str = "FHD") -> str:
        """The resolution whose width is ``width``; any other width (a resized image) is taken as
        a resize of ``resized_from``."""
        return resolution_of_width(width) or _check_resolution(resized_from)

    def focal_length(self, width: int, resolution: str = "auto", resized_from: str = "FHD") -> float:
        """The left camera's ``fx`` for an image ``width`` pixels wide.

        ``resolution``: the section to use, or ``auto`` (:meth:`section_for_width`). Its ``fx`` is
        scaled by ``width`` / the resolution's width, so an image resized from it keeps its geometry
        (the factor is 1 when the widths agree)."""
        name = self.section_for_width(width, resized_from) if resolution == "auto" else resolution
        _check_resolution(name)
        if name not in self.left:
            have = ", ".join(f"LEFT_CAM_{r}" for r in self.left) or "none"
            raise BadInputError(
                self.path or "<calibration>",
                f"no [LEFT_CAM_{name}] section for a {width}-pixel-wide image (camera sections: {have})",
                "bad_calibration",
            )
        return self.left[name].fx * width / RESOLUTIONS[name][0]


def resolution_of_width(width: int) -> str | None:
    """The ZED resolution ``width`` pixels wide, if any."""
    return next((name for name, (w, _h) in RESOLUTIONS.items() if w == width), None)


def _check_resolution(name: str) -> str:
    if name not in RESOLUTIONS:
        raise ValueError(f"ZED resolution must be one of {list(RESOLUTIONS)}, got {name!r}")
    return name


class _CaseKeepingParser(configparser.ConfigParser):
    """``ConfigParser`` that keeps key names as written (``BaseLine``, ``CV_FHD``)."""

    def optionxform(self, optionstr: str) -> str:
        return optionstr


def read_zed_conf(path: str | Path) -> ZedCalibration:
    """Parse a ZED ``.conf``; a file that is not one names itself in a ``BadInputError``.

    Kinds: ``missing_calibration`` (no file), ``unreadable_calibration`` (not UTF-8 text, not INI,
    a section or key given twice), ``bad_calibration`` (no ``[STEREO]`` or ``BaseLine``, a camera
    section without ``fx``/``fy``/``cx``/``cy``, a value that is not a finite number, a
    non-positive focal length or baseline)."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(path, "calibration file not found", "missing_calibration")
    parser = _CaseKeepingParser(interpolation=None, strict=True)
    try:
        if path.stat().st_size > MAX_CONF_BYTES:
            raise BadInputError(
                path, f"{path.stat().st_size} bytes is not a ZED calibration file", "unreadable_calibration"
            )
        parser.read_string(path.read_bytes().decode("utf-8-sig"), source=str(path))
    except UnicodeDecodeError as err:
        raise BadInputError(path, f"calibration is not UTF-8 text: {err}", "unreadable_calibration") from err
    except configparser.Error as err:
        message = " ".join(str(err).split())
        raise BadInputError(
            path, f"calibration is not an INI file: {message}", "unreadable_calibration"
        ) from err
    except OSError as err:
        raise BadInputError(path, f"cannot read the calibration: {err}", "unreadable_calibration") from err
    sections = {name.upper(): name for name in parser.sections()}
    cameras: dict[str, dict[str, ZedCamera]] = {camera: {} for camera in CAMERAS}
    for camera in CAMERAS:
        for resolution in RESOLUTIONS:
            name = sections.get(f"{camera}_CAM_{resolution}")
            if name is not None:
                cameras[camera][resolution] = _camera(path, name, _values(path, parser, name))
    if "STEREO" not in sections:
        found = ", ".join(f"[{s}]" for s in parser.sections()) or "none"
        raise BadInputError(path, f"no [STEREO] section (sections: {found})", "bad_calibration")
    stereo = _values(path, parser, sections["STEREO"])
    baseline_key = next((k for k in stereo if k.lower() == BASELINE_KEY.lower()), None)
    if baseline_key is None:
        raise BadInputError(path, f"[STEREO] has no {BASELINE_KEY}", "bad_calibration")
    baseline = stereo.pop(baseline_key)
    if baseline <= 0:
        raise BadInputError(
            path, f"[STEREO] {baseline_key}={baseline} must be positive (mm)", "bad_calibration"
        )
    return ZedCalibration(cameras["LEFT"], cameras["RIGHT"], baseline, stereo, path)


def _values(path: Path, parser: configparser.ConfigParser, section: str) -> dict[str, float]:
    """A section's values as finite numbers, keys as written; two spellings of one key are refused."""
    values: dict[str, float] = {}
    seen: dict[str, str] = {}
    for key, text in parser.items(section):
        if key.lower() in seen:
            raise BadInputError(
                path,
                f"[{section}] gives {seen[key.lower()]} and {key}: one key twice",
                "unreadable_calibration",
            )
        seen[key.lower()] = key
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise BadInputError(path, f"[{section}] {key}={text!r} is not a finite number", "bad_calibration")
        values[key] = value
    return values


def _camera(path: Path, section: str, values: dict[str, float]) -> ZedCamera:
    by_lower = {k.lower(): k for k in values}
    missing = [k for k in INTRINSIC_KEYS if k not in by_lower]
    if missing:
        raise BadInputError(path, f"[{section}] has no {', '.join(missing)}", "bad_calibration")
    fx, fy, cx, cy = (values.pop(by_lower[k]) for k in INTRINSIC_KEYS)
    if fx <= 0 or fy <= 0:
        raise BadInputError(
            path, f"[{section}] focal length fx={fx}, fy={fy} must be positive", "bad_calibration"
        )
    return ZedCamera(fx, fy, cx, cy, values)


def write_zed_conf(path: str | Path, calibration: ZedCalibration) -> Path:
    """Write ``calibration`` as ZED does: camera sections by resolution (left, then right), then
    ``[STEREO]`` with ``BaseLine`` first; ``key=value`` lines, numbers in their shortest exact form."""
    path = Path(path)
    parser = _CaseKeepingParser(interpolation=None)
    for resolution in RESOLUTIONS:
        for camera, cameras in zip(CAMERAS, (calibration.left, calibration.right), strict=True):
            if resolution in cameras:
                c = cameras[resolution]
                parser[f"{camera}_CAM_{resolution}"] = {
                    k: _number(v)
                    for k, v in {"fx": c.fx, "fy": c.fy, "cx": c.cx, "cy": c.cy, **c.distortion}.items()
                }
    parser["STEREO"] = {BASELINE_KEY: _number(calibration.baseline_mm)} | {
        k: _number(v) for k, v in calibration.stereo.items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        parser.write(f, space_around_delimiters=False)
    return path


def _number(value: float) -> str:
    """``120.009``, ``0`` and ``-0.0015``: Python's shortest round-tripping form, no trailing ``.0``."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text
