"""Bad-input corpus for the human-motion reader: 8 clips x 3 annotated frames, one person per frame.

Units are frames (the reader returns one ``KeypointSample`` per annotated frame). The broken clip is
``1-1_001-C01`` unless a fault says otherwise; its take has a 3D file.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from aihub_bench.datasets.human_motion import read_human_motion
from aihub_bench.datasets.human_motion.synth import write_synthetic_human_motion
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome

DATASET = "human_motion"
ANN = Path("annotation/Annotation_2D_tar/2D")
ANN_3D = Path("annotation/Annotation_3D_tar/3D")
CLIP = "1-1_001-C01"
CLIP_JSON = ANN / "1-1" / f"{CLIP}_2D.json"
CLIP_FRAMES = Path("이미지/image_action_1/image_1-1/1-1") / CLIP
CLIP_VIDEO = Path("동영상/video_action_1/1-1") / f"{CLIP}.mp4"
TAKE_3D = ANN_3D / "1-1" / "1-1_001_3D.json"
FRAMES_PER_CLIP = 3
SIZE = (64, 64)
PLACEHOLDER = "@@RAW@@"


def write_twin(root: Path) -> None:
    """2 actions x 2 takes x 2 cameras x 3 frames (24 frames), JPEGs and mp4s, 3D for 3 of 4 takes."""
    write_synthetic_human_motion(
        root,
        actions=(1, 2),
        takes_per_scenario=2,
        cameras=2,
        frames_per_clip=FRAMES_PER_CLIP,
        image_size=SIZE,
        with_3d_fraction=0.5,
        seed=0,
    )


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    """Read as the datamodule does (the reader partial with root and policy), frames cached beside root."""
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    options.setdefault("frame_cache_dir", root.parent / "frame_cache")
    samples = read_human_motion(root, policy, **options)
    return Outcome(len(samples), policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _edit_json(rel: Path, edit: Callable[[Any], None], raw: str | None = None) -> Callable[[Path], Path]:
    """Edit the JSON at ``rel``; ``raw`` replaces the string ``PLACEHOLDER`` set by ``edit`` verbatim."""

    def apply(root: Path) -> Path:
        path = root / rel
        data = json.loads(path.read_text(encoding="utf-8"))
        edit(data)
        text = json.dumps(data)
        if raw is not None:
            text = text.replace(f'"{PLACEHOLDER}"', raw, 1)
        path.write_text(text, encoding="utf-8")
        return path

    return apply


def _first_keypoint(data: dict) -> None:
    data["annotations"][0]["keypoints"][0] = PLACEHOLDER


def _visible_x(value: Any) -> Callable[[dict], None]:
    """Set x of the first visible (flag 2) joint of the first person."""

    def edit(data: dict) -> None:
        kps = data["annotations"][0]["keypoints"]
        j = next(j for j in range(len(kps) // 3) if kps[3 * j + 2] == 2)
        kps[3 * j] = value

    return edit


def _set(section: str, index: int, key: str, value: Any) -> Callable[[dict], None]:
    def edit(data: dict) -> None:
        data[section][index][key] = value

    return edit


def _empty(section: str) -> Callable[[dict], None]:
    def edit(data: dict) -> None:
        data[section] = []

    return edit


def _first_3d_value(data: dict) -> None:
    values = data["annotations"][0]["keypoints_3d"]
    while isinstance(values[0], list):
        values = values[0]
    values[0] = PLACEHOLDER


def _frame(root: Path, n: int = 2) -> Path:
    return root / CLIP_FRAMES / f"{CLIP}_{n:04d}.jpg"


def _wrong_size_jpeg(root: Path) -> Path:
    path = _frame(root)
    Image.new("RGB", (SIZE[0] + 16, SIZE[1]), (90, 90, 90)).save(path, quality=90)
    return path


def _truncated_jpeg(root: Path) -> Path:
    path = _frame(root)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _bytes(content: bytes) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = _frame(root)
        path.write_bytes(content)
        return path

    return apply


def _link_out(rel: Path) -> Callable[[Path], Path]:
    """Move ``rel`` (a file or folder) out of the root and leave a symbolic link to it in its place."""

    def apply(root: Path) -> Path:
        path = root / rel
        target = root.parent / "outside" / rel.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
        os.symlink(target, path, target_is_directory=target.is_dir())
        return path

    return apply


def _video_link_out(root: Path) -> Path:
    """Without JPEGs the clip's frames must come from its video, which links outside the root."""
    shutil.rmtree(root / CLIP_FRAMES)
    return _link_out(CLIP_VIDEO)(root)


_OUT_OF_RANGE = r"integer .* is out of range"

