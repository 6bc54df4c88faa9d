"""Synthetic twin of the mammography release, written in the assumed layout (see ``layout.py``).

    <root>/<patient>/<patient>_<VIEW>.dcm    four views; about one patient in three spells RML0/LML0
    <root>/<patient>/<patient>.json          BI-RADS, device, model; malignant: pathology + lesions

Each view is a half-ellipse breast against the chest wall (right views mirrored), MLO views with
the pectoral muscle in the upper chest-wall corner, smoothed-noise fibroglandular texture.
Malignant patients have a bright spiculated mass in both views of one breast; some benign
patients a fainter smooth round one; normal patients none. Files mix bit depths, MONOCHROME1/2,
uncompressed/RLE/JPEG 2000 and window tags, as different devices would. Same arguments, same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from PIL import Image, ImageDraw
from pydicom.uid import UID, generate_uid
from scipy.ndimage import gaussian_filter

from aihub_bench.datasets.mammography.layout import CLASS_RANGES, VIEW_ALIASES, VIEWS, file_name
from aihub_bench.datasets.synth_cache import image_size_pair, release_shares
from aihub_bench.formats.dicom import write_dicom_image

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated
DEFAULT_PATIENTS: dict[str, int] = {"malignant": 8, "benign": 8, "normal": 16}
MIN_SIZE = 48
BIRADS = {"normal": ("1",), "benign": ("2", "3"), "malignant": ("4B", "4C", "5")}
PATHOLOGY = ("침윤성 유관암", "유관 상피내암", "침윤성 소엽암", "점액암")
BENIGN_MASS_RATE = 0.5
ALIAS_SPELLING = {canonical: alias for alias, canonical in VIEW_ALIASES.items()}  # RMLO -> RML0


@dataclass(frozen=True)
class _Device:
    manufacturer: str
    model: str
    bits_stored: int
    windowed: bool  # writes a window centre/width


DEVICES = (
    _Device("Hologic", "Selenia Dimensions", 12, True),
    _Device("GE", "Senographe Pristina", 12, False),
    _Device("Siemens", "Mammomat Revelation", 16, True),
    _Device("Fujifilm", "Amulet Innovality", 12, False),
)
DEVICE_WEIGHTS = (0.4, 0.3, 0.15, 0.15)


@dataclass(frozen=True)
class _Mass:
    """A mass on one breast, placed in breast-relative coordinates shared by its CC and MLO views."""

    side: str  # "R" or "L"
    malignant: bool
    depth: float  # fraction of the breast depth, from the chest wall
    offset_cc: float  # fraction of the half-height, CC view
    offset_mlo: float  # same, MLO view
    radius: float  # fraction of the image width
    seed: int


@dataclass(frozen=True)
class _Breast:
    """Where the breast lies in one view (chest wall at x = 0, before mirroring right views)."""

    cy: float
    ax: float
    ay: float
    pectoral: tuple[float, float] | None  # MLO: the triangle's width and height


# ---------------------------------------------------------------- drawing


def _smooth_noise(rng: np.random.Generator, h: int, w: int, sigma: float | tuple[float, float]) -> np.ndarray:
    field = gaussian_filter(rng.standard_normal((h, w)).astype(np.float32), sigma, mode="reflect")
    return field / max(float(field.std()), 1e-6)


def _breast(view: str, size: tuple[int, int], rng: np.random.Generator) -> _Breast:
    w, h = size
    if view.endswith("CC"):
        return _Breast(
            h * rng.uniform(0.47, 0.53), w * rng.uniform(0.74, 0.9), h * rng.uniform(0.4, 0.46), None
        )
    pectoral = (w * rng.uniform(0.28, 0.4), h * rng.uniform(0.4, 0.55))
    return _Breast(
        h * rng.uniform(0.5, 0.55), w * rng.uniform(0.7, 0.85), h * rng.uniform(0.5, 0.55), pectoral
    )


def _tissue(breast: _Breast, size: tuple[int, int], density: float, rng: np.random.Generator) -> np.ndarray:
    """Display intensity in [0, 1] of an unmirrored view: background, breast, texture, pectoral."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt((x / breast.ax) ** 2 + ((y - breast.cy) / breast.ay) ** 2)
    inside = r < 1.0
    thickness = np.sqrt(np.clip((1.0 - r**2) * 3.0, 0.0, 1.0))  # compressed: flat, falling off at the skin
    # ducts and stroma run towards the nipple: texture stretched along x
    coarse, fine = _smooth_noise(rng, h, w, (w / 24, w / 12)), _smooth_noise(rng, h, w, (w / 90, w / 40))
    glandular = density * np.exp(-(((r - 0.45) / 0.3) ** 2))
    texture = glandular * np.clip(0.55 + 0.3 * coarse + 0.12 * fine, 0.0, 1.0)
    img = np.where(inside, 0.28 + 0.2 * thickness + 0.25 * texture * thickness, 0.0)
    img += 0.04 * np.exp(-(((r - 0.985) / 0.012) ** 2))  # skin line
    if breast.pectoral is not None:
        pw, ph = breast.pectoral
        muscle = np.clip((1.0 - x / pw - y / ph) * 6.0, 0.0, 1.0)  # soft-edged triangle
        img = np.maximum(img, muscle * (0.72 + 0.04 * fine))
    img += 0.025 + 0.008 * rng.standard_normal((h, w)).astype(np.float32)
    return img.astype(np.float32)


