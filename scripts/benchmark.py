"""Benchmark: training throughput, data-loader throughput, peak memory and Lightning's overhead.

    python scripts/benchmark.py dataset=xray_voc model=fasterrcnn model.net.backbone=small --steps 20

The same as ``aihub-bench bench ...`` (see :mod:`aihub_bench.bench` for what is measured).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, when not pip-installed

from aihub_bench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
