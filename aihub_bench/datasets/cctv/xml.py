"""The CCTV release's per-video XML: read with defusedxml (no DTDs, no entities), write as the twin needs.

One file per mp4 (shared/FORMATS.md §10, [C])::

    <annotation>
      <folder/> <filename>24-3_cam01_assault01_place09_night_winter.mp4</filename>
      <size><width>3840</width><height>2160</height><depth>3</depth></size>
      <header><duration>00:05:11.2</duration><fps>30</fps><frames>9336</frames><inout>IN</inout>
        <location>PLACE09</location><season>WINTER</season><weather>SUNNY</weather><time>NIGHT</time>
        <population>2</population><character>F30</character></header>
      <event><eventname>assault</eventname><starttime>00:02:01.5</starttime>
        <duration>00:00:40.0</duration></event>
      <object><objectname>person_1</objectname>
        <position><keyframe>3650</keyframe><keypoint><x>1830</x><y>960</y></keypoint></position>
        <action><actionname>punching</actionname><frame><start>3650</start><end>3702</end></frame>…</action>
      </object>
    </annotation>

Times become frames at the header's fps: ``round(seconds * fps)``; the event is the half-open
``[start, start + round(duration * fps))``. Action ranges are inclusive frame indices; ranges of one
person's action that overlap or share a boundary frame are merged (``merge_touching`` also merges
``next.start == prev.end + 1``). Numbers may be written ``30`` or ``30.0``; whitespace is ignored.

Bad input (kinds): DTD, entity or external reference -> ``unsafe_xml``; not well-formed, not an
``<annotation>``, a field that is not a number, no fps -> ``bad_xml``; no ``<event>`` or an event
name that is no known event -> ``unknown_event``; the whole file is then unusable. A range with
start > end (or negative, or not integers) -> ``bad_action_range`` and a keypoint that is not two
numbers -> ``bad_keypoint`` go through the policy: raised, or dropped and counted (the video stays).
An event past the video's end -> ``event_out_of_range``; an end at most ``event_tolerance_seconds``
past the last frame is clipped (``stats.event_clipped``). Missing optional header fields are counted
(``stats.header_missing/<field>``), as are values that mean nothing (``stats.header_unrecognised/<field>``).
"""

from __future__ import annotations

import dataclasses
import math
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from aihub_bench.datasets.cctv.layout import canonical_event, place_id
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.safe_xml import parse_xml_root
from aihub_bench.records import VideoAction

HEADER_FIELDS = (
    "duration",
    "fps",
    "frames",
    "inout",
    "location",
    "season",
    "weather",
    "time",
    "population",
    "character",
)
_INOUT = {"in": "indoor", "indoor": "indoor", "inside": "indoor", "out": "outdoor", "outdoor": "outdoor",
          "outside": "outdoor"}  # fmt: skip
