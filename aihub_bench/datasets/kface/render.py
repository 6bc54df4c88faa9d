"""Drawing of the K-Face twin's synthetic faces (PIL): an identity's look under one condition.

Each identity draws continuous face parameters from its own seed (:func:`identity_look`): face
width and height, skin tone, hair colour, shape and volume, eye spacing and size, iris colour, brow
thickness and slant, nose length, mouth width and lip colour. An embedding that measures them
generalises to identities it never saw. The condition changes the picture around the identity
(:func:`render_face`): accessory overlays (``layout.ACCESSORY_ITEMS``), a light level and lateral
gradient (``layout.LIGHT_SETTINGS``), the expression (mouth curve, eye openness, brows) and the
camera's yaw (``layout.CAMERA_YAW``: features shift and the face narrows), plus a jitter of ±3 px
and pixel noise drawn per image, so no two images are identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from aihub_bench.datasets.kface.layout import ACCESSORY_ITEMS, CAMERA_YAW, LIGHT_SETTINGS

BACKGROUND = (186, 188, 192)
Rgb = tuple[int, int, int]


@dataclass(frozen=True)
class Look:
    """An identity's face, in fractions of the image size (``S``) or of the face's half-width."""

    half_width: float
    half_height: float
    skin: Rgb
    hair: Rgb
    hair_style: int  # 0 short, 1 long, 2 side-swept
    hair_volume: float
    fringe: float
    eye_spacing: float
    eye_size: float
    eye_height: float
    iris: Rgb
    brow_thickness: int
    brow_slant: float
    nose_length: float
    mouth_width: float
    mouth_height: float
    lips: Rgb


def _mix(a: Rgb, b: Rgb, t: float, rng: np.random.Generator, jitter: float) -> Rgb:
    return tuple(  # type: ignore[return-value]
        int(np.clip(x + (y - x) * t + rng.uniform(-jitter, jitter), 0, 255))
        for x, y in zip(a, b, strict=True)
    )


def identity_look(rng: np.random.Generator) -> Look:
    """A stable random look (call with a generator seeded by the identity)."""
    return Look(
        half_width=rng.uniform(0.19, 0.27),
        half_height=rng.uniform(0.26, 0.33),
        skin=_mix((246, 214, 186), (150, 100, 72), rng.uniform(0, 1), rng, 12),
        hair=_mix((150, 100, 50), (15, 12, 10), rng.uniform(0, 1), rng, 25),
        hair_style=int(rng.integers(0, 3)),
        hair_volume=rng.uniform(0.02, 0.08),
        fringe=rng.uniform(0.2, 0.55),
        eye_spacing=rng.uniform(0.32, 0.5),
        eye_size=rng.uniform(0.028, 0.048),
        eye_height=rng.uniform(0.04, 0.11),
        iris=_mix((110, 75, 40), (20, 15, 10), rng.uniform(0, 1), rng, 15),
        brow_thickness=int(rng.integers(1, 4)),
        brow_slant=rng.uniform(-0.35, 0.35),
        nose_length=rng.uniform(0.07, 0.14),
        mouth_width=rng.uniform(0.26, 0.48),
        mouth_height=rng.uniform(0.13, 0.2),
        lips=_mix((200, 110, 110), (130, 60, 60), rng.uniform(0, 1), rng, 10),
    )


def _scale(colour: Rgb, factor: float) -> Rgb:
    return tuple(int(np.clip(c * factor, 0, 255)) for c in colour)  # type: ignore[return-value]


Box = tuple[float, float, float, float]


@dataclass
class Drawn:
    """A rendered face and where its parts are (x, y, w, h boxes and (x, y) points, in pixels)."""

    image: Image.Image
    boxes: dict[str, Box]
    landmarks: dict[str, tuple[float, float]]


def render_face(
    look: Look,
    accessory: str,
    light: str,
    expression: str,
    camera: str,
    size: int,
    rng: np.random.Generator,
) -> Drawn:
    """One image of ``look`` under the condition codes; ``rng`` draws the per-image jitter and noise."""
    s = float(size)
    yaw = math.radians(CAMERA_YAW[camera])
    cx = s / 2 + int(rng.integers(-3, 4))
    cy = s * 0.54 + int(rng.integers(-3, 4))
    a0, b = look.half_width * s, look.half_height * s
    a = a0 * (0.7 + 0.3 * math.cos(yaw))  # the face narrows with |yaw|
    shift = math.sin(yaw) * a * 0.5  # features move towards the side the head turns to
    spread = 0.35 + 0.65 * math.cos(yaw)  # and crowd together (foreshortening)
    image = Image.new("RGB", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(image)
    v = look.hair_volume * s

    # neck, hair behind the head, ears, head
    draw.rectangle((cx - 0.38 * a, cy + 0.6 * b, cx + 0.38 * a, s), fill=_scale(look.skin, 0.85))
    back_bottom = cy + (0.9 * b if look.hair_style == 1 else 0.1 * b)
    draw.rounded_rectangle((cx - a - v, cy - b - v, cx + a + v, back_bottom), radius=a, fill=look.hair)
    ear_w, ear_h = 0.16 * a0, 0.2 * b
    ears = {"right_ear": cx - a - 0.3 * ear_w + shift * 0.3, "left_ear": cx + a + 0.3 * ear_w + shift * 0.3}
    hidden = "left_ear" if yaw > math.radians(30) else "right_ear" if yaw < -math.radians(30) else None
    boxes: dict[str, Box] = {}
    landmarks: dict[str, tuple[float, float]] = {}
    for name, ex in ears.items():
        box = (ex - ear_w, cy - ear_h, 2 * ear_w, 2 * ear_h)
        boxes[name] = box
        landmarks[name] = (ex, cy)
        if name != hidden:
            draw.ellipse((box[0], box[1], box[0] + box[2], box[1] + box[3]), fill=_scale(look.skin, 0.92))
    draw.ellipse((cx - a, cy - b, cx + a, cy + b), fill=look.skin)
    boxes["face"] = (cx - a, cy - b, 2 * a, 2 * b)

    # fringe: the top of the hair over the forehead
    f = look.fringe * b
    sweep = 0.35 * a if look.hair_style == 2 else 0.0
    draw.chord((cx - a - 1 + sweep, cy - b - v, cx + a + 1 + sweep, cy - b + 2 * f), 180, 360, fill=look.hair)

    # eyes and brows
    openness = {"E01": 1.0, "E02": 0.75, "E03": 0.55}.get(expression, 1.0)
    ew = look.eye_size * s * 1.4 * (0.75 + 0.25 * math.cos(yaw))
    eh = look.eye_size * s * openness
    ey = cy - look.eye_height * s
    brow_drop = 0.35 * eh if expression == "E03" else 0.0
    for name, side in (("right_eye", -1), ("left_eye", 1)):
        ex = cx + shift + side * look.eye_spacing * a * spread
        boxes[name] = (ex - ew, ey - eh, 2 * ew, 2 * eh)
        landmarks[name] = (ex, ey)
        draw.ellipse((ex - ew, ey - eh, ex + ew, ey + eh), fill=(245, 245, 245))
        r = min(eh, ew) * 0.8
        draw.ellipse((ex - r + shift * 0.1, ey - r, ex + r + shift * 0.1, ey + r), fill=look.iris)
        slant = side * look.brow_slant * ew + (side * 0.3 * ew if expression == "E03" else 0.0)
        by = ey - eh - 0.03 * s + brow_drop
        draw.line(
            (ex - ew, by - slant, ex + ew, by + slant), fill=_scale(look.hair, 0.9), width=look.brow_thickness
        )

    # nose
    nx, nlen = cx + shift * 1.25, look.nose_length * s
    draw.line((nx - shift * 0.1, ey + 0.3 * eh, nx, ey + nlen), fill=_scale(look.skin, 0.7), width=2)
    draw.line((nx - 0.07 * a, ey + nlen, nx + 0.07 * a, ey + nlen), fill=_scale(look.skin, 0.65), width=2)
    boxes["nose"] = (nx - 0.1 * a, ey, 0.2 * a, nlen + 2)
    landmarks["nose_tip"] = (nx, ey + nlen)

    # mouth: straight (neutral), curved up (smile), curved down (frown)
    mx, my = cx + shift, cy + look.mouth_height * s
    mw = look.mouth_width * a * (0.8 + 0.2 * math.cos(yaw)) * (1.15 if expression == "E02" else 1.0)
    mh = 0.35 * mw
    if expression == "E02":
        draw.arc((mx - mw, my - mh, mx + mw, my + mh), 10, 170, fill=look.lips, width=3)
    elif expression == "E03":
        draw.arc((mx - mw, my, mx + mw, my + 2 * mh), 200, 340, fill=look.lips, width=3)
    else:
        draw.line((mx - mw, my, mx + mw, my), fill=look.lips, width=3)
    boxes["mouth"] = (mx - mw, my - mh, 2 * mw, 2 * mh)
    landmarks["right_mouth_corner"] = (mx - mw, my)
    landmarks["left_mouth_corner"] = (mx + mw, my)

    _accessories(draw, ACCESSORY_ITEMS[accessory], boxes, cx, cy, a, b, ey, nlen, s)
    pixels = _light(np.asarray(image, dtype=np.float32), light, rng)
    return Drawn(Image.fromarray(pixels), boxes, landmarks)


def _accessories(
    draw: ImageDraw.ImageDraw,
    items: tuple[str, ...],
    boxes: dict[str, Box],
    cx: float,
    cy: float,
    a: float,
    b: float,
    ey: float,
    nose: float,
    s: float,
) -> None:
    eyes = [boxes["right_eye"], boxes["left_eye"]]
    for item in items:
        if item in ("glasses", "sunglasses"):
            for x, _y, w, h in eyes:
                ex, r = x + w / 2, max(w, h) * 0.75
                box = (ex - r, ey - r * 0.8, ex + r, ey + r * 0.8)
                if item == "sunglasses":
                    draw.ellipse(box, fill=(22, 22, 26))
                else:
                    draw.ellipse(box, outline=(35, 35, 35), width=2)
            (x1, _, w1, _), (x2, _, _, _) = eyes
            draw.line((x1 + w1, ey, x2, ey), fill=(35, 35, 35), width=2)
        elif item == "hat":
            top = cy - b - 0.06 * s
            draw.rectangle(
                (cx - a * 1.25, cy - b + 0.22 * b, cx + a * 1.25, cy - b + 0.32 * b), fill=(38, 58, 118)
            )
            draw.chord((cx - a, top - 0.25 * b, cx + a, cy - b + 0.6 * b), 180, 360, fill=(38, 58, 118))
        elif item == "mask":
            y1 = ey + nose * 0.55
            draw.rounded_rectangle(
                (cx - a * 0.88, y1, cx + a * 0.88, cy + b * 0.92), radius=0.25 * a, fill=(222, 228, 236)
            )
            draw.line((cx - a * 0.88, y1 + 2, cx - a, cy - 0.05 * b), fill=(200, 205, 212), width=1)
            draw.line((cx + a * 0.88, y1 + 2, cx + a, cy - 0.05 * b), fill=(200, 205, 212), width=1)


def _light(pixels: np.ndarray, light: str, rng: np.random.Generator) -> np.ndarray:
    """The light's level and lateral gradient, then sensor noise (stronger in the dark)."""
    level, direction = LIGHT_SETTINGS[light]
    width = pixels.shape[1]
    x = np.linspace(-1.0, 1.0, width, dtype=np.float32)
    gain = level * (1.0 + 0.45 * direction * x)
    noise = rng.normal(0.0, 3.0 / max(level, 0.3) ** 0.5, size=pixels.shape[:2]).astype(np.float32)
    out = pixels * gain[None, :, None] + noise[:, :, None]
    return np.clip(out, 0, 255).astype(np.uint8)
