"""사람 동작 영상 — human motion: 2D joints (MPII-16) of 50 actions filmed by 12 synchronised cameras."""

from aihub_bench.data.keypoints import Skeleton
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
from aihub_bench.datasets.human_motion.synth import (
    GENERATOR_VERSION,
    ensure_synthetic_human_motion,
    write_synthetic_human_motion,
)


def mpii16_skeleton() -> Skeleton:
    """The release's joints, their left/right pairs, OKS sigmas and PCKh head segment."""
    return Skeleton(JOINTS, FLIP_PAIRS, OKS_SIGMAS, HEAD_SEGMENT)


__all__ = [
    "GENERATOR_VERSION",
    "ClipName",
    "clip_name",
    "ensure_synthetic_human_motion",
    "mpii16_skeleton",
    "parse_clip_name",
    "read_human_motion",
    "write_synthetic_human_motion",
]
