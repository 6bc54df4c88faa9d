"""Synthetic twin of the X-ray release, written in the real layout (see docs/datasets/xray.md).

Each class has a fixed procedural look (silhouette, material, inner structure); every instance
gets a random pose. Objects attenuate multiplicatively like X-rays do, so overlaps darken instead
of occluding, and each maker has its own palette, gain and noise (a mild domain shift).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from aihub_bench.datasets.synth_cache import image_size_pair
from aihub_bench.datasets.xray.layout import (
    CLASS_FOLDERS,
    MAKERS,
    SUBSETS,
    ImageLocation,
    lookup_class,
    lookup_maker,
    windows_path,
)
from aihub_bench.formats.coco import flatten_polygon, polygon_bounds, write_coco
from aihub_bench.formats.voc import VocAnnotation, VocObject, write_voc

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated
DEFAULT_CLASSES: tuple[str, ...] = (
    "Aerosol", "Battery", "Firecracker", "Gun", "Hammer", "Knife", "Laptop", "Liquid", "Scissors", "SmartPhone",
)  # fmt: skip
STORAGE_MEDIA = frozenset({"HDD", "HDD_External", "SSD", "USB"})
POLYGON_VERTICES = 64

# Per-unit-thickness attenuation (R, G, B): exp(-mu * t) gives the usual pseudo-colours.
MATERIALS = {
    "organic": np.array([0.15, 0.55, 1.40], np.float32),  # orange
    "mixed": np.array([0.90, 0.35, 0.85], np.float32),  # green
    "metal": np.array([1.80, 1.30, 0.70], np.float32),  # blue, black when thick
}


@dataclass(frozen=True)
class Look:
    """A class's appearance. Shape: lobed superellipse ``r(θ)``, tapered, stretched to ``aspect``."""

    aspect: float  # length / width
    square: float  # superellipse exponent: 1 diamond, 2 ellipse, >= 6 rounded rectangle
    material: str
    structure: str = "solid"  # see _thickness
    lobes: int = 0
    lobe_amp: float = 0.0
    taper: float = 0.0  # > 0 widens towards the +x end, < 0 narrows it
    bumps: tuple[tuple[float, float, float], ...] = ()  # (angle, height, width) protrusions
    cap: float = 0.0  # fraction of the length at the -x end made of cap_material (handle, nozzle)
    cap_material: str = "organic"
    density: float = 1.0
    bar: float = 1.0  # y semi-axis of the base superellipse (> 1: a bar across, e.g. a hammer head)


