"""Synthetic twin of the Korean object images release (한국형 사물 이미지), in the real layout.

    <root>/<domain>/<n>/<code>_<domain>_<대분류>_<중분류>_<소분류>_<name>/<code>_<nnnn>_<nnnn>.jpg (+ .json)

Each class has a fixed procedural look: a shape template of its domain (hanok hall, pagoda, gate;
bag, box, can, bottle; tower, bridge, skyscraper, ...) with its own colours and proportions. Every
instance gets a random pose, scale, position and lighting, on a photographic-looking scene (sky
gradient, clouds, hills and trees outdoors; a wall and a textured table or shelf for products).
Weather, ground and lighting are drawn per shoot (class folder), like one photo session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from aihub_bench.datasets.korean_objects.layout import DOMAINS, ClassFolder, lookup_domain
from aihub_bench.datasets.synth_cache import ensure_generated
from aihub_bench.formats.aihub_region_json import Region, RegionAnnotation, write_region_json

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated
CODE_PREFIXES = {"유적건조물": "HF", "상품": "PF", "랜드마크": "LF"}
JPEG_QUALITY = 90
MIN_OBJECT_FRACTION = 0.15  # shorter box side >= this fraction of the shorter image side
MAX_SHOOTS_PER_CLASS = 100  # keeps the 6-digit codes unique

RGB = tuple[int, int, int]


class CatalogEntry(NamedTuple):
    """One class: its category path and object name (the region label)."""

    major: str  # 대분류
    middle: str  # 중분류
    minor: str  # 소분류
    name: str


@dataclass(frozen=True)
class Look:
    """A class's appearance: a template drawn in the given colours (roles depend on the template)."""

    template: str
    aspect: float  # box width / height, before pose jitter
    colors: tuple[RGB, ...]
    count: int = 1  # roofs, tiers, arches, floors, towers
    detail: int = 5  # bays, windows, hangers, masts
    variant: int = 0
    round: bool = False  # cylindrical shading across the width


def _entry(path: str, look: Look) -> tuple[CatalogEntry, Look]:
    return CatalogEntry(*path.split("/")), look


