"""The synthetic 멀티모달 영상 twin: short acted conversations as ``clip_<N>/clip_<N>.{json,mp4}``.

Each clip shows 2-3 actors side by side, seen from the chest up behind a table with a few things on it
(chairs, a cup, a phone; in some clips a potted plant whose entry has no ``label``, the odd object), and
holds ``turns_per_clip`` speaking turns of 1-2 s with silent gaps, consecutive turns by different
speakers. Every frame is annotated with every actor's and object's box; the speaker carries ``emotion``
(all four modalities) and ``text`` on every frame of its turn; listeners carry an image-only emotion on
some frames (half of them without a value, arousal = valence = 0); silent frames carry boxes only; a few
frames carry ``QA``; some entries ``predicate`` / ``position``.

What the labels are learnable from (``render.py`` draws, ``scripts.py`` writes):

* emotion (the layout's 7, balanced: each clip's turns take distinct ones while it can): the ``multimodal`` and ``sound`` emotion is the turn's true one.
  With probability ``text_signal`` the script holds a phrase of it (``text`` emotion = the true one),
  else a filler (``text`` emotion = neutral); independently, with probability ``image_signal`` the
  speaker's face and motion show it (``image`` emotion = the true one), else another emotion's look
  (``image`` emotion = that one). Text alone reaches about ``text_signal``, the image about
  ``image_signal``, both together more.
* intent (4, about balanced): a question is always answered by the next speaker; otherwise request,
  question and statement are equally likely. With probability ``response_ambiguity`` a response borrows
  a statement template, so only the previous turn tells it apart.
* gender and age (2 x 4, uniform per actor, drawn afresh per clip): hair shape and neckline; hair grey
  level and face lines.

The JSON has the release's quirks: ``nr_frame``, box corners (2 decimals) and ``video_size`` are
strings; frame keys are 0-based mp4 frame indices written in a shuffled order; ``script_start`` /
``script_end`` are ints, 0-based frame indices with the end inclusive. Same arguments, same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from aihub_bench.datasets.multimodal import scripts
from aihub_bench.datasets.multimodal.layout import EMOTIONS, GENDERS
from aihub_bench.datasets.multimodal.render import (
    AGES,
    EXPRESSIONS,
    SKIN_TONES,
    ActorLook,
    Box,
    Thing,
    actor_box,
    background,
    draw_actor,
    draw_thing,
    hair_color,
    head_radius,
    idle_offset,
    motion_offset,
)
from aihub_bench.datasets.spec import writer_arguments

GENERATOR_VERSION = 1  # bump when the output changes, so cached twins are regenerated
MIN_GAP = 2  # frames of silence at least between two turns
LISTENER_RATE = 0.3  # listener frames inside a turn that carry an image emotion
LISTENER_NO_VALUE = 0.5  # of those, the share without an emotion value (arousal = valence = 0)
NOISE_FRAMES = 4  # a per-clip bank of noise frames, cycled
NOISE_SIGMA = 2.5
#: (arousal, valence) of each emotion; a turn's values vary by one around them.
AROUSAL_VALENCE: dict[str, tuple[int, int]] = {
    "neutral": (3, 5), "happy": (7, 8), "surprise": (8, 6), "angry": (8, 2),
    "sad": (3, 2), "disgust": (5, 2), "fear": (7, 2),
}  # fmt: skip
INTENT_OPENERS = ("request", "question", "statement")  # a turn not answering a question: one of these


# ---------------------------------------------------------------------------------------- options


@dataclass(frozen=True)
class _Options:
    clips: int
    seconds: float
    fps: int
    size: tuple[int, int]  # (height, width)
    actors: tuple[int, int]
    turns: tuple[int, int]
    text_signal: float
    image_signal: float
    response_ambiguity: float
    seed: int

    @property
    def frames(self) -> int:
        return round(self.seconds * self.fps)


def _int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)


def _fraction(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def _range(name: str, value: Any, low: int, high: int) -> tuple[int, int]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(f"{name} must be [min, max], got {value!r}")
    a, b = (_int(name, v, low, high) for v in value)
    if a > b:
        raise ValueError(f"{name} must be [min, max] with min <= max, got {list(value)}")
    return a, b


def _options(
    clips: int,
    seconds: float,
    fps: int,
    frame_size: Sequence[int],
    actors: Sequence[int],
    turns_per_clip: Sequence[int],
    text_signal: float,
    image_signal: float,
    response_ambiguity: float,
    seed: int,
) -> _Options:
    """Validate the writer's arguments."""
    if isinstance(frame_size, str) or not isinstance(frame_size, Sequence) or len(frame_size) != 2:
        raise ValueError(f"frame_size must be [height, width], got {frame_size!r}")
    height, width = (_int("frame_size", v, 48, 2160) for v in frame_size)
    if height % 2 or width % 2:
        raise ValueError(f"frame_size must be even for mp4 videos, got {list(frame_size)}")
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not 1.0 <= float(seconds) <= 600.0
    ):
        raise ValueError(f"seconds must be a number in [1, 600], got {seconds!r}")
    o = _Options(
        clips=_int("clips", clips, 1, 100_000),
        seconds=float(seconds),
        fps=_int("fps", fps, 2, 60),
        size=(height, width),
        actors=_range("actors", actors, 2, 4),
        turns=_range("turns_per_clip", turns_per_clip, 1, 99),
        text_signal=_fraction("text_signal", text_signal),
        image_signal=_fraction("image_signal", image_signal),
        response_ambiguity=_fraction("response_ambiguity", response_ambiguity),
        seed=_int("seed", seed, 0, 2**31 - 1),
    )
    needed = o.turns[1] * o.fps + (o.turns[1] - 1) * MIN_GAP + 2
    if o.frames < needed:
        raise ValueError(
            f"{o.turns[1]} turns of at least 1 s with gaps need {needed} frames, but seconds x fps is {o.frames}"
        )
    if width < o.actors[1] * 4.6 * head_radius(height):
        raise ValueError(f"frame_size {[height, width]} is too narrow for {o.actors[1]} actors side by side")
    return o


