"""Synthetic twin of the 인도 보행 depth sub-dataset: ZED stereo sets rendered from a 3-D street.

Each walk is a street in metres (x right, y down, z forward): a sidewalk at y = 0, a road one kerb
step lower on the left with a dashed lane line, building fronts on both sides with gaps, a building
closing the street far ahead, obstacles on the sidewalk (bollards, benches, planters, kiosks, poles)
and cars on the road, all axis-aligned boxes; the sky lies at infinity. A pinhole camera about
1.2 m above the sidewalk walks forward, one set per step. Every pixel of both views is ray-cast
exactly, textures are fixed in world coordinates (paving blocks, asphalt grain, bricks, windows) and
distant surfaces fade into haze, so the left view carries the monocular cues a depth model learns
from: the row of a ground point, the bottom of a box, the size of the texture, the haze.

Per set, in the release's names (``layout.py``): ``left``/``right`` (RGB) and ``L``/``R`` (RGBA),
``disp16`` = the exact disparity fx·B/Z written at ``disparity_scale`` (values only in a central
band of ``crop_rows`` rows, 0 elsewhere and on the sky, as in the release), ``confidence`` (255,
also over the no-value zone; 0 where the point is hidden from the right camera or outside its view),
``confidencesave`` and ``disp`` (rendered pictures, never data) and a ZED ``.conf`` with the real
section and key names. Its FHD ``fx`` scaled to the twin's width is the focal length rendered with,
so the reader's ``calibration: auto`` (a width that is no ZED width is a resize of FHD) recovers it.

The crop path: set numbers with ``n % 5 == 2`` are crops, every file cut to the band (the left view
as tall as the disparity map, ``crop_top`` 0); ``n % 5 == 4`` cut only the disparity and confidence
maps, so the left view is taller and the reader places the map with ``crop_top: centre``; the
others are raw frames. Same arguments, same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from aihub_bench.datasets.sidewalk_depth.layout import CROP_ROWS, RELEASE_ROWS, conf_name, file_name
from aihub_bench.datasets.synth_cache import image_size_pair
from aihub_bench.formats.disparity import write_disparity_png
from aihub_bench.formats.zed_conf import RESOLUTIONS, ZedCalibration, ZedCamera, write_zed_conf

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated
FIRST_WALK = 4000  # walk ids 004001, 004002 ...: not from 0, as in the release
MAX_DISPARITY_SCALE = 1000.0
HAZE_DISTANCE_M = 90.0
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in street coordinates (metres; y down, the sidewalk at y = 0)."""

    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    colour: RGB
    pattern: str  # plain | stripes | bricks | windows


@dataclass(frozen=True)
class Street:
    """What stays the same along one walk."""

    camera_height: float
    kerb_x: float
    kerb_height: float
    lane_x: float
    step: float  # metres walked between sets
    paving: RGB
    boxes: tuple[Box, ...]
    calibration: ZedCalibration


@dataclass(frozen=True)
class RenderedSet:
    """One stereo set as rendered: views, exact depth (inf on the sky), and what the files hold.

    ``disparity`` is fx·B/Z in pixels inside ``band`` (rows ``[top, bottom)``) and 0 elsewhere;
    ``fx``/``fy``/``cx``/``cy`` are the twin's pixels, ``baseline_m`` the stereo baseline."""

    left: np.ndarray
    right: np.ndarray
    depth: np.ndarray
    disparity: np.ndarray
    confidence: np.ndarray
    band: tuple[int, int]
    fx: float
    fy: float
    cx: float
    cy: float
    baseline_m: float
    camera_height: float


def _rgb(values: Iterable[Any]) -> RGB:
    r, g, b = (int(v) for v in values)
    return r, g, b


def crop_kind(frame: int) -> str:
    """``crop`` (every file cut to the band), ``disparity_crop`` (only the maps) or ``raw``."""
    return {2: "crop", 4: "disparity_crop"}.get(frame % 5, "raw")


# ------------------------------------------------------------------------------------- the street


