"""위해물품 엑스레이 — X-ray hazardous items: layout, reader and synthetic twin (docs/datasets/xray.md)."""

from aihub_bench.datasets.xray.layout import MAKERS, SUBSETS, XRAY_CLASSES, clean_class_name
from aihub_bench.datasets.xray.reader import read_xray
from aihub_bench.datasets.xray.synth import ensure_synthetic_xray, write_synthetic_xray

__all__ = [
    "MAKERS",
    "SUBSETS",
    "XRAY_CLASSES",
    "clean_class_name",
    "ensure_synthetic_xray",
    "read_xray",
    "write_synthetic_xray",
]
