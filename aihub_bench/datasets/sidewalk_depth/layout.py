"""Where things live in the 인도 보행 depth sub-dataset (ZED stereo sets): names and file kinds.

One set per ``<walk id>_<n>``, every file named after it [C]::

    Sidewalk_19009_depth_{L,R,left,right,disp,disp16,confidence,confidencesave}_<id>_<n>.png
    Sidewalk_19009_depth_output_<id>_<n>.conf          ZED calibration INI

``disp16`` is the 16-bit disparity (GA-Net; value / 256 = pixels [A]); ``confidence`` is binary
(0/255); ``left``/``right`` are RGB views, ``L``/``R`` the same as RGBA; ``disp`` and
``confidencesave`` are rendered pictures, never data. Folders above the files are not documented
[A]: the reader walks the whole root and gathers a set's files by name. The walk id groups the sets
of one walk (the split's leakage unit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The kinds of PNG in a set, as the release spells them [C].
FILE_KINDS = ("L", "R", "left", "right", "disp", "disp16", "confidence", "confidencesave")
DISPARITY = "disp16"
LEFT_VIEWS = ("left", "L")
RIGHT_VIEWS = ("right", "R")
CONFIDENCE_VIEWS = ("confidence", "confidencesave")

FILE_PATTERN = (
    r"^Sidewalk_19009_depth_(?P<kind>L|R|left|right|disp|disp16|confidence|confidencesave)"
    r"_(?P<sequence>\d+)_(?P<frame>\d+)\.png$"
)
CONF_PATTERN = r"^Sidewalk_19009_depth_output_(?P<sequence>\d+)_(?P<frame>\d+)\.conf$"

#: The release's disparity maps: 1920 wide, 1080 rows (raw frames) or 592 (crops) [C].
RELEASE_ROWS = 1080
CROP_ROWS = 592


@dataclass(frozen=True)
class DepthName:
    """The parts of a set file's name: its kind (``None`` for the ``.conf``), walk and set number."""

    kind: str | None
    sequence: str
    frame: int

    @property
    def key(self) -> tuple[str, int]:
        return self.sequence, self.frame


def parse_name(name: str, pattern: str) -> DepthName | None:
    """``name`` split by ``pattern`` (groups ``sequence``, ``frame`` and, for PNGs, ``kind``), else None.

    Case is ignored; the kind is given in the release's spelling (``L``, ``disp16``)."""
    match = re.match(pattern, name, flags=re.IGNORECASE)
    if match is None:
        return None
    groups = match.groupdict()
    kind = groups.get("kind")
    if kind is not None:
        kind = next((k for k in FILE_KINDS if k.lower() == kind.lower()), kind)
    return DepthName(kind, groups["sequence"], int(groups["frame"]))


def file_name(kind: str, sequence: int | str, frame: int) -> str:
    """The release's name of a set's PNG of ``kind``."""
    return f"Sidewalk_19009_depth_{kind}_{_walk(sequence)}_{frame}.png"


def conf_name(sequence: int | str, frame: int) -> str:
    """The release's name of a set's calibration file."""
    return f"Sidewalk_19009_depth_output_{_walk(sequence)}_{frame}.conf"


def _walk(sequence: int | str) -> str:
    return f"{sequence:06d}" if isinstance(sequence, int) else sequence
