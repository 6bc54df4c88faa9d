"""Synthetic twin of the fundus release (안저), in the assumed real layout [A]:

    <root>/General/General_<code>_<serial>_<L|R>.jpg
    <root>/Wide/Wide_<code>_<serial>_<L|R>.jpg
    <root>/metadata.xlsx   (serial, file_name, general_wide, code, laser, left_right, device)

Each image is a procedural fundus photo: a round (General) or wide elliptical (Wide) orange-red
retina on black, vignetted, with an optic disc on the nasal side (right of the image for a right eye),
its brighter cup, dark-red vessel arcades leaving the disc and a darker macula. The findings are
drawn large and contrasty enough to survive downscaling to about 96 px: Glaucoma a cup/disc ratio of
0.68-0.88 (normal 0.28-0.42); AMD yellow drusen around the macula; DMR scattered dot/blot
haemorrhages and hard exudates; RVO flame haemorrhages along one vein branch (one quadrant).
Normal eyes vary in pigment, brightness, illumination and disc position and carry small nuisance
spots, so no single pixel statistic separates the classes perfectly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from aihub_bench.datasets.fundus.layout import DEFAULT_SHEET_COLUMNS, RELEASE_COUNTS, file_name
from aihub_bench.datasets.synth_cache import image_size_pair, release_shares
from aihub_bench.formats.xlsx import write_reproducible_xlsx

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated
JPEG_QUALITY = 92
WIDE_ASPECT = 1.25  # wide-angle images are this much wider than general ones
MAX_SERIAL = 9999

# Fixed catalog order: a class's index seeds its images, so a subset renders the same persons.
CLASSES: tuple[tuple[str, str], ...] = (
    ("General", "Normal"),
    ("General", "Glaucoma"),
    ("Wide", "NOR"),
    ("Wide", "AMD"),
    ("Wide", "DMR"),
    ("Wide", "RVO"),
)
DEFAULT_PER_CLASS: dict[str, int] = {
    "General_Normal": 12,
    "General_Glaucoma": 8,
    "Wide_NOR": 8,
    "Wide_AMD": 6,
    "Wide_DMR": 6,
    "Wide_RVO": 4,
}
DEVICES: dict[str, tuple[str, ...]] = {
    "General": ("캐논 CR-2 AF", "탑콘 TRC-NW8", "니덱 AFC-330"),
    "Wide": ("옵토스 California", "옵토스 Daytona"),
}
LASER_RATE = {"Normal": 0.0, "Glaucoma": 0.05, "NOR": 0.0, "AMD": 0.1, "DMR": 0.5, "RVO": 0.4}

RGB = tuple[float, float, float]
VEIN: RGB = (0.40, 0.05, 0.04)
ARTERY: RGB = (0.62, 0.12, 0.07)
DRUSEN: RGB = (0.98, 0.86, 0.40)
EXUDATE: RGB = (1.0, 0.92, 0.50)
HAEMORRHAGE: RGB = (0.30, 0.03, 0.02)
FLAME: RGB = (0.45, 0.04, 0.03)
COTTON_WOOL: RGB = (0.96, 0.92, 0.82)


# ---------------------------------------------------------------- geometry


@dataclass
class _Eye:
    """Where things are in one image (pixels) and the person's look."""

    w: int
    h: int
    cx: float
    cy: float
    ax: float  # retina semi-axes
    ay: float
    side: int  # +1: disc on the right of the image (right eye), -1: left
    disc: tuple[float, float]
    disc_r: float
    macula: tuple[float, float]
    base: np.ndarray  # retina colour (3,)
    gain: float


