"""LightningModules for video: event classification of clips, and temporal localisation of events.

Both train the same kind of net, a clip classifier ``(B, 3, T, H, W) -> (B, K)``
(:func:`aihub_bench.models.video.video_classifier`), with cross-entropy on windows of a video:

- **event classification** (:class:`VideoClassificationTask`): a clip cut inside an event window
  carries the event's label (optionally clips outside it are ``normal``); evaluation is clip top-1,
  mean class accuracy, per-class recall and a confusion matrix, plus video-level top-1 from the mean
  probabilities of each video's clips
  (:class:`~aihub_bench.metrics.video_evaluator.VideoClassificationEvaluator`);
- **temporal localisation** (:class:`TemporalLocalizationTask`): every window of a whole video is
  labelled ``normal`` or the event it overlaps; at evaluation the window probabilities over each
  test video become per-frame abnormality scores (frame-level ROC AUC) and event segments
  (ActivityNet-style mAP at tIoU 0.3 / 0.5 / 0.7)
  (:class:`~aihub_bench.metrics.video_evaluator.TemporalLocalizationEvaluator`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from aihub_bench.metrics.evaluator import Evaluator
from aihub_bench.metrics.video_evaluator import TemporalLocalizationEvaluator, VideoClassificationEvaluator
from aihub_bench.records import NORMAL_EVENT
from aihub_bench.tasks.base import ReportColumn, TaskFamily, class_weight_tensor, loss_columns, value
from aihub_bench.tasks.evaluation import EvaluatingTask
from aihub_bench.tasks.optim import configure_optimization

VIDEO_CLASSIFICATION = TaskFamily(
    name="video_classification",
    title="Video event classification",
    unit="clip",
    headline=("test/top1", "test/mean_class_accuracy"),
    report_columns=(
        ReportColumn("top-1", (value("test/top1"),)),
        ReportColumn("mean class acc.", (value("test/mean_class_accuracy"),)),
        ReportColumn("video top-1", (value("test/video_top1"),)),
        ReportColumn("clips", (value("test/clips", digits=0),)),
        ReportColumn("videos", (value("test/videos", digits=0),)),
        *loss_columns(),
    ),
    report_note="Clips are cut inside each test video's event window and carry its event; top-1 and mean "
    "class accuracy (the mean of the per-class recalls) are over clips, video top-1 over the mean "
    "probabilities of each video's clips. Test takes never appear in training.",
)

TEMPORAL_LOCALIZATION = TaskFamily(
    name="temporal_localization",
    title="Temporal event localisation",
    unit="clip",
    headline=("test/frame_auc", "test/mAP@0.5"),
    report_columns=(
        ReportColumn("frame AUC", (value("test/frame_auc"),)),
        ReportColumn("mAP@0.3", (value("test/mAP@0.3"),)),
        ReportColumn("mAP@0.5", (value("test/mAP@0.5"),)),
        ReportColumn("mAP@0.7", (value("test/mAP@0.7"),)),
        ReportColumn("videos", (value("test/videos", digits=0),)),
        *loss_columns(),
    ),
    report_note="Windows slide over each whole test video; a frame's abnormality is the mean of 1 − "
    "p(normal) over the windows covering it. Frame AUC: ROC AUC over every test frame pooled; mAP@t: "
    "ActivityNet-style segment mAP at temporal IoU t over the event classes.",
)


class VideoClipTask(EvaluatingTask):
    """Trains ``net`` (a factory ``net(num_classes=K)`` mapping ``(B, 3, T, H, W)`` clips to logits)
    with cross-entropy over the datamodule's ``class_names``; subclasses choose the evaluator.

    ``label_smoothing`` is the cross-entropy's; ``class_weights`` (one per class, or ``None``) weighs it.
    """

    def __init__(
        self,
        net: Callable[..., nn.Module],
        optimizer: Callable[..., torch.optim.Optimizer],
        class_names: Sequence[str],
        num_classes: int | None = None,
        scheduler: dict[str, Any] | None = None,
        class_weights: Sequence[float] | None = None,
        label_smoothing: float = 0.0,
        monitor: str = "val/top1",
        monitor_mode: str = "max",
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "optimizer"])
        self.class_names = [str(c) for c in class_names]
        if num_classes is not None and num_classes != len(self.class_names):
            raise ValueError(f"num_classes={num_classes} but {len(self.class_names)} class names")
        if len(self.class_names) < 2:
            raise ValueError(f"a clip classifier needs at least 2 classes, got {self.class_names}")
        self.register_buffer(
            "class_weights", class_weight_tensor(class_weights, self.class_names), persistent=False
        )
        self.net = net(num_classes=len(self.class_names))
        self.optimizer_factory = optimizer

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return self.net(video)

    def clip_loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        weight = self.class_weights if isinstance(self.class_weights, torch.Tensor) else None
        return F.cross_entropy(
            logits.float(), labels, weight=weight, label_smoothing=float(self.hparams.label_smoothing)
        )

    def training_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        return self.clip_loss(self.net(batch["video"]), batch["label"])

    def batch_units(self, batch: dict[str, Any]) -> int:
        return len(batch["video"])

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self.logged_training_loss(batch, self.batch_units(batch))

    def _evaluate(self, batch: dict[str, Any], split: str) -> None:
        logits = self.net(batch["video"])
        self.log(
            f"{split}/loss",
            self.clip_loss(logits, batch["label"]),
            on_epoch=True,
            batch_size=len(logits),
            sync_dist=True,
        )
        self.evaluator.process(batch, logits.detach().float().cpu())

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)


class VideoClassificationTask(VideoClipTask):
    """Event classification of clips cut inside event windows (optionally also ``normal`` clips)."""

    family = VIDEO_CLASSIFICATION

    def make_evaluator(self, split: str) -> Evaluator:
        return VideoClassificationEvaluator(self.class_names, split=split)


class TemporalLocalizationTask(VideoClipTask):
    """Window classification over whole videos (``normal`` + events), evaluated as temporal localisation.

    ``localization``: the evaluator's segment settings (``tious``, ``thresholds``, ``nms_tiou``,
    ``min_segment_seconds``, ``timeline_videos``).
    """

    family = TEMPORAL_LOCALIZATION

    def __init__(
        self,
        net: Callable[..., nn.Module],
        optimizer: Callable[..., torch.optim.Optimizer],
        class_names: Sequence[str],
        localization: dict[str, Any] | None = None,
        monitor: str = "val/frame_auc",
        **kwargs: Any,
    ) -> None:
        if not class_names or class_names[0] != NORMAL_EVENT:
            raise ValueError(
                f"temporal localisation needs {NORMAL_EVENT!r} as class 0, got {list(class_names)[:3]}"
            )
        super().__init__(net, optimizer, class_names, monitor=monitor, **kwargs)
        self.localization = dict(localization or {})

    def make_evaluator(self, split: str) -> Evaluator:
        settings = dict(self.localization)
        if split != "test":
            settings["timeline_videos"] = 0
        return TemporalLocalizationEvaluator(
            self.datamodule.videos(split), self.class_names, split=split, **settings
        )
