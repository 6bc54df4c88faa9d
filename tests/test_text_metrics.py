"""Text metrics (aihub_bench.metrics.text): CER and WER against jiwer and torchmetrics, jamo CER against
an independent jamo table and a NumPy edit distance, NFC handling, edge cases, top-k against sklearn."""

from __future__ import annotations

import random
import unicodedata

import jiwer
import numpy as np
import pytest
import torch
from sklearn.metrics import top_k_accuracy_score
from torchmetrics.functional.text import char_error_rate as tm_char_error_rate

from aihub_bench.metrics.text import (
    character_error_rate,
    exact_match,
    jamo_error_rate,
    to_jamo,
    topk_accuracy,
    word_error_rate,
)

SENTENCES = [
    "오늘 서울의 날씨는 맑고 화창합니다",
    "정부는 내년 예산안을 국회에 제출했다",
    "한국어 글자체 이미지 데이터",
    "값싼 닭고기를 샀다",
    "인공지능 학습용 데이터 구축 사업",
    "읽기 쉬운 손글씨",
]
HANGUL = [chr(c) for c in range(0xAC00, 0xD7A4)]


def _corrupt(text: str, rng: random.Random, edits: int) -> str:
    """``text`` with ``edits`` random character substitutions, insertions and deletions."""
    chars = list(text)
    for _ in range(edits):
        op = rng.choice(("sub", "ins", "del"))
        pos = rng.randrange(len(chars) + (op == "ins")) if chars else 0
        if op == "sub" and chars:
            chars[pos] = rng.choice(HANGUL)
        elif op == "ins" or not chars:
            chars.insert(pos, rng.choice([*HANGUL[:50], " "]))
        else:
            del chars[pos]
    return "".join(chars)


def _drop_word(text: str, rng: random.Random) -> str:
    words = text.split()
    del words[rng.randrange(len(words))]
    return " ".join(words)


def _corpus(seed: int) -> tuple[list[str], list[str]]:
    """(predictions, references): exact, corrupted, word dropped, word added, empty, spaced."""
    rng = random.Random(seed)
    refs = [*SENTENCES, *SENTENCES[:3]]
    preds = [
        SENTENCES[0],
        _corrupt(SENTENCES[1], rng, 3),
        _drop_word(SENTENCES[2], rng),
        SENTENCES[3] + " 그리고 더",
        "",
        _corrupt(SENTENCES[5], rng, 6),
        "  " + SENTENCES[0] + " ",  # surrounding whitespace: stripped on both sides, as jiwer does
        SENTENCES[1].replace(" ", "  ", 1),  # a doubled space: one more character, no extra word
        _corrupt(_drop_word(SENTENCES[2], rng), rng, 2),
    ]
    return preds, refs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cer_and_wer_equal_jiwer_on_korean_sentences(seed: int) -> None:
    preds, refs = _corpus(seed)
    assert character_error_rate(preds, refs) == pytest.approx(jiwer.cer(reference=refs, hypothesis=preds))
    assert word_error_rate(preds, refs) == pytest.approx(jiwer.wer(reference=refs, hypothesis=preds))


def test_cer_equals_torchmetrics_without_surrounding_whitespace() -> None:
    preds, refs = _corpus(3)
    preds = [p.strip() for p in preds]
    expected = float(tm_char_error_rate(preds, refs))
    assert character_error_rate(preds, refs) == pytest.approx(expected)


def test_error_rates_are_corpus_level_not_means_of_sample_rates() -> None:
    refs = ["가", "가나다라마바사아자차"]
    preds = ["나", "가나다라마바사아자차"]  # 1 edit in 11 characters; the per-sample mean would be 0.5
    assert character_error_rate(preds, refs) == pytest.approx(1 / 11)
    assert word_error_rate(preds, refs) == pytest.approx(1 / 2)


def test_empty_predictions_are_all_deletions() -> None:
    refs = ["안녕 하세요", "글자"]
    preds = ["", ""]
    assert character_error_rate(preds, refs) == 1.0
    assert word_error_rate(preds, refs) == 1.0
    assert jamo_error_rate(preds, refs) == 1.0
    assert exact_match(preds, refs) == 0.0


def test_an_empty_reference_counts_the_prediction_as_insertions() -> None:
    # 2 inserted characters over 2 reference characters in total
    assert character_error_rate(["가나", "다라"], ["", "다라"]) == pytest.approx(1.0)


def test_nfd_prediction_against_nfc_reference_scores_no_error() -> None:
    refs = [unicodedata.normalize("NFC", s) for s in SENTENCES]
    preds = [unicodedata.normalize("NFD", s) for s in SENTENCES]
    assert preds != refs
    assert character_error_rate(preds, refs) == 0.0
    assert word_error_rate(preds, refs) == 0.0
    assert jamo_error_rate(preds, refs) == 0.0
    assert exact_match(preds, refs) == 1.0


@pytest.mark.parametrize(
    "metric", [character_error_rate, word_error_rate, jamo_error_rate, exact_match], ids=lambda f: f.__name__
)
def test_bad_corpora_raise(metric) -> None:
    with pytest.raises(ValueError, match="no references"):
        metric([], [])
    with pytest.raises(ValueError, match="2 predictions but 1 references"):
        metric(["가", "나"], ["가"])
    with pytest.raises(TypeError, match="not a single string"):
        metric("가나", "가나")