def _calibration(rng: np.random.Generator) -> ZedCalibration:
    """A ZED calibration in the real layout: 2K and FHD share fx (FHD is a crop of the 2K sensor),
    HD and VGA are binned (half and quarter fx)."""
    fx = round(float(rng.uniform(1385, 1415)), 2)
    offset = (float(rng.uniform(-12, 12)), float(rng.uniform(-8, 8)))  # principal point off centre
    k1, k2 = round(float(rng.uniform(-0.18, -0.16)), 6), round(float(rng.uniform(0.02, 0.03)), 6)
    ratios = {"2K": 1.0, "FHD": 1.0, "HD": 0.5, "VGA": 0.25}
    cameras: dict[str, dict[str, ZedCamera]] = {"left": {}, "right": {}}
    for side, shift in (("left", 0.0), ("right", float(rng.uniform(-4, 4)))):
        for name, (width, height) in RESOLUTIONS.items():
            ratio = ratios[name]
            cameras[side][name] = ZedCamera(
                fx=round(fx * ratio, 2),
                fy=round(fx * ratio, 2),
                cx=round(width / 2 + (offset[0] + shift) * ratio, 3),
                cy=round(height / 2 + offset[1] * ratio, 3),
                distortion={"k1": k1, "k2": k2, "p1": 0.0, "p2": 0.0, "k3": 0.0},
            )
    stereo = {"TY": round(float(rng.uniform(-0.3, 0.3)), 4), "TZ": round(float(rng.uniform(-0.5, 0.5)), 4)}
    for key in ("CV", "RX", "RZ"):
        for name in RESOLUTIONS:
            stereo[f"{key}_{name}"] = round(float(rng.uniform(-0.003, 0.003)), 6)
    baseline = round(float(rng.uniform(119.9, 120.1)), 3)
    return ZedCalibration(cameras["left"], cameras["right"], baseline, stereo)


def _building_line(
    rng: np.random.Generator, x_near: float, side: int, far: float, ground: float
) -> list[Box]:
    """Building fronts along ``x = x_near`` (``side`` +1 right, -1 left) standing at ``y = ground``,
    with gaps (alleys)."""
    boxes: list[Box] = []
    z = -20.0
    while z < far:
        length = float(rng.uniform(6, 20))
        height = float(rng.uniform(4, 15))
        x0, x1 = (x_near, x_near + 10) if side > 0 else (x_near - 10, x_near)
        colour = _rgb(rng.integers(90, 220, 3))
        pattern = "bricks" if rng.random() < 0.5 else "windows"
        boxes.append(Box((x0, ground - height, z), (x1, ground, z + length), colour, pattern))
        z += length + float(rng.uniform(1.5, 5))
    return boxes


#: Sidewalk obstacles: (width, height, depth) in metres, colour, pattern.
_OBSTACLES: tuple[tuple[tuple[float, float, float], RGB, str], ...] = (
    ((0.2, 0.9, 0.2), (230, 190, 40), "stripes"),  # bollard
    ((1.6, 0.5, 0.5), (150, 105, 70), "stripes"),  # bench
    ((0.7, 0.7, 0.7), (60, 140, 70), "plain"),  # planter
    ((1.2, 2.2, 1.2), (210, 210, 215), "windows"),  # kiosk
    ((0.15, 3.2, 0.15), (95, 95, 100), "plain"),  # pole
)


def _street(seed: int, walk: int) -> Street:
    rng = np.random.default_rng([seed, walk])
    kerb_x = -float(rng.uniform(1.2, 2.5))
    wall_x = float(rng.uniform(2.5, 4.5))
    far = float(rng.uniform(55, 90))
    kerb_height = float(rng.uniform(0.1, 0.18))
    opposite = kerb_x - float(rng.uniform(7, 10))  # the buildings across the road
    boxes = _building_line(rng, wall_x, 1, far, 0.0) + _building_line(rng, opposite, -1, far, kerb_height)
    boxes.append(Box((-60.0, -25.0, far), (60.0, kerb_height, far + 5), (170, 160, 150), "windows"))
    for _ in range(int(rng.integers(8, 15))):  # on the sidewalk, off the walking lane (|x| < 0.6)
        (w, h, d), colour, pattern = _OBSTACLES[int(rng.integers(len(_OBSTACLES)))]
        right = bool(rng.random() < 0.6)
        lo, hi = (0.6, wall_x - 0.2 - w) if right else (kerb_x + 0.2, -0.6 - w)
        x = float(rng.uniform(lo, max(lo, hi)))
        z = float(rng.uniform(2, far - 5))
        tinted = _rgb(np.clip(np.array(colour) + rng.integers(-20, 21, 3), 0, 255))
        boxes.append(Box((x, -h, z), (x + w, 0.0, z + d), tinted, pattern))
    lane_x = kerb_x - float(rng.uniform(2.8, 3.5))
    for _ in range(int(rng.integers(2, 6))):  # parked and passing cars on the road
        x = float(rng.uniform(lane_x - 1.0, kerb_x - 2.1))
        z = float(rng.uniform(4, far - 6))
        colour = _rgb(rng.integers(30, 230, 3))
        boxes.append(Box((x, kerb_height - 1.5, z), (x + 1.8, kerb_height, z + 4.2), colour, "plain"))
    paving = _rgb(rng.integers((150, 110, 100), (200, 160, 150)))
    return Street(
        camera_height=float(rng.uniform(1.1, 1.3)),
        kerb_x=kerb_x,
        kerb_height=kerb_height,
        lane_x=lane_x,
        step=float(rng.uniform(0.8, 1.6)),
        paving=paving,
        boxes=tuple(boxes),
        calibration=_calibration(rng),
    )