# ---------------------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class _Turn:
    speaker: int  # index into the clip's actors
    start: int  # first frame
    end: int  # last frame (inclusive, as the JSON writes it)
    intent: str
    strategy: str
    script: str
    emotions: dict[str, tuple[str, int, int]]  # modality -> (emotion, arousal, valence)

    @property
    def shown(self) -> str:
        """The emotion the speaker's face shows."""
        return self.emotions["image"][0]


@dataclass(frozen=True)
class _Clip:
    number: int  # N of clip_N
    looks: tuple[ActorLook, ...]
    phases: tuple[float, ...]  # listeners' sway
    things: tuple[Thing, ...]  # ids follow the actors'
    seats: dict[int, int]  # actor -> index of its chair in things
    turns: tuple[_Turn, ...]
    situation: str
    category: str

    def turn_at(self, frame: int) -> _Turn | None:
        return next((t for t in self.turns if t.start <= frame <= t.end), None)


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def _turn_spans(rng: np.random.Generator, n: int, frames: int, fps: int) -> list[tuple[int, int]]:
    """``n`` turns of 1-2 s (shortened to fit, never below 1 s) with silent gaps, as (first, last) frames."""
    lengths = rng.integers(fps, 2 * fps + 1, n)
    budget = frames - 2 - (n - 1) * MIN_GAP  # a silent frame at least before the first and after the last
    while lengths.sum() > budget:
        lengths[int(np.argmax(lengths))] -= 1
    extra = rng.multinomial(budget - int(lengths.sum()), np.full(n + 1, 1 / (n + 1)))
    spans, start = [], 1 + int(extra[0])
    for i, length in enumerate(lengths):
        spans.append((start, start + int(length) - 1))
        start += int(length) + MIN_GAP + int(extra[i + 1])
    return spans


def _emotion_values(rng: np.random.Generator, emotion: str) -> tuple[str, int, int]:
    arousal, valence = AROUSAL_VALENCE[emotion]
    jitter = rng.integers(-1, 2, 2)
    return emotion, int(np.clip(arousal + jitter[0], 1, 9)), int(np.clip(valence + jitter[1], 1, 9))


