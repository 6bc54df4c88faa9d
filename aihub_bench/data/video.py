"""Video data (abnormal-behaviour CCTV): take-grouped splits, a decoded frame cache, and clip windows.

Videos, not windows, are split: grouped by :attr:`~aihub_bench.records.VideoClip.group` (the take,
shared by every camera and season of one staged scene), stratified by event, asserted leakage-free.
``split.holdout`` moves every video of one kind to the test split instead of drawing it at random:
``inout: indoor|outdoor`` and/or ``places: [ids]`` (``9``, ``"09"``, ``place09`` and ``PLACE09`` all
name place 9); a take with a held-out video goes to test whole (its other videos counted
``holdout_take_mates``), ``test_fraction`` is then unused. ``max_videos`` keeps that many videos,
taken round-robin over the events and, inside an event, over its takes (quick runs).

Frames: every video of the splits is decoded once into the frame cache
(:class:`~aihub_bench.formats.video.VideoFrameCache` at ``decode.fps`` / ``decode.short_side`` under
``decode.cache_dir``); a video that cannot be decoded is a ``BadInputError`` naming it, or with
``on_error=skip`` dropped and counted (``videos_unreadable``). Under DDP each rank warms the cache
itself; the cache writes every entry under a temporary name and renames it, so ranks decoding the
same video at once are safe (the work is repeated, not corrupted).

Windows: a window is ``clip.frames`` cached frames ``first, first + step, …`` (the last one repeated
when a video is shorter than that); each stands for the ``step`` cached frames from it to the next
sampled one, so the window covers cached frames ``[first, first + frames * step)`` and its source
range is ``[source_index[first], source_index[first + frames * step])`` — half-open, in frames of
the video's own rate, the video's end past the last cached frame. Windows ``frames * step`` cached
frames apart therefore tile. Its event overlap is the number of those source frames inside
``[event_start, event_end)``.

- :class:`VideoClassificationDataModule`: windows every ``clip.stride`` cached frames; one with an
  overlap of at least ``sampling.min_event_overlap`` of its length carries the video's event. A video
  where no window qualifies (an event shorter than a window) gets its one best-overlapping window
  (counted ``<split>_short_events``). ``include_normal`` adds up to ``normal_per_video`` windows
  without any overlap, labelled ``normal``, evenly spaced; ``clips_per_video`` (train) and
  ``eval_clips_per_video`` (val/test) keep that many event windows, evenly spaced. In training a
  window's start moves each epoch to a random cached frame within ``clip.stride // 2`` of it where
  the window keeps its label (inside the event, or outside it for a normal one), drawn from the
  NumPy RNG that :class:`~aihub_bench.data.base.EpochShuffle` seeds per (seed, epoch).
- :class:`TemporalLocalizationDataModule`: every window over the whole video, every
  ``windows.train_stride`` (train) / ``windows.eval_stride`` (val/test) cached frames plus one ending
  at the video's last frame; labelled with the event when its overlap is at least
  ``windows.positive_overlap`` of its length, else ``normal``.

Batches: ``video`` float ``(B, 3, T, H, W)`` (each frame resized to ``image_size`` [H, W], Kinetics
mean/std normalised), ``label`` long ``(B,)``, and the lists ``key``, ``start``, ``end`` (ints: the
window's source range), ``event`` (the video's), ``take``, ``camera``, ``inout`` and
``time_of_day``. Training augmentation (``augment``: each transform's probability) flips the whole
clip or changes its brightness and contrast, the same way for every frame.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import albumentations as A
import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from aihub_bench.data.base import SplitDataModule, merge_options
from aihub_bench.data.splits import (
    SPLITS,
    assert_no_leakage,
    check_non_empty,
    holdout_split,
    partition,
    stratified_group_split,
)
from aihub_bench.data.transforms import SeededCompose, augment_probabilities
from aihub_bench.errors import ErrorPolicy, OnError
from aihub_bench.records import NORMAL_EVENT, VideoClip
from aihub_bench.run_dir import write_json

if TYPE_CHECKING:
    from aihub_bench.formats.video import CachedVideo, VideoFrameCache

log = logging.getLogger(__name__)

Reader = Callable[..., list[VideoClip]]
# the statistics torchvision's Kinetics-400 video models were trained with
KINETICS_MEAN = np.array([0.43216, 0.394666, 0.37645], dtype=np.float32)
KINETICS_STD = np.array([0.22803, 0.22145, 0.216989], dtype=np.float32)
AUGMENTATIONS = ("hflip", "brightness_contrast")
INOUT = ("indoor", "outdoor")
DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "aihub_bench_frame_cache"
# memory-mapped videos a loader process keeps open (each holds a file descriptor)
OPEN_VIDEOS = 32

DEFAULT_SPLIT: dict[str, Any] = {
    "val_fraction": 0.15,
    "test_fraction": 0.2,
    "seed": 0,
    "holdout": {"inout": None, "places": None},
}
DEFAULT_DECODE: dict[str, Any] = {"fps": 5.0, "short_side": 128, "cache_dir": None}
DEFAULT_CLIP: dict[str, Any] = {"frames": 8, "step": 1, "stride": 4}
DEFAULT_SAMPLING: dict[str, Any] = {
    "min_event_overlap": 1.0,
    "include_normal": False,
    "normal_per_video": 2,
    "clips_per_video": None,
    "eval_clips_per_video": None,
}
DEFAULT_WINDOWS: dict[str, Any] = {"positive_overlap": 0.5, "train_stride": 4, "eval_stride": 8}


def place_id(place: object) -> str:
    """A place as its number without leading zeros: ``9``, ``"09"``, ``place09``, ``PLACE09`` -> ``"9"``."""
    text = re.sub(r"^place", "", str(place).strip().lower()).lstrip("0")
    return text or "0"


# -- windows ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClipShape:
    """``frames`` cached frames ``step`` apart per window, windows ``stride`` cached frames apart."""

    frames: int
    step: int = 1
    stride: int = 1

    def __post_init__(self) -> None:
        if min(self.frames, self.step, self.stride) < 1:
            raise ValueError(f"dataset.clip needs frames, step and stride >= 1, got {self}")

    @property
    def span(self) -> int:
        """Cached frames from a window's first to its last."""
        return (self.frames - 1) * self.step + 1


