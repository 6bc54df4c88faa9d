"""Read the 멀티모달 영상 release (or its twin) into :class:`~aihub_bench.records.ConversationClip` records.

One walk of the whole tree (``formats/walk.annotated_videos``): in every folder each ``<stem>.json`` is paired with the
``<stem>.mp4`` beside it, so no folder name is relied on. Each JSON is parsed by
:mod:`~aihub_bench.datasets.multimodal.clip_json`; the mp4 is checked per ``verify_videos`` (``header``:
probed, its frame count against ``nr_frame``; ``full``: every frame decoded too). Then the JSON is
checked against the video: every person box must lie in the frame (up to ``box_tolerance`` px outside
it is clipped), every speaking turn must be a non-empty frame range inside the video.

Bad input, raised or (``on_error=skip``) counted: per clip ``bad_json``, ``not_a_clip``,
``missing_video``, ``missing_annotation``, ``ambiguous_file``, ``video_too_short``, ``unreadable_video``,
``link_outside_root``; per turn (the clip stays) ``bad_turn_range``, ``turn_out_of_range``; per box (the
clip and the turn stay) ``bad_box``. The counts of what was read (clips, turns, persons, labels) and of
the release's tolerated quirks go to ``policy.stats`` (``data_report.json``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aihub_bench.datasets.multimodal.clip_json import ClipJson, ClipTurn, RawBox, read_clip_json
from aihub_bench.datasets.multimodal.layout import MODALITIES
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.video import decode_video, probe_video
from aihub_bench.formats.walk import annotated_videos, checked_suffix
from aihub_bench.records import ConversationClip, FrameBox, PersonTrack, SpeakingTurn

VERIFY_MODES = ("none", "header", "full")
TURN_UNITS = ("frame", "second")
GROUP_BY = ("clip", "situation")


def _choice(name: str, value: object, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value


def _whole(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    return value


@dataclass(frozen=True)
class _Options:
    root: Path
    policy: ErrorPolicy
    verify_videos: str
    frame_base: int
    turn_unit: str
    turn_end_inclusive: bool
    emotion_label: str
    group_by: str
    box_tolerance: float
    frame_tolerance: int
    emotion_aliases: Mapping[str, str]
    intent_aliases: Mapping[str, str]
    allow_outside_links: bool


@dataclass(frozen=True)
class _Pair:
    key: str  # the JSON's path below the root, without the suffix
    json: Path
    video: Path


@dataclass(frozen=True)
class _Video:
    """The video as the clip uses it: its length in frames, frame size and rate (0 when not probed)."""

    num_frames: int
    width: int
    height: int
    fps: float


# ------------------------------------------------------------------------------------------ pairing


def _pairs(o: _Options, json_suffix: str, video_suffix: str) -> list[_Pair]:
    """Every clip JSON with its mp4, sorted by key; unpaired and ambiguous files go to the policy."""
    found = annotated_videos(
        o.root,
        o.policy,
        annotation_suffix=json_suffix,
        video_suffix=video_suffix,
        allow_outside_links=o.allow_outside_links,
        contents="clips",
    )
    return [_Pair(f.key, f.annotation, f.video) for f in found]


# ------------------------------------------------------------------------------------------ the video


def _video(pair: _Pair, parsed: ClipJson, o: _Options) -> _Video:
    """The clip's length, size and rate, the container checked per ``verify_videos``: fewer frames than
    ``nr_frame - frame_tolerance`` is ``video_too_short``; within the tolerance the container's count wins."""
    if o.verify_videos == "none":
        return _Video(parsed.num_frames, parsed.width, parsed.height, 0.0)
    info = probe_video(pair.video)
    counts = [info.frame_count] if info.frame_count else []
    if o.verify_videos == "full":
        counts.append(decode_video(pair.video, fps=1.0, short_side=8).source_frames)
    if not counts:
        o.policy.count("frame_count_unknown")
    frames = min(counts, default=parsed.num_frames)
    if frames < max(1, parsed.num_frames - o.frame_tolerance):
        raise BadInputError(
            pair.video,
            f"the video has {frames} frames, but {pair.json.name} says nr_frame {parsed.num_frames} "
            f"(more than frame_tolerance {o.frame_tolerance} short)",
            "video_too_short",
        )
    if frames != parsed.num_frames:
        o.policy.count("frame_count_mismatch")
    if (info.width, info.height) != (parsed.width, parsed.height):
        o.policy.count("video_size_mismatch")
    return _Video(min(frames, parsed.num_frames), info.width, info.height, info.fps)


