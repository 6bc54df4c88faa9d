"""Synthetic twin of the 인도 보행 (sidewalk) box and polygon sub-datasets, in the real layout.

Each walk (a 6-digit sequence) is a street: sky, a road with a kerb, a paved sidewalk. Obstacles of
each class have their own look (outline, colour, pattern, proportions) and stand on the ground with
perspective (nearer = lower and larger). The twin reproduces what the reader must cope with:

* one CVAT 1.1 XML per task (a walk, split into parts of ``frames_per_task`` frames), written through
  :mod:`aihub_bench.formats.cvat`, with ``<image id>`` not starting at 0 and ``meta/task/size`` not
  always equal to the images present;
* objects cut by a pole in front of them: in the polygon subset their visible parts are separate
  polygons sharing a ``group_id``; in both subsets they are flagged ``occluded``;
* far objects at or below the guideline's size rule (scaled by ``size_rule_scale`` to the twin's
  resolution) drawn but left unannotated, as the builders did;
* an environment CSV (day/night, weather, capture time) whose conditions change the pictures.

Same arguments, same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from aihub_bench.datasets.sidewalk.layout import CLASSES, SUBSETS, image_name, size_rule, xml_name
from aihub_bench.datasets.synth_cache import image_size_pair
from aihub_bench.formats.cvat import CvatImage, CvatLabel, CvatShape, CvatTask, task_meta, write_cvat

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated
JPEG_QUALITY = 90
ENVIRONMENT_CSV = "Sidewalk_19009_environment.csv"
ENVIRONMENT_COLUMNS = ("image", "daynight", "weather", "datetime")
#: Eight classes that look unlike each other: the default of the twin (any of the 29 may be asked for).
DEFAULT_CLASSES = ("person", "car", "bicycle", "bollard", "tree_trunk", "potted_plant", "bench", "kiosk")
Point = tuple[float, float]
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Look:
    """How a class is drawn: ``outline`` in a unit box (x right, y down), ``aspect`` = height/width."""

    outline: tuple[Point, ...]
    colour: RGB
    aspect: float
    height: float  # its height at the bottom of the picture, as a fraction of the picture height
    stripes: bool
    on_road: bool = False


def _ellipse(n: int = 12) -> tuple[Point, ...]:
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return tuple((0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)) for a in angles)


_RECT = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
_PERSON = (
    (0.35, 0.0),
    (0.65, 0.0),
    (0.65, 0.18),
    (1.0, 0.3),
    (0.85, 1.0),
    (0.15, 1.0),
    (0.0, 0.3),
    (0.35, 0.18),
)
_VEHICLE = ((0.15, 0.0), (0.8, 0.0), (1.0, 0.45), (1.0, 1.0), (0.0, 1.0), (0.0, 0.45))
_TRIANGLE = ((0.5, 0.0), (1.0, 1.0), (0.0, 1.0))
_TRAPEZE = ((0.2, 0.0), (0.8, 0.0), (1.0, 1.0), (0.0, 1.0))
_SHAPES = (_RECT, _ellipse(), _TRIANGLE, _TRAPEZE, _VEHICLE, _PERSON)
#: Hand-set looks for the default classes; the others get one from their index.
_LOOKS: dict[str, Look] = {
    "person": Look(_PERSON, (200, 60, 50), 2.4, 0.55, False),
    "car": Look(_VEHICLE, (40, 90, 200), 0.55, 0.38, False, on_road=True),
    "bicycle": Look(_ellipse(8), (30, 160, 70), 0.6, 0.3, True),
    "bollard": Look(_RECT, (250, 200, 40), 3.0, 0.2, True),
    "tree_trunk": Look(_TRAPEZE, (110, 70, 40), 3.5, 0.7, False),
    "potted_plant": Look(_ellipse(), (20, 120, 40), 1.1, 0.25, True),
    "bench": Look(_RECT, (150, 110, 200), 0.45, 0.22, True),
    "kiosk": Look(_RECT, (230, 230, 230), 1.4, 0.6, True),
}


def look_of(name: str) -> Look:
    if name in _LOOKS:
        return _LOOKS[name]
    i = CLASSES["polygon"].index(name)
    colour = tuple(int(c) for c in np.random.default_rng([7, i]).integers(30, 240, 3))
    return Look(
        _SHAPES[i % len(_SHAPES)], (colour[0], colour[1], colour[2]), 0.5 + (i % 5) * 0.5, 0.3, i % 2 == 0
    )


@dataclass(frozen=True)
class _Walk:
    """What stays the same along one walk."""

    night: bool
    rain: bool
    paving: RGB
    horizon: float  # fraction of the height
    kerb_top: float  # kerb x at the horizon, fraction of the width
    kerb_bottom: float  # kerb x at the bottom
    start: dt.datetime


@dataclass
class _Object:
    label: str
    outline: list[Point]  # absolute pixels
    z: int
    annotated: bool
    parts: list[list[Point]]  # what is visible (polygon subset); one part unless occluded
    occluded: bool = False


def _walk(rng: np.random.Generator) -> _Walk:
    night = bool(rng.random() < 0.3)
    start = dt.datetime(2019, 9, 1) + dt.timedelta(days=int(rng.integers(0, 90)))
    hour = int(rng.integers(19, 23)) if night else int(rng.integers(9, 17))
    return _Walk(
        night=night,
        rain=bool(rng.random() < 0.3),
        paving=(int(rng.integers(150, 200)), int(rng.integers(110, 150)), int(rng.integers(100, 140))),
        horizon=float(rng.uniform(0.3, 0.4)),
        kerb_top=float(rng.uniform(0.4, 0.5)),
        kerb_bottom=float(rng.uniform(0.02, 0.15)),
        start=start.replace(hour=hour, minute=int(rng.integers(0, 60))),
    )


def _background(walk: _Walk, h: int, w: int, rng: np.random.Generator) -> Image.Image:
    image = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(image)
    top = int(walk.horizon * h)
    sky = (25, 30, 60) if walk.night else (150, 190, 235)
    draw.rectangle((0, 0, w, top), fill=sky)
    kerb = [(walk.kerb_top * w, top), (walk.kerb_bottom * w, h)]
    draw.polygon([(0, top), kerb[0], kerb[1], (0, h)], fill=(70, 70, 75))  # road
    draw.polygon([kerb[0], (w, top), (w, h), kerb[1]], fill=walk.paving)  # sidewalk
    draw.line(kerb, fill=(200, 200, 200), width=max(2, w // 160))
    grout = tuple(max(0, c - 40) for c in walk.paving)
    for k in range(1, 12):  # paving joints, closer together towards the horizon
        y = top + (h - top) * (k / 12) ** 1.6
        draw.line([(_kerb_x(walk, y, h, w), y), (w, y)], fill=grout, width=1)
    return image


def _kerb_x(walk: _Walk, y: float, h: int, w: int) -> float:
    t = (y - walk.horizon * h) / (h - walk.horizon * h)
    return w * (walk.kerb_top + t * (walk.kerb_bottom - walk.kerb_top))


def _place(
    label: str, walk: _Walk, h: int, w: int, rng: np.random.Generator, far: bool, threshold: float
) -> list[Point]:
    """An outline standing on the ground: its foot picks its size (perspective)."""
    look = look_of(label)
    top = walk.horizon * h
    if far:  # near the horizon, at or below the size rule: drawn, not annotated
        longer = float(rng.uniform(0.5, 1.0)) * threshold
        depth = 0.05
    else:
        depth = float(rng.uniform(0.25, 1.0))
        longer = max(look.height * h * depth, 1.0)
    height = longer if look.aspect >= 1 else longer * look.aspect
    width = height / look.aspect
    if not far:  # never an annotated object near the rule, nor one too thin to see
        scale = max(1.0, threshold * 1.3 / max(height, width), 4.0 / min(height, width))
        height, width = height * scale, width * scale
    foot = top + depth * (h - top)
    kerb = _kerb_x(walk, foot, h, w)
    lo, hi = (0.0, kerb - width) if look.on_road else (kerb, w - width)
    x0 = float(rng.uniform(lo, max(lo, hi)))
    return [(x0 + u * width, foot - height + v * height) for u, v in look.outline]


def _clip(poly: Sequence[Point], x: float, keep_left: bool) -> list[Point]:
    """Sutherland-Hodgman against one vertical line: the part left (or right) of ``x``."""
    inside = (lambda p: p[0] <= x) if keep_left else (lambda p: p[0] >= x)
    out: list[Point] = []
    for i, cur in enumerate(poly):
        prev = poly[i - 1]
        if inside(cur) != inside(prev):
            t = (x - prev[0]) / (cur[0] - prev[0])
            out.append((x, prev[1] + t * (cur[1] - prev[1])))
        if inside(cur):
            out.append(cur)
    return out


def _area(poly: Sequence[Point]) -> float:
    xs, ys = np.array([p[0] for p in poly]), np.array([p[1] for p in poly])
    return float(abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1))) / 2)


def _occlude(obj: _Object, h: int, rng: np.random.Generator) -> list[Point] | None:
    """A pole in front of ``obj`` splitting it in two visible parts; returns the pole's outline."""
    xs = [p[0] for p in obj.outline]
    ys = [p[1] for p in obj.outline]
    width = max(xs) - min(xs)
    centre = float(rng.uniform(min(xs) + 0.35 * width, max(xs) - 0.35 * width))
    half = max(2.0, 0.08 * width)
    left, right = _clip(obj.outline, centre - half, True), _clip(obj.outline, centre + half, False)
    if len(left) < 3 or len(right) < 3 or min(_area(left), _area(right)) < 4:
        return None
    obj.parts, obj.occluded = [left, right], True
    bottom = max(ys) + 2
    return [
        (centre - half, 0.0),
        (centre + half, 0.0),
        (centre + half, min(bottom, h)),
        (centre - half, min(bottom, h)),
    ]


