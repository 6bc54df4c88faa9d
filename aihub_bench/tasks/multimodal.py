"""LightningModule for multimodal classification: one or more heads, each a classifier over some inputs.

A sample (a speaking turn of a conversation, or a person of a clip; :mod:`aihub_bench.data.multimodal`)
carries inputs — ``text`` (its script), ``dialogue`` (the previous turns and the script), ``image``
(crops of the speaker or person) — and one label per target (``emotion``, ``intent``, ``gender``,
``age``). A **head** maps some inputs to one target with its own encoders
(:func:`aihub_bench.models.multimodal.multimodal_classifier`), so a text head, an image head and a
fused head trained in one run are three independent models compared on the same test samples. The
loss is the sum of the heads' cross-entropies (``head_weights`` weigh it).

Evaluation (:class:`~aihub_bench.metrics.multimodal_evaluator.MultimodalClassificationEvaluator`):
accuracy, macro-F1 and per-class F1 of every head (``<head>/accuracy`` …), and of the ``primary``
head without a prefix (``accuracy``, ``macro_f1``: the run's headline), confusion matrices with the
Korean label names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from aihub_bench.metrics.evaluator import Evaluator
from aihub_bench.metrics.multimodal_evaluator import MultimodalClassificationEvaluator
from aihub_bench.tasks.base import ReportColumn, TaskFamily, loss_columns, value
from aihub_bench.tasks.evaluation import EvaluatingTask
from aihub_bench.tasks.optim import configure_optimization

#: Head names the experiments use, in the order of the report's per-head columns.
REPORTED_HEADS = ("text", "image", "fused", "utterance", "dialogue", "gender", "age")

MULTIMODAL_CLASSIFICATION = TaskFamily(
    name="multimodal_classification",
    title="Multimodal classification",
    unit="sample",
    headline=("test/accuracy", "test/macro_f1"),
    report_columns=(
        ReportColumn("accuracy", (value("test/accuracy"),)),
        ReportColumn("macro-F1", (value("test/macro_f1"),)),
        *(ReportColumn(f"{head} F1", (value(f"test/{head}/macro_f1"),)) for head in REPORTED_HEADS),
        ReportColumn("samples", (value("test/samples", digits=0),)),
        *loss_columns(),
    ),
    report_note="Accuracy and macro-F1 are the primary head's (fused for emotion, dialogue for intent, age "
    "for gender/age); the '<head> F1' columns are each head's macro-F1 (the mean F1 over the classes "
    "present in the test split) on the same test samples. Every head has its own encoders. Test clips "
    "(conversations) never appear in training.",
)


def default_heads(targets: Sequence[str], inputs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Heads when the config names none: per target, one head per input and, with several inputs, a
    fused head over all of them. Heads are named by the input (one target), by the target (one input),
    else ``<target>_<input>``."""
    heads: dict[str, dict[str, Any]] = {}
    for target in targets:
        for kind in [*([i] for i in inputs), *([list(inputs)] if len(inputs) > 1 else [])]:
            suffix = kind[0] if len(kind) == 1 else "fused"
            if len(targets) == 1:
                name = suffix
            elif len(inputs) == 1:
                name = target
            else:
                name = f"{target}_{suffix}"
            heads[name] = {"inputs": list(kind), "target": target}
    return heads