def _eye_geometry(
    kind: str, eye: str, size: tuple[int, int], base: np.ndarray, gain: float, rng: np.random.Generator
) -> _Eye:
    w, h = size
    side = 1 if eye == "R" else -1
    cx, cy = w / 2 + rng.normal(0, 0.01 * w), h / 2 + rng.normal(0, 0.01 * h)
    if kind == "General":
        ax = ay = 0.47 * min(w, h) * rng.uniform(0.96, 1.02)
        disc_r = 0.15 * ay * rng.uniform(0.75, 1.3)
        macula = (cx - side * rng.uniform(0.05, 0.2) * ax, cy + rng.normal(0, 0.04 * ay))
    else:
        ax, ay = 0.48 * w * rng.uniform(0.97, 1.01), 0.47 * h * rng.uniform(0.97, 1.01)
        disc_r = 0.09 * ay * rng.uniform(0.75, 1.3)
        macula = (cx - side * rng.uniform(0.0, 0.12) * ax, cy + rng.normal(0, 0.05 * ay))
    gap = 5.0 * disc_r * rng.uniform(0.85, 1.15)  # fovea to disc: about 2.5 disc diameters
    disc = (macula[0] + side * gap, macula[1] - disc_r * rng.uniform(0.0, 0.6))
    return _Eye(w, h, cx, cy, ax, ay, side, disc, disc_r, macula, base, gain)


def _grid(e: _Eye) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(e.w, dtype=np.float32) + 0.5, np.arange(e.h, dtype=np.float32) + 0.5)


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Zero-mean low-frequency noise in about [-1, 1]."""
    small = rng.uniform(-1, 1, (max(2, cells * h // w), cells)).astype(np.float32)
    return np.asarray(Image.fromarray(small, "F").resize((w, h), Image.Resampling.BICUBIC))


def _blend(img: np.ndarray, alpha: np.ndarray, color: RGB | np.ndarray) -> None:
    """Paint ``color`` over ``img`` in place with coverage ``alpha`` (h, w) in [0, 1]."""
    a = np.clip(alpha, 0.0, 1.0)[..., None]
    img *= 1.0 - a
    img += a * np.asarray(color, np.float32)


def _stamp(
    alpha: np.ndarray,
    x: float,
    y: float,
    rx: float,
    ry: float,
    angle: float = 0.0,
    opacity: float = 1.0,
    soft: float = 0.7,
) -> None:
    """Max-merge a soft-edged (rotated) ellipse into ``alpha``; ``soft`` is the edge width in px."""
    h, w = alpha.shape
    reach = max(rx, ry) + 2 * soft
    x0, x1 = max(int(x - reach), 0), min(int(x + reach) + 2, w)
    y0, y1 = max(int(y - reach), 0), min(int(y + reach) + 2, h)
    if x0 >= x1 or y0 >= y1:
        return
    xs, ys = np.meshgrid(np.arange(x0, x1) + 0.5 - x, np.arange(y0, y1) + 0.5 - y)
    c, s = math.cos(angle), math.sin(angle)
    u, v = (xs * c + ys * s) / rx, (-xs * s + ys * c) / ry
    dist = (np.sqrt(u * u + v * v) - 1.0) * min(rx, ry)  # ~ px outside the rim
    cover = np.clip(0.5 - dist / soft, 0.0, 1.0) * opacity
    np.maximum(alpha[y0:y1, x0:x1], cover, out=alpha[y0:y1, x0:x1])


# ---------------------------------------------------------------- anatomy


def _rgb(*channels: float) -> np.ndarray:
    """An RGB (or per-channel) factor as a float32 vector."""
    return np.array(channels, np.float32)


def _background(e: _Eye, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The retina colour field with vignetting and choroidal texture, and its soft FOV mask."""
    xs, ys = _grid(e)
    r = np.sqrt(((xs - e.cx) / e.ax) ** 2 + ((ys - e.cy) / e.ay) ** 2)
    mask = np.clip((1.0 - r) * min(e.ax, e.ay) / 1.2, 0.0, 1.0)
    light = 1.0 - rng.uniform(0.35, 0.6) * r ** rng.uniform(2.0, 3.2)
    tilt = rng.normal(0, 0.12, 2)  # uneven illumination
    light *= 1.0 + tilt[0] * (xs - e.cx) / e.ax + tilt[1] * (ys - e.cy) / e.ay
    texture = 0.07 * _smooth_noise(rng, e.h, e.w, 6) + 0.03 * _smooth_noise(rng, e.h, e.w, 24)
    img = e.base[None, None, :] * (light * (1.0 + texture))[..., None]
    # macula: darker, a little browner
    d2 = ((xs - e.macula[0]) ** 2 + (ys - e.macula[1]) ** 2) / (1.7 * e.disc_r) ** 2
    img *= (1.0 - rng.uniform(0.25, 0.4) * np.exp(-d2))[..., None] * _rgb(1.0, 0.9, 0.9)
    return img.astype(np.float32), mask


