"""멀티모달 영상 — multimodal video: acted conversations (clip JSON + mp4) with per-turn emotion and
intent and per-actor gender and age (docs/datasets/multimodal.md)."""

from typing import Any

from aihub_bench.datasets.multimodal import synth
from aihub_bench.datasets.multimodal.layout import (
    EMOTIONS,
    GENDERS,
    INTENTS,
    KOREAN_NAMES,
    canonical_age,
    canonical_emotion,
    canonical_gender,
    canonical_intent,
    display_name,
)
from aihub_bench.datasets.multimodal.reader import read_multimodal
from aihub_bench.datasets.multimodal.synth import GENERATOR_VERSION, write_synthetic_multimodal
from aihub_bench.datasets.spec import DatasetMetadata, DatasetSpec

#: ``dataset=multimodal_turns`` / ``multimodal_persons``: 120 clips of 12 s at 10 fps, 180 x 320 ([H, W]),
#: 2-3 actors and 5-8 speaking turns each (about 780 turns, 300 actors).
FULL_TWIN: dict[str, Any] = {
    "clips": 120,
    "seconds": 12.0,
    "fps": 10,
    "frame_size": [180, 320],
    "actors": [2, 3],
    "turns_per_clip": [5, 8],
    "text_signal": 0.8,
    "image_signal": 0.8,
    "response_ambiguity": 0.5,
    "seed": 0,
}
#: ``debug=smoke``: 16 clips of 8 s at 10 fps, 90 x 160, 4-6 turns each.
SMOKE_TWIN: dict[str, Any] = {
    **FULL_TWIN,
    "clips": 16,
    "seconds": 8.0,
    "frame_size": [90, 160],
    "turns_per_clip": [4, 6],
}

SPEC = DatasetSpec(
    name="multimodal",
    title="멀티모달 영상 multimodal video (emotion and intent per speaking turn, gender and age per actor)",
    reader=read_multimodal,
    writer=write_synthetic_multimodal,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke=SMOKE_TWIN,
    smoke_samples=SMOKE_TWIN["clips"],  # the reader returns one record per clip
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,  # --samples counts clips
    cli_classes=None,
    unit="clips",
    pattern="*.mp4",
    configs=("multimodal_turns", "multimodal_persons"),
    # the emotion tasks' classes; intents, genders and ages are the layout's and the reader's
    metadata=DatasetMetadata(class_names=EMOTIONS),
    remove_one_file=synth.remove_one_file,
)

__all__ = [
    "EMOTIONS",
    "FULL_TWIN",
    "GENDERS",
    "GENERATOR_VERSION",
    "INTENTS",
    "KOREAN_NAMES",
    "SMOKE_TWIN",
    "SPEC",
    "canonical_age",
    "canonical_emotion",
    "canonical_gender",
    "canonical_intent",
    "display_name",
    "read_multimodal",
    "write_synthetic_multimodal",
]
