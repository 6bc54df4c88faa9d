"""멀티모달 영상 — where the multimodal video release keeps its files, and what its labels mean.

Real layout (shared/FORMATS.md §5; [C] confirmed, [A] assumed and configurable)::

    <root>/clip_<N>/clip_<N>.json   [C] one JSON per clip
    <root>/clip_<N>/clip_<N>.mp4    [C] beside it, the same stem

The reader pairs a JSON with the mp4 of the same stem in the same folder; folder names are not relied
on. Labels: the release's 7 emotions [A], the 4 utterance intents seen [C], the actors' gender and
age group (decades, ``"20s"``) [C]. Every ``canonical_*`` function forgives case, spaces, ``_`` and
``-`` and understands the Korean names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

#: The release's 7-way emotion set [A] (the class order of the emotion tasks).
EMOTIONS: tuple[str, ...] = ("neutral", "happy", "surprise", "angry", "sad", "disgust", "fear")
#: The utterance intents seen in the release [C] (the class order of the intent tasks).
INTENTS: tuple[str, ...] = ("request", "question", "statement", "response")
GENDERS: tuple[str, ...] = ("male", "female")
#: The modalities an ``emotion`` block may carry, in the release's order.
MODALITIES: tuple[str, ...] = ("text", "sound", "image", "multimodal")

#: Korean names of every label above (ages are written ``20대``: see :func:`display_name`).
KOREAN_NAMES: dict[str, str] = {
    "neutral": "중립",
    "happy": "기쁨",
    "surprise": "놀람",
    "angry": "분노",
    "sad": "슬픔",
    "disgust": "혐오",
    "fear": "공포",
    "request": "요청",
    "question": "질문",
    "statement": "진술",
    "response": "응답",
    "male": "남성",
    "female": "여성",
}

_EMOTION_ALIASES: dict[str, str] = {
    "happiness": "happy",
    "joy": "happy",
    "anger": "angry",
    "sadness": "sad",
    "surprised": "surprise",
    "dislike": "disgust",
    "disgusted": "disgust",
    "fearful": "fear",
    "scared": "fear",
    **{KOREAN_NAMES[e]: e for e in EMOTIONS},
}
_INTENT_ALIASES: dict[str, str] = {KOREAN_NAMES[i]: i for i in INTENTS}
_GENDER_ALIASES: dict[str, str] = {
    "m": "male",
    "man": "male",
    "남": "male",
    "남자": "male",
    "남성": "male",
    "f": "female",
    "woman": "female",
    "여": "female",
    "여자": "female",
    "여성": "female",
}

_SEPARATORS = re.compile(r"[\s_\-]+")
_AGE = re.compile(r"^(?P<number>\d{1,3})(?P<suffix>s|'s|대)?$")
_MAX_AGE = 130


def _normal(text: str) -> str:
    return _SEPARATORS.sub("", text.strip().lower())


def _canonical(
    value: object, labels: tuple[str, ...], builtin: Mapping[str, str], aliases: Mapping[str, str] | None
) -> str | None:
    """``value`` as one of ``labels`` through the built-in and the user's aliases (alias -> label)."""
    if not isinstance(value, str):
        return None
    text = _normal(value)
    if text in labels:
        return text
    table = {**builtin, **{_normal(k): _normal(str(v)) for k, v in (aliases or {}).items()}}
    found = table.get(text)
    if found is not None and found not in labels:  # an alias naming a built-in spelling ("joy": "기쁨")
        found = builtin.get(found)
    return found if found in labels else None


def canonical_emotion(text: object, aliases: Mapping[str, str] | None = None) -> str | None:
    """The canonical emotion of a spelling (``Happiness``, ``기쁨``, ``surprised``), or None if unknown."""
    return _canonical(text, EMOTIONS, _EMOTION_ALIASES, aliases)


def canonical_intent(text: object, aliases: Mapping[str, str] | None = None) -> str | None:
    """The canonical intent of a spelling (``Question``, ``질문``), or None if unknown."""
    return _canonical(text, INTENTS, _INTENT_ALIASES, aliases)


def canonical_gender(text: object) -> str | None:
    """``male`` / ``female`` for m/f/man/woman/남/여/남자/여자/남성/여성 (any case), or None."""
    return _canonical(text, GENDERS, _GENDER_ALIASES, None)


def canonical_age(value: object) -> str | None:
    """The decade group of an age: ``"20s"``, ``"20대"``, ``"20"`` and ``27`` all give ``"20s"``; None
    for anything else (a decade written with a suffix must be one: ``"25s"`` is None)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            return None
        value = int(value)
    if isinstance(value, int):
        years, decade_given = value, False
    elif isinstance(value, str):
        match = _AGE.match(_normal(value))
        if match is None:
            return None
        years, decade_given = int(match["number"]), match["suffix"] is not None
    else:
        return None
    if not 0 <= years < _MAX_AGE or (decade_given and years % 10):
        return None
    return f"{years // 10 * 10}s"


def display_name(label: str) -> str:
    """How a label is shown in figures and tables: ``기쁨 (happy)``, ``20대 (20s)``; else the label."""
    if label in KOREAN_NAMES:
        return f"{KOREAN_NAMES[label]} ({label})"
    match = re.fullmatch(r"(\d+)s", label)
    if match is not None:
        return f"{match[1]}대 ({label})"
    return label
