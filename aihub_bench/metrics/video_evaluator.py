"""Video evaluators: clip classification (CCTV events) and temporal localisation over whole videos.

Each processed clip or window is one item (its video key, source-frame span, softmax probabilities);
the base gathers every DDP rank's items and :meth:`compute` keeps one item per ``(key, start)`` (DDP
padding repeats samples) in key order, so results depend neither on batching nor on rank count.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import torch

from aihub_bench.metrics.evaluator import Evaluator, Metrics
from aihub_bench.metrics.text_evaluator import metric_key_part
from aihub_bench.metrics.video import (
    classification_summary,
    frame_auc,
    mean_average_precision,
    segments_from_scores,
    temporal_nms,
    tiou_matrix,
    topk_accuracy,
    topk_indices,
)
from aihub_bench.metrics.video_figures import Timeline, plot_confusion, plot_timelines
from aihub_bench.records import NORMAL_EVENT, VideoClip
from aihub_bench.run_dir import write_csv
from aihub_bench.tables import MISSING, count, markdown_table, number

log = logging.getLogger(__name__)

CONDITIONS = ("inout", "time_of_day")  # clip attributes with per-value top-1
TOP_CLASSES = 3  # classes listed per clip in predictions_<split>.csv


class _Spanned(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def start(self) -> int: ...


S = TypeVar("S", bound=_Spanned)


def _unique(items: Sequence[S]) -> list[S]:
    """One item per ``(key, start)`` (the first gathered), sorted by it."""
    seen: dict[tuple[str, int], S] = {}
    for item in items:
        seen.setdefault((item.key, item.start), item)
    return [seen[span] for span in sorted(seen)]


def _probabilities(logits: torch.Tensor, num_classes: int, size: int) -> np.ndarray:
    if logits.ndim != 2 or logits.shape[1] != num_classes or logits.shape[0] != size:
        raise ValueError(
            f"logits must be (B, K) = ({size}, {num_classes}) for this batch, got {tuple(logits.shape)}"
        )
    return torch.softmax(logits.detach().float(), dim=1).cpu().numpy().astype(np.float32)


def _ints(batch: Mapping[str, Any], key: str) -> list[int]:
    return [int(v) for v in torch.as_tensor(batch[key]).reshape(-1).tolist()]


def _strings(batch: Mapping[str, Any], key: str, size: int) -> list[str]:
    """A per-sample text field; ``""`` for each sample when the batch lacks it."""
    values = batch.get(key)
    return [str(v) for v in values] if values is not None else [""] * size


def _finite(metrics: Metrics, key: str, value: float) -> None:
    """Store ``value`` unless it is undefined (NaN): a missing key, never a NaN, reaches the logger."""
    if np.isfinite(value):
        metrics[key] = float(value)


def _tiou_key(tiou: float) -> str:
    return f"{tiou:g}"


# -- classification --------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ClassifiedClip:
    """One classified clip: where it lies, its label, the model's probabilities, its video's conditions."""

    key: str
    start: int
    end: int
    label: int
    probabilities: np.ndarray = field(repr=False)
    event: str = ""
    take: str = ""
    camera: str = ""
    inout: str = ""
    time_of_day: str = ""


class VideoClassificationEvaluator(Evaluator):
    """``process(batch, logits)``: the batch's ``key``, ``start``, ``end``, ``label``, ``event``,
    ``take``, ``camera``, ``inout``, ``time_of_day`` and ``(B, K)`` logits.

    Clip level: ``top1``, ``top5`` (with 5 classes or more), ``mean_class_accuracy`` (mean recall over
    the classes present), ``recall/<class>`` (classes present), ``clips``. Video level: a video's label
    is its clips' event label (the most frequent label other than ``normal``), its prediction the argmax
    of the mean probabilities of the clips carrying that label (``normal`` clips of the same video are
    scored at clip level only): ``video_top1`` and ``videos``. Per condition: ``inout/<v>/top1`` and
    ``time_of_day/<v>/top1`` with ``/clips``.
    """

    def __init__(self, class_names: Sequence[str], split: str = "test") -> None:
        if not class_names:
            raise ValueError("class_names is empty")
        super().__init__()
        self.class_names = list(class_names)
        self.split = split

    def reset(self) -> None:
        super().reset()
        self.clips: list[ClassifiedClip] = []
        self.confusion = np.zeros((0, 0), dtype=np.int64)

    def process(self, batch: Mapping[str, Any], outputs: torch.Tensor) -> None:
        keys = [str(k) for k in batch["key"]]
        size = len(keys)
        probabilities = _probabilities(outputs, len(self.class_names), size)
        columns = zip(
            keys,
            _ints(batch, "start"),
            _ints(batch, "end"),
            _ints(batch, "label"),
            probabilities,
            *(_strings(batch, name, size) for name in ("event", "take", "camera", *CONDITIONS)),
            strict=True,
        )
        self.add(*(ClassifiedClip(*row) for row in columns))

    def compute(self, items: list[ClassifiedClip]) -> Metrics:
        self.clips = _unique(items)
        labels = np.array([clip.label for clip in self.clips], dtype=np.int64)
        probabilities = np.stack([clip.probabilities for clip in self.clips])
        summary = classification_summary(labels, probabilities.argmax(axis=1), len(self.class_names))
        self.confusion = summary["confusion"]
        metrics: Metrics = {"top1": summary["top1"]}
        if len(self.class_names) >= 5:
            metrics["top5"] = topk_accuracy(labels, probabilities, 5)
        metrics["mean_class_accuracy"] = summary["mean_class_accuracy"]
        for name, recall in zip(self.class_names, summary["recall"], strict=True):
            _finite(metrics, f"recall/{metric_key_part(name)}", recall)
        metrics["clips"] = float(len(self.clips))
        metrics.update(self._video_metrics())
        for attr in CONDITIONS:
            groups: dict[str, list[bool]] = defaultdict(list)
            for clip, label, scores in zip(self.clips, labels, probabilities, strict=True):
                value = getattr(clip, attr)
                if value:
                    groups[metric_key_part(value)].append(bool(scores.argmax() == label))
            for value, hits in sorted(groups.items()):
                metrics[f"{attr}/{value}/top1"] = float(np.mean(hits))
                metrics[f"{attr}/{value}/clips"] = float(len(hits))
        return metrics

    def _video_metrics(self) -> Metrics:
        normal = self.class_names.index(NORMAL_EVENT) if NORMAL_EVENT in self.class_names else -1
        by_video: dict[str, list[ClassifiedClip]] = defaultdict(list)
        for clip in self.clips:
            by_video[clip.key].append(clip)
        hits = []
        for clips in by_video.values():
            events = Counter(clip.label for clip in clips if clip.label != normal)
            if not events:  # only normal clips: no event to name
                continue
            label = min(events, key=lambda c: (-events[c], c))
            mean = np.mean([clip.probabilities for clip in clips if clip.label == label], axis=0)
            hits.append(int(mean.argmax()) == label)
        metrics: Metrics = {"videos": float(len(hits))}
        if hits:
            metrics["video_top1"] = float(np.mean(hits))
        return metrics

    # -- artefacts ---------------------------------------------------------------------------------
    def write(self, run_dir: Path) -> list[Path]:
        """``confusion_<split>.png``, ``predictions_<split>.csv`` and ``results.md``."""
        if not self.metrics:
            return []
        run_dir.mkdir(parents=True, exist_ok=True)
        title = (
            f"{self.split}: top-1 {number(self.metrics['top1'])}, "
            f"mean class accuracy {number(self.metrics['mean_class_accuracy'])}"
        )
        written = [
            plot_confusion(self.confusion, self.class_names, run_dir / f"confusion_{self.split}.png", title)
        ]
        written.append(self._write_predictions(run_dir / f"predictions_{self.split}.csv"))
        results = run_dir / "results.md"
        results.write_text(self.results_markdown(), encoding="utf-8")
        written.append(results)
        log.info("%s video classification results written to %s", self.split, run_dir)
        return written

    def _write_predictions(self, path: Path) -> Path:
        """One row per clip: its span, label, prediction and the probability of it, and the best
        classes as ``name:probability`` joined by ``;``."""
        fields = ["key", "start", "end", "label", "predicted", "score", "top3", "event", "take", "camera"]
        fields += CONDITIONS
        probabilities = np.stack([clip.probabilities for clip in self.clips])
        best = topk_indices(probabilities, TOP_CLASSES)
        rows = []
        for clip, scores, top in zip(self.clips, probabilities, best, strict=True):
            listed = ";".join(f"{self.class_names[c]}:{scores[c]:.4f}" for c in top)
            predicted = int(top[0])
            rows.append(
                (
                    clip.key,
                    clip.start,
                    clip.end,
                    self.class_names[clip.label],
                    self.class_names[predicted],
                    f"{scores[predicted]:.4f}",
                    listed,
                    clip.event,
                    clip.take,
                    clip.camera,
                    clip.inout,
                    clip.time_of_day,
                )
            )
        return write_csv(path, fields, rows)

    def results_markdown(self) -> str:
        """Overall, per-class recall and per-condition tables."""
        m = self.metrics
        lines = [f"# Video classification results ({self.split})", ""]
        lines += [f"{MISSING} = not computed (fewer than 5 classes, or no clip of that kind).", ""]
        lines += ["## Overall", ""]
        header = ["clips", "top-1", "top-5", "mean class accuracy", "videos", "video top-1"]
        row = [
            count(m["clips"]),
            number(m["top1"]),
            number(m.get("top5")),
            number(m["mean_class_accuracy"]),
            count(m["videos"]),
            number(m.get("video_top1")),
        ]
        lines += markdown_table(header, [row], numeric_from=0)
        lines += [
            "",
            "Video top-1: each video's event clips' probabilities averaged, argmax against its event.",
            "",
            "## Per class",
            "",
        ]
        support = self.confusion.sum(axis=1)
        rows = [
            [name, count(int(support[i])), number(m.get(f"recall/{metric_key_part(name)}"))]
            for i, name in enumerate(self.class_names)
        ]
        lines += markdown_table(["class", "clips", "recall"], rows, numeric_from=1)
        rows = []
        for attr in CONDITIONS:
            values = sorted({key.split("/")[1] for key in m if key.startswith(f"{attr}/")})
            rows += [[attr, v, count(m[f"{attr}/{v}/clips"]), number(m[f"{attr}/{v}/top1"])] for v in values]
        if rows:
            lines += ["", "## Per condition", ""]
            lines += markdown_table(["condition", "value", "clips", "top-1"], rows, numeric_from=2)
        return "\n".join(lines) + "\n"


# -- temporal localisation -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ScoredWindow:
    """One scored window: its video, half-open source-frame span and the model's probabilities."""

    key: str
    start: int
    end: int
    probabilities: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class PredictedSegment:
    """A segment after NMS: its frames (half-open), class index, score and best tIoU with the GT."""

    key: str
    start: int
    end: int
    label: int
    score: float
    tiou: float


