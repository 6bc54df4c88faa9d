"""Drawing the CCTV twin: stick figures and props in a scene, seen by a camera.

A scene position is ``(u, v)``: ``u`` across (0..1), ``v`` depth (0 far, 1 near); a person there is
0.36-0.48 of the frame high. Sizes and offsets of figures and props are in person heights, so
one description draws the same at any frame size and from any camera (:class:`View`: mirrored,
scaled, shifted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

BGR = tuple[int, int, int]
SKIN: BGR = (150, 180, 220)


@dataclass(frozen=True)
class Pose:
    """A stick figure's pose: angles in radians. ``tilt`` turns the whole figure about its feet
    (+ toward where it faces; pi/2 lying); arm angles are from hanging down toward the facing side."""

    facing: int = 1
    tilt: float = 0.0
    swing: float = 0.0  # legs: +-swing about the vertical
    front_kick: float = 0.0  # extra forward angle of the front leg
    arm_front: float = 0.15
    arm_back: float = -0.15
    carry: BGR | None = None  # an item in the front hand


@dataclass(frozen=True)
class Figure:
    u: float  # scene position across (0..1) of the anchor
    dx: float  # offset from the anchor in person heights
    v: float  # depth: 0 far, 1 near
    pose: Pose
    color: BGR
    size: float = 1.0
    lift: float = 0.0  # feet raised, in person heights


@dataclass(frozen=True)
class Block:
    """A prop: a filled rectangle (or ellipse) standing on the ground at (u + dx, v), sizes in person heights."""

    u: float
    dx: float
    v: float
    w: float
    h: float
    color: BGR
    lift: float = 0.0
    ellipse: bool = False


Drawable = Figure | Block


def walk_pose(t: float, facing: int, period: float = 1.0, amount: float = 0.45) -> Pose:
    phase = math.sin(2 * math.pi * t / period)
    return Pose(
        facing=facing, swing=amount * phase, arm_front=-0.8 * amount * phase, arm_back=0.8 * amount * phase
    )


def pulse(t: float, period: float, offset: float = 0.0) -> float:
    """0..1..0 once per period (a strike), 0 the rest of the cycle."""
    return max(0.0, math.sin(2 * math.pi * (t / period - offset)))


# ---------------------------------------------------------------------------------------- drawing


@dataclass(frozen=True)
class View:
    """A camera's viewpoint: the scene mirrored, scaled and shifted."""

    size: tuple[int, int]
    mirror: bool
    scale: float
    shift: tuple[float, float]  # fractions of the width and height

    def ground(self, u: float, v: float) -> tuple[float, float, float]:
        """Image x, feet y and person height (pixels) at scene position ``(u, v)``."""
        width, height = self.size
        x = (u - 0.5) * (-1 if self.mirror else 1)
        y = 0.56 + 0.34 * v - 0.5
        person = height * (0.36 + 0.12 * v) * self.scale
        return (
            width * (0.5 + self.scale * x + self.shift[0]),
            height * (0.5 + self.scale * y + self.shift[1]),
            person,
        )

    @property
    def sign(self) -> int:
        return -1 if self.mirror else 1


def _fixed(point: tuple[float, float]) -> tuple[int, int]:
    return int(round(point[0])), int(round(point[1]))


def dim_color(color: BGR, dim: float) -> BGR:
    return (int(color[0] * dim), int(color[1] * dim), int(color[2] * dim))


def _draw_figure(img: np.ndarray, view: View, fig: Figure, dim: float) -> None:
    x0, y0, person = view.ground(fig.u, fig.v)
    h = person * fig.size
    x0 += view.sign * fig.dx * person
    y0 -= fig.lift * person
    pose = fig.pose
    f = pose.facing * view.sign
    cos_t, sin_t = math.cos(pose.tilt), math.sin(pose.tilt)

    def at(x: float, y: float) -> tuple[int, int]:
        # rotate about the feet by the tilt (toward the facing side), then to pixels (y down)
        rx, ry = x * cos_t + y * sin_t, -x * sin_t + y * cos_t
        return _fixed((x0 + f * rx * h, y0 - ry * h))

    hip, neck, shoulder, head = (0.0, 0.48), (0.0, 0.8), (0.0, 0.77), (0.0, 0.9)
    thick = max(1, round(h / 10))
    color, skin = dim_color(fig.color, dim), dim_color(SKIN, dim)
    legs = ((pose.swing + pose.front_kick, 1), (-pose.swing, -1))
    for angle, _side in legs:
        cv2.line(img, at(*hip), at(hip[0] + 0.48 * math.sin(angle), hip[1] - 0.48 * math.cos(angle)),
                 color, thick, cv2.LINE_AA)  # fmt: skip
    cv2.line(img, at(*hip), at(*neck), color, thick + 1, cv2.LINE_AA)
    hands = []
    for angle in (pose.arm_front, pose.arm_back):
        hand = (shoulder[0] + 0.33 * math.sin(angle), shoulder[1] - 0.33 * math.cos(angle))
        hands.append(hand)
        cv2.line(img, at(*shoulder), at(*hand), color, thick, cv2.LINE_AA)
    cv2.circle(img, at(*head), max(2, round(0.1 * h)), skin, -1, cv2.LINE_AA)
    if pose.carry is not None:
        cx, cy = at(*hands[0])
        half = max(2, round(0.06 * h))
        cv2.rectangle(img, (cx - half, cy - half), (cx + half, cy + half), dim_color(pose.carry, dim), -1)