def _disc(img: np.ndarray, e: _Eye, cup_ratio: float, rng: np.random.Generator) -> None:
    """Bright yellow optic disc with a paler, brighter cup, shifted a little temporally."""
    alpha = np.zeros(img.shape[:2], np.float32)
    x, y = e.disc
    _stamp(alpha, x, y, e.disc_r, e.disc_r * rng.uniform(1.0, 1.12), soft=max(1.0, 0.25 * e.disc_r))
    tone = rng.uniform(0.85, 1.05)
    rim = _rgb(1.0, 0.74, 0.36) * tone
    _blend(img, 0.9 * alpha, rim)
    cup = np.zeros_like(alpha)
    cx = x - e.side * rng.uniform(0.0, 0.12) * e.disc_r * (1.0 - cup_ratio)
    cr = cup_ratio * e.disc_r
    _stamp(cup, cx, y, cr, cr * rng.uniform(1.0, 1.1), soft=max(0.8, 0.15 * e.disc_r))
    pale = rng.uniform(0.65, 1.0)  # how much whiter than the rim the cup is
    _blend(img, 0.95 * cup, rim + pale * (_rgb(1.0, 0.97, 0.88) * min(1.0, tone + 0.1) - rim))


@dataclass
class _Branch:
    points: np.ndarray  # (n, 2) px
    widths: np.ndarray  # (n,) px
    vein: bool = True
    main: int | None = None  # arcade index of a main branch; None for side branches


def _walk(
    start: tuple[float, float],
    heading: float,
    target: float,
    steps: int,
    step: float,
    width: float,
    rng: np.random.Generator,
    tortuous: float = 0.0,
) -> _Branch:
    """A smooth vessel: the heading relaxes toward ``target`` with a little wander; width thins."""
    pts, p, th = [], np.array(start, np.float64), heading
    turn = rng.uniform(0.05, 0.09)
    for i in range(steps):
        pts.append(p.copy())
        wobble = rng.normal(0, 0.05 + tortuous) + tortuous * math.sin(i * 1.3)
        th += turn * math.remainder(target - th, math.tau) + wobble
        p = p + step * np.array([math.cos(th), math.sin(th)])
    widths = width * np.linspace(1.0, 0.3, steps)
    return _Branch(np.asarray(pts), widths)


