"""The synthetic multimodal twin: real layout and JSON quirks, determinism, balanced and learnable
labels, the signal knobs, the mp4s, and a read back through ``read_multimodal``."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sklearn.linear_model import RidgeClassifier

from aihub_bench.datasets import multimodal
from aihub_bench.datasets.multimodal import scripts, synth
from aihub_bench.datasets.multimodal.layout import EMOTIONS, GENDERS, INTENTS
from aihub_bench.datasets.multimodal.render import AGES
from aihub_bench.datasets.multimodal.synth import write_synthetic_multimodal
from aihub_bench.errors import ErrorPolicy
from aihub_bench.records import ConversationClip, FrameBox

TINY: dict[str, Any] = {"clips": 6, "seconds": 8.0, "frame_size": [90, 160], "turns_per_clip": [4, 6]}
BALANCE: dict[str, Any] = {**TINY, "clips": 40}
# JSON only matters for the knob tests: the smallest frames the writer takes
KNOBS: dict[str, Any] = {**TINY, "clips": 12, "frame_size": [48, 96]}
CORNER = re.compile(r"^\d+\.\d{2}$")


def _docs(root: Path) -> dict[int, dict[str, Any]]:
    return {
        int(p.stem.split("_")[1]): json.loads(p.read_text(encoding="utf-8")) for p in root.glob("*/*.json")
    }


def _turns(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The clip's turns, ordered by start: the speaker, the ``text`` and ``emotion`` blocks, and every frame
    that carries them."""
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for key, frame in doc["data"].items():
        for entry in frame.values():
            if "text" in entry:
                text = entry["text"]
                turn = found.setdefault(
                    (entry["person_id"], text["script_start"]),
                    {"speaker": entry["person_id"], "text": text, "emotion": entry["emotion"], "frames": []},
                )
                assert (turn["text"], turn["emotion"]) == (text, entry["emotion"])  # the same on every frame
                turn["frames"].append(int(key))
    return sorted(found.values(), key=lambda t: t["text"]["script_start"])


def _all_turns(root: Path) -> Iterator[dict[str, Any]]:
    for doc in _docs(root).values():
        yield from _turns(doc)


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_multimodal(tmp_path_factory.mktemp("tiny"), **TINY)


@pytest.fixture(scope="module")
def balance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_multimodal(tmp_path_factory.mktemp("balance"), **BALANCE)


def test_real_layout_and_schema_quirks(tiny: Path) -> None:
    docs = _docs(tiny)
    assert sorted(docs) == list(range(1, TINY["clips"] + 1))
    for n, doc in docs.items():
        assert (tiny / f"clip_{n}" / f"clip_{n}.mp4").is_file()
        assert doc["clip_id"] == f"clip_{n}" and doc["nr_frame"] == "80"
        assert doc["video_size"] == {"width": "160", "height": "90"}
        assert doc["situation"] and doc["category"]
        keys = list(doc["data"])
        assert sorted(keys, key=int) == [str(f) for f in range(80)]  # every frame, 0-based
        assert keys != sorted(keys, key=int)  # written out of order
        assert all(a["gender"] in GENDERS and a["age"] in AGES for a in doc["actor"].values())
        for frame in doc["data"].values():
            persons = [e for k, e in frame.items() if k != "QA" and e.get("label") == "person"]
            assert sorted(e["person_id"] for e in persons) == sorted(doc["actor"])
            for entry in (e for k, e in frame.items() if k != "QA"):
                assert all(CORNER.match(entry[c]) for c in ("xtl", "ytl", "xbr", "ybr")), entry
    frames = [f for doc in docs.values() for f in doc["data"].values()]
    entries = [e for f in frames for k, e in f.items() if k != "QA"]
    assert sum("QA" in f for f in frames) >= TINY["clips"]
    assert all(set(f["QA"]) == {"question", "answer"} for f in frames if "QA" in f)
    silent = [f for f in frames if not any("emotion" in e or "text" in e for k, e in f.items() if k != "QA")]
    assert len(silent) >= TINY["clips"]
    listeners = [e["emotion"] for e in entries if "emotion" in e and "text" not in e]
    assert listeners and all(set(e) == {"image"} for e in listeners)
    without_value = [e["image"] for e in listeners if "emotion" not in e["image"]]
    assert 0.3 < len(without_value) / len(listeners) < 0.7
    assert all(v == {"arousal": 0, "valence": 0} for v in without_value)
    assert any("label" not in e and "person_id" not in e for e in entries)  # the odd object
    assert {e["label"] for e in entries if "label" in e} >= {"person", "table", "chair"}
    assert any("predicate" in e for e in entries) and any("position" in e for e in entries)


