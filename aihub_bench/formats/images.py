"""Image file checks: exists, decodes completely, has the size the annotation claims.

Every reader opens images through this module, so the same rules hold everywhere:
- a header declaring more than ``MAX_IMAGE_PIXELS`` pixels (a decompression bomb) is refused
  before any pixel is decoded (kind ``decompression_bomb``);
- 16-bit greyscale images (PNG ``I;16``, TIFF) are scaled to 8 bits (value / 257), not clipped to
  white as Pillow's ``convert("RGB")`` would; modes that cannot be shown as RGB are refused
  (kind ``unsupported_image``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from aihub_bench.errors import BadInputError

DECODE_ERRORS = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)
MAX_IMAGE_PIXELS = 20_000 * 20_000  # 400 MP: far above any AI Hub photo (the largest are ~12 MP)
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_TO_RGB = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "La", "RGBa")


def open_image(path: Path) -> Image.Image:
    """Open (header only) and refuse decompression bombs, naming the file."""
    try:
        im = Image.open(path)
    except Image.DecompressionBombError as err:
        raise BadInputError(
            path, f"image declares too many pixels (decompression bomb): {err}", "decompression_bomb"
        ) from err
    if im.width * im.height > MAX_IMAGE_PIXELS:
        declared = f"{im.width}x{im.height}"
        im.close()
        raise BadInputError(
            path,
            f"image declares {declared} pixels, over the {MAX_IMAGE_PIXELS}-pixel limit (decompression bomb)",
            "decompression_bomb",
        )
    if im.mode not in _TO_RGB and im.mode not in _SIXTEEN_BIT:
        mode = im.mode
        im.close()
        raise BadInputError(path, f"image mode {mode!r} cannot be read as RGB", "unsupported_image")
    return im


#: ``dataset.reader.verify_images`` of every reader: ``none`` (nothing read here), ``header`` (the size
#: from the header, decompression bombs refused) or ``full`` (every pixel decoded).
VERIFY_MODES = ("none", "header", "full")


def check_verify_mode(mode: Any) -> str:
    """``mode`` if it is one of :data:`VERIFY_MODES`, else a ``ValueError`` (with a hint for a bool, the
    option's type before it had three modes)."""
    if isinstance(mode, bool):
        raise ValueError(
            f"verify_images must be one of {list(VERIFY_MODES)}, got the bool {mode!r}: "
            "use full instead of true, header instead of false"
        )
    if mode not in VERIFY_MODES:
        raise ValueError(f"verify_images must be one of {list(VERIFY_MODES)}, got {mode!r}")
    return str(mode)


def verify_image(path: str | Path, mode: str) -> tuple[int, int] | None:
    """The image's ``(width, height)`` as ``verify_images=mode`` checks it (``None`` for ``none``)."""
    if mode == "none":
        return None
    return check_image(path) if mode == "full" else read_image_header(path)


def read_image_header(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` from the header alone (no pixel decoding), bombs and odd modes refused."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(path, "image file not found", "missing_image")
    try:
        with open_image(path) as im:
            return int(im.width), int(im.height)
    except BadInputError:
        raise
    except DECODE_ERRORS as err:
        raise BadInputError(path, f"unreadable image: {err}", "unreadable_image") from err


def to_rgb_array(im: Image.Image) -> np.ndarray:
    """``(H, W, 3)`` uint8; 16-bit greyscale is scaled (value / 257) rather than clipped."""
    if im.mode in _SIXTEEN_BIT:
        grey = np.asarray(im, dtype=np.float64)
        if im.mode == "I" and grey.size and grey.max() > 65535:
            raise ValueError("32-bit integer image has values above 65535")
        grey8 = np.clip(np.rint(grey / 257.0), 0, 255).astype(np.uint8)
        return np.repeat(grey8[:, :, None], 3, axis=2)
    return np.array(im.convert("RGB"))


def check_image(path: str | Path, expect_size: tuple[int, int] | None = None) -> tuple[int, int]:
    """Fully verify the image at ``path`` and return ``(width, height)``.

    ``verify()`` walks the chunk structure (catches a PNG cut before IEND, bad CRCs) and ``load()``
    decodes every pixel (catches a cut inside the pixel data); together they catch truncation even
    when some other code has set ``ImageFile.LOAD_TRUNCATED_IMAGES``.
    """
    path = Path(path)
    if not path.is_file():
        raise BadInputError(path, "image file not found", "missing_image")
    try:
        with open_image(path) as im:
            im.verify()
        with open_image(path) as im:
            im.load()
            size = (int(im.width), int(im.height))
    except BadInputError:
        raise
    except DECODE_ERRORS as err:
        raise BadInputError(path, f"unreadable image: {err}", "unreadable_image") from err
    _check_size(path, size, expect_size)
    return size


def _check_size(path: str | Path, size: tuple[int, int], expect_size: tuple[int, int] | None) -> None:
    if expect_size is not None and tuple(expect_size) != size:
        want = f"{expect_size[0]}x{expect_size[1]}"
        raise BadInputError(path, f"image is {size[0]}x{size[1]} but annotation says {want}", "size_mismatch")


def load_rgb(path: str | Path, expect_size: tuple[int, int] | None = None) -> np.ndarray:
    """Decode an image to ``(H, W, 3)`` uint8, naming the file when it cannot be read or is not
    ``expect_size`` = ``(width, height)``."""
    path = Path(path)
    try:
        with open_image(path) as im:
            image = to_rgb_array(im)
    except BadInputError:
        raise
    except DECODE_ERRORS as err:
        raise BadInputError(path, f"cannot decode image: {err}", "unreadable_image") from err
    _check_size(path, (image.shape[1], image.shape[0]), expect_size)
    return image
