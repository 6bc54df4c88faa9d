"""The multimodal video labels: canonical spellings and display names (datasets/multimodal/layout.py)."""

from __future__ import annotations

import pytest

from aihub_bench.datasets.multimodal.layout import (
    EMOTIONS,
    GENDERS,
    INTENTS,
    KOREAN_NAMES,
    canonical_age,
    canonical_emotion,
    canonical_gender,
    canonical_intent,
    display_name,
)


def test_every_label_has_a_korean_name() -> None:
    assert set(KOREAN_NAMES) == {*EMOTIONS, *INTENTS, *GENDERS}
    assert [KOREAN_NAMES[e] for e in EMOTIONS] == ["중립", "기쁨", "놀람", "분노", "슬픔", "혐오", "공포"]
    assert [KOREAN_NAMES[i] for i in INTENTS] == ["요청", "질문", "진술", "응답"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("happy", "happy"),
        (" Happiness ", "happy"),
        ("ANGER", "angry"),
        ("sadness", "sad"),
        ("Surprised", "surprise"),
        ("dislike", "disgust"),
        ("기쁨", "happy"),
        ("공포", "fear"),
        ("중립", "neutral"),
        ("bored", None),
        ("", None),
        (3, None),
        (None, None),
    ],
)
def test_canonical_emotion(text: object, expected: str | None) -> None:
    assert canonical_emotion(text) == expected


def test_emotion_aliases_extend_the_built_in_spellings() -> None:
    assert canonical_emotion("bored") is None
    assert canonical_emotion("Bored", {"bored": "neutral"}) == "neutral"
    assert canonical_emotion("cheerful", {"cheerful": "기쁨"}) == "happy"  # an alias naming a Korean name
    assert canonical_emotion("bored", {"bored": "sleepy"}) is None  # an alias to no label is no label


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("question", "question"),
        ("Request", "request"),
        ("진술", "statement"),
        ("응답", "response"),
        ("greet", None),
    ],
)
def test_canonical_intent(text: str, expected: str | None) -> None:
    assert canonical_intent(text) == expected


def test_intent_aliases() -> None:
    assert canonical_intent("ask", {"ask": "question"}) == "question"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("male", "male"),
        ("M", "male"),
        ("man", "male"),
        ("남", "male"),
        ("남자", "male"),
        ("남성", "male"),
        ("Female", "female"),
        ("f", "female"),
        ("woman", "female"),
        ("여", "female"),
        ("여자", "female"),
        ("여성", "female"),
        ("x", None),
        (1, None),
    ],
)
def test_canonical_gender(text: object, expected: str | None) -> None:
    assert canonical_gender(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20s", "20s"),
        ("20대", "20s"),
        ("20", "20s"),
        (" 40S ", "40s"),
        ("30's", "30s"),
        (27, "20s"),
        (27.0, "20s"),
        ("61", "60s"),
        ("25s", None),
        ("25대", None),
        ("twenties", None),
        (27.5, None),
        (-3, None),
        (200, None),
        (True, None),
        (None, None),
    ],
)
def test_canonical_age(value: object, expected: str | None) -> None:
    assert canonical_age(value) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("happy", "기쁨 (happy)"),
        ("question", "질문 (question)"),
        ("female", "여성 (female)"),
        ("20s", "20대 (20s)"),
        ("other", "other"),
    ],
)
def test_display_name(label: str, expected: str) -> None:
    assert display_name(label) == expected
