"""Text evaluators: CRNN-style recognition (CER, WER, exact match, jamo CER) and syllable classification
(top-k accuracy), overall and per subset / kind / font, with a predictions CSV.

Each sample's edit counts (or its top-k classes) are computed where it is processed and kept as one
item; :meth:`~aihub_bench.metrics.evaluator.Evaluator.evaluate` gathers the items of every DDP rank and
the metrics sum edits and reference lengths over them (never averages of per-rank averages), so they
do not depend on batching, rank count or order. The CSV is written by rank 0 from the gathered items,
sorted by image path then reference.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from aihub_bench.metrics.evaluator import Evaluator, Metrics
from aihub_bench.metrics.text import (
    EditCount,
    character_edits,
    jamo_edits,
    normalize_text,
    topk_indices,
    word_edits,
)
from aihub_bench.run_dir import write_csv

log = logging.getLogger(__name__)

GROUPS = ("subset", "kind", "font")  # sample attributes with per-value metrics
RECOGNITION_FIELDS = ("image_path", "subset", "kind", "font", "reference", "prediction", "cer")


def metric_key_part(name: str) -> str:
    """``name`` usable inside a metric key: characters other than letters (any script), digits,
    ``_ . + -`` become ``_`` (a ``/`` would add a key level; commas, ``=``, brackets, quotes and spaces
    break Hydra overrides such as ``model.monitor=...``). Names that differ only there share a key."""
    return re.sub(r"[^\w.+-]", "_", name)


def _column(batch: Mapping[str, Any], key: str, size: int) -> list[str]:
    """A per-sample string field of the batch; ``""`` for each sample when the batch lacks it."""
    values = batch.get(key)
    return [str(v) for v in values] if values is not None else [""] * size


def _grouped(items: Iterable[Any]) -> dict[str, dict[str, list[Any]]]:
    """``{"subset": {key part: items}, "kind": ..., "font": ...}``, samples with an empty value left out."""
    groups: dict[str, dict[str, list[Any]]] = {attr: defaultdict(list) for attr in GROUPS}
    for item in items:
        for attr in GROUPS:
            value = getattr(item, attr)
            if value:
                groups[attr][metric_key_part(value)].append(item)
    return groups


def _resolve(prediction_file: Path, run_dir: Path) -> Path:
    path = prediction_file if prediction_file.is_absolute() else run_dir / prediction_file
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# -- recognition -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecognisedText:
    """One recognised sample: its attributes, the normalised texts and their edit counts."""

    image_path: str
    subset: str
    kind: str
    font: str
    reference: str
    prediction: str
    chars: EditCount
    words: EditCount
    jamo: EditCount

    @property
    def correct(self) -> bool:
        return self.reference == self.prediction


def _rate(items: Sequence[RecognisedText], count: Callable[[RecognisedText], EditCount]) -> float | None:
    """Summed edits / summed reference length; None when the references hold nothing."""
    total = sum((count(item) for item in items), EditCount(0, 0))
    return total.edits / total.length if total.length else None


def _accuracy(items: Sequence[Any]) -> float:
    return sum(item.correct for item in items) / len(items)


class TextRecognitionEvaluator(Evaluator):
    """``process(batch, predictions)``: the batch's ``text`` (references), ``image_path``, ``subset``,
    ``kind`` and ``font``, and one predicted string per sample.

    Metrics: ``cer``, ``wer``, ``jamo_cer``, ``accuracy`` (exact match), ``samples``, and ``cer`` and
    ``accuracy`` per ``subset/<s>/``, ``kind/<k>/`` and ``font/<f>/`` (non-empty values only). An error
    rate whose references hold no character (word) is left out. ``prediction_file`` (relative to the
    run directory unless absolute): where :meth:`write` puts the predictions CSV; None: no CSV.
    """

    def __init__(self, split: str = "test", prediction_file: str | Path | None = None) -> None:
        super().__init__()
        self.split = split
        self.prediction_file = Path(prediction_file) if prediction_file else None

    def process(self, batch: Mapping[str, Any], outputs: Sequence[str]) -> None:
        references = list(batch["text"])
        predictions = list(outputs)
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions for a batch of {len(references)} samples")
        size = len(references)
        columns = zip(
            _column(batch, "image_path", size),
            _column(batch, "subset", size),
            _column(batch, "kind", size),
            _column(batch, "font", size),
            references,
            predictions,
            strict=True,
        )
        self.add(
            *(
                RecognisedText(
                    image_path=path,
                    subset=subset,
                    kind=kind,
                    font=font,
                    reference=normalize_text(ref),
                    prediction=normalize_text(pred),
                    chars=character_edits(pred, ref),
                    words=word_edits(pred, ref),
                    jamo=jamo_edits(pred, ref),
                )
                for path, subset, kind, font, ref, pred in columns
            )
        )

    def compute(self, items: list[RecognisedText]) -> Metrics:
        metrics: Metrics = {}
        overall = {
            "cer": _rate(items, lambda item: item.chars),
            "wer": _rate(items, lambda item: item.words),
            "jamo_cer": _rate(items, lambda item: item.jamo),
        }
        for key, value in overall.items():
            if value is None:
                log.warning("%s %s: the references are empty, no score", self.split, key)
            else:
                metrics[key] = value
        metrics["accuracy"] = _accuracy(items)
        metrics["samples"] = float(len(items))
        for attr, groups in _grouped(items).items():
            for name, members in sorted(groups.items()):
                cer = _rate(members, lambda item: item.chars)
                if cer is not None:
                    metrics[f"{attr}/{name}/cer"] = cer
                metrics[f"{attr}/{name}/accuracy"] = _accuracy(members)
        return metrics

    def write(self, run_dir: Path) -> list[Path]:
        """The predictions CSV (UTF-8, header :data:`RECOGNITION_FIELDS`), when ``prediction_file`` is set."""
        if self.prediction_file is None or not self.gathered:
            return []
        items = sorted(self.gathered, key=lambda item: (item.image_path, item.reference, item.prediction))
        rows = (
            (
                item.image_path,
                item.subset,
                item.kind,
                item.font,
                item.reference,
                item.prediction,
                item.chars.edits / item.chars.length if item.chars.length else "",
            )
            for item in items
        )
        path = write_csv(_resolve(self.prediction_file, run_dir), RECOGNITION_FIELDS, rows)
        log.info("%s predictions written to %s", self.split, path)
        return [path]


# -- syllable classification -----------------------------------------------------------------------
@dataclass(frozen=True)
class ClassifiedSyllable:
    """One classified sample: its attributes, label index and best-first predicted class indices."""

    image_path: str
    subset: str
    kind: str
    font: str
    reference: str
    label: int
    top: tuple[int, ...]

    def hit(self, k: int) -> bool:
        return self.label in self.top[:k]

    @property
    def correct(self) -> bool:
        return self.hit(1)


class SyllableEvaluator(Evaluator):
    """``process(batch, scores)``: the batch's ``label`` (class indices), ``text``, ``image_path``,
    ``subset``, ``kind``, ``font``, and ``(B, K)`` scores (logits or probabilities: only their order
    matters).

    Metrics: ``top<k>`` for each k of ``topk`` (capped at K, as in :func:`~.text.topk_accuracy`),
    ``samples``, and ``top<k>`` per ``subset/<s>/``, ``kind/<k>/`` and ``font/<f>/``. The predictions
    CSV lists each sample's best ``max(topk)`` classes by name.
    """

    def __init__(
        self,
        class_names: Sequence[str],
        split: str = "test",
        prediction_file: str | Path | None = None,
        topk: Sequence[int] = (1, 5),
    ) -> None:
        if not class_names:
            raise ValueError("class_names is empty")
        if not topk or any(int(k) < 1 for k in topk):
            raise ValueError(f"topk must list positive integers, got {list(topk)}")
        super().__init__()
        self.class_names = list(class_names)
        self.split = split
        self.prediction_file = Path(prediction_file) if prediction_file else None
        self.topk = sorted({int(k) for k in topk})

    def process(self, batch: Mapping[str, Any], outputs: torch.Tensor) -> None:
        scores = outputs.detach()
        if scores.ndim != 2 or scores.shape[1] != len(self.class_names):
            raise ValueError(
                f"scores must be (B, {len(self.class_names)}) for {len(self.class_names)} classes, "
                f"got shape {tuple(scores.shape)}"
            )
        labels = torch.as_tensor(batch["label"]).view(-1).tolist()
        size = len(labels)
        if scores.shape[0] != size:
            raise ValueError(f"{scores.shape[0]} score rows for a batch of {size} samples")
        top = topk_indices(scores, self.topk[-1]).cpu().tolist()
        references = _column(batch, "text", size)
        columns = zip(
            _column(batch, "image_path", size),
            _column(batch, "subset", size),
            _column(batch, "kind", size),
            _column(batch, "font", size),
            references,
            labels,
            top,
            strict=True,
        )
        self.add(
            *(
                ClassifiedSyllable(path, subset, kind, font, normalize_text(ref), int(label), tuple(best))
                for path, subset, kind, font, ref, label, best in columns
            )
        )

    def _topk_metrics(self, items: Sequence[ClassifiedSyllable], prefix: str = "") -> Metrics:
        return {f"{prefix}top{k}": sum(item.hit(k) for item in items) / len(items) for k in self.topk}

    def compute(self, items: list[ClassifiedSyllable]) -> Metrics:
        metrics = self._topk_metrics(items)
        metrics["samples"] = float(len(items))
        for attr, groups in _grouped(items).items():
            for name, members in sorted(groups.items()):
                metrics.update(self._topk_metrics(members, f"{attr}/{name}/"))
        return metrics

    def _name(self, index: int) -> str:
        return self.class_names[index] if 0 <= index < len(self.class_names) else ""

    def write(self, run_dir: Path) -> list[Path]:
        """The predictions CSV: the sample, its reference and label class, ``correct`` (top-1) and the
        best classes ``prediction_1`` … ``prediction_<max(topk)>``."""
        if self.prediction_file is None or not self.gathered:
            return []
        depth = min(self.topk[-1], len(self.class_names))
        fields = [
            "image_path",
            "subset",
            "kind",
            "font",
            "reference",
            "label",
            "correct",
            *(f"prediction_{i + 1}" for i in range(depth)),
        ]
        items = sorted(self.gathered, key=lambda item: (item.image_path, item.reference, item.top))
        rows = (
            (
                item.image_path,
                item.subset,
                item.kind,
                item.font,
                item.reference,
                self._name(item.label),
                int(item.correct),
                *(self._name(index) for index in item.top),
            )
            for item in items
        )
        path = write_csv(_resolve(self.prediction_file, run_dir), fields, rows)
        log.info("%s predictions written to %s", self.split, path)
        return [path]
