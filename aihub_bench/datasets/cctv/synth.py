"""The synthetic 이상행동 CCTV twin: short low-resolution mp4s + XMLs in the release's exact layout.

Per event, ``takes_per_event`` staged takes alternate indoor (``cameras_indoor`` cameras) and outdoor
(``cameras_outdoor``); every camera films the same take from its own viewpoint (shifted, scaled and
for some mirrored). Stick figures (head, torso, limbs; 0.36-0.48 of the frame high) stand on a
background per place (two rooms, two streets; place, light and season drawn per take, so none of
them stands for an event; night darker and noisier). Outside the event window 1–3 people walk across
the scene and back; inside it the event's actors perform the event's motion, which repeats at least
every 1.6 s so any 8-frame window at 5 fps shows it:

=========  =================================================================================
assault    one figure punching a second, passive one who cowers and recoils
fight      two figures punching each other in turn while moving back and forth together
burglary   a figure reaching into a shelf again and again, carrying items to a growing pile
vandalism  a figure kicking an object that shakes, shrinks and sheds pieces that stay
swoon      a figure totters, falls to horizontal and lies still
wander     a slow figure meandering back and forth, weaving in depth
trespass   a figure climbing over a fence, back and forth
dump       a slow walker dropping bags that stay on the ground
robbery    a runner grabs the item another figure holds and runs off; the victim reaches after
datefight  two figures of different size pushing and pulling each other
kidnap     a figure dragging a horizontal second figure quickly toward the edge
drunken    a tottering zigzag walk with a swaying torso, arms out
=========  =================================================================================

The XML holds the real schema with the release's quirks, all deterministic: the ``01.폭행(assult)``
folder and ``assult`` in some stems, digit suffixes (``assault01``), some headers whose ``time``
disagrees with the name's day/night (the header is what is drawn), fps written ``10`` or ``10.0``,
consecutive action ranges that share a boundary frame (or touch), a keyframe that is not the first
action's start, action names with spaces (``stop and go``, ``pick up``), and some takes filmed again
in another season by camera 1 (one take id across seasons). Same arguments, same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from aihub_bench.datasets.cctv.layout import EVENT_FOLDERS, EVENTS, canonical_event, video_stem
from aihub_bench.datasets.cctv.render import BGR, Drawable, Figure, View, background, draw, walk_pose
from aihub_bench.datasets.cctv.stages import STAGES, Look, event_actions
from aihub_bench.datasets.cctv.xml import XmlObject, format_time, seconds_to_frame, write_cctv_xml
from aihub_bench.datasets.spec import writer_arguments

GENERATOR_VERSION = 2  # bump when the output changes, so cached twins are regenerated
SEASONS = ("spring", "summer", "autumn", "winter")
WEATHERS = ("sunny", "cloudy", "rainy")
NOISE_FRAMES = 8  # a per-video bank of noise frames, cycled
PALETTE: tuple[BGR, ...] = (
    (40, 40, 230), (235, 90, 40), (40, 190, 40), (20, 200, 240), (220, 60, 220),
    (230, 220, 40), (30, 130, 250), (250, 250, 250),
)  # fmt: skip
PLACES = 2  # indoor places (place01, place02) and outdoor ones (place11, place12)
WALK_SPAN = 0.84  # walkers pace this part of the scene's width
NIGHT_FIGURES = 0.8  # figures and props at night: dimmed, but far less than the background


# ---------------------------------------------------------------------------------------- options


@dataclass(frozen=True)
class _Options:
    events: tuple[str, ...]
    takes_per_event: int
    cameras_indoor: int
    cameras_outdoor: int
    seconds: float
    fps: int
    size: tuple[int, int]  # (width, height)
    event_seconds: tuple[float, float]
    seed: int

    @property
    def frames(self) -> int:
        return seconds_to_frame(self.seconds, self.fps)


def _int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)


def _options(
    events: Sequence[str] | None,
    takes_per_event: int,
    cameras_indoor: int,
    cameras_outdoor: int,
    seconds: float,
    fps: int,
    frame_size: Sequence[int],
    event_seconds: Sequence[float],
    seed: int,
) -> _Options:
    """Validate the writer's arguments."""
    names = list(EVENTS) if events is None else list(events)
    chosen = [canonical_event(str(e)) for e in names]
    if not chosen or None in chosen or len(set(chosen)) != len(chosen):
        raise ValueError(f"events must be distinct names from {list(EVENTS)}, got {names!r}")
    if len(frame_size) != 2:
        raise ValueError(f"frame_size must be [width, height], got {frame_size!r}")
    width, height = (_int("frame_size", v, 32, 3840) for v in frame_size)
    if width % 2 or height % 2:
        raise ValueError(f"frame_size must be even for mp4 videos, got {list(frame_size)}")
    if len(event_seconds) != 2 or not 2.0 <= float(event_seconds[0]) <= float(event_seconds[1]):
        raise ValueError(f"event_seconds must be [min, max] with 2 <= min <= max, got {event_seconds!r}")
    low, high = float(event_seconds[0]), float(event_seconds[1])
    if float(seconds) < high + 2.0:
        raise ValueError(f"seconds ({seconds}) must exceed the longest event ({high} s) by 2 s")
    return _Options(
        events=tuple(c for c in chosen if c is not None),
        takes_per_event=_int("takes_per_event", takes_per_event, 1, 99),
        cameras_indoor=_int("cameras_indoor", cameras_indoor, 1, 9),
        cameras_outdoor=_int("cameras_outdoor", cameras_outdoor, 1, 9),
        seconds=float(seconds),
        fps=_int("fps", fps, 2, 60),
        size=(width, height),
        event_seconds=(low, high),
        seed=_int("seed", seed, 0, 2**31 - 1),
    )


