"""LightningModules for Korean OCR: CTC text recognition (CRNN) and single-syllable classification.

Text recognition: the net maps an image batch ``(B, C, H, W)`` to log-probabilities ``(T, B, K)``
over the blank (0) and the datamodule's alphabet (1..K-1); training minimises the CTC loss with each
image's own output length (its unpadded width // the net's width stride). Evaluation decodes
greedily or by prefix beam search (``decoding``) and scores CER, WER (어절), exact match and jamo CER
on NFC text (:mod:`aihub_bench.metrics.text_evaluator`); the test writes every prediction to
``<run dir>/predictions_test.csv``.

Syllable classification: cross-entropy over the syllable classes; top-1 / top-5 accuracy overall,
per subset and per font, the test's top-5 per image in ``predictions_test.csv``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from aihub_bench.metrics.text_evaluator import SyllableEvaluator, TextRecognitionEvaluator
from aihub_bench.models.text import CRNN, ctc_beam_decode, ctc_greedy_decode
from aihub_bench.tasks.base import ReportColumn, TaskFamily, loss_columns, value
from aihub_bench.tasks.evaluation import EvaluatingTask
from aihub_bench.tasks.optim import configure_optimization

PREDICTIONS_FILE = "predictions_test.csv"

TEXT_RECOGNITION = TaskFamily(
    name="text_recognition",
    title="Text recognition",
    unit="img",
    headline=("test/cer", "test/wer", "test/accuracy"),
    report_columns=(
        ReportColumn("CER", (value("test/cer"),)),
        ReportColumn("WER", (value("test/wer"),)),
        ReportColumn("accuracy", (value("test/accuracy"),)),
        ReportColumn("jamo CER", (value("test/jamo_cer"),)),
        *loss_columns(),
    ),
    report_note="CER and jamo CER: edits summed over the test set / reference characters (jamo) summed; "
    "WER over 어절 (whitespace-separated words); accuracy: exact match; all on NFC text.",
)

CHARACTER_CLASSIFICATION = TaskFamily(
    name="character_classification",
    title="Character classification",
    unit="img",
    headline=("test/top1", "test/top5"),
    report_columns=(
        ReportColumn("top-1", (value("test/top1"),)),
        ReportColumn("top-5", (value("test/top5"),)),
        *loss_columns(),
    ),
)

DECODINGS = ("greedy", "beam")


def _run_file(task: EvaluatingTask, split: str) -> Path | None:
    """``<run dir>/predictions_test.csv`` at test when the trainer has a run dir, else ``None``."""
    run_dir = task.trainer.default_root_dir
    return Path(run_dir) / PREDICTIONS_FILE if split == "test" and run_dir else None


class _LoggedLossTask(EvaluatingTask):
    """The training step every OCR task shares: a finite loss, logged per step and epoch."""

    def training_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        raise NotImplementedError

    def batch_units(self, batch: dict[str, Any]) -> int:
        return len(batch["image"])

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self.logged_training_loss(batch, self.batch_units(batch))

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def _evaluate(self, batch: dict[str, Any], split: str) -> None:
        raise NotImplementedError

    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)


class TextRecognitionTask(_LoggedLossTask):
    """Trains ``net`` (a factory ``net(num_classes=K)`` of a :class:`~aihub_bench.models.text.CRNN`:
    ``net(images, widths)`` and ``net.output_lengths(widths, T)``) with the CTC loss.

    ``alphabet`` (ids 1..K-1; the blank is 0) comes from the datamodule and is saved in the
    checkpoint, so a test run decodes with the vocabulary the model was trained on. ``decoding``:
    ``greedy`` (best path) or ``beam`` (prefix beam search of ``beam_width``).
    """

    family = TEXT_RECOGNITION
    evaluator: TextRecognitionEvaluator

    def __init__(
        self,
        net: Callable[..., nn.Module],
        optimizer: Callable[..., torch.optim.Optimizer],
        alphabet: Sequence[str],
        scheduler: dict[str, Any] | None = None,
        decoding: str = "greedy",
        beam_width: int = 5,
        monitor: str = "val/cer",
        monitor_mode: str = "min",
        class_names: Sequence[str] = (),
    ) -> None:
        super().__init__()
        if not alphabet:
            raise ValueError("text recognition needs the datamodule's alphabet (dataset.target=text)")
        if decoding not in DECODINGS:
            raise ValueError(f"model.decoding={decoding!r}: expected one of {DECODINGS}")
        if beam_width < 1:
            raise ValueError(f"model.beam_width={beam_width}: must be at least 1")
        self.save_hyperparameters(ignore=["net", "optimizer", "class_names"])
        self.alphabet = list(alphabet)
        self.net = cast(CRNN, net(num_classes=len(self.alphabet) + 1))
        self.optimizer_factory = optimizer

    def forward(self, images: torch.Tensor, widths: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(images, widths=widths)

    def log_probs(self, batch: dict[str, Any]) -> torch.Tensor:
        """``(T, B, K)``; the net reads each image's own columns only, so padding changes nothing."""
        return self.net(batch["image"], widths=batch["widths"])

    def output_lengths(self, log_probs: torch.Tensor, widths: torch.Tensor) -> torch.Tensor:
        """Each image's number of time steps: its unpadded width over the net's width stride, 1..T."""
        return self.net.output_lengths(widths.to(log_probs.device), log_probs.shape[0])

    def ctc_loss(self, log_probs: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:
        lengths = self.output_lengths(log_probs, batch["widths"])
        # CTC in float32: half-precision log-probs underflow over long alignments
        return F.ctc_loss(
            log_probs.float(),
            batch["targets"],
            lengths,
            batch["target_lengths"],
            blank=0,
            reduction="mean",
            zero_infinity=True,
        )

    def training_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        return self.ctc_loss(self.log_probs(batch), batch)

    def decode(self, log_probs: torch.Tensor, widths: torch.Tensor) -> list[str]:
        """The predicted text of each image of a batch."""
        lengths = self.output_lengths(log_probs, widths)
        scores = log_probs.detach().float().cpu()
        if self.hparams.decoding == "beam":
            paths = ctc_beam_decode(scores, lengths.cpu(), beam_width=self.hparams.beam_width)
        else:
            paths = ctc_greedy_decode(scores, lengths.cpu())
        return ["".join(self.alphabet[i - 1] for i in path if 0 < i <= len(self.alphabet)) for path in paths]

    def make_evaluator(self, split: str) -> TextRecognitionEvaluator:
        return TextRecognitionEvaluator(split=split, prediction_file=_run_file(self, split))

    def _evaluate(self, batch: dict[str, Any], split: str) -> None:
        log_probs = self.log_probs(batch)
        loss = self.ctc_loss(log_probs, batch)
        self.log(f"{split}/loss", loss, on_epoch=True, batch_size=len(batch["image"]), sync_dist=True)
        self.evaluator.process(batch, self.decode(log_probs, batch["widths"]))


class SyllableClassificationTask(_LoggedLossTask):
    """Trains ``net`` (a factory ``net(num_classes=K)`` returning logits) with cross-entropy over the
    datamodule's syllable classes (saved in the checkpoint); ``label_smoothing`` as in PyTorch."""

    family = CHARACTER_CLASSIFICATION
    evaluator: SyllableEvaluator

    def __init__(
        self,
        net: Callable[..., nn.Module],
        optimizer: Callable[..., torch.optim.Optimizer],
        class_names: Sequence[str],
        scheduler: dict[str, Any] | None = None,
        label_smoothing: float = 0.0,
        monitor: str = "val/top1",
        monitor_mode: str = "max",
        alphabet: Sequence[str] = (),
    ) -> None:
        super().__init__()
        if not class_names:
            raise ValueError(
                "syllable classification needs the datamodule's classes (dataset.target=syllable)"
            )
        self.save_hyperparameters(ignore=["net", "optimizer", "alphabet"])
        self.class_names = list(class_names)
        self.net = net(num_classes=len(self.class_names))
        self.optimizer_factory = optimizer

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)

    def cross_entropy(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits.float(), labels, label_smoothing=self.hparams.label_smoothing)

    def training_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        return self.cross_entropy(self.net(batch["image"]), batch["label"])

    def make_evaluator(self, split: str) -> SyllableEvaluator:
        return SyllableEvaluator(self.class_names, split=split, prediction_file=_run_file(self, split))

    def _evaluate(self, batch: dict[str, Any], split: str) -> None:
        logits = self.net(batch["image"])
        loss = self.cross_entropy(logits, batch["label"])
        self.log(f"{split}/loss", loss, on_epoch=True, batch_size=len(logits), sync_dist=True)
        self.evaluator.process(batch, logits.detach().float().cpu())