def frame_probabilities(
    spans: Sequence[tuple[int, int]], probabilities: np.ndarray, num_frames: int
) -> np.ndarray:
    """``(num_frames, K)``: each frame's mean of the probabilities of the windows covering it; a frame
    no window covers takes the nearest window's (the earlier one on a tie). Spans are half-open source
    frames, clipped to the video."""
    if not len(spans):
        raise ValueError("no windows to spread over the frames")
    starts = np.array([s for s, _ in spans], dtype=np.int64)
    ends = np.array([e for _, e in spans], dtype=np.int64)
    probs = np.asarray(probabilities, dtype=np.float64)
    first, last = np.clip(starts, 0, num_frames), np.clip(ends, 0, num_frames)
    inside = last > first
    sums = np.zeros((num_frames + 1, probs.shape[1]))
    covers = np.zeros(num_frames + 1, dtype=np.int64)
    np.add.at(sums, first[inside], probs[inside])
    np.add.at(sums, last[inside], -probs[inside])
    np.add.at(covers, first[inside], 1)
    np.add.at(covers, last[inside], -1)
    sums, covers = np.cumsum(sums, axis=0)[:num_frames], np.cumsum(covers)[:num_frames]
    out = np.empty((num_frames, probs.shape[1]))
    covered = covers > 0
    out[covered] = sums[covered] / covers[covered, None]
    gaps = np.flatnonzero(~covered)
    if len(gaps):
        distance = np.maximum(
            np.maximum(starts[None, :] - gaps[:, None], gaps[:, None] - (ends[None, :] - 1)), 0
        )
        out[gaps] = probs[distance.argmin(axis=1)]
    return out