def _vessel_tree(
    e: _Eye, cup_ratio: float, rng: np.random.Generator, dilated: int | None = None
) -> list[_Branch]:
    """Four arcades (a vein and an artery each) and their side branches.

    Main branch order: 0 superior temporal, 1 inferior temporal, 2 superior nasal, 3 inferior nasal.
    ``dilated``: the index of a vein drawn wider and more tortuous (vein occlusion).
    """
    reach = min(e.ax, e.ay)
    step = 0.045 * reach
    out: list[_Branch] = []
    for k in range(4):
        up = -1 if k in (0, 2) else 1
        temporal = k < 2
        for vein in (True, False):
            spread = rng.normal(0, 0.12) + (0.0 if vein else 0.2)
            if temporal:
                start_dir = math.atan2(up * 1.0, -e.side * (0.15 + spread))
                target = math.atan2(-up * 0.2, -e.side * 1.0)  # sweep temporally, bending to the midline
                steps = int(rng.integers(24, 31))
            else:
                start_dir = math.atan2(up * 1.0, e.side * (0.6 + spread))
                target = math.atan2(up * 0.45, e.side * 1.0)
                steps = int(rng.integers(12, 18))
            width = e.disc_r * (0.3 if vein else 0.21) * (0.75 if not temporal else 1.0)
            tort = 0.0
            if vein and dilated == k:
                width, tort = width * 1.45, 0.06
            # vessels leave at the cup's edge, so they never hide the cup
            offset = max(0.5, cup_ratio) * e.disc_r * np.array([math.cos(start_dir), math.sin(start_dir)])
            main = _walk(tuple(np.add(e.disc, offset)), start_dir, target, steps, step, width, rng, tort)
            main.vein, main.main = vein, k
            out.append(main)
            for _ in range(int(rng.integers(1, 3))):  # side branches
                at = int(rng.integers(steps // 4, 3 * steps // 4))
                turn = rng.choice([-1.0, 1.0]) * rng.uniform(0.4, 0.8)
                th = math.atan2(*(main.points[min(at + 1, steps - 1)] - main.points[at])[::-1]) + turn
                child = _walk(
                    tuple(main.points[at]),
                    th,
                    th - turn * 0.3,
                    steps - at,
                    step * 0.9,
                    main.widths[at] * 0.65,
                    rng,
                )
                child.vein = vein
                out.append(child)
    return out


def _draw_vessels(img: np.ndarray, e: _Eye, tree: list[_Branch]) -> None:
    """Rasterise at 2x (round joints, thinning) and blend veins and arteries in their reds."""
    for want_vein, color in ((False, ARTERY), (True, VEIN)):
        layer = Image.new("L", (2 * e.w, 2 * e.h), 0)
        draw = ImageDraw.Draw(layer)
        for branch in tree:
            if branch.vein != want_vein:
                continue
            pts = [tuple(p) for p in 2 * branch.points]
            for i in range(0, len(pts) - 1, 4):  # short runs of one width, thinning along the vessel
                width = max(1, round(2 * branch.widths[i]))
                draw.line(pts[i : i + 5], fill=255, width=width, joint="curve")
        alpha = np.asarray(layer.reduce(2), np.float32) / 255.0
        _blend(img, 0.85 * alpha, np.array(color, np.float32) * (0.8 + 0.2 * e.gain))


# ---------------------------------------------------------------- findings


def _inside(e: _Eye, x: float, y: float, limit: float = 0.88) -> bool:
    return ((x - e.cx) / e.ax) ** 2 + ((y - e.cy) / e.ay) ** 2 < limit**2


def _scatter(
    e: _Eye, rng: np.random.Generator, n: int, centre: tuple[float, float], sd: float, avoid_disc: bool = True
) -> list[tuple[float, float]]:
    """Up to ``n`` gaussian points around ``centre`` that lie on the retina and off the disc."""
    out = []
    for _ in range(4 * n):
        x, y = rng.normal(centre[0], sd), rng.normal(centre[1], sd)
        off_disc = math.dist((x, y), e.disc) > 1.4 * e.disc_r or not avoid_disc
        if _inside(e, x, y) and off_disc:
            out.append((x, y))
            if len(out) == n:
                break
    return out


def _drusen(img: np.ndarray, e: _Eye, rng: np.random.Generator) -> None:
    """AMD: small yellow drusen clustered around the macula, a few larger soft ones near its centre."""
    alpha = np.zeros(img.shape[:2], np.float32)
    s = e.h / 160
    for x, y in _scatter(e, rng, int(rng.integers(22, 42)), e.macula, 1.6 * e.disc_r + 4 * s):
        r = rng.uniform(1.3, 2.8) * s
        _stamp(alpha, x, y, r, r * rng.uniform(0.8, 1.2), rng.uniform(0, math.pi), rng.uniform(0.7, 0.95))
    for x, y in _scatter(e, rng, int(rng.integers(2, 5)), e.macula, 0.8 * e.disc_r + 2 * s):  # soft, large
        r = rng.uniform(3.0, 4.5) * s
        _stamp(alpha, x, y, r, r, opacity=rng.uniform(0.5, 0.75), soft=1.5 * s)
    _blend(img, alpha, DRUSEN)


def _retinopathy(img: np.ndarray, e: _Eye, rng: np.random.Generator) -> None:
    """Diabetic retinopathy: scattered dot/blot haemorrhages, hard exudates, a few cotton-wool spots."""
    s = e.h / 160
    centre, spread = (e.cx, e.cy), 0.45 * min(e.ax, e.ay)
    red = np.zeros(img.shape[:2], np.float32)
    for x, y in _scatter(e, rng, int(rng.integers(14, 55)), centre, spread):
        r = rng.uniform(1.0, 3.0) * s * (1.6 if rng.random() < 0.2 else 1.0)  # dots and a few blots
        _stamp(red, x, y, r, r * rng.uniform(0.7, 1.3), rng.uniform(0, math.pi), rng.uniform(0.75, 0.95))
    yellow = np.zeros_like(red)
    ring = [
        (e.macula[0] + 2.2 * e.disc_r * math.cos(t), e.macula[1] + 2.2 * e.disc_r * math.sin(t))
        for t in rng.uniform(0, math.tau, 3)
    ]
    spots = _scatter(e, rng, int(rng.integers(3, 12)), centre, spread)
    for c in ring[: int(rng.integers(0, 4))]:
        spots += _scatter(e, rng, int(rng.integers(3, 7)), c, 0.5 * e.disc_r)
    for x, y in spots:
        r = rng.uniform(0.9, 2.0) * s
        ry, angle, opacity = r * rng.uniform(0.7, 1.3), rng.uniform(0, math.pi), rng.uniform(0.8, 1.0)
        _stamp(yellow, x, y, r, ry, angle, opacity, soft=0.5)
    white = np.zeros_like(red)
    for x, y in _scatter(e, rng, int(rng.integers(0, 3)), centre, spread):
        _stamp(white, x, y, 3.5 * s, 2.5 * s, rng.uniform(0, math.pi), 0.6, 2.0 * s)
    _blend(img, red, HAEMORRHAGE)
    _blend(img, yellow, EXUDATE)
    _blend(img, white, COTTON_WOOL)


def _flames(img: np.ndarray, e: _Eye, branch: _Branch, rng: np.random.Generator) -> None:
    """Vein occlusion: flame haemorrhages along one vein branch, oriented with it, in its quadrant."""
    s = e.h / 160
    alpha = np.zeros(img.shape[:2], np.float32)
    pts = branch.points
    n = len(pts)
    for _ in range(int(rng.integers(22, 36))):
        i = int(rng.integers(max(1, n // 6), n - 1))
        (x0, y0), (x1, y1) = pts[i], pts[i + 1]
        angle = math.atan2(y1 - y0, x1 - x0) + rng.normal(0, 0.3)
        normal = rng.normal(0, 0.05 * min(e.ax, e.ay))
        x, y = x0 - normal * math.sin(angle), y0 + normal * math.cos(angle)
        if not _inside(e, x, y, 0.92):
            continue
        length = rng.uniform(3.0, 6.5) * s
        _stamp(alpha, x, y, length, length * rng.uniform(0.3, 0.45), angle, rng.uniform(0.75, 0.95), 1.2 * s)
    _blend(img, alpha, FLAME)
    white = np.zeros_like(alpha)
    for _ in range(int(rng.integers(1, 3))):
        x, y = pts[int(rng.integers(n // 4, n))] + rng.normal(0, 3 * s, 2)
        _stamp(white, x, y, 3.0 * s, 2.2 * s, rng.uniform(0, math.pi), 0.55, 1.8 * s)
    _blend(img, white, COTTON_WOOL)


def _nuisance(img: np.ndarray, e: _Eye, rng: np.random.Generator) -> None:
    """What healthy eyes have too, so that no colour statistic alone gives the class away.

    Pigment dots, a few small scattered pale spots, and whitish light reflexes (the sheen of a young
    retina, a flash reflex) up to the size of a glaucomatous cup.
    """
    s = e.h / 160
    dark, pale, bright = (np.zeros(img.shape[:2], np.float32) for _ in range(3))
    for x, y in _scatter(e, rng, int(rng.integers(0, 7)), (e.cx, e.cy), 0.5 * e.ax):
        rx, ry = rng.uniform(0.8, 2.0, 2) * s
        _stamp(dark, x, y, rx, ry, opacity=rng.uniform(0.4, 0.8))
    for x, y in _scatter(e, rng, int(rng.integers(0, 5)), (e.cx, e.cy), 0.5 * e.ax):
        r = rng.uniform(0.8, 1.6) * s
        _stamp(pale, x, y, r, r, opacity=rng.uniform(0.4, 0.8))
    for x, y in _scatter(e, rng, int(rng.choice(4, p=[0.35, 0.3, 0.2, 0.15])), (e.cx, e.cy), 0.45 * e.ax):
        rx = rng.uniform(3, 9) * s
        ry, angle, opacity = rx * rng.uniform(0.3, 1.0), rng.uniform(0, math.pi), rng.uniform(0.35, 0.7)
        _stamp(bright, x, y, rx, ry, angle, opacity, soft=0.6 * rx)
    _blend(img, dark, (0.25, 0.12, 0.08))
    _blend(img, pale, (0.9, 0.78, 0.45))
    _blend(img, bright, (1.0, 0.95, 0.88))


def _eyelids(img: np.ndarray, e: _Eye, rng: np.random.Generator) -> None:
    """Wide-angle photos often catch eyelashes/lids at the top or bottom edge: a dim, greenish band."""
    if rng.random() < 0.4:
        return
    xs, ys = _grid(e)
    top = rng.random() < 0.5
    edge = e.cy + (-1 if top else 1) * e.ay * (1 - rng.uniform(0.12, 0.25))
    wave = edge + 0.04 * e.h * np.sin(xs / e.w * rng.uniform(6, 14) + rng.uniform(0, math.tau))
    beyond = (wave - ys) if top else (ys - wave)
    alpha = np.clip(beyond / (0.03 * e.h) + 0.5, 0, 1) * 0.75
    _blend(img, alpha, (0.12, 0.16, 0.08))


# ---------------------------------------------------------------- one image


@dataclass
class _Person:
    """Traits shared by both eyes of one person."""

    base: np.ndarray  # fundus colour (3,)
    gain: float  # overall brightness
    rvo_branch: int  # the arcade whose vein is occluded (RVO only)
    device: str


def _render(
    kind: str, code: str, eye: str, size: tuple[int, int], person: _Person, rng: np.random.Generator
) -> Image.Image:
    """One eye's photo: anatomy, the code's findings, then exposure, noise and optical blur."""
    e = _eye_geometry(kind, eye, size, person.base, person.gain, rng)
    img, mask = _background(e, rng)
    cup = rng.uniform(0.68, 0.88) if code == "Glaucoma" else rng.uniform(0.28, 0.42)
    _disc(img, e, cup, rng)
    dilated = person.rvo_branch if code == "RVO" else None
    tree = _vessel_tree(e, cup, rng, dilated)
    _draw_vessels(img, e, tree)
    _nuisance(img, e, rng)
    if code == "AMD":
        _drusen(img, e, rng)
    elif code == "DMR":
        _retinopathy(img, e, rng)
    elif code == "RVO":
        branch = next(b for b in tree if b.vein and b.main == dilated)
        _flames(img, e, branch, rng)
    if kind == "Wide":
        _eyelids(img, e, rng)
    img *= e.gain * rng.uniform(0.93, 1.07)
    img = np.clip(img, 0.0, 1.0) ** rng.uniform(0.85, 1.15) * mask[..., None]
    img += rng.normal(0.0, rng.uniform(0.006, 0.014), img.shape).astype(np.float32) + 0.01
    out = Image.fromarray((np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8), "RGB")
    return out.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.4, 0.8))))


def _person(kind: str, rng: np.random.Generator) -> _Person:
    """Pigment, brightness, the occluded branch and the camera of one person."""
    tone = rng.uniform(0.0, 1.0)  # light orange .. dark red-brown fundus
    base = (1 - tone) * _rgb(0.95, 0.50, 0.20) + tone * _rgb(0.75, 0.24, 0.09)
    base = base * _rgb(1.0, rng.uniform(0.85, 1.15), rng.uniform(0.7, 1.3))
    if kind == "Wide":
        base = base * _rgb(0.95, 1.08, 0.9)  # wide-angle (laser-scanning) colours run greener
    return _Person(
        base=base.astype(np.float32),
        gain=float(rng.uniform(0.75, 1.15)),
        rvo_branch=int(rng.choice([0, 0, 1, 1, 2, 3])),  # temporal branches occlude most often
        device=str(rng.choice(DEVICES[kind])),
    )


# ---------------------------------------------------------------- writing


def _resolve_per_class(per_class: Mapping[str, int] | None) -> dict[str, int]:
    counts = dict(DEFAULT_PER_CLASS if per_class is None else per_class)
    known = {f"{k}_{c}" for k, c in CLASSES}
    unknown = sorted(set(counts) - known)
    if unknown:
        raise ValueError(f"per_class has unknown classes {unknown}; known: {sorted(known)}")
    for name, n in counts.items():
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_SERIAL:
            raise ValueError(f"per_class[{name!r}] must be an integer in 0..{MAX_SERIAL}, got {n!r}")
    return {f"{k}_{c}": counts[f"{k}_{c}"] for k, c in CLASSES if counts.get(f"{k}_{c}", 0) > 0}


def _check(both_eyes_fraction: float, seed: int) -> None:
    if not 0.0 <= both_eyes_fraction <= 1.0:
        raise ValueError(f"both_eyes_fraction must be in [0, 1], got {both_eyes_fraction}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")


def write_synthetic_fundus(
    root: str | Path,
    *,
    per_class: Mapping[str, int] | None = None,
    both_eyes_fraction: float = 0.5,
    image_size: int | Sequence[int] = (160, 160),
    seed: int = 0,
) -> Path:
    """Write a synthetic fundus dataset in the assumed real layout under ``root`` and return it.

    ``per_class``: ``"<kind>_<code>"`` -> number of persons (default ``DEFAULT_PER_CLASS``); about
    ``both_eyes_fraction`` of them get both eyes, the others one. ``image_size``: ``[height, width]``
    of general images (wide ones are ``WIDE_ASPECT`` times wider). Same arguments, same bytes.
    """
    counts = _resolve_per_class(per_class)
    _check(both_eyes_fraction, seed)
    height, width = image_size_pair(image_size, 64)
    root = Path(root)
    rows = []
    for class_index, (kind, code) in enumerate(CLASSES):
        size = (width, height) if kind == "General" else (round(width * WIDE_ASPECT), height)
        for serial in range(1, counts.get(f"{kind}_{code}", 0) + 1):
            rng = np.random.default_rng([seed, class_index, serial])
            person = _person(kind, rng)
            eyes = ["L", "R"] if rng.random() < both_eyes_fraction else [str(rng.choice(["L", "R"]))]
            for eye in eyes:
                eye_rng = np.random.default_rng([seed, class_index, serial, 1 + (eye == "R")])
                name = file_name(kind, code, serial, eye)
                (root / kind).mkdir(parents=True, exist_ok=True)
                _render(kind, code, eye, size, person, eye_rng).save(
                    root / kind / name, "JPEG", quality=JPEG_QUALITY
                )
                laser = "Y" if eye_rng.random() < LASER_RATE[code] else "N"
                rows.append([serial, name, kind, code, laser, eye, person.device])
    root.mkdir(parents=True, exist_ok=True)
    _write_sheet(root / "metadata.xlsx", rows)
    return root


def _write_sheet(path: Path, rows: list[list]) -> None:
    """The metadata sheet with the default headers (reproducible bytes)."""
    fields = ("serial", "file_name", "kind", "code", "laser", "eye", "device")
    write_reproducible_xlsx(path, "metadata", [DEFAULT_SHEET_COLUMNS[f] for f in fields], rows)


# ---------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments in canonical form (what names a cached twin; see ``DatasetSpec``)."""
    p = kwargs
    counts = _resolve_per_class(p["per_class"])
    _check(p["both_eyes_fraction"], p["seed"])
    return {
        "per_class": counts,
        "both_eyes_fraction": float(p["both_eyes_fraction"]),
        "image_size": list(image_size_pair(p["image_size"], 64)),
        "seed": int(p["seed"]),
    }


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth fundus``: about ``samples`` images, the persons in the release's class
    proportions (about 1.5 images per person: half of them with both eyes)."""
    release = {f"{kind}_{code}": n for kind, codes in RELEASE_COUNTS.items() for code, n in codes.items()}
    return {"per_class": release_shares(release, max(1, round(samples / 1.5)))}


def remove_one_image(root: Path) -> Path:
    """Delete the first image of a twin, leaving a link to where it was (images are found by
    scanning the tree, so only a dangling link shows one missing), and return its path."""
    path = min(Path(root).rglob("*.jpg"))
    path.unlink()
    path.symlink_to(path.with_name(f"gone-{path.name}"))
    return path
