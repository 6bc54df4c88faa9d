"""Where things live in the 한국인 안면 이미지 (K-Face) release, and what its condition codes mean.

    <resolution>/<8-digit id>/S001..S006/L1..L30/E01..E03/C1..C20.jpg     [C] (FORMATS.md §7)
    <resolution> = High (public code) or High_Resolution (also seen)     [A] reader option
    <id>/S001/L1/E0x/C#.txt   annotation beside its image                 [A] line format: reader options

S is the accessory, L the light, E the expression and C the camera. The codes are [C]; what each
code *shows* is only partly published, so every human name below that FORMATS.md does not confirm
is marked [A] (S001 = none and C7 = frontal are stated there, also as assumptions). The tables of
drawing parameters (accessory overlays, light level and direction, camera yaw) are what the
synthetic twin renders; they are [A] and matter only for the twin.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from aihub_bench.records import FACE_FACTORS

ACCESSORIES: tuple[str, ...] = tuple(f"S{i:03d}" for i in range(1, 7))
LIGHTS: tuple[str, ...] = tuple(f"L{i}" for i in range(1, 31))
EXPRESSIONS: tuple[str, ...] = tuple(f"E{i:02d}" for i in range(1, 4))
CAMERAS: tuple[str, ...] = tuple(f"C{i}" for i in range(1, 21))

#: factor -> its valid codes, in release order.
CONDITION_CODES: dict[str, tuple[str, ...]] = {
    "accessory": ACCESSORIES,
    "light": LIGHTS,
    "expression": EXPRESSIONS,
    "camera": CAMERAS,
}
#: factor -> the letter its codes start with (also the path level: S, L, E, C).
FACTOR_LETTERS: dict[str, str] = {"accessory": "S", "light": "L", "expression": "E", "camera": "C"}
FACTOR_TITLES: dict[str, str] = {
    "accessory": "accessory (S)",
    "light": "light (L)",
    "expression": "expression (E)",
    "camera": "camera (C)",
}
assert tuple(CONDITION_CODES) == FACE_FACTORS

#: [A] which overlays each accessory code means (the twin draws them; S001 = none is in FORMATS.md).
ACCESSORY_ITEMS: dict[str, tuple[str, ...]] = {
    "S001": (),
    "S002": ("glasses",),
    "S003": ("sunglasses",),
    "S004": ("hat",),
    "S005": ("hat", "glasses"),
    "S006": ("mask",),
}

#: [A] light level (1 = bright) and lateral direction (-1 lit from the left .. 1 from the right).
#: L1 bright and even, L7 dark; the rest cycle through directions at falling levels.
_DIRECTIONS = (-1.0, -0.5, 0.5, 1.0, 0.0)
LIGHT_SETTINGS: dict[str, tuple[float, float]] = {
    code: (1.0, 0.0)
    if code == "L1"
    else (0.35, 0.0)
    if code == "L7"
    else (round(1.0 - 0.02 * i, 2), _DIRECTIONS[i % len(_DIRECTIONS)])
    for i, code in enumerate(LIGHTS)
}

#: [A] camera yaw in degrees: C1..C13 sweep -90..+90 in 15° steps with C7 frontal (FORMATS.md's
#: assumption); C14..C20 repeat the -45..+45 sweep (the release's upper ring, drawn without pitch).
CAMERA_YAW: dict[str, float] = {
    **{f"C{i}": 15.0 * (i - 7) for i in range(1, 14)},
    **{f"C{i}": 15.0 * (i - 17) for i in range(14, 21)},
}

CONDITION_NAMES: dict[str, dict[str, str]] = {
    "accessory": {
        "S001": "none",
        "S002": "glasses [A]",
        "S003": "sunglasses [A]",
        "S004": "hat [A]",
        "S005": "hat and glasses [A]",
        "S006": "mask [A]",
    },
    "light": {
        code: "bright, even [A]" if code == "L1" else "dark [A]" if code == "L7" else f"light {code[1:]} [A]"
        for code in LIGHTS
    },
    "expression": {"E01": "neutral [A]", "E02": "smile [A]", "E03": "frown [A]"},
    "camera": {
        code: "frontal [A]" if yaw == 0 else f"yaw {yaw:+.0f}° [A]" for code, yaw in CAMERA_YAW.items()
    },
}


def condition_names() -> dict[str, dict[str, str]]:
    """A copy of :data:`CONDITION_NAMES` (what ``dataset.condition_names`` instantiates)."""
    return {factor: dict(names) for factor, names in CONDITION_NAMES.items()}


#: [C] the 7 landmarks, in FORMATS.md's order (the default line order of an annotation).
LANDMARKS: tuple[str, ...] = (
    "nose_tip",
    "right_eye",
    "left_eye",
    "right_mouth_corner",
    "left_mouth_corner",
    "right_ear",
    "left_ear",
)
#: [C] the 7 boxes, in FORMATS.md's order (the default line order of an annotation).
BOXES: tuple[str, ...] = ("face", "left_eye", "right_eye", "nose", "mouth", "left_ear", "right_ear")

#: [A] the resolution folder's name: ``High`` in public code, ``High_Resolution`` also seen.
RESOLUTION_DIRS: tuple[str, ...] = ("High", "High_Resolution")
#: [C] identities are 8-digit folders.
ID_PATTERN = r"^\d{8}$"
IMAGE_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png")
#: [A] the annotation file of an image, from its stem.
ANNOTATION_NAME = "{stem}.txt"
#: [A] the annotated folders: the face box of ``<id>/S001/L1/<E>/<C>`` serves the whole ``<E>/<C>``.
REFERENCE_ACCESSORY, REFERENCE_LIGHT = "S001", "L1"

_CODE = re.compile(r"^[A-Z]\d+$")
_KEY = re.compile(r"^([^/]+)/([^/]+)/([^/]+)/([^/]+)/([^/]+)\.([A-Za-z0-9]+)$")


def factor_of_level(level: int) -> str:
    """The factor of the path level below the identity folder (0 accessory .. 3 camera)."""
    return FACE_FACTORS[level]


def check_code(factor: str, code: str) -> str | None:
    """Why ``code`` is not a valid code of ``factor`` (``None`` when it is)."""
    if code in CONDITION_CODES[factor]:
        return None
    valid = CONDITION_CODES[factor]
    return f"unknown {factor} code {code!r} (valid: {valid[0]}..{valid[-1]})"


def image_key(identity: str, accessory: str, light: str, expression: str, camera: str, extension: str) -> str:
    """``<id>/S001/L1/E01/C7.jpg``: an image's path below the resolution folder, extension lower-cased."""
    return f"{identity}/{accessory}/{light}/{expression}/{camera}{extension.lower()}"


