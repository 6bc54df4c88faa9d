"""Parallel-corpus data: per-domain grouped splits, train/test dedupe, subword tokenizers, padded batches.

The tokenizers are trained on the training split only (nothing of val or test leaks into the
vocabulary), or taken from a checkpoint (``tokenizers_from``) when a model is fine-tuned, so that its
embeddings keep their meaning. They are saved in the run directory and in every checkpoint.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from aihub_bench.data.base import SplitDataModule
from aihub_bench.data.splits import (
    assert_no_leakage,
    check_non_empty,
    partition,
    stratified_group_split,
)
from aihub_bench.data.subword import TranslationTokenizers
from aihub_bench.errors import ErrorPolicy, OnError
from aihub_bench.records import TranslationPair
from aihub_bench.run_dir import write_json

log = logging.getLogger(__name__)

Reader = Callable[..., list[TranslationPair]]
DIRECTIONS = ("ko-en", "en-ko")
LABEL_IGNORE = -100  # positions the loss skips (padding)


def load_checkpoint_tokenizers(checkpoint: str | Path) -> TranslationTokenizers:
    """The tokenizers a translation checkpoint was trained with (stored in its hyper-parameters)."""
    path = Path(checkpoint)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found")
    state = torch.load(path, map_location="cpu", weights_only=True)
    tokenizers = (state.get("hyper_parameters") or {}).get("tokenizers")
    if not tokenizers:
        raise ValueError(f"{path} holds no tokenizers: is it a translation checkpoint?")
    return TranslationTokenizers.from_dict(tokenizers)


class TranslationDataset(Dataset):
    """Token ids of each pair, in the run's direction, cut to ``max_length`` (end token kept).

    The texts are tokenised once, here (in batches, in Rust), not again in every epoch.
    """

    def __init__(
        self,
        pairs: Sequence[TranslationPair],
        tokenizers: TranslationTokenizers,
        direction: str,
        max_length: int,
    ) -> None:
        source_side, target_side = ("ko", "en") if direction == "ko-en" else ("en", "ko")
        self.sources = [getattr(p, source_side) for p in pairs]
        self.references = [getattr(p, target_side) for p in pairs]
        self.source_ids = self._ids(self.sources, tokenizers.source, max_length)
        self.target_ids = self._ids(self.references, tokenizers.target, max_length)

    @staticmethod
    def _ids(texts: list[str], vocab: Any, max_length: int) -> list[list[int]]:
        return [ids[: max_length - 1] + [vocab.eos_id] for ids in vocab.encode_batch(texts)]

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {
            "source_ids": self.source_ids[i],
            "target_ids": self.target_ids[i],
            "source": self.sources[i],
            "reference": self.references[i],
            "index": i,
        }


def collate_translation(items: list[dict[str, Any]], pad_id: int) -> dict[str, Any]:
    """Right-padded ``input_ids`` / ``attention_mask`` and ``labels`` with padding ignored by the loss."""
    width_in = max(len(item["source_ids"]) for item in items)
    width_out = max(len(item["target_ids"]) for item in items)
    input_ids = torch.full((len(items), width_in), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width_out), LABEL_IGNORE, dtype=torch.long)
    for row, item in enumerate(items):
        input_ids[row, : len(item["source_ids"])] = torch.tensor(item["source_ids"])
        labels[row, : len(item["target_ids"])] = torch.tensor(item["target_ids"])
    return {
        "input_ids": input_ids,
        "attention_mask": (input_ids != pad_id).long(),
        "labels": labels,
        "sources": [item["source"] for item in items],
        "references": [item["reference"] for item in items],
    }


class TranslationDataModule(SplitDataModule):
    """Reads the corpus, keeps the chosen domains and lengths, splits by domain and group, trains the
    subword tokenizers on the training split and serves padded batches.

    ``domain`` (one name, a list or ``None`` for all) selects the training and test domains; splits
    are stratified by domain and grouped by ``TranslationPair.group`` (a dialogue set stays whole).
    Test and val pairs that also occur in training are removed and counted.
    """

    def __init__(
        self,
        reader: Reader,
        synthetic: Callable[[], str | Path] | None = None,
        root: str | None = None,
        name: str = "",
        on_error: OnError = "raise",
        direction: str = "ko-en",
        domain: str | Sequence[str] | None = None,
        split: dict[str, Any] | None = None,
        min_chars: int = 1,
        max_chars: int = 300,
        vocab: dict[str, Any] | None = None,
        tokenizers_from: str | None = None,
        max_length: int = 128,
        batch_size: int = 64,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        max_pairs: int | None = None,
    ) -> None:
        super().__init__()
        if direction not in DIRECTIONS:
            raise ValueError(f"dataset.direction must be one of {DIRECTIONS}, got {direction!r}")
        self.reader, self.synthetic, self.root, self.name = reader, synthetic, root, name
        self.policy = ErrorPolicy(on_error)
        self.direction = direction
        self.domains = [domain] if isinstance(domain, str) else (list(domain) if domain else None)
        self.split_cfg: dict[str, Any] = {"val_fraction": 0.05, "test_fraction": 0.05, "seed": 0}
        self.split_cfg.update(split or {})
        self.min_chars, self.max_chars = min_chars, max_chars
        self.vocab_cfg: dict[str, Any] = {"size": 8000, "joint": True, "model": "bpe"}
        self.vocab_cfg.update(vocab or {})
        self.tokenizers_from = tokenizers_from
        self.max_length = max_length
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.max_pairs = max_pairs
        self.splits: dict[str, list[TranslationPair]] = {}
        self.tokenizers: TranslationTokenizers | None = None
        self.class_names: list[str] = []

    @property
    def source_lang(self) -> str:
        return self.direction.split("-")[0]

    @property
    def target_lang(self) -> str:
        return self.direction.split("-")[1]

    # -- data preparation -------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        root = self.resolved_root()
        log.info("Reading %s from %s", self.name or "corpus", root)
        pairs = self.reader(root=root, policy=self.policy, domains=self.domains)
        pairs = [p for p in pairs if self._length_ok(p)]
        if self.max_pairs:
            pairs = pairs[: self.max_pairs]
        if not pairs:
            raise ValueError(
                f"no usable pairs under {root} for domains {self.domains} (see data_report.json)"
            )
        groups = [p.group or p.pair_id for p in pairs]
        cfg = self.split_cfg
        sides = stratified_group_split(
            groups, [p.domain for p in pairs], cfg["val_fraction"], cfg["test_fraction"], cfg["seed"]
        )
        assert_no_leakage(groups, sides)
        self.splits = partition(pairs, sides)
        self._drop_copies_of_training_pairs()
        check_non_empty(self.splits, len(pairs), "pairs", self.split_cfg)
        self.tokenizers = self._tokenizers()
        log.info("Split sizes (pairs): %s", {k: len(v) for k, v in self.splits.items()})

    def _length_ok(self, pair: TranslationPair) -> bool:
        longest, shortest = max(len(pair.ko), len(pair.en)), min(len(pair.ko), len(pair.en))
        if shortest < self.min_chars or longest > self.max_chars:
            self.policy.count("filtered_by_length")
            return False
        return True

    def _drop_copies_of_training_pairs(self) -> None:
        """Exact (ko, en) copies of a training pair would be memorised, not translated: drop them."""
        seen = {(p.ko, p.en) for p in self.splits["train"]}
        for name in ("val", "test"):
            kept = [p for p in self.splits[name] if (p.ko, p.en) not in seen]
            self.policy.count(f"{name}_copies_of_train_removed", len(self.splits[name]) - len(kept))
            self.splits[name] = kept

    def _tokenizers(self) -> TranslationTokenizers:
        if self.tokenizers_from:
            log.info("Tokenizers from %s", self.tokenizers_from)
            return load_checkpoint_tokenizers(self.tokenizers_from)
        train = self.splits["train"]
        src, tgt = ("ko", "en") if self.direction == "ko-en" else ("en", "ko")
        return TranslationTokenizers.train(
            [getattr(p, src) for p in train],
            [getattr(p, tgt) for p in train],
            vocab_size=int(self.vocab_cfg["size"]),
            joint=bool(self.vocab_cfg["joint"]),
            model=str(self.vocab_cfg["model"]),
        )

    def model_kwargs(self) -> dict[str, Any]:
        assert self.tokenizers is not None, "setup() first"
        return {"tokenizers": self.tokenizers.to_dict(), "direction": self.direction}

    # -- artefacts for the run directory -----------------------------------------------------
    def write_artifacts(self, run_dir: str | Path) -> None:
        """``data_report.json``, ``splits.json`` (pair ids of val and test) and the tokenizers."""
        run_dir = Path(run_dir)
        report = self.policy.report()
        report["dataset"] = self.name
        report["direction"] = self.direction
        report["domains"] = self.domains or "all"
        report["split_pairs"] = {
            k: dict(sorted(Counter(p.domain for p in v).items())) for k, v in self.splits.items()
        }
        assert self.tokenizers is not None
        report["vocab"] = {
            "source": self.tokenizers.source.vocab_size,
            "target": self.tokenizers.target.vocab_size,
            "joint": self.tokenizers.joint,
            "from": self.tokenizers_from or "trained on the train split",
        }
        write_json(run_dir / "data_report.json", report)
        write_json(run_dir / "splits.json", {k: [p.pair_id for p in self.splits[k]] for k in ("val", "test")})
        self.tokenizers.save(run_dir / "tokenizer")

    # -- loaders ----------------------------------------------------------------------------
    def dataset(self, split: str) -> TranslationDataset:
        assert self.tokenizers is not None
        return TranslationDataset(self.splits[split], self.tokenizers, self.direction, self.max_length)

    def collate_fn(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        assert self.tokenizers is not None
        return collate_translation(items, self.tokenizers.source.pad_id)
