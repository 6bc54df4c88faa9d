"""Class-index masks: painting polygons, decoding the release's colour masks, writing palette PNGs.

A class-index mask is a ``(H, W)`` ``uint8`` array (255 = :data:`IGNORE_INDEX`). The release's masks
are RGB PNGs with one colour per class; a colour no class owns is counted, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from aihub_bench.errors import BadInputError
from aihub_bench.formats.images import DECODE_ERRORS, open_image

IGNORE_INDEX = 255
RGB = tuple[int, int, int]


def paint_polygons(
    size: tuple[int, int], shapes: Iterable[tuple[int, Sequence[np.ndarray]]], background: int = 0
) -> np.ndarray:
    """The ``(height, width)`` mask of ``shapes`` = ``(class index, parts)`` painted in the order given
    (later over earlier); each part a ``(K, 2)`` array of pixel ``x, y`` (K >= 3). Pixel-centre
    semantics follow Pillow's polygon fill, the same as CVAT's own mask export."""
    height, width = size
    canvas = Image.new("L", (width, height), background)
    draw = ImageDraw.Draw(canvas)
    for index, parts in shapes:
        for part in parts:
            points = [(float(x), float(y)) for x, y in np.asarray(part).reshape(-1, 2)]
            if len(points) >= 3:
                draw.polygon(points, fill=int(index))
    return np.asarray(canvas, dtype=np.uint8).copy()


def read_colour_mask(path: str | Path) -> np.ndarray:
    """The RGB pixels ``(H, W, 3)`` of a colour mask PNG (palette and RGBA modes converted), naming the
    file when it cannot be decoded."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(path, "mask file not found", "missing_mask")
    try:
        with open_image(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except BadInputError:
        raise
    except DECODE_ERRORS as err:
        raise BadInputError(path, f"mask cannot be decoded: {err}", "corrupt_mask") from err


def decode_colour_mask(rgb: np.ndarray, colours: Mapping[RGB, int]) -> tuple[np.ndarray, dict[RGB, int]]:
    """Class indices of an ``(H, W, 3)`` colour mask through ``colours`` (RGB -> class index).

    Pixels of a colour not in the table become :data:`IGNORE_INDEX`; the second value counts them by
    colour (empty when every colour is known). A lookup in the few known colours (``searchsorted``)
    keeps a 1080p mask in tens of milliseconds; only unknown pixels are tallied."""
    flat = np.ascontiguousarray(rgb, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
    codes = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    table = {(int(r) << 16) | (int(g) << 8) | int(b): int(i) for (r, g, b), i in colours.items()}
    known = np.array(sorted(table), dtype=np.int32)
    values = np.array([table[int(c)] for c in known], dtype=np.uint8)
    out = np.full(codes.shape, IGNORE_INDEX, dtype=np.uint8)
    if len(known):
        at = np.minimum(np.searchsorted(known, codes), len(known) - 1)
        hit = known[at] == codes
        out[hit] = values[at[hit]]
    else:
        hit = np.zeros(codes.shape, dtype=bool)
    unknown: dict[RGB, int] = {}
    if not hit.all():
        found, counts = np.unique(codes[~hit], return_counts=True)
        for code, count in zip(found.tolist(), counts.tolist(), strict=True):
            unknown[((code >> 16) & 255, (code >> 8) & 255, code & 255)] = int(count)
    return out.reshape(rgb.shape[:2]), unknown


def colour_mask(mask: np.ndarray, palette: Sequence[RGB]) -> np.ndarray:
    """The ``(H, W, 3)`` RGB picture of a class-index mask (class ``i`` in ``palette[i]``; ignored and
    unknown indices black)."""
    table = np.zeros((256, 3), dtype=np.uint8)
    table[: len(palette)] = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
    return table[mask]


def write_palette_png(path: str | Path, mask: np.ndarray, palette: Sequence[RGB]) -> Path:
    """Write a class-index mask as an 8-bit palette PNG (``P`` mode): the pixel values are the class
    indices, viewers show ``palette`` colours. Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(np.asarray(mask, dtype=np.uint8), mode="P")
    flat = [c for rgb in palette for c in rgb]
    image.putpalette(flat + [0] * (768 - len(flat)))
    image.save(path, optimize=True)
    return path


def read_palette_png(path: str | Path) -> np.ndarray:
    """The class indices of a palette PNG written by :func:`write_palette_png`."""
    with Image.open(path) as im:
        if im.mode != "P":
            raise BadInputError(
                path, f"expected a palette (P mode) PNG, got {im.mode!r}", "unsupported_image"
            )
        return np.asarray(im, dtype=np.uint8).copy()
