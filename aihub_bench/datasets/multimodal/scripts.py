"""Korean scripts of the multimodal twin: per-intent sentence templates, per-emotion phrases, fillers.

A turn's script is one intent sentence (a template with its slots filled) and either an emotion phrase
of the turn's emotion or a neutral filler, in either order. The cues are fixed on purpose:

* intent: questions end in ``-니?`` / ``-까요?`` / ``-요?`` or ask 뭐 / 어디 / 언제; requests say ``-주세요`` /
  ``-줄래?``; responses start with ``네,`` / ``아니요,`` unless they borrow a statement template (then only
  the previous turn, a question, tells them apart);
* emotion: no phrase of one emotion occurs in another's phrases, in a filler or in a template.
"""

from __future__ import annotations

import re

import numpy as np

#: Phrases that carry each emotion (the keys are the layout's EMOTIONS).
EMOTION_PHRASES: dict[str, tuple[str, ...]] = {
    "neutral": ("그냥 그래요", "별일 없어요", "평소랑 같아요", "특별한 건 없어요"),
    "happy": ("정말 기뻐요", "너무 좋아요", "신나요", "행복해요"),
    "surprise": ("깜짝 놀랐어요", "정말 의외예요", "세상에, 말도 안 돼요", "어머나, 진짜예요"),
    "angry": ("너무 화가 나요", "정말 짜증나요", "참을 수가 없어요", "어이가 없네요"),
    "sad": ("너무 슬퍼요", "마음이 아파요", "눈물이 나요", "속상해요"),
    "disgust": ("정말 역겨워요", "보기 싫어요", "너무 더러워요", "질색이에요"),
    "fear": ("너무 무서워요", "겁이 나요", "불안해요", "떨려요"),
}
#: What a script says instead of an emotion phrase (no emotion in the words).
FILLERS: tuple[str, ...] = ("음, 그게요", "아, 저기요", "있잖아요", "그러게요", "아무튼요")

_FUTURE = ("내일", "오늘 저녁에", "주말에", "다음 주에", "이따가")
_PAST = ("어제", "지난주에", "아까", "며칠 전에")
_PLACES = ("학교", "카페", "공원", "도서관", "시장", "회사", "영화관", "병원")
_THINGS = ("책", "우산", "커피", "휴대폰", "열쇠", "사진", "가방", "공책")
_FOODS = ("김밥", "라면", "비빔밥", "떡볶이", "피자", "냉면")
_PEOPLE = ("엄마", "친구", "선생님", "동생", "형", "누나")

#: Per intent, templates with slots: {future} {past} {place} {thing} {food} {person}; ``{thing|을}``
#: attaches the particle that fits the noun's last syllable (을/를, 이/가, 은/는).
TEMPLATES: dict[str, tuple[str, ...]] = {
    "question": (
        "{future} {place}에 같이 갈까요?",
        "{thing|을} 어디에 두었니?",
        "점심으로 뭐 먹을까요?",
        "{person|은} 언제 와요?",
        "{place}에서 뭐 했니?",
        "{food|을} 좋아하니?",
        "{future} 시간 있어요?",
        "{thing|이} 어디 있어요?",
    ),
    "request": (
        "{thing|을} 좀 주세요.",
        "{place}까지 데려다 줄래?",
        "{future} 전화해 주세요.",
        "{food|을} 좀 사다 줄래?",
        "창문 좀 열어 주세요.",
        "{person}한테 말 좀 전해 줄래?",
        "{thing|을} 잠깐 빌려 주세요.",
    ),
    "statement": (
        "{past} {place}에 다녀왔어요.",
        "{past} {food|을} 먹었어요.",
        "{thing|을} 새로 샀어요.",
        "{person|이} {place}에 있어요.",
        "요즘 {place}에 자주 가요.",
        "{past} {person|을} 만났어요.",
        "{food|은} 제가 만들었어요.",
    ),
    "response": (
        "네, 좋아요.",
        "네, 그렇게 해요.",
        "아니요, 괜찮아요.",
        "네, {place}에 있어요.",
        "아니요, 아직 몰라요.",
        "네, {future} 괜찮아요.",
        "아니요, {food|은} 별로예요.",
    ),
}
_SLOTS: dict[str, tuple[str, ...]] = {
    "future": _FUTURE,
    "past": _PAST,
    "place": _PLACES,
    "thing": _THINGS,
    "food": _FOODS,
    "person": _PEOPLE,
}
_PARTICLES = {"을": ("을", "를"), "이": ("이", "가"), "은": ("은", "는")}
_SLOT = re.compile(r"\{(\w+)(?:\|(\w))?\}")
_TOKEN = re.compile(r"[가-힣A-Za-z0-9]+|[^\s가-힣A-Za-z0-9]")
_NOUNS = frozenset(w for words in _SLOTS.values() for w in words)
_ENDINGS = ("요", "니", "까", "래", "다")
STRATEGIES = ("SD", "VSN", "QESD")


