"""LightningModule for Korean–English translation: label-smoothed cross-entropy, beam search, sacreBLEU.

Validation decodes greedily (cheap) and logs ``val/bleu`` and ``val/chrf``; test decodes with beam
search, logs ``test/bleu`` and ``test/chrf``, and writes the sources, hypotheses and references to
the run directory, so that the sacreBLEU command line reproduces the number. The signature strings
(``test/bleu_signature``...) go to ``metrics.json`` through :meth:`summary_metrics`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from aihub_bench.data.seq2seq import LABEL_IGNORE
from aihub_bench.data.subword import TranslationTokenizers
from aihub_bench.metrics.translation_evaluator import TranslationEvaluator
from aihub_bench.tasks.base import ReportColumn, TaskFamily, change, value
from aihub_bench.tasks.evaluation import EvaluatingTask
from aihub_bench.tasks.optim import configure_optimization

if TYPE_CHECKING:
    from transformers import MarianMTModel

TRANSLATION = TaskFamily(
    name="translation",
    title="Translation",
    unit="tok",
    headline=("test/bleu", "test/chrf", "test/bleu_after"),
    report_columns=(
        # 0-100 scores: 2 decimals even below 1, so that "0.22 → 53.30" lines up
        ReportColumn("BLEU", (value("test/bleu", digits=2),)),
        ReportColumn("chrF", (value("test/chrf", digits=2),)),
        ReportColumn(
            "BLEU before → after", (change("test/bleu_before", "test/bleu_after", digits=2),), "BLEU"
        ),
    ),
    signatures=(("BLEU", "test/bleu_signature"), ("chrF", "test/chrf_signature")),
)


class TranslationTask(EvaluatingTask):
    """``net`` is a factory taking the vocabulary sizes and special ids (Hydra partial of
    :func:`~aihub_bench.models.seq2seq.build_transformer`); ``tokenizers`` is the datamodule's
    (a plain dict, saved in the checkpoint so that it decodes on its own)."""

    family = TRANSLATION
    net: MarianMTModel

    def __init__(
        self,
        net: Callable[..., MarianMTModel],
        optimizer: Callable[..., torch.optim.Optimizer],
        tokenizers: dict[str, Any],
        direction: str = "ko-en",
        scheduler: dict[str, Any] | None = None,
        label_smoothing: float = 0.1,
        num_beams: int = 4,
        val_num_beams: int = 1,
        max_new_tokens: int = 128,
        bleu_tokenize: str | None = None,
        monitor: str = "val/bleu",
        monitor_mode: str = "max",
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "optimizer"])
        self.tokenizers = TranslationTokenizers.from_dict(tokenizers)
        source, target = self.tokenizers.source, self.tokenizers.target
        self.net = net(
            source_vocab_size=source.vocab_size,
            target_vocab_size=target.vocab_size,
            pad_id=target.pad_id,
            bos_id=target.bos_id,
            eos_id=target.eos_id,
            joint_vocab=self.tokenizers.joint,
        )
        self.optimizer_factory = optimizer
        self.target_lang = direction.split("-")[1]

    # -- training ---------------------------------------------------------------------------
    def _loss(self, batch: dict[str, Any]) -> torch.Tensor:
        logits = self.net(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"]
        ).logits
        return F.cross_entropy(
            logits.flatten(0, 1).float(),
            batch["labels"].flatten(),
            ignore_index=LABEL_IGNORE,
            label_smoothing=self.hparams.label_smoothing,
        )

    def training_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        return self._loss(batch)

    def batch_units(self, batch: dict[str, Any]) -> torch.Tensor:
        """Target tokens that are not padding (a tensor: no device sync inside a timed loop)."""
        return (batch["labels"] != LABEL_IGNORE).sum()

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self.logged_training_loss(batch, len(batch["sources"]))

    # -- evaluation -------------------------------------------------------------------------
    def translate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, num_beams: int) -> list[str]:
        generated = self.net.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            num_beams=num_beams,
            max_new_tokens=self.hparams.max_new_tokens,
            do_sample=False,
        )
        return [self.tokenizers.target.decode(ids.tolist()) for ids in generated]

    def make_evaluator(self, split: str) -> TranslationEvaluator:
        return TranslationEvaluator(self.target_lang, self.hparams.bleu_tokenize, split=split)

    def _evaluate(self, batch: dict[str, Any], split: str, num_beams: int) -> None:
        self.log(
            f"{split}/loss",
            self._loss(batch),
            on_epoch=True,
            batch_size=len(batch["sources"]),
            sync_dist=True,
        )
        self.evaluator.process(batch, self.translate(batch["input_ids"], batch["attention_mask"], num_beams))

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val", self.hparams.val_num_beams)

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test", self.hparams.num_beams)

    # -- optimisation -----------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)