_CATALOG: dict[str, tuple[tuple[CatalogEntry, Look], ...]] = {
    "유적건조물": (
        _entry("교통통신/교통통신시설/우체국/인천우체국", Look(
            "modern", 1.7, ((214, 205, 188), (246, 243, 236), (52, 60, 72), (92, 96, 102)),
            count=2, detail=7, variant=1)),
        _entry("궁궐/전각/정전/경복궁근정전", Look(
            "hall", 1.35, ((70, 74, 82), (150, 40, 32), (178, 72, 48), (196, 194, 186), (46, 128, 104)),
            count=2, detail=5)),
        _entry("불교/석탑/다층석탑/불국사다보탑", Look(
            "pagoda", 0.58, ((184, 176, 160), (122, 117, 108), (96, 92, 86)), count=3, variant=1)),
        _entry("종교/성당/천주교성당/명동성당", Look(
            "church", 0.8, ((150, 70, 52), (70, 72, 78), (40, 40, 52), (204, 194, 174)))),
        _entry("궁궐/궁문/정문/광화문", Look(
            "gate", 1.75, ((222, 218, 208), (56, 58, 64), (158, 52, 38), (36, 30, 28), (40, 120, 112)),
            count=3)),
        _entry("불교/석탑/삼층석탑/불국사석가탑", Look(
            "pagoda", 0.42, ((148, 150, 150), (96, 98, 100), (80, 80, 82)), count=3)),
        _entry("성곽/성문/문루/수원화성장안문", Look(
            "gate", 1.15, ((200, 190, 166), (64, 66, 72), (140, 48, 36), (30, 26, 24), (52, 112, 96)),
            count=1)),
        _entry("누정/누각/연못누각/경복궁경회루", Look(
            "hall", 1.6, ((82, 86, 92), (164, 62, 42), (170, 60, 44), (204, 202, 194), (40, 132, 112)),
            count=1, detail=7, variant=1)),
        _entry("교육/서원/강당/도산서원 전교당", Look(
            "hall", 1.5, ((100, 100, 98), (118, 88, 58), (226, 220, 204), (164, 152, 130), (118, 88, 58)),
            count=1, detail=4, variant=2)),
    ),
    "상품": (
        _entry("식품/라면/봉지라면/신라면", Look(
            "bag", 0.78, ((206, 26, 32), (28, 24, 24), (246, 242, 236), (236, 206, 64)))),
        _entry("음료/탄산음료/캔음료/칠성사이다", Look(
            "can", 0.55, ((28, 142, 70), (244, 244, 244), (192, 196, 200), (250, 212, 40)), round=True)),
        _entry("음료/유제품/가공우유/바나나맛우유", Look(
            "jar", 0.62, ((246, 212, 78), (236, 236, 230), (40, 132, 70)), round=True)),
        _entry("음료/탄산음료/페트음료/코카콜라", Look(
            "bottle", 0.3, ((72, 36, 28), (204, 16, 26), (204, 16, 26), (246, 246, 246)), round=True)),
        _entry("식품/과자/파이/초코파이", Look(
            "box", 1.5, ((204, 30, 42), (150, 20, 30), (96, 56, 36), (246, 236, 220)))),
        _entry("식품/과자/스낵/새우깡(매운맛)", Look(
            "bag", 0.72, ((228, 98, 34), (252, 216, 72), (242, 132, 132), (164, 22, 22)), variant=1)),
        _entry("식품/즉석식품/즉석밥/햇반", Look(
            "box", 1.9, ((244, 244, 238), (206, 206, 202), (226, 226, 222), (212, 30, 36)), variant=1)),
        _entry("주류/소주/병소주/참이슬", Look(
            "bottle", 0.27, ((44, 140, 76), (214, 230, 246), (40, 110, 60), (30, 60, 142)),
            variant=1, round=True)),
        _entry("식품/라면/컵라면/육개장사발면", Look(
            "cup", 1.25, ((246, 240, 228), (232, 112, 30), (222, 222, 216), (190, 30, 30)), round=True)),
    ),
    "랜드마크": (
        _entry("타워/전망탑/통신탑/남산타워", Look(
            "tower", 0.22, ((228, 228, 222), (196, 202, 210), (204, 40, 40), (150, 150, 146)), round=True)),
        _entry("교량/현수교/해상교량/광안대교", Look(
            "suspension", 3.0, ((216, 216, 210), (118, 120, 124), (184, 184, 180), (140, 140, 134)),
            count=2, detail=20, variant=1)),
        _entry("건축물/초고층빌딩/복합빌딩/롯데월드타워", Look(
            "skyscraper", 0.26, ((168, 190, 208), (222, 228, 232), (118, 128, 140)), detail=7)),
        _entry("건축물/초고층빌딩/업무빌딩/63빌딩", Look(
            "skyscraper", 0.42, ((206, 164, 68), (150, 114, 44), (118, 94, 40)), detail=12, variant=1)),
        _entry("문화시설/복합문화공간/전시관/동대문디자인플라자", Look(
            "dome", 2.3, ((192, 194, 198), (146, 148, 154), (66, 70, 76)))),
        _entry("교량/사장교/해상교량/인천대교", Look(
            "cablestayed", 3.0, ((232, 230, 222), (108, 110, 114), (236, 236, 236), (150, 150, 144)),
            count=2, detail=9)),
        _entry("타워/전망탑/해안전망대/부산타워", Look(
            "tower", 0.26, ((242, 242, 238), (84, 96, 108), (182, 182, 182), (128, 128, 122)),
            variant=1, round=True)),
        _entry("조형물/동상/인물동상/이순신장군동상", Look(
            "statue", 0.42, ((66, 86, 70), (186, 180, 170), (138, 134, 124)))),
        _entry("체육시설/경기장/축구경기장/서울월드컵경기장", Look(
            "stadium", 2.6, ((242, 242, 238), (150, 150, 156), (206, 206, 206), (96, 104, 120)), detail=8)),
    ),
}  # fmt: skip

CLASS_CATALOG: dict[str, tuple[CatalogEntry, ...]] = {
    domain: tuple(entry for entry, _ in items) for domain, items in _CATALOG.items()
}
LOOKS: dict[str, Look] = {entry.name: look for items in _CATALOG.values() for entry, look in items}
assert len(LOOKS) == sum(map(len, CLASS_CATALOG.values())), "object names must be unique"


# ---------------------------------------------------------------- drawing in unit coordinates


def _shade(c: RGB, f: float) -> RGB:
    return tuple(int(min(255, max(0, v * f))) for v in c)  # type: ignore[return-value]


class _Pen:
    """ImageDraw on a transparent sprite in unit coordinates: (0, 0) top left, (1, 1) bottom right."""

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        self.image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.image)

    def xy(self, pts: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(float(x) * (self.w - 1), float(y) * (self.h - 1)) for x, y in pts]

    def poly(self, pts: Sequence[tuple[float, float]], c: RGB) -> None:
        self.draw.polygon(self.xy(pts), fill=(*c, 255))

    def rect(self, x0: float, y0: float, x1: float, y1: float, c: RGB) -> None:
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], c)

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, c: RGB) -> None:
        (a, b), (d, e) = self.xy([(x0, y0), (x1, y1)])
        self.draw.ellipse((a, b, max(a, d), max(b, e)), fill=(*c, 255))

    def line(self, pts: Sequence[tuple[float, float]], c: RGB, width: float) -> None:
        """``width`` as a fraction of the sprite's shorter side (at least 2 px: sprites are 2x)."""
        px = max(2, round(width * min(self.w, self.h)))
        self.draw.line(self.xy(pts), fill=(*c, 255), width=px)


def _curve(
    f: Callable[[np.ndarray], np.ndarray], x0: float, x1: float, n: int = 24
) -> list[tuple[float, float]]:
    xs = np.linspace(x0, x1, n)
    return list(zip(xs.tolist(), f(xs).tolist(), strict=True))