# ------------------------------------------------------------------------------------ ray casting

SKY, SIDEWALK, ROAD, KERB = -1, 0, 1, 2  # surface ids; box i is 3 + i


@dataclass(frozen=True)
class _View:
    """Rays of one camera: origin (x, y, z) and per-pixel directions (dx, dy, 1)."""

    origin: tuple[float, float, float]
    dx: np.ndarray  # (1, W)
    dy: np.ndarray  # (H, 1)
    fx: float
    fy: float
    cx: float
    cy: float


def _cast(street: Street, view: _View) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel: the nearest hit's ray parameter (= depth Z, since dz = 1; inf on the sky), its
    surface id and the axis of its normal (0 x, 1 y, 2 z)."""
    h, w = view.dy.shape[0], view.dx.shape[1]
    ox, oy, _oz = view.origin
    dx, dy = np.broadcast_to(view.dx, (h, w)), np.broadcast_to(view.dy, (h, w))
    best = np.full((h, w), np.inf)
    surface = np.full((h, w), SKY, dtype=np.int16)
    axis = np.full((h, w), 1, dtype=np.int8)
    with np.errstate(divide="ignore", invalid="ignore"):
        down = dy > 0
        for sid, level, on_side in ((SIDEWALK, 0.0, True), (ROAD, street.kerb_height, False)):
            t = np.where(down, (level - oy) / dy, np.inf)
            x = ox + t * dx
            t = np.where((x >= street.kerb_x) == on_side, t, np.inf)
            _keep(best, surface, axis, t, sid, 1)
        t = np.where(dx < 0, (street.kerb_x - ox) / dx, np.inf)
        y = oy + t * dy
        _keep(best, surface, axis, np.where((y >= 0) & (y <= street.kerb_height), t, np.inf), KERB, 0)
    for i, box in enumerate(street.boxes):
        _cast_box(box, 3 + i, view, best, surface, axis)
    return best, surface, axis


def _keep(
    best: np.ndarray, surface: np.ndarray, axis: np.ndarray, t: np.ndarray, sid: int, normal: np.ndarray | int
) -> None:
    """Where ``t`` is a hit nearer than ``best``: take it, with its surface id and normal axis."""
    nearer = (t > 1e-6) & (t < best)
    best[nearer] = t[nearer]
    surface[nearer] = sid
    axis[nearer] = normal[nearer] if isinstance(normal, np.ndarray) else normal


def _cast_box(
    box: Box, sid: int, view: _View, best: np.ndarray, surface: np.ndarray, axis: np.ndarray
) -> None:
    """Slab intersection of the rays with ``box``, over the pixels its projection can cover."""
    h, w = best.shape
    ox, oy, oz = view.origin
    if box.hi[2] <= oz:
        return  # behind the camera
    rows, cols = slice(0, h), slice(0, w)
    if box.lo[2] - oz > 0.05:  # wholly in front: only the rectangle its corners project to
        corners = np.array(
            [
                (x, y, z)
                for x in (box.lo[0], box.hi[0])
                for y in (box.lo[1], box.hi[1])
                for z in (box.lo[2], box.hi[2])
            ]
        )
        depth = corners[:, 2] - oz
        u = view.cx + view.fx * (corners[:, 0] - ox) / depth - 0.5
        v = view.cy + view.fy * (corners[:, 1] - oy) / depth - 0.5
        c0, c1 = max(0, int(np.floor(u.min())) - 1), min(w, int(np.ceil(u.max())) + 2)
        r0, r1 = max(0, int(np.floor(v.min())) - 1), min(h, int(np.ceil(v.max())) + 2)
        if c0 >= c1 or r0 >= r1:
            return
        rows, cols = slice(r0, r1), slice(c0, c1)
    dx = np.broadcast_to(view.dx[:, cols], (rows.stop - rows.start, cols.stop - cols.start))
    dy = np.broadcast_to(view.dy[rows, :], dx.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        near, far = [], []
        for d, o, lo, hi in ((dx, ox, box.lo[0], box.hi[0]), (dy, oy, box.lo[1], box.hi[1])):
            safe = np.where(np.abs(d) < 1e-12, 1e-12, d)
            t0, t1 = (lo - o) / safe, (hi - o) / safe
            near.append(np.minimum(t0, t1))
            far.append(np.maximum(t0, t1))
        tz0, tz1 = box.lo[2] - oz, box.hi[2] - oz  # dz = 1
        t_near = np.maximum(np.maximum(near[0], near[1]), tz0)
        t_far = np.minimum(np.minimum(far[0], far[1]), tz1)
    hit = (t_near <= t_far) & (t_near > 1e-6)
    normal = np.where(near[0] >= np.maximum(near[1], tz0), 0, np.where(near[1] >= tz0, 1, 2)).astype(np.int8)
    _keep(best[rows, cols], surface[rows, cols], axis[rows, cols], np.where(hit, t_near, np.inf), sid, normal)


# ---------------------------------------------------------------------------------------- shading


def _hash(a: np.ndarray, b: np.ndarray, salt: int) -> np.ndarray:
    """A value in [0, 1] per integer cell ``(a, b)``: texture fixed in world coordinates."""
    x = (a.astype(np.int64).astype(np.uint64) * np.uint64(73856093)) ^ (
        b.astype(np.int64).astype(np.uint64) * np.uint64(19349663)
    )
    x ^= np.uint64(salt * 83492791 & 0xFFFFFFFF)
    x = (x ^ (x >> np.uint64(13))) * np.uint64(1274126177)
    return ((x ^ (x >> np.uint64(16))) & np.uint64(0xFFFF)).astype(np.float64) / 65535.0


def _frac(x: np.ndarray) -> np.ndarray:
    return x - np.floor(x)


def _shade(street: Street, view: _View, hits: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """The colour of every pixel (float RGB), from the surface hit and its world coordinates."""
    t, surface, axis = hits
    ox, oy, oz = view.origin
    finite = np.where(np.isfinite(t), t, 0.0)
    x, y, z = ox + finite * view.dx, oy + finite * view.dy, oz + finite
    colour = np.zeros((*t.shape, 3))

    m = surface == SIDEWALK  # paving blocks 0.4 x 0.2 m in running bond, dark grout
    row = np.floor(z[m] / 0.2)
    col = np.floor((x[m] + 0.2 * (row % 2)) / 0.4)
    grout = (_frac(z[m] / 0.2) < 0.08) | (_frac((x[m] + 0.2 * (row % 2)) / 0.4) < 0.05)
    tone = np.where(grout, 0.55, 0.8 + 0.3 * _hash(row, col, 1))
    colour[m] = np.outer(tone, street.paving)

    m = surface == ROAD  # asphalt grain and a dashed lane line
    grain = 0.85 + 0.3 * _hash(np.floor(x[m] / 0.08), np.floor(z[m] / 0.08), 2)
    colour[m] = np.outer(grain, (72, 72, 78))
    colour[m & (np.abs(x - street.lane_x) < 0.07) & (_frac(z / 6.0) < 0.5)] = (225, 225, 215)

    m = surface == KERB  # kerb stones, a joint every metre
    colour[m] = np.outer(np.where(_frac(z[m]) < 0.03, 0.6, 1.0), (182, 180, 172))

    face_light = np.array([0.72, 1.12, 0.95])
    for sid in np.unique(surface[surface >= 3]):
        box = street.boxes[int(sid) - 3]
        m = surface == sid
        along = np.where(axis[m] == 0, z[m], x[m])  # the face's horizontal coordinate
        tone = _pattern(box.pattern, along, y[m])
        colour[m] = np.outer(tone * face_light[axis[m]], box.colour)

    fog = np.exp(-finite / HAZE_DISTANCE_M)[..., None]
    colour = colour * fog + np.array([200.0, 208.0, 222.0]) * (1 - fog)
    sky = surface == SKY
    up = np.clip(-np.broadcast_to(view.dy, t.shape)[sky] / 0.5, 0, 1)[:, None]
    colour[sky] = np.array([205.0, 215.0, 232.0]) * (1 - up) + np.array([110.0, 160.0, 225.0]) * up
    return colour


def _pattern(pattern: str, along: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Brightness of a box face: world-fixed stripes, bricks or windows."""
    if pattern == "stripes":
        return np.where(_frac(y / 0.3) < 0.35, 0.55, 1.0)
    if pattern == "bricks":
        course = np.floor(y / 0.1)
        mortar = (_frac(y / 0.1) < 0.15) | (_frac((along + 0.125 * (course % 2)) / 0.25) < 0.08)
        return np.where(mortar, 1.25, 0.85 + 0.2 * _hash(course, np.floor(along / 0.25), 3))
    if pattern == "windows":
        window = (_frac(along / 1.6) > 0.3) & (_frac(y / 1.3) > 0.35)
        return np.where(window, 0.35, 1.0)
    return np.ones_like(y)


