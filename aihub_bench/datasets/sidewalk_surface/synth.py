"""Synthetic twin of the 인도 보행 surface-masking sub-dataset, in the real layout.

Each walk (a 6-digit sequence) is a street seen from the pavement: sky and buildings (background)
above the horizon, below it ground surfaces in perspective. Street walks have a roadway, sometimes a
bike lane, and a sidewalk with a strip of braille guide blocks; its paving (blocks, cement, urethane,
asphalt, soil and stone, other) changes from frame to frame, so that every paving is in every split of
a few walks. Alley walks are one alley surface. Over these lie crosswalks, speed
bumps, damaged patches and caution zones (stairs, manhole discs, tree zones, gratings, repair
zones). Every label/attribute pair has its own colour and pattern, drawn in ground coordinates so
patterns shrink towards the horizon.

Regions overlap: they are painted in ascending ``z_order`` (ties in file order) and written to the
XML in shuffled order, so a reader that paints in file order gets the picture wrong. The picture, the
CVAT 1.1 task XMLs (through :mod:`aihub_bench.formats.cvat`, ids not from 0, one task in two
declaring an image more than it holds) and the colour mask PNG all come from one rasterisation of the
same polygons (coordinates rounded as CVAT writes them), so the reader's mask agreement is 1.0.

Same arguments, same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from aihub_bench.datasets.sidewalk.layout import image_name, xml_name
from aihub_bench.datasets.sidewalk_surface.layout import (
    ATTRIBUTES,
    LABEL_CLASSES,
    MASK_COLOURS,
    SUBSET,
    mask_name,
    paint_labels,
)
from aihub_bench.datasets.synth_cache import image_size_pair
from aihub_bench.formats.cvat import CvatImage, CvatLabel, CvatShape, CvatTask, task_meta, write_cvat
from aihub_bench.formats.masks import colour_mask, paint_polygons
from aihub_bench.records import SegmentRegion

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated
JPEG_QUALITY = 90
FIRST_SEQUENCE = 3001  # walks are numbered from here (the release's ids do not start at 1)
#: The sidewalk pavings a street walk may have (damaged is a patch over one of them).
PAVINGS = ("blocks", "cement", "urethane", "asphalt", "soil_stone", "other")
CAUTION_KINDS = ATTRIBUTES["caution_zone"]
FAR = 12.0  # the farthest ground distance drawn (1 = the bottom row of the picture)
Point = tuple[float, float]
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class _View:
    """The ground plane seen from one frame: pixel grids and their ground coordinates.

    A ground point at lateral ``X`` (1 = the picture's width at the bottom row) and distance ``Z`` (1 =
    the bottom row) lies at ``x = vx + X * w / Z``, ``y = horizon + (h - horizon) / Z``."""

    h: int
    w: int
    horizon: float
    vx: float
    X: np.ndarray  # (h, w) lateral ground coordinate of each pixel
    Z: np.ndarray  # (h, w) ground distance of each pixel

    @classmethod
    def of(cls, h: int, w: int, horizon: float, vx: float) -> _View:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
        d = np.clip((yy - horizon) / (h - horizon), 1 / FAR, 1.0)
        return cls(h, w, horizon, vx, (xx - vx) / (w * d), 1 / d)

    def to_image(self, ground: Sequence[Point]) -> list[Point]:
        """A ground polygon as a picture polygon: cut to distances 1..FAR, mapped, cut to the frame."""
        poly = _clip(_clip(list(ground), 1, 1.0, keep_above=True), 1, FAR, keep_above=False)
        mapped = [(self.vx + X * self.w / Z, self.horizon + (self.h - self.horizon) / Z) for X, Z in poly]
        mapped = _clip(_clip(mapped, 0, 0.0, keep_above=True), 0, float(self.w), keep_above=False)
        return [(_cvat(x), _cvat(y)) for x, y in mapped]


def _clip(poly: list[Point], axis: int, value: float, keep_above: bool) -> list[Point]:
    """Sutherland-Hodgman: the part of ``poly`` with ``point[axis] >= value`` (or ``<=``)."""

    def inside(p: Point) -> bool:
        return p[axis] >= value if keep_above else p[axis] <= value

    out: list[Point] = []
    for i, cur in enumerate(poly):
        prev = poly[i - 1]
        if inside(cur) != inside(prev):
            t = (value - prev[axis]) / (cur[axis] - prev[axis])
            cross = (prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1]))
            out.append((value, cross[1]) if axis == 0 else (cross[0], value))
        if inside(cur):
            out.append(cur)
    return out


def _cvat(value: float) -> float:
    """A coordinate as the reader gets it back from CVAT XML (2 decimals)."""
    return float(f"{value:.2f}")


def _area(poly: Sequence[Point]) -> float:
    xs, ys = np.array([p[0] for p in poly]), np.array([p[1] for p in poly])
    return float(abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1))) / 2)


# ---------------------------------------------------------------- looks: one per label/attribute

Texture = Callable[[_View, np.random.Generator], np.ndarray]


def _flat(colour: RGB, noise: float) -> Texture:
    def draw(v: _View, rng: np.random.Generator) -> np.ndarray:
        base = np.broadcast_to(np.asarray(colour, np.float32), (v.h, v.w, 3))
        return base + rng.normal(0, noise, (v.h, v.w, 1)).astype(np.float32)

    return draw


def _two(on: Callable[[_View], np.ndarray], a: RGB, b: RGB, noise: float = 5.0) -> Texture:
    """Colour ``a`` where ``on(view)`` holds, else ``b``."""

    def draw(v: _View, rng: np.random.Generator) -> np.ndarray:
        picked = np.where(on(v)[..., None], np.asarray(a, np.float32), np.asarray(b, np.float32))
        return picked + rng.normal(0, noise, (v.h, v.w, 1)).astype(np.float32)

    return draw


def _frac(values: np.ndarray) -> np.ndarray:
    return values - np.floor(values)


def _blobs(v: _View, rng: np.random.Generator, cell: int, share: float) -> np.ndarray:
    """A random (h, w) boolean pattern of ``cell``-pixel blobs covering about ``share``."""
    coarse = rng.random((v.h // cell + 1, v.w // cell + 1)) < share
    return np.kron(coarse, np.ones((cell, cell), dtype=bool))[: v.h, : v.w]


def _speckled(base: RGB, spot: RGB, cell: int, share: float) -> Texture:
    def draw(v: _View, rng: np.random.Generator) -> np.ndarray:
        spots = _blobs(v, rng, cell, share)
        picked = np.where(spots[..., None], np.asarray(spot, np.float32), np.asarray(base, np.float32))
        return picked + rng.normal(0, 5, (v.h, v.w, 1)).astype(np.float32)

    return draw


def _bricks(v: _View) -> np.ndarray:
    row = v.Z * 4
    return (_frac(row) > 0.1) & (_frac(v.X * 8 + 0.5 * (np.floor(row) % 2)) > 0.08)


def _crossing(v: _View) -> np.ndarray:
    return np.floor(v.X / 0.08) % 2 == 0


def _braille_dots(v: _View) -> np.ndarray:
    return (np.abs(_frac(v.X * 60) - 0.5) < 0.22) & (np.abs(_frac(v.Z * 10) - 0.5) < 0.22)


def _cracks(v: _View) -> np.ndarray:
    return np.abs(np.sin(v.X * 40 + 2 * np.sin(v.Z * 7))) < 0.15


_ROAD: RGB = (58, 58, 64)
_ALLEY: RGB = (160, 148, 120)
LOOKS: dict[str, Texture] = {
    "sidewalk/blocks": _two(_bricks, (165, 85, 65), (95, 80, 75)),
    "sidewalk/cement": _two(
        lambda v: (_frac(v.Z * 1.5) > 0.06) & (_frac(v.X * 3) > 0.04), (196, 196, 188), (135, 135, 130)
    ),
    "sidewalk/urethane": _flat((60, 150, 95), 4),
    "sidewalk/asphalt": _flat((110, 105, 122), 14),
    "sidewalk/soil_stone": _speckled((135, 105, 70), (205, 195, 175), 3, 0.3),
    "sidewalk/damaged": _two(_cracks, (45, 40, 38), (150, 140, 135), 10),
    "sidewalk/other": _two(
        lambda v: (np.floor(v.X * 6) + np.floor(v.Z * 3)) % 2 == 0, (155, 120, 175), (115, 90, 135)
    ),
    "alley/normal": _flat(_ALLEY, 7),
    "alley/crosswalk": _two(_crossing, (238, 238, 238), _ALLEY),
    "alley/speed_bump": _two(lambda v: np.floor(v.X * 10 + v.Z * 4) % 2 == 0, (240, 200, 0), (30, 30, 30)),
    "alley/damaged": _speckled((120, 108, 88), (40, 35, 30), 5, 0.35),
    "roadway/normal": _flat(_ROAD, 6),
    "roadway/crosswalk": _two(_crossing, (240, 240, 240), _ROAD),
    "braille_guide_blocks/normal": _two(_braille_dots, (185, 145, 10), (240, 205, 35)),
    "braille_guide_blocks/damaged": _speckled((195, 175, 95), (115, 115, 105), 4, 0.4),
    "caution_zone/stairs": _two(lambda v: _frac(v.Z * 6) < 0.5, (205, 205, 205), (105, 105, 105)),
    "caution_zone/manhole": _two(
        lambda v: (_frac(v.X * 25) < 0.25) | (_frac(v.Z * 12) < 0.25), (40, 40, 46), (80, 80, 92)
    ),
    "caution_zone/tree_zone": _speckled((85, 55, 35), (50, 135, 40), 3, 0.35),
    "caution_zone/grating": _two(lambda v: _frac(v.X * 40) < 0.5, (28, 28, 34), (150, 150, 160)),
    "caution_zone/repair_zone": _two(
        lambda v: _frac((v.X * 3 - v.Z) * 2) < 0.25, (250, 250, 250), (245, 130, 30)
    ),
    "bike_lane": _flat((185, 70, 75), 5),
}


def _background(v: _View, rng: np.random.Generator) -> np.ndarray:
    """Sky, and buildings standing on the horizon (both background)."""
    rows = np.arange(v.h, dtype=np.float32)[:, None, None] / v.h
    picture = np.asarray((140, 185, 230), np.float32) + rows * np.asarray((60, 40, 10), np.float32)
    picture = np.broadcast_to(picture, (v.h, v.w, 3)).copy()
    x = 0
    while x < v.w:
        width = int(rng.integers(v.w // 12, v.w // 5))
        top = int(v.horizon - rng.uniform(0.2, 0.9) * v.horizon)
        grey = float(rng.uniform(90, 170))
        picture[top : int(v.horizon) + 1, x : x + width] = (grey, grey * 0.97, grey * 0.93)
        picture[top + 3 : int(v.horizon) - 2 : 6, x + 3 : x + width - 3 : 5] = (60, 70, 90)  # windows
        x += width + int(rng.integers(0, v.w // 20))
    return picture + rng.normal(0, 3, (v.h, v.w, 1)).astype(np.float32)


# ---------------------------------------------------------------- scenes


@dataclass(frozen=True)
class _Walk:
    """What stays the same along one walk."""

    alley: bool
    paving: int  # the first frame's sidewalk paving (PAVINGS index); it changes along the walk
    bike_lane: bool
    mirrored: bool  # roadway on the right
    horizon: float  # fraction of the height
    vx: float  # vanishing point, fraction of the width
    kerb: float  # lateral position of the kerb (ground X, roadway side negative)
    braille: float  # lateral position of the braille strip's near edge
    light: float  # brightness factor


@dataclass
class _Region:
    label: str
    attribute: str
    ground: list[Point]
    z: int

    @property
    def look(self) -> str:
        return f"{self.label}/{self.attribute}" if self.attribute else self.label


def _walk(index: int, street_index: int, rng: np.random.Generator) -> _Walk:
    return _Walk(
        alley=index % 3 == 2,
        paving=street_index % len(PAVINGS),
        bike_lane=street_index % 2 == 0,
        mirrored=bool(rng.random() < 0.5),
        horizon=float(rng.uniform(0.34, 0.42)),
        vx=float(rng.uniform(0.4, 0.6)),
        kerb=float(rng.uniform(-0.3, -0.12)),
        braille=float(rng.uniform(0.05, 0.25)),
        light=float(rng.uniform(0.8, 1.15)),
    )


def _band(x0: float, x1: float, z0: float = 1.0, z1: float = FAR) -> list[Point]:
    """A ground rectangle: lateral ``x0..x1``, distance ``z0..z1``."""
    return [(x0, z1), (x1, z1), (x1, z0), (x0, z0)]


def _disc(x: float, z: float, rx: float, rz: float, n: int = 16) -> list[Point]:
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return [(x + rx * float(np.cos(a)), z + rz * float(np.sin(a))) for a in angles]


def _caution(kind: str, x0: float, x1: float, rng: np.random.Generator) -> list[Point]:
    """A caution zone of ``kind`` on the ground between lateral ``x0`` and ``x1``."""
    z = float(rng.uniform(1.3, 4.0))
    x = float(rng.uniform(x0 + 0.1, max(x0 + 0.1, x1 - 0.15)))
    if kind == "manhole":
        return _disc(x, z, 0.09, 0.35 * z / 2)
    if kind == "stairs":
        return _band(x0, x1, z, z + 0.5 * z)
    if kind == "tree_zone":
        return _band(x, x + 0.18, z, z + 0.35 * z)
    if kind == "grating":
        return _band(x, x + 0.3, z, z + 0.12 * z)
    return _band(x, x + 0.35, z, z + 0.6 * z)  # repair_zone


def _scene(walk: _Walk, frame: int, rng: np.random.Generator) -> list[_Region]:
    """The frame's regions; base surfaces first (z 0), patches over them, caution zones on top."""
    side = -1.0 if walk.mirrored else 1.0

    def lateral(a: float, b: float) -> tuple[float, float]:
        return (a * side, b * side) if side > 0 else (b * side, a * side)

    regions: list[_Region] = []
    kind_of = (CAUTION_KINDS[(frame + k) % len(CAUTION_KINDS)] for k in (0, 2))
    if walk.alley:
        regions.append(_Region("alley", "normal", _band(-4, 4), 0))
        z = float(rng.uniform(1.5, 4.0))
        patch = ("crosswalk", "speed_bump")[frame % 2]
        regions.append(
            _Region("alley", patch, _band(-4, 4, z, z * (1.8 if patch == "crosswalk" else 1.15)), 1)
        )
        if frame % 3 != 2:
            x, z = float(rng.uniform(-0.4, 0.2)), float(rng.uniform(1.2, 3.0))
            regions.append(_Region("alley", "damaged", _disc(x, z, 0.2, 0.4 * z), 2))
        for kind in kind_of:
            regions.append(_Region("caution_zone", kind, _caution(kind, -0.5, 0.5, rng), 3))
        return regions
    kerb = walk.kerb
    walkway = kerb + (0.12 if walk.bike_lane else 0.0)
    regions.append(_Region("roadway", "normal", _band(*lateral(-4, kerb)), 0))
    paving = PAVINGS[(walk.paving + frame) % len(PAVINGS)]
    regions.append(_Region("sidewalk", paving, _band(*lateral(walkway, 4)), 0))
    if walk.bike_lane:
        regions.append(_Region("bike_lane", "", _band(*lateral(kerb, walkway)), 0))
    if frame % 2 == 1:
        z = float(rng.uniform(1.5, 3.5))
        regions.append(_Region("roadway", "crosswalk", _band(*lateral(-4, kerb), z, z * 1.8), 1))
    if frame % 3 != 2:
        x, z = float(rng.uniform(walkway + 0.15, walkway + 0.6)), float(rng.uniform(1.2, 3.0))
        regions.append(_Region("sidewalk", "damaged", _disc(x * side, z, 0.22, 0.4 * z), 1))
    strip = walkway + walk.braille
    regions.append(_Region("braille_guide_blocks", "normal", _band(*lateral(strip, strip + 0.06)), 2))
    if frame % 2 == 0:
        z = float(rng.uniform(1.2, 3.0))
        regions.append(
            _Region("braille_guide_blocks", "damaged", _band(*lateral(strip, strip + 0.06), z, 1.6 * z), 3)
        )
    for kind in kind_of:
        x0, x1 = lateral(walkway + 0.05, walkway + 0.9)
        regions.append(_Region("caution_zone", kind, _caution(kind, x0, x1, rng), 4))
    return regions