def _roof(pen: _Pen, x0: float, x1: float, y_eave: float, y_ridge: float, color: RGB, band: RGB) -> None:
    """Korean tiled roof: eaves curving up to the corners, concave hips, a dark ridge, a painted band."""
    span, height = x1 - x0, y_eave - y_ridge
    lift, inset = 0.28 * height, 0.2 * span

    def eave_y(x: np.ndarray) -> np.ndarray:
        return y_eave - lift * ((2 * (x - x0) / span - 1) ** 4)

    eave = _curve(eave_y, x0, x1)
    thick = 0.12 * height
    below = [(x1 - 0.06 * span, y_eave + thick), (x0 + 0.06 * span, y_eave + thick)]
    pen.poly(_curve(eave_y, x0 + 0.04 * span, x1 - 0.04 * span) + below, band)
    s = np.linspace(0, 1, 10)
    right = [(x1 - inset * t, y_eave - lift - (height - lift) * t**2) for t in s]
    left = [(x0 + inset * t, y_eave - lift - (height - lift) * t**2) for t in s[::-1]]
    pen.poly(eave + right + left, color)
    pen.rect(x0 + inset, y_ridge, x1 - inset, y_ridge + 0.1 * height, _shade(color, 0.6))
    for k in range(1, 4):  # tile courses
        y = y_ridge + height * (0.25 + 0.2 * k)
        pen.line(
            [(x0 + inset * (1 - 0.3 * k), y), (x1 - inset * (1 - 0.3 * k), y)], _shade(color, 0.8), 0.012
        )


def _hall(pen: _Pen, look: Look) -> None:
    roof, column, wall, base, band = look.colors
    if look.variant == 1:  # pavilion on stone pillars (경회루)
        pen.rect(0.03, 0.93, 0.97, 1.0, base)
        for x in np.linspace(0.08, 0.92, 10):
            pen.rect(x - 0.02, 0.6, x + 0.02, 0.93, base)
        pen.rect(0.04, 0.56, 0.96, 0.61, _shade(base, 0.8))
        floor, body_top = 0.56, 0.38
    else:
        pen.rect(0.04, 0.86, 0.96, 1.0, base)
        pen.rect(0.4, 0.86, 0.6, 1.0, _shade(base, 0.85))
        for y in (0.9, 0.95):
            pen.line([(0.4, y), (0.6, y)], _shade(base, 0.65), 0.01)
        floor, body_top = 0.86, 0.5 if look.count == 1 else 0.56
    pen.rect(0.12, body_top, 0.88, floor, wall)
    xs = np.linspace(0.12, 0.88, look.detail + 1)
    for a, b in zip(xs[:-1], xs[1:], strict=True):  # doors with lattice
        pen.rect(a + 0.02, body_top + 0.06, b - 0.02, floor - 0.02, _shade(wall, 0.8))
        pen.line(
            [(a + 0.02, (body_top + floor) / 2), (b - 0.02, (body_top + floor) / 2)], _shade(wall, 0.55), 0.01
        )
    for x in xs:
        pen.rect(x - 0.013, body_top, x + 0.013, floor, column)
    if look.count == 2:
        pen.rect(0.22, body_top * 0.4, 0.78, body_top * 0.8, wall)
        for x in np.linspace(0.22, 0.78, 5):
            pen.rect(x - 0.012, body_top * 0.4, x + 0.012, body_top * 0.8, column)
        _roof(pen, 0.0, 1.0, body_top, body_top * 0.62, roof, band)
        _roof(pen, 0.1, 0.9, body_top * 0.44, 0.0, roof, band)
    else:
        _roof(pen, 0.0, 1.0, body_top, 0.0, roof, band)


def _pagoda(pen: _Pen, look: Look) -> None:
    stone, shadow, finial = look.colors
    ornate = look.variant == 1
    pen.rect(0.0, 0.9, 1.0, 1.0, shadow)
    pen.rect(0.07, 0.8, 0.93, 0.9, stone)
    if ornate:  # stairs into the base and a railed first storey
        pen.rect(0.42, 0.8, 0.58, 1.0, _shade(stone, 0.8))
        for y in (0.84, 0.88, 0.93, 0.97):
            pen.line([(0.42, y), (0.58, y)], shadow, 0.012)
    y = 0.8
    for i in range(look.count):
        half = 0.28 * 0.82**i
        body = 0.2 * 0.78**i if not ornate else 0.16 * 0.8**i
        pen.rect(0.5 - half, y - body, 0.5 + half, y, stone)
        pen.rect(0.5 - half, y - body, 0.5 - half + 0.03, y, shadow)  # corner pillars
        pen.rect(0.5 + half - 0.03, y - body, 0.5 + half, y, shadow)
        if ornate:
            for x in np.linspace(0.5 - half, 0.5 + half, 6):
                pen.line([(x, y - body), (x, y)], shadow, 0.012)
        y -= body
        eave = min(0.5, half * 1.75)
        t = 0.035
        pen.poly([(0.5 - eave, y - t * 1.6), (0.5 - eave * 0.8, y), (0.5 + eave * 0.8, y), (0.5 + eave, y - t * 1.6),
                  (0.5 + half * 0.8, y - t * 2.4), (0.5 - half * 0.8, y - t * 2.4)], stone)  # fmt: skip
        pen.line([(0.5 - eave * 0.8, y), (0.5 + eave * 0.8, y)], shadow, 0.012)
        y -= t * 2.4
    if ornate:  # octagonal top storey
        pen.poly([(0.38, y), (0.42, y - 0.06), (0.58, y - 0.06), (0.62, y)], stone)
        y -= 0.06
    pen.rect(0.475, 0.0, 0.525, y, finial)
    for k in range(3):
        yy = y - (y - 0.02) * (0.25 + 0.25 * k)
        pen.ellipse(0.44, yy - 0.015, 0.56, yy + 0.015, finial)


