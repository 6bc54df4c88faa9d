"""The video tasks: one cross-entropy over clips for both families, class lists checked, and the
localisation task's evaluator built from the datamodule's videos of the split."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from aihub_bench.records import VideoClip
from aihub_bench.tasks.video import TemporalLocalizationTask, VideoClassificationTask

EVENTS = ["normal", "swoon", "fight"]


class _ClipNet(nn.Module):
    """Mean colour of the clip → logits: enough to check the plumbing."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(3, num_classes)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return self.linear(video.mean(dim=(2, 3, 4)))


def _task(cls: type, class_names: list[str], **kwargs: object) -> VideoClassificationTask:
    return cls(
        net=lambda num_classes: _ClipNet(num_classes),
        optimizer=partial(torch.optim.SGD, lr=0.1),
        class_names=class_names,
        **kwargs,
    )


def test_training_loss_is_the_cross_entropy_of_the_clip_logits() -> None:
    task = _task(VideoClassificationTask, EVENTS[1:])
    batch = {"video": torch.randn(4, 3, 2, 8, 8), "label": torch.tensor([0, 1, 1, 0])}
    loss = task.training_loss(batch)
    expected = nn.functional.cross_entropy(task(batch["video"]), batch["label"])
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert task.net.linear.weight.grad is not None
    assert task.batch_units(batch) == 4


def test_class_weights_and_label_smoothing_reach_the_loss() -> None:
    task = _task(VideoClassificationTask, EVENTS[1:], class_weights=[1.0, 3.0], label_smoothing=0.1)
    batch = {"video": torch.randn(4, 3, 2, 8, 8), "label": torch.tensor([0, 1, 1, 0])}
    logits = task(batch["video"])
    expected = nn.functional.cross_entropy(
        logits, batch["label"], weight=torch.tensor([1.0, 3.0]), label_smoothing=0.1
    )
    torch.testing.assert_close(task.training_loss(batch), expected)


def test_mismatched_class_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="num_classes=3 but 2 class names"):
        _task(VideoClassificationTask, EVENTS[1:], num_classes=3)
    with pytest.raises(ValueError, match="2 values for 3 classes"):
        _task(VideoClassificationTask, EVENTS, class_weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="'normal' as class 0"):
        _task(TemporalLocalizationTask, EVENTS[1:])


def test_localisation_evaluator_scores_the_splits_videos() -> None:
    video = VideoClip(Path("a.mp4"), "a", "swoon", 10, 30, fps=10.0, num_frames=40, take="1-1")
    task = _task(TemporalLocalizationTask, EVENTS, localization={"tious": [0.5], "timeline_videos": 2})
    datamodule = SimpleNamespace(videos=lambda split: [video] if split == "test" else [])
    task.trainer = SimpleNamespace(datamodule=datamodule)  # type: ignore[assignment]
    evaluator = task.make_evaluator("test")
    assert [v.key for v in evaluator.videos] == ["a"]
    # a scorer that puts the event exactly where it is: perfect frame AUC and mAP
    starts = list(range(0, 40, 5))
    logits = torch.full((len(starts), 3), -5.0)
    for i, start in enumerate(starts):
        logits[i, 1 if 10 <= start < 30 else 0] = 5.0
    batch = {
        "key": ["a"] * len(starts),
        "start": starts,
        "end": [s + 5 for s in starts],
        "label": torch.tensor([1 if 10 <= s < 30 else 0 for s in starts]),
        "event": ["swoon"] * len(starts),
        "take": ["1-1"] * len(starts),
        "camera": ["cam01"] * len(starts),
        "inout": ["indoor"] * len(starts),
        "time_of_day": ["day"] * len(starts),
    }
    evaluator.process(batch, logits)
    metrics = evaluator.evaluate()
    assert metrics["frame_auc"] == pytest.approx(1.0)
    assert metrics["mAP@0.5"] == pytest.approx(1.0)
