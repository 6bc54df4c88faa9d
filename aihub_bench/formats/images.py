"""Image file checks: exists, decodes completely, has the size the annotation claims."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from aihub_bench.errors import BadInputError

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)


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
        with Image.open(path) as im:
            im.verify()
        with Image.open(path) as im:
            im.load()
            size = (int(im.width), int(im.height))
    except _DECODE_ERRORS as err:
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
    try:
        with Image.open(path) as im:
            image = np.array(im.convert("RGB"))
    except _DECODE_ERRORS as err:
        raise BadInputError(path, f"cannot decode image: {err}", "unreadable_image") from err
    _check_size(path, (image.shape[1], image.shape[0]), expect_size)
    return image
