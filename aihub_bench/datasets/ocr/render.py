"""How the OCR twin's pictures look: Hangul rendered with real Korean fonts, then made printed-,
handwriting-, augmentation- or scene-like. Pure functions of their arguments and a numpy generator,
so the twin is the same bytes for the same seed.

- printed: a clean render, then a slight skew, a slight blur and a JPEG round trip;
- handwriting: each syllable drawn with its own size, offset and tilt, then an elastic distortion and
  a stroke width that varies smoothly along the line (pen pressure);
- augmented: a printed syllable rotated, scaled and shifted more, over a noisy, shaded paper;
- scenes (text in the wild): a solid or gradient background, boards (signs, boxes, covers) each
  carrying one word, scribbles that no one could read (the release's ``ignored`` boxes).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from scipy.ndimage import gaussian_filter, map_coordinates

HEIGHT = 64  # every printed / handwritten image is 64 px high; a syllable image is 64 x 64
PAD = 6  # px left and right of a line of text
Box = tuple[int, int, int, int]  # x, y, w, h
RGB = tuple[int, int, int]


@functools.lru_cache(maxsize=64)
def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _text_box(f: ImageFont.FreeTypeFont, text: str) -> Box:
    """``(left, top, right, bottom)`` of ``text`` drawn at the origin, in whole pixels."""
    left, top, right, bottom = f.getbbox(text)
    return int(left), int(top), int(right), int(bottom)


def _paper_and_ink(rng: np.random.Generator) -> tuple[int, int]:
    return int(rng.integers(215, 256)), int(rng.integers(0, 70))


def _line(
    text: str, font_path: str, size: int, paper: int, ink: int, width: int | None, dy: float
) -> Image.Image:
    """``text`` on a ``HEIGHT``-high grey canvas, vertically centred (+ ``dy``); the canvas is the
    text's width plus padding, or ``width`` (the text centred)."""
    f = font(font_path, size)
    left, top, right, bottom = _text_box(f, text)
    w = width if width is not None else right - left + 2 * PAD
    canvas = Image.new("L", (w, HEIGHT), paper)
    x = (w - (right - left)) / 2 - left
    y = (HEIGHT - (bottom - top)) / 2 - top + dy
    ImageDraw.Draw(canvas).text((x, y), text, font=f, fill=ink)
    return canvas


def _jpeg_round_trip(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert(image.mode)


def printed(text: str, font_path: str, syllable: bool, rng: np.random.Generator) -> Image.Image:
    """A printed line (or a 64 x 64 syllable): clean render, skew up to 2 degrees, blur, JPEG."""
    paper, ink = _paper_and_ink(rng)
    size = int(rng.integers(44, 51)) if syllable else int(rng.integers(36, 43))
    image = _line(text, font_path, size, paper, ink, HEIGHT if syllable else None, float(rng.uniform(-2, 2)))
    image = image.rotate(float(rng.uniform(-2, 2)), resample=Image.Resampling.BILINEAR, fillcolor=paper)
    image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.0, 0.8))))
    return _jpeg_round_trip(image, int(rng.integers(35, 91)))


def augmented(text: str, font_path: str, rng: np.random.Generator) -> Image.Image:
    """A printed syllable changed more: rotation up to 10 degrees, size, offset, shaded noisy paper."""
    paper, ink = _paper_and_ink(rng)
    size = int(rng.integers(34, 53))
    image = _line(text, font_path, size, paper, ink, HEIGHT, float(rng.uniform(-5, 5)))
    image = image.rotate(
        float(rng.uniform(-10, 10)),
        resample=Image.Resampling.BILINEAR,
        translate=(int(rng.integers(-5, 6)), 0),
        fillcolor=paper,
    )
    pixels = np.asarray(image, dtype=np.float32)
    shade = np.linspace(0, float(rng.uniform(-40, 40)), HEIGHT, dtype=np.float32)
    pixels = pixels + (shade[:, None] if rng.random() < 0.5 else shade[None, :])
    pixels += rng.normal(0, float(rng.uniform(3, 12)), pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def handwritten(
    text: str, font_paths: Sequence[str], rng: np.random.Generator, syllable: bool
) -> Image.Image:
    """A hand-written-looking line: per-syllable size, offset and tilt; elastic warp; uneven stroke."""
    paper, ink = _paper_and_ink(rng)
    font_path = font_paths[int(rng.integers(len(font_paths)))]
    base = int(rng.integers(40, 48)) if syllable else int(rng.integers(32, 40))
    glyphs = [_glyph(ch, font_path, base, rng) for ch in text]
    spacing = [int(rng.integers(-3, 4)) for _ in glyphs]
    width = sum(g.width + s for g, s in zip(glyphs, spacing, strict=True)) + 2 * PAD
    width = HEIGHT if syllable else max(width, HEIGHT // 2)
    canvas = np.zeros((HEIGHT, width), dtype=np.float32)  # ink coverage 0..1
    x = (width - sum(g.width + s for g, s in zip(glyphs, spacing, strict=True))) / 2
    for glyph, space in zip(glyphs, spacing, strict=True):
        y = (HEIGHT - glyph.height) / 2 + float(rng.uniform(-4, 4))
        _paste_max(canvas, np.asarray(glyph, dtype=np.float32) / 255.0, int(round(x)), int(round(y)))
        x += glyph.width + space
    coverage = _uneven_stroke(_elastic(canvas, rng), rng)
    pixels = paper - coverage * (paper - ink)
    pixels += rng.normal(0, 2.0, pixels.shape)
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8))