# ------------------------------------------------------------------------------------------ boxes and turns


def _checked_box(box: RawBox, person: str, video: _Video, parsed: ClipJson, o: _Options) -> FrameBox:
    """``box`` inside the frame: clipped (``stats.boxes_clipped``) when up to ``box_tolerance`` px
    outside; ``bad_box`` when further out or empty."""
    frame, x1, y1, x2, y2 = box
    where = f"frame {frame + o.frame_base}, person {person}: box ({x1:g}, {y1:g}, {x2:g}, {y2:g})"
    if x2 <= x1 or y2 <= y1:
        raise BadInputError(parsed.path, f"{where} has x2 <= x1 or y2 <= y1", "bad_box")
    outside = max(-x1, -y1, x2 - video.width, y2 - video.height, 0.0)
    if outside > o.box_tolerance:
        reason = (
            f"{where} lies {outside:g} px outside the {video.width}x{video.height} frame "
            f"(box_tolerance {o.box_tolerance:g})"
        )
        raise BadInputError(parsed.path, reason, "bad_box")
    if outside > 0:
        o.policy.count("boxes_clipped")
        x1, y1, x2, y2 = max(x1, 0.0), max(y1, 0.0), min(x2, video.width), min(y2, video.height)
    return frame, x1, y1, x2, y2


def _person_boxes(parsed: ClipJson, video: _Video, o: _Options) -> dict[str, tuple[FrameBox, ...]]:
    """Each person's boxes on frames inside the video, checked (a bad box goes to the policy)."""
    kept: dict[str, tuple[FrameBox, ...]] = {}
    for person, boxes in parsed.boxes.items():
        good = []
        for box in boxes:
            if not 0 <= box[0] < video.num_frames:
                o.policy.count("boxes_on_frames_out_of_range")
                continue
            try:
                good.append(_checked_box(box, person, video, parsed, o))
            except BadInputError as err:
                o.policy.handle(err)
        kept[person] = tuple(good)
    return kept


def _turn_frames(turn: ClipTurn, video: _Video, parsed: ClipJson, o: _Options) -> tuple[int, int]:
    """The turn as half-open mp4 frames ``[start, end)``: ``bad_turn_range`` when it is empty or starts
    before the video, ``turn_out_of_range`` when it ends past it by more than ``frame_tolerance``."""
    where = f"the turn of person {turn.speaker} ({turn.script[:30]!r})"
    written = f"script_start {turn.start:g}, script_end {turn.end:g}"
    if o.turn_unit == "second":
        start, end = round(turn.start * video.fps), round(turn.end * video.fps)
    elif turn.start != int(turn.start) or turn.end != int(turn.end):
        raise BadInputError(parsed.path, f"{where}: {written} are not frame indices", "bad_turn_range")
    else:
        start, end = int(turn.start) - o.frame_base, int(turn.end) - o.frame_base
    end += int(o.turn_end_inclusive)
    if end <= start:
        what = "the end precedes the start" if turn.end < turn.start else "the turn is empty"
        raise BadInputError(parsed.path, f"{where}: {written}: {what}", "bad_turn_range")
    if start < 0:
        raise BadInputError(
            parsed.path, f"{where}: {written} starts before the first frame", "bad_turn_range"
        )
    if start >= video.num_frames or end > video.num_frames + o.frame_tolerance:
        reason = (
            f"{where}: {written} ends at frame {end} (exclusive), past the video's {video.num_frames} frames"
        )
        raise BadInputError(parsed.path, reason, "turn_out_of_range")
    if end > video.num_frames:
        o.policy.count("turns_clipped")
    return start, min(end, video.num_frames)


