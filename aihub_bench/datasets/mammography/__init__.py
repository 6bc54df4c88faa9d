"""유방암 진단 영상 — Mammography: layout, reader and synthetic twin (four DICOM views per patient)."""

from aihub_bench.datasets.mammography.layout import (
    CLASS_RANGES,
    FILE_PATTERN,
    METADATA_KEYS,
    VIEW_ALIASES,
    VIEWS,
    class_of,
    parse_file_name,
)
from aihub_bench.datasets.mammography.reader import read_mammography
from aihub_bench.datasets.mammography.synth import (
    GENERATOR_VERSION,
    ensure_synthetic_mammography,
    write_synthetic_mammography,
)

__all__ = [
    "CLASS_RANGES",
    "FILE_PATTERN",
    "GENERATOR_VERSION",
    "METADATA_KEYS",
    "VIEWS",
    "VIEW_ALIASES",
    "class_of",
    "ensure_synthetic_mammography",
    "parse_file_name",
    "read_mammography",
    "write_synthetic_mammography",
]
