"""Bad-input corpus: the multimodal video reader (``clip_<N>/clip_<N>.json`` + ``clip_<N>.mp4``).

The twin: 3 clips of 5 s at 5 fps (25 frames), 64 x 48, 2-3 speaking turns each. Units are clips; a
bad turn or box drops only itself (the clip stays: ``dropped=0``). The reader runs with
``multimodal_turns.yaml``'s options (``verify_videos: header``). Faults break ``clip_1`` unless a
fault says otherwise.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from omegaconf import OmegaConf

import aihub_bench.configs
from aihub_bench.datasets.multimodal import read_multimodal
from aihub_bench.datasets.multimodal.synth import write_synthetic_multimodal
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome
from bad_input.sidewalk import _bytes, _link_out, _truncate

DATASET = "multimodal"
FPS, WIDTH, HEIGHT, FRAMES = 5, 64, 48, 25


def _reader_options() -> dict[str, Any]:
    config = Path(aihub_bench.configs.__file__).parent / "dataset" / "multimodal_turns.yaml"
    reader = OmegaConf.load(config).reader
    return {str(k): v for k, v in OmegaConf.to_container(reader).items() if not str(k).startswith("_")}  # type: ignore[union-attr]


OPTIONS = _reader_options()


def write_twin(root: Path) -> None:
    write_synthetic_multimodal(
        root, clips=3, seconds=FRAMES / FPS, fps=FPS, frame_size=[HEIGHT, WIDTH], turns_per_clip=[2, 3]
    )


def read(root: Path, on_error: str, **options: Any) -> Outcome:
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    clips = read_multimodal(root, policy, **{**OPTIONS, **options})
    return Outcome(len(clips), policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _json(root: Path) -> Path:
    return root / "clip_1" / "clip_1.json"


def _video(root: Path) -> Path:
    return root / "clip_1" / "clip_1.mp4"


def _clip_folder(root: Path) -> Path:
    return root / "clip_1"


def _delete(target: Callable[[Path], Path]) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = target(root)
        path.unlink()
        return path

    return apply


def _edit(change: Callable[[Any], Any]) -> Callable[[Path], Path]:
    """Load clip_1's JSON, let ``change`` edit it in place (or return a replacement), write it back."""

    def apply(root: Path) -> Path:
        path = _json(root)
        doc = json.loads(path.read_text(encoding="utf-8"))
        replaced = change(doc)
        text = json.dumps(doc if replaced is None else replaced, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        return path

    return apply


def _entries(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every object entry of every frame, in frame order."""
    frames = sorted(doc["data"].items(), key=lambda item: int(item[0]))
    return [e for _, frame in frames for k, e in frame.items() if k != "QA" and isinstance(e, dict)]


def _first_turn(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``text`` dicts of the first speaking turn, on every frame that repeats it."""
    texts = [e["text"] for e in _entries(doc) if "text" in e]
    first = texts[0]
    return [
        t
        for t in texts
        if (t["script_start"], t["script_end"]) == (first["script_start"], first["script_end"])
    ]


def _turn_end_before_start(doc: dict[str, Any]) -> None:
    for text in _first_turn(doc):
        text["script_end"] = int(text["script_start"]) - 2


def _turn_past_the_end(doc: dict[str, Any]) -> None:
    for text in _first_turn(doc):
        text["script_end"] = FRAMES + 10


def _first_person(doc: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in _entries(doc) if e.get("label") == "person")


def _without(key: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        del doc[key]

    return change


def _first_person_with(**fields: Any) -> Callable[[dict[str, Any]], None]:
    """Set fields of the first person entry (frame 0, person 1); a value None removes the field."""

    def change(doc: dict[str, Any]) -> None:
        person = _first_person(doc)
        person.update({k: v for k, v in fields.items() if v is not None})
        for key in (k for k, v in fields.items() if v is None):
            del person[key]

    return change


def _empty_box(doc: dict[str, Any]) -> None:
    person = _first_person(doc)
    person["xbr"] = person["xtl"]


def _video_with_frames(frames: int) -> Callable[[Path], Path]:
    """clip_1's mp4 written again with only ``frames`` frames."""

    def apply(root: Path) -> Path:
        path = _video(root)
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
        for i in range(frames):
            writer.write(np.full((HEIGHT, WIDTH, 3), 40 * i % 256, np.uint8))
        writer.release()
        return path

    return apply


def _second_json_of_the_stem(root: Path) -> Path:
    """``clip_1.JSON`` beside ``clip_1.json``: which one is meant is unknown."""
    twin = _json(root).with_suffix(".JSON")
    shutil.copy(_json(root), twin)
    return twin


def _nested(depth: int) -> Callable[[Path], Path]:
    def apply(root: Path) -> Path:
        path = _json(root)
        path.write_text("[" * depth + "]" * depth, encoding="utf-8")
        return path

    return apply


FAULTS: list[Fault] = [
    Fault("JSON that is a list", "not_a_clip", "the top level is a list", _edit(lambda d: [d])),
    Fault("JSON without data", "not_a_clip", "no 'data' object", _edit(_without("data"))),
    Fault("JSON without nr_frame", "not_a_clip", "no 'nr_frame'", _edit(_without("nr_frame"))),
    Fault("JSON without video_size", "not_a_clip", "no 'video_size'", _edit(_without("video_size"))),
    Fault("nr_frame not a number", "not_a_clip", "nr_frame: 'many' is not a number",
          _edit(lambda d: d.update(nr_frame="many"))),
    Fault("width zero", "not_a_clip", "video_size.width: '0' is not a positive whole number",
          _edit(lambda d: d["video_size"].update(width="0"))),
    Fault("box corner not a number", "not_a_clip", r"frame '\d+', object '\d+', xtl: '12,5' is not a number",
          _edit(_first_person_with(xtl="12,5"))),
    Fault("box missing a corner", "not_a_clip", "the box has no ybr", _edit(_first_person_with(ybr=None))),
    Fault("turn start not a number", "not_a_clip", "text.script_start: 'soon' is not a number",
          _edit(lambda d: _first_turn(d)[0].update(script_start="soon"))),
    Fault("not JSON", "bad_json", "cannot read the JSON", _bytes(b'{"clip_id": "clip_1", "data": {', _json)),
    Fault("not UTF-8", "bad_json", "not UTF-8", _bytes('{"situation": "식당"}'.encode("euc-kr"), _json)),
    Fault("integer out of range", "bad_json", "out of range", _bytes(b'{"nr_frame": ' + b"9" * 40 + b"}", _json)),
    Fault("nested too deep", "bad_json", "recursion limit", _nested(100_000)),
    Fault("turn end before its start", "bad_turn_range", "the end precedes the start",
          _edit(_turn_end_before_start), dropped=0),
    Fault("turn past nr_frame", "turn_out_of_range", "past the video's 25 frames", _edit(_turn_past_the_end), dropped=0),
    Fault("box outside the frame", "bad_box", r"lies 56 px outside the 64x48 frame",
          _edit(_first_person_with(xbr="120.00")), dropped=0),
    Fault("box with x2 <= x1", "bad_box", "x2 <= x1",
          _edit(_empty_box), dropped=0),
    Fault("clip without its mp4", "missing_video", "has no video beside it", _delete(_video)),
    Fault("mp4 without its JSON", "missing_annotation", "no annotation beside it", _delete(_json)),
    Fault("two JSONs of one stem", "ambiguous_file", "two files of one stem", _second_json_of_the_stem),
    Fault("mp4 shorter than nr_frame", "video_too_short", "the video has 10 frames, but clip_1.json says nr_frame 25",
          _video_with_frames(10)),
    Fault("text file named .mp4", "unreadable_video", "cannot open", _bytes(b"this is not a video\n", _video)),
    Fault("empty mp4", "unreadable_video", "cannot open", _bytes(b"", _video)),
    Fault("truncated mp4", "unreadable_video", "cannot open", _truncate(_video, keep=0.5)),
    Fault("JSON linked from outside the root", "link_outside_root", "outside the dataset root", _link_out(_json)),
    Fault("mp4 linked from outside the root", "link_outside_root", "outside the dataset root", _link_out(_video)),
    Fault("clip folder linked outside the root", "link_outside_root", "none of the folder's clips",
          _link_out(_clip_folder)),
]  # fmt: skip
