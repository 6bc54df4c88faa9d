"""The multimodal video reader on small clips written by hand (a JSON and a tiny mp4 each): the JSON's
quirks, turns and their labels, listeners, QA, objects, actors, the [A] options, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from aihub_bench.datasets.multimodal.clip_json import BOX_KEYS
from aihub_bench.datasets.multimodal.layout import MODALITIES
from aihub_bench.datasets.multimodal.reader import read_multimodal
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.records import ConversationClip

WIDTH, HEIGHT, FPS, FRAMES = 64, 36, 10, 12
BOX = (10.0, 5.0, 30.0, 30.0)


def _mp4(path: Path, frames: int = FRAMES) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    for i in range(frames):
        writer.write(np.full((HEIGHT, WIDTH, 3), 20 * i % 256, np.uint8))
    writer.release()
    return path


def _person(person: str, box: tuple[Any, ...] = BOX, **extra: Any) -> dict[str, Any]:
    written = (f"{v:.2f}" if isinstance(v, float) else v for v in box)
    corners = dict(zip(BOX_KEYS, written, strict=True))
    return {"person_id": person, "label": "person", **corners, **extra}


def _emotion(value: str | None, arousal: int = 5) -> dict[str, Any]:
    block: dict[str, Any] = {"arousal": arousal, "valence": arousal}
    if value is not None:
        block["emotion"] = value
    return block


def _speaker(
    person: str,
    script: str,
    start: Any,
    end: Any,
    *,
    intent: str = "question",
    emotions: dict[str, str] | None = None,
    box: tuple[Any, ...] = BOX,
) -> dict[str, Any]:
    """A speaker's entry on one frame of its turn: all four modalities' emotions and the text dict."""
    chosen = emotions or dict.fromkeys(MODALITIES, "happy")
    return _person(
        person,
        box,
        emotion={m: _emotion(e) for m, e in chosen.items()},
        text={
            "script": script,
            "script_start": start,
            "script_end": end,
            "intent": intent,
            "strategy": "SD",
            "morpheme": [["밥", "NNG"], ["먹", "VV"]],
        },
    )


def _document(frames: dict[Any, dict[str, Any]], **top: Any) -> dict[str, Any]:
    return {
        "clip_id": "clip_1",
        "nr_frame": str(FRAMES),
        "situation": "식당에서 주문한다.",
        "category": "서비스",
        "video_size": {"width": str(WIDTH), "height": str(HEIGHT)},
        "actor": {"1": {"gender": "female", "age": "20s"}, "2": {"gender": "male", "age": "40s"}},
        "data": {str(k): v for k, v in frames.items()},
        **top,
    }


def _boxes_only(frames: range = range(FRAMES)) -> dict[int, dict[str, Any]]:
    return {f: {"1": _person("1"), "2": _person("2", (35.0, 5.0, 60.0, 30.0))} for f in frames}


def _turn_clip(start: Any = 2, end: Any = 4, **speaker: Any) -> dict[int, dict[str, Any]]:
    """Boxes on every frame; person 1 speaks on frames ``start..end`` (the text dict on each)."""
    frames = _boxes_only()
    for f in range(int(start), int(end) + 1):
        frames[f]["1"] = _speaker("1", "밥 먹었어요?", start, end, **speaker)
    return frames


def _write(root: Path, doc: dict[str, Any], name: str = "clip_1", video_frames: int = FRAMES) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    _mp4(folder / f"{name}.mp4", video_frames)
    return path


def _read(root: Path, on_error: str = "raise", **options: Any) -> tuple[list[ConversationClip], ErrorPolicy]:
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    return read_multimodal(root, policy, **options), policy


def _one(root: Path, doc: dict[str, Any], **options: Any) -> tuple[ConversationClip, ErrorPolicy]:
    _write(root, doc)
    clips, policy = _read(root, **options)
    assert len(clips) == 1
    return clips[0], policy


# ---------------------------------------------------------------------------------------- the JSON's quirks


def test_a_clip_reads_with_its_video_header(tmp_path: Path) -> None:
    clip, policy = _one(tmp_path, _document(_turn_clip()))
    assert (clip.key, clip.clip_id, clip.num_frames, clip.fps) == ("clip_1/clip_1", "clip_1", FRAMES, FPS)
    assert (clip.width, clip.height, clip.situation, clip.category) == (
        WIDTH,
        HEIGHT,
        "식당에서 주문한다.",
        "서비스",
    )
    assert [p.person for p in clip.persons] == ["1", "2"]
    (turn,) = clip.turns
    assert (turn.index, turn.speaker, turn.script, turn.start, turn.end) == (0, "1", "밥 먹었어요?", 2, 5)
    assert (turn.intent, turn.strategy, turn.emotion) == ("question", "SD", "happy")
    assert turn.emotions == dict.fromkeys(MODALITIES, "happy")
    assert turn.morphemes == (("밥", "NNG"), ("먹", "VV"))
    assert [b[0] for b in turn.boxes] == [2, 3, 4]
    assert policy.stats["clips"] == 1 and policy.stats["turns"] == 1 and policy.stats["persons"] == 2
    assert policy.stats["turns/intent/question"] == 1 and policy.stats["turns/emotion/happy"] == 1


def test_numbers_may_be_strings_or_numbers(tmp_path: Path) -> None:
    as_text, _ = _one(tmp_path / "a", _document(_turn_clip()))
    frames = _turn_clip(start=2, end=4)
    for f in frames.values():
        f["2"] = _person("2", (35, 5, 60, 30))  # int corners
        f["1"].update(xtl=10, ytl="5", xbr=30.0, ybr="30.00")
    doc = _document(frames, nr_frame=FRAMES, video_size={"width": WIDTH, "height": float(HEIGHT)})
    as_numbers, _ = _one(tmp_path / "b", doc)
    assert as_numbers.num_frames == as_text.num_frames == FRAMES
    assert as_numbers.persons == as_text.persons
    assert as_numbers.turns == as_text.turns


def test_frame_keys_in_any_order_are_sorted_numerically(tmp_path: Path) -> None:
    frames = _turn_clip()
    shuffled = {k: frames[k] for k in (11, 3, 0, 10, 2, 7, 1, 4, 9, 5, 8, 6)}
    clip, _ = _one(tmp_path, _document(shuffled))
    assert [b[0] for b in clip.persons[0].boxes] == list(range(FRAMES))
    assert [b[0] for b in clip.turns[0].boxes] == [2, 3, 4]


def test_odd_frame_keys_and_frames_are_counted(tmp_path: Path) -> None:
    doc = _document(_boxes_only())
    doc["data"]["meta"] = {"note": "x"}
    doc["data"]["5"] = "not a frame"
    clip, policy = _one(tmp_path, doc)
    assert policy.stats["odd_frame_keys"] == 1 and policy.stats["odd_frames"] == 1
    assert 5 not in [b[0] for b in clip.persons[0].boxes]


def test_a_turn_repeated_on_frames_is_one_turn_labelled_by_majority(tmp_path: Path) -> None:
    frames = _boxes_only()
    intents = {2: "question", 3: "request", 4: "질문"}  # the Korean name is the same intent
    emotions = {2: "sad", 3: "sad", 4: "angry"}
    for f in (2, 3, 4):
        chosen = {**dict.fromkeys(MODALITIES, "happy"), "multimodal": emotions[f]}
        frames[f]["1"] = _speaker("1", "왜요?", 2, 4, intent=intents[f], emotions=chosen)
    frames[8]["2"] = _speaker("2", "그냥요.", 8, 9, intent="response")
    frames[9]["2"] = _speaker("2", "그냥요.", 8, 9, intent="response")
    clip, policy = _one(tmp_path, _document(frames))
    assert [(t.speaker, t.start, t.end, t.intent, t.emotion) for t in clip.turns] == [
        ("1", 2, 5, "question", "sad"),
        ("2", 8, 10, "response", "happy"),
    ]
    assert [t.index for t in clip.turns] == [0, 1]
    assert policy.stats["turn_label_conflicts"] == 2  # the intent and the multimodal emotion of turn 0


def test_turns_are_ordered_by_start_then_speaker(tmp_path: Path) -> None:
    frames = _boxes_only()
    frames[6]["2"] = _speaker("2", "둘", 6, 6)
    frames[6]["1"] = _speaker("1", "하나", 6, 6)
    frames[1]["2"] = _speaker("2", "먼저", 1, 1)
    clip, _ = _one(tmp_path, _document(frames))
    assert [(t.index, t.speaker, t.script) for t in clip.turns] == [
        (0, "2", "먼저"),
        (1, "1", "하나"),
        (2, "2", "둘"),
    ]


def test_unknown_labels_are_kept_empty_and_counted(tmp_path: Path) -> None:
    frames = _turn_clip(intent="greeting", emotions=dict.fromkeys(MODALITIES, "bored"))
    clip, policy = _one(tmp_path, _document(frames))
    (turn,) = clip.turns
    assert (turn.intent, turn.emotion, turn.emotions) == ("", "", {})
    assert policy.stats["unknown_intent"] == 1 and policy.stats["unknown_emotion"] == 4
    assert policy.stats["turns/intent/none"] == 1


def test_aliases_map_more_spellings(tmp_path: Path) -> None:
    frames = _turn_clip(intent="ask", emotions=dict.fromkeys(MODALITIES, "joyful"))
    clip, policy = _one(
        tmp_path, _document(frames), emotion_aliases={"joyful": "happy"}, intent_aliases={"ask": "question"}
    )
    assert (clip.turns[0].intent, clip.turns[0].emotion) == ("question", "happy")
    assert policy.stats["unknown_intent"] == 0


def test_listeners_carry_image_emotions_some_without_a_value(tmp_path: Path) -> None:
    frames = _turn_clip()
    frames[2]["2"]["emotion"] = {"image": _emotion("neutral", 3)}
    frames[3]["2"]["emotion"] = {"image": _emotion(None, 0)}  # arousal = valence = 0, no value
    frames[4]["2"]["emotion"] = {"image": {"emotion": "", "arousal": 0, "valence": 0}}
    frames[9]["2"]["emotion"] = {"image": _emotion("Sadness")}
    clip, policy = _one(tmp_path, _document(frames))
    listener = clip.person("2")
    assert listener is not None and listener.image_emotions == ((2, "neutral"), (9, "sad"))
    assert policy.stats["listener_emotions"] == 2 and policy.stats["emotions_without_value"] == 2
    assert clip.turns[0].speaker == "1"  # a listener's emotion makes no turn


def test_silent_frames_are_counted(tmp_path: Path) -> None:
    _, policy = _one(tmp_path, _document(_turn_clip(start=2, end=4)))
    assert policy.stats["silent_frames"] == FRAMES - 3


def test_qa_entries_as_an_object_or_a_list(tmp_path: Path) -> None:
    frames = _boxes_only()
    frames[3]["QA"] = {"question": "몇 명?", "answer": "2명"}
    frames[7]["QA"] = [{"question": "무엇?", "answer": "컵"}, {"question": "어디?"}]
    clip, policy = _one(tmp_path, _document(frames))
    assert clip.qa == ((3, "몇 명?", "2명"), (7, "무엇?", "컵"))
    assert policy.stats["qa_entries"] == 2 and policy.stats["odd_fields/QA"] == 1


def test_objects_are_counted_by_label_and_odd_ones_never_fatal(tmp_path: Path) -> None:
    frames = _boxes_only()
    for f in range(FRAMES):
        frames[f]["4"] = {
            "label": "chair",
            "xtl": "1",
            "ytl": "1",
            "xbr": "5",
            "ybr": "5",
            "position": {"1": "on"},
        }
    frames[0]["5"] = {"label": "chair", "xtl": "6", "ytl": "1", "xbr": "9", "ybr": "5"}
    frames[0]["6"] = {"xtl": "1", "ytl": "1", "xbr": "5", "ybr": "5"}  # no label
    frames[1]["7"] = {"label": "cup", "colour": "red"}  # a key nobody knows
    frames[2]["8"] = "plant"  # not an object
    clip, policy = _one(tmp_path, _document(frames))
    assert clip.objects == {"chair": 2, "cup": 1}
    assert policy.stats["odd_objects"] == 3
    assert [p.person for p in clip.persons] == ["1", "2"]


def test_persons_are_known_by_label_or_person_id(tmp_path: Path) -> None:
    frames = _boxes_only()
    frames[0]["3"] = {"person_id": "3", "xtl": "40", "ytl": "1", "xbr": "50", "ybr": "20"}  # no label
    frames[1]["9"] = {"label": "Person", "xtl": "40", "ytl": "1", "xbr": "50", "ybr": "20"}  # no person_id
    clip, policy = _one(tmp_path, _document(frames))
    assert [p.person for p in clip.persons] == ["1", "2", "3", "9"]
    assert policy.stats["persons_without_actor"] == 2


def test_actor_gender_and_age_are_canonical(tmp_path: Path) -> None:
    actors = {"1": {"gender": "여", "age": "30대"}, "2": {"gender": "Male", "age": 47}}
    clip, policy = _one(tmp_path, _document(_boxes_only(), actor=actors))
    assert [(p.gender, p.age) for p in clip.persons] == [("female", "30s"), ("male", "40s")]
    odd = {"1": {"gender": "unknown", "age": "young"}, "2": {"gender": "m", "age": "50s"}}
    clip, policy = _one(tmp_path / "odd", _document(_boxes_only(), actor=odd))
    assert [(p.gender, p.age) for p in clip.persons] == [("", ""), ("male", "50s")]
    assert policy.stats["unknown_gender"] == 1 and policy.stats["unknown_age"] == 1


# ---------------------------------------------------------------------------------------- the [A] options


def test_frame_base_1_reads_keys_and_turns_one_based(tmp_path: Path) -> None:
    frames = {f + 1: v for f, v in _boxes_only().items()}
    for f in (3, 4, 5):
        frames[f]["1"] = _speaker("1", "하나", 3, 5)
    clip, policy = _one(tmp_path, _document(frames), frame_base=1)
    assert [b[0] for b in clip.persons[0].boxes] == list(range(FRAMES))
    assert (clip.turns[0].start, clip.turns[0].end) == (2, 5)
    assert [b[0] for b in clip.turns[0].boxes] == [2, 3, 4]
    assert policy.stats["frames_out_of_range"] == 0


def test_frame_base_0_on_one_based_keys_counts_the_frame_past_the_end(tmp_path: Path) -> None:
    frames = {f + 1: v for f, v in _boxes_only().items()}
    clip, policy = _one(tmp_path, _document(frames))
    assert policy.stats["frames_out_of_range"] == 1 and policy.stats["boxes_on_frames_out_of_range"] == 2
    assert len(clip.persons[0].boxes) == FRAMES - 1


def test_turn_unit_second_uses_the_video_fps(tmp_path: Path) -> None:
    clip, _ = _one(tmp_path, _document(_turn_clip(start=0.2, end=0.5)), turn_unit="second")
    assert (clip.turns[0].start, clip.turns[0].end) == (2, 6)  # 0.2 s x 10 fps .. 0.5 s x 10 fps, inclusive


def test_turn_unit_second_needs_the_videos_fps() -> None:
    with pytest.raises(ValueError, match="verify_videos"):
        read_multimodal("/nowhere", ErrorPolicy(), turn_unit="second", verify_videos="none")


def test_turn_end_exclusive(tmp_path: Path) -> None:
    clip, _ = _one(tmp_path, _document(_turn_clip(start=2, end=5)), turn_end_inclusive=False)
    assert (clip.turns[0].start, clip.turns[0].end) == (2, 5)
    assert [b[0] for b in clip.turns[0].boxes] == [2, 3, 4]


def test_emotion_label_picks_the_modality(tmp_path: Path) -> None:
    chosen = {"text": "angry", "sound": "sad", "image": "fear", "multimodal": "happy"}
    doc = _document(_turn_clip(emotions=chosen))
    for modality, expected in chosen.items():
        clip, _ = _one(tmp_path / modality, doc, emotion_label=modality)
        assert clip.turns[0].emotion == expected
        assert clip.turns[0].emotions == chosen
    with pytest.raises(ValueError, match="emotion_label"):
        _read(tmp_path / "text", emotion_label="voice")


def test_group_by_situation_joins_clips_of_one_situation(tmp_path: Path) -> None:
    for name, situation in (
        ("clip_1", "식당에서  주문한다."),
        ("clip_2", "식당에서 주문한다."),
        ("clip_3", "공원"),
    ):
        _write(tmp_path, _document(_boxes_only(), situation=situation), name)
    by_clip, _ = _read(tmp_path)
    assert [c.group for c in by_clip] == ["clip_1/clip_1", "clip_2/clip_2", "clip_3/clip_3"]
    by_situation, _ = _read(tmp_path, group_by="situation")
    groups = [c.group for c in by_situation]
    assert groups[0] == groups[1] != groups[2]


def test_max_clips_keeps_the_first_by_key(tmp_path: Path) -> None:
    for name in ("clip_2", "clip_1", "clip_3"):
        _write(tmp_path, _document(_boxes_only()), name)
    clips, policy = _read(tmp_path, max_clips=2)
    assert [c.key for c in clips] == ["clip_1/clip_1", "clip_2/clip_2"]
    assert policy.stats["clips_left_out_by_max_clips"] == 1


def test_verify_none_reads_the_json_only_and_full_decodes(tmp_path: Path) -> None:
    _write(tmp_path, _document(_turn_clip()))
    (none,), _ = _read(tmp_path, verify_videos="none")
    (full,), _ = _read(tmp_path, verify_videos="full")
    assert (none.fps, none.num_frames) == (0.0, FRAMES)
    assert (full.fps, full.num_frames) == (FPS, FRAMES)
    assert none.turns == full.turns


# ---------------------------------------------------------------------------------------- bad input


def test_a_short_video_raises_or_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path, _document(_turn_clip()), video_frames=FRAMES - 4)
    with pytest.raises(BadInputError) as caught:
        _read(tmp_path)
    assert caught.value.kind == "video_too_short" and caught.value.path.endswith("clip_1.mp4")
    assert "has 8 frames" in caught.value.reason and "nr_frame 12" in caught.value.reason
    clips, policy = _read(tmp_path, "skip")
    assert clips == [] and policy.counts["video_too_short"] == 1
    (clip,), _ = _read(tmp_path, verify_videos="none")  # nothing probed, nothing found
    assert clip.num_frames == FRAMES


def test_a_video_one_frame_short_is_within_tolerance_and_clips_turns(tmp_path: Path) -> None:
    frames = _turn_clip(start=9, end=11)
    _write(tmp_path, _document(frames), video_frames=FRAMES - 1)
    (clip,), policy = _read(tmp_path)
    assert clip.num_frames == FRAMES - 1 and policy.stats["frame_count_mismatch"] == 1
    assert (clip.turns[0].start, clip.turns[0].end) == (9, FRAMES - 1) and policy.stats["turns_clipped"] == 1
    with pytest.raises(BadInputError, match="more than frame_tolerance 0"):
        _read(tmp_path, frame_tolerance=0)


def test_a_box_outside_the_frame_raises_or_drops_the_box(tmp_path: Path) -> None:
    frames = _turn_clip()
    frames[3]["1"].update(xbr="80.00")  # 16 px past the 64 px wide frame, on the speaker inside its turn
    path = _write(tmp_path, _document(frames))
    with pytest.raises(BadInputError) as caught:
        _read(tmp_path)
    assert (caught.value.kind, caught.value.path) == ("bad_box", str(path))
    assert "frame 3, person 1" in caught.value.reason and "16 px outside" in caught.value.reason
    (clip,), policy = _read(tmp_path, "skip")
    assert policy.counts["bad_box"] == 1
    assert [b[0] for b in clip.person("1").boxes] == [f for f in range(FRAMES) if f != 3]  # type: ignore[union-attr]
    assert [b[0] for b in clip.turns[0].boxes] == [2, 4]


def test_a_box_slightly_outside_is_clipped_and_counted(tmp_path: Path) -> None:
    frames = _boxes_only()
    frames[5]["2"] = _person("2", (-1.5, 5.0, 65.0, 30.0))
    clip, policy = _one(tmp_path, _document(frames))
    assert clip.person("2").boxes[5] == (5, 0.0, 5.0, 64.0, 30.0)  # type: ignore[union-attr]
    assert policy.stats["boxes_clipped"] == 1


def test_an_empty_box_is_bad(tmp_path: Path) -> None:
    frames = _boxes_only()
    frames[5]["2"] = _person("2", (30.0, 5.0, 20.0, 30.0))
    _write(tmp_path, _document(frames))
    with pytest.raises(BadInputError, match="x2 <= x1"):
        _read(tmp_path)


def test_a_turn_whose_end_precedes_its_start_raises_or_drops_the_turn(tmp_path: Path) -> None:
    frames = _turn_clip()
    frames[8]["2"] = _speaker("2", "거꾸로", 8, 6)
    _write(tmp_path, _document(frames))
    with pytest.raises(BadInputError) as caught:
        _read(tmp_path)
    assert caught.value.kind == "bad_turn_range" and "the end precedes the start" in caught.value.reason
    (clip,), policy = _read(tmp_path, "skip")
    assert policy.counts["bad_turn_range"] == 1
    assert [t.script for t in clip.turns] == ["밥 먹었어요?"]
    assert clip.person("2") is not None  # the speaker stays a person


def test_a_turn_past_the_video_raises_or_drops_the_turn(tmp_path: Path) -> None:
    frames = _turn_clip()
    frames[10]["2"] = _speaker("2", "너무 길어", 10, 30)
    _write(tmp_path, _document(frames))
    with pytest.raises(BadInputError, match="past the video's 12 frames") as caught:
        _read(tmp_path)
    assert caught.value.kind == "turn_out_of_range"
    (clip,), policy = _read(tmp_path, "skip")
    assert policy.counts["turn_out_of_range"] == 1 and len(clip.turns) == 1


def test_a_frame_index_that_is_not_whole_is_a_bad_turn_range(tmp_path: Path) -> None:
    _write(tmp_path, _document(_turn_clip(start=2, end=4.5)))
    with pytest.raises(BadInputError, match="not frame indices"):
        _read(tmp_path)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d.pop("data"), "no 'data' object"),
        (lambda d: d.pop("nr_frame"), "no 'nr_frame'"),
        (lambda d: d.pop("video_size"), "no 'video_size'"),
        (lambda d: d.update(nr_frame="many"), "nr_frame: 'many' is not a number"),
        (lambda d: d.update(nr_frame="0"), "not a positive whole number"),
        (lambda d: d["video_size"].update(width="wide"), "video_size.width"),
        (
            lambda d: d["data"]["3"]["2"].update(ytl="12,5"),
            r"frame '3', object '2', ytl: '12,5' is not a number",
        ),
        (lambda d: d["data"]["3"]["2"].pop("ybr"), "frame '3', object '2': the box has no ybr"),
        (lambda d: d["data"]["2"]["1"]["text"].update(script_end="end"), "text.script_end"),
        (lambda d: d["data"]["2"]["1"]["text"].pop("script_start"), "the text has no script_start"),
    ],
)
def test_a_json_that_is_no_clip_names_the_field(tmp_path: Path, edit: Any, reason: str) -> None:
    doc = _document(_turn_clip())
    edit(doc)
    path = _write(tmp_path, doc)
    with pytest.raises(BadInputError) as caught:
        _read(tmp_path)
    assert (caught.value.kind, caught.value.path) == ("not_a_clip", str(path))
    assert reason in caught.value.reason
    clips, policy = _read(tmp_path, "skip")
    assert clips == [] and policy.counts["not_a_clip"] == 1


def test_a_json_that_is_a_list_or_not_json(tmp_path: Path) -> None:
    path = _write(tmp_path, _document(_boxes_only()))
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(BadInputError, match="the top level is a list") as caught:
        _read(tmp_path)
    assert caught.value.kind == "not_a_clip"
    path.write_text('{"nr_frame": "12", ', encoding="utf-8")
    with pytest.raises(BadInputError, match="cannot read the JSON") as caught:
        _read(tmp_path)
    assert caught.value.kind == "bad_json"


def test_unpaired_files_are_named(tmp_path: Path) -> None:
    json_path = _write(tmp_path, _document(_boxes_only()), "clip_1")
    _write(tmp_path, _document(_boxes_only()), "clip_2")
    json_path.with_suffix(".mp4").unlink()
    (tmp_path / "clip_2" / "clip_2.json").unlink()
    with pytest.raises(BadInputError) as caught:
        _read(tmp_path)
    assert caught.value.kind == "missing_video" and caught.value.path.endswith("clip_1.mp4")
    clips, policy = _read(tmp_path, "skip")
    assert clips == [] and policy.counts == {"missing_video": 1, "missing_annotation": 1}


def test_options_are_validated(tmp_path: Path) -> None:
    for options in (
        {"verify_videos": True},
        {"turn_unit": "minute"},
        {"group_by": "actor"},
        {"frame_base": -1},
        {"box_tolerance": -1},
        {"max_clips": 0},
        {"json_suffix": "json"},
    ):
        with pytest.raises(ValueError):
            _read(tmp_path, **options)
    with pytest.raises(FileNotFoundError, match="no .json clip annotation"):
        _read(tmp_path)