def split_key(key: str) -> tuple[str, str, str, str, str, str] | None:
    """``(id, S, L, E, C, extension)`` of a key ``<id>/S###/L#/E##/C#.<ext>``, ``None`` if not of that
    shape (the codes are not validated here; see :func:`check_code`)."""
    match = _KEY.match(str(PurePosixPath(key.replace("\\", "/"))))
    if match is None:
        return None
    identity, *codes, extension = match.groups()
    if not all(_CODE.match(c) for c in codes):
        return None
    return identity, codes[0], codes[1], codes[2], codes[3], "." + extension.lower()


def validate_codes(factor: str, codes: object, option: str) -> tuple[str, ...] | None:
    """A filter option's codes, each checked against the factor's (``ValueError`` at once naming the
    option); ``None`` stays ``None`` (every code)."""
    if codes is None:
        return None
    if isinstance(codes, str):
        codes = [codes]
    if not isinstance(codes, Sequence):
        raise ValueError(f"{option} must be a list of {factor} codes, got {codes!r}")
    bad = [c for c in codes if str(c) not in CONDITION_CODES[factor]]
    if bad:
        valid = CONDITION_CODES[factor]
        raise ValueError(f"{option}: {bad} are not {factor} codes (valid: {valid[0]}..{valid[-1]})")
    return tuple(str(c) for c in codes)
