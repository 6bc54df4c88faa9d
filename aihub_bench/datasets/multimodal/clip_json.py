"""One multimodal-video clip JSON (shared/FORMATS.md §5) parsed into plain values.

The JSON keeps, per frame and object id, a box, per-modality emotions and, on the speaker of a
speaking turn, the turn's ``text`` dict, which repeats on every annotated frame of the turn. This
module turns that into what the reader needs: the clip's header, each person's boxes (as written; the
reader checks them against the video), listeners' image emotions, the turns deduplicated across frames
with their labels by majority, objects by label, and QA entries. Its quirks are accepted: numbers as
strings or numbers (``"464.50"``, ``464``), frame keys in any order, persons and objects under one id
space. What cannot be understood but is not needed is counted in :attr:`ClipJson.stats`, never fatal:
``odd_frame_keys`` (a ``data`` key that is not a frame number), ``odd_frames`` (a frame that is not an
object), ``odd_objects`` (no label, not an object, or keys this module does not know),
``odd_fields/<field>`` (a known field of the wrong shape), ``unknown_emotion`` / ``unknown_intent`` /
``unknown_gender`` / ``unknown_age`` (a value no alias maps; the label is kept as ``""``), and more
(see ``docs/datasets/multimodal.md``). A clip that cannot be read at all — not an object, without
``data`` / ``nr_frame`` / ``video_size``, or with a number that does not parse — is a
:class:`~aihub_bench.errors.BadInputError` of kind ``not_a_clip`` naming the frame, object and field.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aihub_bench.datasets.multimodal.layout import (
    MODALITIES,
    canonical_age,
    canonical_emotion,
    canonical_gender,
    canonical_intent,
)
from aihub_bench.errors import BadInputError
from aihub_bench.formats.safe_json import load_json

NOT_A_CLIP = "not_a_clip"
QA_KEY = "QA"
BOX_KEYS = ("xtl", "ytl", "xbr", "ybr")
#: The keys an object of a frame may carry; any other makes it an odd object (still read).
OBJECT_KEYS = frozenset({"person_id", "label", *BOX_KEYS, "emotion", "text", "predicate", "position"})

#: A box as written: ``(frame, x1, y1, x2, y2)``, the frame the mp4 index (``frame_base`` applied).
RawBox = tuple[int, float, float, float, float]


@dataclass(frozen=True)
class ClipTurn:
    """One speaking turn, deduplicated over the frames that carry its ``text`` dict.

    ``start`` / ``end`` are ``script_start`` / ``script_end`` as written (frames or seconds; the reader
    converts them). Labels are canonical, each the majority over the turn's frames (``""`` when absent
    or unknown). ``frames`` are the annotated frames that carry the turn, sorted.
    """

    speaker: str
    script: str
    start: float
    end: float
    intent: str
    strategy: str
    emotions: dict[str, str]
    morphemes: tuple[tuple[str, str], ...]
    frames: tuple[int, ...]


@dataclass
class ClipJson:
    """What one clip JSON says. ``persons`` sorted by id; ``boxes`` / ``image_emotions`` per person,
    sorted by frame; ``turns`` in first-frame order; ``objects`` counts distinct object ids per label."""

    path: Path
    clip_id: str
    num_frames: int
    width: int
    height: int
    situation: str
    category: str
    actors: dict[str, tuple[str, str]]
    persons: tuple[str, ...]
    boxes: dict[str, list[RawBox]]
    image_emotions: dict[str, list[tuple[int, str]]]
    turns: list[ClipTurn]
    objects: dict[str, int]
    qa: list[tuple[int, str, str]]
    frames: tuple[int, ...]
    stats: Counter[str] = field(default_factory=Counter)


# One annotated frame's speaker entry: the turn key, its labels (None = a value no alias maps) and morphemes.
_TurnKey = tuple[str, float, float, str]


@dataclass
class _TurnFrames:
    frames: list[int] = field(default_factory=list)
    intents: list[str | None] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    emotions: dict[str, list[str | None]] = field(default_factory=lambda: defaultdict(list))
    morphemes: tuple[tuple[str, str], ...] = ()


def read_clip_json(
    path: str | Path,
    *,
    frame_base: int = 0,
    emotion_aliases: Mapping[str, str] | None = None,
    intent_aliases: Mapping[str, str] | None = None,
) -> ClipJson:
    """Load (``formats/safe_json``: ``bad_json`` on bad text) and parse one clip JSON."""
    path = Path(path)
    return parse_clip(
        load_json(path, "bad_json"),
        path,
        frame_base=frame_base,
        emotion_aliases=emotion_aliases,
        intent_aliases=intent_aliases,
    )


def parse_clip(
    data: Any,
    path: Path,
    *,
    frame_base: int = 0,
    emotion_aliases: Mapping[str, str] | None = None,
    intent_aliases: Mapping[str, str] | None = None,
) -> ClipJson:
    """Parse a loaded clip JSON. Frame keys are read as ``int(key) - frame_base`` (the mp4 index)."""
    parser = _Parser(path, frame_base, dict(emotion_aliases or {}), dict(intent_aliases or {}))
    return parser.parse(data)


def _is_whole(text: str) -> bool:
    """Whether ``text`` is a non-negative whole number in ASCII digits (``"²"`` is a digit to Python)."""
    return text.isascii() and text.isdigit()


def person_order(person: str) -> tuple[int, int, str]:
    """Sort key of a person or object id: numeric ids by number, then the others by text."""
    return (0, int(person), "") if _is_whole(person) else (1, 0, person)


def _id(value: Any) -> str | None:
    """An object or person id as text (``"01"`` and ``1`` are ``"1"``), or None if it is none."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return str(int(text)) if _is_whole(text) else text or None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _majority(values: list[str | None]) -> tuple[str, bool, bool]:
    """``(label, conflict, unknown)``: the most common non-empty known value (the earliest on a tie),
    whether known values disagree, and whether an unknown value (None) was seen."""
    counts = Counter(v for v in values if v)
    label = counts.most_common(1)[0][0] if counts else ""
    return label, len(counts) > 1, None in values