def _draw(image: Image.Image, obj: _Object, rng: np.random.Generator) -> None:
    look = look_of(obj.label)
    draw = ImageDraw.Draw(image)
    colour = tuple(int(np.clip(c + rng.normal(0, 8), 0, 255)) for c in look.colour)
    draw.polygon(obj.outline, fill=colour, outline=tuple(c // 2 for c in colour))
    if look.stripes:
        xs, ys = [p[0] for p in obj.outline], [p[1] for p in obj.outline]
        for y in np.linspace(min(ys), max(ys), 5)[1:-1]:
            draw.line([(min(xs) + 1, y), (max(xs) - 1, y)], fill=(20, 20, 20), width=1)


def _conditions(image: Image.Image, walk: _Walk, rng: np.random.Generator) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float32)
    if walk.night:
        pixels = pixels * np.array([0.45, 0.45, 0.6], dtype=np.float32)
    pixels += rng.normal(0, 4, pixels.shape).astype(np.float32)
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if walk.rain:
        draw = ImageDraw.Draw(out)
        h, w = pixels.shape[:2]
        for _ in range(w // 4):
            x, y = float(rng.uniform(0, w)), float(rng.uniform(0, h))
            draw.line([(x, y), (x - 2, y + h / 25)], fill=(180, 180, 200), width=1)
    return out


def _frame(
    classes: Sequence[str],
    walk: _Walk,
    size: tuple[int, int],
    rule: dict[str, float],
    rng: np.random.Generator,
) -> tuple[Image.Image, list[_Object]]:
    h, w = size
    objects: list[_Object] = []
    for _ in range(int(rng.integers(2, 6))):
        label = classes[int(rng.integers(len(classes)))]
        outline = _place(label, walk, h, w, rng, far=False, threshold=rule[label])
        objects.append(_Object(label, outline, 0, True, [outline]))
    if rng.random() < 0.6:  # one far object, below the size rule
        label = classes[int(rng.integers(len(classes)))]
        outline = _place(label, walk, h, w, rng, far=True, threshold=rule[label])
        objects.append(_Object(label, outline, 0, False, [outline]))
    objects.sort(key=lambda o: max(p[1] for p in o.outline))  # far (higher foot) first
    for z, obj in enumerate(objects):
        obj.z = z
    image = _background(walk, h, w, rng)
    poles: list[_Object] = []
    for obj in objects:
        _draw(image, obj, rng)
    occludable = [o for o in objects if o.annotated]
    if occludable and rng.random() < 0.4:
        target = occludable[int(rng.integers(len(occludable)))]
        pole = _occlude(target, h, rng)
        if pole is not None:
            poles.append(_Object("pole", pole, len(objects), "pole" in classes, [pole]))
            ImageDraw.Draw(image).polygon(pole, fill=(90, 90, 95))
    return _conditions(image, walk, rng), objects + poles


def _shapes(subset: str, obj: _Object, group: int, w: int, h: int) -> list[CvatShape]:
    def clamp(p: Point) -> Point:
        return (min(max(p[0], 0.0), float(w)), min(max(p[1], 0.0), float(h)))

    if subset == "bbox":
        xs = [clamp(p)[0] for p in obj.outline]
        ys = [clamp(p)[1] for p in obj.outline]
        corners = ((min(xs), min(ys)), (max(xs), max(ys)))
        return [CvatShape("box", obj.label, corners, obj.occluded, obj.z)]
    gid = group if len(obj.parts) > 1 else None
    return [
        CvatShape("polygon", obj.label, tuple(clamp(p) for p in part), obj.occluded, obj.z, gid)
        for part in obj.parts
    ]


def write_synthetic_sidewalk(
    out: str | Path,
    *,
    subsets: Sequence[str] = SUBSETS,
    classes: Sequence[str] | None = None,
    sequences: int = 6,
    frames_per_sequence: int = 10,
    frames_per_task: int = 300,
    image_size: int | Sequence[int] = (216, 384),
    size_rule_scale: float = 0.2,
    seed: int = 0,
) -> Path:
    """Write the sidewalk twin under ``out`` (``<subset>/<sequence>/`` folders) and return ``out``.

    ``classes`` (default :data:`DEFAULT_CLASSES`) are drawn and annotated, each sequence a walk of
    ``frames_per_sequence`` frames; ``image_size`` is ``[height, width]`` (the release's is 1080 x
    1920); ``size_rule_scale`` scales the guideline's pixel thresholds to that size (0.2 = 384/1920).
    """
    p = canonical_params(locals() | {"out": None})
    h, w = p["image_size"]
    root = Path(out)
    rows: list[dict[str, str]] = []
    for s_index, subset in enumerate(p["subsets"]):
        labels = [c for c in p["classes"] if c in CLASSES[subset]]
        rule = {c: t * p["size_rule_scale"] for c, t in size_rule(CLASSES[subset]).items()}
        for seq in range(1, p["sequences"] + 1):
            sequence = 1000 * (s_index + 1) + seq
            walk = _walk(np.random.default_rng([p["seed"], s_index, seq]))
            folder = root / subset / f"{sequence:06d}"
            folder.mkdir(parents=True, exist_ok=True)
            images: list[CvatImage] = []
            for frame in range(1, p["frames_per_sequence"] + 1):
                rng = np.random.default_rng([p["seed"], s_index, seq, frame])
                picture, objects = _frame(labels, walk, (h, w), rule, rng)
                name = image_name(subset, sequence, frame)
                picture.save(folder / name, "JPEG", quality=JPEG_QUALITY)
                shapes = [
                    shape
                    for group, obj in enumerate(objects, start=1)
                    if obj.annotated
                    for shape in _shapes(subset, obj, group, w, h)
                ]
                images.append(CvatImage(0, name, w, h, shapes))
                when = walk.start + dt.timedelta(seconds=2 * frame)
                rows.append(
                    {
                        "image": name,
                        "daynight": "night" if walk.night else "day",
                        "weather": "rain" if walk.rain else "clear",
                        "datetime": when.isoformat(sep=" "),
                    }
                )
            _write_tasks(folder, subset, sequence, images, p["frames_per_task"], CLASSES[subset])
    with open(root / ENVIRONMENT_CSV, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=ENVIRONMENT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return root


def _write_tasks(
    folder: Path, subset: str, sequence: int, images: list[CvatImage], per_task: int, classes: Sequence[str]
) -> None:
    """One XML per task of up to ``per_task`` frames; ids continue across a walk's tasks, so a task's
    first id is not 0, and every other task declares one image more than it holds (as real files do)."""
    labels = [CvatLabel(c, _hex(look_of(c).colour)) for c in classes]
    for part, start in enumerate(range(0, len(images), per_task), start=1):
        chunk = [
            CvatImage(start + i, im.name, im.width, im.height, im.shapes)
            for i, im in enumerate(images[start : start + per_task])
        ]
        declared = len(chunk) + (part % 2 == 0)
        meta = task_meta(f"{subset}_{sequence:06d}_{part}", declared, task_id=sequence * 100 + part)
        write_cvat(folder / xml_name(subset, sequence, part), CvatTask(labels, chunk, meta))


def _hex(colour: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


# ---------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments in canonical form (what names a cached twin; see ``DatasetSpec``)."""
    subsets = [
        s.lower() for s in ([kwargs["subsets"]] if isinstance(kwargs["subsets"], str) else kwargs["subsets"])
    ]
    unknown = [s for s in subsets if s not in SUBSETS]
    if unknown or not subsets:
        raise ValueError(f"subsets must be among {', '.join(SUBSETS)}, got {kwargs['subsets']!r}")
    classes = list(DEFAULT_CLASSES if kwargs["classes"] is None else kwargs["classes"])
    bad = [c for c in classes if c not in CLASSES["polygon"]]
    if bad or not classes:
        raise ValueError(f"unknown sidewalk classes {bad}; known: {', '.join(CLASSES['polygon'])}")
    counts = {k: int(kwargs[k]) for k in ("sequences", "frames_per_sequence", "frames_per_task")}
    if min(counts.values()) < 1 or counts["sequences"] > 999:
        raise ValueError(f"sequences (1-999), frames_per_sequence and frames_per_task must be >= 1: {counts}")
    if not 0 < float(kwargs["size_rule_scale"]) <= 1:
        raise ValueError(f"size_rule_scale must be in (0, 1], got {kwargs['size_rule_scale']!r}")
    return {
        "subsets": [s for s in SUBSETS if s in subsets],
        "classes": sorted(set(classes), key=CLASSES["polygon"].index),
        **counts,
        "image_size": list(image_size_pair(kwargs["image_size"], 96)),
        "size_rule_scale": float(kwargs["size_rule_scale"]),
        "seed": int(kwargs["seed"]),
    }


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth sidewalk``: about ``samples`` images per subset, ten frames per walk;
    ``classes`` is a comma-separated list of class names (default: eight distinct ones)."""
    frames = 10
    out: dict[str, Any] = {"sequences": max(1, -(-samples // frames)), "frames_per_sequence": frames}
    if classes:
        out["classes"] = [c.strip() for c in classes.split(",") if c.strip()]
    return out


def remove_one_image(root: Path) -> Path:
    """Delete the first image of a twin (its XML still lists it) and return its path."""
    image = min(Path(root).rglob("*.jpg"))
    image.unlink()
    return image
