"""16-bit disparity and binary confidence PNGs, and metric depth from disparity.

A disparity PNG stores ``disparity_in_pixels * scale`` as unsigned 16-bit integers, 0 meaning no
value (KITTI's convention, scale 256). Depth in metres is ``fx * baseline / disparity``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from aihub_bench.errors import BadInputError
from aihub_bench.formats.images import DECODE_ERRORS, open_image

_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def read_disparity_png(path: str | Path, scale: float) -> np.ndarray:
    """Disparity in pixels ``(H, W)`` float32 (0 = no value) from a 16-bit PNG.

    An 8-bit PNG is refused (kind ``disparity_not_16bit``): it is a rendered picture (the release's
    ``disp`` files), not data."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(path, "disparity file not found", "missing_disparity")
    try:
        with open_image(path) as im:
            _require_sixteen_bit(path, im)
            raw = np.asarray(im, dtype=np.float32)
    except BadInputError:
        raise
    except DECODE_ERRORS as err:
        raise BadInputError(path, f"disparity PNG cannot be decoded: {err}", "corrupt_disparity") from err
    return raw / np.float32(scale)


def read_disparity_header(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of a disparity PNG from its header alone, refused as
    :func:`read_disparity_png` refuses it (missing, 8-bit, not an image)."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(path, "disparity file not found", "missing_disparity")
    try:
        with open_image(path) as im:
            _require_sixteen_bit(path, im)
            return int(im.width), int(im.height)
    except BadInputError:
        raise
    except DECODE_ERRORS as err:
        raise BadInputError(path, f"disparity PNG cannot be decoded: {err}", "corrupt_disparity") from err


def _require_sixteen_bit(path: Path, im: Image.Image) -> None:
    if im.mode not in _SIXTEEN_BIT:
        raise BadInputError(
            path,
            f"disparity PNG must be 16-bit greyscale, got mode {im.mode!r} (a rendered picture, not data)",
            "disparity_not_16bit",
        )


def write_disparity_png(path: str | Path, disparity: np.ndarray, scale: float) -> Path:
    """Write disparity in pixels as a 16-bit PNG of ``round(disparity * scale)`` (0 = no value)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = np.clip(np.rint(np.asarray(disparity, dtype=np.float64) * scale), 0, 65535).astype(np.uint16)
    Image.fromarray(raw).save(path)
    return path


def read_confidence_png(path: str | Path) -> np.ndarray:
    """A binary confidence PNG as a boolean ``(H, W)`` mask (non-zero = confident)."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(path, "confidence file not found", "missing_confidence")
    try:
        with open_image(path) as im:
            return np.asarray(im.convert("L") if im.mode not in _SIXTEEN_BIT else im) > 0
    except DECODE_ERRORS as err:
        raise BadInputError(path, f"confidence PNG cannot be decoded: {err}", "corrupt_confidence") from err


def depth_from_disparity(disparity: np.ndarray, fx: float, baseline_m: float) -> np.ndarray:
    """Depth in metres ``fx * baseline / disparity`` where the disparity is positive, else 0."""
    disparity = np.asarray(disparity, dtype=np.float32)
    depth = np.zeros_like(disparity)
    positive = disparity > 0
    depth[positive] = np.float32(fx * baseline_m) / disparity[positive]
    return depth