class _Parser:
    def __init__(
        self, path: Path, frame_base: int, emotion_aliases: dict[str, str], intent_aliases: dict[str, str]
    ) -> None:
        self.path = path
        self.frame_base = frame_base
        self.emotion_aliases = emotion_aliases
        self.intent_aliases = intent_aliases
        self.stats: Counter[str] = Counter()

    def bad(self, reason: str) -> BadInputError:
        return BadInputError(self.path, reason, NOT_A_CLIP)

    # ------------------------------------------------------------------------------------ numbers

    def number(self, value: Any, where: str) -> float:
        """A number written as a number or as text (``"464.50"``); anything else is ``not_a_clip``."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                return number
        raise self.bad(f"{where}: {value!r} is not a number")

    def count(self, value: Any, where: str) -> int:
        """A positive whole number (``"1211"``, ``1211``, ``1211.0``)."""
        number = self.number(value, where)
        if number < 1 or number != int(number):
            raise self.bad(f"{where}: {value!r} is not a positive whole number")
        return int(number)

    # ------------------------------------------------------------------------------------ the clip

    def parse(self, data: Any) -> ClipJson:
        if not isinstance(data, dict):
            raise self.bad(f"the top level is a {type(data).__name__}, expected a clip object")
        frames = data.get("data")
        if not isinstance(frames, dict):
            raise self.bad("no 'data' object (frame -> objects)")
        if "nr_frame" not in data:
            raise self.bad("no 'nr_frame'")
        num_frames = self.count(data["nr_frame"], "nr_frame")
        size = data.get("video_size")
        if not isinstance(size, dict):
            raise self.bad("no 'video_size' object")
        width = self.count(size.get("width"), "video_size.width")
        height = self.count(size.get("height"), "video_size.height")
        clip = _Frames(self)
        for key, frame in sorted(self.frame_items(frames), key=lambda item: item[0]):
            clip.add(key, frame)
        return ClipJson(
            path=self.path,
            clip_id=_id(data.get("clip_id")) or "",
            num_frames=num_frames,
            width=width,
            height=height,
            situation=self.plain_text(data, "situation"),
            category=self.plain_text(data, "category"),
            actors=self.actors(data.get("actor")),
            persons=tuple(sorted(clip.persons, key=person_order)),
            boxes={p: sorted(b) for p, b in clip.boxes.items()},
            image_emotions={p: sorted(e) for p, e in clip.image_emotions.items()},
            turns=[self.turn(key, found) for key, found in clip.turns.items()],
            objects=dict(sorted(Counter(label for _, label in clip.objects).items())),
            qa=clip.qa,
            frames=tuple(sorted({index for index, _ in clip.seen_frames})),
            stats=self.stats,
        )

    def frame_items(self, frames: dict[str, Any]) -> list[tuple[tuple[int, str], dict[str, Any]]]:
        """``((mp4 frame index, key as written), frame)`` for every frame key that is a number."""
        items = []
        for key, frame in frames.items():
            text = key.strip()
            if not _is_whole(text):
                self.stats["odd_frame_keys"] += 1
            elif not isinstance(frame, dict):
                self.stats["odd_frames"] += 1
            else:
                items.append(((int(text) - self.frame_base, key), frame))
        return items

    def plain_text(self, data: dict[str, Any], key: str) -> str:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            self.stats[f"odd_fields/{key}"] += 1
        return _text(value)

    def actors(self, value: Any) -> dict[str, tuple[str, str]]:
        """``actor id -> (gender, age)``, canonical (``""`` where absent or unknown, counted)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.stats["odd_fields/actor"] += 1
            return {}
        actors = {}
        for key, entry in value.items():
            actor = _id(key)
            if actor is None or not isinstance(entry, dict):
                self.stats["odd_fields/actor"] += 1
                continue
            gender, age = canonical_gender(entry.get("gender")), canonical_age(entry.get("age"))
            for name, raw, found in (("gender", entry.get("gender"), gender), ("age", entry.get("age"), age)):
                if found is None and raw not in (None, ""):
                    self.stats[f"unknown_{name}"] += 1
            actors[actor] = (gender or "", age or "")
        return actors

    # ------------------------------------------------------------------------------------ one object

    def box(self, entry: dict[str, Any], where: str) -> tuple[float, float, float, float] | None:
        """The corners as written, or None when the entry has none; some but not all is ``not_a_clip``."""
        given = [k for k in BOX_KEYS if entry.get(k) is not None]
        if not given:
            return None
        if len(given) < len(BOX_KEYS):
            missing = ", ".join(k for k in BOX_KEYS if k not in given)
            raise self.bad(f"{where}: the box has no {missing}")
        x1, y1, x2, y2 = (self.number(entry[k], f"{where}, {k}") for k in BOX_KEYS)
        return x1, y1, x2, y2

    def emotions(self, value: Any) -> dict[str, str | None]:
        """``modality -> canonical emotion`` (None when the value is one no alias maps); a block without
        an ``emotion`` value, or with an empty one, carries no label and is left out."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.stats["odd_fields/emotion"] += 1
            return {}
        found: dict[str, str | None] = {}
        for modality, block in value.items():
            if modality not in MODALITIES or not isinstance(block, dict):
                self.stats["odd_fields/emotion"] += 1
                continue
            raw = block.get("emotion")
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                self.stats["emotions_without_value"] += 1
                continue
            found[modality] = canonical_emotion(raw, self.emotion_aliases)
        return found

    def morphemes(self, value: Any) -> tuple[tuple[str, str], ...]:
        """``[[token, POS], ...]``; pairs of another shape are counted (``odd_fields/morpheme``) and left out."""
        if value is None:
            return ()
        pairs = value if isinstance(value, list) else [value]
        kept = tuple(
            (p[0], p[1])
            for p in pairs
            if isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
        )
        if len(kept) < len(pairs):
            self.stats["odd_fields/morpheme"] += len(pairs) - len(kept)
        return kept

    # ------------------------------------------------------------------------------------ one turn

    def turn(self, key: _TurnKey, found: _TurnFrames) -> ClipTurn:
        speaker, start, end, script = key
        intent, conflict, unknown = _majority(found.intents)
        conflicts = int(conflict)
        if unknown and not intent:
            self.stats["unknown_intent"] += 1
        emotions = {}
        for modality in MODALITIES:
            if modality not in found.emotions:
                continue
            label, conflict, unknown = _majority(found.emotions[modality])
            conflicts += int(conflict)
            if unknown and not label:
                self.stats["unknown_emotion"] += 1
            emotions[modality] = label
        strategy, conflict, _ = _majority(list(found.strategies))
        self.stats["turn_label_conflicts"] += conflicts + int(conflict)
        if not script:
            self.stats["turns_without_script"] += 1
        return ClipTurn(
            speaker=speaker,
            script=script,
            start=start,
            end=end,
            intent=intent,
            strategy=strategy,
            emotions=emotions,
            morphemes=found.morphemes,
            frames=tuple(found.frames),
        )


class _Frames:
    """The frames of one clip, added in frame order; collects persons, boxes, turns, objects, QA."""

    def __init__(self, parser: _Parser) -> None:
        self.p = parser
        self.persons: set[str] = set()
        self.boxes: dict[str, list[RawBox]] = defaultdict(list)
        self.image_emotions: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.turns: dict[_TurnKey, _TurnFrames] = {}
        self.objects: set[tuple[str, str]] = set()
        self.qa: list[tuple[int, str, str]] = []
        self.seen_frames: set[tuple[int, str]] = set()

    def add(self, frame_key: tuple[int, str], frame: dict[str, Any]) -> None:
        index, written = frame_key
        self.seen_frames.add(frame_key)
        speaking = False
        for key, entry in frame.items():
            if key.strip().upper() == QA_KEY:
                self.add_qa(index, entry)
            elif not isinstance(entry, dict):
                self.p.stats["odd_objects"] += 1
            else:
                speaking |= self.add_object(index, f"frame {written!r}, object {key!r}", key, entry)
        if not speaking:
            self.p.stats["silent_frames"] += 1

    def add_object(self, index: int, where: str, key: str, entry: dict[str, Any]) -> bool:
        """Read one object of a frame; True when it is a person speaking (carrying ``text``)."""
        label = _text(entry.get("label"))
        odd = bool(set(entry) - OBJECT_KEYS)
        is_person = label.lower() == "person" or "person_id" in entry
        if not is_person:
            if label:
                self.objects.add((_id(key) or key, label))
            self.p.stats["odd_objects"] += int(odd or not label)
            return False
        person = _id(entry.get("person_id")) or _id(key)
        if person is None:
            self.p.stats["odd_objects"] += 1
            return False
        self.p.stats["odd_objects"] += int(odd)
        self.persons.add(person)
        box = self.p.box(entry, where)
        if box is None:
            self.p.stats["person_entries_without_box"] += 1
        elif any(b[0] == index for b in self.boxes[person][-1:]):
            self.p.stats["duplicate_boxes"] += 1
        else:
            self.boxes[person].append((index, *box))
        emotions = self.p.emotions(entry.get("emotion"))
        text = entry.get("text")
        if text is not None and not isinstance(text, dict):
            self.p.stats["odd_fields/text"] += 1
        if not isinstance(text, dict):
            self.add_listener(person, index, emotions)
            return False
        self.add_turn(person, index, where, text, emotions)
        return True

    def add_listener(self, person: str, index: int, emotions: dict[str, str | None]) -> None:
        if "image" not in emotions:
            return
        emotion = emotions["image"]
        if emotion is None:
            self.p.stats["unknown_emotion"] += 1
        else:
            self.image_emotions[person].append((index, emotion))
            self.p.stats["listener_emotions"] += 1

    def add_turn(
        self, person: str, index: int, where: str, text: dict[str, Any], emotions: dict[str, str | None]
    ) -> None:
        for name in ("script_start", "script_end"):
            if text.get(name) is None:
                raise self.p.bad(f"{where}: the text has no {name}")
        start = self.p.number(text["script_start"], f"{where}, text.script_start")
        end = self.p.number(text["script_end"], f"{where}, text.script_end")
        key = (person, start, end, _text(text.get("script")))
        found = self.turns.setdefault(key, _TurnFrames())
        found.frames.append(index)
        raw_intent = text.get("intent")
        has_intent = raw_intent is not None and _text(raw_intent) != ""
        found.intents.append(canonical_intent(raw_intent, self.p.intent_aliases) if has_intent else "")
        found.strategies.append(_text(text.get("strategy")))
        for modality, emotion in emotions.items():
            found.emotions[modality].append(emotion)
        if not found.morphemes:
            found.morphemes = self.p.morphemes(text.get("morpheme"))

    def add_qa(self, index: int, value: Any) -> None:
        """A frame's ``QA`` object ``{question, answer}``, or a list of them."""
        for entry in value if isinstance(value, list) else [value]:
            question = entry.get("question") if isinstance(entry, dict) else None
            answer = entry.get("answer") if isinstance(entry, dict) else None
            if isinstance(question, str) and isinstance(answer, str):
                self.qa.append((index, question.strip(), answer.strip()))
                self.p.stats["qa_entries"] += 1
            else:
                self.p.stats["odd_fields/QA"] += 1
