"""위해물품 엑스레이 — X-ray hazardous items: layout, reader and synthetic twin (docs/datasets/xray.md)."""

from typing import Any

from aihub_bench.datasets.spec import DatasetMetadata, DatasetSpec
from aihub_bench.datasets.xray import synth
from aihub_bench.datasets.xray.layout import MAKERS, SUBSETS, XRAY_CLASSES, clean_class_name
from aihub_bench.datasets.xray.reader import read_xray
from aihub_bench.datasets.xray.synth import GENERATOR_VERSION, write_synthetic_xray

FULL_TWIN: dict[str, Any] = {"classes": None, "images_per_subset": 4, "image_size": 320, "seed": 0}

SPEC = DatasetSpec(
    name="xray",
    title="위해물품 엑스레이 X-ray hazardous items (COCO polygons, VOC boxes)",
    reader=read_xray,
    writer=write_synthetic_xray,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke={**FULL_TWIN, "classes": ["Gun", "Knife", "Laptop"], "images_per_subset": 1, "image_size": 160},
    smoke_samples=3 * len(MAKERS) * len(SUBSETS),  # classes x makers x subsets x 1 image
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    cli_classes="comma-separated class folders, or 'all' (default: ten diverse classes)",
    pattern="*.png",
    configs=("xray", "xray_voc"),
    metadata=DatasetMetadata(class_names=XRAY_CLASSES),
    remove_one_file=synth.remove_one_image,
)

__all__ = [
    "MAKERS",
    "SPEC",
    "SUBSETS",
    "XRAY_CLASSES",
    "clean_class_name",
    "read_xray",
    "write_synthetic_xray",
]