@pytest.mark.parametrize("metric", [character_error_rate, word_error_rate, jamo_error_rate])
def test_references_without_anything_to_score_raise(metric) -> None:
    with pytest.raises(ValueError, match="total reference length 0"):
        metric(["가"], ["  "])


def test_exact_match_counts_equal_normalised_texts() -> None:
    refs = ["한글", "가 나", "다"]
    preds = [unicodedata.normalize("NFD", "한글") + " ", "가나", "라"]
    assert exact_match(preds, refs) == pytest.approx(1 / 3)


# -- jamo ------------------------------------------------------------------------------------------
# Hangul Compatibility Jamo in the order of the Unicode syllable algorithm (L * 588 + V * 28 + T)
INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
FINALS = ["", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"]


def _jamo_by_arithmetic(text: str) -> str:
    out = []
    for char in text:
        index = ord(char) - 0xAC00
        if 0 <= index < 11172:
            out.append(INITIALS[index // 588] + MEDIALS[index % 588 // 28] + FINALS[index % 28])
        else:
            out.append(char)
    return "".join(out)


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance by dynamic programming, one NumPy row per character of ``a``."""
    row = np.arange(len(b) + 1)
    codes = np.array([ord(c) for c in b])
    for i, char in enumerate(a, start=1):
        substitution = row[:-1] + (codes != ord(char))
        new = np.empty_like(row)
        new[0] = i
        for j in range(1, len(b) + 1):
            new[j] = min(row[j] + 1, new[j - 1] + 1, substitution[j - 1])
        row = new
    return int(row[-1])


def test_to_jamo_uses_compatibility_jamo() -> None:
    assert to_jamo("한") == "ㅎㅏㄴ" == "\u314e\u314f\u3134"
    assert to_jamo("값싼 닭") == "ㄱㅏㅄㅆㅏㄴ ㄷㅏㄺ"
    assert to_jamo("가A1, ㅇ") == "ㄱㅏA1, ㅇ"  # other characters, stray compatibility jamo unchanged
    assert to_jamo(unicodedata.normalize("NFD", "한")) == "ㅎㅏㄴ"
    assert to_jamo("\u1112\u11ab") == "ㅎㄴ"  # lone conjoining jamo (no syllable to compose) mapped too


def test_to_jamo_decomposes_every_modern_syllable_as_the_unicode_algorithm() -> None:
    text = "".join(HANGUL)
    assert to_jamo(text) == _jamo_by_arithmetic(text)


def test_jamo_cer_equals_a_numpy_edit_distance() -> None:
    preds, refs = _corpus(4)
    preds = [p.strip() for p in preds]
    jamo_preds = [_jamo_by_arithmetic(p) for p in preds]
    jamo_refs = [_jamo_by_arithmetic(r) for r in refs]
    edits = sum(_edit_distance(p, r) for p, r in zip(jamo_preds, jamo_refs, strict=True))
    expected = edits / sum(len(r) for r in jamo_refs)
    assert jamo_error_rate(preds, refs) == pytest.approx(expected)


def test_one_wrong_jamo_is_one_jamo_edit() -> None:
    assert jamo_error_rate(["간"], ["한"]) == pytest.approx(1 / 3)
    assert character_error_rate(["간"], ["한"]) == 1.0


# -- top-k -----------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")  # k >= K: sklearn warns
@pytest.mark.parametrize("k", [1, 3, 7, 12])
def test_topk_accuracy_equals_sklearn(k: int) -> None:
    rng = np.random.default_rng(k)
    num_classes = 7
    scores = rng.normal(size=(200, num_classes))
    labels = rng.integers(0, num_classes, size=200)
    expected = top_k_accuracy_score(labels, scores, k=min(k, num_classes), labels=np.arange(num_classes))
    assert topk_accuracy(scores, labels, k) == pytest.approx(expected)
    assert topk_accuracy(torch.from_numpy(scores), torch.from_numpy(labels), k) == pytest.approx(expected)


def test_topk_accuracy_caps_k_at_the_number_of_classes() -> None:
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    labels = torch.tensor([0, 0, 0])
    assert topk_accuracy(scores, labels, 1) == pytest.approx(1 / 3)
    assert topk_accuracy(scores, labels, 5) == 1.0


def test_topk_accuracy_rejects_bad_input() -> None:
    scores = torch.zeros(3, 4)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        topk_accuracy(scores, torch.tensor([0, 4, 1]), 1)
    with pytest.raises(ValueError, match=r"labels must be \(3,\)"):
        topk_accuracy(scores, torch.tensor([0, 1]), 1)
    with pytest.raises(ValueError, match="k must be at least 1"):
        topk_accuracy(scores, torch.tensor([0, 1, 2]), 0)
    with pytest.raises(ValueError, match="scores must be"):
        topk_accuracy(torch.zeros(3), torch.tensor([0, 1, 2]), 1)
    with pytest.raises(ValueError, match="no samples"):
        topk_accuracy(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long), 1)
