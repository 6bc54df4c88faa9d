"""유방암 진단 영상 — Mammography: layout, reader and synthetic twin (four DICOM views per patient)."""

from typing import Any

from aihub_bench.datasets.mammography import synth
from aihub_bench.datasets.mammography.layout import (
    CLASS_RANGES,
    FILE_PATTERN,
    METADATA_KEYS,
    VIEW_ALIASES,
    VIEWS,
    class_of,
    parse_file_name,
)
from aihub_bench.datasets.mammography.reader import read_mammography
from aihub_bench.datasets.mammography.synth import GENERATOR_VERSION, write_synthetic_mammography
from aihub_bench.datasets.spec import DatasetMetadata, DatasetSpec

FULL_TWIN: dict[str, Any] = {
    "patients": {"malignant": 40, "benign": 20, "normal": 60},
    "image_size": [240, 192],  # [height, width]
    "monochrome1_fraction": 0.25,
    "compressed_fraction": 0.25,
    "seed": 0,
}

SPEC = DatasetSpec(
    name="mammography",
    title="유방암 진단 영상 mammography (four DICOM views per patient)",
    reader=read_mammography,
    writer=write_synthetic_mammography,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke={**FULL_TWIN, "patients": {"malignant": 10, "benign": 5, "normal": 10}, "image_size": [120, 96]},
    smoke_samples=25,  # one case per patient
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    pattern="*.dcm",
    metadata=DatasetMetadata(class_names=tuple(CLASS_RANGES)),
    remove_one_file=synth.remove_one_view,
)

__all__ = [
    "CLASS_RANGES",
    "FILE_PATTERN",
    "GENERATOR_VERSION",
    "METADATA_KEYS",
    "SPEC",
    "VIEWS",
    "VIEW_ALIASES",
    "class_of",
    "parse_file_name",
    "read_mammography",
    "write_synthetic_mammography",
]
