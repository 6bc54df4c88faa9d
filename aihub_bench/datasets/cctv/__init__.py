"""이상행동 CCTV — abnormal-behaviour CCTV: 12 staged events in 4K video with per-video XML
(event window, per-person actions), for event classification and temporal localisation
(docs/datasets/cctv.md)."""

from typing import Any

from aihub_bench.datasets.cctv import synth
from aihub_bench.datasets.cctv.layout import (
    EVENT_FOLDERS,
    EVENTS,
    KOREAN_NAMES,
    StemInfo,
    canonical_event,
    folder_event,
    parse_stem,
    place_dir_inout,
)
from aihub_bench.datasets.cctv.reader import read_cctv
from aihub_bench.datasets.cctv.synth import GENERATOR_VERSION, write_synthetic_cctv
from aihub_bench.datasets.cctv.xml import (
    CctvAnnotation,
    CctvHeader,
    CctvObject,
    read_cctv_xml,
    write_cctv_xml,
)
from aihub_bench.datasets.spec import DatasetMetadata, DatasetSpec

#: ``dataset=cctv_events`` / ``cctv_localization``: 12 events x 8 takes (4 indoor x 3 cameras, 4 outdoor
#: x 2, and a second-season recording of one take of every other event) = 246 videos of 16 s at 10 fps,
#: 320 x 180 (many short takes: with few takes per event a model learns the takes, not the events).
FULL_TWIN: dict[str, Any] = {
    "events": list(EVENTS),
    "takes_per_event": 8,
    "cameras_indoor": 3,
    "cameras_outdoor": 2,
    "seconds": 16.0,
    "fps": 10,
    "frame_size": [320, 180],
    "event_seconds": [4.0, 8.0],
    "seed": 0,
}
#: ``debug=smoke``: 12 events x 2 takes x 2 cameras (+ 6 second-season recordings) = 54 videos of
#: 12 s at 10 fps, 160 x 90.
SMOKE_TWIN: dict[str, Any] = {
    **FULL_TWIN,
    "takes_per_event": 2,
    "cameras_indoor": 2,
    "cameras_outdoor": 2,
    "seconds": 12.0,
    "frame_size": [160, 90],
    "event_seconds": [4.0, 6.0],
}

SPEC = DatasetSpec(
    name="cctv",
    title="이상행동 CCTV abnormal-behaviour CCTV (12 events; event classification and temporal localisation)",
    reader=read_cctv,
    writer=write_synthetic_cctv,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke=SMOKE_TWIN,
    smoke_samples=synth.videos_in(SMOKE_TWIN),
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    cli_classes="comma-separated events (default: all 12)",
    unit="videos",
    pattern="*.mp4",
    configs=("cctv_events", "cctv_localization"),
    metadata=DatasetMetadata(class_names=EVENTS),
    remove_one_file=synth.remove_one_file,
)

__all__ = [
    "EVENTS",
    "EVENT_FOLDERS",
    "GENERATOR_VERSION",
    "KOREAN_NAMES",
    "SPEC",
    "CctvAnnotation",
    "CctvHeader",
    "CctvObject",
    "StemInfo",
    "canonical_event",
    "folder_event",
    "parse_stem",
    "place_dir_inout",
    "read_cctv",
    "read_cctv_xml",
    "write_cctv_xml",
    "write_synthetic_cctv",
]
