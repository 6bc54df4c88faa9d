"""Translation evaluator: corpus BLEU and chrF with their signatures, hypothesis files and ``bleu.json``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aihub_bench.metrics.evaluator import Evaluator, Metrics
from aihub_bench.metrics.translation import corpus_scores, sacrebleu_command, write_translations
from aihub_bench.run_dir import write_json

log = logging.getLogger(__name__)


class TranslationEvaluator(Evaluator):
    """One item per sentence, ``(source, hypothesis, reference)``, kept in dataset order under DDP.

    ``process(batch, hypotheses)`` takes the batch's ``sources`` and ``references``. The metrics
    are ``bleu``, ``chrf`` and the strings ``bleu_signature``, ``chrf_signature``.
    """

    interleave = True  # the written hypotheses must line up with the dataset's references

    def __init__(self, target_lang: str, bleu_tokenize: str | None = None, split: str = "test") -> None:
        super().__init__()
        self.target_lang = target_lang
        self.bleu_tokenize = bleu_tokenize
        self.split = split

    def reset(self) -> None:
        super().reset()
        self.scores: dict[str, Any] = {}

    def process(self, batch: Mapping[str, Any], outputs: Sequence[str]) -> None:
        self.add(*zip(batch["sources"], outputs, batch["references"], strict=True))

    def compute(self, items: list[tuple[str, str, str]]) -> Metrics:
        _, hypotheses, references = zip(*items, strict=True)
        self.scores = corpus_scores(list(hypotheses), list(references), self.target_lang, self.bleu_tokenize)
        return {key: self.scores[key] for key in ("bleu", "chrf", "bleu_signature", "chrf_signature")}

    def write(self, run_dir: Path) -> list[Path]:
        """``<split>.src/hyp/ref.txt`` and ``bleu.json`` with the sacreBLEU command reproducing BLEU."""
        if not self.gathered:
            return []
        sources, hypotheses, references = (list(x) for x in zip(*self.gathered, strict=True))
        paths = write_translations(run_dir, self.split, sources, hypotheses, references)
        command = " ".join(sacrebleu_command(paths["ref"], paths["hyp"], self.scores["bleu_tokenizer"]))
        write_json(
            run_dir / "bleu.json",
            {
                "bleu": self.scores["bleu"],
                "chrf": self.scores["chrf"],
                "signature": self.scores["bleu_signature"],
                "tokenizer_note": self.scores["tokenizer_note"],
                "reproduce": command,
            },
        )
        log.info(
            "Test BLEU %.2f (%s); reproduce: %s", self.scores["bleu"], self.scores["bleu_signature"], command
        )
        return [*paths.values(), run_dir / "bleu.json"]
