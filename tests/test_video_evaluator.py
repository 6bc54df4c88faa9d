"""Video evaluators (aihub_bench.metrics.video_evaluator) on hand-made clips and windows whose right
numbers are known: a perfect localiser, one whose segments are shifted by a known amount, one that
names the wrong event, a video left without windows; a small classification set whose video-level
top-1 differs from its clip-level top-1."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from aihub_bench import distributed
from aihub_bench.metrics.video_evaluator import (
    TemporalLocalizationEvaluator,
    VideoClassificationEvaluator,
    frame_probabilities,
)
from aihub_bench.records import VideoClip


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# -- classification --------------------------------------------------------------------------------
CLASSES = ["normal", "assault", "fight", "swoon", "wander", "dump"]


def _probs(spec: dict[str, float]) -> list[float]:
    """A probability row: the named classes' values, the rest spread evenly over the others."""
    rest = (1.0 - sum(spec.values())) / max(len(CLASSES) - len(spec), 1)
    return [spec.get(name, rest) for name in CLASSES]


# (key, start, label, probabilities, inout, time_of_day)
CLIPS: list[tuple[str, int, str, list[float], str, str]] = [
    # a (fight): 2 of 3 clips right, the mean right
    ("a", 0, "fight", _probs({"fight": 0.7}), "indoor", "day"),
    ("a", 16, "fight", _probs({"fight": 0.6}), "indoor", "day"),
    ("a", 32, "fight", _probs({"swoon": 0.4, "fight": 0.3}), "indoor", "day"),
    # b (swoon): 1 of 3 clips right, yet the mean picks swoon (0.567 against wander's 0.34)
    ("b", 0, "swoon", _probs({"wander": 0.5, "swoon": 0.4}), "outdoor", "night"),
    ("b", 16, "swoon", _probs({"wander": 0.5, "swoon": 0.4}), "outdoor", "night"),
    ("b", 32, "swoon", _probs({"swoon": 0.9, "wander": 0.02}), "outdoor", "night"),
    # c (wander): both event clips called normal (the first ranks wander last), its normal clip right
    (
        "c",
        0,
        "wander",
        _probs({"normal": 0.5, "assault": 0.15, "fight": 0.15, "swoon": 0.1, "dump": 0.09, "wander": 0.01}),
        "outdoor",
        "day",
    ),
    ("c", 16, "wander", _probs({"normal": 0.6, "wander": 0.3}), "outdoor", "day"),
    ("c", 48, "normal", _probs({"normal": 0.8}), "outdoor", "day"),
]


EVENT_OF = {"a": "fight", "b": "swoon", "c": "wander"}


def _clip_batches(clips: list[tuple[Any, ...]], size: int = 4) -> list[tuple[dict[str, Any], torch.Tensor]]:
    batches = []
    for first in range(0, len(clips), size):
        part = clips[first : first + size]
        batch = {
            "key": [c[0] for c in part],
            "start": torch.tensor([c[1] for c in part]),
            "end": torch.tensor([c[1] + 16 for c in part]),
            "label": torch.tensor([CLASSES.index(c[2]) for c in part]),
            "event": [EVENT_OF[c[0]] for c in part],
            "take": [f"take-{c[0]}" for c in part],
            "camera": ["cam01"] * len(part),
            "inout": [c[4] for c in part],
            "time_of_day": [c[5] for c in part],
        }
        logits = torch.log(torch.tensor([c[3] for c in part], dtype=torch.float64)).float()
        batches.append((batch, logits))
    return batches


def _classified(clips: list[tuple[Any, ...]] = CLIPS, size: int = 4) -> VideoClassificationEvaluator:
    evaluator = VideoClassificationEvaluator(CLASSES)
    for batch, logits in _clip_batches(clips, size):
        evaluator.process(batch, logits)
    evaluator.evaluate()
    return evaluator