@dataclass(frozen=True)
class Timeline:
    """Which source frame each cached frame of one video is (``source_index``), and how many source
    frames were decoded (the end of the last cached frame)."""

    source_index: np.ndarray
    source_frames: int

    @classmethod
    def of(cls, cached: CachedVideo) -> Timeline:
        index = np.asarray(cached.source_index, dtype=np.int32).copy()
        end = max(int(cached.source_frames), int(index[-1]) + 1 if len(index) else 0)
        return cls(index, end)

    @property
    def cached(self) -> int:
        return len(self.source_index)

    def last_first(self, shape: ClipShape) -> int:
        """The last cached frame a whole window can start at (0 when the video is shorter than one)."""
        return max(0, self.cached - shape.span)

    def source_ranges(self, firsts: np.ndarray, shape: ClipShape) -> tuple[np.ndarray, np.ndarray]:
        """``(starts, ends)``: the half-open source range of the windows starting at ``firsts``."""
        firsts = np.asarray(firsts, dtype=np.int32)
        after = np.minimum(firsts + shape.frames * shape.step, self.cached)
        starts_of = np.append(self.source_index, self.source_frames)  # cached frame T "starts" at the end
        return self.source_index[firsts], starts_of[after]


def window_starts(timeline: Timeline, shape: ClipShape, stride: int, cover_end: bool = False) -> np.ndarray:
    """First cached frames of the windows every ``stride`` cached frames (at least one window);
    ``cover_end`` adds one ending at the last cached frame when the stride does not reach it."""
    last = timeline.last_first(shape)
    starts = np.arange(0, last + 1, stride, dtype=np.int32)
    if cover_end and starts[-1] != last:
        starts = np.append(starts, last)
    return starts