def test_turns_follow_the_release_schema(tiny: Path) -> None:
    for doc in _docs(tiny).values():
        turns = _turns(doc)
        assert TINY["turns_per_clip"][0] <= len(turns) <= TINY["turns_per_clip"][1]
        for turn in turns:
            text = turn["text"]
            start, end = text["script_start"], text["script_end"]
            assert isinstance(start, int) and isinstance(end, int)
            assert sorted(turn["frames"]) == list(range(start, end + 1))  # the end is inclusive
            assert 10 <= end - start + 1 <= 20  # 1-2 s at 10 fps
            assert set(turn["emotion"]) == {"text", "sound", "image", "multimodal"}
            assert all(
                isinstance(v["arousal"], int) and isinstance(v["valence"], int)
                for v in turn["emotion"].values()
            )
            assert text["intent"] in INTENTS and text["strategy"] in scripts.STRATEGIES
            tokens = "".join(token for token, _pos in text["morpheme"])
            assert tokens == re.sub(r"\s", "", text["script"])
        for before, after in zip(turns, turns[1:], strict=False):
            assert before["speaker"] != after["speaker"]
            assert after["text"]["script_start"] > before["text"]["script_end"] + 1  # a silent gap


def test_same_arguments_same_bytes_another_seed_differs(tiny: Path, tmp_path: Path) -> None:
    again = write_synthetic_multimodal(tmp_path / "again", **TINY)
    assert _digest(again) == _digest(tiny)
    other = write_synthetic_multimodal(tmp_path / "other", **TINY, seed=1)
    for name in ("clip_1/clip_1.json", "clip_1/clip_1.mp4"):
        assert (other / name).read_bytes() != (tiny / name).read_bytes()


def test_labels_are_roughly_balanced(balance: Path) -> None:
    turns = list(_all_turns(balance))
    emotions = Counter(t["emotion"]["multimodal"]["emotion"] for t in turns)
    intents = Counter(t["text"]["intent"] for t in turns)
    actors = [a for doc in _docs(balance).values() for a in doc["actor"].values()]
    for counts, labels, low in (
        (emotions, EMOTIONS, 0.8),
        (intents, INTENTS, 0.6),
        (Counter(a["gender"] for a in actors), GENDERS, 0.75),
        (Counter(a["age"] for a in actors), AGES, 0.6),
    ):
        assert set(counts) == set(labels)
        mean = sum(counts.values()) / len(labels)
        assert all(low * mean <= n <= (2 - low) * mean for n in counts.values()), counts


def test_the_lexicon_is_unambiguous() -> None:
    """A phrase of one emotion never occurs in another's, in a filler or in a template."""
    phrases = [(e, p) for e, ps in scripts.EMOTION_PHRASES.items() for p in ps]
    assert set(scripts.EMOTION_PHRASES) == set(EMOTIONS)
    others = [*scripts.FILLERS, *(t for ts in scripts.TEMPLATES.values() for t in ts)]
    for emotion, phrase in phrases:
        assert not any(phrase in p for e, p in phrases if e != emotion), phrase
        assert not any(phrase in text for text in others), phrase


@pytest.mark.parametrize("text_signal", [1.0, 0.0])
def test_text_signal_puts_the_emotion_in_the_script(text_signal: float, tmp_path: Path) -> None:
    root = write_synthetic_multimodal(tmp_path, **KNOBS, text_signal=text_signal)
    phrases = {e: scripts.EMOTION_PHRASES[e] for e in EMOTIONS}
    for turn in _all_turns(root):
        script, truth = turn["text"]["script"], turn["emotion"]["multimodal"]["emotion"]
        said = {e for e, ps in phrases.items() if any(p in script for p in ps)}
        if text_signal == 1.0:
            assert said == {truth} and turn["emotion"]["text"]["emotion"] == truth, script
        else:
            assert not said and turn["emotion"]["text"]["emotion"] == "neutral", script


@pytest.mark.parametrize("image_signal", [1.0, 0.0])
def test_image_signal_sets_the_shown_emotion(image_signal: float, tmp_path: Path) -> None:
    root = write_synthetic_multimodal(tmp_path, **KNOBS, image_signal=image_signal)
    for turn in _all_turns(root):
        shown, truth = turn["emotion"]["image"]["emotion"], turn["emotion"]["multimodal"]["emotion"]
        assert (shown == truth) == (image_signal == 1.0)
        assert turn["emotion"]["sound"]["emotion"] == truth


@pytest.mark.parametrize("ambiguity", [0.0, 1.0])
def test_responses_follow_questions_and_ambiguity_hides_them(ambiguity: float, tmp_path: Path) -> None:
    root = write_synthetic_multimodal(tmp_path, **KNOBS, response_ambiguity=ambiguity)
    responses = 0
    for doc in _docs(root).values():
        turns = _turns(doc)
        for i, turn in enumerate(turns):
            intent, script = turn["text"]["intent"], turn["text"]["script"]
            answers = i > 0 and turns[i - 1]["text"]["intent"] == "question"
            assert (intent == "response") == answers, [t["text"]["intent"] for t in turns]
            if intent == "question":
                assert "?" in script
            elif intent == "request":
                assert "주세요" in script or "줄래?" in script
            elif intent == "response":
                responses += 1
                marked = "네," in script or "아니요," in script
                assert marked == (ambiguity == 0.0), script
    assert responses >= KNOBS["clips"]


