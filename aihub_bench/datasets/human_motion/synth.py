"""Synthetic twin of the human-motion release (사람 동작 영상), in the real layout (see ``layout.py``)::

    <root>/annotation/Annotation_2D_tar/2D/<scenario>/<clip>_2D.json
    <root>/annotation/Annotation_3D_tar/3D/<scenario>/<scenario>_<take>_3D.json    (~10% of takes)
    <root>/이미지/image_action_<a>/image_<scenario>/<scenario>/<clip>/<clip>_<frame:04d>.jpg
    <root>/동영상/video_action_<a>/<scenario>/<clip>.mp4

with ``<scenario> = <action>-<scene>`` and ``<clip> = clip_name(scenario, take, camera)`` such as
``2-1_001-C01``. Frame numbers (= ``img_no``) start at 1; the annotated frames are 3 fps.

Each take is one 3D articulated stick figure (MPII-16 joints, millimetres, world y up) with its own
limb lengths (1.5-1.9 m tall), clothes and a motion driven by the action: walking (1), raising the
arms (2), squatting or bending (3), kicking or standing on one leg (4); further actions reuse these
with larger amplitudes. The root drifts and turns a little. Every camera of the take (evenly spread
yaws around the person, varied heights and distances, all looking at the person) films the same pose
at the same time, through a pinhole zoomed so the person fills about 55-85% of the frame height,
somewhat off-centre. Frames are drawn with OpenCV on a textured background (smooth noise, a floor
and wall, random shapes): a filled torso, limbs as thick antialiased lines far to near, left limbs
blue-green and right limbs red-orange (shades vary per take), a skin-coloured head with a face dot
when it faces the camera.

Flags: 2 visible; 1 under an opaque coloured box drawn in front of the person (some frames; true
coordinates kept); 0 outside the image (written as 0, 0), which happens only in the few clips where
the camera is deliberately aimed so that part of the person is cut off. A flag-2 or flag-1 joint is
always inside ``[0, W-1] x [0, H-1]`` after rounding to 2 decimals.

Videos (``mp4v``) run at ``video_fps`` (a multiple of 3), ``step = video_fps // 3`` video frames per
annotated frame and ``frames_per_clip * step`` frames in all: annotated frame ``k`` (1-based) is video
frame ``(k - 1) * step`` and is rendered from the same pose and occluder as its JPEG; the frames in
between show the continuous motion at their own times, with the occluder of the preceding annotated
frame. The 2D JSON is written whether or not frames or videos are.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from aihub_bench.datasets.human_motion.layout import (
    ANNOTATION_2D_DIR,
    ANNOTATION_2D_SUFFIX,
    ANNOTATION_3D_DIR,
    FLAG_ABSENT,
    FLAG_OCCLUDED,
    FLAG_VISIBLE,
    IMAGE_DIR,
    JOINTS,
    NUM_JOINTS,
    SKELETON,
    VIDEO_DIR,
    clip_name,
)
from aihub_bench.datasets.synth_cache import image_size_pair

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated
JPEG_QUALITY = 90
ANNOTATED_FPS = 3
FRAMING_FPS = 30  # time grid on which the camera framing sees the whole motion
MAX_CAMERAS = 12
MAX_TAKES = 999
CROPPED_FRACTION = 0.1  # clips aimed so that part of the person is outside the image
OCCLUSION_RATE = 0.25  # annotated frames with an occluding box
FILL_RANGE = (0.55, 0.85)  # standing height / image height
MOTIONS = ("walk", "raise_arms", "squat_bend", "kick")  # action a uses MOTIONS[(a - 1) % 4]

J = {name: i for i, name in enumerate(JOINTS)}
NOSE = NUM_JOINTS  # an extra, unannotated point used to draw the face
BGR = tuple[int, int, int]


# ---------------------------------------------------------------- the person


@dataclass(frozen=True)
class _Body:
    """Segment lengths in mm; ``height`` is the standing head-top height."""

    ankle_h: float
    shin: float
    thigh: float
    hip_half: float
    torso: float
    neck: float
    head: float
    shoulder_half: float
    upper_arm: float
    forearm: float

    @property
    def height(self) -> float:
        return self.ankle_h + self.shin + self.thigh + self.torso + self.neck + self.head


def _random_body(rng: np.random.Generator) -> _Body:
    """Proportions of an adult, each segment varied by up to 7%."""
    height = rng.uniform(1500.0, 1900.0)
    shares = {
        "ankle_h": 0.04,
        "shin": 0.245,
        "thigh": 0.245,
        "hip_half": 0.09,
        "torso": 0.28,
        "neck": 0.06,
        "head": 0.13,
        "shoulder_half": 0.125,
        "upper_arm": 0.186,
        "forearm": 0.146,
    }
    return _Body(**{k: float(height * v * rng.uniform(0.93, 1.07)) for k, v in shares.items()})


@dataclass(frozen=True)
class _Motion:
    """How one take moves: the action's motion, its style and per-take timing and amplitude."""

    kind: str
    style: int
    freq: float  # Hz
    phase: float
    amp: float
    offsets: dict[str, float]  # constant per-take angle offsets (degrees)
    sway: np.ndarray  # (3, 2): amplitude (deg) and phase of trunk lean / side lean / twist sway
    yaw0: float
    yaw_rate: float  # rad/s
    speed: float  # mm/s along the initial heading
    origin: tuple[float, float]  # x, z in mm


