"""Video files: probe, decode chosen frames front to back, and cache them on disk atomically.

Seeking in mp4 (``CAP_PROP_POS_FRAMES``) lands on key frames or drifts depending on the codec and
backend, so :func:`extract_frames` decodes the file once from the start and keeps the requested
frames. Extracted frames are cached on disk (see :func:`frame_cache_folder`) and written under a
temporary name first, then renamed, so a reader killed halfway or two readers extracting the same
video never leave a half-written image behind. A video that cannot be used is a ``BadInputError``
of kind ``unreadable_video`` naming the file.

Which frame of a video an annotation means is the dataset's business (e.g.
``datasets.human_motion.layout.video_frame_index``).

Whole videos for training (the CCTV release: hours of 4K H.264) are decoded once by
:func:`decode_video` at a reduced frame rate and size, and :class:`VideoFrameCache` stores the result
as one ``.npy`` array per video plus a JSON sidecar, memory-mapped on every later read, so an epoch
reads small arrays instead of decoding 4K again. ``scripts/bench_video_decode.py`` measures both.

Crops of boxes on chosen frames (the people of a conversation clip) are cut by :class:`VideoCropCache`
in one front-to-back pass over the video (the same decode loop as :func:`extract_frames`,
:func:`decode_frames_at`) and stored as one memory-mapped ``.npy`` per (video, box list).
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import cv2
import numpy as np

from aihub_bench.errors import BadInputError
from aihub_bench.records import FrameBox

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


def _open(path: Path, threads: int | None = None) -> cv2.VideoCapture:
    """Open ``path``; ``threads`` sets FFmpeg's decoding threads (None: OpenCV's default, one per core)."""
    if not path.is_file():
        raise BadInputError(path, "video file does not exist", UNREADABLE)
    try:
        if threads is None:
            capture = cv2.VideoCapture(str(path))
        else:
            capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, int(threads)])
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
        return _header(capture, path)
    finally:
        capture.release()


def _header(capture: cv2.VideoCapture, path: Path) -> VideoInfo:
    fps = float(capture.get(cv2.CAP_PROP_FPS))
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
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
    hint = "too short for its annotation, or annotation_fps / first_frame_number do not match it"
    for index, frame in decode_frames_at(path, todo, too_short_hint=hint):
        result[index] = write_image_atomic(target[index], frame, quality)
    return dict(sorted(result.items()))


def decode_frames_at(
    video_path: str | Path,
    frame_indices: Iterable[int],
    *,
    threads: int | None = None,
    too_short_hint: str = "too short for its annotation",
) -> Iterator[tuple[int, np.ndarray]]:
    """Decode ``video_path`` once, front to back, and yield ``(index, BGR frame)`` for each requested
    0-based index, ascending; decoding stops after the last one.

    Raises ``BadInputError`` (``unreadable_video``, naming the mp4) when the video cannot be opened, a
    frame cannot be decoded, or a requested index lies beyond its end (``too_short_hint`` says why that
    may be); the frames yielded before the failure are complete.
    """
    path = Path(video_path)
    todo = {int(i) for i in frame_indices}
    if not todo:
        return
    if min(todo) < 0:
        raise ValueError(f"{path}: negative frame index {min(todo)}")
    capture = _open(path, threads)
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
                    f"({len(missing)} requested frames lie beyond the end: {too_short_hint})",
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
            yield index, frame
    finally:
        capture.release()


# ---------------------------------------------------------------------------------------------------
# Whole videos at a reduced rate and size, and their on-disk frame cache

FRAME_CACHE_VERSION = 1


@dataclass(frozen=True, eq=False)
class DecodedVideo:
    """A video decoded at a reduced rate and size.

    ``frames`` RGB uint8 ``(T, H, W, 3)``; ``source_index[t]`` the 0-based source frame that kept frame
    ``t`` is; ``fps`` the kept rate; ``source_fps`` the video's; ``source_frames`` how many frames
    were actually decoded (the header's count may differ).
    """

    frames: np.ndarray
    source_index: np.ndarray
    fps: float
    source_fps: float
    source_frames: int


@dataclass(frozen=True, eq=False)
class CachedVideo:
    """A cached :class:`DecodedVideo` whose ``frames`` are memory-mapped from the cache file."""

    frames: np.ndarray
    source_index: np.ndarray
    fps: float
    source_fps: float
    source_frames: int

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def index_at(self, source_frame: int) -> int:
        """The cached frame whose source frame is nearest ``source_frame`` (the earlier one on a tie)."""
        after = int(np.searchsorted(self.source_index, source_frame))
        if after == 0:
            return 0
        if after >= len(self.source_index):
            return len(self.source_index) - 1
        before_gap = source_frame - int(self.source_index[after - 1])
        after_gap = int(self.source_index[after]) - source_frame
        return after - 1 if before_gap <= after_gap else after

    def window(self, first: int, length: int, step: int = 1) -> np.ndarray:
        """Cached frames ``first, first + step, ...`` (``length`` of them) as an in-memory ``(length, H, W, 3)``
        array; indices are clamped into ``[0, T - 1]``, so the last frame repeats past the end."""
        if length < 1 or step < 1:
            raise ValueError(f"window length and step must be >= 1, got length={length}, step={step}")
        indices = np.clip(first + step * np.arange(length), 0, len(self) - 1)
        return np.asarray(self.frames[indices])


def resized_shape(height: int, width: int, short_side: int | None) -> tuple[int, int]:
    """``(height, width)`` scaled so the shorter side is ``short_side`` (aspect kept; None keeps the size)."""
    short = min(height, width)
    if short_side is None or short == short_side:
        return height, width
    scale = short_side / short
    if height <= width:
        return short_side, max(1, round(width * scale))
    return max(1, round(height * scale)), short_side


def _nearest_source_frame(k: int, step: float) -> int:
    """The source frame nearest target time ``k / fps`` when ``step = source_fps / fps`` (half rounds up)."""
    return math.floor(k * step + 0.5)


def decode_video(
    video_path: str | Path,
    *,
    fps: float | None = None,
    short_side: int | None = None,
    min_fraction: float = 0.9,
    threads: int | None = None,
) -> DecodedVideo:
    """Decode a video once, front to back, keeping the source frame nearest each time ``k / fps``.

    Every frame is grabbed (decoded) but only the kept ones are converted and resized (``INTER_AREA``,
    shorter side ``short_side``) right away, so memory holds the reduced frames only. ``fps`` None or
    at least the video's rate keeps every frame. ``threads`` sets FFmpeg's decoding threads (None:
    OpenCV's default, one per core). Raises ``BadInputError`` (``unreadable_video``) when the file is
    missing, is not a video, has no decodable frame, or decodes fewer than ``min_fraction`` of the
    frames its header announces ("truncated: N of M frames decodable").
    """
    if fps is not None and fps <= 0:
        raise ValueError(f"fps must be positive or None, got {fps}")
    if short_side is not None and short_side < 1:
        raise ValueError(f"short_side must be positive or None, got {short_side}")
    if not 0.0 <= min_fraction <= 1.0:
        raise ValueError(f"min_fraction must lie in [0, 1], got {min_fraction}")
    path = Path(video_path)
    capture = _open(path, threads)
    try:
        info = _header(capture, path)
        kept_fps = fps if fps is not None and fps < info.fps else info.fps
        step = info.fps / kept_fps
        buffer: np.ndarray | None = None
        kept, decoded, wanted, stopped = 0, 0, 0, ""
        while True:
            try:
                if not capture.grab():
                    break
                frame = capture.retrieve()[1] if decoded == wanted else None
            except cv2.error as err:
                stopped = f"; decoding stopped at frame {decoded}: {err}"
                break
            if decoded == wanted:
                if frame is None or frame.size == 0:
                    stopped = f"; frame {decoded} could not be converted"
                    break
                if buffer is None:  # sized by the first frame; the header's count is only a first guess
                    height, width = resized_shape(frame.shape[0], frame.shape[1], short_side)
                    expected = math.ceil(info.frame_count / step) + 1 if info.frame_count else 64
                    buffer = np.empty((expected, height, width, 3), np.uint8)
                elif kept == len(buffer):
                    buffer = np.concatenate([buffer, np.empty_like(buffer)])
                if (height, width) != frame.shape[:2]:
                    frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
                cv2.cvtColor(frame, cv2.COLOR_BGR2RGB, dst=buffer[kept])
                kept += 1
                wanted = _nearest_source_frame(kept, step)
            decoded += 1
    finally:
        capture.release()
    if buffer is None or decoded == 0:
        raise BadInputError(
            path, f"no decodable frames (not a video, or its stream is damaged){stopped}", UNREADABLE
        )
    if info.frame_count and decoded < min_fraction * info.frame_count:
        raise BadInputError(
            path,
            f"truncated: {decoded} of {info.frame_count} frames decodable "
            f"(at least {min_fraction:.0%} are required){stopped}",
            UNREADABLE,
        )
    source_index = np.array([_nearest_source_frame(k, step) for k in range(kept)], np.int64)
    return DecodedVideo(buffer[:kept], source_index, kept_fps, info.fps, decoded)


def _write_atomic(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    temp = _temp_name(path)
    try:
        with temp.open("wb") as handle:
            write(handle)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


class VideoFrameCache:
    """Decoded videos on disk: ``<cache_dir>/<stem>-<key>.npy`` (uint8 ``(T, H, W, 3)`` RGB) + a ``.json`` sidecar.

    ``key`` hashes the video's identity (path, size, mtime), ``fps``, ``short_side`` and
    :data:`FRAME_CACHE_VERSION`, so a changed video or setting gets a new entry. Both files are written
    under temporary names and renamed (array first, sidecar last), so two processes warming the same
    video are safe; an entry whose sidecar is missing or disagrees with the array is rebuilt. Reads
    memory-map the array, and the object keeps up to :attr:`OPEN_ENTRIES` mapped entries (opening
    one costs ten times a window read); it pickles into data-loader workers without them.
    """

    OPEN_ENTRIES = 512

    def __init__(
        self,
        cache_dir: str | Path,
        *,
        fps: float | None,
        short_side: int | None,
        min_fraction: float = 0.9,
        threads: int | None = None,
    ) -> None:
        if fps is not None and fps <= 0:
            raise ValueError(f"decode.fps must be positive or null, got {fps}")
        if short_side is not None and short_side < 1:
            raise ValueError(f"decode.short_side must be positive or null, got {short_side}")
        self.cache_dir = Path(cache_dir)
        self.fps = None if fps is None else float(fps)
        self.short_side = None if short_side is None else int(short_side)
        self.min_fraction = min_fraction
        self.threads = threads
        self._open: dict[Path, CachedVideo] = {}

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_open": {}}

    def path_for(self, video_path: str | Path) -> Path:
        """The cache array for ``video_path`` at this cache's settings (``unreadable_video`` if it is no file)."""
        path = Path(video_path)
        if not path.is_file():
            raise BadInputError(path, "video file does not exist", UNREADABLE)
        key = cache_key(path, self.fps, self.short_side, f"v{FRAME_CACHE_VERSION}")
        return self.cache_dir / f"{path.stem}-{key}.npy"

    def get(self, video_path: str | Path) -> CachedVideo:
        """The cached frames of ``video_path``, decoding and storing them first when not cached yet."""
        target = self.path_for(video_path)  # a stat of the video: a changed video has a new target
        cached = self._open.get(target)
        if cached is None:
            cached = _load_cached(target)
        if cached is None:
            self._build(Path(video_path), target, self.threads)
            cached = _load_cached(target)
            if cached is None:
                raise OSError(f"{target}: the frame cache entry just written cannot be read back")
        if target not in self._open:
            if len(self._open) >= self.OPEN_ENTRIES:
                self._open.clear()
            self._open[target] = cached
        return cached

    def warm(self, video_paths: Iterable[str | Path], workers: int = 1) -> dict[Path, BadInputError]:
        """Decode every video not cached yet (in ``workers`` processes when > 1); the failures by path.

        Videos that decode are cached; a bad one does not stop the others. With several workers each
        decodes with ``cpu_count // workers`` FFmpeg threads unless ``threads`` was set.
        """
        failures: dict[Path, BadInputError] = {}
        todo: list[Path] = []
        for video in dict.fromkeys(Path(p) for p in video_paths):
            try:
                if _load_cached(self.path_for(video)) is None:
                    todo.append(video)
            except BadInputError as err:
                failures[video] = err
        if workers <= 1 or len(todo) <= 1:
            for video in todo:
                try:
                    self._build(video, self.path_for(video), self.threads)
                except BadInputError as err:
                    failures[video] = err
            return failures
        threads = self.threads or max(1, (os.cpu_count() or 1) // workers)
        # spawn, not fork: the parent may hold OpenMP/OpenCV thread pools that a forked child inherits broken
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context) as pool:
            results = pool.map(_warm_one, [self] * len(todo), todo, [threads] * len(todo))
            for video, failure in zip(todo, results, strict=True):
                if failure is not None:
                    failures[video] = BadInputError(*failure)
        return failures

    def _build(self, video: Path, target: Path, threads: int | None) -> None:
        decoded = decode_video(
            video, fps=self.fps, short_side=self.short_side, min_fraction=self.min_fraction, threads=threads
        )
        sidecar = {
            "video": os.path.abspath(video),
            "version": FRAME_CACHE_VERSION,
            "shape": list(decoded.frames.shape),
            "fps": decoded.fps,
            "source_fps": decoded.source_fps,
            "source_frames": decoded.source_frames,
            "requested_fps": self.fps,
            "short_side": self.short_side,
            "source_index": decoded.source_index.tolist(),
        }
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(target, lambda handle: np.save(handle, decoded.frames))
        _write_atomic(target.with_suffix(".json"), lambda handle: handle.write(json.dumps(sidecar).encode()))


def _warm_one(cache: VideoFrameCache, video: Path, threads: int) -> tuple[str, str, str] | None:
    """One video of :meth:`VideoFrameCache.warm` in a worker; a failure comes back as plain fields
    (``BadInputError`` does not survive pickling: its constructor takes three arguments)."""
    try:
        cache._build(video, cache.path_for(video), threads)
    except BadInputError as err:
        return err.path, err.reason, err.kind
    return None


def _load_cached(target: Path) -> CachedVideo | None:
    """The cache entry at ``target`` memory-mapped, or None when it is missing, partial or inconsistent."""
    try:
        meta = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
        frames = np.load(target, mmap_mode="r")
        source_index = np.asarray(meta["source_index"], np.int64)
        shape = tuple(int(n) for n in meta["shape"])
        fps, source_fps, source_frames = (
            float(meta["fps"]),
            float(meta["source_fps"]),
            int(meta["source_frames"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape != shape or len(source_index) != shape[0]:
        return None
    return CachedVideo(frames, source_index, fps, source_fps, source_frames)


# ---------------------------------------------------------------------------------------------------
# Box crops of chosen frames (people in conversation clips), one cache file per (video, box list)

CROP_CACHE_VERSION = 1


def crop_region(box: Sequence[float], margin: float, width: int, height: int) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` pixel bounds of ``box = (x1, y1, x2, y2)`` grown by ``margin`` x its
    width / height on every side, rounded outwards and clipped to the frame (at least one pixel)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    grow_x, grow_y = margin * (x2 - x1), margin * (y2 - y1)
    left = min(max(0, math.floor(x1 - grow_x)), width - 1)
    top = min(max(0, math.floor(y1 - grow_y)), height - 1)
    right = max(min(width, math.ceil(x2 + grow_x)), left + 1)
    bottom = max(min(height, math.ceil(y2 + grow_y)), top + 1)
    return left, top, right, bottom


def crop_box(frame: np.ndarray, box: Sequence[float], margin: float, size: tuple[int, int]) -> np.ndarray:
    """The :func:`crop_region` of ``box`` in ``frame`` resized to ``size`` ``(H, W)`` (area-averaged
    when shrinking, bilinear when enlarging); channels as in ``frame``."""
    left, top, right, bottom = crop_region(box, margin, frame.shape[1], frame.shape[0])
    patch = frame[top:bottom, left:right]
    height, width = size
    shrinking = height * width < patch.shape[0] * patch.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(patch), (width, height), interpolation=interpolation)


def boxes_digest(boxes: Sequence[FrameBox]) -> str:
    """A hash of a box list (order included): a changed list gets a new crop-cache entry."""
    array = np.asarray([[float(v) for v in b] for b in boxes], dtype=np.float64).reshape(-1, 5)
    return hashlib.sha1(array.tobytes()).hexdigest()[:16]


class VideoCropCache:
    """Crops of boxes on chosen frames of a video: ``<cache_dir>/<stem>-<key>.npy``, uint8 ``(N, H, W, 3)``
    RGB, crop ``i`` of ``boxes[i]``.

    ``key`` hashes the video's identity (path, size, mtime), ``size``, ``margin``, the box list and
    :data:`CROP_CACHE_VERSION`. A missing entry is built by decoding the video once, front to back up
    to the last requested frame (:func:`decode_frames_at`), and cropping every box of each frame
    (:func:`crop_box`); it is written under a temporary name and renamed, so processes building the
    same entry at once are safe. Later reads memory-map the file; an entry of the wrong shape is rebuilt.
    """

    def __init__(
        self,
        cache_dir: str | Path,
        *,
        size: Sequence[int],
        margin: float,
        threads: int | None = None,
    ) -> None:
        dims = [int(v) for v in size]
        if len(dims) != 2 or min(dims) < 1:
            raise ValueError(f"crop size must be [height, width] of positive ints, got {list(size)}")
        if not math.isfinite(margin) or margin < 0:
            raise ValueError(f"crop margin must be >= 0, got {margin}")
        self.cache_dir = Path(cache_dir)
        self.size = (dims[0], dims[1])
        self.margin = float(margin)
        self.threads = threads

    def path_for(self, video_path: str | Path, boxes: Sequence[FrameBox]) -> Path:
        """The cache array of ``boxes`` on ``video_path`` (``unreadable_video`` when the video is no file)."""
        path = Path(video_path)
        if not path.is_file():
            raise BadInputError(path, "video file does not exist", UNREADABLE)
        key = cache_key(path, *self.size, self.margin, boxes_digest(boxes), f"crops-v{CROP_CACHE_VERSION}")
        return self.cache_dir / f"{path.stem}-{key}.npy"

    def get(self, video_path: str | Path, boxes: Sequence[FrameBox]) -> np.ndarray:
        """The crops of ``boxes`` (memory-mapped), decoding the video and storing them first when needed."""
        if not boxes:
            return np.zeros((0, *self.size, 3), np.uint8)
        target = self.path_for(video_path, boxes)
        crops = self._load(target, len(boxes))
        if crops is None:
            self._build(Path(video_path), boxes, target)
            crops = self._load(target, len(boxes))
            if crops is None:
                raise OSError(f"{target}: the crop cache entry just written cannot be read back")
        return crops

    def warm(
        self, jobs: Iterable[tuple[str | Path, Sequence[FrameBox]]], workers: int = 1
    ) -> dict[Path, BadInputError]:
        """Build every ``(video, boxes)`` entry not cached yet (in ``workers`` processes when > 1); the
        failures by video. A bad video does not stop the others."""
        failures: dict[Path, BadInputError] = {}
        todo: dict[Path, tuple[Path, tuple[FrameBox, ...]]] = {}
        for video, boxes in jobs:
            video, boxes = Path(video), tuple(boxes)
            if not boxes:
                continue
            try:
                target = self.path_for(video, boxes)
            except BadInputError as err:
                failures[video] = err
                continue
            if target not in todo and self._load(target, len(boxes)) is None:
                todo[target] = (video, boxes)
        if workers <= 1 or len(todo) <= 1:
            for target, (video, boxes) in todo.items():
                try:
                    self._build(video, boxes, target)
                except BadInputError as err:
                    failures[video] = err
            return failures
        threads = self.threads or max(1, (os.cpu_count() or 1) // workers)
        # spawn, not fork: as in VideoFrameCache.warm
        context = multiprocessing.get_context("spawn")
        items = list(todo.items())
        with ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=context) as pool:
            results = pool.map(
                _warm_crops,
                [self] * len(items),
                [video for _, (video, _) in items],
                [boxes for _, (_, boxes) in items],
                [threads] * len(items),
            )
            for (_, (video, _)), failure in zip(items, results, strict=True):
                if failure is not None:
                    failures[video] = BadInputError(*failure)
        return failures

    def _load(self, target: Path, count: int) -> np.ndarray | None:
        """The entry at ``target`` memory-mapped, or None when it is missing, cut or of another shape."""
        try:
            crops = np.load(target, mmap_mode="r")
        except (OSError, ValueError):
            return None
        if crops.dtype != np.uint8 or crops.shape != (count, *self.size, 3):
            return None
        return crops

    def _build(
        self, video: Path, boxes: Sequence[FrameBox], target: Path, threads: int | None = None
    ) -> None:
        by_frame: dict[int, list[int]] = {}
        for i, box in enumerate(boxes):
            by_frame.setdefault(int(box[0]), []).append(i)
        crops = np.empty((len(boxes), *self.size, 3), np.uint8)
        for index, frame in decode_frames_at(video, by_frame, threads=threads or self.threads):
            for i in by_frame[index]:
                cv2.cvtColor(
                    crop_box(frame, boxes[i][1:], self.margin, self.size), cv2.COLOR_BGR2RGB, dst=crops[i]
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(target, lambda handle: np.save(handle, crops))


def _warm_crops(
    cache: VideoCropCache, video: Path, boxes: tuple[FrameBox, ...], threads: int
) -> tuple[str, str, str] | None:
    """One entry of :meth:`VideoCropCache.warm` in a worker; a failure comes back as plain fields."""
    try:
        cache._build(video, boxes, cache.path_for(video, boxes), threads)
    except BadInputError as err:
        return err.path, err.reason, err.kind
    return None