def test_mp4s_hold_nr_frame_frames_of_frame_size(tiny: Path) -> None:
    for n, doc in _docs(tiny).items():
        capture = cv2.VideoCapture(str(tiny / f"clip_{n}" / f"clip_{n}.mp4"))
        assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(10.0)
        shapes = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            shapes.append(frame.shape)
        capture.release()
        assert len(shapes) == int(doc["nr_frame"]) and set(shapes) == {(90, 160, 3)}


def test_reads_back_through_the_reader(tiny: Path) -> None:
    policy = ErrorPolicy("raise")
    clips = multimodal.read_multimodal(tiny, policy)
    docs = _docs(tiny)
    assert [c.key for c in clips] == sorted(f"clip_{n}/clip_{n}" for n in docs)
    assert policy.skipped == 0 and policy.stats["turn_label_conflicts"] == 0
    for key in ("odd_objects", "silent_frames", "qa_entries", "listener_emotions"):
        assert policy.stats[key] > 0, key
    for clip in clips:
        doc = docs[int(clip.clip_id.split("_")[1])]
        assert (clip.num_frames, clip.width, clip.height, clip.fps) == (80, 160, 90, 10.0)
        expected = _turns(doc)
        assert [(t.speaker, t.script, t.start, t.end) for t in clip.turns] == [
            (e["speaker"], e["text"]["script"], e["text"]["script_start"], e["text"]["script_end"] + 1)
            for e in expected
        ]
        assert all(
            t.emotion == e["emotion"]["multimodal"]["emotion"]
            for t, e in zip(clip.turns, expected, strict=True)
        )
        assert all(len(t.boxes) == t.end - t.start for t in clip.turns)
        assert {(p.person, p.gender, p.age) for p in clip.persons} == {
            (k, a["gender"], a["age"]) for k, a in doc["actor"].items()
        }
        assert all(len(p.boxes) == 80 for p in clip.persons)


def _frames(clip: ConversationClip) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(clip.video_path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def _crop(frames: list[np.ndarray], box: FrameBox) -> np.ndarray:
    frame, x1, y1, x2, y2 = box
    patch = frames[frame][int(y1) : int(np.ceil(y2)), int(x1) : int(np.ceil(x2))]
    return cv2.resize(patch, (12, 12), interpolation=cv2.INTER_AREA).ravel() / 255.0


def test_crops_carry_the_emotion_shown_gender_and_age(balance: Path) -> None:
    """A linear model on 12 x 12 crops, trained on the odd clips, is far above chance (1/7, 1/2, 1/4) on
    the even ones: the image emotion from the speaker's crops, gender and age from the actors'."""
    rows: dict[str, list[tuple[bool, np.ndarray, str]]] = {"emotion": [], "gender": [], "age": []}
    for clip in multimodal.read_multimodal(balance, ErrorPolicy("raise")):
        frames, held_out = _frames(clip), int(clip.clip_id.split("_")[1]) % 2 == 0
        for turn in clip.turns:
            for box in (turn.boxes[len(turn.boxes) // 3], turn.boxes[2 * len(turn.boxes) // 3]):
                rows["emotion"].append((held_out, _crop(frames, box), turn.emotions["image"]))
        for person in clip.persons:
            for box in person.boxes[::30]:
                rows["gender"].append((held_out, _crop(frames, box), person.gender))
                rows["age"].append((held_out, _crop(frames, box), person.age))
    for target, wanted in (("emotion", 0.75), ("gender", 0.9), ("age", 0.5)):
        train = [r for r in rows[target] if not r[0]]
        test = [r for r in rows[target] if r[0]]
        model = RidgeClassifier(alpha=1.0).fit(np.stack([r[1] for r in train]), [r[2] for r in train])
        accuracy = model.score(np.stack([r[1] for r in test]), [r[2] for r in test])
        assert accuracy >= wanted, (target, accuracy)


def test_spec_sizes_and_hooks(tmp_path: Path) -> None:
    spec = multimodal.SPEC
    assert (spec.name, spec.unit, spec.pattern, spec.cli_classes) == ("multimodal", "clips", "*.mp4", None)
    assert dict(spec.full) == synth.canonical_params({}) == multimodal.FULL_TWIN
    assert spec.smoke_samples == spec.smoke["clips"] == 16
    assert synth.cli_kwargs(3, None) == {"clips": 3}
    root = write_synthetic_multimodal(tmp_path / "twin", **{**TINY, **synth.cli_kwargs(2, None)})
    assert len(list(root.glob("*/*.mp4"))) == 2
    gone = spec.remove_one_file(root) if spec.remove_one_file else None
    assert gone is not None and gone.suffix == ".mp4" and not gone.exists()
    assert gone.with_suffix(".json").is_file()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"frame_size": [91, 160]}, "even"),
        ({"frame_size": [90]}, r"\[height, width\]"),
        ({"turns_per_clip": [4, 9]}, "frames"),
        ({"actors": [1, 2]}, "actors"),
        ({"actors": [3, 2]}, "min <= max"),
        ({"text_signal": 1.5}, "text_signal"),
        ({"frame_size": [90, 100], "actors": [4, 4]}, "too narrow"),
    ],
)
def test_bad_arguments_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synth.canonical_params({**TINY, **change})