def _draw_block(img: np.ndarray, view: View, block: Block, dim: float) -> None:
    x0, y0, person = view.ground(block.u, block.v)
    cx = x0 + view.sign * block.dx * person
    bottom = y0 - block.lift * person
    half_w, h = block.w * person / 2, block.h * person
    if block.ellipse:
        centre = _fixed((cx, bottom - h / 2))
        axes = (max(1, round(half_w)), max(1, round(h / 2)))
        cv2.ellipse(img, centre, axes, 0, 0, 360, dim_color(block.color, dim), -1, cv2.LINE_AA)
    else:
        cv2.rectangle(
            img,
            _fixed((cx - half_w, bottom - h)),
            _fixed((cx + half_w, bottom)),
            dim_color(block.color, dim),
            -1,
        )


def draw(img: np.ndarray, view: View, items: list[Drawable], dim: float) -> None:
    """Far things first; colours times ``dim``."""
    for item in sorted(items, key=lambda i: i.v):
        if isinstance(item, Figure):
            _draw_figure(img, view, item, dim)
        else:
            _draw_block(img, view, item, dim)


def _place_colors(place: int, indoor: bool) -> tuple[BGR, BGR, BGR]:
    """(upper, lower, accent) colours of a place: a room's wall/floor/door, a street's buildings/road/curb."""
    rng = np.random.default_rng([place, 11])
    if indoor:
        wall = tuple(int(c) for c in rng.integers(150, 215, 3))
        floor = tuple(int(c) for c in rng.integers(70, 130, 3))
    else:
        wall = tuple(int(c) for c in rng.integers(90, 170, 3))
        floor = tuple(int(c) for c in (rng.integers(95, 120) * np.ones(3)))
    accent = tuple(int(c) for c in rng.integers(40, 200, 3))
    return wall, floor, accent  # type: ignore[return-value]


def background(place: int, indoor: bool, view: View, size: tuple[int, int]) -> np.ndarray:
    """A place's empty scene as this camera sees it: a room (wall, floor, a door and a window) or a
    street (sky, buildings, road, curb)."""
    width, height = size
    wall, floor, accent = _place_colors(place, indoor)
    img = np.empty((height, width, 3), np.uint8)
    _, horizon, _ = view.ground(0.5, -0.15)
    horizon_y = int(np.clip(round(horizon), 0, height))
    img[:horizon_y] = wall
    img[horizon_y:] = floor
    rng = np.random.default_rng([place, 12])
    if indoor:
        for u in rng.uniform(0.05, 0.95, 2):  # a door and a window
            x, y, person = view.ground(float(u), -0.15)
            cv2.rectangle(
                img, _fixed((x - 0.25 * person, y - 1.1 * person)), _fixed((x + 0.25 * person, y)), accent, -1
            )
        cv2.line(
            img, (0, horizon_y), (width, horizon_y), tuple(int(c * 0.6) for c in wall), max(1, height // 60)
        )
    else:
        sky = (215, 190, 150)
        img[: max(1, horizon_y // 3)] = sky
        for u in np.linspace(-0.1, 1.1, 7):  # buildings along the far side
            x, y, person = view.ground(float(u), -0.15)
            top = y - person * float(rng.uniform(0.8, 2.0))
            shade = tuple(int(c) for c in np.clip(np.array(wall) + rng.integers(-40, 40, 3), 0, 255))
            cv2.rectangle(img, _fixed((x - 0.5 * person, top)), _fixed((x + 0.5 * person, y)), shade, -1)
        _, curb, _ = view.ground(0.5, 0.15)
        cv2.line(img, (0, int(curb)), (width, int(curb)), accent, max(1, height // 45))
    return img