# ---------------------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class _Recording:
    """One staged take filmed once (all its cameras at the same time)."""

    event: str
    take_index: int
    scene: str  # the take id, e.g. 101-3
    indoor: bool
    place_dir: str  # insidedoor_01 | inside_croki_02 | outsidedoor_01
    place: int
    season: str
    night: bool
    weather: str
    cameras: tuple[int, ...]
    reshoot: int  # 0 the take's first recording, 1 the one in another season


def _plan(o: _Options) -> list[_Recording]:
    recordings = []
    for event in o.events:
        e = EVENTS.index(event)
        for t in range(o.takes_per_event):
            indoor = t % 2 == 0
            cameras = o.cameras_indoor if indoor else o.cameras_outdoor
            kind = ("inside_croki" if t % 4 == 2 else "insidedoor") if indoor else "outsidedoor"
            # place, light and season drawn for the take: none of them stands for an event
            draw = np.random.default_rng([o.seed, e, t, 5])
            first = _Recording(
                event=event,
                take_index=t,
                scene=f"{e + 1}{t + 1:02d}-{t % 3 + 1}",
                indoor=indoor,
                place_dir=f"{kind}_{t // 2 + 1:02d}",
                place=1 + int(draw.integers(PLACES)) + (0 if indoor else 10),
                season=SEASONS[int(draw.integers(len(SEASONS)))],
                night=bool(draw.random() < 1 / 3),
                weather=WEATHERS[int(draw.integers(len(WEATHERS)))],
                cameras=tuple(range(1, cameras + 1)),
                reshoot=0,
            )
            recordings.append(first)
            if e % 2 == 0 and t == o.takes_per_event - 1:  # the same take again, another season
                recordings.append(
                    replace(
                        first,
                        season=SEASONS[(SEASONS.index(first.season) + 2) % 4],
                        night=not first.night,
                        cameras=(1,),
                        reshoot=1,
                    )
                )
    return recordings


def _walkers(rng: np.random.Generator, n: int) -> list[tuple[float, float, int, float, BGR]]:
    """(speed in scene widths per second, depth, direction, phase, colour) of 1-3 walkers."""
    return [
        (float(rng.uniform(0.14, 0.18)), float(rng.uniform(0.1, 0.95)), int(rng.choice((-1, 1))),
         float(rng.uniform(0, 1.2)), PALETTE[int(rng.integers(len(PALETTE)))])
        for _ in range(n)
    ]  # fmt: skip


def _walker_figures(walkers: list[tuple[float, float, int, float, BGR]], t: float) -> list[Drawable]:
    figures: list[Drawable] = []
    for i, (speed, v, direction, phase, color) in enumerate(walkers):
        # across the scene and back, always in view
        travelled = (speed * t + phase + 0.4 * i) % (2 * WALK_SPAN)
        back = travelled > WALK_SPAN
        offset = 2 * WALK_SPAN - travelled if back else travelled
        u = 0.5 + direction * (offset - WALK_SPAN / 2)
        facing = -direction if back else direction
        figures.append(Figure(u, 0.0, v, walk_pose(t + phase, facing, 1.0), color))
    return figures