_PI = float(np.pi)
LOOKS: dict[str, Look] = {
    "Aerosol": Look(2.8, 6, "metal", "hollow", cap=0.15, cap_material="mixed", density=0.8),
    "Alcohol": Look(2.6, 3, "mixed", "hollow", taper=-0.45),
    "Awl": Look(9.0, 1.4, "metal", taper=-0.7, cap=0.5, density=1.2),
    "Axe": Look(1.5, 1.6, "metal", "core", taper=0.8, bumps=((_PI, 0.6, 0.25),)),
    "Bat": Look(6.5, 2.2, "organic", taper=0.5, density=1.3),
    "Battery": Look(2.4, 8, "mixed", "stripes", cap=0.12, cap_material="metal"),
    "Bullet": Look(3.0, 3, "metal", taper=-0.55, cap=0.55, cap_material="mixed"),
    "Chisel": Look(5.0, 6, "metal", taper=-0.2, cap=0.45),
    "Electronic cigarettes": Look(4.5, 8, "mixed", "dots", cap=0.3, cap_material="metal"),
    "Electronic cigarettes(Liquid)": Look(2.6, 3, "organic", "core", cap=0.2, cap_material="mixed", density=0.9),
    "Firecracker": Look(1.4, 7, "organic", "cells", density=1.2),
    "Gun": Look(1.5, 8, "metal", "core", bumps=((-2.1, 1.6, 0.22),), density=1.3),
    "GunParts": Look(3.2, 6, "metal", "spine", bumps=((2.0, 0.6, 0.25), (-1.0, 0.5, 0.25))),
    "Hammer": Look(1.3, 8, "metal", bar=2.5, bumps=((_PI, 5.0, 0.07),), cap=0.41),
    "HandCuffs": Look(2.1, 2, "metal", "rings", lobes=2, lobe_amp=0.35),
    "HDD": Look(1.4, 10, "metal", "rings"),
    "HDD_External": Look(1.5, 6, "mixed", "rings", density=1.1),
    "Knife": Look(3.6, 2.5, "metal", "spine", taper=-0.5, bumps=((1.2, 0.35, 0.5),), cap=0.3),
    "Laptop": Look(1.45, 12, "mixed", "grid"),
    "Lighter": Look(1.9, 8, "organic", "hollow", cap=0.2, cap_material="metal"),
    "Liquid": Look(2.2, 4, "organic", "hollow", taper=-0.35, density=1.2),
    "Match": Look(2.4, 12, "organic", "grid", density=0.8),
    "MetalPipe": Look(7.0, 10, "metal", "hollow"),
    "NailClippers": Look(3.0, 3, "metal", "spine", bumps=((2.9, 0.4, 0.3),)),
    "Plier": Look(3.2, 1.2, "metal", "spine", taper=0.3, bumps=((-2.8, 0.5, 0.2), (2.8, 0.5, 0.2))),
    "PrtableGas": Look(1.8, 8, "metal", "stripes", cap=0.12, cap_material="mixed", density=0.7),
    "Saw": Look(4.5, 8, "metal", lobes=24, lobe_amp=0.06, cap=0.25),
    "Scissors": Look(2.4, 1.2, "metal", "holes", bumps=((2.5, 1.2, 0.25), (-2.5, 1.2, 0.25)), cap=0.45, cap_material="mixed"),
    "Screwdriver": Look(7.0, 8, "metal", "spine", taper=-0.5, cap=0.45),
    "SmartPhone": Look(2.0, 12, "mixed", "core", density=1.1),
    "SolidFuel": Look(1.2, 6, "organic", "dots", density=1.3),
    "Spanner": Look(5.0, 3, "metal", bumps=((0.35, 0.9, 0.18), (-0.35, 0.9, 0.18), (2.8, 0.6, 0.25), (-2.8, 0.6, 0.25))),
    "SSD": Look(1.5, 12, "mixed", "dots"),
    "SupplymentaryBattery": Look(2.1, 10, "mixed", "cells"),
    "TabletPC": Look(1.4, 12, "mixed", "hollow"),
    "Thinner": Look(1.5, 6, "organic", "hollow", taper=-0.2, bumps=((1.5, 0.3, 0.3),)),
    "Throwing Knife": Look(1.0, 2, "metal", lobes=4, lobe_amp=0.55),
    "USB": Look(3.0, 8, "mixed", "spine", cap=0.3, cap_material="metal"),
    "ZippoOil": Look(1.7, 8, "metal", "hollow", taper=-0.15, cap=0.15),
}  # fmt: skip
CLUTTER_LOOKS = (
    Look(1.4, 2.5, "organic", "folds", lobes=5, lobe_amp=0.15, density=0.35),  # clothes
    Look(1.8, 3, "organic", "folds", lobes=3, lobe_amp=0.2, density=0.45),  # rolled clothes
    Look(1.5, 7, "organic", "hollow", density=0.5),  # bag
)


@dataclass(frozen=True)
class MakerStyle:
    background: tuple[float, float, float]
    gain: float  # contrast: multiplies every attenuation
    mix: tuple[tuple[float, float, float], ...]  # 3x3 channel mix applied to attenuation (hue shift)
    gamma: float
    blur: float  # Gaussian radius in pixels (detector resolution)


MAKER_STYLES = {
    "Astrophysics": MakerStyle((0.95, 0.97, 1.0), 1.0, ((1, 0, 0), (0, 1, 0), (0, 0, 1)), 1.0, 0.0),
    "Rapiscan": MakerStyle(
        (1.0, 0.98, 0.93), 1.15, ((0.9, 0.1, 0), (0, 0.95, 0.05), (0, 0.1, 0.9)), 0.9, 0.0
    ),
    "Smith": MakerStyle(
        (0.96, 1.0, 0.95), 0.85, ((0.95, 0, 0.05), (0.08, 0.92, 0), (0.05, 0, 0.95)), 1.1, 0.7
    ),
}


def category_name(folder: str, maker: str) -> str:
    """Category name as written in ``maker``'s annotation (mimics the real LapTop/Laptop mix)."""
    return "LapTop" if folder == "Laptop" and maker == "Rapiscan" else folder