def _plan_turns(o: _Options, rng: np.random.Generator, actors: int) -> tuple[_Turn, ...]:
    n = int(rng.integers(o.turns[0], o.turns[1] + 1))
    # the true emotions: a shuffle of all seven (again for an eighth turn), so the classes stay balanced
    truths = [EMOTIONS[int(e)] for _ in range(-(-n // len(EMOTIONS))) for e in rng.permutation(len(EMOTIONS))]
    turns: list[_Turn] = []
    speaker = int(rng.integers(actors))
    for i, (start, end) in enumerate(_turn_spans(rng, n, o.frames, o.fps)):
        if i:  # never the same speaker twice in a row
            speaker = (speaker + 1 + int(rng.integers(actors - 1))) % actors
        answering = bool(turns) and turns[-1].intent == "question"
        opener = _pick(rng, INTENT_OPENERS)
        intent = "response" if answering else opener
        # the signal knobs only compare draws made either way: twins differing in text_signal or
        # image_signal differ in nothing else
        truth = truths[i]
        other = _pick(rng, [e for e in EMOTIONS if e != truth])
        u_text, u_image, u_ambiguous = rng.random(3)
        shown = truth if u_image < o.image_signal else other
        said = truth if u_text < o.text_signal else None
        template = "statement" if intent == "response" and u_ambiguous < o.response_ambiguity else intent
        script = scripts.compose(scripts.sentence(template, rng), said, rng)
        emotions = {
            "text": _emotion_values(rng, said or "neutral"),
            "sound": _emotion_values(rng, truth),
            "image": _emotion_values(rng, shown),
            "multimodal": _emotion_values(rng, truth),
        }
        turns.append(_Turn(speaker, start, end, intent, _pick(rng, scripts.STRATEGIES), script, emotions))
    return tuple(turns)


def _plan_things(
    rng: np.random.Generator, size: tuple[int, int], looks: Sequence[ActorLook]
) -> tuple[tuple[Thing, ...], dict[int, int]]:
    """A table in front; a chair behind some actors; a cup and a phone on the table in some clips; in
    some clips a plant without a label (the odd object). Boxes inside the frame."""
    height, width = size
    r = head_radius(height)
    top = 0.84 * height

    def colour(low: int, high: int) -> tuple[int, int, int]:
        return tuple(int(c) for c in rng.integers(low, high, 3))  # type: ignore[return-value]

    def clip(box: Box) -> Box:
        return (max(0.0, box[0]), max(0.0, box[1]), min(width - 1.0, box[2]), min(height - 1.0, box[3]))

    things = [Thing("table", clip((0.04 * width, top, 0.96 * width, height - 1.0)), colour(40, 140))]
    seats: dict[int, int] = {}
    chair = colour(30, 110)
    for a, look in enumerate(looks):
        if rng.random() < 0.5:
            seats[a] = len(things)
            y = 0.40 * height + 0.9 * r
            things.append(Thing("chair", clip((look.x - 2.5 * r, y, look.x + 2.5 * r, top)), chair))

    def on_table(w: float, h: float, sink: float) -> Box:
        x = float(rng.uniform(0.08 * width, 0.92 * width - w))
        return clip((x, top + sink - h, x + w, top + sink))

    if rng.random() < 0.6:
        things.append(Thing("cup", on_table(0.6 * r, 0.8 * r, 0.3 * r), colour(150, 250)))
    if rng.random() < 0.6:
        things.append(Thing("phone", on_table(0.9 * r, 0.35 * r, 0.9 * r), (30, 30, 30)))
    if rng.random() < 0.35:
        things.append(Thing("", on_table(1.4 * r, 2.6 * r, 0.3 * r), (50, 150, 60)))
    return tuple(things), seats


def _plan_clip(o: _Options, number: int) -> _Clip:
    rng = np.random.default_rng([o.seed, number, 1])
    height, width = o.size
    n = int(rng.integers(o.actors[0], o.actors[1] + 1))
    looks = []
    for a in range(n):
        gender, age = _pick(rng, GENDERS), _pick(rng, AGES)
        base = _pick(rng, ((30, 30, 35), (25, 45, 75), (20, 35, 55)))
        looks.append(
            ActorLook(
                x=width * (a + 0.5) / n + float(rng.uniform(-0.03, 0.03)) * width,
                gender=gender,
                age=age,
                skin=_pick(rng, SKIN_TONES),
                shirt=tuple(int(c) for c in rng.integers(40, 230, 3)),  # type: ignore[arg-type]
                hair=hair_color(base, age, float(rng.uniform(-0.05, 0.05))),
            )
        )
    things, seats = _plan_things(rng, o.size, looks)
    situation, category = _pick(rng, scripts.SITUATIONS)
    return _Clip(
        number=number,
        looks=tuple(looks),
        phases=tuple(float(p) for p in rng.uniform(0, 2 * np.pi, n)),
        things=things,
        seats=seats,
        turns=_plan_turns(o, rng, n),
        situation=situation,
        category=category,
    )


# ---------------------------------------------------------------------------------------- writing


def _write_video(path: Path, o: _Options, clip: _Clip) -> list[list[Box]]:
    """Render the clip's mp4; return every frame's actor boxes."""
    rng = np.random.default_rng([o.seed, clip.number, 3])
    height, width = o.size
    scene = background(rng, o.size)
    behind = [t for t in clip.things if t.label == "chair"]
    front = [t for t in clip.things if t.label != "chair"]
    for thing in behind:
        draw_thing(scene, thing)
    noise = rng.normal(0.0, NOISE_SIGMA, (NOISE_FRAMES, height, width, 3)).round().astype(np.int16)
    r = head_radius(height)
    boxes: list[list[Box]] = []
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), o.fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write mp4v video {path}")
    try:
        for j in range(o.frames):
            img = scene.copy()
            turn = clip.turn_at(j)
            frame_boxes = []
            for a, look in enumerate(clip.looks):
                if turn is not None and turn.speaker == a:
                    expression = EXPRESSIONS[turn.shown]
                    dx, dy = motion_offset(expression.motion, (j - turn.start) / o.fps, r)
                else:
                    expression = EXPRESSIONS["neutral"]
                    dx, dy = idle_offset(j / o.fps, clip.phases[a], r)
                draw_actor(img, look, expression, dx, dy)
                frame_boxes.append(actor_box(look, dx, dy, o.size))
            for thing in front:
                draw_thing(img, thing)
            boxes.append(frame_boxes)
            writer.write(np.clip(img + noise[j % NOISE_FRAMES], 0, 255).astype(np.uint8))
    finally:
        writer.release()
    return boxes


def _corners(box: Box) -> dict[str, str]:
    return {k: f"{v:.2f}" for k, v in zip(("xtl", "ytl", "xbr", "ybr"), box, strict=True)}


def _emotion_block(values: tuple[str, int, int]) -> dict[str, Any]:
    return {"emotion": values[0], "arousal": values[1], "valence": values[2]}


def _qa(rng: np.random.Generator, clip: _Clip) -> tuple[str, str]:
    kind = int(rng.integers(3))
    if kind == 0:
        return "화면에 사람이 몇 명 있나요?", f"{len(clip.looks)}명"
    if kind == 1:
        on_table = [scripts.OBJECT_NAMES[t.label] for t in clip.things if t.label in ("cup", "phone")]
        return "탁자 위에 무엇이 있나요?", ", ".join(on_table) or "아무것도 없어요"
    return "누가 먼저 말했나요?", f"{clip.turns[0].speaker + 1}번 사람"


def _document(o: _Options, clip: _Clip, boxes: list[list[Box]]) -> dict[str, Any]:
    """The clip's JSON in the release's schema (frame keys shuffled)."""
    rng = np.random.default_rng([o.seed, clip.number, 2])
    height, width = o.size
    n = len(clip.looks)
    ids = [str(a + 1) for a in range(n)]
    thing_ids = [str(n + 1 + k) for k in range(len(clip.things))]
    table_id = thing_ids[0]
    qa_frames = set(rng.choice(o.frames, int(rng.integers(1, 4)), replace=False).tolist())
    data: dict[str, Any] = {}
    for j in (int(f) for f in rng.permutation(o.frames)):
        turn = clip.turn_at(j)
        frame: dict[str, Any] = {}
        for a in range(n):
            entry: dict[str, Any] = {"person_id": ids[a], "label": "person", **_corners(boxes[j][a])}
            if turn is not None and turn.speaker == a:
                entry["emotion"] = {m: _emotion_block(v) for m, v in turn.emotions.items()}
                entry["text"] = {
                    "script": turn.script,
                    "script_start": turn.start,
                    "script_end": turn.end,
                    "intent": turn.intent,
                    "strategy": turn.strategy,
                    "morpheme": scripts.morphemes(turn.script),
                }
            elif turn is not None and rng.random() < LISTENER_RATE:
                if rng.random() < LISTENER_NO_VALUE:
                    entry["emotion"] = {"image": {"arousal": 0, "valence": 0}}
                else:
                    entry["emotion"] = {"image": _emotion_block(_emotion_values(rng, "neutral"))}
            if a in clip.seats and rng.random() < 0.15:
                entry["predicate"] = {thing_ids[clip.seats[a]]: "sit"}
            if rng.random() < 0.1:
                entry["position"] = {ids[(a + 1) % n]: "close"}
            frame[ids[a]] = entry
        for k, thing in enumerate(clip.things):
            entry = {"label": thing.label} if thing.label else {}
            entry.update(_corners(thing.box))
            if k and rng.random() < 0.3:
                entry["position"] = {table_id: "ahead" if thing.label == "chair" else "on"}
            frame[thing_ids[k]] = entry
        if j in qa_frames:
            question, answer = _qa(rng, clip)
            frame["QA"] = {"question": question, "answer": answer}
        data[str(j)] = frame
    return {
        "clip_id": f"clip_{clip.number}",
        "nr_frame": str(o.frames),
        "situation": clip.situation,
        "category": clip.category,
        "video_size": {"width": str(width), "height": str(height)},
        "actor": {ids[a]: {"gender": look.gender, "age": look.age} for a, look in enumerate(clip.looks)},
        "data": data,
    }


def write_synthetic_multimodal(
    out_dir: str | Path,
    *,
    clips: int = 120,
    seconds: float = 12.0,
    fps: int = 10,
    frame_size: Sequence[int] = (180, 320),
    actors: Sequence[int] = (2, 3),
    turns_per_clip: Sequence[int] = (5, 8),
    text_signal: float = 0.8,
    image_signal: float = 0.8,
    response_ambiguity: float = 0.5,
    seed: int = 0,
) -> Path:
    """Write the multimodal twin under ``out_dir`` (``frame_size`` is ``[height, width]``; ``actors`` and
    ``turns_per_clip`` are ``[min, max]`` per clip) and return it. Same arguments, same bytes."""
    o = _options(clips, seconds, fps, frame_size, actors, turns_per_clip, text_signal, image_signal,
                 response_ambiguity, seed)  # fmt: skip
    root = Path(out_dir)
    for number in range(1, o.clips + 1):
        clip = _plan_clip(o, number)
        folder = root / f"clip_{number}"
        folder.mkdir(parents=True, exist_ok=True)
        boxes = _write_video(folder / f"clip_{number}.mp4", o, clip)
        text = json.dumps(_document(o, clip, boxes), ensure_ascii=False)
        (folder / f"clip_{number}.json").write_text(text, encoding="utf-8")
    return root


# ---------------------------------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments, defaults filled in, validated and in canonical form."""
    o = _options(**writer_arguments(write_synthetic_multimodal, kwargs))
    return {
        "clips": o.clips,
        "seconds": o.seconds,
        "fps": o.fps,
        "frame_size": list(o.size),
        "actors": list(o.actors),
        "turns_per_clip": list(o.turns),
        "text_signal": o.text_signal,
        "image_signal": o.image_signal,
        "response_ambiguity": o.response_ambiguity,
        "seed": o.seed,
    }


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth multimodal``: ``samples`` clips (``--classes`` does not apply)."""
    return {"clips": max(1, samples)}


def remove_one_file(root: Path) -> Path:
    """Delete the first clip's mp4 and return its path: the reader names it (``missing_video``)."""
    video = min(Path(root).rglob("*.mp4"))
    video.unlink()
    return video
