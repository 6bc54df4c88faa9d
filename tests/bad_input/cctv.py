"""Bad-input corpus: the CCTV reader (``NN.한글(english)/<place dir>/<scene>/<stem>.mp4`` + ``<stem>.xml``).

The twin: assault, swoon and kidnap x 2 takes (indoor x 2 cameras, outdoor x 2) + a second-season
recording of assault's second take by camera 1 = 13 videos of 8 s at 10 fps, 64 x 48. Units are
videos. The reader runs with ``cctv_events.yaml``'s options (``verify_videos: header``). Faults break
the first assault video (``101-1_cam01``) unless a fault says otherwise.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

import aihub_bench.configs
from aihub_bench.datasets.cctv import read_cctv, write_synthetic_cctv
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome
from bad_input.sidewalk import _bytes, _link_out, _truncate

DATASET = "cctv"
SCENE = Path("01.폭행(assult)/insidedoor_01/101-1")
BOMB = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def _reader_options() -> dict[str, Any]:
    reader = OmegaConf.load(Path(aihub_bench.configs.__file__).parent / "dataset" / "cctv_events.yaml").reader
    return {str(k): v for k, v in OmegaConf.to_container(reader).items() if not str(k).startswith("_")}  # type: ignore[union-attr]


OPTIONS = _reader_options()


def write_twin(root: Path) -> None:
    write_synthetic_cctv(
        root,
        events=["assault", "swoon", "kidnap"],
        takes_per_event=2,
        cameras_indoor=2,
        cameras_outdoor=2,
        seconds=8.0,
        frame_size=[64, 48],
        event_seconds=[2.0, 4.0],
    )


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    clips = read_cctv(root, policy, **{**OPTIONS, **options})
    return Outcome(len(clips), policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _video(root: Path) -> Path:
    return _xml(root).with_suffix(".mp4")


def _xml(root: Path) -> Path:
    """The first assault take's camera 1 annotation (its place, light and season are the twin's draw)."""
    return next((root / SCENE).glob("101-1_cam01_*.xml"))


def _delete(target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = target(root)
        path.unlink()
        return path

    return apply


def _edit_xml(old: str, new: str, count: int = 1) -> Callable[[Path], Path]:
    """Replace the regex ``old`` by ``new`` in the first assault XML (``count`` times; 0 = all)."""

    def apply(root: Path) -> Path:
        path = _xml(root)
        text, n = re.subn(old, new, path.read_text(encoding="utf-8"), count=count, flags=re.DOTALL)
        assert n, f"{old!r} not in {path}"
        path.write_text(text, encoding="utf-8")
        return path

    return apply


def _second_file_of_the_stem(root: Path) -> Path:
    """``x.MP4`` beside ``x.mp4``: two videos of one stem."""
    twin = _video(root).with_suffix(".MP4")
    shutil.copy(_video(root), twin)
    return twin


def _scene_folder(root: Path) -> Path:
    return root / SCENE


def _event_past_a_shorter_container(root: Path) -> Path:
    """The header says 30 s (300 frames) and the event starts at 12 s: fine by the header, but the
    mp4 holds 80 frames."""
    _edit_xml(r"<frames>\d+</frames>", "<frames>300</frames>")(root)
    return _edit_xml(r"<starttime>[^<]*</starttime>", "<starttime>00:00:12.0</starttime>")(root)


FAULTS: list[Fault] = [
    Fault("video without its XML", "missing_annotation", "no annotation beside it", _delete(_xml)),
    Fault("XML without its video", "missing_video", "has no video beside it", _delete(_video)),
    Fault("two videos of one stem", "ambiguous_file", "two files of one stem", _second_file_of_the_stem),
    Fault("entity bomb", "unsafe_xml", "unsafe XML",
          _edit_xml(r"(<\?xml[^>]*\?>)", r"\1" + BOMB.replace("\\", "\\\\"))),
    Fault("external entity", "unsafe_xml", "unsafe XML",
          _edit_xml(r"(<\?xml[^>]*\?>)", r'\1<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>')),
    Fault("not well-formed", "bad_xml", "malformed XML", _edit_xml(r"</annotation>", "")),
    Fault("not an annotation", "bad_xml", "expected <annotation>", _edit_xml(r"annotation>", "doc>", count=0)),
    Fault("no fps", "bad_xml", "no frame rate", _edit_xml(r"<fps>[^<]*</fps>", "")),
    Fault("frames not a number", "bad_xml", "<frames>", _edit_xml(r"<frames>\d+</frames>", "<frames>many</frames>")),
    Fault("no event", "unknown_event", "no <event>", _edit_xml(r"<event>.*?</event>", "")),
    Fault("unknown event", "unknown_event", "'picnic'", _edit_xml(r"<eventname>\w+</eventname>", "<eventname>picnic</eventname>")),
    Fault("event start not a time", "bad_xml", "HH:MM:SS", _edit_xml(r"<starttime>[^<]*</starttime>", "<starttime>soon</starttime>")),
    Fault("event after the video", "event_out_of_range", "starts at frame",
          _edit_xml(r"<starttime>[^<]*</starttime>", "<starttime>00:00:09.0</starttime>")),
    Fault("event far past the end", "event_out_of_range", "past the video",
          _edit_xml(r"<duration>00:00:0\d\.\d</duration>\s*</event>", "<duration>00:00:30.0</duration></event>")),
    Fault("event past a shorter container", "event_out_of_range", "starts at frame 120, but the video has 80",
          _event_past_a_shorter_container),
    Fault("action range start after end", "bad_action_range", r"start \d+ > end \d+",
          _edit_xml(r"<start>(\d+)</start>\s*<end>\d+</end>", r"<start>\1</start><end>0</end>"), dropped=0),
    Fault("action range not a number", "bad_action_range", "not frame indices",
          _edit_xml(r"<end>\d+</end>", "<end>later</end>"), dropped=0),
    Fault("keypoint not a number", "bad_keypoint", "keypoint", _edit_xml(r"<x>[^<]*</x>", "<x>left</x>"), dropped=0),
    Fault("truncated mp4", "unreadable_video", "cannot open", _truncate(_video, keep=0.5)),
    Fault("text file named .mp4", "unreadable_video", "cannot open", _bytes(b"this is not a video\n", _video)),
    Fault("empty mp4", "unreadable_video", "cannot open", _bytes(b"", _video)),
    Fault("video linked outside the root", "link_outside_root", "outside the dataset root", _link_out(_video)),
    Fault("XML linked outside the root", "link_outside_root", "outside the dataset root", _link_out(_xml)),
    Fault("scene folder linked outside the root", "link_outside_root", "none of the folder's videos",
          _link_out(_scene_folder), dropped=2),
]  # fmt: skip
