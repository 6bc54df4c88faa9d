"""Subword vocabularies for translation, trained on the training split with HF ``tokenizers``.

Pipeline of every vocabulary: NFC + whitespace collapsing -> Metaspace (spaces become ``▁`` and
start each word, so Korean and English need no language-specific pre-tokenizer and decoding
restores the spaces) -> BPE or Unigram model. Ids 0..3 are always ``<pad> <s> </s> <unk>``.

``bpe`` (the default) is reproducible: the same texts give the same vocabulary, byte for byte,
in any process. HF's Unigram trainer is not (hash-map iteration order decides score ties, the
order of the pieces and the scores of characters kept only for coverage), so ``unigram`` is
opt-in and its vocabulary must be saved with the run. Neither trainer has a random seed.

Special-token strings typed in a sentence ("</s>") are encoded as text, not as special ids
(``encode_special_tokens``). That holds for BPE, whose pieces come only from merges; a Unigram
lattice may still pick its ``</s>`` piece, another reason BPE is the default.

Characters never seen in training map to ``<unk>``. For BPE the alphabet is capped to fit
``vocab_size``: the most frequent characters are kept (ties by code point, which is what makes the
cap deterministic), the rest become ``<unk>``. Unigram instead needs ``vocab_size`` to hold every
training character.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<unk>")
PAD, BOS, EOS, UNK = SPECIAL_TOKENS
MODELS = ("bpe", "unigram")
_SPACE = "▁"  # U+2581, the Metaspace replacement

CONFIG_FILE = "tokenizer_config.json"
JOINT_FILE = "tokenizer.json"
SOURCE_FILE = "tokenizer_source.json"
TARGET_FILE = "tokenizer_target.json"


def _empty_tokenizer(model: str) -> Tokenizer:
    if model == "bpe":
        tok = Tokenizer(models.BPE(unk_token=UNK))
    elif model == "unigram":
        tok = Tokenizer(models.Unigram())
    else:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip()]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_SPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_SPACE, prepend_scheme="always", split=True)
    return tok


class SubwordVocab:
    """One trained ``tokenizers.Tokenizer`` with the fixed special ids."""

    pad_id, bos_id, eos_id, unk_id = range(len(SPECIAL_TOKENS))

    def __init__(self, tokenizer: Tokenizer) -> None:
        for expected, token in enumerate(SPECIAL_TOKENS):
            got = tokenizer.token_to_id(token)
            if got != expected:
                raise ValueError(f"special token {token!r} has id {got}, expected {expected}")
        # "</s>" typed in a sentence is text, not an end-of-sentence marker.
        tokenizer.encode_special_tokens = True
        self.tokenizer = tokenizer

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    @property
    def model(self) -> str:
        """``"bpe"`` or ``"unigram"``."""
        return type(self.tokenizer.model).__name__.lower()

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``, without ``<s>``/``</s>``."""
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [enc.ids for enc in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``; special tokens (``<unk>`` included) are dropped."""
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)

    def to_json(self) -> str:
        return self.tokenizer.to_str()

    @classmethod
    def from_json(cls, text: str) -> SubwordVocab:
        return cls(Tokenizer.from_str(text))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> SubwordVocab:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SubwordVocab) and _content(self.to_json()) == _content(other.to_json())

    # Defining __eq__ leaves __hash__ None: a mutable wrapper, equal by content, is unhashable.

    def __repr__(self) -> str:
        return f"SubwordVocab(model={self.model!r}, vocab_size={self.vocab_size})"


def _alphabet(tok: Tokenizer, texts: Sequence[str], limit: int) -> list[str]:
    """The ``limit`` most frequent characters after normalisation and Metaspace, ties by code point."""
    counts: Counter[str] = Counter()
    for text in texts:
        normalized = tok.normalizer.normalize_str(text)
        if normalized:
            counts.update(_SPACE + normalized.replace(" ", _SPACE))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return sorted(ch for ch, _ in ranked[:limit])


def _content(tokenizer_json: str) -> object:
    """A tokenizer's JSON with its floats rounded to 12 significant digits: the Unigram scores do not
    survive HF tokenizers' save/load round trip to the last bit, though the tokenizer is the same."""

    def rounded(value: object) -> object:
        if isinstance(value, float):
            return float(f"{value:.12g}")
        if isinstance(value, list):
            return [rounded(v) for v in value]
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        return value

    return rounded(json.loads(tokenizer_json))


def train_vocab(texts: Iterable[str], vocab_size: int, model: str = "bpe") -> SubwordVocab:
    """Train a vocabulary of at most ``vocab_size`` entries (specials included) on ``texts`` only."""
    if vocab_size <= len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must exceed the {len(SPECIAL_TOKENS)} special tokens, got {vocab_size}")
    texts = [texts] if isinstance(texts, str) else list(texts)
    if not any(t.strip() for t in texts):
        raise ValueError("no training text")
    tok = _empty_tokenizer(model)
    trainer: trainers.Trainer
    if model == "bpe":
        # HF's own limit_alphabet breaks frequency ties in hash order; an explicit alphabet of exactly
        # the limit leaves it nothing to choose.
        alphabet = _alphabet(tok, texts, vocab_size - len(SPECIAL_TOKENS))
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=list(SPECIAL_TOKENS),
            initial_alphabet=alphabet,
            limit_alphabet=len(alphabet),
            show_progress=False,
        )
    else:
        trainer = trainers.UnigramTrainer(
            vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS), unk_token=UNK, show_progress=False
        )
    try:
        tok.train_from_iterator(texts, trainer=trainer)
    except Exception as exc:
        if "not large enough to contain all chars" in str(exc):
            raise ValueError(
                f"vocab_size={vocab_size} is smaller than the number of distinct characters in the "
                "training text; raise it or use model='bpe' (which maps rare characters to <unk>)"
            ) from exc
        raise
    return SubwordVocab(tok)


