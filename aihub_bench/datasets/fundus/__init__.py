"""안저 영상 — fundus photographs: layout, reader and synthetic twin (general glaucoma; wide AMD/DMR/RVO)."""

from typing import Any

from aihub_bench.datasets.fundus import synth
from aihub_bench.datasets.fundus.layout import (
    DEFAULT_FILE_PATTERN,
    DEFAULT_SHEET_COLUMNS,
    RELEASE_COUNTS,
    TASKS,
    FundusName,
    FundusTask,
    parse_file_name,
)
from aihub_bench.datasets.fundus.reader import read_fundus
from aihub_bench.datasets.fundus.synth import GENERATOR_VERSION, write_synthetic_fundus
from aihub_bench.datasets.spec import DatasetMetadata, DatasetSpec

FULL_TWIN: dict[str, Any] = {
    "per_class": {
        "General_Normal": 60,
        "General_Glaucoma": 40,
        "Wide_NOR": 40,
        "Wide_AMD": 30,
        "Wide_DMR": 30,
        "Wide_RVO": 30,
    },
    "both_eyes_fraction": 0.5,
    "image_size": [192, 192],  # [height, width]
    "seed": 0,
}

SPEC = DatasetSpec(
    name="fundus",
    title="질병진단 이미지 fundus photographs (general glaucoma; wide-angle AMD, DMR, RVO)",
    reader=read_fundus,
    writer=write_synthetic_fundus,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke={**FULL_TWIN, "per_class": {name: 20 for name in FULL_TWIN["per_class"]}, "image_size": [96, 96]},
    smoke_samples=62,  # general images of 40 persons (task general_glaucoma)
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    metadata=DatasetMetadata(
        class_names=tuple(f"{kind}_{code}" for kind, codes in RELEASE_COUNTS.items() for code in codes)
    ),
    remove_one_file=synth.remove_one_image,
)

__all__ = [
    "DEFAULT_FILE_PATTERN",
    "DEFAULT_SHEET_COLUMNS",
    "GENERATOR_VERSION",
    "SPEC",
    "TASKS",
    "FundusName",
    "FundusTask",
    "parse_file_name",
    "read_fundus",
    "write_synthetic_fundus",
]
