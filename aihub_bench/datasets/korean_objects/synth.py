"""Synthetic twin of the Korean object images release (한국형 사물 이미지), in the real layout.

    <root>/<domain>/<n>/<code>_<domain>_<대분류>_<중분류>_<소분류>_<name>/<code>_<nnnn>_<nnnn>.jpg (+ .json)

Each class has a fixed procedural look (``synth_looks.py``): a shape template of its domain (hanok
hall, pagoda, gate; bag, box, can, bottle; tower, bridge, skyscraper, ...) with its own colours and
proportions. Every instance gets a random pose, scale, position and lighting, on a photographic-looking
scene (sky gradient, clouds, hills and trees outdoors; a wall and a textured table or shelf for products).
Weather, ground and lighting are drawn per shoot (class folder), like one photo session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from aihub_bench.datasets.korean_objects.layout import DOMAINS, ClassFolder, resolve_domains
from aihub_bench.datasets.korean_objects.synth_looks import CLASS_CATALOG, LOOKS, RGB, TEMPLATES, Look, Pen
from aihub_bench.datasets.synth_cache import image_size_pair
from aihub_bench.formats.aihub_region_json import Region, RegionAnnotation, write_region_json

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated
CODE_PREFIXES = {"유적건조물": "HF", "상품": "PF", "랜드마크": "LF"}
JPEG_QUALITY = 90
MIN_OBJECT_FRACTION = 0.15  # shorter box side >= this fraction of the shorter image side
MAX_SHOOTS_PER_CLASS = 100  # keeps the 6-digit codes unique


# ---------------------------------------------------------------- objects


@dataclass
class _Sprite:
    """A posed object: premultiplied RGB + alpha, float32 in [0, 1], and its tight box in the sprite."""

    rgb: np.ndarray  # (h, w, 3), already multiplied by alpha
    alpha: np.ndarray  # (h, w)
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 with exclusive ends
    view: str  # 정면 / 측면


def _rotate(channels: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate (h, w, c) float channels about the centre, expanding the canvas."""
    out = [
        np.asarray(Image.fromarray(np.ascontiguousarray(channels[..., c]), "F").rotate(
            degrees, Image.Resampling.BILINEAR, expand=True))
        for c in range(channels.shape[2])
    ]  # fmt: skip
    return np.stack(out, axis=2)


def _make_sprite(
    look: Look, width: float, height: float, side: bool, tilt: float, rng: np.random.Generator
) -> _Sprite:
    """Draw ``look`` at about ``width`` x ``height`` px with random light, mirroring and roll.

    ``side``: a side view (the caller narrows the width), lit more from one side.
    """
    pen = Pen(max(4, round(2 * width)), max(4, round(2 * height)))
    TEMPLATES[look.template](pen, look)
    # rgb of the 2x2-averaged sprite is already premultiplied: transparent pixels are (0, 0, 0, 0)
    arr = np.asarray(pen.image.reduce(2), np.float32) * np.float32(1 / 255)
    if rng.random() < 0.5:
        arr = arr[:, ::-1]
    h, w = arr.shape[:2]
    xs = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :]
    ys = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    ramp = rng.uniform(0.35, 0.6) * rng.choice([-1, 1]) if side else rng.uniform(-0.2, 0.2)
    light = rng.uniform(0.8, 1.15) * (1.0 + ramp * xs) * (1.06 - 0.12 * ys)
    if look.round:
        light = light * (0.72 + 0.38 * np.cos(np.pi * xs) + 0.2 * np.exp(-(((xs + 0.18) / 0.07) ** 2)))
    tint = (1.0 + rng.normal(0.0, 0.03, 3)).astype(np.float32)
    arr[..., :3] = np.minimum(arr[..., :3] * light[..., None] * tint, arr[..., 3:])
    angle = float(rng.uniform(-tilt, tilt))
    if abs(angle) > 0.3:
        arr = _rotate(arr, angle)
    alpha = arr[..., 3]
    rows, cols = np.flatnonzero(alpha.max(axis=1) >= 0.5), np.flatnonzero(alpha.max(axis=0) >= 0.5)
    box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    return _Sprite(arr[..., :3], alpha, box, "측면" if side else "정면")


@dataclass
class _Placed:
    sprite: _Sprite
    x: int  # sprite origin in the image
    y: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = self.sprite.box
        return x0 + self.x, y0 + self.y, x1 + self.x, y1 + self.y


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over the smaller box's area."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return iw * ih / smaller