FAULTS: list[Fault] = [
    # numbers and nesting that crashed the json module or the reader's number checks
    Fault(
        "keypoint_int_too_large_for_float",
        "bad_json",
        _OUT_OF_RANGE,
        _edit_json(CLIP_JSON, _first_keypoint, raw=str(10**400)),
        dropped=FRAMES_PER_CLIP,
    ),
    Fault(
        "bbox_int_too_large_for_float",
        "bad_json",
        _OUT_OF_RANGE,
        _edit_json(CLIP_JSON, _set("annotations", 0, "bbox", PLACEHOLDER), raw=f"[{10**309}, 1, 2, 3]"),
        dropped=FRAMES_PER_CLIP,
    ),
    Fault(
        "keypoint_int_of_5000_digits",
        "bad_json",
        r"\(5000 digits\) is out of range",
        _edit_json(CLIP_JSON, _first_keypoint, raw="9" * 5000),
        dropped=FRAMES_PER_CLIP,
    ),
    Fault(
        "nesting_100000_deep",
        "bad_json",
        "nested deeper",
        _edit_json(
            CLIP_JSON, _set("images", 0, "action_category", PLACEHOLDER), raw="[" * 100_000 + "]" * 100_000
        ),
        dropped=FRAMES_PER_CLIP,
    ),
    Fault(
        "keypoint_nan",
        "bad_json",
        "NaN is not a valid JSON number",
        _edit_json(CLIP_JSON, _first_keypoint, raw="NaN"),
        dropped=FRAMES_PER_CLIP,
    ),
    Fault(
        "keypoint_overflows_float32",
        "bad_keypoints",
        "out-of-range coordinates",
        _edit_json(CLIP_JSON, _visible_x(1e300)),
    ),
    Fault(
        "3d_int_too_large_for_float",
        "bad_3d",
        _OUT_OF_RANGE,
        _edit_json(TAKE_3D, _first_3d_value, raw=str(10**400)),
        dropped=0,  # the take's frames stay, without 3D joints
    ),
    # a clip without frames
    Fault(
        "empty_images",
        "empty_clip",
        r"images\[\] is empty",
        _edit_json(CLIP_JSON, _empty("images")),
        dropped=FRAMES_PER_CLIP,
    ),
    Fault(
        "empty_annotations",
        "empty_clip",
        r"annotations\[\] is empty",
        _edit_json(CLIP_JSON, _empty("annotations")),
        dropped=FRAMES_PER_CLIP,
    ),
    # frame files (verify_images)
    Fault("jpeg_of_wrong_size", "size_mismatch", r"image is 80x64 but .* as 64x64", _wrong_size_jpeg),
    Fault(
        "truncated_jpeg_full_check",
        "unreadable_image",
        "unreadable image",
        _truncated_jpeg,
        options={"verify_images": "full"},
    ),
    Fault("jpeg_not_an_image", "unreadable_image", "unreadable image", _bytes(b"not a jpeg" * 50)),
    Fault("jpeg_empty_file", "unreadable_image", "unreadable image", _bytes(b"")),
    # symbolic links leading outside the dataset root
    Fault(
        "frame_link_outside_root",
        "link_outside_root",
        "outside the dataset root",
        _link_out(CLIP_FRAMES / f"{CLIP}_0002.jpg"),
    ),
    Fault(
        "clip_folder_link_outside_root",
        "link_outside_root",
        r"img_no \d+: symbolic link leads outside the dataset root",
        _link_out(CLIP_FRAMES),
        skipped=FRAMES_PER_CLIP,  # counted per frame, the unit it drops
        dropped=FRAMES_PER_CLIP,
    ),
    Fault(
        "annotation_link_outside_root",
        "link_outside_root",
        "outside the dataset root",
        _link_out(CLIP_JSON),
        dropped=FRAMES_PER_CLIP,
    ),
    Fault(
        "annotation_folder_link_outside_root",
        "link_outside_root",
        "outside the dataset root",
        _link_out(ANN / "2-1"),
        dropped=4 * FRAMES_PER_CLIP,  # the scenario's 4 clips are never found
    ),
    Fault(
        "image_folder_link_outside_root",
        "link_outside_root",
        "outside the dataset root",
        _link_out(Path("이미지/image_action_2")),
        dropped=0,  # the folder is not walked; its clips' frames are decoded from their videos instead
    ),
    Fault(
        "video_link_outside_root",
        "link_outside_root",
        r"img_no \d+: symbolic link leads outside the dataset root",
        _video_link_out,
        skipped=FRAMES_PER_CLIP,
        dropped=FRAMES_PER_CLIP,
    ),
    Fault(
        "3d_link_outside_root",
        "link_outside_root",
        "outside the dataset root",
        _link_out(TAKE_3D),
        dropped=0,
    ),
]