def _glyph(ch: str, font_path: str, base: int, rng: np.random.Generator) -> Image.Image:
    """One character as an ink-coverage tile (white on black), sized and tilted at random."""
    size = max(12, int(base * rng.uniform(0.85, 1.12)))
    f = font(font_path, size)
    left, top, right, bottom = _text_box(f, ch)
    if ch.isspace() or right <= left:
        return Image.new("L", (size // 3, size), 0)
    tile = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(tile).text((2 - left, 2 - top), ch, font=f, fill=255)
    return tile.rotate(float(rng.uniform(-7, 7)), resample=Image.Resampling.BILINEAR, expand=True)


def _paste_max(canvas: np.ndarray, tile: np.ndarray, x: int, y: int) -> None:
    """Ink of ``tile`` onto ``canvas`` at ``(x, y)`` (overlaps keep the darker), cut to the canvas."""
    h, w = canvas.shape
    y0, x0 = max(y, 0), max(x, 0)
    y1, x1 = min(y + tile.shape[0], h), min(x + tile.shape[1], w)
    if y1 > y0 and x1 > x0:
        part = tile[y0 - y : y1 - y, x0 - x : x1 - x]
        canvas[y0:y1, x0:x1] = np.maximum(canvas[y0:y1, x0:x1], part)


def _elastic(
    coverage: np.ndarray, rng: np.random.Generator, alpha: float = 34.0, sigma: float = 6.0
) -> np.ndarray:
    """A smooth random displacement field (Simard et al. 2003) applied to the ink."""
    shape = coverage.shape
    dx = gaussian_filter(rng.uniform(-1, 1, shape), sigma) * alpha
    dy = gaussian_filter(rng.uniform(-1, 1, shape), sigma) * alpha
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    return map_coordinates(coverage, (yy + dy, xx + dx), order=1, mode="constant", cval=0.0)


def _uneven_stroke(coverage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thicker where a smooth random field is high (a 3x3 dilation blended in), fainter elsewhere."""
    thick = np.asarray(
        Image.fromarray(np.uint8(np.clip(coverage, 0, 1) * 255)).filter(ImageFilter.MaxFilter(3)), np.float32
    )
    pressure = gaussian_filter(rng.uniform(0, 1, coverage.shape), 8)
    pressure = (pressure - pressure.min()) / max(float(np.ptp(pressure)), 1e-6)
    blended = pressure * thick / 255.0 + (1 - pressure) * coverage
    return np.clip(blended * rng.uniform(0.75, 1.0), 0, 1)


# ------------------------------------------------------------------------------ scenes


@dataclass(frozen=True)
class SceneBox:
    """A box a scene annotation gets: ``text`` (``None`` for an ignored scribble) and class."""

    text: str | None
    box_class: str
    bbox: Box


def _background(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.integers(0, 256, 3).astype(np.float32)
    if rng.random() < 0.4:
        picture = np.broadcast_to(a, (height, width, 3)).copy()
    else:
        b = rng.integers(0, 256, 3).astype(np.float32)
        t = np.linspace(0, 1, height if rng.random() < 0.5 else width, dtype=np.float32)
        ramp = t[:, None, None] if len(t) == height else t[None, :, None]
        picture = np.broadcast_to(a + (b - a) * ramp, (height, width, 3)).copy()
    picture += rng.normal(0, 6, (height, width, 1)).astype(np.float32)
    return picture


def _contrasting(rng: np.random.Generator) -> tuple[RGB, RGB]:
    """A board colour and a text colour that stands out on it."""
    board = rng.integers(0, 256, 3)
    light = float(board @ np.array([0.299, 0.587, 0.114])) > 128
    text = rng.integers(0, 60, 3) if light else rng.integers(200, 256, 3)
    return (int(board[0]), int(board[1]), int(board[2])), (int(text[0]), int(text[1]), int(text[2]))


def scene(
    words: Sequence[str],
    font_paths: Sequence[str],
    size: tuple[int, int],
    rng: np.random.Generator,
    *,
    character_boxes: bool,
    scribble: bool,
) -> tuple[Image.Image, list[SceneBox]]:
    """A ``(height, width)`` RGB photo with one board per word (one band of the picture each) and
    its boxes: each word, its characters (``character_boxes``: those of the first word), and an
    ignored scribble in a free corner of a band (``scribble``)."""
    height, width = size
    image = Image.fromarray(np.clip(_background(height, width, rng), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    band = height // max(len(words), 1)
    boxes: list[SceneBox] = []
    for i, word in enumerate(words):
        font_path = font_paths[int(rng.integers(len(font_paths)))]
        size_px = int(rng.integers(26, min(46, band - 16) + 1))
        f = font(font_path, size_px)
        while f.getlength(word) + 24 > width and size_px > 12:
            size_px -= 2
            f = font(font_path, size_px)
        left, top, right, bottom = _text_box(f, word)
        margin = int(rng.integers(6, 12))
        board_w, board_h = right - left + 2 * margin, bottom - top + 2 * margin
        bx = int(rng.integers(2, max(3, width - board_w - 2)))
        by = i * band + int(rng.integers(2, max(3, band - board_h - 2)))
        board, ink = _contrasting(rng)
        draw.rectangle(
            (bx, by, bx + board_w, by + board_h), fill=board, outline=ink if rng.random() < 0.3 else None
        )
        tx, ty = bx + margin - left, by + margin - top
        draw.text((tx, ty), word, font=f, fill=ink)
        boxes.append(
            SceneBox(word, "word", (bx + margin - 2, by + margin - 2, right - left + 4, bottom - top + 4))
        )
        if character_boxes and i == 0:
            boxes.extend(_characters(word, f, tx, ty))
        if scribble and i == len(words) - 1:
            boxes.append(_scribble(draw, rng, (bx, by, board_w, board_h), (i * band, band), width))
    picture = np.asarray(image, dtype=np.float32) + rng.normal(0, 3, (height, width, 1)).astype(np.float32)
    return Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)), boxes


def _characters(word: str, f: ImageFont.FreeTypeFont, x: float, y: float) -> list[SceneBox]:
    """The box of each non-space character of ``word`` drawn at ``(x, y)``."""
    found = []
    for i, ch in enumerate(word):
        if ch.isspace():
            continue
        left, top, right, bottom = _text_box(f, ch)
        cx = x + f.getlength(word[:i]) + left
        found.append(
            SceneBox(ch, "character", (int(cx) - 1, int(y + top) - 1, right - left + 2, bottom - top + 2))
        )
    return found


def _scribble(
    draw: ImageDraw.ImageDraw, rng: np.random.Generator, board: Box, band: tuple[int, int], width: int
) -> SceneBox:
    """Unreadable strokes beside the band's board (over it when there is no room): an ignored box,
    which may cover text, as the release's do."""
    bx, _, bw, _ = board
    top, band_h = band
    left_room, right_room = bx, width - (bx + bw)
    w = int(rng.integers(30, 70))
    h = min(band_h - 6, int(rng.integers(16, 34)))
    if max(left_room, right_room) - 6 < 20:
        x = int(rng.integers(0, width - w))
    elif left_room >= right_room:
        w = min(w, left_room - 6)
        x = int(rng.integers(2, max(3, left_room - w - 2)))
    else:
        w = min(w, right_room - 6)
        x = bx + bw + 4
    y = top + int(rng.integers(2, max(3, band_h - h - 2)))
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    points = [(x + float(rng.uniform(0, w)), y + float(rng.uniform(0, h))) for _ in range(8)]
    draw.line(points, fill=colour, width=2)
    return SceneBox(None, "ignored", (x, y, max(w, 1), max(h, 1)))


def save_png(image: Image.Image, path: Path) -> None:
    """PNG without metadata chunks (no time stamp), so the bytes depend on the pixels alone."""
    image.save(path, "PNG", optimize=False, compress_level=6)