def _place_objects(
    look: Look, size: tuple[int, int], ground: int, tilt: float, rng: np.random.Generator
) -> list[_Placed]:
    """1-3 instances standing on the ground (below row ``ground``), mostly not overlapping."""
    w, h = size
    n = int(rng.choice([1, 2, 3], p=[0.7, 0.2, 0.1]))
    lo, hi = {1: (0.45, 0.85), 2: (0.3, 0.55), 3: (0.25, 0.42)}[n]
    min_side = MIN_OBJECT_FRACTION * min(w, h) * 1.05  # margin: shapes may not reach the sprite's edge
    placed: list[_Placed] = []
    for _ in range(n):
        side = bool(rng.random() < 0.3)
        aspect = look.aspect * rng.uniform(0.92, 1.08) * (rng.uniform(0.72, 0.86) if side else 1.0)
        bh = rng.uniform(lo, hi) * min(h, w / aspect)
        bh = max(bh, min_side, min_side / aspect)
        bh = min(bh, 0.9 * h, 0.9 * w / aspect)
        sprite = _make_sprite(look, aspect * bh, bh, side, tilt, rng)
        x0, y0, x1, y1 = sprite.box
        bw_, bh_ = x1 - x0, y1 - y0
        if bw_ > w - 2 or bh_ > h - 2:
            continue
        base_lo = min(h - 1, max(ground + int(0.04 * h), bh_ + 1))
        for _try in range(12):
            left = int(rng.integers(1, w - bw_))
            base = int(rng.integers(base_lo, h)) if base_lo < h - 1 else h - 1
            candidate = _Placed(sprite, left - x0, base - bh_ - y0)
            if all(_overlap(candidate.box, p.box) <= 0.1 for p in placed):
                placed.append(candidate)
                break
    return sorted(placed, key=lambda p: p.box[3])  # far (higher base) first, near ones occlude


# ---------------------------------------------------------------- scenes

SKIES: dict[str, tuple[RGB, RGB, RGB]] = {  # top, horizon, clouds
    "맑음": ((66, 126, 200), (172, 206, 236), (250, 250, 252)),
    "흐림": ((146, 150, 160), (204, 204, 208), (226, 227, 231)),
    "일몰": ((58, 66, 128), (242, 152, 92), (250, 190, 168)),
}
GROUNDS: dict[str, RGB] = {
    "잔디": (78, 118, 52),
    "포장도로": (128, 126, 120),
    "흙": (150, 124, 90),
    "물": (58, 92, 120),
}
SURFACES: dict[str, RGB] = {
    "나무테이블": (150, 102, 62),
    "흰색선반": (226, 226, 222),
    "회색매대": (136, 138, 142),
}
WALLS: tuple[RGB, ...] = ((236, 230, 218), (212, 216, 222), (196, 180, 160))
LIGHTS = {"자연광": (1.04, 1.0, 0.94), "형광등": (0.96, 1.0, 1.05)}
GRADES = {"맑음": (1.0, 1.0, 1.0), "흐림": (0.96, 0.96, 0.97), "일몰": (1.06, 0.9, 0.78)}


@dataclass(frozen=True)
class _Shoot:
    """Conditions shared by one class folder's images (one photo session)."""

    indoor: bool
    weather: str  # SKIES key (outdoor) / LIGHTS key (indoor)
    ground: str  # GROUNDS key (outdoor) / SURFACES key (indoor)
    sky: tuple[np.ndarray, np.ndarray, np.ndarray]  # colours in [0, 1]
    ground_color: np.ndarray
    wall: np.ndarray

    def tags(self) -> list[str]:
        if self.indoor:
            return ["장소:실내", f"조명:{self.weather}", f"배경:{self.ground}"]
        weather, time = ("맑음", "일몰") if self.weather == "일몰" else (self.weather, "주간")
        return [f"날씨:{weather}", f"시간:{time}", f"배경:{self.ground}"]


def _jitter(c: RGB, rng: np.random.Generator, amount: float = 10.0) -> np.ndarray:
    return np.clip((np.asarray(c, np.float32) + rng.normal(0.0, amount, 3)) / 255.0, 0, 1).astype(np.float32)