def category_id(folder: str, maker: str) -> int:
    """Sparse, maker-specific category id (unique within a maker: 7 is invertible mod 97)."""
    return 1 + (CLASS_FOLDERS.index(folder) * 7 + 11 * MAKERS.index(maker)) % 97


def image_name(folder: str, maker: str, serial: int) -> str:
    """Deterministic, globally unique name shaped like ``H_8481.80-1090_01_153.png``."""
    k = CLASS_FOLDERS.index(folder)
    return f"H_{8401 + 3 * k}.{10 + (7 * k) % 90:02d}-{1000 + 10 * k}_{MAKERS.index(maker) + 1:02d}_{serial:03d}.png"


# ---------------------------------------------------------------- shape and rendering


@dataclass
class Placed:
    """A look in a pose: centre, rotation, half length ``a`` and half width ``b`` in pixels."""

    look: Look
    cx: float
    cy: float
    angle: float
    a: float
    b: float
    label: str | None = None  # class folder; None for unlabelled clutter


def _radius(look: Look, theta: np.ndarray) -> np.ndarray:
    c, s = np.abs(np.cos(theta)), np.abs(np.sin(theta))
    r = (c**look.square + (s / look.bar) ** look.square) ** (-1.0 / look.square)
    if look.lobes:
        r = r * (1.0 + look.lobe_amp * np.cos(look.lobes * theta))
    for phi, height, width in look.bumps:
        d = (theta - phi + np.pi) % (2 * np.pi) - np.pi
        r = r * (1.0 + height * np.exp(-0.5 * (d / width) ** 2))
    return r


def _unit_scale(look: Look) -> tuple[float, float]:
    """Factors that make the tapered shape span exactly [-1, 1] on both axes."""
    theta = np.linspace(-np.pi, np.pi, 721)
    r = _radius(look, theta)
    x, y = r * np.cos(theta), r * np.sin(theta)
    y = y * (1.0 + look.taper * x / np.abs(x).max())
    return float(np.abs(x).max()), float(np.abs(y).max())


_SCALES: dict[Look, tuple[float, float]] = {}
_LUT_SIZE = 4096
_LUTS: dict[Look, np.ndarray] = {}


def _scales(look: Look) -> tuple[float, float]:
    if look not in _SCALES:
        _SCALES[look] = _unit_scale(look)
    return _SCALES[look]


def _radius_lut(look: Look, theta: np.ndarray) -> np.ndarray:
    """``_radius`` from a table: per-pixel evaluation is the hot loop of rendering."""
    if look not in _LUTS:
        grid = np.linspace(-np.pi, np.pi, _LUT_SIZE, endpoint=False)
        _LUTS[look] = _radius(look, grid).astype(np.float32)
    idx = ((theta + np.pi) * (_LUT_SIZE / (2 * np.pi)) + 0.5).astype(np.int32) % _LUT_SIZE
    return _LUTS[look][idx]


def polygon(obj: Placed) -> np.ndarray:
    """The object's outline as ``(K, 2)`` image coordinates."""
    sx, sy = _scales(obj.look)
    theta = np.linspace(-np.pi, np.pi, POLYGON_VERTICES, endpoint=False)
    r = _radius(obj.look, theta)
    x, y = r * np.cos(theta) / sx, r * np.sin(theta)
    y = y * (1.0 + obj.look.taper * x) / sy
    u, v = x * obj.a, y * obj.b
    ca, sa = np.cos(obj.angle), np.sin(obj.angle)
    return np.stack([obj.cx + u * ca - v * sa, obj.cy + u * sa + v * ca], axis=1)