_TIME_OF_DAY = {"day": "day", "night": "night"}
_PLACE = re.compile(r"^place\s*0*(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class CctvHeader:
    """``<header>``; a field the file does not give is ``None`` / ``""``."""

    duration_seconds: float | None = None
    fps: float | None = None
    frames: int | None = None
    inout: str = ""  # indoor | outdoor
    location: str = ""  # as written, e.g. PLACE09
    place: str = ""  # canonical, e.g. place09
    season: str = ""  # lower case
    weather: str = ""  # lower case
    time_of_day: str = ""  # day | night
    population: int | None = None
    character: str = ""  # as written, e.g. F30


@dataclass(frozen=True)
class CctvKeypoint:
    """One ``<position>``'s keypoint: the frame it marks and the pixel."""

    keyframe: int
    x: float
    y: float


@dataclass(frozen=True)
class CctvObject:
    """One ``<object>``: a person, the keypoints marked for them and their actions (merged ranges)."""

    name: str
    keypoints: tuple[CctvKeypoint, ...]
    actions: tuple[VideoAction, ...]


@dataclass(frozen=True)
class CctvAnnotation:
    """One XML file. ``[event_start, event_end)`` are frames at the header's ``fps``; ``num_frames`` is
    the video length the event was checked against (``None`` when the header gives no length)."""

    path: Path
    folder: str
    filename: str
    width: int
    height: int
    depth: int
    header: CctvHeader
    event_raw: str
    event: str
    event_start: int
    event_end: int
    fps: float
    num_frames: int | None
    objects: tuple[CctvObject, ...]

    @property
    def actions(self) -> tuple[VideoAction, ...]:
        """Every person's actions, in file order."""
        return tuple(action for obj in self.objects for action in obj.actions)

    @property
    def keypoints(self) -> list[tuple[str, int, float, float]]:
        """``(person, keyframe, x, y)`` for every keypoint, in file order."""
        return [(obj.name, k.keyframe, k.x, k.y) for obj in self.objects for k in obj.keypoints]


# ------------------------------------------------------------------------------------------ values


def _text(node: Element | None, tag: str) -> str:
    """The stripped text of ``node/tag`` ('' when absent)."""
    found = node.find(tag) if node is not None else None
    return (found.text or "").strip() if found is not None else ""


def _number(text: str) -> float | None:
    """``30``, `` 30.0 `` -> 30.0; None for anything that is not a finite number."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _integer(text: str) -> int | None:
    """``9336`` or ``9336.0`` -> 9336; None for anything else."""
    value = _number(text)
    return int(value) if value is not None and value.is_integer() else None


def parse_time(text: str) -> float | None:
    """``HH:MM:SS.s`` (also ``MM:SS.s`` and plain seconds) -> seconds; None if it is not a time."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3:
        return None
    values = [_number(p) for p in parts]
    if any(v is None or v < 0 for v in values):
        return None
    seconds = 0.0
    for value in values:
        seconds = seconds * 60 + float(value)  # type: ignore[arg-type]
    return seconds


def format_time(seconds: float) -> str:
    """Seconds as the release writes them: ``311.2`` -> ``00:05:11.2`` (one decimal at least)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{secs:06.3f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return f"{int(hours):02d}:{int(minutes):02d}:{text}"


def seconds_to_frame(seconds: float, fps: float) -> int:
    """The frame index of a time: ``round(seconds * fps)``."""
    return int(round(seconds * fps))


def merge_ranges(
    ranges: Sequence[tuple[int, int]], merge_touching: bool = True
) -> tuple[tuple[tuple[int, int], ...], int]:
    """Sorted inclusive ranges with overlapping ones and ones sharing a boundary frame merged (with
    ``merge_touching`` also ``next.start == prev.end + 1``); and how many merges were made."""
    merged: list[tuple[int, int]] = []
    merges = 0
    gap = 1 if merge_touching else 0
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            merges += 1
        else:
            merged.append((start, end))
    return tuple(merged), merges


# ------------------------------------------------------------------------------------------ reading


def _parse(path: Path) -> Element:
    return parse_xml_root(
        path,
        refusal="a CCTV annotation has no DTD, entities or external references",
        missing_kind="missing_annotation",
        unreadable_kind="bad_xml",
        malformed_kind="bad_xml",
    )


def _read_header(path: Path, node: Element | None, policy: ErrorPolicy) -> CctvHeader:
    raw = {name: _text(node, name) for name in HEADER_FIELDS}
    for name, value in raw.items():
        if not value:
            policy.count(f"header_missing/{name}")

    def numeric(name: str, integral: bool) -> float | int | None:
        if not raw[name]:
            return None
        value = _integer(raw[name]) if integral else _number(raw[name])
        if value is None or value < 0:
            raise BadInputError(path, f"<header><{name}> is {raw[name]!r}, not a number >= 0", "bad_xml")
        return value

    def mapped(name: str, table: Mapping[str, str]) -> str:
        if not raw[name]:
            return ""
        value = table.get(raw[name].lower(), "")
        if not value:
            policy.count(f"header_unrecognised/{name}")
        return value

    duration = parse_time(raw["duration"]) if raw["duration"] else None
    if raw["duration"] and duration is None:
        raise BadInputError(path, f"<header><duration> is {raw['duration']!r}, not HH:MM:SS.s", "bad_xml")
    place = _PLACE.match(raw["location"])
    if raw["location"] and place is None:
        policy.count("header_unrecognised/location")
    population = _integer(raw["population"]) if raw["population"] else None
    if raw["population"] and population is None:
        policy.count("header_unrecognised/population")
    fps = numeric("fps", integral=False)
    frames = numeric("frames", integral=True)
    return CctvHeader(
        duration_seconds=duration,
        fps=float(fps) if fps is not None else None,
        frames=int(frames) if frames is not None else None,
        inout=mapped("inout", _INOUT),
        location=raw["location"],
        place=place_id(place.group(1)) if place else "",
        season=raw["season"].lower(),
        weather=raw["weather"].lower(),
        time_of_day=mapped("time", _TIME_OF_DAY),
        population=population,
        character=raw["character"],
    )


def _read_ranges(
    path: Path, person: str, action: str, node: Element, policy: ErrorPolicy
) -> list[tuple[int, int]]:
    ranges = []
    for i, frame in enumerate(node.findall("frame")):
        start_text, end_text = _text(frame, "start"), _text(frame, "end")
        start, end = _integer(start_text), _integer(end_text)
        where = f"{person} {action!r} range {i + 1}"
        if start is None or end is None or start < 0 or end < 0:
            reason = f"{where}: <start>{start_text}</start> <end>{end_text}</end> are not frame indices >= 0"
        elif start > end:
            reason = f"{where}: start {start} > end {end}"
        else:
            ranges.append((start, end))
            continue
        policy.handle(BadInputError(path, reason, "bad_action_range"))
    return ranges


def _read_keypoints(path: Path, person: str, node: Element, policy: ErrorPolicy) -> list[CctvKeypoint]:
    found = []
    for position in node.findall("position"):
        keyframe = _integer(_text(position, "keyframe"))
        for point in position.findall("keypoint"):
            x, y = _number(_text(point, "x")), _number(_text(point, "y"))
            if keyframe is None or keyframe < 0 or x is None or y is None:
                reason = (
                    f"{person}: keypoint at keyframe {_text(position, 'keyframe')!r} "
                    f"({_text(point, 'x')!r}, {_text(point, 'y')!r}) is not a frame and two numbers"
                )
                policy.handle(BadInputError(path, reason, "bad_keypoint"))
                continue
            found.append(CctvKeypoint(keyframe, x, y))
    return found


def _read_object(
    path: Path, node: Element, index: int, merge_touching: bool, policy: ErrorPolicy
) -> CctvObject:
    name = _text(node, "objectname")
    if not name:
        name = f"object_{index + 1}"
        policy.count("objects_without_name")
    by_action: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for action in node.findall("action"):
        action_name = " ".join(_text(action, "actionname").split()) or "unnamed"
        by_action[action_name] += _read_ranges(path, name, action_name, action, policy)
    actions = []
    for action_name, ranges in by_action.items():
        if not ranges:
            policy.count("actions_without_ranges")
            continue
        merged, merges = merge_ranges(ranges, merge_touching)
        policy.count("action_ranges_merged", merges)
        actions.append(VideoAction(name, action_name, merged))
    return CctvObject(name, tuple(_read_keypoints(path, name, node, policy)), tuple(actions))


def _read_size(path: Path, node: Element | None, policy: ErrorPolicy) -> tuple[int, int, int]:
    values = []
    for tag in ("width", "height", "depth"):
        text = _text(node, tag)
        value = _integer(text) if text else 0
        if not text:
            policy.count(f"size_missing/{tag}")
        elif value is None or value < 0:
            raise BadInputError(path, f"<size><{tag}> is {text!r}, not a whole number of pixels", "bad_xml")
        values.append(value or 0)
    return values[0], values[1], values[2]


def fit_event(
    ann: CctvAnnotation, num_frames: int, tolerance_seconds: float, policy: ErrorPolicy
) -> CctvAnnotation:
    """``ann`` with its event checked against a video of ``num_frames`` frames: an end up to
    ``tolerance_seconds`` past the last frame is clipped (``stats.event_clipped``); an event starting
    after the last frame, or ending further out, is ``event_out_of_range``."""
    start, end = ann.event_start, ann.event_end
    if start >= num_frames:
        raise BadInputError(
            ann.path,
            f"the {ann.event} event starts at frame {start}, but the video has {num_frames} frames",
            "event_out_of_range",
        )
    if end > num_frames:
        over = end - num_frames
        if over > seconds_to_frame(tolerance_seconds, ann.fps):
            raise BadInputError(
                ann.path,
                f"the {ann.event} event [{start}, {end}) ends {over} frames ({over / ann.fps:.1f} s) past the "
                f"video's {num_frames} frames (tolerance {tolerance_seconds} s)",
                "event_out_of_range",
            )
        policy.count("event_clipped")
        end = num_frames
    return dataclasses.replace(ann, event_end=end, num_frames=num_frames)


def read_cctv_xml(
    path: str | Path,
    policy: ErrorPolicy | None = None,
    *,
    merge_touching: bool = True,
    event_tolerance_seconds: float = 1.0,
    aliases: Mapping[str, str] | None = None,
) -> CctvAnnotation:
    """Parse one CCTV XML; raise ``BadInputError`` naming it for anything that makes it unusable.

    ``policy`` (default: raise) decides about bad action ranges and keypoints and receives the
    counts. The header must give the fps (times become frames with it); the event is checked
    against its frame count (else ``round(duration * fps)``) when it gives one.
    """
    path = Path(path)
    policy = policy if policy is not None else ErrorPolicy("raise")
    root = _parse(path)
    if root.tag != "annotation":
        raise BadInputError(path, f"root element is <{root.tag}>, expected <annotation>", "bad_xml")
    header_node = root.find("header")
    if header_node is None:
        policy.count("header_missing")
    header = _read_header(path, header_node, policy)
    fps = header.fps
    if not fps:
        raise BadInputError(path, "no frame rate: <header><fps> is missing or 0", "bad_xml")

    events = root.findall("event")
    if not events:
        raise BadInputError(path, "no <event> element: the video's event is unknown", "unknown_event")
    if len(events) > 1:
        policy.count("events_after_the_first_ignored", len(events) - 1)
    event_raw = _text(events[0], "eventname")
    event = canonical_event(event_raw, aliases)
    if event is None:
        raise BadInputError(path, f"<eventname> {event_raw!r} is not one of the 12 events", "unknown_event")
    start_text, duration_text = _text(events[0], "starttime"), _text(events[0], "duration")
    start_s, duration_s = parse_time(start_text), parse_time(duration_text)
    if start_s is None or duration_s is None:
        raise BadInputError(
            path,
            f"event <starttime> {start_text!r} / <duration> {duration_text!r} are not HH:MM:SS.s",
            "bad_xml",
        )
    start = seconds_to_frame(start_s, fps)
    length = seconds_to_frame(duration_s, fps)
    if length < 1:
        raise BadInputError(
            path, f"the event lasts {duration_text!r}: less than one frame at {fps} fps", "bad_xml"
        )

    width, height, depth = _read_size(path, root.find("size"), policy)
    objects = tuple(
        _read_object(path, node, i, merge_touching, policy) for i, node in enumerate(root.findall("object"))
    )
    ann = CctvAnnotation(
        path=path,
        folder=_text(root, "folder"),
        filename=_text(root, "filename"),
        width=width,
        height=height,
        depth=depth,
        header=header,
        event_raw=event_raw,
        event=event,
        event_start=start,
        event_end=start + length,
        fps=float(fps),
        num_frames=None,
        objects=objects,
    )
    frames = header.frames
    if frames is None and header.duration_seconds is not None:
        frames = seconds_to_frame(header.duration_seconds, fps)
    return fit_event(ann, frames, event_tolerance_seconds, policy) if frames is not None else ann


# ------------------------------------------------------------------------------------------ writing


@dataclass(frozen=True)
class XmlAction:
    """An ``<action>`` to write: its name and its ranges exactly as given (overlaps and shared
    boundaries included)."""

    name: str
    ranges: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class XmlObject:
    """An ``<object>`` to write: its keypoint at ``keyframe`` and its actions."""

    name: str
    keyframe: int
    keypoint: tuple[float, float]
    actions: tuple[XmlAction, ...]


def _sub(parent: Element, tag: str, text: object | None = None) -> Element:
    node = ET.SubElement(parent, tag)
    if text is not None:
        node.text = str(text)
    return node


def write_cctv_xml(
    path: str | Path,
    *,
    folder: str,
    filename: str,
    size: tuple[int, int, int],
    header: Mapping[str, str],
    event_name: str,
    start_seconds: float,
    duration_seconds: float,
    objects: Sequence[XmlObject],
) -> Path:
    """Write one annotation in the release's schema; ``header`` maps the ``<header>`` field names
    to their text, in ``HEADER_FIELDS`` order (a field left out is not written)."""
    root = ET.Element("annotation")
    _sub(root, "folder", folder)
    _sub(root, "filename", filename)
    size_node = _sub(root, "size")
    for tag, value in zip(("width", "height", "depth"), size, strict=True):
        _sub(size_node, tag, value)
    header_node = _sub(root, "header")
    for name in HEADER_FIELDS:
        if name in header:
            _sub(header_node, name, header[name])
    event = _sub(root, "event")
    _sub(event, "eventname", event_name)
    _sub(event, "starttime", format_time(start_seconds))
    _sub(event, "duration", format_time(duration_seconds))
    for obj in objects:
        node = _sub(root, "object")
        _sub(node, "objectname", obj.name)
        position = _sub(node, "position")
        _sub(position, "keyframe", obj.keyframe)
        keypoint = _sub(position, "keypoint")
        _sub(keypoint, "x", f"{obj.keypoint[0]:g}")
        _sub(keypoint, "y", f"{obj.keypoint[1]:g}")
        for action in obj.actions:
            action_node = _sub(node, "action")
            _sub(action_node, "actionname", action.name)
            for start, end in action.ranges:
                frame = _sub(action_node, "frame")
                _sub(frame, "start", start)
                _sub(frame, "end", end)
    ET.indent(root)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n",
        encoding="utf-8",
    )
    return path