@dataclass(eq=False)
class TranslationTokenizers:
    """Source and target vocabularies: one shared object (joint) or two separate ones.

    ``vocab_size`` is the size that was asked for; the vocabularies may be smaller.
    """

    source: SubwordVocab
    target: SubwordVocab
    vocab_size: int

    @property
    def joint(self) -> bool:
        return self.source is self.target

    @property
    def model(self) -> str:
        return self.source.model

    @classmethod
    def train(
        cls,
        sources: Sequence[str],
        targets: Sequence[str],
        vocab_size: int,
        joint: bool = True,
        model: str = "bpe",
    ) -> TranslationTokenizers:
        """Train on the training split's sentence pairs (never on val/test text)."""
        if joint:
            shared = train_vocab([*sources, *targets], vocab_size, model)
            return cls(shared, shared, vocab_size)
        return cls(
            train_vocab(sources, vocab_size, model), train_vocab(targets, vocab_size, model), vocab_size
        )

    def _config(self) -> dict:
        return {
            "joint": self.joint,
            "model": self.model,
            "vocab_size": self.vocab_size,
            "source_vocab_size": self.source.vocab_size,
            "target_vocab_size": self.target.vocab_size,
        }

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write the vocabulary file(s) and ``tokenizer_config.json``; returns the paths by role."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        if self.joint:
            paths = {"tokenizer": out / JOINT_FILE}
            self.source.save(paths["tokenizer"])
        else:
            paths = {"source": out / SOURCE_FILE, "target": out / TARGET_FILE}
            self.source.save(paths["source"])
            self.target.save(paths["target"])
        paths["config"] = out / CONFIG_FILE
        paths["config"].write_text(json.dumps(self._config(), indent=2) + "\n", encoding="utf-8")
        return paths

    @classmethod
    def load(cls, directory: str | Path) -> TranslationTokenizers:
        d = Path(directory)
        config = json.loads((d / CONFIG_FILE).read_text(encoding="utf-8"))
        if config["joint"]:
            shared = SubwordVocab.load(d / JOINT_FILE)
            return cls(shared, shared, int(config["vocab_size"]))
        return cls(
            SubwordVocab.load(d / SOURCE_FILE), SubwordVocab.load(d / TARGET_FILE), int(config["vocab_size"])
        )

    def to_dict(self) -> dict:
        """Plain JSON-able dict (strings, ints, bools) for a checkpoint; mirrors the files of :meth:`save`."""
        d = {"joint": self.joint, "model": self.model, "vocab_size": self.vocab_size}
        if self.joint:
            d["tokenizer"] = self.source.to_json()
        else:
            d["source"] = self.source.to_json()
            d["target"] = self.target.to_json()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TranslationTokenizers:
        if d["joint"]:
            shared = SubwordVocab.from_json(d["tokenizer"])
            return cls(shared, shared, int(d["vocab_size"]))
        return cls(
            SubwordVocab.from_json(d["source"]), SubwordVocab.from_json(d["target"]), int(d["vocab_size"])
        )