def _mass_outline(mass: _Mass, centre: tuple[float, float], w: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The mass polygon ``(K, 2)`` and, for malignant masses, spicule lines ``(2, 2)``."""
    rng = np.random.default_rng(mass.seed)
    radius = mass.radius * w
    n = 28
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    if mass.malignant:  # irregular: a few random harmonics
        wobble = sum(
            rng.uniform(0.05, 0.14) * np.cos(k * theta + rng.uniform(0, 2 * np.pi)) for k in (2, 3, 5, 7)
        )
    else:
        wobble = 0.04 * np.cos(2 * theta + rng.uniform(0, 2 * np.pi))
    rho = radius * (1.0 + wobble)
    outline = np.stack([centre[0] + rho * np.cos(theta), centre[1] + rho * np.sin(theta)], axis=1)
    spicules = []
    if mass.malignant:
        for a in rng.uniform(0, 2 * np.pi, int(rng.integers(7, 12))):
            length = radius * rng.uniform(1.5, 2.3)
            start = (centre[0] + 0.7 * radius * np.cos(a), centre[1] + 0.7 * radius * np.sin(a))
            spicules.append(
                np.array([start, (centre[0] + length * np.cos(a), centre[1] + length * np.sin(a))])
            )
    return outline.astype(np.float32), spicules


def _draw_mass(img: np.ndarray, outline: np.ndarray, spicules: list[np.ndarray], malignant: bool) -> None:
    """Add the mass to ``img`` in place: bright and spiculated, or faint with a smooth edge."""
    h, w = img.shape
    layer = Image.new("F", (w, h), 0.0)
    draw = ImageDraw.Draw(layer)
    draw.polygon([tuple(p) for p in outline.tolist()], fill=1.0)
    if malignant:
        for line in spicules:
            draw.line([tuple(p) for p in line.tolist()], fill=0.6, width=max(1, round(w / 110)))
    mask = gaussian_filter(np.asarray(layer, np.float32), 0.6 if malignant else w / 160)
    img += mask * (0.34 if malignant else 0.13)


def _mass_centre(mass: _Mass, view: str, breast: _Breast) -> tuple[float, float]:
    offset = mass.offset_cc if view.endswith("CC") else mass.offset_mlo
    return mass.depth * breast.ax, breast.cy + offset * breast.ay


def _render(
    view: str, size: tuple[int, int], density: float, mass: _Mass | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray | None]:
    """One view in display space [0, 1] and the mass outline in its pixel coordinates (if any)."""
    w, _ = size
    breast = _breast(view, size, rng)
    img = _tissue(breast, size, density, rng)
    outline = None
    if mass is not None and mass.side == view[0]:
        outline, spicules = _mass_outline(mass, _mass_centre(mass, view, breast), w)
        _draw_mass(img, outline, spicules, mass.malignant)
    img = np.clip(img, 0.0, 1.0)
    if view[0] == "R":  # right views: chest wall on the right edge
        img = img[:, ::-1]
        if outline is not None:
            outline = np.stack([(w - 1) - outline[:, 0], outline[:, 1]], axis=1)
    return np.ascontiguousarray(img), outline


# ---------------------------------------------------------------- patients


@dataclass(frozen=True)
class _Patient:
    patient_id: str
    class_name: str
    class_index: int
    number: int  # 0-based, within the class
    index: int  # running number over all patients: spreads spellings and file styles
    device: _Device
    density: float
    mass: _Mass | None
    metadata: dict[str, str]


def _make_patient(class_name: str, k: int, index: int, seed: int) -> _Patient:
    class_index = list(CLASS_RANGES).index(class_name)  # a class's patients do not depend on the others
    rng = np.random.default_rng([seed, class_index, k])
    patient_id = f"{CLASS_RANGES[class_name][0] + k:05d}"
    device = DEVICES[int(rng.choice(len(DEVICES), p=DEVICE_WEIGHTS))]
    mass = None
    if class_name == "malignant" or (class_name == "benign" and rng.random() < BENIGN_MASS_RATE):
        malignant = class_name == "malignant"
        mass = _Mass(
            side=str(rng.choice(["R", "L"])),
            malignant=malignant,
            depth=float(rng.uniform(0.3, 0.6)),
            offset_cc=float(rng.uniform(-0.4, 0.4)),
            offset_mlo=float(rng.uniform(-0.2, 0.4)),  # below the pectoral muscle
            radius=float(rng.uniform(0.06, 0.1) if malignant else rng.uniform(0.05, 0.08)),
            seed=int(rng.integers(2**31)),
        )
    metadata = {
        "patient": patient_id,
        "birads": str(rng.choice(BIRADS[class_name])),
        "device": device.manufacturer,
        "model": device.model,
    }
    if class_name == "malignant":
        metadata["pathology"] = str(rng.choice(PATHOLOGY))
    density = float(rng.uniform(0.5, 1.0))
    return _Patient(patient_id, class_name, class_index, k, index, device, density, mass, metadata)


def _file_styles(n_files: int, mono1: float, compressed: float, seed: int) -> list[tuple[str, str | bool]]:
    """(photometric, compression) per file: exactly the asked fractions, spread by ``seed``."""
    rng = np.random.default_rng([seed, 7])
    mono = set(rng.permutation(n_files)[: round(mono1 * n_files)].tolist())
    packed = rng.permutation(n_files)[: round(compressed * n_files)].tolist()
    codec = {f: ("rle", "jpeg2000")[i % 2] for i, f in enumerate(packed)}
    return [("MONOCHROME1" if f in mono else "MONOCHROME2", codec.get(f, False)) for f in range(n_files)]


def _uid(seed: int, *parts: str) -> UID:
    return generate_uid(entropy_srcs=["aihub-bench-mammography-synth", str(seed), *parts])


def _write_view(
    path: Path,
    patient: _Patient,
    view: str,
    display: np.ndarray,
    style: tuple[str, str | bool],
    seed: int,
    rng: np.random.Generator,
) -> None:
    """Store ``display`` as the device would: bit depth, photometric, window, compression."""
    photometric, compress = style
    top = 2**patient.device.bits_stored - 1
    scale = top * rng.uniform(0.85, 0.97)
    stored = np.clip(np.round(display * scale), 0, top).astype(np.uint16)
    window = (0.55 * scale, 0.9 * scale) if patient.device.windowed else None
    if photometric == "MONOCHROME1":  # inverted storage: displays the same after inversion
        stored = (top - stored).astype(np.uint16)
        window = None if window is None else (top - window[0], window[1])
    sop = _uid(seed, patient.patient_id, view)
    meta = {
        "PatientID": patient.patient_id,
        "Manufacturer": patient.device.manufacturer,
        "ManufacturerModelName": patient.device.model,
        "BodyPartExamined": "BREAST",
        "ViewPosition": view[1:],
        "ImageLaterality": view[0],
        "StudyInstanceUID": _uid(seed, patient.patient_id),
        "SeriesInstanceUID": _uid(seed, patient.patient_id, view, "series"),
    }
    write_dicom_image(
        path,
        stored,
        bits_stored=patient.device.bits_stored,
        photometric=photometric,
        window=window,
        compress=compress,
        meta=meta,
    )
    # the writer (and compressing) draw random instance UIDs; set ours so the bytes are reproducible
    ds = pydicom.dcmread(path)
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.save_as(path, enforce_file_format=True)


def _write_patient(
    root: Path, patient: _Patient, size: tuple[int, int], styles: list[tuple[str, str | bool]], seed: int
) -> None:
    folder = root / patient.patient_id
    folder.mkdir(parents=True, exist_ok=True)
    alias = patient.index % 3 == 1
    lesions = []
    for v, view in enumerate(VIEWS):
        rng = np.random.default_rng([seed, patient.class_index, patient.number, v])
        display, outline = _render(view, size, patient.density, patient.mass, rng)
        name = ALIAS_SPELLING.get(view, view) if alias else view
        _write_view(
            folder / file_name(patient.patient_id, name), patient, view, display, styles[v], seed, rng
        )
        if outline is not None and patient.mass is not None and patient.mass.malignant:
            lesions.append({"view": name, "points": np.round(outline, 1).tolist()})
    metadata: dict[str, Any] = dict(patient.metadata)
    if lesions:
        metadata["lesions"] = lesions
    text = json.dumps(metadata, ensure_ascii=False, indent=1)
    (folder / f"{patient.patient_id}.json").write_text(text, encoding="utf-8")


def _check(patients: Mapping[str, int], mono1: float, compressed: float, seed: int) -> dict[str, int]:
    out = {}
    for name, count in patients.items():
        if name not in CLASS_RANGES:
            raise ValueError(f"unknown mammography class {name!r}; known: {list(CLASS_RANGES)}")
        first, last = CLASS_RANGES[name]
        if not isinstance(count, int) or not 0 <= count <= last - first + 1:
            raise ValueError(f"patients[{name!r}] must be an integer in 0..{last - first + 1}, got {count!r}")
        out[name] = count
    if not any(out.values()):
        raise ValueError("patients must ask for at least one patient")
    for label, value in (("monochrome1_fraction", mono1), ("compressed_fraction", compressed)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{label} must be in [0, 1], got {value}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return {name: out[name] for name in CLASS_RANGES if name in out}  # release order


def write_synthetic_mammography(
    root: str | Path,
    *,
    patients: Mapping[str, int] | None = None,
    image_size: int | Sequence[int] = (200, 160),
    monochrome1_fraction: float = 0.25,
    compressed_fraction: float = 0.25,
    seed: int = 0,
) -> Path:
    """Write a synthetic mammography dataset under ``root`` and return it.

    ``patients``: class -> number of patients (ids from each class range's first id).
    ``image_size``: a side or ``[height, width]``, at least 48 px. About ``monochrome1_fraction``
    of the files are stored inverted (MONOCHROME1) and ``compressed_fraction`` compressed (RLE and
    JPEG 2000 Lossless, alternately).
    """
    counts = _check(
        DEFAULT_PATIENTS if patients is None else patients, monochrome1_fraction, compressed_fraction, seed
    )
    height, width = image_size_pair(image_size, MIN_SIZE)
    size = (width, height)  # the renderer's (PIL's) order
    plan: list[_Patient] = []
    for name, count in counts.items():
        start = len(plan)
        plan.extend(_make_patient(name, k, start + k, seed) for k in range(count))
    styles = _file_styles(len(VIEWS) * len(plan), monochrome1_fraction, compressed_fraction, seed)
    root = Path(root)
    for patient in plan:
        first = len(VIEWS) * patient.index
        _write_patient(root, patient, size, styles[first : first + len(VIEWS)], seed)
    return root


# ---------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments in canonical form (what names a cached twin; see ``DatasetSpec``)."""
    p = kwargs
    patients = DEFAULT_PATIENTS if p["patients"] is None else p["patients"]
    return {
        "patients": _check(patients, p["monochrome1_fraction"], p["compressed_fraction"], p["seed"]),
        "image_size": list(image_size_pair(p["image_size"], MIN_SIZE)),
        "monochrome1_fraction": float(p["monochrome1_fraction"]),
        "compressed_fraction": float(p["compressed_fraction"]),
        "seed": int(p["seed"]),
    }


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth mammography``: about ``samples`` images, four views per patient, the
    patients in the release's class proportions (1,500 malignant, 1,500 benign, 4,500 normal)."""
    release = {"malignant": 1500, "benign": 1500, "normal": 4500}
    return {"patients": release_shares(release, max(1, samples // len(VIEWS)))}


def remove_one_view(root: Path) -> Path:
    """Delete the first DICOM file of a twin and return its patient's folder, which the reader
    names (the patient now lacks a view)."""
    path = min(Path(root).rglob("*.dcm"))
    path.unlink()
    return path.parent