def _gate(pen: _Pen, look: Look) -> None:
    stone, roof, wood, opening, band = look.colors
    pen.rect(0.04, 0.5, 0.96, 1.0, stone)
    for y in np.arange(0.56, 1.0, 0.065):  # block courses
        pen.line([(0.04, y), (0.96, y)], _shade(stone, 0.78), 0.008)
    centres = [0.5] if look.count == 1 else [0.28, 0.5, 0.72]
    for i, cx in enumerate(centres):
        hw = 0.1 if look.count == 1 or i == 1 else 0.075
        top = 0.66 if look.count == 1 or i == 1 else 0.72
        pen.rect(cx - hw, top + hw * 0.6, cx + hw, 1.0, opening)
        pen.ellipse(cx - hw, top, cx + hw, top + hw * 1.2, opening)
    pen.rect(0.14, 0.36, 0.86, 0.5, _shade(wood, 1.3))
    for x in np.linspace(0.14, 0.86, 6):
        pen.rect(x - 0.012, 0.36, x + 0.012, 0.5, wood)
    _roof(pen, 0.0, 1.0, 0.38, 0.22, roof, band)
    pen.rect(0.24, 0.16, 0.76, 0.26, _shade(wood, 1.3))
    _roof(pen, 0.1, 0.9, 0.18, 0.0, roof, band)


def _modern(pen: _Pen, look: Look) -> None:
    wall, trim, window, roof = look.colors
    pen.poly([(0.04, 0.22), (0.14, 0.08), (0.86, 0.08), (0.96, 0.22)], roof)
    pen.rect(0.0, 0.2, 1.0, 0.25, trim)
    pen.rect(0.02, 0.25, 0.98, 1.0, wall)
    pen.rect(0.0, 0.94, 1.0, 1.0, _shade(wall, 0.7))
    rows = np.linspace(0.3, 0.86, look.count + 1)
    cols = np.linspace(0.06, 0.94, look.detail + 1)
    for r0, r1 in zip(rows[:-1], rows[1:], strict=True):
        pen.line([(0.02, r1 + 0.01), (0.98, r1 + 0.01)], trim, 0.015)
        for c0, c1 in zip(cols[:-1], cols[1:], strict=True):
            w = c1 - c0
            pen.rect(c0 + 0.25 * w, r0 + 0.04, c1 - 0.25 * w, r1 - 0.04, window)
            pen.ellipse(c0 + 0.25 * w, r0 + 0.01, c1 - 0.25 * w, r0 + 0.07, window)
    if look.variant == 1:  # central pediment and a dark entrance
        pen.poly([(0.36, 0.25), (0.5, 0.0), (0.64, 0.25)], trim)
        pen.poly([(0.4, 0.23), (0.5, 0.05), (0.6, 0.23)], wall)
        pen.rect(0.43, 0.76, 0.57, 0.94, window)


def _church(pen: _Pen, look: Look) -> None:
    brick, roof, window, trim = look.colors
    pen.poly([(0.0, 0.62), (0.5, 0.4), (1.0, 0.62)], roof)
    pen.rect(0.02, 0.6, 0.98, 1.0, brick)
    pen.rect(0.36, 0.24, 0.64, 1.0, _shade(brick, 1.06))
    pen.poly([(0.36, 0.26), (0.5, 0.0), (0.64, 0.26)], roof)
    pen.line([(0.5, 0.0), (0.5, 0.26)], trim, 0.02)
    for x in (0.1, 0.22, 0.78, 0.9):  # lancet windows
        pen.rect(x - 0.035, 0.72, x + 0.035, 0.9, window)
        pen.poly([(x - 0.035, 0.72), (x, 0.65), (x + 0.035, 0.72)], window)
    pen.ellipse(0.43, 0.34, 0.57, 0.44, trim)
    pen.ellipse(0.455, 0.36, 0.545, 0.42, window)
    pen.rect(0.44, 0.52, 0.56, 0.66, window)
    pen.poly([(0.44, 0.52), (0.5, 0.47), (0.56, 0.52)], window)
    pen.rect(0.43, 0.82, 0.57, 1.0, _shade(window, 1.2))
    for x in (0.36, 0.64):
        pen.rect(x - 0.02, 0.24, x + 0.02, 1.0, trim)


