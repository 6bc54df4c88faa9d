"""사람 동작 영상 — human motion: 2D joints (MPII-16) of 50 actions filmed by 12 synchronised cameras."""

from collections.abc import Sequence

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


def mpii16_skeleton(oks_sigmas: Sequence[float] | None = None) -> Skeleton:
    """The release's joints, their left/right pairs, OKS sigmas (``oks_sigmas`` replaces ours: no
    official MPII-16 sigmas exist) and PCKh head segment."""
    sigmas = tuple(float(s) for s in oks_sigmas) if oks_sigmas is not None else OKS_SIGMAS
    return Skeleton(JOINTS, FLIP_PAIRS, sigmas, HEAD_SEGMENT)


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
