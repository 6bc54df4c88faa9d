"""Drawing the multimodal twin: a room, a table with things on it, and actors seen from the chest up.

Sizes are in ``r``, an actor's head radius (``HEAD`` of the frame height), so one description draws the
same at any frame size. What the crops carry:

* emotion (the speaker, during its turn): a face tint, the mouth and the eyebrows of the emotion shown,
  and a motion (``MOTIONS``: happy bounces, angry shakes, sad droops, fear trembles, ...);
* gender: long hair and a V-neck (female) or short hair and a collar with a tie (male);
* age: the hair's grey level (20s dark .. 50s grey) and face lines (40s one, 50s three);
* nuisance: skin tone, shirt colour, the hair's base colour, the room, the sway of listeners.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

BGR = tuple[int, int, int]
Box = tuple[float, float, float, float]

HEAD = 0.085  # head radius / frame height
HEAD_Y = 0.40  # head centre / frame height
TORSO_HALF = 2.1  # half width of the torso's bottom, in r
TORSO_BOTTOM = 5.0  # torso bottom below the head centre, in r
TINT_ALPHA = 0.55
_SHIFT = 4  # sub-pixel drawing: coordinates times 2**_SHIFT
_DARK: BGR = (35, 30, 30)
AGES: tuple[str, ...] = ("20s", "30s", "40s", "50s")
GREY_BY_AGE = {"20s": 0.0, "30s": 0.33, "40s": 0.62, "50s": 0.9}
LINES_BY_AGE = {"20s": 0, "30s": 0, "40s": 1, "50s": 3}
SKIN_TONES: tuple[BGR, ...] = ((170, 195, 235), (140, 170, 215), (110, 145, 190), (80, 110, 150))


@dataclass(frozen=True)
class Expression:
    """How an emotion looks: a face tint (None: the skin), the mouth, the eyebrows' inner and outer
    heights (in r, up positive) and the body's motion."""

    tint: BGR | None
    mouth: str  # flat | smile | frown | open | tight | wavy | small_open
    brows: tuple[float, float]
    motion: str  # still | bounce | shake | droop | raised | tremble | lean


EXPRESSIONS: dict[str, Expression] = {
    "neutral": Expression(None, "flat", (0.0, 0.0), "still"),
    "happy": Expression((40, 215, 250), "smile", (0.05, 0.05), "bounce"),
    "surprise": Expression((235, 220, 60), "open", (0.25, 0.25), "raised"),
    "angry": Expression((40, 40, 225), "tight", (-0.2, 0.12), "shake"),
    "sad": Expression((225, 120, 45), "frown", (0.18, -0.12), "droop"),
    "disgust": Expression((70, 185, 70), "wavy", (-0.12, 0.0), "lean"),
    "fear": Expression((195, 70, 170), "small_open", (0.22, 0.05), "tremble"),
}


def motion_offset(motion: str, t: float, r: float) -> tuple[float, float]:
    """``(dx, dy)`` px of a body doing ``motion``, ``t`` seconds into it (y down)."""
    if motion == "bounce":
        return 0.0, -0.3 * r * abs(math.sin(2 * math.pi * 1.7 * t))
    if motion == "shake":
        return 0.3 * r * math.sin(2 * math.pi * 3.3 * t + 0.5), 0.0
    if motion == "droop":
        return 0.05 * r * math.sin(2 * math.pi * 0.4 * t), 0.4 * r
    if motion == "raised":
        return 0.0, -0.3 * r - 0.08 * r * math.sin(2 * math.pi * 1.1 * t)
    if motion == "tremble":
        return 0.12 * r * math.sin(2 * math.pi * 4.3 * t), 0.15 * r
    if motion == "lean":
        return 0.45 * r, 0.05 * r * math.sin(2 * math.pi * 0.7 * t)
    return 0.0, 0.0


def idle_offset(t: float, phase: float, r: float) -> tuple[float, float]:
    """A listener's slow sway."""
    return 0.12 * r * math.sin(2 * math.pi * 0.3 * t + phase), 0.04 * r * math.sin(
        2 * math.pi * 0.5 * t + phase
    )


@dataclass(frozen=True)
class ActorLook:
    """One actor's appearance: where it stands (``x`` px, head centre), gender, age and colours."""

    x: float
    gender: str
    age: str
    skin: BGR
    shirt: BGR
    hair: BGR

    @property
    def long_hair(self) -> bool:
        return self.gender == "female"


def hair_color(base: BGR, age: str, jitter: float) -> BGR:
    """The hair of an ``age`` actor: ``base`` mixed with grey by the age's grey level (+ ``jitter``)."""
    grey = min(1.0, max(0.0, GREY_BY_AGE[age] + jitter))
    return tuple(int(round(c * (1 - grey) + 190 * grey)) for c in base)  # type: ignore[return-value]