def _frame(
    walk: _Walk, frame: int, size: tuple[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, list[CvatShape]]:
    """The picture, the colour mask and the XML shapes (file order) of one frame."""
    h, w = size
    view = _View.of(h, w, walk.horizon * h, (walk.vx + float(rng.uniform(-0.02, 0.02))) * w)
    drawn: list[tuple[_Region, list[Point]]] = []
    for region in _scene(walk, frame, rng):
        polygon = view.to_image(region.ground)
        if len(polygon) >= 3 and _area(polygon) >= 2.0:
            drawn.append((region, polygon))
    order = rng.permutation(len(drawn))  # file order is not z order
    drawn = [drawn[i] for i in order]
    records = [
        SegmentRegion(r.look, [np.asarray(p)], z_order=r.z, label=r.label, attribute=r.attribute)
        for r, p in drawn
    ]
    # which region shows at each pixel: the same rasterisation (and order) as the label mask
    on_top = paint_polygons(
        (h, w),
        [(i + 1, records[i].parts) for i in sorted(range(len(records)), key=lambda i: records[i].z_order)],
    )
    picture = _background(view, rng)
    for i, (region, _) in enumerate(drawn):
        shown = on_top == i + 1
        if shown.any():
            picture[shown] = LOOKS[region.look](view, rng)[shown]
    picture = np.clip(picture * walk.light, 0, 255).astype(np.uint8)
    palette = [MASK_COLOURS[c] for c in LABEL_CLASSES]
    mask = colour_mask(paint_labels(records, h, w), palette)
    shapes = [
        CvatShape(
            "polygon", r.label, tuple(p), False, r.z, None, {"attribute": r.attribute} if r.attribute else {}
        )
        for r, p in drawn
    ]
    return picture, mask, shapes


def write_synthetic_sidewalk_surface(
    out: str | Path,
    *,
    sequences: int = 12,
    frames_per_sequence: int = 10,
    frames_per_task: int = 300,
    image_size: int | Sequence[int] = (216, 384),
    seed: int = 0,
) -> Path:
    """Write the surface twin under ``out`` (``surface/<sequence>/`` with the frames and task XMLs, the
    masks in its ``mask/`` folder) and return ``out``. ``image_size`` is ``[height, width]`` (the
    release's is 1080 x 1920)."""
    p = canonical_params(locals() | {"out": None})
    h, w = p["image_size"]
    root = Path(out)
    street = 0
    for index in range(p["sequences"]):
        sequence = FIRST_SEQUENCE + index
        walk = _walk(index, street, np.random.default_rng([p["seed"], index]))
        street += not walk.alley
        folder = root / SUBSET / f"{sequence:06d}"
        (folder / "mask").mkdir(parents=True, exist_ok=True)
        images: list[CvatImage] = []
        for frame in range(1, p["frames_per_sequence"] + 1):
            rng = np.random.default_rng([p["seed"], index, frame])
            picture, mask, shapes = _frame(walk, frame, (h, w), rng)
            name = image_name(SUBSET, sequence, frame)
            Image.fromarray(picture).save(folder / name, "JPEG", quality=JPEG_QUALITY)
            Image.fromarray(mask).save(folder / "mask" / mask_name(sequence, frame))
            images.append(CvatImage(0, name, w, h, shapes))
        _write_tasks(folder, sequence, images, p["frames_per_task"])
    return root


def _write_tasks(folder: Path, sequence: int, images: list[CvatImage], per_task: int) -> None:
    """One XML per task of up to ``per_task`` frames; ids continue across a walk's tasks, and every
    other task declares one image more than it holds (as real files do)."""
    labels = [
        CvatLabel(
            label,
            "#{:02x}{:02x}{:02x}".format(*MASK_COLOURS[label]),
            {"attribute": list(values)} if values else {},
        )
        for label, values in ATTRIBUTES.items()
    ]
    for part, start in enumerate(range(0, len(images), per_task), start=1):
        chunk = [
            CvatImage(start + i, im.name, im.width, im.height, im.shapes)
            for i, im in enumerate(images[start : start + per_task])
        ]
        meta = task_meta(
            f"{SUBSET}_{sequence:06d}_{part}", len(chunk) + (part % 2 == 0), sequence * 100 + part
        )
        write_cvat(folder / xml_name(SUBSET, sequence, part), CvatTask(labels, chunk, meta))


# ---------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments in canonical form (what names a cached twin; see ``DatasetSpec``)."""
    counts = {k: int(kwargs[k]) for k in ("sequences", "frames_per_sequence", "frames_per_task")}
    if min(counts.values()) < 1 or counts["sequences"] > 999:
        raise ValueError(f"sequences (1-999), frames_per_sequence and frames_per_task must be >= 1: {counts}")
    return {
        **counts,
        "image_size": list(image_size_pair(kwargs["image_size"], 96)),
        "seed": int(kwargs["seed"]),
    }


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth sidewalk_surface``: about ``samples`` images, ten frames per walk."""
    frames = 10
    return {"sequences": max(1, -(-samples // frames)), "frames_per_sequence": frames}


def remove_one_image(root: Path) -> Path:
    """Delete the first frame of a twin (its XML still lists it) and return its path."""
    image = min(Path(root).rglob("*.jpg"))
    image.unlink()
    return image