def _turns(
    parsed: ClipJson, video: _Video, boxes: Mapping[str, tuple[FrameBox, ...]], o: _Options
) -> tuple[SpeakingTurn, ...]:
    """The clip's speaking turns in frames, ordered by start then speaker; bad ones go to the policy."""
    placed: list[tuple[int, int, ClipTurn]] = []
    for turn in parsed.turns:
        try:
            placed.append((*_turn_frames(turn, video, parsed, o), turn))
        except BadInputError as err:
            o.policy.handle(err)
    placed.sort(key=lambda t: (t[0], t[2].speaker, t[1], t[2].script))
    return tuple(
        SpeakingTurn(
            index=index,
            speaker=turn.speaker,
            script=turn.script,
            start=start,
            end=end,
            intent=turn.intent,
            strategy=turn.strategy,
            emotion=turn.emotions.get(o.emotion_label, ""),
            emotions={m: e for m, e in turn.emotions.items() if e},
            morphemes=turn.morphemes,
            boxes=tuple(b for b in boxes.get(turn.speaker, ()) if start <= b[0] < end),
        )
        for index, (start, end, turn) in enumerate(placed)
    )


def _persons(
    parsed: ClipJson, video: _Video, boxes: Mapping[str, tuple[FrameBox, ...]], o: _Options
) -> tuple[PersonTrack, ...]:
    tracks = []
    for person in parsed.persons:
        if person not in parsed.actors:
            o.policy.count("persons_without_actor")
        gender, age = parsed.actors.get(person, ("", ""))
        emotions = parsed.image_emotions.get(person, [])
        tracks.append(
            PersonTrack(
                person=person,
                gender=gender,
                age=age,
                boxes=boxes.get(person, ()),
                image_emotions=tuple(e for e in emotions if 0 <= e[0] < video.num_frames),
            )
        )
    return tuple(tracks)


# ------------------------------------------------------------------------------------------ one clip


def _read_clip(pair: _Pair, o: _Options) -> ConversationClip:
    parsed = read_clip_json(
        pair.json,
        frame_base=o.frame_base,
        emotion_aliases=o.emotion_aliases,
        intent_aliases=o.intent_aliases,
    )
    video = _video(pair, parsed, o)
    boxes = _person_boxes(parsed, video, o)
    turns = _turns(parsed, video, boxes, o)
    outside = [f for f in parsed.frames if not 0 <= f < video.num_frames]
    if outside:
        o.policy.count("frames_out_of_range", len(outside))
    o.policy.stats.update(parsed.stats)
    if parsed.clip_id and parsed.clip_id != pair.json.stem:
        o.policy.count("clip_id_mismatch")
    situation = " ".join(parsed.situation.split())
    if o.group_by == "situation" and not situation:
        o.policy.count("clips_without_situation")
    return ConversationClip(
        video_path=pair.video,
        json_path=pair.json,
        key=pair.key,
        clip_id=parsed.clip_id or pair.json.stem,
        num_frames=video.num_frames,
        width=video.width,
        height=video.height,
        fps=video.fps,
        situation=parsed.situation,
        category=parsed.category,
        turns=turns,
        persons=_persons(parsed, video, boxes, o),
        objects=parsed.objects,
        qa=tuple(parsed.qa),
        group=f"situation:{situation}" if o.group_by == "situation" and situation else pair.key,
        meta={
            "nr_frame": parsed.num_frames,
            "annotated_frames": len(parsed.frames),
            "actors": {a: {"gender": g, "age": age} for a, (g, age) in parsed.actors.items()},
        },
    )