@dataclass
class _Take:
    """What every camera of one recording films."""

    rec: _Recording
    start: int  # event frames, half-open
    end: int
    start_tenths: int  # the event's start and length in tenths of a second (as the XML writes them)
    length_tenths: int
    look: Look
    walkers: list[tuple[float, float, int, float, BGR]]
    characters: list[str] = field(default_factory=list)


def _stage_take(o: _Options, rec: _Recording) -> _Take:
    rng = np.random.default_rng([o.seed, EVENTS.index(rec.event), rec.take_index, rec.reshoot, 1])
    low, high = (round(10 * s) for s in o.event_seconds)
    length = int(rng.integers(low, high + 1))
    start = int(rng.integers(10, round(10 * o.seconds) - length - 10 + 1))
    colors = rng.choice(len(PALETTE), 2, replace=False)
    look = Look(
        u=float(rng.uniform(0.38, 0.62)),
        v=float(rng.uniform(0.35, 0.75)),
        colors=(PALETTE[int(colors[0])], PALETTE[int(colors[1])]),
        facing=int(rng.choice((-1, 1))),
        prop=tuple(int(c) for c in rng.integers(60, 200, 3)),  # type: ignore[arg-type]
    )
    people = len(event_actions(rec.event, 0, 100, o.fps))
    characters = [f"{'MF'[int(rng.integers(2))]}{int(rng.integers(2, 6)) * 10}" for _ in range(people)]
    first = seconds_to_frame(start / 10, o.fps)
    return _Take(
        rec=rec,
        start=first,
        end=first + seconds_to_frame(length / 10, o.fps),
        start_tenths=start,
        length_tenths=length,
        look=look,
        walkers=_walkers(rng, int(rng.integers(1, 4))),
        characters=characters,
    )


def _view(o: _Options, take: _Take, camera: int) -> View:
    if camera == 1:
        return View(o.size, False, 1.0, (0.0, 0.0))
    rng = np.random.default_rng([o.seed, EVENTS.index(take.rec.event), take.rec.take_index, camera, 2])
    return View(
        o.size,
        mirror=camera % 2 == 0,
        scale=float(rng.uniform(0.82, 1.12)),
        shift=(float(rng.uniform(-0.08, 0.08)), float(rng.uniform(-0.04, 0.04))),
    )


def _write_video(path: Path, o: _Options, take: _Take, view: View, camera: int) -> None:
    rng = np.random.default_rng(
        [o.seed, EVENTS.index(take.rec.event), take.rec.take_index, take.rec.reshoot, camera, 3]
    )
    night = take.rec.night
    scene = background(take.rec.place, take.rec.indoor, view, o.size)
    if night:  # darker and bluish; the noise is stronger too
        scene = (scene.astype(np.int16) * 2 // 5 + np.array([18, 6, 0], np.int16)).astype(np.uint8)
    dim = NIGHT_FIGURES if night else 1.0
    sigma = 7.0 if night else 2.0
    noise = rng.normal(0.0, sigma, (NOISE_FRAMES, o.size[1], o.size[0], 3)).round().astype(np.int16)
    stage = STAGES[take.rec.event]
    duration = (take.end - take.start) / o.fps
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), o.fps, o.size)
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write mp4v video {path}")
    try:
        for j in range(o.frames):
            t = j / o.fps
            img = scene.copy()
            if take.start <= j < take.end:
                items = stage((j - take.start) / o.fps, duration, take.look)
            else:
                items = _walker_figures(take.walkers, t)
            draw(img, view, items, dim)
            writer.write(np.clip(img + noise[j % NOISE_FRAMES], 0, 255).astype(np.uint8))
    finally:
        writer.release()


def _keypoint(o: _Options, take: _Take, view: View, frame: int, person: int) -> tuple[float, float]:
    """Where actor ``person``'s feet are at ``frame`` (stage functions list person_1 first)."""
    items = STAGES[take.rec.event]((frame - take.start) / o.fps, (take.end - take.start) / o.fps, take.look)
    fig = [i for i in items if isinstance(i, Figure)][person]
    x, y, height = view.ground(fig.u, fig.v)
    return round(x + view.sign * fig.dx * height, 1), round(y - fig.lift * height, 1)


