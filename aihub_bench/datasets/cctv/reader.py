"""Read the 이상행동 CCTV release (or its twin) into :class:`~aihub_bench.records.VideoClip` records.

One walk of the whole tree (``formats/walk.annotated_videos``): in every folder each ``<stem>.mp4`` is paired with the
``<stem>.xml`` beside it, wherever the folder is, so no folder name is relied on. The label is the
XML's ``<eventname>`` (``event_source: path`` takes the stem's, else the event folder's); the stem
(``<scene>_cam<NN>_<event><n>_place<NN>_<day|night>_<season>``), the event folder and the place folder
only cross-check the XML, each disagreement counted in ``policy.stats``:

* ``event_mismatch`` (stem or folder event != XML event), ``time_mismatch`` (header ``time`` != the
  stem's day/night; ``time_source`` says which wins), ``inout_mismatch`` (header ``inout`` != the place
  folder), ``place_mismatch`` / ``season_mismatch`` (header != stem; the header wins),
  ``take_mismatch`` (the stem's scene != the scene folder, which is the take), ``unparsed_name``
  (a stem that does not parse: the video is read with what the XML gives);
* with ``verify_videos: header`` each mp4's container is probed: ``frame_count_mismatch`` (the smaller
  count is the video's length), ``fps_mismatch``, ``video_size_mismatch``; ``full`` also decodes every
  frame (a truncated stream is ``unreadable_video``, and the decodable count bounds the length).

Bad input, raised or (``on_error=skip``) counted per video: a video without its XML
(``missing_annotation``), an XML without its video (``missing_video``), two files of one stem
(``ambiguous_file``), an XML fault (:mod:`aihub_bench.datasets.cctv.xml`), an event past the video's
end (``event_out_of_range``), an mp4 that cannot be opened or decoded (``unreadable_video``), a link
leading outside the root (``link_outside_root``). Counts per event, place kind, time of day and the
number of takes go to ``policy.stats`` (``data_report.json``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aihub_bench.datasets.cctv.layout import (
    EVENTS,
    canonical_event,
    folder_event,
    parse_stem,
    place_dir_inout,
)
from aihub_bench.datasets.cctv.xml import CctvAnnotation, fit_event, read_cctv_xml
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.video import decode_video, probe_video
from aihub_bench.formats.walk import annotated_videos, checked_suffix
from aihub_bench.records import VideoClip

VERIFY_MODES = ("none", "header", "full")
EVENT_SOURCES = ("xml", "path")
TIME_SOURCES = ("header", "filename")
GROUP_BY = ("take", "video")
FPS_TOLERANCE = 0.01


def _choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value


@dataclass(frozen=True)
class _Options:
    root: Path
    policy: ErrorPolicy
    events: frozenset[str]
    event_source: str
    time_source: str
    verify_videos: str
    merge_touching: bool
    event_tolerance_seconds: float
    group_by: str
    allow_outside_links: bool
    aliases: Mapping[str, str]


@dataclass(frozen=True)
class _Pair:
    key: str  # the mp4's path below the root, without the suffix
    video: Path
    xml: Path


def _pairs(o: _Options, video_suffix: str, xml_suffix: str) -> list[_Pair]:
    """Every mp4 with its XML, sorted by key; unpaired and ambiguous files go to the policy."""
    found = annotated_videos(
        o.root,
        o.policy,
        annotation_suffix=xml_suffix,
        video_suffix=video_suffix,
        allow_outside_links=o.allow_outside_links,
        contents="videos",
    )
    return [_Pair(f.key, f.video, f.annotation) for f in found]


def _spread(pairs: list[_Pair], max_videos: int | None, policy: ErrorPolicy) -> list[_Pair]:
    """At most ``max_videos`` pairs, taken round-robin over the top-level folders (the event folders,
    so every event keeps some), in key order; the rest counted as ``videos_left_out_by_max_videos``."""
    if max_videos is None or len(pairs) <= max_videos:
        return pairs
    by_folder: dict[str, list[_Pair]] = defaultdict(list)
    for pair in pairs:
        by_folder[pair.key.split("/", 1)[0]].append(pair)
    queues = [by_folder[name] for name in sorted(by_folder)]
    picked: list[_Pair] = []
    for depth in range(max(len(q) for q in queues)):
        picked += [q[depth] for q in queues if depth < len(q)]
    policy.count("videos_left_out_by_max_videos", len(pairs) - max_videos)
    return sorted(picked[:max_videos], key=lambda p: p.key)


def _path_event(pair: _Pair, o: _Options) -> str | None:
    """The event the path names: the stem's, else the nearest ``NN.한글(english)`` folder's."""
    info = parse_stem(pair.video.stem, o.aliases)
    if info is not None and info.event is not None:
        return info.event
    for part in reversed(Path(pair.key).parts[:-1]):
        event = folder_event(part, o.aliases)
        if event is not None:
            return event
    return None


def _cross_check(policy: ErrorPolicy, what: str, first: str, second: str) -> str:
    """``first`` (or ``second`` when ``first`` is empty); a disagreement counted as ``<what>_mismatch``."""
    if first and second and first != second:
        policy.count(f"{what}_mismatch")
    return first or second


def _video_length(
    pair: _Pair, ann: CctvAnnotation, o: _Options
) -> tuple[CctvAnnotation, int, tuple[int, int]]:
    """The annotation fitted to the video's length, the length, and ``(width, height)``, with the
    container checked per ``verify_videos`` (the smaller of the header's and the container's counts wins)."""
    width, height = ann.width, ann.height
    measured: list[int] = []
    if o.verify_videos != "none":
        info = probe_video(pair.video)
        if info.frame_count:
            measured.append(info.frame_count)
        if o.verify_videos == "full":
            measured.append(decode_video(pair.video, fps=1.0, short_side=8).source_frames)
        if ann.num_frames is not None and any(n != ann.num_frames for n in measured):
            o.policy.count("frame_count_mismatch")
        if abs(info.fps - ann.fps) > FPS_TOLERANCE:
            o.policy.count("fps_mismatch")
        if (width, height) != (0, 0) and (width, height) != (info.width, info.height):
            o.policy.count("video_size_mismatch")
        width, height = info.width, info.height
    lengths = measured + ([ann.num_frames] if ann.num_frames is not None else [])
    if not lengths:
        raise BadInputError(
            ann.path, "the video's length is unknown: no <frames> or <duration> in the header", "bad_xml"
        )
    frames = min(lengths)
    if ann.num_frames is None or frames < ann.num_frames:
        ann = fit_event(ann, frames, o.event_tolerance_seconds, o.policy)
    return ann, frames, (width, height)


def _read_video(pair: _Pair, o: _Options) -> VideoClip | None:
    """One pair as a clip; None when the events filter leaves it out."""
    ann = read_cctv_xml(
        pair.xml,
        o.policy,
        merge_touching=o.merge_touching,
        event_tolerance_seconds=o.event_tolerance_seconds,
        aliases=o.aliases,
    )
    path_event = _path_event(pair, o)
    if path_event is not None and path_event != ann.event:
        o.policy.count("event_mismatch")
    event = (path_event or ann.event) if o.event_source == "path" else ann.event
    if event not in o.events:
        o.policy.count("videos_left_out_by_events")
        return None
    ann, frames, (width, height) = _video_length(pair, ann, o)

    info = parse_stem(pair.video.stem, o.aliases)
    if info is None:
        o.policy.count("unparsed_name")
    folders = Path(pair.key).parts[:-1]
    take = folders[-1] if folders else (info.scene if info else "")
    if info is not None and folders:
        _cross_check(o.policy, "take", take, info.scene)
    header = ann.header
    named_time = info.time_of_day if info else ""
    if o.time_source == "header":
        time_of_day = _cross_check(o.policy, "time", header.time_of_day, named_time)
    else:
        time_of_day = _cross_check(o.policy, "time", named_time, header.time_of_day)
    dir_inout = next((x for x in map(place_dir_inout, reversed(folders)) if x is not None), "")
    return VideoClip(
        video_path=pair.video,
        key=pair.key,
        event=event,
        event_start=ann.event_start,
        event_end=ann.event_end,
        fps=ann.fps,
        num_frames=frames,
        width=width,
        height=height,
        take=take,
        camera=info.camera if info else "",
        place=_cross_check(o.policy, "place", header.place, info.place if info else ""),
        inout=_cross_check(o.policy, "inout", header.inout, dir_inout),
        time_of_day=time_of_day,
        season=_cross_check(o.policy, "season", header.season, info.season if info else ""),
        weather=header.weather,
        actions=ann.actions,
        group=take if o.group_by == "take" else pair.key,
        meta={
            "xml": str(pair.xml),
            "event_raw": ann.event_raw,
            "population": header.population,
            "character": header.character,
            "objects": len(ann.objects),
            "keypoints": ann.keypoints,
        },
    )


def _count(clips: list[VideoClip], policy: ErrorPolicy) -> None:
    policy.count("videos_read", len(clips))
    policy.count("takes", len({c.take for c in clips}))
    policy.count("video_frames", sum(c.num_frames for c in clips))
    for field in ("event", "inout", "time_of_day"):
        for value, n in sorted(Counter(getattr(c, field) or "unknown" for c in clips).items()):
            policy.count(f"videos/{field}/{value}", n)


def read_cctv(
    root: str | Path,
    policy: ErrorPolicy,
    *,
    events: Sequence[str] | None = None,
    event_source: str = "xml",
    time_source: str = "header",
    verify_videos: str = "header",
    merge_touching: bool = True,
    event_tolerance_seconds: float = 1.0,
    group_by: str = "take",
    allow_outside_links: bool = False,
    max_videos: int | None = None,
    xml_suffix: str = ".xml",
    video_suffix: str = ".mp4",
    event_aliases: Mapping[str, str] | None = None,
) -> list[VideoClip]:
    """Every annotated video under ``root`` as a :class:`VideoClip`, sorted by key.

    ``events``: keep only these (canonical names or any spelling :func:`canonical_event` maps; None =
    all 12). ``event_source``: ``xml`` | ``path``. ``time_source``: ``header`` | ``filename`` (which
    day/night wins). ``verify_videos``: ``none`` | ``header`` (probe each mp4) | ``full`` (decode every
    frame). ``group_by``: ``take`` (the scene folder: every camera and season of a take) | ``video``.
    ``max_videos``: at most N videos, round-robin over the event folders (before ``events``).
    ``event_aliases``: extra spellings -> canonical event.
    """
    aliases = dict(event_aliases or {})
    wanted = list(EVENTS) if events is None else list(events)
    chosen = [canonical_event(str(e), aliases) for e in wanted]
    unknown = [e for e, c in zip(wanted, chosen, strict=True) if c is None]
    if unknown or not chosen:
        raise ValueError(f"events must be a non-empty subset of {list(EVENTS)}, got {wanted!r}")
    if event_tolerance_seconds < 0:
        raise ValueError(f"event_tolerance_seconds must be >= 0, got {event_tolerance_seconds}")
    if max_videos is not None and max_videos < 1:
        raise ValueError(f"max_videos must be a positive integer or null, got {max_videos}")
    o = _Options(
        root=Path(root),
        policy=policy,
        events=frozenset(c for c in chosen if c is not None),
        event_source=_choice("event_source", event_source, EVENT_SOURCES),
        time_source=_choice("time_source", time_source, TIME_SOURCES),
        verify_videos=_choice("verify_videos", verify_videos, VERIFY_MODES),
        merge_touching=bool(merge_touching),
        event_tolerance_seconds=float(event_tolerance_seconds),
        group_by=_choice("group_by", group_by, GROUP_BY),
        allow_outside_links=bool(allow_outside_links),
        aliases=aliases,
    )
    if not o.root.is_dir():
        raise FileNotFoundError(f"CCTV dataset root {o.root} is not a directory")
    pairs = _pairs(o, checked_suffix("video_suffix", video_suffix), checked_suffix("xml_suffix", xml_suffix))
    if not pairs and policy.skipped == 0:
        raise FileNotFoundError(f"no {video_suffix} video with its {xml_suffix} annotation under {o.root}")
    clips = []
    for pair in _spread(pairs, max_videos, policy):
        try:
            clip = _read_video(pair, o)
        except BadInputError as err:
            policy.handle(err)
            continue
        if clip is not None:
            clips.append(clip)
    _count(clips, policy)
    return clips