ANGLES = (
    "l_hip_flex", "l_hip_abd", "l_knee", "r_hip_flex", "r_hip_abd", "r_knee",
    "l_sh_flex", "l_sh_abd", "l_elbow", "r_sh_flex", "r_sh_abd", "r_elbow",
    "lean", "side_lean", "twist",
)  # fmt: skip


def _random_motion(action: int, rng: np.random.Generator) -> _Motion:
    kind = MOTIONS[(action - 1) % len(MOTIONS)]
    boost = 1.0 + 0.15 * min((action - 1) // len(MOTIONS), 3)  # later actions: bigger moves
    freq = {"walk": (0.8, 1.1), "raise_arms": (0.25, 0.45), "squat_bend": (0.3, 0.5), "kick": (0.35, 0.55)}
    return _Motion(
        kind=kind,
        style=int(rng.integers(3)),
        freq=float(rng.uniform(*freq[kind])),
        phase=float(rng.uniform(0, math.tau)),
        amp=float(boost * rng.uniform(0.8, 1.1)),
        offsets={name: float(rng.normal(0, 3.0)) for name in ANGLES},
        sway=np.stack([rng.uniform(0, [3.0, 2.0, 8.0]), rng.uniform(0, math.tau, 3)], axis=1),
        yaw0=float(rng.uniform(0, math.tau)),
        yaw_rate=float(rng.uniform(-0.35, 0.35)),
        speed=float(rng.uniform(100, 300) if kind == "walk" else rng.uniform(0, 40)),
        origin=(float(rng.normal(0, 300)), float(rng.normal(0, 300))),
    )


def _walk(m: _Motion, w: float) -> dict[str, float]:
    a = m.amp
    out: dict[str, float] = {}
    for side, sign in (("r", 1.0), ("l", -1.0)):
        s = sign * math.sin(w)
        c = sign * math.cos(w)
        out |= {
            f"{side}_hip_flex": 28 * a * s,
            f"{side}_hip_abd": 3.0,
            f"{side}_knee": 5 + 50 * a * max(0.0, c) ** 1.5,
            f"{side}_sh_flex": -25 * a * s,  # arms swing against the legs
            f"{side}_sh_abd": 8.0,
            f"{side}_elbow": 15 + 20 * max(0.0, -s),
        }
    return out | {"lean": 5.0}


def _raise_arms(m: _Motion, w: float) -> dict[str, float]:
    out = {"l_knee": 4.0, "r_knee": 4.0, "l_hip_abd": 4.0, "r_hip_abd": 4.0}
    for side, shift in (("r", 0.0), ("l", math.pi if m.style == 2 else 0.0)):
        s = 0.5 - 0.5 * math.cos(w + shift)
        if m.style == 1:  # forward
            out |= {f"{side}_sh_flex": min(170.0, 10 + 155 * m.amp * s), f"{side}_sh_abd": 8.0}
        else:  # sideways, both together (0) or alternating (2)
            out |= {f"{side}_sh_abd": min(170.0, 10 + 150 * m.amp * s), f"{side}_sh_flex": 5.0}
        out[f"{side}_elbow"] = 10 + 20 * (1 - s)
    return out


def _squat_bend(m: _Motion, w: float) -> dict[str, float]:
    s = 0.5 - 0.5 * math.cos(w)
    if m.style == 0:  # bend forward from the hips, arms hanging
        lean = min(85.0, 75 * m.amp * s)
        legs = {"hip_flex": 8 * s, "knee": 10 * s}
        arms = {"sh_flex": lean, "sh_abd": 6.0, "elbow": 10.0}
        extra = {"lean": lean}
    else:  # squat, arms forward for balance
        legs = {"hip_flex": min(110.0, 95 * m.amp * s), "knee": min(130.0, 115 * m.amp * s), "hip_abd": 8.0}
        arms = {"sh_flex": 10 + 75 * s, "sh_abd": 6.0, "elbow": 10.0}
        extra = {"lean": 30 * s}
    out = {f"{side}_{k}": v for side in "lr" for k, v in legs.items()}
    out |= {f"{side}_{k}": v for side in "lr" for k, v in arms.items()}
    return out | extra


def _kick(m: _Motion, w: float) -> dict[str, float]:
    b = max(0.0, math.sin(w)) ** 2  # 0 standing .. 1 at the top of the kick
    leg, stance = ("l", "r") if m.style == 2 else ("r", "l")
    if m.style == 1:  # knee raise, balancing on one leg
        moving = {"hip_flex": 85 * m.amp * b, "knee": 95 * b, "hip_abd": 4.0}
    else:  # front kick: chamber, extend, return
        moving = {"hip_flex": -10 + 90 * m.amp * b, "knee": 15 + 55 * math.sin(math.pi * b), "hip_abd": 4.0}
    out = {f"{leg}_{k}": v for k, v in moving.items()}
    out |= {f"{stance}_hip_flex": 5.0, f"{stance}_knee": 10.0, f"{stance}_hip_abd": 3.0}
    for side in "lr":
        out |= {f"{side}_sh_abd": 35 + 25 * b, f"{side}_sh_flex": -10.0, f"{side}_elbow": 40.0}
    return out | {"lean": -10 * b}


_MOTION_FNS: dict[str, Callable[[_Motion, float], dict[str, float]]] = {
    "walk": _walk,
    "raise_arms": _raise_arms,
    "squat_bend": _squat_bend,
    "kick": _kick,
}


def _angles(m: _Motion, t: float) -> dict[str, float]:
    """Joint angles in degrees at time ``t`` (s): the action's motion, per-take offsets and sway."""
    raw = _MOTION_FNS[m.kind](m, math.tau * m.freq * t + m.phase)
    out = {name: raw.get(name, 0.0) + m.offsets[name] for name in ANGLES}
    for name, (amp, phase) in zip(("lean", "side_lean", "twist"), m.sway, strict=True):
        out[name] += amp * math.sin(math.tau * 0.37 * t + phase)
    return out


def _direction(side: float, abd: float, flex: float) -> np.ndarray:
    """Unit limb direction (x left, y up, z forward): hanging down, raised sideways by ``abd`` and
    forwards by ``flex`` degrees; ``side`` is +1 for left limbs, -1 for right ones."""
    a, f = math.radians(abd), math.radians(flex)
    return np.array([side * math.sin(a), -math.cos(a) * math.cos(f), math.cos(a) * math.sin(f)])


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _body_points(body: _Body, a: dict[str, float]) -> np.ndarray:
    """(17, 3) points in the body frame (pelvis at the origin, x left, y up, z forward); the 17th is
    the nose, used only for drawing."""
    p = np.zeros((NUM_JOINTS + 1, 3))
    for side, sign in (("l", 1.0), ("r", -1.0)):
        hip = np.array([sign * body.hip_half, 0.0, 0.0])
        flex, abd = a[f"{side}_hip_flex"], a[f"{side}_hip_abd"]
        knee = hip + body.thigh * _direction(sign, abd, flex)
        p[J[f"{side}_hip"]], p[J[f"{side}_knee"]] = hip, knee
        p[J[f"{side}_ankle"]] = knee + body.shin * _direction(sign, abd, flex - a[f"{side}_knee"])
    trunk = (
        _rot_y(math.radians(a["twist"]))
        @ _rot_z(math.radians(a["side_lean"]))
        @ _rot_x(math.radians(a["lean"]))
    )
    upper = np.zeros_like(p)
    upper[J["thorax"]] = (0.0, body.torso, 0.0)
    upper[J["neck"]] = (0.0, body.torso + body.neck, 0.0)
    upper[J["head_top"]] = (0.0, body.torso + body.neck + body.head, 0.0)
    upper[NOSE] = (0.0, body.torso + body.neck + 0.45 * body.head, 0.45 * body.head)
    for side, sign in (("l", 1.0), ("r", -1.0)):
        shoulder = np.array([sign * body.shoulder_half, body.torso, 0.0])
        flex, abd = a[f"{side}_sh_flex"], a[f"{side}_sh_abd"]
        elbow = shoulder + body.upper_arm * _direction(sign, abd, flex)
        upper[J[f"{side}_shoulder"]], upper[J[f"{side}_elbow"]] = shoulder, elbow
        upper[J[f"{side}_wrist"]] = elbow + body.forearm * _direction(sign, abd, flex + a[f"{side}_elbow"])
    moved = [J[n] for n in ("thorax", "neck", "head_top", "l_shoulder", "r_shoulder")]
    moved += [J[n] for n in ("l_elbow", "r_elbow", "l_wrist", "r_wrist")] + [NOSE]
    p[moved] = upper[moved] @ trunk.T
    return p


def _world_points(body: _Body, m: _Motion, t: float) -> np.ndarray:
    """(17, 3) world points in mm at time ``t``: posed, turned, moved, feet on the floor (y = 0)."""
    p = _body_points(body, _angles(m, t))
    p[:, 1] += body.ankle_h - min(p[J["l_ankle"], 1], p[J["r_ankle"], 1])
    p = p @ _rot_y(m.yaw0 + m.yaw_rate * t).T
    heading = np.array([math.sin(m.yaw0), 0.0, math.cos(m.yaw0)])
    return p + np.array([m.origin[0], 0.0, m.origin[1]]) + m.speed * t * heading


# ---------------------------------------------------------------- cameras


@dataclass(frozen=True)
class _Camera:
    """A pinhole looking at the person: world-to-camera rotation (rows right, down, forward)."""

    position: np.ndarray
    rotation: np.ndarray
    distance: float  # to the look-at point, mm


def _rig(seed: int, action: int, scene: int, cameras: int) -> list[tuple[float, float, float]]:
    """(yaw, distance mm, height mm) per camera of a scenario's studio; evenly spread yaws."""
    rng = np.random.default_rng([seed, 1, action, scene])
    offset = rng.uniform(0, math.tau)
    dist = rng.uniform(3500, 5500, MAX_CAMERAS)  # drawn for all 12, so fewer cameras keep theirs
    height = rng.uniform(900, 1900, MAX_CAMERAS)
    return [(offset + math.tau * c / cameras, float(dist[c]), float(height[c])) for c in range(cameras)]


def _look_at(yaw: float, distance: float, height: float, target: np.ndarray) -> _Camera:
    position = target + np.array([distance * math.sin(yaw), 0.0, distance * math.cos(yaw)])
    position[1] = height
    forward = (target - position) / np.linalg.norm(target - position)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    return _Camera(position, np.stack([right, down, forward]), float(np.linalg.norm(target - position)))


def _normalised(cam: _Camera, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points (..., 3) -> image-plane coordinates at focal 1 (..., 2) and depth (...)."""
    local = (points - cam.position) @ cam.rotation.T
    return local[..., :2] / local[..., 2:3], local[..., 2]


@dataclass(frozen=True)
class _Framing:
    focal: float  # px
    offset: np.ndarray  # principal point (2,) px
    person_px: float  # standing height in px at the look-at distance


def _frame_person(
    uv: np.ndarray,
    cam: _Camera,
    height: float,
    size: tuple[int, int],
    cropped: bool,
    rng: np.random.Generator,
) -> _Framing:
    """Zoom and aim so the whole motion ``uv`` (T, 17, 2) fits, off-centre; or, for a cropped clip,
    so that 15-40% of its extent on one side falls outside the image."""
    w, h = size
    lo, hi = uv.reshape(-1, 2).min(0), uv.reshape(-1, 2).max(0)
    extent = hi - lo
    margin = 0.04 * h
    wanted = rng.uniform(*FILL_RANGE) * h * cam.distance / height
    focal = min(wanted, (w - 1 - 2 * margin) / extent[0], (h - 1 - 2 * margin) / extent[1])
    room_lo = margin - focal * lo
    room_hi = np.array([w - 1, h - 1]) - margin - focal * hi
    offset = rng.uniform(room_lo, np.maximum(room_lo, room_hi))  # equal when the fit is tight (rounding)
    side = int(rng.choice(4, p=[0.5, 0.1, 0.2, 0.2]))  # drawn always, so clips do not depend on others
    cut = rng.uniform(0.15, 0.4) * focal * extent
    if cropped:
        axis = 1 if side < 2 else 0
        if side in (0, 3):  # bottom / right: push past the far border
            offset[axis] = [w - 1, h - 1][axis] - focal * hi[axis] + cut[axis]
        else:  # top / left
            offset[axis] = -focal * lo[axis] - cut[axis]
    return _Framing(float(focal), offset, float(focal * height / cam.distance))


# ---------------------------------------------------------------- drawing


@dataclass(frozen=True)
class _Look:
    """Per-take colours (BGR)."""

    left: BGR
    right: BGR
    shirt: BGR
    skin: BGR
    face: BGR


def _hsv(hue: float, sat: float, val: float) -> BGR:
    pixel = np.array([[[round(hue) % 180, round(sat), round(val)]]], dtype=np.uint8)
    b, g, r = (int(c) for c in cv2.cvtColor(pixel, cv2.COLOR_HSV2BGR)[0, 0])
    return (b, g, r)


def _random_look(rng: np.random.Generator) -> _Look:
    """Left limbs blue-green, right limbs red-orange: shades vary, the sides never swap."""
    skin = rng.uniform([8, 60, 120], [18, 140, 235])
    return _Look(
        left=_hsv(rng.uniform(85, 125), rng.uniform(160, 255), rng.uniform(170, 255)),
        right=_hsv(rng.uniform(-8, 15), rng.uniform(170, 255), rng.uniform(170, 255)),
        shirt=_hsv(rng.uniform(0, 180), rng.uniform(0, 120), rng.uniform(60, 230)),
        skin=_hsv(*skin),
        face=_hsv(skin[0], skin[1], skin[2] * 0.4),
    )


def _darker(color: BGR, factor: float) -> BGR:
    b, g, r = color
    return (int(b * factor), int(g * factor), int(r * factor))


def _smooth_noise(rng: np.random.Generator, w: int, h: int, cells: int) -> np.ndarray:
    """Low-frequency noise (h, w, 3) in about [-1, 1]."""
    small = rng.uniform(-1, 1, (max(2, cells * h // w), cells, 3)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _background(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A muted wall over a floor with smooth texture, a sideways light gradient and a few shapes."""
    w, h = size
    grey = rng.uniform(70, 190)
    wall, floor = (grey + rng.uniform(0.35, 0.7) * (rng.uniform(40, 220, 3) - grey) for _ in range(2))
    horizon = rng.uniform(0.45, 0.75) * h
    mix = np.clip((np.arange(h, dtype=np.float32)[:, None, None] - horizon) / (0.06 * h) + 0.5, 0, 1)
    img = wall * (1 - mix) + floor * mix + np.zeros((1, w, 1), np.float32)
    img += rng.normal(0, 25) * (np.arange(w, dtype=np.float32)[None, :, None] / w - 0.5)
    img += 22 * _smooth_noise(rng, w, h, 5) + 8 * _smooth_noise(rng, w, h, 24)
    out = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(2, 6))):
        color = tuple(int(c) for c in rng.integers(30, 226, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        sx, sy = (int(v) for v in rng.integers(max(4, w // 20), max(5, w // 4), 2))
        shape = int(rng.integers(3))
        if shape == 0:
            cv2.rectangle(out, (x, y), (x + sx, y + sy), color, -1)
        elif shape == 1:
            cv2.ellipse(
                out, (x, y), (sx // 2, sy // 2), float(rng.uniform(0, 180)), 0, 360, color, -1, cv2.LINE_AA
            )
        else:
            cv2.line(out, (x, y), (x + sx, y - sy), color, int(rng.integers(1, 4)), cv2.LINE_AA)
    return out


_SHIFT = 4  # sub-pixel drawing: coordinates times 2**_SHIFT


def _fixed(xy: np.ndarray) -> tuple[int, int]:
    return int(round(xy[0] * (1 << _SHIFT))), int(round(xy[1] * (1 << _SHIFT)))


def _edge_color(a: int, b: int, look: _Look) -> BGR:
    names = JOINTS[a] + JOINTS[b]
    leg = any(n in names for n in ("ankle", "knee"))
    if "l_" in names:
        return _darker(look.left, 0.75) if leg else look.left
    if "r_" in names:
        return _darker(look.right, 0.75) if leg else look.right
    return _darker(look.shirt, 0.8)


def _draw_person(
    img: np.ndarray, pix: np.ndarray, depth: np.ndarray, focal: float, head: float, look: _Look, thick: int
) -> None:
    """Torso, limbs and head, far to near; ``pix`` (17, 2) px and ``depth`` (17,) mm."""
    items: list[tuple[float, int, Callable[[], None]]] = []
    for i, (a, b) in enumerate(SKELETON):
        color = _edge_color(a, b, look)

        def limb(a: int = a, b: int = b, color: BGR = color) -> None:
            cv2.line(img, _fixed(pix[a]), _fixed(pix[b]), color, thick, cv2.LINE_AA, _SHIFT)

        items.append((float(depth[a] + depth[b]) / 2, i, limb))
    torso = [J["l_shoulder"], J["r_shoulder"], J["r_hip"], J["l_hip"]]

    def chest() -> None:
        poly = np.array([_fixed(pix[j]) for j in torso], np.int32)
        cv2.fillPoly(img, [poly], look.shirt, cv2.LINE_AA, _SHIFT)

    items.append((float(depth[torso].mean()) + 1.0, len(items), chest))  # behind its own border lines
    centre = (pix[J["neck"]] + pix[J["head_top"]]) / 2
    centre_depth = float(depth[J["neck"]] + depth[J["head_top"]]) / 2
    radius = max(2.0, focal * head / 2 / centre_depth)

    def face() -> None:
        cv2.circle(img, _fixed(centre), int(radius * (1 << _SHIFT)), look.skin, -1, cv2.LINE_AA, _SHIFT)
        if depth[NOSE] < centre_depth:  # facing the camera
            dot = int(max(1.0, radius / 3) * (1 << _SHIFT))
            cv2.circle(img, _fixed(pix[NOSE]), dot, look.face, -1, cv2.LINE_AA, _SHIFT)

    items.append((centre_depth, len(items), face))
    for _, _, draw in sorted(items, key=lambda item: (-item[0], item[1])):
        draw()


# ---------------------------------------------------------------- annotations


@dataclass(frozen=True)
class _Box:
    """An opaque occluding rectangle; corners inclusive, as ``cv2.rectangle`` fills them."""

    x1: int
    y1: int
    x2: int
    y2: int
    color: BGR

    def covers(self, x: float, y: float) -> bool:
        return self.x1 <= x <= self.x2 and self.y1 <= y <= self.y2


def _inside(x: float, y: float, size: tuple[int, int]) -> bool:
    return 0.0 <= x <= size[0] - 1 and 0.0 <= y <= size[1] - 1


def _occluder(
    pix: np.ndarray, size: tuple[int, int], person_px: float, rng: np.random.Generator
) -> _Box | None:
    """A box over part of the body near a random in-frame joint; None if no joint is in frame."""
    present = [j for j in range(NUM_JOINTS) if _inside(pix[j, 0], pix[j, 1], size)]
    if not present:
        return None
    cx, cy = pix[present[int(rng.integers(len(present)))]]
    bw, bh = rng.uniform([0.18, 0.15], [0.45, 0.4]) * person_px
    cx, cy = cx + rng.uniform(-0.3, 0.3) * bw, cy + rng.uniform(-0.3, 0.3) * bh
    b, g, r = (int(c) for c in rng.integers(20, 236, 3))
    return _Box(int(cx - bw / 2), int(cy - bh / 2), int(cx + bw / 2), int(cy + bh / 2), (b, g, r))


def _keypoints(
    pix: np.ndarray, box: _Box | None, size: tuple[int, int]
) -> tuple[list[float | int], list[int]]:
    """Flat ``[x, y, flag] * 16`` (2 decimals) and the flags: out of the image 0 (at 0, 0), under the
    occluding box 1, else 2."""
    flat: list[float | int] = []
    flags = []
    for j in range(NUM_JOINTS):
        x, y = round(float(pix[j, 0]), 2), round(float(pix[j, 1]), 2)
        if not _inside(x, y, size):
            x, y, flag = 0.0, 0.0, FLAG_ABSENT
        elif box is not None and box.covers(x, y):
            flag = FLAG_OCCLUDED
        else:
            flag = FLAG_VISIBLE
        flat += [x, y, flag]
        flags.append(flag)
    return flat, flags


def _bbox(pix: np.ndarray, flags: list[int], size: tuple[int, int]) -> list[float]:
    """Tight box of the in-frame joints, padded by 8% of the person's projected height, clipped."""
    present = [j for j in range(NUM_JOINTS) if flags[j] != FLAG_ABSENT]
    pts = pix[present] if present else np.clip(pix[:NUM_JOINTS], 0, [size[0] - 1, size[1] - 1])
    pad = 0.08 * float(np.ptp(pix[:NUM_JOINTS, 1]))
    x1, y1 = pts.min(0) - pad
    x2, y2 = pts.max(0) + pad
    return [
        round(float(np.clip(x1, 0, size[0])), 2),
        round(float(np.clip(y1, 0, size[1])), 2),
        round(float(np.clip(x2, 0, size[0])), 2),
        round(float(np.clip(y2, 0, size[1])), 2),
    ]


def _write_json(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class _Options:
    actions: tuple[int, ...]
    scenes_per_action: int
    takes_per_scenario: int
    cameras: int
    frames_per_clip: int
    size: tuple[int, int]  # (width, height): PIL's, OpenCV's and the label JSON's order
    video_fps: int
    with_3d_fraction: float
    write_frames: bool
    write_videos: bool
    seed: int

    @property
    def step(self) -> int:
        """Video frames per annotated frame."""
        return self.video_fps // ANNOTATED_FPS


def _positive_int(name: str, value: object, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value!r}")
    return int(value)


def _options(
    actions: Sequence[int],
    scenes_per_action: int,
    takes_per_scenario: int,
    cameras: int,
    frames_per_clip: int,
    image_size: int | Sequence[int],
    video_fps: int,
    with_3d_fraction: float,
    write_frames: bool,
    write_videos: bool,
    seed: int,
) -> _Options:
    """Validate the writer's arguments."""
    if isinstance(actions, str | bytes) or not isinstance(actions, Sequence) or not actions:
        raise ValueError(f"actions must be a non-empty sequence of action numbers, got {actions!r}")
    acts = tuple(_positive_int("each action", a, 99) for a in actions)
    if len(set(acts)) != len(acts):
        raise ValueError(f"actions must be distinct, got {list(actions)}")
    video_fps = _positive_int("video_fps", video_fps)
    if video_fps % ANNOTATED_FPS:
        raise ValueError(f"video_fps must be a multiple of {ANNOTATED_FPS}, got {video_fps}")
    if not 0.0 <= with_3d_fraction <= 1.0:
        raise ValueError(f"with_3d_fraction must be in [0, 1], got {with_3d_fraction}")
    if not (write_frames or write_videos):
        raise ValueError("at least one of write_frames and write_videos must be true")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    height, width = image_size_pair(image_size, 64)
    if write_videos and (height % 2 or width % 2):
        raise ValueError(f"image_size must be even for mp4 videos, got [{height}, {width}]")
    return _Options(
        actions=acts,
        scenes_per_action=_positive_int("scenes_per_action", scenes_per_action, 99),
        takes_per_scenario=_positive_int("takes_per_scenario", takes_per_scenario, MAX_TAKES),
        cameras=_positive_int("cameras", cameras, MAX_CAMERAS),
        frames_per_clip=_positive_int("frames_per_clip", frames_per_clip, 9999),
        size=(width, height),
        video_fps=video_fps,
        with_3d_fraction=float(with_3d_fraction),
        write_frames=bool(write_frames),
        write_videos=bool(write_videos),
        seed=int(seed),
    )


@dataclass(frozen=True)
class _Take:
    action: int
    scene: int
    take: int
    with_3d: bool
    cropped: frozenset[int]  # cameras aimed so that part of the person is outside the image

    @property
    def scenario(self) -> str:
        return f"{self.action}-{self.scene}"


def _plan(o: _Options) -> list[_Take]:
    """Every take, which get 3D and which clips are cropped: each decided by its own draw, plus at
    least one 3D take (if the fraction is > 0) and one cropped clip (if there are >= 4 clips)."""
    keys = [(a, s, t) for a in o.actions for s in range(1, o.scenes_per_action + 1)
            for t in range(1, o.takes_per_scenario + 1)]  # fmt: skip
    u3d = [np.random.default_rng([o.seed, 4, *k]).random() for k in keys]
    ucrop = [np.random.default_rng([o.seed, 5, *k]).random(MAX_CAMERAS)[: o.cameras] for k in keys]
    with_3d = [u < o.with_3d_fraction for u in u3d]
    if o.with_3d_fraction > 0 and not any(with_3d):
        with_3d[int(np.argmin(u3d))] = True
    cropped = [{int(c) for c in np.flatnonzero(u < CROPPED_FRACTION) + 1} for u in ucrop]
    if len(keys) * o.cameras >= 4 and not any(cropped):
        flat = int(np.argmin(np.concatenate(ucrop)))
        cropped[flat // o.cameras].add(flat % o.cameras + 1)
    return [
        _Take(a, s, t, w3, frozenset(int(c) for c in crop))
        for (a, s, t), w3, crop in zip(keys, with_3d, cropped, strict=True)
    ]


def _write_take(root: Path, o: _Options, take: _Take) -> None:
    """Pose the take's person over time, write its 3D file (if chosen) and one clip per camera."""
    rng = np.random.default_rng([o.seed, 2, take.action, take.scene, take.take])
    body, motion, look = _random_body(rng), _random_motion(take.action, rng), _random_look(rng)
    times = np.arange(o.frames_per_clip * o.step) / o.video_fps  # every video frame
    world = np.stack([_world_points(body, motion, float(t)) for t in times])  # (T, 17, 3)
    # the framing sees the motion on a fixed time grid, so labels do not depend on video_fps
    grid = np.arange(o.frames_per_clip * FRAMING_FPS // ANNOTATED_FPS) / FRAMING_FPS
    span = np.stack([_world_points(body, motion, float(t)) for t in grid])
    if take.with_3d:
        name = f"{take.scenario}_{take.take:03d}_3D.json"
        anns = [
            {
                "img_no": k + 1,
                "keypoints_3d": [round(float(v), 1) for v in world[k * o.step, :NUM_JOINTS].ravel()],
            }
            for k in range(o.frames_per_clip)
        ]
        _write_json(root / ANNOTATION_3D_DIR / take.scenario / name, {"annotations": anns})
    target = span[:, :NUM_JOINTS].reshape(-1, 3).mean(0)
    for camera, (yaw, dist, height) in enumerate(_rig(o.seed, take.action, take.scene, o.cameras), start=1):
        cam = _look_at(yaw, dist, height, target)
        _write_clip(root, o, take, camera, cam, world, span, body, look)


def _write_clip(
    root: Path,
    o: _Options,
    take: _Take,
    camera: int,
    cam: _Camera,
    world: np.ndarray,
    span: np.ndarray,
    body: _Body,
    look: _Look,
) -> None:
    """Frame the person for this camera, then write the 2D JSON, the JPEGs and the mp4."""
    rng = np.random.default_rng([o.seed, 3, take.action, take.scene, take.take, camera])
    uv, depth = _normalised(cam, world)
    framing = _frame_person(_normalised(cam, span)[0], cam, body.height, o.size, camera in take.cropped, rng)
    pix = framing.focal * uv + framing.offset  # (T, 17, 2)
    background = _background(rng, o.size)
    boxes = []
    for k in range(o.frames_per_clip):
        hit = rng.random() < OCCLUSION_RATE
        boxes.append(_occluder(pix[k * o.step], o.size, framing.person_px, rng) if hit else None)
    clip = clip_name(take.scenario, take.take, camera)
    images, annotations = [], []
    for k in range(o.frames_per_clip):
        flat, flags = _keypoints(pix[k * o.step], boxes[k], o.size)
        images.append(
            {
                "img_no": k + 1,
                "img_path": f"{take.scenario}/{clip}/{clip}_{k + 1:04d}.jpg",
                "width": o.size[0],
                "height": o.size[1],
                "action_category": take.action,
            }
        )
        annotations.append(
            {"img_no": k + 1, "bbox": _bbox(pix[k * o.step], flags, o.size), "keypoints": flat}
        )
    ann_path = root / ANNOTATION_2D_DIR / take.scenario / f"{clip}{ANNOTATION_2D_SUFFIX}"
    _write_json(ann_path, {"images": images, "annotations": annotations})

    thick = max(2, round(0.045 * framing.person_px))

    def render(j: int) -> np.ndarray:
        img = background.copy()
        _draw_person(img, pix[j], depth[j], framing.focal, body.head, look, thick)
        box = boxes[j // o.step]
        if box is not None:
            cv2.rectangle(img, (box.x1, box.y1), (box.x2, box.y2), box.color, -1)
        return img

    action_dir = f"image_action_{take.action}"
    frame_dir = root / IMAGE_DIR / action_dir / f"image_{take.scenario}" / take.scenario / clip
    writer = None
    if o.write_videos:
        video = root / VIDEO_DIR / f"video_action_{take.action}" / take.scenario / f"{clip}.mp4"
        video.parent.mkdir(parents=True, exist_ok=True)
        writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), o.video_fps, o.size)
        if not writer.isOpened():
            raise RuntimeError(f"OpenCV cannot write mp4v video {video}")
    try:
        for j in range(len(world)):
            annotated = j % o.step == 0
            if not (writer or annotated):
                continue
            img = render(j)
            if writer is not None:
                writer.write(img)
            if annotated and o.write_frames:
                frame_dir.mkdir(parents=True, exist_ok=True)
                ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                if not ok:
                    raise RuntimeError(f"OpenCV cannot encode JPEG frames for {clip}")
                (frame_dir / f"{clip}_{j // o.step + 1:04d}.jpg").write_bytes(data.tobytes())
    finally:
        if writer is not None:
            writer.release()


def write_synthetic_human_motion(
    out_dir: str | Path,
    *,
    actions: Sequence[int] = (1, 2, 3, 4),
    scenes_per_action: int = 1,
    takes_per_scenario: int = 3,
    cameras: int = 4,
    frames_per_clip: int = 6,
    image_size: int | Sequence[int] = (144, 192),
    video_fps: int = 6,
    with_3d_fraction: float = 0.1,
    write_frames: bool = True,
    write_videos: bool = True,
    seed: int = 0,
) -> Path:
    """Write a synthetic human-motion twin in the real layout under ``out_dir`` and return it.

    One take per ``(action, scene, take)``, filmed by ``cameras`` (<= 12) synchronised cameras for
    ``frames_per_clip`` annotated frames at 3 fps; ``image_size`` is ``[height, width]``; videos run at
    ``video_fps`` (a multiple of 3). About ``with_3d_fraction`` of the takes get a 3D file. Same
    arguments, same bytes.
    """
    o = _options(
        actions,
        scenes_per_action,
        takes_per_scenario,
        cameras,
        frames_per_clip,
        image_size,
        video_fps,
        with_3d_fraction,
        write_frames,
        write_videos,
        seed,
    )
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    for take in _plan(o):
        _write_take(root, o, take)
    return root


# ---------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments in canonical form (what names a cached twin; see ``DatasetSpec``)."""
    o = _options(**kwargs)
    return {
        "actions": list(o.actions),
        "scenes_per_action": o.scenes_per_action,
        "takes_per_scenario": o.takes_per_scenario,
        "cameras": o.cameras,
        "frames_per_clip": o.frames_per_clip,
        "image_size": [o.size[1], o.size[0]],  # [height, width]
        "video_fps": o.video_fps,
        "with_3d_fraction": o.with_3d_fraction,
        "write_frames": o.write_frames,
        "write_videos": o.write_videos,
        "seed": o.seed,
    }


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth human_motion``: about ``samples`` frames of 4 actions x 4 cameras x 6
    frames per clip; the number of takes per action follows."""
    return {"takes_per_scenario": max(1, round(samples / (4 * 4 * 6))), "frames_per_clip": 6}


def remove_one_frame(root: Path) -> Path:
    """Delete the first frame JPEG of a twin and its clip's video (nothing to decode it from) and
    return the frame's path."""
    frame = min(Path(root).rglob("*.jpg"))
    for video in Path(root).rglob(f"{frame.parent.name}.mp4"):
        video.unlink()
    frame.unlink()
    return frame