def _bag(pen: _Pen, look: Look) -> None:
    main, band, logo, text = look.colors
    teeth = np.linspace(0.04, 0.96, 23)
    top = [(x, 0.0 if i % 2 else 0.05) for i, x in enumerate(teeth)]
    bottom = [(x, 1.0 if i % 2 else 0.95) for i, x in enumerate(teeth[::-1])]
    pen.poly(top + [(0.98, 0.5)] + bottom + [(0.02, 0.5)], _shade(main, 0.85))
    pen.poly([(0.04, 0.08), (0.96, 0.08), (1.0, 0.5), (0.96, 0.92), (0.04, 0.92), (0.0, 0.5)], main)
    if look.variant == 0:
        pen.rect(0.02, 0.22, 0.98, 0.4, band)
        for x in (0.2, 0.38, 0.56):
            pen.rect(x, 0.26, x + 0.13, 0.36, text)
        pen.ellipse(0.3, 0.5, 0.7, 0.82, logo)
        pen.ellipse(0.4, 0.58, 0.6, 0.74, main)
    else:
        pen.poly([(0.02, 0.55), (0.98, 0.2), (0.98, 0.36), (0.02, 0.71)], band)
        for x in (0.2, 0.42, 0.64):
            pen.rect(x, 0.24 + 0.3 * (0.8 - x), x + 0.12, 0.3 + 0.3 * (0.8 - x), text)
        for cx, cy in ((0.35, 0.8), (0.66, 0.72)):  # shrimp-like arcs
            pen.draw.arc(
                pen.xy([(cx - 0.14, cy - 0.12), (cx + 0.14, cy + 0.12)]),
                200, 20, fill=(*logo, 255), width=max(2, round(0.06 * pen.w)),
            )  # fmt: skip


def _box(pen: _Pen, look: Look) -> None:
    front, side, graphic, accent = look.colors
    depth = 0.16
    pen.poly([(0.0, depth), (depth * 0.8, 0.0), (1.0, 0.0), (1.0 - depth * 0.8, depth)], _shade(front, 1.12))
    pen.poly([(1.0 - depth * 0.8, depth), (1.0, 0.0), (1.0, 1.0 - depth), (1.0 - depth * 0.8, 1.0)], side)
    x1 = 1.0 - depth * 0.8
    pen.rect(0.0, depth, x1, 1.0, front)
    if look.variant == 0:  # pies
        pen.rect(0.0, depth + 0.06, x1, depth + 0.2, accent)
        for cx in (0.25, 0.57):
            pen.ellipse(cx - 0.15, 0.48, cx + 0.15, 0.9, graphic)
            pen.ellipse(cx - 0.12, 0.52, cx + 0.12, 0.62, _shade(graphic, 1.4))
    else:  # instant rice: red band, a bowl
        pen.rect(0.0, depth, x1, depth + 0.22, accent)
        pen.ellipse(0.25, 0.5, 0.6, 0.9, _shade(graphic, 0.82))
        pen.ellipse(0.27, 0.5, 0.58, 0.66, graphic)
        pen.rect(0.64, 0.55, 0.76, 0.85, accent)


def _can(pen: _Pen, look: Look) -> None:
    body, band, top, accent = look.colors
    pen.ellipse(0.0, 0.86, 1.0, 1.0, _shade(top, 0.8))
    pen.rect(0.0, 0.07, 1.0, 0.93, body)
    pen.poly(
        _curve(lambda x: 0.45 + 0.05 * np.sin(x * 9), 0.0, 1.0)
        + _curve(lambda x: 0.62 + 0.05 * np.sin(x * 9 + 1), 1.0, 0.0),
        band,
    )
    pen.ellipse(0.3, 0.2, 0.7, 0.38, accent)
    pen.ellipse(0.0, 0.0, 1.0, 0.14, top)
    pen.ellipse(0.15, 0.02, 0.85, 0.12, _shade(top, 0.85))


def _bottle(pen: _Pen, look: Look) -> None:
    body, label, cap, accent = look.colors
    glass = look.variant == 1
    neck_end, shoulder = (0.36, 0.46) if glass else (0.16, 0.34)
    pen.rect(0.34, 0.0, 0.66, 0.07, cap)
    pen.rect(0.37, 0.07, 0.63, neck_end, body)
    pen.poly([(0.37, neck_end), (0.63, neck_end), (1.0, shoulder), (0.0, shoulder)], body)
    pen.rect(0.0, shoulder, 1.0, 0.97, body)
    pen.ellipse(0.0, 0.93, 1.0, 1.0, body)
    if glass:
        pen.rect(0.0, 0.56, 1.0, 0.82, label)
        pen.rect(0.25, 0.62, 0.75, 0.68, accent)
        pen.ellipse(0.35, 0.71, 0.65, 0.79, accent)
    else:
        pen.rect(0.0, 0.44, 1.0, 0.66, label)
        pen.poly(
            _curve(lambda x: 0.55 + 0.04 * np.sin(x * 7), 0.0, 1.0)
            + _curve(lambda x: 0.58 + 0.04 * np.sin(x * 7), 1.0, 0.0),
            accent,
        )
        pen.rect(0.0, 0.78, 1.0, 0.8, _shade(body, 0.6))