@dataclass
class _VideoResult:
    video: VideoClip
    windows: int
    scores: np.ndarray
    segments: list[PredictedSegment]


class TemporalLocalizationEvaluator(Evaluator):
    """``process(batch, logits)``: the batch's ``key``, ``start``, ``end`` (half-open source frames of
    each window) and ``(B, K)`` logits over ``class_names`` (``normal`` first, then the events).

    Frames: a frame's abnormality is the mean ``1 - p(normal)`` of the windows covering it (uncovered
    frames take the nearest window's); its label is 1 inside ``[event_start, event_end)``. A video in
    ``videos`` without windows scores 0 everywhere (``videos_without_windows``); a window of a video not
    in ``videos`` is an error. ``frame_auc`` pools every frame of every video (the anomaly-detection
    convention); ``frame_auc_mean`` averages the per-video AUCs of the videos with both labels.

    Segments: for each of ``thresholds``, the runs of abnormality ``>= threshold`` at least
    ``min_segment_seconds`` long, labelled with the event class of highest mean probability over the run
    (the frame-weighted mean of its windows), scored ``mean abnormality × that probability``; a video's
    proposals of all thresholds go through one class-agnostic temporal NMS at ``nms_tiou`` (a CCTV
    video holds one event). Ground truth: each video's event segment under its class. ``mAP@<t>`` for
    each of ``tious`` (ActivityNet-style, over the classes with ground truth), ``mAP`` their mean,
    ``AP@<t>/<class>``, ``windows``, ``videos``, ``segments``.
    """

    def __init__(
        self,
        videos: Sequence[VideoClip],
        class_names: Sequence[str],
        split: str = "test",
        tious: Sequence[float] = (0.3, 0.5, 0.7),
        thresholds: Sequence[float] = (0.3, 0.5, 0.7),
        nms_tiou: float = 0.5,
        min_segment_seconds: float = 0.0,
        timeline_videos: int = 4,
    ) -> None:
        names = list(class_names)
        if len(names) < 2 or names[0] != NORMAL_EVENT:
            raise ValueError(f"class_names must be {NORMAL_EVENT!r} then the events, got {names}")
        if not tious or any(not 0 < t <= 1 for t in tious):
            raise ValueError(f"tious must be in (0, 1], got {list(tious)}")
        if not thresholds:
            raise ValueError("thresholds is empty")
        if min_segment_seconds < 0:
            raise ValueError(f"min_segment_seconds must not be negative, got {min_segment_seconds}")
        self.videos = list(videos)
        self._by_key: dict[str, VideoClip] = {}
        for video in self.videos:
            if video.key in self._by_key:
                raise ValueError(f"video {video.key!r} is listed twice")
            if video.event not in names[1:]:
                raise ValueError(f"video {video.key!r}: event {video.event!r} is not one of {names[1:]}")
            self._by_key[video.key] = video
        super().__init__()
        self.class_names = names
        self.split = split
        self.tious = [float(t) for t in tious]
        self.thresholds = [float(t) for t in thresholds]
        self.nms_tiou = float(nms_tiou)
        self.min_segment_seconds = float(min_segment_seconds)
        self.timeline_videos = int(timeline_videos)

    def reset(self) -> None:
        super().reset()
        self.windows: list[ScoredWindow] = []
        self.results: dict[str, _VideoResult] = {}

    def process(self, batch: Mapping[str, Any], outputs: torch.Tensor) -> None:
        keys = [str(k) for k in batch["key"]]
        probabilities = _probabilities(outputs, len(self.class_names), len(keys))
        columns = zip(keys, _ints(batch, "start"), _ints(batch, "end"), probabilities, strict=True)
        self.add(*(ScoredWindow(*row) for row in columns))

    def compute(self, items: list[ScoredWindow]) -> Metrics:
        self.windows = _unique(items)
        by_video: dict[str, list[ScoredWindow]] = defaultdict(list)
        for window in self.windows:
            by_video[window.key].append(window)
        unknown = sorted(set(by_video) - set(self._by_key))
        if unknown:
            raise ValueError(
                f"{self.split}: windows of {len(unknown)} videos the evaluator was not given, e.g. {unknown[:3]}"
            )
        self.results = {
            key: self._video(self._by_key[key], by_video.get(key, [])) for key in sorted(self._by_key)
        }
        metrics: Metrics = {}
        self._frame_metrics(metrics)
        self._segment_metrics(metrics)
        metrics.update(
            windows=float(len(self.windows)),
            videos=float(len(self.results)),
            videos_without_windows=float(sum(not r.windows for r in self.results.values())),
            segments=float(sum(len(r.segments) for r in self.results.values())),
        )
        return metrics

    def _video(self, video: VideoClip, windows: Sequence[ScoredWindow]) -> _VideoResult:
        ends = [window.end for window in windows]
        num_frames = video.num_frames if video.num_frames > 0 else max([video.event_end, *ends])
        if not windows:
            return _VideoResult(video, 0, np.zeros(num_frames), [])
        spans = [(window.start, window.end) for window in windows]
        probs = frame_probabilities(spans, np.stack([w.probabilities for w in windows]), num_frames)
        scores = 1.0 - probs[:, 0]
        min_length = max(1, round(self.min_segment_seconds * video.fps))
        proposals: list[tuple[int, int, int, float]] = []
        for threshold in self.thresholds:
            for start, end in segments_from_scores(scores, threshold, min_length):
                events = probs[start:end, 1:].mean(axis=0)
                label = int(events.argmax()) + 1
                proposals.append((start, end, label, float(scores[start:end].mean() * events[label - 1])))
        segments: list[PredictedSegment] = []
        if proposals:
            spans = [(start, end) for start, end, _, _ in proposals]
            kept = temporal_nms(spans, [score for *_, score in proposals], self.nms_tiou)
            overlaps = tiou_matrix(spans, [(video.event_start, video.event_end)])[:, 0]
            segments = [PredictedSegment(video.key, *proposals[i], tiou=float(overlaps[i])) for i in kept]
        return _VideoResult(video, len(windows), scores, segments)

    def _frame_metrics(self, metrics: Metrics) -> None:
        scores, labels, per_video = [], [], []
        for result in self.results.values():
            label = np.zeros(len(result.scores), dtype=np.int64)
            label[result.video.event_start : result.video.event_end] = 1
            scores.append(result.scores)
            labels.append(label)
            if 0 < label.sum() < len(label):
                per_video.append(frame_auc(result.scores, label))
        if not scores:
            return
        _finite(metrics, "frame_auc", frame_auc(np.concatenate(scores), np.concatenate(labels)))
        if per_video:
            metrics["frame_auc_mean"] = float(np.mean(per_video))

    def _segment_metrics(self, metrics: Metrics) -> None:
        predictions: dict[int, list[tuple[str, int, int, float]]] = defaultdict(list)
        truth: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
        for result in self.results.values():
            video = result.video
            truth[self.class_names.index(video.event)].append((video.key, video.event_start, video.event_end))
            for seg in result.segments:
                predictions[seg.label].append((seg.key, seg.start, seg.end, seg.score))
        maps = []
        for tiou in self.tious:
            mean_ap, per_class = mean_average_precision(predictions, truth, tiou)
            maps.append(mean_ap)
            _finite(metrics, f"mAP@{_tiou_key(tiou)}", mean_ap)
            for label in sorted(truth):
                _finite(
                    metrics,
                    f"AP@{_tiou_key(tiou)}/{metric_key_part(self.class_names[label])}",
                    per_class[label],
                )
        _finite(metrics, "mAP", float(np.mean(maps)))

    # -- artefacts ---------------------------------------------------------------------------------
    def write(self, run_dir: Path) -> list[Path]:
        """``timeline_<split>.png`` (the first ``timeline_videos`` videos by key), ``segments_<split>.csv``,
        ``windows_<split>.csv`` and ``results.md``."""
        if not self.metrics:
            return []
        run_dir.mkdir(parents=True, exist_ok=True)
        written = []
        shown = list(self.results.values())[: max(self.timeline_videos, 0)]
        if shown:
            timelines = [
                Timeline(
                    key=r.video.key,
                    event=r.video.event,
                    fps=r.video.fps,
                    scores=r.scores,
                    event_frames=(r.video.event_start, r.video.event_end),
                    segments=[(s.start, s.end, self.class_names[s.label], s.score) for s in r.segments],
                    note="" if r.windows else "no windows: scored 0",
                )
                for r in shown
            ]
            path = run_dir / f"timeline_{self.split}.png"
            written.append(plot_timelines(timelines, self.thresholds, path, title=f"{self.split} timelines"))
        written.append(self._write_segments(run_dir / f"segments_{self.split}.csv"))
        written.append(self._write_windows(run_dir / f"windows_{self.split}.csv"))
        results = run_dir / "results.md"
        results.write_text(self.results_markdown(), encoding="utf-8")
        written.append(results)
        log.info("%s temporal localisation results written to %s", self.split, run_dir)
        return written

    def _write_segments(self, path: Path) -> Path:
        fields = ("video", "event", "class", "start", "end", "start_s", "end_s", "score", "tiou")
        rows = (
            (
                seg.key,
                r.video.event,
                self.class_names[seg.label],
                seg.start,
                seg.end,
                f"{seg.start / r.video.fps:.3f}",
                f"{seg.end / r.video.fps:.3f}",
                f"{seg.score:.4f}",
                f"{seg.tiou:.4f}",
            )
            for r in self.results.values()
            for seg in r.segments
        )
        return write_csv(path, fields, rows)

    def _write_windows(self, path: Path) -> Path:
        def top(window: ScoredWindow) -> int:
            return int(window.probabilities.argmax())

        rows = (
            (
                w.key,
                w.start,
                w.end,
                f"{w.probabilities[0]:.4f}",
                self.class_names[top(w)],
                f"{w.probabilities[top(w)]:.4f}",
            )
            for w in self.windows
        )
        return write_csv(path, ("key", "start", "end", "p_normal", "top_class", "top_probability"), rows)

    def results_markdown(self) -> str:
        """Overall table, per-class AP table, and how segments are formed."""
        m = self.metrics
        tious = [_tiou_key(t) for t in self.tious]
        lines = [f"# Temporal localisation results ({self.split})", ""]
        lines += [f"{MISSING} = undefined (one frame label only, or no ground truth).", "", "## Overall", ""]
        header = ["videos", "windows", "segments", "frame AUC", "frame AUC (per video)"]
        header += [*(f"mAP@{t}" for t in tious), "mAP"]
        row = [count(m["videos"]), count(m["windows"]), count(m["segments"])]
        row += [number(m.get("frame_auc")), number(m.get("frame_auc_mean"))]
        row += [*(number(m.get(f"mAP@{t}")) for t in tious), number(m.get("mAP"))]
        lines += markdown_table(header, [row], numeric_from=0)
        if m.get("videos_without_windows"):
            lines += ["", f"{count(m['videos_without_windows'])} videos had no window: scored 0 everywhere."]
        videos = Counter(r.video.event for r in self.results.values())
        rows = [
            [name, count(videos[name]), *(number(m.get(f"AP@{t}/{metric_key_part(name)}")) for t in tious)]
            for name in self.class_names[1:]
            if videos[name]
        ]
        lines += ["", "## Per class", ""]
        lines += markdown_table(["class", "videos", *(f"AP@{t}" for t in tious)], rows, numeric_from=1)
        thresholds = ", ".join(f"{t:g}" for t in self.thresholds)
        lines += [
            "",
            "## How segments are formed",
            "",
            "A frame's abnormality is the mean 1 - p(normal) of the windows covering it (uncovered frames "
            f"take the nearest window's). For each threshold ({thresholds}) every run of frames at or "
            f"above it, at least {self.min_segment_seconds:g} s long, is a proposal, labelled with the "
            "event of highest mean probability over the run and scored mean abnormality × that "
            f"probability. A video's proposals go through one temporal NMS at tIoU {self.nms_tiou:g}; AP "
            "is ActivityNet's (interpolated precision envelope), one ground-truth segment per video.",
        ]
        return "\n".join(lines) + "\n"
