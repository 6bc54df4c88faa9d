"""이상행동 CCTV — where the abnormal-behaviour release keeps its files, and what its names mean.

Real layout (shared/FORMATS.md §10; [C] confirmed, [A] assumed and configurable)::

    <root>/<NN.한글(english)>/<insidedoor_NN|outsidedoor_NN|inside_croki_NN>/<scene>/<stem>.mp4   [C]
    <root>/.../<stem>.xml  (beside its mp4)                                                     [C]

e.g. ``01.폭행(assult)/insidedoor_03/24-3/24-3_cam01_assault01_place09_night_winter.mp4``. The stem is
``<scene>_cam<NN>_<event><n>_place<NN>_<day|night>_<season>`` [C]. Only ``01.폭행(assult)`` is a
confirmed folder name; the other eleven are [A] (the reader never relies on them: the label is the
XML's ``<eventname>``, the folder and the stem only cross-check it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

#: The 12 events in FORMATS.md's order (the class order of every CCTV task).
EVENTS: tuple[str, ...] = (
    "assault",
    "fight",
    "burglary",
    "vandalism",
    "swoon",
    "wander",
    "trespass",
    "dump",
    "robbery",
    "datefight",
    "kidnap",
    "drunken",
)

#: Korean names of the events (the folder names' first part).
KOREAN_NAMES: dict[str, str] = {
    "assault": "폭행",
    "fight": "싸움",
    "burglary": "절도",
    "vandalism": "기물파손",
    "swoon": "실신",
    "wander": "배회",
    "trespass": "침입",
    "dump": "투기",
    "robbery": "강도",
    "datefight": "데이트폭력",
    "kidnap": "납치",
    "drunken": "주취행동",
}

#: Event -> its top-level folder: ``01.폭행(assult)`` [C] (the release's spelling), the others [A].
EVENT_FOLDERS: dict[str, str] = {
    event: f"{i:02d}.{KOREAN_NAMES[event]}({'assult' if event == 'assault' else event})"
    for i, event in enumerate(EVENTS, start=1)
}

#: Spellings seen in (or assumed for) the release, besides the canonical names and the Korean ones.
ALIASES: dict[str, str] = {"assult": "assault", **{korean: event for event, korean in KOREAN_NAMES.items()}}

#: Place folders: ``insidedoor_03`` and ``inside_croki_01`` are indoor, ``outsidedoor_02`` outdoor [C].
PLACE_DIR_INOUT: dict[str, str] = {"insidedoor": "indoor", "inside_croki": "indoor", "outsidedoor": "outdoor"}

_PLACE_DIR = re.compile(r"^(?P<kind>insidedoor|outsidedoor|inside_croki)_(?P<number>\d+)$", re.IGNORECASE)
_EVENT_FOLDER = re.compile(r"^\d+\.\s*(?P<korean>[^()]*?)\s*\((?P<english>[^()]*)\)\s*$")
STEM_PATTERN = (
    r"^(?P<scene>[^_]+)_cam(?P<camera>\d+)_(?P<event>[A-Za-z][A-Za-z ]*?)(?P<suffix>\d*)"
    r"_place(?P<place>\d+)_(?P<time>day|night)_(?P<season>[A-Za-z]+)$"
)
_STEM = re.compile(STEM_PATTERN, re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s_\-]+")


def canonical_event(name: str, aliases: Mapping[str, str] | None = None) -> str | None:
    """The canonical event of a name as the release spells it, or None.

    Case, spaces/underscores/hyphens, a digit suffix (``assault01``) and the aliases (``assult``,
    the Korean names, and ``aliases`` given by the user) are forgiven: ``"Date Fight"`` and
    ``"assult01"`` map to ``datefight`` and ``assault``.
    """
    text = _SEPARATORS.sub("", name.strip().lower()).rstrip("0123456789")
    table = {**ALIASES, **{_SEPARATORS.sub("", k.lower()): v for k, v in (aliases or {}).items()}}
    if text in EVENTS:
        return text
    found = table.get(text)
    return found if found in EVENTS else None


def folder_event(folder: str, aliases: Mapping[str, str] | None = None) -> str | None:
    """The event an ``NN.한글(english)`` folder names (English part first, then Korean), or None."""
    match = _EVENT_FOLDER.match(folder)
    if match is None:
        return None
    return canonical_event(match["english"], aliases) or canonical_event(match["korean"], aliases)


def place_dir_inout(folder: str) -> str | None:
    """``indoor`` / ``outdoor`` for a place folder (``insidedoor_03``), None for any other name."""
    match = _PLACE_DIR.match(folder)
    return PLACE_DIR_INOUT[match["kind"].lower()] if match else None


def place_id(number: int | str) -> str:
    """The canonical place id: ``place09`` (stems say ``place09``, headers ``PLACE09``)."""
    return f"place{int(number):02d}"


def camera_id(number: int | str) -> str:
    """The canonical camera id: ``cam01``."""
    return f"cam{int(number):02d}"


@dataclass(frozen=True)
class StemInfo:
    """What a video's file stem says: ``24-3_cam01_assault01_place09_night_winter``."""

    scene: str
    camera: str  # cam01
    event_raw: str  # assault01 (as written)
    event: str | None  # canonical, None if the name is no known event
    place: str  # place09
    time_of_day: str  # day | night
    season: str  # winter (lower case)


def parse_stem(stem: str, aliases: Mapping[str, str] | None = None) -> StemInfo | None:
    """Parse ``<scene>_cam<NN>_<event><n>_place<NN>_<day|night>_<season>``; None if it does not match."""
    match = _STEM.match(stem)
    if match is None:
        return None
    return StemInfo(
        scene=match["scene"],
        camera=camera_id(match["camera"]),
        event_raw=match["event"] + match["suffix"],
        event=canonical_event(match["event"], aliases),
        place=place_id(match["place"]),
        time_of_day=match["time"].lower(),
        season=match["season"].lower(),
    )


def video_stem(scene: str, camera: int, event_text: str, place: int, time_of_day: str, season: str) -> str:
    """The release's stem for these parts (``event_text`` as the twin spells it, e.g. ``assult02``)."""
    return f"{scene}_{camera_id(camera)}_{event_text}_{place_id(place)}_{time_of_day}_{season}"