# -------------------------------------------------------------------------------------- rendering


def _band(height: int, crop_rows: int) -> tuple[int, int]:
    top = (height - crop_rows) // 2
    return top, top + crop_rows


def render_set(
    seed: int, walk: int, frame: int, image_size: tuple[int, int] = (216, 384), crop_rows: int = 118
) -> RenderedSet:
    """Set ``frame`` (from 1) of walk ``walk`` (from 1) at ``image_size`` = (height, width)."""
    h, w = image_size
    street = _street(seed, walk)
    fhd_w, fhd_h = RESOLUTIONS["FHD"]
    cam = street.calibration.left["FHD"]
    fx, fy = cam.fx * w / fhd_w, cam.fy * h / fhd_h
    cx, cy = cam.cx * w / fhd_w, cam.cy * h / fhd_h
    baseline = street.calibration.baseline_m
    rng = np.random.default_rng([seed, walk, frame])
    walker_x = float(rng.uniform(-0.25, 0.25))
    origin = (walker_x, -street.camera_height, (frame - 1) * street.step)
    dx = ((np.arange(w) + 0.5 - cx) / fx)[None, :]
    dy = ((np.arange(h) + 0.5 - cy) / fy)[:, None]
    views = [
        _View((origin[0] + shift, origin[1], origin[2]), dx, dy, fx, fy, cx, cy) for shift in (0.0, baseline)
    ]
    hits = [_cast(street, view) for view in views]
    exposure = float(rng.uniform(0.85, 1.15))  # no sensor noise: it would triple the PNGs' size
    pictures = [
        np.clip(np.rint(_shade(street, view, hit) * exposure), 0, 255).astype(np.uint8)
        for view, hit in zip(views, hits, strict=True)
    ]
    depth, right_depth = hits[0][0], hits[1][0]
    top, bottom = _band(h, crop_rows)
    disparity = np.zeros((h, w))
    seen = np.isfinite(depth)
    disparity[seen] = fx * baseline / depth[seen]
    disparity[:top], disparity[bottom:] = 0.0, 0.0
    return RenderedSet(
        left=pictures[0],
        right=pictures[1],
        depth=depth,
        disparity=disparity,
        confidence=_confidence(depth, right_depth, disparity),
        band=(top, bottom),
        fx=fx,
        fy=fy,
        cx=cx,
        cy=cy,
        baseline_m=baseline,
        camera_height=street.camera_height,
    )