def _with_particle(word: str, particle: str) -> str:
    """``word`` and the form of ``particle`` that fits its last syllable (a final consonant or not)."""
    after_consonant, after_vowel = _PARTICLES[particle]
    last = ord(word[-1]) - 0xAC00
    has_final = 0 <= last < 11172 and last % 28 != 0
    return word + (after_consonant if has_final else after_vowel)


def fill(template: str, rng: np.random.Generator) -> str:
    """``template`` with each slot replaced by a random word of its kind (and its particle)."""

    def word(match: re.Match[str]) -> str:
        choices = _SLOTS[match[1]]
        chosen = choices[int(rng.integers(len(choices)))]
        return _with_particle(chosen, match[2]) if match[2] else chosen

    return _SLOT.sub(word, template)


def sentence(intent: str, rng: np.random.Generator) -> str:
    """A sentence of ``intent`` (one of TEMPLATES' keys) with its slots filled."""
    templates = TEMPLATES[intent]
    return fill(templates[int(rng.integers(len(templates)))], rng)


def compose(intent_sentence: str, emotion: str | None, rng: np.random.Generator) -> str:
    """A turn's script: ``intent_sentence`` with a phrase of ``emotion`` (None: a neutral filler),
    the phrase first or last at random."""
    pool = FILLERS if emotion is None else EMOTION_PHRASES[emotion]
    phrase = pool[int(rng.integers(len(pool)))] + "."
    return f"{phrase} {intent_sentence}" if rng.random() < 0.5 else f"{intent_sentence} {phrase}"


def morphemes(script: str) -> list[list[str]]:
    """The script split into ``[token, POS]`` pairs with a fake tag: ``SF`` / ``SP`` punctuation,
    ``NNG`` the template nouns, ``EF`` words ending like a sentence, ``VV`` the rest."""
    out = []
    for token in _TOKEN.findall(script):
        if not token[0].isalnum():
            tag = "SP" if token == "," else "SF"
        elif token in _NOUNS:
            tag = "NNG"
        else:
            tag = "EF" if token.endswith(_ENDINGS) else "VV"
        out.append([token, tag])
    return out


#: ``(situation, category)`` of a clip: what the conversation is about (independent of its labels).
SITUATIONS: tuple[tuple[str, str], ...] = (
    ("카페에서 친구들이 주말 계획을 이야기한다.", "일상"),
    ("회사 회의실에서 동료들이 일정을 정한다.", "업무"),
    ("집 거실에서 가족이 저녁 메뉴를 고른다.", "가족"),
    ("학교 교실에서 학생들이 과제를 의논한다.", "학교"),
    ("식당에서 손님과 직원이 주문을 이야기한다.", "서비스"),
    ("공원 벤치에서 이웃들이 안부를 묻는다.", "일상"),
    ("병원 대기실에서 사람들이 이야기를 나눈다.", "의료"),
    ("도서관에서 친구들이 시험 공부를 한다.", "학교"),
)
#: Korean names of the twin's objects (for the QA answers).
OBJECT_NAMES: dict[str, str] = {"chair": "의자", "table": "탁자", "phone": "휴대폰", "cup": "컵"}