def _write_xml(path: Path, o: _Options, take: _Take, view: View, camera: int, stem: str) -> None:
    rec = take.rec
    e = EVENTS.index(rec.event)
    per_person = event_actions(rec.event, take.start, take.end, o.fps)
    objects = []
    for i, actions in enumerate(per_person):
        # the keyframe is the event's start for some, later for others (not the first action's start)
        keyframe = take.start + (0 if (e + i + camera) % 2 else (take.end - take.start) // 2)
        point = _keypoint(o, take, view, keyframe, i)
        objects.append(XmlObject(f"person_{i + 1}", keyframe, point, tuple(actions)))
    fps_text = f"{o.fps}.0" if (e + rec.take_index) % 3 == 2 else str(o.fps)
    header = {
        "duration": format_time(o.seconds),
        "fps": fps_text,
        "frames": str(o.frames),
        "inout": "IN" if rec.indoor else "OUT",
        "location": f"PLACE{rec.place:02d}",
        "season": rec.season.upper(),
        "weather": rec.weather.upper(),
        "time": "NIGHT" if rec.night else "DAY",
        "population": str(len(per_person)),
        "character": ",".join(take.characters),
    }
    write_cctv_xml(
        path,
        folder=rec.scene,
        filename=f"{stem}.mp4",
        size=(o.size[0], o.size[1], 3),
        header=header,
        event_name=rec.event,
        start_seconds=take.start_tenths / 10,
        duration_seconds=take.length_tenths / 10,
        objects=objects,
    )


def _stem(rec: _Recording, camera: int) -> str:
    """The video's stem; for some cameras its day/night disagrees with the header (what is drawn)."""
    e = EVENTS.index(rec.event)
    misnamed = camera == 2 and (e + rec.take_index) % 4 == 1
    night = rec.night != misnamed
    spelled = "assult" if rec.event == "assault" and rec.take_index % 2 else rec.event
    text = f"{spelled}{rec.take_index + 1:02d}"
    return video_stem(rec.scene, camera, text, rec.place, "night" if night else "day", rec.season)


def write_synthetic_cctv(
    out_dir: str | Path,
    *,
    events: Sequence[str] | None = None,
    takes_per_event: int = 8,
    cameras_indoor: int = 3,
    cameras_outdoor: int = 2,
    seconds: float = 16.0,
    fps: int = 10,
    frame_size: Sequence[int] = (320, 180),
    event_seconds: Sequence[float] = (4.0, 8.0),
    seed: int = 0,
) -> Path:
    """Write the CCTV twin under ``out_dir`` (``events`` None = all 12; ``frame_size`` is
    ``[width, height]``) and return it. Same arguments, same bytes."""
    o = _options(events, takes_per_event, cameras_indoor, cameras_outdoor, seconds, fps, frame_size,
                 event_seconds, seed)  # fmt: skip
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    for rec in _plan(o):
        take = _stage_take(o, rec)
        folder = root / EVENT_FOLDERS[rec.event] / rec.place_dir / rec.scene
        for camera in rec.cameras:
            view = _view(o, take, camera)
            stem = _stem(rec, camera)
            _write_video(folder / f"{stem}.mp4", o, take, view, camera)
            _write_xml(folder / f"{stem}.xml", o, take, view, camera, stem)
    return root


# ---------------------------------------------------------------------------------------- spec hooks


def canonical_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The writer's arguments, defaults filled in, validated and in canonical form."""
    given = writer_arguments(write_synthetic_cctv, kwargs)
    o = _options(**given)
    return {
        "events": list(o.events),
        "takes_per_event": o.takes_per_event,
        "cameras_indoor": o.cameras_indoor,
        "cameras_outdoor": o.cameras_outdoor,
        "seconds": o.seconds,
        "fps": o.fps,
        "frame_size": list(o.size),
        "event_seconds": list(o.event_seconds),
        "seed": o.seed,
    }


def videos_in(params: dict[str, Any]) -> int:
    """How many videos a twin of these arguments holds."""
    return sum(len(rec.cameras) for rec in _plan(_options(**canonical_params(params))))


def cli_kwargs(samples: int, classes: str | None) -> dict[str, Any]:
    """``aihub-bench synth cctv``: about ``samples`` videos (``--classes``: comma-separated events)."""
    events = [c.strip() for c in classes.split(",") if c.strip()] if classes else list(EVENTS)
    per_take = videos_in({"events": events, "takes_per_event": 2}) / (2 * len(events))
    return {"events": events, "takes_per_event": max(1, round(samples / (len(events) * per_take)))}


def remove_one_file(root: Path) -> Path:
    """Delete the first video's XML and return its path: the reader names it as missing."""
    xml = min(Path(root).rglob("*.xml"))
    xml.unlink()
    return xml
