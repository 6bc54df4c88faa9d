"""Text-recognition metrics: CER, WER (어절), exact match and jamo CER on NFC text; top-k accuracy.

Every error rate is corpus-level: the edits of all samples summed, divided by the summed reference
length (not a mean of per-sample rates), so a long sentence weighs more than a short word. Both
sides are normalised the same way before scoring (:func:`normalize_text`): Unicode NFC, leading and
trailing whitespace stripped (as jiwer does). Edit distances are rapidfuzz's Levenshtein (unit costs
for substitution, insertion and deletion), on characters, on whitespace-separated words or on jamo.

Jamo (:func:`to_jamo`) are Hangul Compatibility Jamo (U+3131–U+318E, e.g. 한 → ㅎㅏㄴ): an initial
and a final consonant share one symbol (the ㄴ of 나 and of 안), as in the stray jamo of some AI Hub
labels (국ㅇㄴ), so those compare with decomposed syllables on equal terms.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from rapidfuzz.distance import Levenshtein

HANGUL_SYLLABLES = range(0xAC00, 0xD7A4)  # 가 … 힣, the 11,172 precomposed modern syllables
_CONJOINING_JAMO = range(0x1100, 0x1200)  # Hangul Jamo block: choseong, jungseong, jongseong
_POSITIONAL_PREFIXES = ("CHOSEONG ", "JUNGSEONG ", "JONGSEONG ")


def _conjoining_to_compatibility() -> dict[int, str]:
    """Conjoining jamo -> the compatibility jamo of the same letter, matched by Unicode name
    (HANGUL JONGSEONG NIEUN -> HANGUL LETTER NIEUN); jamo without a compatibility letter are left out."""
    table = {}
    for code in _CONJOINING_JAMO:
        name = unicodedata.name(chr(code), "")
        letter = name
        for prefix in _POSITIONAL_PREFIXES:
            letter = letter.replace(prefix, "LETTER ")
        if letter != name:
            try:
                table[code] = unicodedata.lookup(letter)
            except KeyError:
                continue
    return table


_TO_COMPATIBILITY = _conjoining_to_compatibility()


def normalize_text(text: str) -> str:
    """The form every metric compares: NFC, without leading or trailing whitespace."""
    return unicodedata.normalize("NFC", text).strip()


def to_jamo(text: str) -> str:
    """``text`` (NFC first) with each precomposed Hangul syllable decomposed into its 2–3 compatibility
    jamo (한 → ㅎㅏㄴ, 값 → ㄱㅏㅄ) and any conjoining jamo mapped to its compatibility letter; other
    characters unchanged."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if ord(char) in HANGUL_SYLLABLES:
            out.append(unicodedata.normalize("NFD", char).translate(_TO_COMPATIBILITY))
        else:
            out.append(char.translate(_TO_COMPATIBILITY))
    return "".join(out)


@dataclass(frozen=True)
class EditCount:
    """Edits turning a prediction into its reference, and the reference's length (in scored units)."""

    edits: int
    length: int

    def __add__(self, other: EditCount) -> EditCount:
        return EditCount(self.edits + other.edits, self.length + other.length)

    @property
    def rate(self) -> float:
        """edits / length; a ValueError when the reference has no unit to score."""
        if self.length == 0:
            raise ValueError("the references hold nothing to score (total reference length 0)")
        return self.edits / self.length


def character_edits(prediction: str, reference: str) -> EditCount:
    """Character edits (spaces count as characters) and the reference's character count."""
    pred, ref = normalize_text(prediction), normalize_text(reference)
    return EditCount(Levenshtein.distance(pred, ref), len(ref))


def word_edits(prediction: str, reference: str) -> EditCount:
    """Word edits and the reference's word count; words are 어절, split on whitespace."""
    pred, ref = normalize_text(prediction).split(), normalize_text(reference).split()
    return EditCount(Levenshtein.distance(pred, ref), len(ref))


def jamo_edits(prediction: str, reference: str) -> EditCount:
    """Edits between the jamo sequences (:func:`to_jamo`) and the reference's jamo count."""
    pred, ref = to_jamo(normalize_text(prediction)), to_jamo(normalize_text(reference))
    return EditCount(Levenshtein.distance(pred, ref), len(ref))


def is_exact_match(prediction: str, reference: str) -> bool:
    """Whether the normalised texts are equal (exactly when the character edits are 0)."""
    return normalize_text(prediction) == normalize_text(reference)


def _check_corpus(preds: Sequence[str], refs: Sequence[str]) -> None:
    for name, seq in (("preds", preds), ("refs", refs)):
        if isinstance(seq, str):
            raise TypeError(f"{name} must be a list of strings, not a single string")
    if len(preds) != len(refs):
        raise ValueError(f"{len(preds)} predictions but {len(refs)} references")
    if not refs:
        raise ValueError("no references to score")


def corpus_edits(
    count: Callable[[str, str], EditCount], preds: Sequence[str], refs: Sequence[str]
) -> EditCount:
    """``count`` summed over the prediction/reference pairs."""
    _check_corpus(preds, refs)
    total = EditCount(0, 0)
    for pred, ref in zip(preds, refs, strict=True):
        total += count(pred, ref)
    return total


def character_error_rate(preds: Sequence[str], refs: Sequence[str]) -> float:
    """Corpus CER: summed character edits / summed reference characters."""
    return corpus_edits(character_edits, preds, refs).rate


def word_error_rate(preds: Sequence[str], refs: Sequence[str]) -> float:
    """Corpus WER over 어절: summed word edits / summed reference words."""
    return corpus_edits(word_edits, preds, refs).rate


def jamo_error_rate(preds: Sequence[str], refs: Sequence[str]) -> float:
    """Corpus jamo CER: summed jamo edits / summed reference jamo."""
    return corpus_edits(jamo_edits, preds, refs).rate


def exact_match(preds: Sequence[str], refs: Sequence[str]) -> float:
    """The share of predictions equal to their reference after normalisation."""
    _check_corpus(preds, refs)
    return sum(is_exact_match(p, r) for p, r in zip(preds, refs, strict=True)) / len(refs)


def topk_indices(scores: torch.Tensor | np.ndarray, k: int) -> torch.Tensor:
    """``(N, min(k, K))`` class indices of each row's highest scores, best first."""
    scores = torch.as_tensor(scores)
    if scores.ndim != 2 or scores.shape[1] == 0:
        raise ValueError(f"scores must be (N, K) with K >= 1, got shape {tuple(scores.shape)}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return scores.float().topk(min(k, scores.shape[1]), dim=1).indices


def topk_accuracy(scores: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray, k: int) -> float:
    """The share of rows whose label is among their ``k`` highest scores (``k`` capped at K)."""
    labels = torch.as_tensor(labels).long()
    top = topk_indices(scores, k)
    if labels.ndim != 1 or labels.shape[0] != top.shape[0]:
        raise ValueError(f"labels must be ({top.shape[0]},), got shape {tuple(labels.shape)}")
    if top.shape[0] == 0:
        raise ValueError("no samples to score")
    num_classes = torch.as_tensor(scores).shape[1]
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must lie in [0, {num_classes}), got {labels.min()}..{labels.max()}")
    return float((top == labels[:, None]).any(dim=1).float().mean())
