"""The look of each synthetic Korean-objects class: the Korean catalog and its shape templates.

Each class has a fixed procedural look: a shape template of its domain (hanok hall, pagoda, gate;
bag, box, can, bottle; tower, bridge, skyscraper, ...) with its own colours and proportions, drawn
by :class:`Pen` in unit coordinates onto a transparent sprite. ``synth.py`` poses and places them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

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


class Pen:
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


def _roof(pen: Pen, x0: float, x1: float, y_eave: float, y_ridge: float, color: RGB, band: RGB) -> None:
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


def _hall(pen: Pen, look: Look) -> None:
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


def _pagoda(pen: Pen, look: Look) -> None:
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


def _gate(pen: Pen, look: Look) -> None:
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


def _modern(pen: Pen, look: Look) -> None:
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


def _church(pen: Pen, look: Look) -> None:
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


def _bag(pen: Pen, look: Look) -> None:
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


def _box(pen: Pen, look: Look) -> None:
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


def _can(pen: Pen, look: Look) -> None:
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


def _bottle(pen: Pen, look: Look) -> None:
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


def _jar(pen: Pen, look: Look) -> None:
    body, lid, accent = look.colors
    pen.ellipse(0.0, 0.24, 1.0, 1.0, body)
    pen.rect(0.28, 0.06, 0.72, 0.4, body)
    for y in (0.5, 0.6, 0.7, 0.8, 0.9):
        pen.line([(0.12, y), (0.88, y)], _shade(body, 0.88), 0.02)
    pen.rect(0.3, 0.56, 0.7, 0.68, accent)
    pen.rect(0.25, 0.0, 0.75, 0.08, lid)


def _cup(pen: Pen, look: Look) -> None:
    body, band, lid, accent = look.colors
    pen.poly([(0.0, 0.1), (1.0, 0.1), (0.88, 0.98), (0.12, 0.98)], body)
    pen.ellipse(0.12, 0.92, 0.88, 1.0, body)
    pen.poly([(0.02, 0.28), (0.98, 0.28), (0.93, 0.62), (0.07, 0.62)], band)
    for x in (0.24, 0.42, 0.6):
        pen.rect(x, 0.36, x + 0.14, 0.52, accent)
    pen.ellipse(0.0, 0.0, 1.0, 0.2, lid)


def _tower(pen: Pen, look: Look) -> None:
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


def _suspension(pen: Pen, look: Look) -> None:
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


def _cablestayed(pen: Pen, look: Look) -> None:
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


def _skyscraper(pen: Pen, look: Look) -> None:
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


def _dome(pen: Pen, look: Look) -> None:
    panel, seam, shadow = look.colors

    def bulge(x: np.ndarray) -> np.ndarray:  # a lopsided blob, highest left of centre
        return np.sqrt(np.clip(np.sin(np.pi * x**0.85), 0, 1)) * (0.75 + 0.25 * np.cos(3 * x))

    top = float(bulge(np.linspace(0.0, 1.0, 201)).max())

    def roof(x: np.ndarray, k: float) -> np.ndarray:
        return 1.0 - k * bulge(x) / top

    pen.poly(_curve(lambda x: roof(x, 1.0), 0.0, 1.0, 40) + [(1.0, 1.0), (0.0, 1.0)], panel)
    for k in (0.3, 0.5, 0.7, 0.85):
        pen.line(_curve(partial(roof, k=k), 0.04, 0.96, 30), seam, 0.02)
    pen.rect(0.12, 0.86, 0.88, 1.0, shadow)
    for x in np.linspace(0.15, 0.85, 9):
        pen.line([(float(x), 0.86), (float(x), 1.0)], seam, 0.015)


def _stadium(pen: Pen, look: Look) -> None:
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


def _statue(pen: Pen, look: Look) -> None:
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


TEMPLATES: dict[str, Callable[[Pen, Look], None]] = {
    "hall": _hall, "pagoda": _pagoda, "gate": _gate, "modern": _modern, "church": _church,
    "bag": _bag, "box": _box, "can": _can, "bottle": _bottle, "jar": _jar, "cup": _cup,
    "tower": _tower, "suspension": _suspension, "cablestayed": _cablestayed, "skyscraper": _skyscraper,
    "dome": _dome, "stadium": _stadium, "statue": _statue,
}  # fmt: skip