def test_classification_numbers_by_hand() -> None:
    m = _classified().metrics
    assert m["top1"] == pytest.approx(4 / 9)  # a: 2, b: 1, c: the normal clip
    assert m["top5"] == pytest.approx(8 / 9)  # c's first clip ranks wander sixth
    assert m["recall/fight"] == pytest.approx(2 / 3)
    assert m["recall/swoon"] == pytest.approx(1 / 3)
    assert m["recall/wander"] == 0.0 and m["recall/normal"] == 1.0
    assert "recall/assault" not in m and "recall/dump" not in m  # absent classes
    assert m["mean_class_accuracy"] == pytest.approx((1 + 2 / 3 + 1 / 3 + 0) / 4)
    assert m["clips"] == 9
    # videos: a and b right on their mean probabilities, c wrong -> differs from the clip top-1
    assert (m["video_top1"], m["videos"]) == (pytest.approx(2 / 3), 3)
    assert (m["inout/indoor/top1"], m["inout/indoor/clips"]) == (pytest.approx(2 / 3), 3)
    assert (m["inout/outdoor/top1"], m["inout/outdoor/clips"]) == (pytest.approx(2 / 6), 6)
    assert (m["time_of_day/day/top1"], m["time_of_day/day/clips"]) == (pytest.approx(3 / 6), 6)
    assert (m["time_of_day/night/top1"], m["time_of_day/night/clips"]) == (pytest.approx(1 / 3), 3)


def test_classification_has_no_top5_below_five_classes() -> None:
    evaluator = VideoClassificationEvaluator(["fight", "swoon"])
    batch = {"key": ["a"], "start": [0], "end": [16], "label": torch.tensor([1])}
    evaluator.process(batch, torch.tensor([[0.0, 1.0]]))
    metrics = evaluator.evaluate()
    assert metrics["top1"] == 1.0 and "top5" not in metrics
    with pytest.raises(ValueError, match=r"\(1, 2\)"):
        evaluator.process(batch, torch.zeros(1, 3))


def test_classification_duplicates_and_ranks_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _classified().metrics
    assert _classified(CLIPS + CLIPS[:3], size=3).metrics == expected  # DDP padding repeats clips
    rank0, rank1 = VideoClassificationEvaluator(CLASSES), VideoClassificationEvaluator(CLASSES)
    for i, (batch, logits) in enumerate(_clip_batches(CLIPS[::-1], size=2)):
        (rank0 if i % 2 else rank1).process(batch, logits)
    monkeypatch.setattr(distributed, "gather_lists", lambda items, interleave=False: [*items, *rank1._items])
    metrics = rank0.evaluate()
    assert metrics.keys() == expected.keys()
    assert all(metrics[k] == pytest.approx(v) for k, v in expected.items())


def test_classification_writes_its_files(tmp_path: Path) -> None:
    evaluator = _classified()
    written = evaluator.write(tmp_path)
    assert sorted(p.name for p in written) == ["confusion_test.png", "predictions_test.csv", "results.md"]
    assert (tmp_path / "confusion_test.png").stat().st_size > 1000
    rows = _rows(tmp_path / "predictions_test.csv")
    assert len(rows) == 9
    first = rows[0]  # sorted by (key, start): a/0
    assert (first["key"], first["start"], first["end"], first["label"], first["predicted"]) == (
        "a",
        "0",
        "16",
        "fight",
        "fight",
    )
    assert float(first["score"]) == pytest.approx(0.7, abs=1e-4)
    assert first["top3"].split(";")[0] == "fight:0.7000"
    assert len(first["top3"].split(";")) == 3
    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "## Per class" in text and "## Per condition" in text
    assert "| fight | 3 | 0.667 |" in text
    assert "| inout | outdoor | 6 | 0.333 |" in text
    assert VideoClassificationEvaluator(CLASSES).write(tmp_path / "nothing") == []


# -- temporal localisation -------------------------------------------------------------------------
EVENTS = ["normal", "fight", "swoon", "wander"]
FPS = 10.0
LENGTH = 100  # frames per video
WINDOW = 10  # frames per window, stride 10: every frame in exactly one window


