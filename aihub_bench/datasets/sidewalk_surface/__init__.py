"""인도 보행 — sidewalk surface masking: walking surfaces as CVAT polygons and colour masks (docs/datasets/sidewalk.md)."""

from typing import Any

from aihub_bench.datasets.sidewalk_surface import synth
from aihub_bench.datasets.sidewalk_surface.layout import (
    ATTRIBUTES,
    LABEL_ATTRIBUTE_CLASSES,
    LABEL_CLASSES,
    LABELS,
    MASK_COLOURS,
)
from aihub_bench.datasets.sidewalk_surface.reader import read_sidewalk_surface
from aihub_bench.datasets.sidewalk_surface.synth import GENERATOR_VERSION, write_synthetic_sidewalk_surface
from aihub_bench.datasets.spec import DatasetMetadata, DatasetSpec

FULL_TWIN: dict[str, Any] = {
    # 20 short walks rather than 12 long ones: 8:1:1 by walk leaves two walks each for val and test
    "sequences": 20,
    "frames_per_sequence": 6,
    "frames_per_task": 300,
    "image_size": [216, 384],
    "seed": 0,
}

SPEC = DatasetSpec(
    name="sidewalk_surface",
    title="인도 보행 sidewalk surface masking (CVAT XML polygons and colour masks)",
    reader=read_sidewalk_surface,
    writer=write_synthetic_sidewalk_surface,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke={**FULL_TWIN, "sequences": 6, "frames_per_sequence": 4, "frames_per_task": 3},
    smoke_samples=6 * 4,
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    configs=("sidewalk_surface", "sidewalk_surface_attributes"),
    metadata=DatasetMetadata(
        class_names=LABEL_CLASSES, palette=tuple(MASK_COLOURS[c] for c in LABEL_CLASSES)
    ),
    pattern="*_surface_raw_*.jpg",
    remove_one_file=synth.remove_one_image,
)

__all__ = [
    "ATTRIBUTES",
    "LABELS",
    "LABEL_ATTRIBUTE_CLASSES",
    "LABEL_CLASSES",
    "MASK_COLOURS",
    "SPEC",
    "read_sidewalk_surface",
    "write_synthetic_sidewalk_surface",
]