def head_radius(height: int) -> float:
    return HEAD * height


def actor_box(look: ActorLook, dx: float, dy: float, size: tuple[int, int]) -> Box:
    """The actor's box (hair top to torso bottom, the wider of hair and shoulders), clipped to the
    frame; ``size`` is ``(height, width)``."""
    height, width = size
    r = head_radius(height)
    cx, cy = look.x + dx, HEAD_Y * height + dy
    top = cy - (1.25 if look.long_hair else 1.1) * r
    half = TORSO_HALF * r
    return (
        max(0.0, cx - half),
        max(0.0, top),
        min(width - 1.0, cx + half),
        min(height - 1.0, cy + TORSO_BOTTOM * r),
    )


def _p(x: float, y: float) -> tuple[int, int]:
    return int(round(x * (1 << _SHIFT))), int(round(y * (1 << _SHIFT)))


def _ellipse(img: np.ndarray, c: tuple[float, float], axes: tuple[float, float], color: BGR) -> None:
    cv2.ellipse(img, _p(*c), _p(*axes), 0, 0, 360, color, -1, cv2.LINE_AA, _SHIFT)


def _line(img: np.ndarray, a: tuple[float, float], b: tuple[float, float], color: BGR, thick: int) -> None:
    cv2.line(img, _p(*a), _p(*b), color, thick, cv2.LINE_AA, _SHIFT)


def _poly(img: np.ndarray, points: list[tuple[float, float]], color: BGR) -> None:
    cv2.fillPoly(img, [np.array([_p(*q) for q in points], np.int32)], color, cv2.LINE_AA, _SHIFT)