def _count(clips: list[ConversationClip], policy: ErrorPolicy) -> None:
    turns = [t for c in clips for t in c.turns]
    policy.count("clips", len(clips))
    policy.count("turns", len(turns))
    policy.count("persons", sum(len(c.persons) for c in clips))
    for name, values in (("intent", [t.intent for t in turns]), ("emotion", [t.emotion for t in turns])):
        for value, n in sorted(Counter(v or "none" for v in values).items()):
            policy.count(f"turns/{name}/{value}", n)


def read_multimodal(
    root: str | Path,
    policy: ErrorPolicy,
    *,
    verify_videos: str = "header",
    frame_base: int = 0,
    turn_unit: str = "frame",
    turn_end_inclusive: bool = True,
    emotion_label: str = "multimodal",
    group_by: str = "clip",
    box_tolerance: float = 2.0,
    frame_tolerance: int = 1,
    emotion_aliases: Mapping[str, str] | None = None,
    intent_aliases: Mapping[str, str] | None = None,
    allow_outside_links: bool = False,
    max_clips: int | None = None,
    json_suffix: str = ".json",
    video_suffix: str = ".mp4",
) -> list[ConversationClip]:
    """Every annotated clip under ``root`` as a :class:`ConversationClip`, sorted by key.

    ``verify_videos``: ``none`` | ``header`` (probe each mp4; its fps is recorded) | ``full`` (also
    decode every frame). ``frame_base``: what the first frame's key is [A]. ``turn_unit``: ``frame`` |
    ``second`` (``script_start`` / ``script_end`` in seconds, times the container's fps; needs
    ``verify_videos``) [A]; ``turn_end_inclusive``: ``script_end`` is the turn's last frame [A].
    ``emotion_label``: the modality whose emotion labels a turn (``multimodal`` | ``text`` | ``sound`` |
    ``image``). ``group_by``: ``clip`` | ``situation`` (clips sharing a situation text never cross a
    split). ``max_clips``: the first N clips by key.
    """
    if turn_unit == "second" and verify_videos == "none":
        raise ValueError("turn_unit=second needs the videos' frame rate: set verify_videos to header or full")
    if not isinstance(box_tolerance, int | float) or not box_tolerance >= 0:
        raise ValueError(f"box_tolerance must be a number >= 0, got {box_tolerance!r}")
    if max_clips is not None:
        _whole("max_clips", max_clips, 1)
    o = _Options(
        root=Path(root),
        policy=policy,
        verify_videos=_choice("verify_videos", verify_videos, VERIFY_MODES),
        frame_base=_whole("frame_base", frame_base, 0),
        turn_unit=_choice("turn_unit", turn_unit, TURN_UNITS),
        turn_end_inclusive=bool(turn_end_inclusive),
        emotion_label=_choice("emotion_label", emotion_label, MODALITIES),
        group_by=_choice("group_by", group_by, GROUP_BY),
        box_tolerance=float(box_tolerance),
        frame_tolerance=_whole("frame_tolerance", frame_tolerance, 0),
        emotion_aliases=dict(emotion_aliases or {}),
        intent_aliases=dict(intent_aliases or {}),
        allow_outside_links=bool(allow_outside_links),
    )
    if not o.root.is_dir():
        raise FileNotFoundError(f"multimodal video dataset root {o.root} is not a directory")
    pairs = _pairs(
        o, checked_suffix("json_suffix", json_suffix), checked_suffix("video_suffix", video_suffix)
    )
    if not pairs and policy.skipped == 0:
        raise FileNotFoundError(
            f"no {json_suffix} clip annotation with its {video_suffix} video under {o.root}"
        )
    if max_clips is not None and len(pairs) > max_clips:
        policy.count("clips_left_out_by_max_clips", len(pairs) - max_clips)
        pairs = pairs[:max_clips]
    clips = []
    for pair in pairs:
        try:
            clips.append(_read_clip(pair, o))
        except BadInputError as err:
            policy.handle(err)
    _count(clips, policy)
    return clips