def _shoot(domain: str, look: Look, rng: np.random.Generator) -> _Shoot:
    indoor = domain == "상품"
    if indoor:
        weather = str(rng.choice(list(LIGHTS)))
        ground = str(rng.choice(list(SURFACES)))
    else:
        weather = str(rng.choice(list(SKIES), p=[0.55, 0.25, 0.2]))
        if look.template in ("suspension", "cablestayed"):
            ground = "물" if rng.random() < 0.9 else "포장도로"
        else:
            ground = str(rng.choice(list(GROUNDS), p=[0.4, 0.3, 0.2, 0.1]))
    sky = tuple(_jitter(c, rng) for c in SKIES["맑음" if indoor else weather])
    colors = SURFACES if indoor else GROUNDS
    wall = _jitter(WALLS[int(rng.integers(len(WALLS)))], rng, 6.0)
    return _Shoot(indoor, weather, ground, sky, _jitter(colors[ground], rng), wall)  # type: ignore[arg-type]


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Value noise with unit variance-ish: a coarse normal grid upsampled bilinearly to (h, w)."""
    grid = rng.standard_normal((max(2, h // cell + 2), max(2, w // cell + 2)), dtype=np.float32)
    return np.asarray(Image.fromarray(grid, "F").resize((w, h), Image.Resampling.BILINEAR))


def _ground_texture(kind: str, h: int, w: int, top: int, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative texture (around 0) for rows ``top:h``."""
    gh = h - top
    ys = np.arange(gh, dtype=np.float32)[:, None] + 2.0
    xs = np.arange(w, dtype=np.float32)[None, :] - w / 2
    fine = rng.standard_normal((gh, w), dtype=np.float32)
    if kind == "잔디":
        streaks = np.repeat(rng.standard_normal((gh // 3 + 1, w), dtype=np.float32), 3, axis=0)[:gh]
        return 0.1 * _smooth_noise(rng, gh, w, 12) + 0.07 * streaks + 0.03 * fine
    if kind in ("포장도로", "회색매대"):
        u, v = (xs / ys * 6.0) % 1.0, (h / ys) % 1.0
        lines = ((u < 0.07) | (v < 0.1)).astype(np.float32) if kind == "포장도로" else 0.0
        return 0.05 * _smooth_noise(rng, gh, w, 10) + 0.05 * fine - 0.14 * lines
    if kind == "물":
        ripples = np.repeat(rng.standard_normal((gh, w // 8 + 1), dtype=np.float32), 8, axis=1)[:, :w]
        return 0.06 * ripples + 0.06 * np.sin(ys * 0.9 + 3 * _smooth_noise(rng, gh, w, 16)) + 0.02 * fine
    if kind == "나무테이블":
        grain = np.sin(2 * np.pi * (ys / gh * 14 + 0.6 * _smooth_noise(rng, gh, w, 24)))
        return 0.08 * grain + 0.04 * _smooth_noise(rng, gh, w, 6) + 0.03 * fine
    if kind == "흰색선반":
        return 0.02 * _smooth_noise(rng, gh, w, 16) + 0.02 * fine
    return 0.12 * _smooth_noise(rng, gh, w, 8) + 0.08 * fine  # 흙


def _blend_layer(img: np.ndarray, layer: Image.Image) -> None:
    """Alpha-composite a straight-alpha RGBA layer into ``img`` in place."""
    arr = np.asarray(layer, np.float32) * np.float32(1 / 255)
    a = arr[..., 3:]
    img *= 1.0 - a
    img += arr[..., :3] * a


def _outdoor(shoot: _Shoot, size: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, int]:
    w, h = size
    horizon = int(h * rng.uniform(0.42, 0.72))
    top, low, cloud = shoot.sky
    t = np.clip(np.arange(h, dtype=np.float32) / horizon, 0, 1)[:, None, None] ** 0.8
    img = np.repeat(top * (1 - t) + low * t, w, axis=1)
    img += 0.015 * _smooth_noise(rng, h, w, 24)[..., None]
    # clouds
    n_clouds = int(rng.integers(*{"맑음": (1, 4), "흐림": (5, 9), "일몰": (1, 4)}[shoot.weather]))
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(n_clouds):
        cx, cy = rng.uniform(0, w), rng.uniform(0, 0.7 * horizon)
        for _ in range(int(rng.integers(3, 7))):
            rx, ry = rng.uniform(0.04, 0.1) * w, rng.uniform(0.02, 0.05) * w
            ox, oy = rng.normal(0, 0.06 * w), rng.normal(0, 0.015 * w)
            draw.ellipse(
                (cx + ox - rx, cy + oy - ry, cx + ox + rx, cy + oy + ry), fill=int(rng.integers(150, 230))
            )
    a = np.asarray(mask.filter(ImageFilter.GaussianBlur(w / 40)), np.float32)[..., None] * np.float32(1 / 255)
    img += (cloud - img) * a
    # distant hills
    if rng.random() < 0.5:
        k = max(3, w // 12)
        walk = np.convolve(np.pad(np.cumsum(rng.normal(0, 1, w)), k, mode="edge"), np.ones(k) / k, "same")[
            k:-k
        ]
        walk = (walk - walk.min()) / max(float(np.ptp(walk)), 1e-6)
        ridge = horizon - h * (0.03 + rng.uniform(0.06, 0.14) * walk)
        rows = np.arange(h)[:, None]
        hill = (rows >= ridge[None, :]) & (rows < horizon)
        img[hill] = 0.55 * low + 0.45 * np.array([0.28, 0.37, 0.34], np.float32)
    # ground
    g = np.linspace(0.0, 1.0, h - horizon, dtype=np.float32)[:, None, None]
    color = shoot.ground_color * 0.7 + low * 0.3 if shoot.ground == "물" else shoot.ground_color
    texture = _ground_texture(shoot.ground, h, w, horizon, rng)[..., None]
    img[horizon:] = color * (0.92 + 0.16 * g) * (1.0 + texture)
    # trees (unlabelled distractors)
    if shoot.ground != "물":
        layer = Image.new("RGBA", size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        for _ in range(int(rng.choice(4, p=[0.4, 0.3, 0.2, 0.1]))):
            th = rng.uniform(0.12, 0.3) * h
            base = horizon + rng.uniform(0.0, 0.2) * (h - horizon)
            x = rng.uniform(0, w)
            draw.rectangle((x - th * 0.05, base - th * 0.45, x + th * 0.05, base), fill=(92, 66, 44, 255))
            green = (int(rng.integers(34, 70)), int(rng.integers(80, 112)), int(rng.integers(36, 60)), 255)
            for _ in range(3):
                r = th * rng.uniform(0.22, 0.32)
                ox, oy = rng.normal(0, 0.1 * th), base - th * rng.uniform(0.6, 0.75)
                draw.ellipse((x + ox - r, oy - r, x + ox + r, oy + r), fill=green)
        _blend_layer(img, layer)
    return img, horizon


def _indoor(shoot: _Shoot, size: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, int]:
    w, h = size
    edge = int(h * rng.uniform(0.3, 0.55))
    t = np.linspace(0.0, 1.0, edge, dtype=np.float32)[:, None, None]
    img = np.empty((h, w, 3), np.float32)
    img[:edge] = shoot.wall * (1.03 - 0.15 * t) * (1.0 + 0.02 * _smooth_noise(rng, edge, w, 20)[..., None])
    if rng.random() < 0.3:  # a window on the wall (unlabelled)
        layer = Image.new("RGBA", size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        ww, wh = rng.uniform(0.15, 0.3) * w, rng.uniform(0.4, 0.7) * edge
        x0, y0 = rng.uniform(0, w - ww), rng.uniform(0.05, 0.25) * edge
        draw.rectangle((x0, y0, x0 + ww, y0 + wh), fill=(244, 244, 240, 255))
        draw.rectangle((x0 + 3, y0 + 3, x0 + ww - 3, y0 + wh - 3), fill=(196, 222, 242, 255))
        draw.line((x0 + ww / 2, y0, x0 + ww / 2, y0 + wh), fill=(244, 244, 240, 255), width=2)
        _blend_layer(img, layer)
    g = np.linspace(0.0, 1.0, h - edge, dtype=np.float32)[:, None, None]
    texture = _ground_texture(shoot.ground, h, w, edge, rng)[..., None]
    img[edge:] = shoot.ground_color * (0.9 + 0.14 * g) * (1.0 + texture)
    img[edge : edge + 2] *= 0.8  # the table's back edge
    return img, edge


@dataclass
class _Rendered:
    image: Image.Image
    boxes: list[tuple[int, int, int, int]]
    tags: list[list[str]]


def _render_scene(
    domain: str, name: str, shoot: _Shoot, size: tuple[int, int], rng: np.random.Generator
) -> _Rendered:
    """One photo of class ``name``: background, 1-3 instances with shadows, grading, noise, blur."""
    w, h = size
    look = LOOKS[name]
    img, ground = (_indoor if shoot.indoor else _outdoor)(shoot, size, rng)
    placed = _place_objects(look, size, ground, 10.0 if shoot.indoor else 2.0, rng)
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    sun = rng.uniform(-0.3, 0.3)
    for p in placed:
        x0, y0, x1, y1 = p.box
        bw, bh = x1 - x0, y1 - y0
        cx = (x0 + x1) / 2 + sun * bw
        draw.ellipse((cx - 0.6 * bw, y1 - 0.06 * bh, cx + 0.6 * bw, y1 + 0.05 * bh), fill=255)
    strength = 0.25 if shoot.weather == "흐림" else 0.45
    shadow = np.asarray(mask.filter(ImageFilter.GaussianBlur(max(1.5, w / 120))), np.float32)
    img *= (1.0 - strength / 255.0 * shadow)[..., None]
    for p in placed:
        sh, sw = p.sprite.alpha.shape
        # the sprite's transparent margin may hang off the image; the box never does
        ix0, iy0, ix1, iy1 = max(p.x, 0), max(p.y, 0), min(p.x + sw, w), min(p.y + sh, h)
        sx, sy = ix0 - p.x, iy0 - p.y
        a = p.sprite.alpha[sy : sy + iy1 - iy0, sx : sx + ix1 - ix0, None]
        region = img[iy0:iy1, ix0:ix1]
        region *= 1.0 - a
        region += p.sprite.rgb[sy : sy + iy1 - iy0, sx : sx + ix1 - ix0]
    grade = LIGHTS[shoot.weather] if shoot.indoor else GRADES[shoot.weather]
    img *= np.asarray(grade, np.float32) * np.float32(rng.uniform(0.9, 1.1))
    if shoot.weather == "흐림":
        img = 0.85 * img + 0.15 * img.mean()
    img += rng.normal(0.0, rng.uniform(0.006, 0.016), img.shape).astype(np.float32)
    out = Image.fromarray((np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8), "RGB")
    out = out.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 0.8))))
    boxes, tags = [], []
    for p in placed:
        x0, y0, x1, y1 = p.box
        extent = max((x1 - x0) / w, (y1 - y0) / h)
        distance = "근거리" if extent >= 0.6 else "중거리" if extent >= 0.35 else "원거리"
        boxes.append(p.box)
        tags.append([*shoot.tags(), f"거리:{distance}", f"각도:{p.sprite.view}"])
    return _Rendered(out, boxes, tags)


# ---------------------------------------------------------------- writing


def _check_counts(
    classes_per_domain: int, shoots_per_class: int, images_per_shoot: int, swapped: float, seed: int
) -> None:
    most = min(len(v) for v in CLASS_CATALOG.values())
    if not 1 <= classes_per_domain <= most:
        raise ValueError(f"classes_per_domain must be in 1..{most}, got {classes_per_domain}")
    if not 1 <= shoots_per_class <= MAX_SHOOTS_PER_CLASS:
        raise ValueError(f"shoots_per_class must be in 1..{MAX_SHOOTS_PER_CLASS}, got {shoots_per_class}")
    if images_per_shoot < 1:
        raise ValueError(f"images_per_shoot must be >= 1, got {images_per_shoot}")
    if not 0.0 <= swapped <= 1.0:
        raise ValueError(f"swapped_fraction must be in [0, 1], got {swapped}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")


def class_code(domain: str, class_index: int, shoot: int) -> str:
    """Unique code like ``HF010785``: domain prefix + 6 digits from the catalog index and shoot."""
    return f"{CODE_PREFIXES[domain]}{10_000 + 1_000 * class_index + 7 * shoot + 3:06d}"


def image_stems(code: str, n: int) -> list[str]:
    """``<code>_<seq>_<img>``: the shoot's images split over two sequences, each counted from 1."""
    seqs = [1 + (2 * i) // n if n > 1 else 1 for i in range(n)]
    return [f"{code}_{seq:04d}_{i - seqs.index(seq) + 1:04d}" for i, seq in enumerate(seqs)]


def write_synthetic_korean_objects(
    out: str | Path,
    *,
    domains: Sequence[str] | None = None,
    classes_per_domain: int = 4,
    shoots_per_class: int = 3,
    images_per_shoot: int = 4,
    image_size: int | Sequence[int] = (192, 256),
    swapped_fraction: float = 0.15,
    seed: int = 0,
) -> Path:
    """Write a synthetic Korean-objects dataset in the real layout under ``out`` and return it.

    ``domains``: Korean or English names (None: all three). The first ``classes_per_domain``
    catalog classes of each domain get ``shoots_per_class`` class folders of ``images_per_shoot``
    JPEGs, each with its region JSON; about ``swapped_fraction`` of the JSONs have one region with
    swapped corners. ``image_size`` is a side or ``[height, width]``. Same arguments, same bytes.
    """
    domains_ = resolve_domains(domains)
    height, width = image_size_pair(image_size, 64)
    size = (width, height)  # PIL's order, and the region JSON's imsize
    _check_counts(classes_per_domain, shoots_per_class, images_per_shoot, swapped_fraction, seed)
    root = Path(out)
    for domain in domains_:
        d = list(DOMAINS).index(domain)
        for k, entry in enumerate(CLASS_CATALOG[domain][:classes_per_domain]):
            for s in range(shoots_per_class):
                code = class_code(domain, k, s)
                folder = ClassFolder(code, domain, *entry).folder_name
                bucket = 1 + (k * shoots_per_class + s) // 2  # two class folders per numbered bucket
                target = root / domain / str(bucket) / folder
                target.mkdir(parents=True, exist_ok=True)
                shoot = _shoot(domain, LOOKS[entry.name], np.random.default_rng([seed, d, k, s]))
                for i, stem in enumerate(image_stems(code, images_per_shoot)):
                    rng = np.random.default_rng([seed, d, k, s, i, 1])
                    _write_image(target, stem, domain, entry.name, shoot, size, swapped_fraction, rng)
    return root


def _write_image(
    target: Path,
    stem: str,
    domain: str,
    name: str,
    shoot: _Shoot,
    size: tuple[int, int],
    swapped_fraction: float,
    rng: np.random.Generator,
) -> None:
    scene = _render_scene(domain, name, shoot, size, rng)
    scene.image.save(target / f"{stem}.jpg", "JPEG", quality=JPEG_QUALITY)
    corners = [list(box) for box in scene.boxes]
    if corners and rng.random() < swapped_fraction:
        c = corners[int(rng.integers(len(corners)))]
        mode = int(rng.integers(3))
        if mode in (0, 2):
            c[0], c[2] = c[2], c[0]
        if mode in (1, 2):
            c[1], c[3] = c[3], c[1]
    regions = [Region(c, name, tags) for c, tags in zip(corners, scene.tags, strict=True)]
    ann = RegionAnnotation(stem, list(size), regions, extra={"version": "1.0"})
    write_region_json(target / f"{stem}.json", ann)


# ---------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments in canonical form (what names a cached twin; see ``DatasetSpec``)."""
    p = kwargs
    _check_counts(
        p["classes_per_domain"],
        p["shoots_per_class"],
        p["images_per_shoot"],
        p["swapped_fraction"],
        p["seed"],
    )
    return {
        "domains": list(resolve_domains(p["domains"])),
        "classes_per_domain": int(p["classes_per_domain"]),
        "shoots_per_class": int(p["shoots_per_class"]),
        "images_per_shoot": int(p["images_per_shoot"]),
        "image_size": list(image_size_pair(p["image_size"], 64)),
        "swapped_fraction": float(p["swapped_fraction"]),
        "seed": int(p["seed"]),
    }


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth korean_objects``: about ``samples`` images, three per shoot, over every
    domain; ``classes`` is the number of classes per domain (default 4)."""
    if classes and not classes.isdigit():
        raise ValueError(f"--classes is a number of classes per domain, got {classes!r}")
    classes_per_domain = int(classes) if classes else 4
    images_per_shoot = 3
    shoots = max(1, -(-samples // (len(DOMAINS) * classes_per_domain * images_per_shoot)))  # ceil
    return {
        "classes_per_domain": classes_per_domain,
        "shoots_per_class": shoots,
        "images_per_shoot": images_per_shoot,
    }


def remove_one_image(root: Path) -> Path:
    """Delete the first image of a twin (its annotation JSON stays) and return the JSON's path,
    which the reader names."""
    image = min(Path(root).rglob("*.jpg"))
    image.unlink()
    return image.with_suffix(".json")