def _local(obj: Placed, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel centres -> unit shape coordinates (x along, y across) and radial fraction rho."""
    sx, sy = _scales(obj.look)
    dx, dy = xs - obj.cx, ys - obj.cy
    ca, sa = float(np.cos(obj.angle)), float(np.sin(obj.angle))  # Python floats keep float32 maths
    x = (dx * ca + dy * sa) / obj.a
    y = (-dx * sa + dy * ca) / obj.b
    y0 = y * sy / np.maximum(1.0 + obj.look.taper * x, 1e-3)
    x0 = x * sx
    rho = np.hypot(x0, y0) / _radius_lut(obj.look, np.arctan2(y0, x0))
    return x, y, rho


def _thickness(structure: str, x: np.ndarray, y: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Projected thickness inside the object (1 = one nominal layer of its material)."""
    if structure == "solid":
        return 0.75 + 0.25 * np.sqrt(np.clip(1.0 - rho**2, 0.0, 1.0))
    if structure == "hollow":  # container: dense walls, light inside
        return np.where(rho > 0.8, 1.3, 0.35)
    if structure == "core":
        return np.where(rho < 0.55, 1.6, 0.6)
    if structure == "stripes":  # bands across the length
        return np.where(np.sin(x * np.pi * 5) > 0, 1.2, 0.55)
    if structure == "cells":  # tubes along the length
        return np.where(np.sin(y * np.pi * 3.5) > 0, 1.3, 0.5)
    if structure == "grid":
        fx, fy = (x * 4 + 8) % 1.0, (y * 3 + 8) % 1.0
        return np.where((fx < 0.18) | (fy < 0.18), 1.3, 0.5)
    if structure == "dots":
        d = np.minimum(np.hypot(x + 0.5, y), np.minimum(np.hypot(x, y), np.hypot(x - 0.5, y)))
        return np.where(d < 0.2, 2.0, 0.6)
    if structure == "rings":
        return np.where(np.sin(rho * np.pi * 4) > 0, 1.3, 0.45)
    if structure == "spine":
        return np.where(np.abs(y) < 0.3, 1.6, 0.7)
    if structure == "holes":
        d = np.minimum(np.hypot(x + 0.55, y - 0.45), np.hypot(x + 0.55, y + 0.45))
        return np.where(d < 0.22, 0.1, 1.0)
    if structure == "folds":
        return 0.7 + 0.3 * np.sin(x * 9 + np.cos(y * 5) * 2)
    raise ValueError(f"unknown structure {structure!r}")


def _attenuate(att: np.ndarray, obj: Placed, mix: np.ndarray) -> None:
    """Add ``obj``'s attenuation (H, W, 3) into ``att`` over its bounding box only."""
    h, w = att.shape[:2]
    pts = polygon(obj)
    x0, y0 = max(int(np.floor(pts[:, 0].min())) - 1, 0), max(int(np.floor(pts[:, 1].min())) - 1, 0)
    x1, y1 = min(int(np.ceil(pts[:, 0].max())) + 1, w), min(int(np.ceil(pts[:, 1].max())) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    x, y, rho = _local(obj, xs, ys)
    inside = rho <= 1.0
    look = obj.look
    t = np.where(inside, _thickness(look.structure, x, y, rho) * look.density, 0.0).astype(np.float32)
    mu = MATERIALS[look.material] @ mix
    if look.cap:
        in_cap = (x < -1.0 + 2.0 * look.cap)[..., None]
        mu = np.where(in_cap, MATERIALS[look.cap_material] @ mix, mu)
    att[y0:y1, x0:x1] += t[..., None] * mu


def render(objects: Sequence[Placed], size: tuple[int, int], style: MakerStyle) -> Image.Image:
    """Composite ``objects`` (X-ray transmission) on the maker's background; returns an RGB image."""
    w, h = size
    att = np.zeros((h, w, 3), np.float32)
    mix = np.asarray(style.mix, np.float32)
    for obj in objects:
        _attenuate(att, obj, mix)
    # (bg * exp(-gain * att)) ** gamma, without a per-pixel power
    bg = np.asarray(style.background, np.float32) ** np.float32(style.gamma)
    img = bg * np.exp(np.float32(-style.gain * style.gamma) * att)
    out = Image.fromarray((img * 255.0 + 0.5).astype(np.uint8), "RGB")
    return out.filter(ImageFilter.GaussianBlur(style.blur)) if style.blur else out


# ---------------------------------------------------------------- scenes


def _place(
    look: Look, length: float, size: tuple[int, int], rng: np.random.Generator, near: Placed | None
) -> Placed:
    """Random pose fully inside the image; ``near`` pulls the centre onto that object (overlap)."""
    a = length / 2.0
    obj = Placed(look, 0.0, 0.0, float(rng.uniform(0, 2 * np.pi)), a, a / look.aspect)
    pts = polygon(obj)
    lo = 2.0 - pts.min(axis=0)
    hi = np.asarray(size, np.float64) - 2.0 - pts.max(axis=0)
    hi = np.maximum(hi, lo)
    if near is None:
        centre = rng.uniform(lo, hi)
    else:
        phi, dist = rng.uniform(0, 2 * np.pi), rng.uniform(0.6, 1.2) * near.a
        centre = np.clip([near.cx + dist * np.cos(phi), near.cy + dist * np.sin(phi)], lo, hi)
    obj.cx, obj.cy = float(centre[0]), float(centre[1])
    return obj


def scene(
    folder: str, subset: str, classes: Sequence[str], size: tuple[int, int], rng: np.random.Generator
) -> list[Placed]:
    """Objects for one image: clutter first, then labelled objects (the folder class always)."""
    side = float(min(size))
    objects: list[Placed] = []
    if subset.endswith("_Other"):
        for _ in range(int(rng.integers(1, 4))):
            look = CLUTTER_LOOKS[int(rng.integers(len(CLUTTER_LOOKS)))]
            clutter = _place(look, side * rng.uniform(0.5, 0.9), size, rng, None)
            clutter.cx += float(rng.uniform(-0.2, 0.2) * side)  # clutter may run off the edge
            objects.append(clutter)
    if subset.startswith("Single"):
        labels = [folder]
        lengths = rng.uniform(0.30, 0.45, 1) * side
    else:
        others = [c for c in classes if c != folder]
        n_other = min(int(rng.integers(1, 4)), len(others))
        labels = [folder] + [others[i] for i in rng.choice(len(others), n_other, replace=False)]
        lengths = rng.uniform(0.22, 0.38, len(labels)) * side
    placed: list[Placed] = []
    for label, length in zip(labels, lengths, strict=True):
        near = placed[int(rng.integers(len(placed)))] if placed and rng.random() < 0.5 else None
        obj = _place(LOOKS[label], float(length), size, rng, near)
        obj.label = label
        placed.append(obj)
    return objects + placed


# ---------------------------------------------------------------- writing


def _resolve_classes(classes: str | Sequence[str] | None) -> tuple[str, ...]:
    if classes is None:
        return DEFAULT_CLASSES
    if isinstance(classes, str):
        if classes != "all":
            raise ValueError(f"classes must be None, 'all' or a list of class names, got {classes!r}")
        return CLASS_FOLDERS
    folder_of = {lookup_class(f): f for f in CLASS_FOLDERS}
    chosen = set()
    for name in classes:
        folder = folder_of.get(lookup_class(name))
        if folder is None:
            raise ValueError(f"unknown X-ray class {name!r}; known folders: {', '.join(CLASS_FOLDERS)}")
        chosen.add(folder)
    if not chosen:
        raise ValueError("classes must name at least one class")
    return tuple(f for f in CLASS_FOLDERS if f in chosen)


def _resolve_makers(makers: Sequence[str]) -> tuple[str, ...]:
    found = set()
    for name in makers:
        maker = lookup_maker(name)
        if maker is None:
            raise ValueError(f"unknown maker {name!r}; known: {', '.join(MAKERS)}")
        found.add(maker)
    if not found:
        raise ValueError("makers must name at least one maker")
    return tuple(m for m in MAKERS if m in found)


def write_synthetic_xray(
    out_dir: str | Path,
    *,
    classes: str | Sequence[str] | None = None,
    makers: Sequence[str] = MAKERS,
    images_per_subset: int = 4,
    image_size: int | Sequence[int] = 320,
    seed: int = 0,
) -> Path:
    """Write a synthetic X-ray dataset in the real layout under ``out_dir`` and return it.

    ``classes``: None (ten diverse classes), ``"all"`` (all 39 shipped folders) or folder / clean
    names. ``images_per_subset`` counts per maker, class and subset; ``image_size`` is a side or
    ``[height, width]``. The same arguments always give byte-identical files.
    """
    folders, makers_ = _resolve_classes(classes), _resolve_makers(makers)
    height, width = image_size_pair(image_size, 32)
    size = (width, height)  # PIL's order, as the renderer and the label files take it
    if images_per_subset < 1:
        raise ValueError(f"images_per_subset must be >= 1, got {images_per_subset}")
    root = Path(out_dir)
    for maker in makers_:
        _write_maker(root, maker, folders, images_per_subset, size, seed)
    return root


def _write_maker(
    root: Path, maker: str, folders: tuple[str, ...], n: int, size: tuple[int, int], seed: int
) -> None:
    m = MAKERS.index(maker)
    style = MAKER_STYLES[maker]
    images: list[dict] = []
    annotations: list[dict] = []
    for folder in folders:
        k = CLASS_FOLDERS.index(folder)
        for s, subset in enumerate(SUBSETS):
            for i in range(n):
                rng = np.random.default_rng([seed, m, k, s, i])
                loc = ImageLocation(maker, folder, subset, image_name(folder, maker, s * n + i + 1))
                objects = scene(folder, subset, folders, size, rng)
                target = root / loc.relative
                target.parent.mkdir(parents=True, exist_ok=True)
                render(objects, size, style).save(target, "PNG", compress_level=1)
                image_id = len(images) + 1
                images.append(
                    {
                        "id": image_id,
                        "file_name": loc.file_name,
                        "width": size[0],
                        "height": size[1],
                        "path": windows_path(loc),
                    }
                )
                labelled = [o for o in objects if o.label is not None]
                for obj in labelled:
                    annotations.append(_coco_annotation(obj, maker, image_id, len(annotations) + 1))
                _write_voc(root, loc, size, labelled)
    write_coco(root / "Annotation" / "Train" / "CoCo" / f"coco_{maker.lower()}.json", {
        "images": images,
        "annotations": annotations,
        "categories": _categories(maker, folders, seed),
    })  # fmt: skip


def _coco_annotation(obj: Placed, maker: str, image_id: int, ann_id: int) -> dict:
    assert obj.label is not None, "unlabelled clutter is never annotated"
    pts = np.round(polygon(obj), 1)
    x1, y1, x2, y2 = polygon_bounds([pts])
    area = 0.5 * abs(
        float(np.dot(pts[:, 0], np.roll(pts[:, 1], 1)) - np.dot(pts[:, 1], np.roll(pts[:, 0], 1)))
    )
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": category_id(obj.label, maker),
        "bbox": [round(x1, 1), round(y1, 1), round(x2 - x1, 1), round(y2 - y1, 1)],
        "area": round(area, 1),
        "iscrowd": 0,
        "segmentation": [flatten_polygon(pts, 1)],
    }


def _write_voc(root: Path, loc: ImageLocation, size: tuple[int, int], objects: list[Placed]) -> None:
    voc_objects = []
    for obj in objects:
        assert obj.label is not None, "unlabelled clutter is never annotated"
        x1, y1, x2, y2 = polygon_bounds([np.round(polygon(obj), 1)])
        box = (int(np.floor(x1)), int(np.floor(y1)), int(np.ceil(x2)), int(np.ceil(y2)))
        voc_objects.append(VocObject(category_name(obj.label, loc.maker), *box, difficult=0, truncated=0))
    ann = VocAnnotation(loc.file_name, size[0], size[1], 3, loc.subset, windows_path(loc), voc_objects)
    write_voc(root / "Annotation" / "Train" / "Pascal" / loc.maker / f"{Path(loc.file_name).stem}.xml", ann)


def _categories(maker: str, folders: tuple[str, ...], seed: int) -> list[dict]:
    cats = [
        {
            "id": category_id(f, maker),
            "name": category_name(f, maker),
            "supercategory": "StorageMedia" if f in STORAGE_MEDIA else "Prohibited",
        }
        for f in folders
    ]
    order = np.random.default_rng([seed, MAKERS.index(maker), 999]).permutation(len(cats))
    return [cats[i] for i in order]


# ---------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments in canonical form (what names a cached twin; see ``DatasetSpec``)."""
    return {
        "classes": list(_resolve_classes(kwargs["classes"])),
        "makers": list(_resolve_makers(kwargs["makers"])),
        "images_per_subset": int(kwargs["images_per_subset"]),
        "image_size": list(image_size_pair(kwargs["image_size"], 32)),
        "seed": int(kwargs["seed"]),
    }


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth xray``: about ``samples`` images over every maker, subset and class;
    ``classes`` is a comma-separated list of class folders, or ``all``."""
    chosen: str | list[str] | None = None
    if classes == "all":
        chosen = "all"
    elif classes:
        chosen = [c.strip() for c in classes.split(",")]
    n_classes = len(_resolve_classes(chosen))
    per_subset = max(1, -(-samples // (len(MAKERS) * len(SUBSETS) * n_classes)))  # ceil
    return {"classes": chosen, "images_per_subset": per_subset}


def remove_one_image(root: Path) -> Path:
    """Delete the first image of a twin (its COCO file still lists it) and return its path."""
    path = min(Path(root).rglob("*.png"))
    path.unlink()
    return path