def _blend(a: BGR, b: BGR, alpha: float) -> BGR:
    return tuple(int(round(x * (1 - alpha) + y * alpha)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _darker(color: BGR, factor: float) -> BGR:
    return tuple(int(c * factor) for c in color)  # type: ignore[return-value]


def _mouth(img: np.ndarray, cx: float, y: float, r: float, kind: str, thick: int) -> None:
    w = 0.3 * r
    lips: BGR = (60, 50, 140)
    if kind == "smile":
        cv2.ellipse(img, _p(cx, y - 0.08 * r), _p(w, 0.2 * r), 0, 10, 170, lips, thick, cv2.LINE_AA, _SHIFT)
    elif kind == "frown":
        cv2.ellipse(img, _p(cx, y + 0.15 * r), _p(w, 0.18 * r), 0, 190, 350, lips, thick, cv2.LINE_AA, _SHIFT)
    elif kind == "open":
        _ellipse(img, (cx, y), (0.17 * r, 0.24 * r), _DARK)
    elif kind == "small_open":
        _ellipse(img, (cx, y), (0.2 * r, 0.1 * r), _DARK)
    elif kind == "wavy":
        xs = np.linspace(cx - w, cx + w, 5)
        ys = y + 0.07 * r * np.array([-1, 1, -1, 1, -1])
        for i in range(4):
            _line(img, (xs[i], ys[i]), (xs[i + 1], ys[i + 1]), lips, thick)
    elif kind == "tight":
        _line(img, (cx - 0.8 * w, y), (cx + 0.8 * w, y), _DARK, thick + 1)
    else:
        _line(img, (cx - w, y), (cx + w, y), lips, thick)


def draw_actor(img: np.ndarray, look: ActorLook, expression: Expression, dx: float, dy: float) -> None:
    """Draw ``look`` moved by ``(dx, dy)`` px, its face showing ``expression``."""
    r = head_radius(img.shape[0])
    cx, cy = look.x + dx, HEAD_Y * img.shape[0] + dy

    def at(u: float, v: float) -> tuple[float, float]:  # head-centred, in r
        return cx + u * r, cy + v * r

    def shape(points: list[tuple[float, float]], color: BGR) -> None:
        _poly(img, [at(u, v) for u, v in points], color)

    thick = max(1, round(0.09 * r))
    if look.long_hair:  # behind the head and shoulders
        _ellipse(img, at(0, 0.35), (1.15 * r, 1.6 * r), look.hair)
    else:
        _ellipse(img, at(0, -0.25), (0.95 * r, 0.85 * r), look.hair)
    shoulders, bottom = 1.4, TORSO_BOTTOM
    shape([(-1.9, shoulders), (1.9, shoulders), (TORSO_HALF, bottom), (-TORSO_HALF, bottom)], look.shirt)
    shape([(-0.35, 0.6), (0.35, 0.6), (0.35, shoulders + 0.1), (-0.35, shoulders + 0.1)], look.skin)  # neck
    if look.gender == "female":  # a V-neck
        shape([(-0.7, shoulders), (0.7, shoulders), (0, shoulders + 1.1)], look.skin)
    else:  # a collar and a tie
        for side in (-1, 1):
            flap = [(0.8, -0.1), (0, 0.5), (0.2, 0.7), (0.9, 0.2)]
            shape([(side * u, shoulders + v) for u, v in flap], _darker(look.shirt, 0.6))
        tie = [(-0.15, shoulders + 0.4), (0.15, shoulders + 0.4), (0.25, bottom - 0.6), (0, bottom - 0.3)]
        shape([*tie, (-0.25, bottom - 0.6)], _DARK)
    face = look.skin if expression.tint is None else _blend(look.skin, expression.tint, TINT_ALPHA)
    _ellipse(img, at(0, 0), (0.85 * r, r), face)
    if not look.long_hair:  # short hair: a fringe over the forehead
        fringe, axes = _p(*at(0, -0.55)), _p(0.8 * r, 0.4 * r)
        cv2.ellipse(img, fringe, axes, 0, 180, 360, look.hair, -1, cv2.LINE_AA, _SHIFT)
    wrinkle = _darker(face, 0.7)
    for k in range(LINES_BY_AGE[look.age]):
        if k < 2:  # forehead (below a short hair's fringe)
            v = -(0.52 + 0.13 * k) + (0.0 if look.long_hair else 0.15)
            _line(img, at(-0.4, v), at(0.4, v), wrinkle, thick)
        else:  # cheeks
            for side in (-1, 1):
                _line(img, at(side * 0.35, 0.2), at(side * 0.45, 0.55), wrinkle, thick)
    inner, outer = expression.brows
    for side in (-1, 1):
        _ellipse(img, at(side * 0.33, -0.08), (0.11 * r, 0.11 * r), _DARK)
        _line(img, at(side * 0.15, -0.33 - inner), at(side * 0.55, -0.33 - outer), _DARK, thick)
    _mouth(img, cx, cy + 0.5 * r, r, expression.mouth, thick)


# ------------------------------------------------------------------------------------------- the room


@dataclass(frozen=True)
class Thing:
    """An object of the scene: ``label`` (``""``: the odd, unlabelled one) and its box (static)."""

    label: str
    box: Box
    color: BGR


def background(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A wall over a floor, a framed picture or window on the wall; ``size`` is ``(height, width)``."""
    height, width = size
    wall = tuple(int(c) for c in rng.integers(120, 220, 3))
    floor = tuple(int(c) for c in rng.integers(60, 130, 3))
    img = np.empty((height, width, 3), np.uint8)
    horizon = int(round(height * float(rng.uniform(0.62, 0.72))))
    img[:horizon] = wall
    img[horizon:] = floor
    w, h = float(rng.uniform(0.15, 0.3)) * width, float(rng.uniform(0.15, 0.25)) * height
    x, y = float(rng.uniform(0, width - w)), float(rng.uniform(0.03, 0.12)) * height
    frame = tuple(int(c) for c in rng.integers(30, 120, 3))
    inside = tuple(int(c) for c in rng.integers(100, 250, 3))
    cv2.rectangle(img, _p(x, y), _p(x + w, y + h), frame, -1, cv2.LINE_AA, _SHIFT)
    pad = max(1.0, 0.08 * h)
    cv2.rectangle(img, _p(x + pad, y + pad), _p(x + w - pad, y + h - pad), inside, -1, cv2.LINE_AA, _SHIFT)
    return img


def draw_thing(img: np.ndarray, thing: Thing) -> None:
    """Chairs' backs, a table, a cup, a phone; the odd object is a potted plant."""
    x1, y1, x2, y2 = thing.box
    if thing.label == "":
        pot = y1 + 0.55 * (y2 - y1)
        _ellipse(img, ((x1 + x2) / 2, (y1 + pot) / 2), ((x2 - x1) / 2, (pot - y1) / 2), thing.color)
        _poly(img, [(x1 + 0.15 * (x2 - x1), pot), (x2 - 0.15 * (x2 - x1), pot), (x2 - 0.25 * (x2 - x1), y2),
                    (x1 + 0.25 * (x2 - x1), y2)], (40, 70, 140))  # fmt: skip
        return
    cv2.rectangle(img, _p(x1, y1), _p(x2, y2), thing.color, -1, cv2.LINE_AA, _SHIFT)
    if thing.label in ("chair", "table"):  # a darker rim
        rim = max(1.0, 0.08 * min(x2 - x1, y2 - y1))
        cv2.rectangle(img, _p(x1, y1), _p(x2, y1 + rim), _darker(thing.color, 0.7), -1, cv2.LINE_AA, _SHIFT)
    elif thing.label == "phone":
        pad = 0.2 * (y2 - y1)
        cv2.rectangle(
            img, _p(x1 + pad, y1 + pad), _p(x2 - pad, y2 - pad), (120, 90, 60), -1, cv2.LINE_AA, _SHIFT
        )
