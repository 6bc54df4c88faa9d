"""The Lightning side of evaluation, the same for every task family.

A task builds its family's :class:`~aihub_bench.metrics.evaluator.Evaluator` at the start of each
val/test epoch (:meth:`EvaluatingTask.make_evaluator`) and feeds it in its ``validation_step`` /
``test_step``. At the end of the epoch every rank evaluates (one gather, in the evaluator), logs the
numbers under ``<split>/``, keeps the test's strings (e.g. sacreBLEU signatures) for
``metrics.json`` and, on rank 0, writes the test artefacts into the run directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aihub_bench.metrics.evaluator import Evaluator
from aihub_bench.tasks.base import FamilyTask


class EvaluatingTask(FamilyTask):
    """A task whose val/test epochs go through an evaluator."""

    evaluator: Evaluator

    def make_evaluator(self, split: str) -> Evaluator:
        """The evaluator of one ``val`` or ``test`` epoch (``self.trainer.datamodule`` is set up)."""
        raise NotImplementedError(f"{type(self).__name__} does not define make_evaluator")

    def summary_metrics(self) -> dict[str, Any]:
        """The last test's string results (``test/<key>``), for ``metrics.json``."""
        return dict(getattr(self, "_test_strings", {}))

    def on_validation_epoch_start(self) -> None:
        self.evaluator = self.make_evaluator("val")

    def on_test_epoch_start(self) -> None:
        self.evaluator = self.make_evaluator("test")

    def on_validation_epoch_end(self) -> None:
        self._end_evaluation("val")

    def on_test_epoch_end(self) -> None:
        self._end_evaluation("test")

    def _end_evaluation(self, split: str) -> None:
        # the sanity check is the same on every rank, so skipping the gather there is safe
        if self.trainer.sanity_checking:
            return
        metrics = self.evaluator.evaluate()
        numbers = {f"{split}/{k}": v for k, v in metrics.items() if not isinstance(v, str)}
        if numbers:
            self.log_dict(numbers, sync_dist=False)  # every rank computed them on all ranks' results
        if split != "test":
            return
        strings = {f"{split}/{k}": v for k, v in metrics.items() if isinstance(v, str)}
        if strings:
            self._test_strings = strings
        if self.trainer.is_global_zero and self.trainer.default_root_dir:
            self.evaluator.write(Path(self.trainer.default_root_dir))
