"""안저 영상 — fundus photographs: layout, reader and synthetic twin (general glaucoma; wide AMD/DMR/RVO)."""

from aihub_bench.datasets.fundus.layout import (
    DEFAULT_FILE_PATTERN,
    DEFAULT_SHEET_COLUMNS,
    TASKS,
    FundusName,
    FundusTask,
    parse_file_name,
)
from aihub_bench.datasets.fundus.reader import read_fundus
from aihub_bench.datasets.fundus.synth import (
    GENERATOR_VERSION,
    ensure_synthetic_fundus,
    write_synthetic_fundus,
)

__all__ = [
    "DEFAULT_FILE_PATTERN",
    "DEFAULT_SHEET_COLUMNS",
    "GENERATOR_VERSION",
    "TASKS",
    "FundusName",
    "FundusTask",
    "ensure_synthetic_fundus",
    "parse_file_name",
    "read_fundus",
    "write_synthetic_fundus",
]
