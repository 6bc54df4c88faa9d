"""사람 동작 영상 — where the human-motion release keeps its files, and what its names mean.

Real layout (docs/datasets/human_motion.md; [C] confirmed, [A] assumed and configurable)::

    <root>/annotation/Annotation_2D_tar/2D/<scenario>/<clip>_2D.json                   [C]
    <root>/annotation/Annotation_3D_tar/3D/<scenario>/<scenario>_<take>_3D.json         [A]
    <root>/이미지/image_action_<a>/image_<scenario>/<scenario>/<clip>/<clip>_<frame>.jpg [C, depth A]
    <root>/동영상/video_action_<a>/<scenario>/<clip>.mp4                               [A]

with ``<clip> = <scenario>_<take>-C<camera>`` such as ``2-1_001-C01``: scenario ``2-1`` (action 2,
scene 1), take ``001``, camera ``C01`` of 12. The 2D JSON holds ``images[]`` (``img_no``, ``img_path``,
``width``, ``height``, ``action_category``) and ``annotations[]`` (``img_no``, ``bbox``, ``keypoints``:
16 x 3 flat, MPII order, flag 0 absent / 1 occluded / 2 visible).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# MPII-16 joint order used by the release [C]
JOINTS: tuple[str, ...] = (
    "r_ankle",
    "r_knee",
    "r_hip",
    "l_hip",
    "l_knee",
    "l_ankle",
    "pelvis",
    "thorax",
    "neck",
    "head_top",
    "r_wrist",
    "r_elbow",
    "r_shoulder",
    "l_shoulder",
    "l_elbow",
    "l_wrist",
)
NUM_JOINTS = len(JOINTS)
# left/right joint pairs swapped by a horizontal flip
FLIP_PAIRS: tuple[tuple[int, int], ...] = ((0, 5), (1, 4), (2, 3), (10, 15), (11, 14), (12, 13))
# limbs to draw (and to build the synthetic stick figures from)
SKELETON: tuple[tuple[int, int], ...] = (
    (0, 1),
    (1, 2),
    (2, 6),
    (6, 3),
    (3, 4),
    (4, 5),
    (6, 7),
    (7, 8),
    (8, 9),
    (7, 12),
    (12, 11),
    (11, 10),
    (7, 13),
    (13, 14),
    (14, 15),
)
# OKS per-joint sigmas: COCO's for the joints COCO has (ankle .089, knee .087, hip .107, wrist .062,
# elbow .072, shoulder .079); pelvis as a hip, thorax / neck / head top at .079 as CrowdPose does for
# its head and neck points. [A] no official MPII-16 sigmas exist; dataset.skeleton.oks_sigmas overrides these.
OKS_SIGMAS: tuple[float, ...] = (
    0.089,
    0.087,
    0.107,
    0.107,
    0.087,
    0.089,
    0.107,
    0.079,
    0.079,
    0.079,
    0.062,
    0.072,
    0.079,
    0.079,
    0.072,
    0.062,
)
# PCKh's head segment: head top to neck (MPII uses 0.6 x the head box diagonal, which we do not have)
HEAD_SEGMENT: tuple[int, int] = (JOINTS.index("head_top"), JOINTS.index("neck"))

FLAG_ABSENT, FLAG_OCCLUDED, FLAG_VISIBLE = 0, 1, 2

DEFAULT_CLIP_PATTERN = r"^(?P<scenario>(?P<action>\d+)-\d+)_(?P<take>\d+)-C(?P<camera>\d+)$"
DEFAULT_FRAME_PATTERN = r"_(?P<frame>\d+)\.(?:jpe?g|png)$"
ANNOTATION_2D_DIR = "annotation/Annotation_2D_tar/2D"
ANNOTATION_3D_DIR = "annotation/Annotation_3D_tar/3D"
IMAGE_DIR = "이미지"
VIDEO_DIR = "동영상"
ANNOTATION_2D_SUFFIX = "_2D.json"


@dataclass(frozen=True)
class ClipName:
    """A clip parsed from its name: ``2-1_001-C01`` -> scenario 2-1, action 2, take 001, camera 1."""

    clip: str
    scenario: str
    action: int
    take: str
    camera: int

    @property
    def take_key(self) -> str:
        """The leakage group: one take filmed by all cameras."""
        return f"{self.scenario}_{self.take}"


def clip_name(scenario: str, take: int | str, camera: int) -> str:
    """``clip_name("2-1", 1, 1) == "2-1_001-C01"`` (the release's zero padding)."""
    take_text = f"{int(take):03d}" if isinstance(take, int) else take
    return f"{scenario}_{take_text}-C{int(camera):02d}"


def parse_clip_name(name: str, pattern: str = DEFAULT_CLIP_PATTERN) -> ClipName | None:
    """Parse a clip id (an annotation stem without ``_2D``, a frame folder, a video stem); None if no match."""
    match = re.match(pattern, name)
    if not match:
        return None
    fields = match.groupdict()
    scenario = fields["scenario"]
    action = fields.get("action") or scenario.split("-")[0]
    return ClipName(
        clip=name,
        scenario=scenario,
        action=int(action),
        take=fields["take"],
        camera=int(fields["camera"]),
    )


def frame_number(file_name: str, pattern: str = DEFAULT_FRAME_PATTERN) -> int | None:
    """The frame number at the end of an ``img_path`` (``..._0012.jpg`` -> 12); None if absent."""
    match = re.search(pattern, file_name)
    return int(match.group("frame")) if match else None


def video_frame_index(frame: int, *, first_frame_number: int, video_fps: float, annotation_fps: float) -> int:
    """The 0-based video frame of annotated frame ``frame``.

    [A] The annotation's frame ``n`` (parsed from ``img_path``, ``img_no`` as fallback) is video frame
    ``round((n - first_frame_number) * video_fps / annotation_fps)``: the release sampled its labelled
    JPEGs from the video at ``annotation_fps`` (3 per second) starting with the first frame. No
    document confirms the rate or the offset; both are reader options.
    """
    return int(round((frame - first_frame_number) * video_fps / annotation_fps))