def _video(key: str, event: str, start: int, end: int) -> VideoClip:
    return VideoClip(Path(f"/data/{key}.mp4"), key, event, start, end, FPS, LENGTH, take=key)


VIDEOS = [_video("v1", "fight", 30, 70), _video("v2", "swoon", 40, 80), _video("v3", "wander", 0, 40)]


def _logits(event: str, strength: float = 20.0) -> list[float]:
    row = [0.0] * len(EVENTS)
    row[EVENTS.index(event)] = strength
    return row


def _windows(
    shift: int = 0, named: dict[str, tuple[str, float]] | None = None, skip: tuple[str, ...] = ()
) -> list[tuple[str, int, list[float]]]:
    """(key, start, logits): each window inside ``[event_start + shift, event_end + shift)`` strongly
    on the event (or ``named[key]``: another class and strength), every other window on normal."""
    rows = []
    for video in VIDEOS:
        if video.key in skip:
            continue
        event, strength = (named or {}).get(video.key, (video.event, 20.0))
        for start in range(0, LENGTH, WINDOW):
            inside = video.event_start + shift <= start < video.event_end + shift
            rows.append((video.key, start, _logits(event, strength) if inside else _logits("normal")))
    return rows


def _window_batches(
    rows: list[tuple[str, int, list[float]]], size: int = 7
) -> list[tuple[dict, torch.Tensor]]:
    batches = []
    for first in range(0, len(rows), size):
        part = rows[first : first + size]
        batch = {
            "key": [r[0] for r in part],
            "start": torch.tensor([r[1] for r in part]),
            "end": torch.tensor([r[1] + WINDOW for r in part]),
        }
        batches.append((batch, torch.tensor([r[2] for r in part])))
    return batches


def _localised(rows: list[tuple[str, int, list[float]]], **kwargs: Any) -> TemporalLocalizationEvaluator:
    evaluator = TemporalLocalizationEvaluator(VIDEOS, EVENTS, **kwargs)
    for batch, logits in _window_batches(rows):
        evaluator.process(batch, logits)
    evaluator.evaluate()
    return evaluator


def test_a_perfect_localiser_scores_one() -> None:
    m = _localised(_windows()).metrics
    assert m["frame_auc"] == 1.0 and m["frame_auc_mean"] == 1.0
    for key in ("mAP@0.3", "mAP@0.5", "mAP@0.7", "mAP"):
        assert m[key] == pytest.approx(1.0)
    for name in ("fight", "swoon", "wander"):
        assert m[f"AP@0.5/{name}"] == pytest.approx(1.0)
    assert (m["videos"], m["windows"], m["segments"], m["videos_without_windows"]) == (3, 30, 3, 0)


def test_a_shifted_localiser_fails_only_the_strict_tiou() -> None:
    # every segment 10 frames late: tIoU 30 / 50 = 0.6 with each 40-frame event
    m = _localised(_windows(shift=10)).metrics
    assert m["mAP@0.3"] == pytest.approx(1.0) and m["mAP@0.5"] == pytest.approx(1.0)
    assert m["mAP@0.7"] == 0.0
    assert m["mAP"] == pytest.approx(2 / 3)
    # per video 40 event frames (30 scored high, 10 low), 60 others (10 high, 50 low):
    # P(event > other) + P(tie) / 2 = 3/4 · 5/6 + (3/4 · 1/6 + 1/4 · 5/6) / 2
    assert m["frame_auc"] == pytest.approx(0.75 * 5 / 6 + (0.75 / 6 + 0.25 * 5 / 6) / 2)


def test_a_swapped_class_scores_zero_for_that_class() -> None:
    # v1 (fight) found in the right place but called swoon, less confidently than v2's swoon
    m = _localised(_windows(named={"v1": ("swoon", 5.0)})).metrics
    assert m["AP@0.5/fight"] == 0.0
    assert m["AP@0.5/swoon"] == pytest.approx(1.0)  # its true positive ranks above the false one
    assert m["AP@0.5/wander"] == pytest.approx(1.0)
    assert m["mAP@0.5"] == pytest.approx(2 / 3)
    assert m["frame_auc"] == 1.0  # abnormality does not care about the class


