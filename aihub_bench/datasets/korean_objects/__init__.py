"""한국형 사물 이미지 — Korean object images: heritage buildings, products and landmarks."""

from aihub_bench.datasets.korean_objects.layout import DOMAINS, ClassFolder, parse_class_folder
from aihub_bench.datasets.korean_objects.reader import read_korean_objects
from aihub_bench.datasets.korean_objects.synth import (
    ensure_synthetic_korean_objects,
    write_synthetic_korean_objects,
)

__all__ = [
    "DOMAINS",
    "ClassFolder",
    "ensure_synthetic_korean_objects",
    "parse_class_folder",
    "read_korean_objects",
    "write_synthetic_korean_objects",
]
