"""Evaluator of multimodal classification: several heads, each predicting one target of the same samples.

Each processed sample gives one item per head (its key, the head, the label and predicted class indices,
the probability of the prediction); the base gathers every DDP rank's items and :meth:`compute` keeps
one item per ``(head, key)`` (DDP padding repeats samples), so results depend neither on batching nor
on rank count.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aihub_bench.metrics.evaluator import Evaluator, Metrics
from aihub_bench.metrics.multimodal import class_scores
from aihub_bench.metrics.text_evaluator import metric_key_part
from aihub_bench.metrics.video_figures import plot_confusion
from aihub_bench.run_dir import write_csv
from aihub_bench.tables import number

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeadPrediction:
    """One head's prediction for one sample: class indices and the probability of the predicted one."""

    key: str
    head: str
    label: int
    predicted: int
    confidence: float


def _csv_number(value: float) -> str:
    """A score for a CSV cell: 4 decimals, empty when undefined (NaN)."""
    return f"{value:.4f}" if np.isfinite(value) else ""


def _plain(text: str) -> str:
    """``text`` shown literally in a matplotlib title that also holds mathtext."""
    return text.replace("$", r"\$")


class MultimodalClassificationEvaluator(Evaluator):
    """``process(batch, {head: (B, K) logits})``: the batch's ``key`` and ``labels`` (target -> ``(B,)``
    class indices), each head's logits scored against its target's labels.

    Per head: ``<head>/accuracy``, ``<head>/macro_f1`` (mean F1 over the classes present in the labels),
    ``<head>/f1/<class>`` (those classes), ``<head>/samples``; the ``primary`` head's (default: the last)
    ``accuracy`` and ``macro_f1`` also without the prefix, and ``samples``. ``display_names`` (target ->
    one name per class, e.g. ``기쁨 (happy)``) label the confusion figures and the per-class table.
    """

    def __init__(
        self,
        heads: Mapping[str, str],
        classes: Mapping[str, Sequence[str]],
        display_names: Mapping[str, Sequence[str]] | None = None,
        primary: str | None = None,
        split: str = "test",
    ) -> None:
        if not heads:
            raise ValueError("no heads to evaluate")
        self.heads = {str(head): str(target) for head, target in heads.items()}
        self.classes = {str(target): [str(c) for c in names] for target, names in classes.items()}
        for head, target in self.heads.items():
            if not self.classes.get(target):
                raise ValueError(
                    f"head {head!r}: target {target!r} has no classes (known: {sorted(self.classes)})"
                )
        self.display_names = {target: list(names) for target, names in self.classes.items()}
        for target, names in (display_names or {}).items():
            if target in self.classes and len(names) != len(self.classes[target]):
                raise ValueError(
                    f"display names of {target!r}: {len(names)} for {len(self.classes[target])} classes"
                )
            self.display_names[str(target)] = [str(n) for n in names]
        self.primary = primary if primary is not None else list(self.heads)[-1]
        if self.primary not in self.heads:
            raise ValueError(f"primary head {self.primary!r} is not one of {list(self.heads)}")
        super().__init__()
        self.split = split

    def reset(self) -> None:
        super().reset()
        self.predictions: dict[str, list[HeadPrediction]] = {}
        self.scores: dict[str, dict[str, Any]] = {}

    def process(self, batch: Mapping[str, Any], outputs: Mapping[str, torch.Tensor]) -> None:
        unknown = sorted(set(outputs) - set(self.heads))
        missing = sorted(set(self.heads) - set(outputs))
        if unknown or missing:
            raise ValueError(
                f"{self.split}: outputs of heads {sorted(outputs)}, expected {sorted(self.heads)} "
                f"(unknown: {unknown}, missing: {missing})"
            )
        keys = [str(k) for k in batch["key"]]
        labels = batch["labels"]
        for head, logits in outputs.items():
            target = self.heads[head]
            if target not in labels:
                raise ValueError(f"head {head!r}: the batch has no labels for target {target!r}")
            num_classes = len(self.classes[target])
            if logits.ndim != 2 or tuple(logits.shape) != (len(keys), num_classes):
                raise ValueError(
                    f"head {head!r}: logits must be (B, K) = ({len(keys)}, {num_classes}), got {tuple(logits.shape)}"
                )
            confidence, predicted = torch.softmax(logits.detach().float(), dim=1).max(dim=1)
            truth = [int(v) for v in torch.as_tensor(labels[target]).reshape(-1).tolist()]
            if any(not 0 <= label < num_classes for label in truth):
                raise ValueError(
                    f"head {head!r}: labels of {target!r} must lie in [0, {num_classes}), got {truth}"
                )
            self.add(
                *(
                    HeadPrediction(key, head, int(label), int(p), float(c))
                    for key, label, p, c in zip(
                        keys, truth, predicted.tolist(), confidence.tolist(), strict=True
                    )
                )
            )

    def compute(self, items: list[HeadPrediction]) -> Metrics:
        unique: dict[tuple[str, str], HeadPrediction] = {}
        for item in items:
            unique.setdefault((item.head, item.key), item)
        self.predictions = {head: [] for head in self.heads}
        for head, key in sorted(unique):
            self.predictions[head].append(unique[head, key])
        metrics: Metrics = {}
        self.scores = {}
        for head, rows in self.predictions.items():
            if not rows:
                continue
            target = self.heads[head]
            scores = class_scores(
                np.array([r.label for r in rows]),
                np.array([r.predicted for r in rows]),
                len(self.classes[target]),
            )
            self.scores[head] = scores
            prefix = metric_key_part(head)
            metrics[f"{prefix}/accuracy"] = scores["accuracy"]
            metrics[f"{prefix}/macro_f1"] = scores["macro_f1"]
            for name, f1, support in zip(self.classes[target], scores["f1"], scores["support"], strict=True):
                if support > 0:
                    metrics[f"{prefix}/f1/{metric_key_part(name)}"] = float(f1)
            metrics[f"{prefix}/samples"] = float(len(rows))
        if self.primary in self.scores:
            metrics["accuracy"] = self.scores[self.primary]["accuracy"]
            metrics["macro_f1"] = self.scores[self.primary]["macro_f1"]
            metrics["samples"] = float(len(self.predictions[self.primary]))
        return metrics

    # -- artefacts ---------------------------------------------------------------------------------
    def write(self, run_dir: Path) -> list[Path]:
        """``confusion_<split>_<head>.png`` per head, ``predictions_<split>.csv``, ``per_class_<split>.csv``."""
        if not self.metrics:
            return []
        run_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for head, scores in self.scores.items():
            target = self.heads[head]
            # the arrow from mathtext: NanumGothic's own is barely visible; "$" in a name is escaped
            title = (
                f"{_plain(head)} $\\rightarrow$ {_plain(target)} ({self.split}: accuracy {number(scores['accuracy'])}, "
                f"macro-F1 {number(scores['macro_f1'])})"
            )
            path = run_dir / f"confusion_{self.split}_{metric_key_part(head)}.png"
            written.append(
                plot_confusion(scores["confusion"], self.display_names[target], path, title, unit="samples")
            )
        written.append(self._write_predictions(run_dir / f"predictions_{self.split}.csv"))
        written.append(self._write_per_class(run_dir / f"per_class_{self.split}.csv"))
        log.info("%s multimodal classification results written to %s", self.split, run_dir)
        return written

    def _write_predictions(self, path: Path) -> Path:
        fields = ("key", "head", "target", "label", "predicted", "confidence")
        rows = []
        for head, predictions in self.predictions.items():
            target = self.heads[head]
            names = self.classes[target]
            rows += [
                (p.key, head, target, names[p.label], names[p.predicted], f"{p.confidence:.4f}")
                for p in predictions
            ]
        return write_csv(path, fields, rows)

    def _write_per_class(self, path: Path) -> Path:
        fields = ("head", "class", "display_name", "precision", "recall", "f1", "support")
        rows = []
        for head, scores in self.scores.items():
            target = self.heads[head]
            for index, (name, shown) in enumerate(
                zip(self.classes[target], self.display_names[target], strict=True)
            ):
                rows.append(
                    (
                        head,
                        name,
                        shown,
                        _csv_number(scores["precision"][index]),
                        _csv_number(scores["recall"][index]),
                        _csv_number(scores["f1"][index]),
                        int(scores["support"][index]),
                    )
                )
        return write_csv(path, fields, rows)