def _jar(pen: _Pen, look: Look) -> None:
    body, lid, accent = look.colors
    pen.ellipse(0.0, 0.24, 1.0, 1.0, body)
    pen.rect(0.28, 0.06, 0.72, 0.4, body)
    for y in (0.5, 0.6, 0.7, 0.8, 0.9):
        pen.line([(0.12, y), (0.88, y)], _shade(body, 0.88), 0.02)
    pen.rect(0.3, 0.56, 0.7, 0.68, accent)
    pen.rect(0.25, 0.0, 0.75, 0.08, lid)


def _cup(pen: _Pen, look: Look) -> None:
    body, band, lid, accent = look.colors
    pen.poly([(0.0, 0.1), (1.0, 0.1), (0.88, 0.98), (0.12, 0.98)], body)
    pen.ellipse(0.12, 0.92, 0.88, 1.0, body)
    pen.poly([(0.02, 0.28), (0.98, 0.28), (0.93, 0.62), (0.07, 0.62)], band)
    for x in (0.24, 0.42, 0.6):
        pen.rect(x, 0.36, x + 0.14, 0.52, accent)
    pen.ellipse(0.0, 0.0, 1.0, 0.2, lid)


def _tower(pen: _Pen, look: Look) -> None:
    shaft, pod, antenna, base = look.colors
    if look.variant == 0:  # slim shaft, disc pod, striped antenna
        pen.poly([(0.0, 0.93), (0.3, 0.86), (0.7, 0.86), (1.0, 0.93), (1.0, 1.0), (0.0, 1.0)], base)
        pen.rect(0.38, 0.3, 0.62, 0.88, shaft)
        pen.ellipse(0.0, 0.24, 1.0, 0.34, pod)
        pen.rect(0.08, 0.28, 0.92, 0.36, _shade(pod, 0.75))
        pen.ellipse(0.1, 0.31, 0.9, 0.39, _shade(pod, 0.9))
        pen.rect(0.3, 0.16, 0.7, 0.26, shaft)
        for k in range(6):
            y0 = 0.16 * k / 6
            pen.rect(0.45, y0, 0.55, y0 + 0.16 / 6, antenna if k % 2 == 0 else (240, 240, 240))
    else:  # lighthouse-like: tapered shaft, crown pod with windows
        pen.rect(0.05, 0.92, 0.95, 1.0, base)
        pen.poly([(0.3, 0.92), (0.38, 0.3), (0.62, 0.3), (0.7, 0.92)], shaft)
        pen.poly([(0.1, 0.3), (0.0, 0.12), (1.0, 0.12), (0.9, 0.3)], shaft)
        pen.rect(0.08, 0.16, 0.92, 0.22, pod)
        pen.poly([(0.15, 0.12), (0.5, 0.04), (0.85, 0.12)], _shade(shaft, 0.9))
        pen.rect(0.47, 0.0, 0.53, 0.06, antenna)
        for y in (0.45, 0.6, 0.75):
            pen.rect(0.46, y, 0.54, y + 0.03, pod)


def _suspension(pen: _Pen, look: Look) -> None:
    tower, deck, cable, pier = look.colors
    deck_y = 0.66
    towers = (0.27, 0.73)
    for tx in towers:
        pen.rect(tx - 0.035, 0.75, tx + 0.035, 1.0, pier)
        for dx in (-0.018, 0.018):
            pen.rect(tx + dx - 0.008, 0.0, tx + dx + 0.008, 0.78, tower)
        for y in (0.04, 0.3, 0.56):
            pen.rect(tx - 0.026, y, tx + 0.026, y + 0.035, tower)

    def sag(x0: float, x1: float, low: float) -> Callable[[np.ndarray], np.ndarray]:
        mid = (x0 + x1) / 2
        return lambda x: low - (low - 0.03) * ((x - mid) / ((x1 - x0) / 2)) ** 2

    main = sag(towers[0], towers[1], deck_y - 0.04)
    pen.line(_curve(main, towers[0], towers[1]), cable, 0.022)
    pen.line(
        _curve(lambda x: 0.03 + (deck_y - 0.05) * ((towers[0] - x) / towers[0]) ** 1.3, 0.0, towers[0]),
        cable,
        0.022,
    )
    pen.line(
        _curve(lambda x: 0.03 + (deck_y - 0.05) * ((x - towers[1]) / (1 - towers[1])) ** 1.3, towers[1], 1.0),
        cable,
        0.022,
    )
    for x in np.linspace(towers[0], towers[1], look.detail)[1:-1]:
        pen.line([(x, float(main(np.array(x)))), (x, deck_y)], cable, 0.01)
    pen.rect(0.0, deck_y, 1.0, deck_y + 0.06, deck)
    if look.variant == 1:  # double deck
        pen.rect(0.0, deck_y + 0.1, 1.0, deck_y + 0.15, _shade(deck, 0.85))
        for x in np.linspace(0.0, 1.0, 25):
            pen.line([(x, deck_y + 0.06), (x, deck_y + 0.1)], _shade(deck, 0.7), 0.01)


