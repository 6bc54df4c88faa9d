"""Synthetic twin of 한국인 안면 이미지 (K-Face) in the real layout (FORMATS.md §7).

    <out>/<resolution_dir>/<8-digit id>/S###/L#/E##/C#.jpg      every image of the condition grid
    <out>/<resolution_dir>/<id>/S001/L1/E##/C#.txt              annotations [A]: 7 boxes, 7 landmarks
    <out>/protocols/pairs_paths.txt, pairs_short.txt             one example protocol in both forms
    <out>/protocols/test_identities.txt                          its identities (the last ones)

Faces are drawn by :mod:`~aihub_bench.datasets.kface.render`: each identity's look comes from its
own seed, the condition codes change the picture around it. The example protocol fixes S001 / L1 /
E01 and pairs the frontal camera C7 with every other camera of the twin (positives) and with the
next identity's images (negatives). Same arguments, same bytes (JPEG through PIL at a fixed
quality, txt in a fixed order).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aihub_bench.datasets.kface.layout import (
    BOXES,
    CONDITION_CODES,
    LANDMARKS,
    REFERENCE_ACCESSORY,
    REFERENCE_LIGHT,
    image_key,
)
from aihub_bench.datasets.kface.pairs import write_identity_list, write_pair_list, write_short_pair_list
from aihub_bench.datasets.kface.render import identity_look, render_face
from aihub_bench.datasets.spec import writer_arguments
from aihub_bench.records import FACE_FACTORS, FacePair

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated
JPEG_QUALITY = 92
GALLERY = {"accessory": "S001", "light": "L1", "expression": "E01", "camera": "C7"}
CODE_OPTIONS = {
    "accessory": "accessories",
    "light": "lights",
    "expression": "expressions",
    "camera": "cameras",
}


def write_synthetic_kface(
    out_dir: str | Path,
    identities: int = 60,
    accessories: Sequence[str] = ("S001", "S002", "S003", "S006"),
    lights: Sequence[str] = ("L1", "L2", "L7"),
    expressions: Sequence[str] = ("E01", "E02", "E03"),
    cameras: Sequence[str] = ("C4", "C6", "C7", "C10"),
    image_size: int = 128,
    seed: int = 0,
    first_id: int = 19062421,
    resolution_dir: str = "High",
) -> Path:
    """Write the twin under ``out_dir`` and return it: ``identities`` ids (``first_id``, +1, ...)
    times every combination of the condition codes, at ``image_size`` pixels square."""
    p = canonical_params(
        {
            "identities": identities,
            "accessories": accessories,
            "lights": lights,
            "expressions": expressions,
            "cameras": cameras,
            "image_size": image_size,
            "seed": seed,
            "first_id": first_id,
            "resolution_dir": resolution_dir,
        }
    )
    out = Path(out_dir)
    top = out / p["resolution_dir"]
    ids = [f"{p['first_id'] + i:08d}" for i in range(p["identities"])]
    index = {f: {c: k for k, c in enumerate(CONDITION_CODES[f])} for f in FACE_FACTORS}
    for i, identity in enumerate(ids):
        look = identity_look(np.random.default_rng([p["seed"], 1, i]))
        for s in p["accessories"]:
            for li in p["lights"]:
                for e in p["expressions"]:
                    folder = top / identity / s / li / e
                    folder.mkdir(parents=True, exist_ok=True)
                    annotated = (s, li) == (REFERENCE_ACCESSORY, REFERENCE_LIGHT)
                    for c in p["cameras"]:
                        codes = (
                            index["accessory"][s],
                            index["light"][li],
                            index["expression"][e],
                            index["camera"][c],
                        )
                        rng = np.random.default_rng([p["seed"], 2, i, *codes])
                        drawn = render_face(look, s, li, e, c, p["image_size"], rng)
                        drawn.image.save(folder / f"{c}.jpg", "JPEG", quality=JPEG_QUALITY)
                        if annotated:
                            (folder / f"{c}.txt").write_text(
                                _annotation(drawn.boxes, drawn.landmarks), encoding="utf-8"
                            )
    _write_protocol(out / "protocols", ids, p["cameras"])
    return out


def _annotation(
    boxes: dict[str, tuple[float, float, float, float]], landmarks: dict[str, tuple[float, float]]
) -> str:
    """The assumed txt format: the 7 boxes ``x y w h`` (BOXES order), then the 7 landmarks ``x y``."""
    lines = [" ".join(f"{v:.1f}" for v in boxes[name]) for name in BOXES]
    lines += [" ".join(f"{v:.1f}" for v in landmarks[name]) for name in LANDMARKS]
    return "\n".join(lines) + "\n"


def protocol_pairs(ids: Sequence[str], cameras: Sequence[str]) -> list[FacePair]:
    """The example protocol: S001/L1/E01, C7 against each other camera of the same identity
    (positives) and of the next identity (negatives), over ``ids``."""
    others = [c for c in cameras if c != GALLERY["camera"]]
    fixed = (GALLERY["accessory"], GALLERY["light"], GALLERY["expression"])

    def key(identity: str, camera: str) -> str:
        return image_key(identity, *fixed, camera, ".jpg")

    positives = [FacePair(key(i, "C7"), key(i, c), True) for i in ids for c in others]
    negatives = [
        FacePair(key(i, "C7"), key(ids[(k + 1) % len(ids)], c), False)
        for k, i in enumerate(ids)
        for c in others
    ]
    return positives + negatives


def _write_protocol(folder: Path, ids: list[str], cameras: Sequence[str]) -> None:
    test_ids = ids[-max(2, len(ids) // 5) :]
    pairs = protocol_pairs(test_ids, cameras)
    write_pair_list(folder / "pairs_paths.txt", pairs)
    write_short_pair_list(folder / "pairs_short.txt", pairs)
    write_identity_list(folder / "test_identities.txt", test_ids)


# ---------------------------------------------------------------- spec hooks


def _codes(factor: str, given: Any) -> list[str]:
    option = CODE_OPTIONS[factor]
    codes = [given] if isinstance(given, str) else list(given)
    valid = CONDITION_CODES[factor]
    bad = [c for c in codes if c not in valid]
    if bad or not codes:
        raise ValueError(
            f"{option} must be a non-empty list of {factor} codes ({valid[0]}..{valid[-1]}), got {given!r}"
        )
    if GALLERY[factor] not in codes:
        raise ValueError(f"{option} must include {GALLERY[factor]}: the gallery and the protocol use it")
    return [c for c in valid if c in codes]  # release order, each once


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments, defaults filled in, validated and in canonical form."""
    given = writer_arguments(write_synthetic_kface, kwargs)
    identities, size, first_id = int(given["identities"]), int(given["image_size"]), int(given["first_id"])
    if identities < 2:
        raise ValueError(f"identities must be >= 2 (verification needs negatives), got {identities}")
    if not 48 <= size <= 512:
        raise ValueError(f"image_size must be 48..512 pixels, got {size}")
    if first_id < 10_000_000 or first_id + identities > 100_000_000:
        raise ValueError(f"first_id must make 8-digit ids for all {identities} identities, got {first_id}")
    resolution = str(given["resolution_dir"])
    if not resolution or "/" in resolution or "\\" in resolution or resolution.startswith("."):
        raise ValueError(f"resolution_dir must be a plain folder name, got {resolution!r}")
    return {
        "identities": identities,
        **{CODE_OPTIONS[f]: _codes(f, given[CODE_OPTIONS[f]]) for f in FACE_FACTORS},
        "image_size": size,
        "seed": int(given["seed"]),
        "first_id": first_id,
        "resolution_dir": resolution,
    }


def images_per_identity(params: dict[str, Any]) -> int:
    """Images each identity has in a twin of these (canonical) arguments."""
    return int(np.prod([len(params[CODE_OPTIONS[f]]) for f in FACE_FACTORS]))


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth kface``: about ``samples`` images with the default conditions
    (``--classes`` does not apply)."""
    per_identity = images_per_identity(canonical_params({}))
    return {"identities": max(2, round(samples / per_identity))}


def remove_one_file(root: Path) -> Path:
    """Delete the first identity's gallery image (its annotation txt stays) and return its path: the
    reader names it as the image the annotation has no file for."""
    folders = sorted(p for p in Path(root).glob("*/*") if p.is_dir() and p.name.isdigit())
    image = folders[0] / "S001" / "L1" / "E01" / "C7.jpg"
    image.unlink()
    return image
