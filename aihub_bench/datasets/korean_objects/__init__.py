"""한국형 사물 이미지 — Korean object images: heritage buildings, products and landmarks."""

from typing import Any

from aihub_bench.datasets.korean_objects import synth
from aihub_bench.datasets.korean_objects.layout import DOMAINS, ClassFolder, parse_class_folder
from aihub_bench.datasets.korean_objects.reader import read_korean_objects
from aihub_bench.datasets.korean_objects.synth import GENERATOR_VERSION, write_synthetic_korean_objects
from aihub_bench.datasets.spec import DatasetSpec

FULL_TWIN: dict[str, Any] = {
    "domains": None,
    "classes_per_domain": 4,
    "shoots_per_class": 10,
    "images_per_shoot": 3,
    "image_size": [192, 256],  # [height, width]
    "swapped_fraction": 0.15,
    "seed": 0,
}

SPEC = DatasetSpec(
    name="korean_objects",
    title="한국형 사물 이미지 Korean object images (heritage, products, landmarks; boxes)",
    reader=read_korean_objects,
    writer=write_synthetic_korean_objects,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke={**FULL_TWIN, "classes_per_domain": 2, "images_per_shoot": 1, "image_size": [120, 160]},
    smoke_samples=len(DOMAINS) * 2 * 10,  # domains x classes x shoots x 1 image
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    cli_classes="classes per domain, 1-9 (default 4)",
    remove_one_file=synth.remove_one_image,
)

__all__ = [
    "DOMAINS",
    "SPEC",
    "ClassFolder",
    "parse_class_folder",
    "read_korean_objects",
    "write_synthetic_korean_objects",
]
