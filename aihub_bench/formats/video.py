"""Video files: probe, decode chosen frames front to back, and cache them on disk atomically.

Seeking in mp4 (``CAP_PROP_POS_FRAMES``) lands on key frames or drifts depending on the codec and
backend, so :func:`extract_frames` decodes the file once from the start and keeps the requested
frames. Extracted frames are cached on disk (see :func:`frame_cache_folder`) and written under a
temporary name first, then renamed, so a reader killed halfway or two readers extracting the same
video never leave a half-written image behind. A video that cannot be used is a ``BadInputError``
of kind ``unreadable_video`` naming the file.

Which frame of a video an annotation means is the dataset's business (e.g.
``datasets.human_motion.layout.video_frame_index``).
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from aihub_bench.errors import BadInputError

UNREADABLE = "unreadable_video"
JPEG_QUALITY = 95


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video; ``frame_count`` is the header's (may be approximate)."""

    path: Path
    fps: float
    width: int
    height: int
    frame_count: int


def _open(path: Path) -> cv2.VideoCapture:
    if not path.is_file():
        raise BadInputError(path, "video file does not exist", UNREADABLE)
    try:
        capture = cv2.VideoCapture(str(path))
    except cv2.error as err:
        raise BadInputError(path, f"cannot open the video: {err}", UNREADABLE) from err
    if not capture.isOpened():
        capture.release()
        raise BadInputError(
            path, "cannot open the video (not a readable mp4, or no video backend)", UNREADABLE
        )
    return capture


def probe_video(video_path: str | Path) -> VideoInfo:
    """Frame rate and frame size of a video, without decoding; ``unreadable_video`` when it cannot be used."""
    path = Path(video_path)
    capture = _open(path)
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    finally:
        capture.release()
    if not math.isfinite(fps) or fps <= 0:
        raise BadInputError(path, f"the video reports no usable frame rate ({fps})", UNREADABLE)
    if width <= 0 or height <= 0:
        raise BadInputError(path, f"the video reports no frame size ({width}x{height})", UNREADABLE)
    frame_count = int(count) if math.isfinite(count) and count > 0 else 0
    return VideoInfo(path, fps, width, height, frame_count)


def cache_key(video_path: str | Path, *extra: object) -> str:
    """A short hash of the video's identity (absolute path, size, mtime_ns) and ``extra`` settings.

    A re-encoded or replaced video gets a new key, so stale frames are never reused.
    """
    path = Path(video_path)
    stat = path.stat()
    text = "|".join(str(part) for part in (os.path.abspath(path), stat.st_size, stat.st_mtime_ns, *extra))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def frame_cache_folder(cache_dir: str | Path, clip: str, video_path: str | Path, *extra: object) -> Path:
    """``<cache_dir>/<clip>-<cache_key(video, *extra)>``: where one video's extracted frames live."""
    return Path(cache_dir) / f"{clip}-{cache_key(video_path, *extra)}"


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")


def write_image_atomic(path: str | Path, image: np.ndarray, quality: int = JPEG_QUALITY) -> Path:
    """Encode a BGR frame (JPEG at ``quality``; PNG for ``.png`` names) to a temp file, then rename it."""
    path = Path(path)
    suffix = ".png" if path.suffix.lower() == ".png" else ".jpg"
    params = [] if suffix == ".png" else [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)]
    ok, data = cv2.imencode(suffix, image, params)
    if not ok:
        raise OSError(f"cannot encode a frame for {path}")
    temp = _temp_name(path)
    try:
        temp.write_bytes(data.tobytes())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path


def copy_atomic(source: str | Path, target: str | Path) -> Path:
    """Copy a file through a temp name and a rename (two annotated frames sharing one video frame)."""
    target = Path(target)
    temp = _temp_name(target)
    try:
        shutil.copyfile(source, temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return target


def extract_frames(
    video_path: str | Path,
    frame_indices: Iterable[int],
    out_dir: str | Path,
    *,
    names: Mapping[int, str] | None = None,
    quality: int = JPEG_QUALITY,
    reuse: bool = True,
) -> dict[int, Path]:
    """Decode ``video_path`` once, front to back, and write the requested 0-based frames into ``out_dir``.

    ``names`` maps a frame index to its file name (default ``<video stem>_<index:06d>.jpg``); frames
    are JPEG at ``quality`` (PNG when the name ends in ``.png``). With ``reuse`` a file already in
    ``out_dir`` is taken as is, and the video is not opened at all when every frame is there.
    Returns index -> path for every requested index. Raises ``BadInputError`` (``unreadable_video``,
    naming the mp4) when the video cannot be opened, a frame cannot be decoded, or a requested index
    lies beyond its end; frames decoded before the failure stay in ``out_dir`` (they are complete).
    """
    path = Path(video_path)
    wanted = sorted({int(i) for i in frame_indices})
    if wanted and wanted[0] < 0:
        raise ValueError(f"{path}: negative frame index {wanted[0]}")
    out = Path(out_dir)
    target = {
        i: out / (names[i] if names is not None and i in names else f"{path.stem}_{i:06d}.jpg")
        for i in wanted
    }
    result = {i: p for i, p in target.items() if reuse and p.is_file()}
    todo = {i for i in wanted if i not in result}
    if not todo:
        return result
    out.mkdir(parents=True, exist_ok=True)
    capture = _open(path)
    last = max(todo)
    index = -1
    try:
        while index < last:
            try:
                grabbed = capture.grab()
            except cv2.error as err:
                raise BadInputError(path, f"decoding failed after frame {index}: {err}", UNREADABLE) from err
            if not grabbed:
                missing = sorted(i for i in todo if i > index)
                raise BadInputError(
                    path,
                    f"the video has only {index + 1} decodable frames; frame index {missing[0]} was requested "
                    f"({len(missing)} requested frames lie beyond the end: too short for its annotation, or "
                    "annotation_fps / first_frame_number do not match it)",
                    UNREADABLE,
                )
            index += 1
            if index not in todo:
                continue
            try:
                ok, frame = capture.retrieve()
            except cv2.error as err:
                ok, frame = False, None
                reason = f"cannot decode frame {index}: {err}"
            else:
                reason = f"cannot decode frame {index}"
            if not ok or frame is None or frame.size == 0:
                raise BadInputError(path, reason, UNREADABLE)
            result[index] = write_image_atomic(target[index], frame, quality)
    finally:
        capture.release()
    return dict(sorted(result.items()))