def _confidence(depth: np.ndarray, right_depth: np.ndarray, disparity: np.ndarray) -> np.ndarray:
    """True (confident) except where a point with a disparity is outside the right view or hidden
    from it (both right-view pixels around its match are clearly nearer)."""
    h, w = depth.shape
    confident = np.ones((h, w), dtype=bool)
    v, u = np.nonzero(disparity > 0)
    match = u + 0.5 - disparity[v, u]  # where the point lies in the right view (pixel centres at c + 0.5)
    outside = match < 0
    before = np.floor(match - 0.5).astype(np.int64)  # the right-view pixels either side of it
    c0, c1 = np.clip(before, 0, w - 1), np.clip(before + 1, 0, w - 1)
    z = depth[v, u]
    hidden = np.maximum(right_depth[v, c0], right_depth[v, c1]) < 0.95 * z - 0.05
    confident[v[outside | hidden], u[outside | hidden]] = False
    return confident


# ---------------------------------------------------------------------------------------- writing


def write_synthetic_sidewalk_depth(
    out: str | Path,
    *,
    sequences: int = 6,
    frames_per_sequence: int = 10,
    image_size: int | list[int] | tuple[int, int] = (216, 384),
    crop_rows: int | None = None,
    disparity_scale: float = 256.0,
    seed: int = 0,
) -> Path:
    """Write the depth twin under ``out`` (``depth/<walk id>/``) and return ``out``.

    ``sequences`` walks of ``frames_per_sequence`` sets each; ``image_size`` is ``[height, width]``
    of a raw frame (the release's is 1080 x 1920); ``crop_rows``: the rows of the band holding
    disparity values (default the release's 592 of 1080, scaled); ``disparity_scale``: ``disp16``
    value per pixel of disparity (the reader's option of the same name must match).
    """
    p = canonical_params(locals() | {"out": None})
    h, w = p["image_size"]
    root = Path(out)
    for walk in range(1, p["sequences"] + 1):
        sequence = FIRST_WALK + walk
        folder = root / "depth" / f"{sequence:06d}"
        folder.mkdir(parents=True, exist_ok=True)
        calibration = _street(p["seed"], walk).calibration
        for frame in range(1, p["frames_per_sequence"] + 1):
            rendered = render_set(p["seed"], walk, frame, (h, w), p["crop_rows"])
            _write_set(folder, sequence, frame, rendered, calibration, p["disparity_scale"])
    return root


