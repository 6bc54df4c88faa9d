"""Figures of the video evaluators: a row-normalised confusion matrix and per-video score timelines.

Drawn on the Agg canvas directly (no pyplot: no global backend switched, no figure left open), in
NanumGothic (:func:`aihub_bench.fonts.use_korean_font`) since keys and class names may be Korean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aihub_bench.fonts import use_korean_font


def plot_confusion(
    confusion: np.ndarray, class_names: Sequence[str], path: Path, title: str = "", unit: str = "clips"
) -> Path:
    """``confusion`` (rows true, columns predicted) coloured by row share, each cell's count written
    in it; a class without ``unit`` (what a count counts: clips, samples) has an empty row."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    use_korean_font()
    counts = np.asarray(confusion, dtype=np.int64)
    support = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, support, out=np.zeros(counts.shape), where=support > 0)
    k = len(class_names)
    side = max(4.0, 0.55 * k + 2.0)
    fig = Figure(figsize=(side + 1.0, side), dpi=130)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    shown = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    for (row, col), value in np.ndenumerate(counts):
        if value:
            colour = "white" if shares[row, col] > 0.6 else "black"
            ax.text(col, row, str(value), ha="center", va="center", fontsize=7, color=colour)
    ticks = np.arange(k)
    ax.set_xticks(ticks, labels=list(class_names), rotation=45, ha="right", fontsize=8)
    ax.set_yticks(ticks, labels=list(class_names), fontsize=8)
    ax.set(xlabel="predicted", ylabel="true")
    if title:
        ax.set_title(title, fontsize=9)
    fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04, label=f"share of the true class's {unit}")
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


@dataclass(frozen=True)
class Timeline:
    """What one timeline panel shows: the frame scores, the ground-truth event and the segments."""

    key: str
    event: str
    fps: float
    scores: np.ndarray
    event_frames: tuple[int, int]
    segments: Sequence[tuple[int, int, str, float]]  # (start, end, class name, score)
    note: str = ""  # appended to the panel title


def plot_timelines(
    timelines: Sequence[Timeline], thresholds: Sequence[float], path: Path, title: str = ""
) -> Path:
    """One panel per video: the abnormality score against time (s), the ground-truth event shaded,
    the thresholds dashed, the predicted segments as bars under the curve labelled with their class."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    use_korean_font()
    fig = Figure(figsize=(10, 2.3 * len(timelines) + 0.5), dpi=110)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(timelines), 1, squeeze=False)[:, 0]
    for ax, line in zip(axes, timelines, strict=True):
        seconds = np.arange(len(line.scores)) / line.fps
        start, end = (frame / line.fps for frame in line.event_frames)
        ax.axvspan(start, end, color="tab:green", alpha=0.2, label=f"ground truth: {line.event}")
        ax.plot(seconds, line.scores, color="tab:blue", lw=1.0, label="abnormality (1 - p(normal))")
        for threshold in thresholds:
            ax.axhline(threshold, color="grey", lw=0.6, ls="--")
        for seg_start, seg_end, name, score in line.segments:
            left, width = seg_start / line.fps, (seg_end - seg_start) / line.fps
            ax.broken_barh([(left, width)], (-0.2, 0.1), color="tab:orange")
            ax.text(left, -0.08, f"{name} {score:.2f}", fontsize=6, va="bottom")
        ax.set(xlim=(0, max(len(line.scores), 1) / line.fps), ylim=(-0.22, 1.05), ylabel="score")
        ax.set_title(f"{line.key} — {line.event}{f' ({line.note})' if line.note else ''}", fontsize=8)
        ax.legend(loc="upper right", fontsize=6)
    axes[-1].set_xlabel("time (s)")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
