"""사람 동작 영상 — human motion: 2D joints (MPII-16) of 50 actions filmed by 12 synchronised cameras."""

from collections.abc import Sequence
from typing import Any

from aihub_bench.datasets.human_motion import synth
from aihub_bench.datasets.human_motion.layout import (
    FLIP_PAIRS,
    HEAD_SEGMENT,
    JOINTS,
    OKS_SIGMAS,
    ClipName,
    clip_name,
    parse_clip_name,
)
from aihub_bench.datasets.human_motion.reader import read_human_motion
from aihub_bench.datasets.human_motion.synth import GENERATOR_VERSION, write_synthetic_human_motion
from aihub_bench.datasets.spec import DatasetMetadata, DatasetSpec
from aihub_bench.records import Skeleton


def mpii16_skeleton(oks_sigmas: Sequence[float] | None = None) -> Skeleton:
    """The release's joints, their left/right pairs, OKS sigmas (``oks_sigmas`` replaces ours: no
    official MPII-16 sigmas exist) and PCKh head segment."""
    sigmas = tuple(float(s) for s in oks_sigmas) if oks_sigmas is not None else OKS_SIGMAS
    return Skeleton(JOINTS, FLIP_PAIRS, sigmas, HEAD_SEGMENT)


FULL_TWIN: dict[str, Any] = {
    "actions": [1, 2, 3, 4],
    "scenes_per_action": 1,
    "takes_per_scenario": 6,
    "cameras": 4,
    "frames_per_clip": 8,
    "image_size": [144, 192],  # [height, width]
    "video_fps": 6,
    "with_3d_fraction": 0.1,
    "write_frames": True,
    "write_videos": True,
    "seed": 0,
}

SPEC = DatasetSpec(
    name="human_motion",
    title="사람 동작 영상 human motion (2D joints, MPII-16, frames and mp4 clips)",
    reader=read_human_motion,
    writer=write_synthetic_human_motion,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke={**FULL_TWIN, "takes_per_scenario": 3, "cameras": 2, "frames_per_clip": 4, "image_size": [96, 128]},
    smoke_samples=4 * 3 * 2 * 4,  # actions x takes x cameras x frames
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    metadata=DatasetMetadata(class_names=("person",), skeleton=mpii16_skeleton()),
    remove_one_file=synth.remove_one_frame,
)

__all__ = [
    "GENERATOR_VERSION",
    "SPEC",
    "ClipName",
    "clip_name",
    "mpii16_skeleton",
    "parse_clip_name",
    "read_human_motion",
    "write_synthetic_human_motion",
]