def _cablestayed(pen: _Pen, look: Look) -> None:
    tower, deck, cable, pier = look.colors
    deck_y = 0.62
    for tx in (0.33, 0.67):
        for x in np.linspace(tx - 0.15, tx + 0.15, look.detail):  # fan of stays
            pen.line([(tx, 0.06), (float(x), deck_y)], cable, 0.01)
        pen.poly([(tx - 0.05, 1.0), (tx - 0.012, 0.05), (tx + 0.012, 0.05), (tx + 0.05, 1.0),
                  (tx + 0.03, 1.0), (tx, 0.4), (tx - 0.03, 1.0)], tower)  # fmt: skip
        pen.rect(tx - 0.012, 0.0, tx + 0.012, 0.1, tower)
    pen.rect(0.0, deck_y, 1.0, deck_y + 0.07, deck)
    for x in (0.05, 0.17, 0.83, 0.95):
        pen.rect(x - 0.012, deck_y + 0.07, x + 0.012, 1.0, pier)


def _skyscraper(pen: _Pen, look: Look) -> None:
    glass, mullion, top = look.colors
    if look.variant == 0:  # smooth taper to a slim crown with an open lattice
        left = [(0.4 - 0.4 * y**1.6, y) for y in np.linspace(0.0, 1.0, 24).tolist()]
        pen.poly(left + [(1 - x, y) for x, y in left[::-1]], glass)
        for k in range(1, look.detail):
            t = k / look.detail
            pen.line([(0.5 + (t - 0.5) * 0.2, 0.0), (0.5 + (t - 0.5) * 0.96, 1.0)], mullion, 0.02)
        for y in (0.04, 0.09, 0.14):
            pen.line([(0.38, y), (0.62, y)], top, 0.02)
        pen.line([(0.4, 0.02), (0.6, 0.16)], top, 0.02)
        pen.line([(0.6, 0.02), (0.4, 0.16)], top, 0.02)
    else:  # stepped golden slab
        pen.rect(0.0, 0.08, 1.0, 1.0, glass)
        pen.rect(0.14, 0.0, 0.86, 0.08, _shade(glass, 0.9))
        for y in np.linspace(0.12, 0.98, look.detail * 2):
            pen.line([(0.0, float(y)), (1.0, float(y))], mullion, 0.012)
        pen.rect(0.46, 0.08, 0.54, 1.0, top)
        pen.rect(0.0, 0.94, 1.0, 1.0, top)


def _dome(pen: _Pen, look: Look) -> None:
    panel, seam, shadow = look.colors

    def bulge(x: np.ndarray) -> np.ndarray:  # a lopsided blob, highest left of centre
        return np.sqrt(np.clip(np.sin(np.pi * x**0.85), 0, 1)) * (0.75 + 0.25 * np.cos(3 * x))

    top = float(bulge(np.linspace(0.0, 1.0, 201)).max())

    def roof(x: np.ndarray, k: float) -> np.ndarray:
        return 1.0 - k * bulge(x) / top

    pen.poly(_curve(lambda x: roof(x, 1.0), 0.0, 1.0, 40) + [(1.0, 1.0), (0.0, 1.0)], panel)
    for k in (0.3, 0.5, 0.7, 0.85):
        pen.line(_curve(lambda x, k=k: roof(x, k), 0.04, 0.96, 30), seam, 0.02)
    pen.rect(0.12, 0.86, 0.88, 1.0, shadow)
    for x in np.linspace(0.15, 0.85, 9):
        pen.line([(float(x), 0.86), (float(x), 1.0)], seam, 0.015)


def _stadium(pen: _Pen, look: Look) -> None:
    roof, body, mast, seats = look.colors
    masts = np.linspace(0.08, 0.92, look.detail)
    for x in masts:
        pen.line([(float(x), 0.0), (float(x), 0.5)], mast, 0.03)
        pen.line([(float(x), 0.02), (float(x) + 0.06, 0.45)], mast, 0.012)
        pen.line([(float(x), 0.02), (float(x) - 0.06, 0.45)], mast, 0.012)
    pen.ellipse(0.0, 0.52, 1.0, 1.0, body)
    pen.rect(0.0, 0.76, 1.0, 1.0, body)
    pen.poly(
        _curve(lambda x: 0.5 - 0.08 * np.sin(np.pi * x), 0.02, 0.98) + [(0.98, 0.62), (0.02, 0.62)],
        roof,
    )
    for x in np.linspace(0.06, 0.94, 16):
        pen.line([(float(x), 0.66), (float(x), 0.98)], seats, 0.02)