class MultimodalClassificationTask(EvaluatingTask):
    """Trains every head of ``net`` (a factory ``net(heads=, targets=, vocab_size=, pad_id=)`` whose
    module maps a batch to ``{head: logits}``) with cross-entropy on its target's labels.

    ``targets`` (target -> class names), ``display_names``, ``inputs``, ``vocab_size`` and ``pad_id``
    come from the datamodule; ``heads`` (``{name: {inputs, target}}``) from the config, or
    :func:`default_heads` when ``None``. ``primary`` names the head of the unprefixed metrics (default:
    the last head). ``head_weights`` (``{head: weight}``, default 1 each) weigh the summed loss.
    """

    family = MULTIMODAL_CLASSIFICATION

    def __init__(
        self,
        net: Callable[..., nn.Module],
        optimizer: Callable[..., torch.optim.Optimizer],
        targets: Mapping[str, Sequence[str]],
        vocab_size: int,
        pad_id: int = 0,
        inputs: Sequence[str] = (),
        display_names: Mapping[str, Sequence[str]] | None = None,
        heads: Mapping[str, Mapping[str, Any]] | None = None,
        primary: str | None = None,
        head_weights: Mapping[str, float] | None = None,
        scheduler: dict[str, Any] | None = None,
        label_smoothing: float = 0.0,
        monitor: str = "val/macro_f1",
        monitor_mode: str = "max",
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "optimizer"])
        self.targets = {str(t): [str(c) for c in names] for t, names in targets.items()}
        for target, names in self.targets.items():
            if len(names) < 2:
                raise ValueError(f"target {target!r} needs at least 2 classes, got {names}")
        self.display_names = {t: list(v) for t, v in (display_names or {}).items()}
        if heads is None:
            if not inputs:
                raise ValueError("model.heads is null and the datamodule names no inputs")
            heads = default_heads(list(self.targets), list(inputs))
        if not heads:
            raise ValueError("model.heads is empty")
        self.heads: dict[str, dict[str, Any]] = {
            str(name): {"inputs": list(spec["inputs"]), "target": str(spec["target"])}
            for name, spec in heads.items()
        }
        for name, spec in self.heads.items():
            if spec["target"] not in self.targets:
                raise ValueError(
                    f"model.heads.{name}.target={spec['target']!r}: the datamodule labels {sorted(self.targets)}"
                )
        self.primary = primary if primary is not None else list(self.heads)[-1]
        if self.primary not in self.heads:
            raise ValueError(f"model.primary={self.primary!r} is not one of the heads {list(self.heads)}")
        weights = dict(head_weights or {})
        unknown = sorted(set(weights) - set(self.heads))
        if unknown:
            raise ValueError(
                f"model.head_weights names unknown heads {unknown}; heads are {list(self.heads)}"
            )
        self.head_weights = {name: float(weights.get(name, 1.0)) for name in self.heads}
        self.net = net(heads=self.heads, targets=self.targets, vocab_size=vocab_size, pad_id=pad_id)
        self.optimizer_factory = optimizer

    def forward(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        outputs: dict[str, torch.Tensor] = self.net(batch)
        return outputs

    def head_losses(
        self, outputs: Mapping[str, torch.Tensor], batch: Mapping[str, Any]
    ) -> dict[str, torch.Tensor]:
        """Each head's cross-entropy against its target's labels."""
        smoothing = float(self.hparams.label_smoothing)
        return {
            name: F.cross_entropy(
                outputs[name].float(), batch["labels"][spec["target"]], label_smoothing=smoothing
            )
            for name, spec in self.heads.items()
        }

    def total_loss(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return torch.stack([self.head_weights[name] * loss for name, loss in losses.items()]).sum()

    def training_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        return self.total_loss(self.head_losses(self.net(batch), batch))

    def batch_units(self, batch: dict[str, Any]) -> int:
        return len(batch["key"])

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self.logged_training_loss(batch, self.batch_units(batch))

    def _evaluate(self, batch: dict[str, Any], split: str) -> None:
        outputs = self.net(batch)
        losses = self.head_losses(outputs, batch)
        size = self.batch_units(batch)
        self.log(f"{split}/loss", self.total_loss(losses), on_epoch=True, batch_size=size, sync_dist=True)
        for name, loss in losses.items():
            self.log(f"{split}/{name}/loss", loss, on_epoch=True, batch_size=size, sync_dist=True)
        self.evaluator.process(
            batch, {name: logits.detach().float().cpu() for name, logits in outputs.items()}
        )

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def make_evaluator(self, split: str) -> Evaluator:
        return MultimodalClassificationEvaluator(
            {name: spec["target"] for name, spec in self.heads.items()},
            self.targets,
            display_names=self.display_names or None,
            primary=self.primary,
            split=split,
        )

    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)
