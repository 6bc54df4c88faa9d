"""인도 보행 — sidewalk depth: ZED stereo sets (left view, 16-bit disparity, confidence, calibration)."""

from typing import Any

from aihub_bench.datasets.sidewalk_depth import synth
from aihub_bench.datasets.sidewalk_depth.reader import read_sidewalk_depth
from aihub_bench.datasets.sidewalk_depth.synth import GENERATOR_VERSION, write_synthetic_sidewalk_depth
from aihub_bench.datasets.spec import DatasetSpec

FULL_TWIN: dict[str, Any] = {
    "sequences": 12,
    "frames_per_sequence": 10,
    "image_size": [216, 384],
    "crop_rows": None,
    "disparity_scale": 256.0,
    "seed": 0,
}

SPEC = DatasetSpec(
    name="sidewalk_depth",
    title="인도 보행 sidewalk depth (ZED stereo: disparity, confidence, calibration)",
    reader=read_sidewalk_depth,
    writer=write_synthetic_sidewalk_depth,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke={**FULL_TWIN, "sequences": 6, "frames_per_sequence": 4},
    smoke_samples=6 * 4,
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    unit="sets",
    pattern="*_depth_disp16_*.png",
    remove_one_file=synth.remove_one_file,
)

__all__ = ["SPEC", "read_sidewalk_depth", "write_synthetic_sidewalk_depth"]
