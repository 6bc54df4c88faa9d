"""The evaluator interface: reset → process(batch, outputs) → evaluate() → metrics; write(run_dir).

One evaluator per task family (detectron2's ``DatasetEvaluator``, MONAI's ``Cumulative`` are the
models). A subclass stores per-sample results as plain Python/NumPy values in :meth:`process`
(via :meth:`add`), turns the gathered list into metrics in :meth:`compute`, and writes its
artefacts in :meth:`write`. Gathering across DDP ranks happens once per :meth:`evaluate`, here in
the base, so every rank calls the collective the same number of times whatever it processed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from aihub_bench import distributed

Metrics = dict[str, Any]  # metric name -> float (or str, e.g. a sacreBLEU signature)


class Evaluator:
    """Accumulates one epoch's per-sample results; metrics are computed on every rank's results.

    ``interleave`` restores the dataset order of the gathered items (set it when there is one
    item per sample and their order matters, e.g. translations written line by line).
    """

    interleave: ClassVar[bool] = False

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything processed and evaluated."""
        self._items: list[Any] = []
        self.gathered: list[Any] = []
        self.metrics: Metrics = {}

    def add(self, *items: Any) -> None:
        """Store per-sample results (plain values: they are pickled to other ranks)."""
        self._items.extend(items)

    def process(self, batch: Any, outputs: Any) -> None:
        """Store the results of one batch (``outputs`` are the model's, for ``batch``)."""
        raise NotImplementedError(f"{type(self).__name__} does not define process")

    def compute(self, items: list[Any]) -> Metrics:
        """Metrics of the gathered ``items`` (never empty)."""
        raise NotImplementedError(f"{type(self).__name__} does not define compute")

    def evaluate(self) -> Metrics:
        """Gather every rank's items (a collective: all ranks call it), then compute the metrics.

        Returns ``{}`` when no rank processed anything.
        """
        self.gathered = distributed.gather_lists(self._items, interleave=self.interleave)
        self.metrics = self.compute(self.gathered) if self.gathered else {}
        return dict(self.metrics)

    def write(self, run_dir: Path) -> list[Path]:
        """Write the artefacts of the last :meth:`evaluate` into ``run_dir``; the paths written."""
        return []
