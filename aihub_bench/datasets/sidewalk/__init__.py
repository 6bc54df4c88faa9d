"""인도 보행 — sidewalk obstacles: box and polygon sub-datasets in CVAT XML (docs/datasets/sidewalk.md)."""

from typing import Any

from aihub_bench.datasets.sidewalk import synth
from aihub_bench.datasets.sidewalk.layout import BBOX_CLASSES, POLYGON_CLASSES, SUBSETS, size_rule
from aihub_bench.datasets.sidewalk.reader import read_sidewalk
from aihub_bench.datasets.sidewalk.synth import GENERATOR_VERSION, write_synthetic_sidewalk
from aihub_bench.datasets.spec import DatasetMetadata, DatasetSpec

FULL_TWIN: dict[str, Any] = {
    "subsets": ["bbox", "polygon"],
    "classes": None,
    "sequences": 12,
    "frames_per_sequence": 10,
    "frames_per_task": 300,
    "image_size": [216, 384],
    "size_rule_scale": 0.2,
    "seed": 0,
}
SMOKE_CLASSES = ["person", "car", "bollard", "bench"]

SPEC = DatasetSpec(
    name="sidewalk",
    title="인도 보행 sidewalk obstacles (CVAT XML boxes and polygons)",
    reader=read_sidewalk,
    writer=write_synthetic_sidewalk,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke={
        **FULL_TWIN,
        "classes": SMOKE_CLASSES,
        "sequences": 6,
        "frames_per_sequence": 4,
        "frames_per_task": 3,
    },
    smoke_samples=6 * 4,  # the reader reads one subset (bbox by default): sequences x frames
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    cli_classes="comma-separated class names (default: eight distinct ones)",
    configs=("sidewalk_bbox", "sidewalk_polygon"),
    metadata=DatasetMetadata(class_names=POLYGON_CLASSES),
    remove_one_file=synth.remove_one_image,
)

__all__ = [
    "BBOX_CLASSES",
    "POLYGON_CLASSES",
    "SPEC",
    "SUBSETS",
    "read_sidewalk",
    "size_rule",
    "write_synthetic_sidewalk",
]
