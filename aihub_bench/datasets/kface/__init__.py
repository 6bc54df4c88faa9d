"""한국인 안면 이미지 — K-Face: 400–600 identities under 6 accessories, 30 lights, 3 expressions and
20 cameras, for face verification and identification (docs/datasets/kface.md)."""

from typing import Any

from aihub_bench.datasets.kface import synth
from aihub_bench.datasets.kface.layout import (
    ACCESSORIES,
    BOXES,
    CAMERAS,
    CONDITION_CODES,
    CONDITION_NAMES,
    EXPRESSIONS,
    FACTOR_TITLES,
    LANDMARKS,
    LIGHTS,
    RESOLUTION_DIRS,
)
from aihub_bench.datasets.kface.pairs import (
    read_identity_list,
    read_pair_list,
    write_identity_list,
    write_pair_list,
)
from aihub_bench.datasets.kface.reader import read_kface
from aihub_bench.datasets.kface.synth import GENERATOR_VERSION, write_synthetic_kface
from aihub_bench.datasets.spec import DatasetMetadata, DatasetSpec

#: ``dataset=kface``: 60 identities x 144 conditions (4 accessories, 3 lights with the dark L7,
#: 3 expressions, 4 cameras) = 8,640 images of 128 px.
FULL_TWIN: dict[str, Any] = {
    "identities": 60,
    "accessories": ["S001", "S002", "S003", "S006"],
    "lights": ["L1", "L2", "L7"],
    "expressions": ["E01", "E02", "E03"],
    "cameras": ["C4", "C6", "C7", "C10"],
    "image_size": 128,
    "seed": 0,
    "first_id": 19062421,
    "resolution_dir": "High",
}
#: ``debug=smoke``: 16 identities x 24 conditions = 384 images of 96 px.
SMOKE_TWIN: dict[str, Any] = {
    **FULL_TWIN,
    "identities": 16,
    "accessories": ["S001", "S003"],
    "lights": ["L1", "L7"],
    "expressions": ["E01", "E02"],
    "cameras": ["C4", "C7", "C10"],
    "image_size": 96,
}

SPEC = DatasetSpec(
    name="kface",
    title="한국인 안면 이미지 K-Face (identities under accessory, light, expression and camera conditions)",
    reader=read_kface,
    writer=write_synthetic_kface,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke=SMOKE_TWIN,
    smoke_samples=SMOKE_TWIN["identities"] * synth.images_per_identity(synth.canonical_params(SMOKE_TWIN)),
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    unit="face images",
    pattern="*.jpg",
    metadata=DatasetMetadata(),
    remove_one_file=synth.remove_one_file,
)

__all__ = [
    "ACCESSORIES",
    "BOXES",
    "CAMERAS",
    "CONDITION_CODES",
    "CONDITION_NAMES",
    "EXPRESSIONS",
    "FACTOR_TITLES",
    "LANDMARKS",
    "LIGHTS",
    "RESOLUTION_DIRS",
    "SPEC",
    "read_identity_list",
    "read_kface",
    "read_pair_list",
    "write_identity_list",
    "write_pair_list",
    "write_synthetic_kface",
]
