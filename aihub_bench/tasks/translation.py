"""LightningModule for Korean–English translation: label-smoothed cross-entropy, beam search, sacreBLEU.

Validation decodes greedily (cheap) and logs ``val/bleu`` and ``val/chrf``; test decodes with beam
search, logs ``test/bleu`` and ``test/chrf``, and writes the sources, hypotheses and references to
the run directory, so that the sacreBLEU command line reproduces the number. The signature strings
(``test/bleu_signature``...) go to ``metrics.json`` through :meth:`summary_metrics`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from aihub_bench.data.seq2seq import LABEL_IGNORE
from aihub_bench.data.subword import TranslationTokenizers
from aihub_bench.distributed import gather_lists
from aihub_bench.metrics.translation import corpus_scores, sacrebleu_command, write_translations
from aihub_bench.run_dir import write_json
from aihub_bench.tasks.base import FamilyTask, ReportColumn, TaskFamily, change, value
from aihub_bench.tasks.optim import configure_optimization

log = logging.getLogger(__name__)


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


class TranslationTask(FamilyTask):
    """``net`` is a factory taking the vocabulary sizes and special ids (Hydra partial of
    :func:`~aihub_bench.models.seq2seq.build_transformer`); ``tokenizers`` is the datamodule's
    (a plain dict, saved in the checkpoint so that it decodes on its own)."""

    family = TRANSLATION

    def __init__(
        self,
        net: Callable[..., nn.Module],
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
        self._outputs: list[tuple[str, str, str]] = []
        self._summary: dict[str, Any] = {}

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
        loss = self.training_loss(batch)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite training loss at step {self.global_step}")
        n = len(batch["sources"])
        self.log("train/loss", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=n)
        return loss

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

    def _evaluate(self, batch: dict[str, Any], split: str, num_beams: int) -> None:
        self.log(
            f"{split}/loss",
            self._loss(batch),
            on_epoch=True,
            batch_size=len(batch["sources"]),
            sync_dist=True,
        )
        hypotheses = self.translate(batch["input_ids"], batch["attention_mask"], num_beams)
        self._outputs.extend(zip(batch["sources"], hypotheses, batch["references"], strict=True))

    def on_validation_epoch_start(self) -> None:
        self._outputs = []

    on_test_epoch_start = on_validation_epoch_start

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val", self.hparams.val_num_beams)

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test", self.hparams.num_beams)

    def _scores(self, split: str) -> dict[str, Any] | None:
        self._outputs = gather_lists(self._outputs, interleave=True)  # DDP: all ranks, dataset order
        if self.trainer.sanity_checking or not self._outputs:
            return None
        _, hypotheses, references = zip(*self._outputs, strict=True)
        scores = corpus_scores(
            list(hypotheses), list(references), self.target_lang, self.hparams.bleu_tokenize
        )
        self.log_dict({f"{split}/bleu": scores["bleu"], f"{split}/chrf": scores["chrf"]}, sync_dist=False)
        return scores

    def on_validation_epoch_end(self) -> None:
        self._scores("val")

    def on_test_epoch_end(self) -> None:
        scores = self._scores("test")
        if scores is None:
            return
        self._summary = {
            "test/bleu_signature": scores["bleu_signature"],
            "test/chrf_signature": scores["chrf_signature"],
        }
        if not (self.trainer.is_global_zero and self.trainer.default_root_dir):
            return
        run_dir = Path(self.trainer.default_root_dir)
        sources, hypotheses, references = (list(x) for x in zip(*self._outputs, strict=True))
        paths = write_translations(run_dir, "test", sources, hypotheses, references)
        command = sacrebleu_command(paths["ref"], paths["hyp"], scores["bleu_tokenizer"])
        write_json(
            run_dir / "bleu.json",
            {
                "bleu": scores["bleu"],
                "chrf": scores["chrf"],
                "signature": scores["bleu_signature"],
                "tokenizer_note": scores["tokenizer_note"],
                "reproduce": " ".join(command),
            },
        )
        log.info(
            "Test BLEU %.2f (%s); reproduce: %s", scores["bleu"], scores["bleu_signature"], " ".join(command)
        )

    def summary_metrics(self) -> dict[str, Any]:
        """String results (sacreBLEU signatures) for ``metrics.json``."""
        return dict(self._summary)

    # -- optimisation -----------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        return configure_optimization(self, self.optimizer_factory, self.hparams.scheduler)