def event_overlap(starts: np.ndarray, ends: np.ndarray, event_start: int, event_end: int) -> np.ndarray:
    """Source frames of each half-open range ``[start, end)`` inside ``[event_start, event_end)``."""
    return np.clip(np.minimum(ends, event_end) - np.maximum(starts, event_start), 0, None)


def evenly_spaced(n: int, k: int | None) -> np.ndarray:
    """Indices of ``k`` of ``n`` items spread evenly from the first to the last (all for ``None``)."""
    if k is None or k >= n:
        return np.arange(n, dtype=np.int32)
    if k <= 0:
        return np.zeros(0, dtype=np.int32)
    return np.unique(np.round(np.linspace(0, n - 1, k)).astype(np.int32))


def jitter_bounds(
    timeline: Timeline,
    shape: ClipShape,
    firsts: np.ndarray,
    radius: int,
    keeps_label: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` per window: the contiguous run of first frames within ``radius`` of its own where
    a whole window fits and ``keeps_label(starts, ends)`` holds (its own first frame always counts)."""
    lo, hi = firsts.copy(), firsts.copy()
    if radius <= 0:
        return lo, hi
    last = timeline.last_first(shape)
    for i, first in enumerate(firsts.tolist()):
        candidates = np.arange(max(0, first - radius), min(last, first + radius) + 1)
        ok = keeps_label(*timeline.source_ranges(candidates, shape))
        ok[candidates == first] = True
        at = int(np.searchsorted(candidates, first))
        left = at
        while left > 0 and ok[left - 1]:
            left -= 1
        right = at
        while right + 1 < len(candidates) and ok[right + 1]:
            right += 1
        lo[i], hi[i] = candidates[left], candidates[right]
    return lo, hi


@dataclass
class Windows:
    """The windows of one split as parallel arrays: ``video`` (index into the split's videos),
    ``first`` cached frame, class ``label``, and the jitter range ``[lo, hi]`` of ``first``."""

    video: np.ndarray
    first: np.ndarray
    label: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def of_video(
        cls,
        video: int,
        first: np.ndarray,
        label: np.ndarray,
        lo: np.ndarray | None = None,
        hi: np.ndarray | None = None,
    ) -> Windows:
        first = np.asarray(first, dtype=np.int32)
        return cls(
            np.full(len(first), video, dtype=np.int32),
            first,
            np.asarray(label, dtype=np.int32),
            first.copy() if lo is None else np.asarray(lo, dtype=np.int32),
            first.copy() if hi is None else np.asarray(hi, dtype=np.int32),
        )

    @classmethod
    def concat(cls, parts: Sequence[Windows]) -> Windows:
        if not parts:
            return cls.of_video(0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32))
        fields = ("video", "first", "label", "lo", "hi")
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in fields))

    def __len__(self) -> int:
        return len(self.first)


# -- frames and batches ---------------------------------------------------------------------------
def video_augment(hflip: float = 0.0, brightness_contrast: float = 0.0) -> A.Compose:
    """Training augmentation of a clip, applied alike to every frame (albumentations ``images=``);
    each value is its transform's probability (0 = off): a horizontal flip, brightness/contrast ±0.2."""
    ops: list[A.BasicTransform] = []
    if hflip > 0:
        ops.append(A.HorizontalFlip(p=hflip))
    if brightness_contrast > 0:
        ops.append(A.RandomBrightnessContrast(0.2, 0.2, p=brightness_contrast))
    return SeededCompose(ops)


def resize_frames(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    """``(T, h, w, 3)`` uint8 -> ``(T, height, width, 3)`` (area-averaged when shrinking)."""
    if frames.shape[1:3] == (height, width):
        return np.ascontiguousarray(frames)
    shrinking = height * width < frames.shape[1] * frames.shape[2]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return np.stack(
        [cv2.resize(np.ascontiguousarray(f), (width, height), interpolation=interpolation) for f in frames]
    )


def to_video_tensor(frames: np.ndarray) -> torch.Tensor:
    """``(T, H, W, 3)`` uint8 RGB -> ``(3, T, H, W)`` float, Kinetics mean/std normalised."""
    scaled = (frames.astype(np.float32) / 255.0 - KINETICS_MEAN) / KINETICS_STD
    return torch.from_numpy(np.ascontiguousarray(scaled.transpose(3, 0, 1, 2)))


LIST_KEYS = ("key", "start", "end", "event", "take", "camera", "inout", "time_of_day")


def collate_video(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacks ``video`` and ``label``; the other keys stay lists (see the module docstring)."""
    batch: dict[str, Any] = {
        "video": torch.stack([it["video"] for it in items]),
        "label": torch.tensor([it["label"] for it in items], dtype=torch.int64),
    }
    for key in LIST_KEYS:
        batch[key] = [it[key] for it in items]
    return batch


class VideoWindowDataset(Dataset):
    """``windows[i]`` of ``clips`` -> one item of the batch layout in the module docstring, its frames
    read from the frame cache (memory-mapped once per process)."""

    def __init__(
        self,
        clips: Sequence[VideoClip],
        timelines: Sequence[Timeline],
        windows: Windows,
        cache: VideoFrameCache,
        shape: ClipShape,
        image_size: tuple[int, int],
        augment: A.Compose | None = None,
        jitter: bool = False,
    ) -> None:
        if len(clips) != len(timelines):
            raise ValueError("clips and timelines must have the same length")
        self.clips, self.timelines, self.windows = list(clips), list(timelines), windows
        self.cache, self.shape, self.image_size = cache, shape, image_size
        self.augment, self.jitter = augment, jitter
        self._open: OrderedDict[int, CachedVideo] = OrderedDict()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_open"] = OrderedDict()  # worker processes map the cache files themselves
        return state

    def __len__(self) -> int:
        return len(self.windows)

    def _frames(self, video: int) -> CachedVideo:
        """The video's cached frames, memory-mapped; the least recently used of more than
        :data:`OPEN_VIDEOS` is closed."""
        if video in self._open:
            self._open.move_to_end(video)
        else:
            self._open[video] = self.cache.get(self.clips[video].video_path)
            if len(self._open) > OPEN_VIDEOS:
                self._open.popitem(last=False)
        return self._open[video]

    def first_frame(self, i: int) -> int:
        """Window ``i``'s first cached frame; in training drawn from its jitter range."""
        first, lo, hi = (int(a[i]) for a in (self.windows.first, self.windows.lo, self.windows.hi))
        if self.jitter and hi > lo:
            return int(np.random.randint(lo, hi + 1))
        return first

    def __getitem__(self, i: int) -> dict[str, Any]:
        video = int(self.windows.video[i])
        clip, timeline = self.clips[video], self.timelines[video]
        first = self.first_frame(i)
        frames = self._frames(video).window(first, self.shape.frames, self.shape.step)
        frames = resize_frames(np.asarray(frames), *self.image_size)
        if self.augment is not None:
            frames = self.augment(images=frames)["images"]
        starts, ends = timeline.source_ranges(np.array([first]), self.shape)
        return {
            "video": to_video_tensor(frames),
            "label": int(self.windows.label[i]),
            "key": clip.key,
            "start": int(starts[0]),
            "end": int(ends[0]),
            "event": clip.event,
            "take": clip.take,
            "camera": clip.camera,
            "inout": clip.inout,
            "time_of_day": clip.time_of_day,
        }


# -- datamodules ------------------------------------------------------------------------------------
class VideoDataModule(SplitDataModule):
    """Reads :class:`~aihub_bench.records.VideoClip` records, splits the videos by take, decodes them
    into the frame cache and serves windows (see the module docstring). Subclasses say which
    windows a split has (:meth:`_windows`) and the class names."""

    collate_fn = staticmethod(collate_video)

    def __init__(
        self,
        reader: Reader,
        name: str = "cctv",
        root: str | None = None,
        synthetic: Callable[[], str | Path] | None = None,
        split: Mapping[str, Any] | None = None,
        decode: Mapping[str, Any] | None = None,
        clip: Mapping[str, Any] | None = None,
        image_size: Sequence[int] = (112, 112),
        augment: Mapping[str, float] | None = None,
        batch_size: int = 8,
        eval_batch_size: int | None = None,
        num_workers: int = 2,
        on_error: OnError = "raise",
        max_videos: int | None = None,
    ) -> None:
        super().__init__()
        self.reader, self.synthetic, self.root, self.name = reader, synthetic, root, name
        self.policy = ErrorPolicy(on_error)
        self.split_cfg = merge_options(DEFAULT_SPLIT, split, "split")
        holdout = self.split_cfg["holdout"]
        if holdout["inout"] not in (None, *INOUT):
            raise ValueError(f"split.holdout.inout must be null or one of {INOUT}, got {holdout['inout']!r}")
        self.decode_cfg = merge_options(DEFAULT_DECODE, decode, "decode")
        clip_cfg = merge_options(DEFAULT_CLIP, clip, "clip")
        self.shape = ClipShape(int(clip_cfg["frames"]), int(clip_cfg["step"]), int(clip_cfg["stride"]))
        size = [int(v) for v in image_size]
        if len(size) != 2 or min(size) < 8:
            raise ValueError(f"dataset.image_size must be [height, width] of at least 8 px, got {size}")
        self.image_size = (size[0], size[1])
        self.augment_cfg = augment_probabilities(augment, AUGMENTATIONS)
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.max_videos = max_videos
        self.splits: dict[str, list[VideoClip]] = {}
        self.timelines: dict[str, list[Timeline]] = {}
        self.windows: dict[str, Windows] = {}
        self.cache: VideoFrameCache | None = None

    # -- what subclasses define ---------------------------------------------------------------
    @property
    def events(self) -> list[str]:
        """The reader's ``events`` option, else every CCTV event, in that order."""
        chosen = getattr(self.reader, "keywords", {}).get("events")
        if chosen:
            return [str(e) for e in chosen]
        from aihub_bench.datasets.cctv.layout import EVENTS

        return list(EVENTS)

    @property
    def class_names(self) -> list[str]:
        raise NotImplementedError

    def _windows(self, split: str, clips: Sequence[VideoClip], timelines: Sequence[Timeline]) -> Windows:
        raise NotImplementedError

    def _report_options(self) -> dict[str, Any]:
        """The family's own options, for ``data_report.json``."""
        return {}

    # -- data preparation -------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.windows:
            return
        root = self.resolved_root()
        log.info("Reading %s from %s", self.name, root)
        clips = self._cap(
            self._known_events(sorted(self.reader(root=root, policy=self.policy), key=lambda c: c.key))
        )
        if not clips:
            raise ValueError(f"no usable videos found under {root} (see data_report.json)")
        splits = partition(clips, self._assign_sides(clips))
        check_non_empty(splits, len(clips), "videos", self.split_cfg)
        self._decode(splits)
        check_non_empty(self.splits, len(clips), "decodable videos", self.split_cfg)
        for name in SPLITS:
            self.windows[name] = self._windows(name, self.splits[name], self.timelines[name])
        for name in SPLITS:
            if not len(self.windows[name]):
                raise ValueError(
                    f"the {name} split has no windows: {len(self.splits[name])} videos, clip={self.shape}"
                )
        log.info(
            "Videos per split: %s; windows: %s",
            {k: len(v) for k, v in self.splits.items()},
            {k: len(v) for k, v in self.windows.items()},
        )

    def _known_events(self, clips: list[VideoClip]) -> list[VideoClip]:
        """Videos whose event is one of the classes; the others are counted ``videos_of_other_events``."""
        wanted = set(self.events)
        kept = [c for c in clips if c.event in wanted]
        self.policy.count("videos_of_other_events", len(clips) - len(kept))
        return kept

    def _cap(self, clips: list[VideoClip]) -> list[VideoClip]:
        """``max_videos`` of ``clips``: round-robin over the events, inside an event over its takes
        (one camera of each take before a second one), in key order; the rest counted."""
        if not self.max_videos or len(clips) <= self.max_videos:
            return clips
        queues: list[list[VideoClip]] = []
        for event in self.events:
            by_take: dict[str, list[VideoClip]] = defaultdict(list)
            for c in clips:
                if c.event == event:
                    by_take[c.group].append(c)
            takes = [by_take[t] for t in sorted(by_take)]
            rounds = max((len(t) for t in takes), default=0)
            queues.append([t[r] for r in range(rounds) for t in takes if r < len(t)])
        kept: list[VideoClip] = []
        depth = 0
        while len(kept) < self.max_videos:
            kept.extend(q[depth] for q in queues if depth < len(q))
            depth += 1
        kept = sorted(kept[: self.max_videos], key=lambda c: c.key)
        self.policy.count("videos_over_max_videos", len(clips) - len(kept))
        return kept

    def _held_out(self, clip: VideoClip) -> bool:
        """Whether ``split.holdout`` names the video's inout or place."""
        holdout = self.split_cfg["holdout"]
        places = {place_id(p) for p in holdout["places"] or ()}
        return clip.inout == holdout["inout"] or place_id(clip.place) in places

    def _assign_sides(self, clips: Sequence[VideoClip]) -> list[str]:
        """Each video's side: grouped by take, stratified by event; held-out takes go to test."""
        cfg = self.split_cfg
        groups = [c.group for c in clips]
        strata = [c.event for c in clips]
        holdout = cfg["holdout"]
        if holdout["inout"] or holdout["places"]:
            held_groups = {c.group for c in clips if self._held_out(c)}
            flags = [g in held_groups for g in groups]
            mates = sum(f and not self._held_out(c) for f, c in zip(flags, clips, strict=True))
            self.policy.count("holdout_take_mates", mates)
            sides = holdout_split(groups, strata, flags, cfg["val_fraction"], cfg["seed"])
        else:
            sides = stratified_group_split(
                groups, strata, cfg["val_fraction"], cfg["test_fraction"], cfg["seed"]
            )
        assert_no_leakage(groups, sides)
        return sides

    def _decode(self, splits: Mapping[str, list[VideoClip]]) -> None:
        """Warm the frame cache with every video of the splits and keep the decodable ones."""
        from aihub_bench.formats.video import VideoFrameCache

        cache_dir = self.decode_cfg["cache_dir"] or DEFAULT_CACHE_DIR
        fps = self.decode_cfg["fps"]
        self.cache = VideoFrameCache(
            cache_dir, fps=None if fps is None else float(fps), short_side=self.decode_cfg["short_side"]
        )
        paths = sorted({Path(c.video_path) for part in splits.values() for c in part})
        log.info("Decoding %d videos into the frame cache %s", len(paths), cache_dir)
        failures = {
            Path(p): err for p, err in self.cache.warm(paths, workers=max(1, self.num_workers)).items()
        }
        for path in sorted(failures):
            self.policy.handle(failures[path])
        self.policy.count("videos_unreadable", len(failures))
        for name in SPLITS:
            kept = [c for c in splits[name] if Path(c.video_path) not in failures]
            self.splits[name] = kept
            self.timelines[name] = [Timeline.of(self.cache.get(c.video_path)) for c in kept]

    # -- what the task and the run directory get ------------------------------------------------
    def videos(self, split: str) -> list[VideoClip]:
        """The split's videos, sorted by key."""
        if not self.windows:
            raise RuntimeError(f"{type(self).__name__}.setup() first")
        if split not in self.splits:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        return list(self.splits[split])

    def model_kwargs(self) -> dict[str, Any]:
        names = self.class_names
        return {"class_names": list(names), "num_classes": len(names)}

    def split_sizes(self) -> dict[str, dict[str, Any]]:
        """Videos, takes and windows per split; videos per event and windows per class."""
        names = self.class_names
        sizes: dict[str, dict[str, Any]] = {}
        for name in SPLITS:
            clips, windows = self.splits[name], self.windows[name]
            per_class = np.bincount(windows.label, minlength=len(names))
            sizes[name] = {
                "videos": len(clips),
                "takes": len({c.group for c in clips}),
                "windows": len(windows),
                "videos_per_event": dict(sorted(Counter(c.event for c in clips).items())),
                "windows_per_class": {c: int(n) for c, n in zip(names, per_class, strict=True)},
                "videos_per_inout": dict(sorted(Counter(c.inout for c in clips).items())),
            }
        return sizes

    def write_artifacts(self, run_dir: str | Path) -> None:
        """``videos_{train,val,test}.txt`` (keys) and ``data_report.json`` (reader counts and skips,
        options, class names, split sizes)."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        for name in SPLITS:
            (run_dir / f"videos_{name}.txt").write_text(
                "".join(f"{c.key}\n" for c in self.videos(name)), encoding="utf-8"
            )
        report = self.policy.report()
        report["dataset"] = self.name
        report["class_names"] = self.class_names
        report["split"] = self.split_cfg
        report["decode"] = {**self.decode_cfg, "cache_dir": str(self.cache.cache_dir) if self.cache else None}
        report["clip"] = {"frames": self.shape.frames, "step": self.shape.step, "stride": self.shape.stride}
        report.update(self._report_options())
        report["split_sizes"] = self.split_sizes()
        write_json(run_dir / "data_report.json", report)

    # -- loaders ----------------------------------------------------------------------------
    def _jitter(self, split: str) -> bool:
        return False

    def dataset(self, split: str) -> VideoWindowDataset:
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.setup() first")
        augment = video_augment(**self.augment_cfg) if split == "train" and self.augment_cfg else None
        return VideoWindowDataset(
            self.splits[split],
            self.timelines[split],
            self.windows[split],
            self.cache,
            self.shape,
            self.image_size,
            augment,
            jitter=self._jitter(split),
        )


class VideoClassificationDataModule(VideoDataModule):
    """Event classification: windows inside each video's event carry its label, optionally windows
    outside it ``normal`` (``sampling``; see the module docstring)."""

    def __init__(self, reader: Reader, sampling: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(reader, **kwargs)
        self.sampling = merge_options(DEFAULT_SAMPLING, sampling, "sampling")
        if not 0 < float(self.sampling["min_event_overlap"]) <= 1:
            raise ValueError(
                f"sampling.min_event_overlap must be in (0, 1], got {self.sampling['min_event_overlap']}"
            )
        if int(self.sampling["normal_per_video"]) < 0:
            raise ValueError(
                f"sampling.normal_per_video must be >= 0, got {self.sampling['normal_per_video']}"
            )

    @property
    def class_names(self) -> list[str]:
        events = self.events
        return [NORMAL_EVENT, *events] if self.sampling["include_normal"] else events

    def _report_options(self) -> dict[str, Any]:
        return {"sampling": self.sampling}

    def _jitter(self, split: str) -> bool:
        return split == "train" and self.shape.stride // 2 > 0

    def _windows(self, split: str, clips: Sequence[VideoClip], timelines: Sequence[Timeline]) -> Windows:
        index = {c: i for i, c in enumerate(self.class_names)}
        cap = self.sampling["clips_per_video" if split == "train" else "eval_clips_per_video"]
        radius = self.shape.stride // 2 if self._jitter(split) else 0
        parts = []
        for v, (clip, timeline) in enumerate(zip(clips, timelines, strict=True)):
            parts.append(self._event_windows(split, v, clip, timeline, index[clip.event], cap, radius))
            if self.sampling["include_normal"]:
                parts.append(self._normal_windows(v, clip, timeline, index[NORMAL_EVENT], radius))
        return Windows.concat(parts)

    def _event_windows(
        self,
        split: str,
        v: int,
        clip: VideoClip,
        timeline: Timeline,
        label: int,
        cap: int | None,
        radius: int,
    ) -> Windows:
        shape = self.shape
        fraction = float(self.sampling["min_event_overlap"])

        def inside(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
            overlap = event_overlap(starts, ends, clip.event_start, clip.event_end)
            return overlap >= fraction * (ends - starts) - 1e-9

        firsts = window_starts(timeline, shape, shape.stride)
        firsts = firsts[inside(*timeline.source_ranges(firsts, shape))]
        if len(firsts) == 0:
            self.policy.count(f"{split}_short_events")
            best = self._best_window(clip, timeline)
            if best is None:
                self.policy.count(f"{split}_events_outside_decoded_frames")
                return Windows.concat([])
            return Windows.of_video(v, np.array([best]), np.array([label]))
        firsts = firsts[evenly_spaced(len(firsts), None if cap is None else int(cap))]
        lo, hi = jitter_bounds(timeline, shape, firsts, radius, inside)
        return Windows.of_video(v, firsts, np.full(len(firsts), label), lo, hi)

    def _best_window(self, clip: VideoClip, timeline: Timeline) -> int | None:
        """The first cached frame of the window with the most event frames (the one nearest the
        event's middle among equals); ``None`` when no window touches the event."""
        firsts = np.arange(timeline.last_first(self.shape) + 1)
        starts, ends = timeline.source_ranges(firsts, self.shape)
        overlap = event_overlap(starts, ends, clip.event_start, clip.event_end)
        if overlap.max() <= 0:
            return None
        distance = np.abs((starts + ends) - (clip.event_start + clip.event_end))
        candidates = np.flatnonzero(overlap == overlap.max())
        return int(firsts[candidates[np.argmin(distance[candidates])]])

    def _normal_windows(
        self, v: int, clip: VideoClip, timeline: Timeline, label: int, radius: int
    ) -> Windows:
        def outside(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
            return event_overlap(starts, ends, clip.event_start, clip.event_end) == 0

        firsts = window_starts(timeline, self.shape, self.shape.stride)
        firsts = firsts[outside(*timeline.source_ranges(firsts, self.shape))]
        firsts = firsts[evenly_spaced(len(firsts), int(self.sampling["normal_per_video"]))]
        lo, hi = jitter_bounds(timeline, self.shape, firsts, radius, outside)
        return Windows.of_video(v, firsts, np.full(len(firsts), label), lo, hi)


class TemporalLocalizationDataModule(VideoDataModule):
    """Temporal localisation: every window of every video, labelled with the event where it overlaps
    the event enough, else ``normal`` (``windows``; see the module docstring)."""

    def __init__(self, reader: Reader, windows: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(reader, **kwargs)
        self.windows_cfg = merge_options(DEFAULT_WINDOWS, windows, "windows")
        if not 0 < float(self.windows_cfg["positive_overlap"]) <= 1:
            raise ValueError(
                f"windows.positive_overlap must be in (0, 1], got {self.windows_cfg['positive_overlap']}"
            )
        if min(int(self.windows_cfg["train_stride"]), int(self.windows_cfg["eval_stride"])) < 1:
            raise ValueError(f"windows.train_stride and eval_stride must be >= 1, got {self.windows_cfg}")

    @property
    def class_names(self) -> list[str]:
        return [NORMAL_EVENT, *self.events]

    def _report_options(self) -> dict[str, Any]:
        return {"windows": self.windows_cfg}

    def _windows(self, split: str, clips: Sequence[VideoClip], timelines: Sequence[Timeline]) -> Windows:
        index = {c: i for i, c in enumerate(self.class_names)}
        stride = int(self.windows_cfg["train_stride" if split == "train" else "eval_stride"])
        fraction = float(self.windows_cfg["positive_overlap"])
        parts = []
        for v, (clip, timeline) in enumerate(zip(clips, timelines, strict=True)):
            firsts = window_starts(timeline, self.shape, stride, cover_end=True)
            starts, ends = timeline.source_ranges(firsts, self.shape)
            positive = (
                event_overlap(starts, ends, clip.event_start, clip.event_end)
                >= fraction * (ends - starts) - 1e-9
            )
            labels = np.where(positive, index[clip.event], index[NORMAL_EVENT])
            parts.append(Windows.of_video(v, firsts, labels))
        return Windows.concat(parts)