def test_a_video_without_windows_is_scored_zero_and_counted() -> None:
    m = _localised(_windows(skip=("v3",))).metrics
    assert m["videos_without_windows"] == 1 and m["videos"] == 3
    assert m["AP@0.5/wander"] == 0.0 and m["mAP@0.5"] == pytest.approx(2 / 3)
    # positives: 80 scored 1, v3's 40 scored 0; negatives all 0 -> 80/120 + (40/120) / 2
    assert m["frame_auc"] == pytest.approx(2 / 3 + 1 / 6)
    assert m["frame_auc_mean"] == pytest.approx((1 + 1 + 0.5) / 3)  # v3's frames all tie: chance


def test_short_segments_are_dropped() -> None:
    m = _localised(_windows(), min_segment_seconds=5.0).metrics  # the events last 4 s
    assert m["segments"] == 0 and m["mAP"] == 0.0


def test_localisation_duplicates_and_unknown_keys() -> None:
    rows = _windows()
    assert _localised(rows + rows[:5]).metrics == _localised(rows).metrics
    assert _localised(rows + rows[:5]).metrics["windows"] == 30
    evaluator = TemporalLocalizationEvaluator(VIDEOS, EVENTS)
    for batch, logits in _window_batches([*rows, ("v9", 0, _logits("fight"))]):
        evaluator.process(batch, logits)
    with pytest.raises(ValueError, match="v9"):
        evaluator.evaluate()


def test_localisation_rejects_bad_setup() -> None:
    with pytest.raises(ValueError, match="normal"):
        TemporalLocalizationEvaluator(VIDEOS, EVENTS[1:])
    with pytest.raises(ValueError, match="'dump' is not one of"):
        TemporalLocalizationEvaluator([_video("v4", "dump", 0, 10)], EVENTS)
    with pytest.raises(ValueError, match="twice"):
        TemporalLocalizationEvaluator([VIDEOS[0], VIDEOS[0]], EVENTS)


def test_frame_probabilities_average_overlaps_and_fill_gaps() -> None:
    spans = [(0, 4), (2, 6), (8, 10)]
    probs = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    out = frame_probabilities(spans, probs, num_frames=12)
    expected = [[1, 0]] * 2 + [[0.5, 0.5]] * 2 + [[0, 1]] * 2  # frames 0-5
    expected += [[0, 1]]  # frame 6: one frame from (2, 6), two from (8, 10)
    expected += [[0.5, 0.5]] * 5  # frame 7 nearest (8, 10); 8-9 covered; 10-11 past the end
    np.testing.assert_allclose(out, expected)


def test_localisation_writes_its_files(tmp_path: Path) -> None:
    evaluator = _localised(_windows(shift=10), timeline_videos=2)
    written = evaluator.write(tmp_path)
    assert sorted(p.name for p in written) == [
        "results.md",
        "segments_test.csv",
        "timeline_test.png",
        "windows_test.csv",
    ]
    assert (tmp_path / "timeline_test.png").stat().st_size > 1000
    segments = _rows(tmp_path / "segments_test.csv")
    assert [(s["video"], s["class"], s["start"], s["end"]) for s in segments] == [
        ("v1", "fight", "40", "80"),
        ("v2", "swoon", "50", "90"),
        ("v3", "wander", "10", "50"),
    ]
    assert (segments[0]["start_s"], segments[0]["end_s"]) == ("4.000", "8.000")
    assert float(segments[0]["tiou"]) == pytest.approx(0.6)
    windows = _rows(tmp_path / "windows_test.csv")
    assert len(windows) == 30
    assert (windows[0]["key"], windows[0]["start"], windows[0]["end"], windows[0]["top_class"]) == (
        "v1",
        "0",
        "10",
        "normal",
    )
    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| fight | 1 | 1.000 | 1.000 | 0.000 |" in text
    assert "## How segments are formed" in text
    assert TemporalLocalizationEvaluator(VIDEOS, EVENTS).write(tmp_path / "nothing") == []