def _write_set(
    folder: Path, sequence: int, frame: int, r: RenderedSet, calibration: ZedCalibration, scale: float
) -> None:
    top, bottom = r.band
    kind = crop_kind(frame)
    views = slice(top, bottom) if kind == "crop" else slice(None)
    maps = slice(top, bottom) if kind != "raw" else slice(None)

    def name(k: str) -> Path:
        return folder / file_name(k, sequence, frame)

    alpha = np.full((*r.left.shape[:2], 1), 255, dtype=np.uint8)
    Image.fromarray(r.left[views]).save(name("left"))
    Image.fromarray(r.right[views]).save(name("right"))
    Image.fromarray(np.concatenate([r.left, alpha], axis=2)[views], "RGBA").save(name("L"))
    Image.fromarray(np.concatenate([r.right, alpha], axis=2)[views], "RGBA").save(name("R"))
    write_disparity_png(name("disp16"), r.disparity[maps], scale)
    confidence = np.where(r.confidence, 255, 0).astype(np.uint8)[maps]
    Image.fromarray(confidence, "L").save(name("confidence"))
    Image.fromarray(np.repeat(confidence[..., None], 3, axis=2), "RGB").save(name("confidencesave"))
    band = r.disparity[top + 1 : bottom - 1]  # the release's rendered picture is 2 rows short of the band
    picture = np.clip(np.rint(band * 255.0 / max(float(band.max()), 1e-6)), 0, 255).astype(np.uint8)
    Image.fromarray(picture, "L").save(name("disp"))
    write_zed_conf(folder / conf_name(sequence, frame), calibration)


# ---------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments in canonical form (what names a cached twin; see ``DatasetSpec``)."""
    counts = {k: int(kwargs[k]) for k in ("sequences", "frames_per_sequence")}
    if min(counts.values()) < 1 or counts["sequences"] > 999:
        raise ValueError(f"sequences (1-999) and frames_per_sequence (>= 1) out of range: {counts}")
    h, w = image_size_pair(kwargs["image_size"], 96)
    crop_rows = (
        round(h * CROP_ROWS / RELEASE_ROWS) if kwargs["crop_rows"] is None else int(kwargs["crop_rows"])
    )
    if not 16 <= crop_rows <= h:
        raise ValueError(f"crop_rows must be between 16 and the image height {h}, got {crop_rows}")
    scale = float(kwargs["disparity_scale"])
    if not 0 < scale <= MAX_DISPARITY_SCALE:
        raise ValueError(
            f"disparity_scale must be in (0, {MAX_DISPARITY_SCALE:g}], got {kwargs['disparity_scale']!r}"
        )
    return {
        **counts,
        "image_size": [h, w],
        "crop_rows": crop_rows,
        "disparity_scale": scale,
        "seed": int(kwargs["seed"]),
    }


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth sidewalk_depth``: about ``samples`` sets, ten per walk (no classes)."""
    frames = 10
    return {"sequences": max(1, -(-samples // frames)), "frames_per_sequence": frames}


def remove_one_file(root: Path) -> Path:
    """Delete the first disparity map of a twin (the rest of its set stays) and return its path."""
    disparity = min(Path(root).rglob("Sidewalk_19009_depth_disp16_*.png"))
    disparity.unlink()
    return disparity