def _statue(pen: _Pen, look: Look) -> None:
    bronze, pedestal, trim = look.colors
    pen.rect(0.0, 0.92, 1.0, 1.0, trim)
    pen.rect(0.12, 0.6, 0.88, 0.92, pedestal)
    pen.rect(0.06, 0.56, 0.94, 0.62, trim)
    pen.rect(0.3, 0.7, 0.7, 0.8, _shade(pedestal, 0.8))
    pen.poly([(0.22, 0.56), (0.34, 0.2), (0.66, 0.2), (0.78, 0.56)], bronze)  # robe
    pen.poly([(0.24, 0.3), (0.34, 0.17), (0.66, 0.17), (0.76, 0.3)], bronze)  # shoulders
    pen.ellipse(0.4, 0.06, 0.6, 0.19, bronze)
    pen.poly([(0.42, 0.08), (0.5, 0.0), (0.58, 0.08)], bronze)  # helmet
    pen.line([(0.5, 0.22), (0.5, 0.54)], _shade(bronze, 1.6), 0.05)  # sword


TEMPLATES: dict[str, Callable[[_Pen, Look], None]] = {
    "hall": _hall, "pagoda": _pagoda, "gate": _gate, "modern": _modern, "church": _church,
    "bag": _bag, "box": _box, "can": _can, "bottle": _bottle, "jar": _jar, "cup": _cup,
    "tower": _tower, "suspension": _suspension, "cablestayed": _cablestayed, "skyscraper": _skyscraper,
    "dome": _dome, "stadium": _stadium, "statue": _statue,
}  # fmt: skip


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
    pen = _Pen(max(4, round(2 * width)), max(4, round(2 * height)))
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


def _resolve_domains(domains: Sequence[str] | None) -> tuple[str, ...]:
    if domains is None:
        return tuple(DOMAINS)
    if isinstance(domains, str):
        domains = [domains]
    found = set()
    for name in domains:
        domain = lookup_domain(name)
        if domain is None:
            known = ", ".join(f"{k} ({v})" for k, v in DOMAINS.items())
            raise ValueError(f"unknown Korean-objects domain {name!r}; known: {known}")
        found.add(domain)
    if not found:
        raise ValueError("domains must name at least one domain")
    return tuple(d for d in DOMAINS if d in found)


def _resolve_size(image_size: int | Sequence[int]) -> tuple[int, int]:
    w, h = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if min(w, h) < 64:
        raise ValueError(f"image_size must be at least 64 px, got {image_size!r}")
    return int(w), int(h)


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
    image_size: int | Sequence[int] = (256, 192),
    swapped_fraction: float = 0.15,
    seed: int = 0,
) -> Path:
    """Write a synthetic Korean-objects dataset in the real layout under ``out`` and return it.

    ``domains``: Korean or English names (None: all three). The first ``classes_per_domain``
    catalog classes of each domain get ``shoots_per_class`` class folders of ``images_per_shoot``
    JPEGs, each with its region JSON; about ``swapped_fraction`` of the JSONs have one region with
    swapped corners. ``image_size`` is a side or ``(width, height)``. Same arguments, same bytes.
    """
    domains_, size = _resolve_domains(domains), _resolve_size(image_size)
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


# ---------------------------------------------------------------- cache


def ensure_synthetic_korean_objects(
    cache_dir: str | Path,
    *,
    domains: Sequence[str] | None = None,
    classes_per_domain: int = 4,
    shoots_per_class: int = 3,
    images_per_shoot: int = 4,
    image_size: int | Sequence[int] = (256, 192),
    swapped_fraction: float = 0.15,
    seed: int = 0,
) -> Path:
    """Return ``<cache_dir>/korean-objects-synth-<hash>``, generating it first if absent."""
    _check_counts(classes_per_domain, shoots_per_class, images_per_shoot, swapped_fraction, seed)
    params = {
        "version": GENERATOR_VERSION,
        "domains": list(_resolve_domains(domains)),
        "classes_per_domain": int(classes_per_domain),
        "shoots_per_class": int(shoots_per_class),
        "images_per_shoot": int(images_per_shoot),
        "image_size": list(_resolve_size(image_size)),
        "swapped_fraction": float(swapped_fraction),
        "seed": int(seed),
    }
    return ensure_generated(
        cache_dir,
        "korean-objects-synth",
        params,
        lambda out: write_synthetic_korean_objects(
            out,
            domains=params["domains"],
            classes_per_domain=params["classes_per_domain"],
            shoots_per_class=params["shoots_per_class"],
            images_per_shoot=params["images_per_shoot"],
            image_size=tuple(params["image_size"]),
            swapped_fraction=params["swapped_fraction"],
            seed=params["seed"],
        ),
    )
