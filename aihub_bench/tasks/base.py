"""The task-family contract: what each family of tasks says once about itself.

A family (detection, classification, keypoints, translation, and later segmentation, text
recognition, ...) is one :class:`TaskFamily` value, declared next to its LightningModule. Every
task class derives from :class:`FamilyTask` and sets ``family``; it implements

- ``training_loss(batch)``: the loss of one training batch, the one function both Lightning's
  ``training_step`` and the benchmark's plain PyTorch loop call;
- ``batch_units(batch)``: what one batch counts (``family.unit``: images, cases, tokens, clips).

``aihub-bench bench``, ``report`` and ``regress`` and the tests read these; none keeps a table of
task class names. Report columns are plain data (:class:`ReportColumn`), read by ``report.py``, so
this module depends on nothing but torch and Lightning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pytorch_lightning as pl
import torch
from lightning_fabric.utilities.data import AttributeDict

# How a report cell is made from a run's metrics:
#   value KEY          the number
#   value_ci KEY       the number and its KEY_ci_low / KEY_ci_high
#   mean_std PREFIX    PREFIX_mean ± PREFIX_std (cross-validation)
#   ci PREFIX          [PREFIX_low, PREFIX_high]
#   change A B         A → B (e.g. BLEU before → after, loss first → last)
#   flag KEY           yes / no
#   folds              the number of folds (cross-validation runs)
CellKind = Literal["value", "value_ci", "mean_std", "ci", "change", "flag", "folds"]


@dataclass(frozen=True)
class CellSource:
    """One way to fill a report cell: ``kind`` applied to ``keys`` (see ``CellKind``)."""

    kind: CellKind
    keys: tuple[str, ...] = ()
    digits: int | None = None  # None: 3 decimals up to 1, else 2


@dataclass(frozen=True)
class ReportColumn:
    """A column of a family's report table; the first source a run has fills its cell."""

    title: str
    sources: tuple[CellSource, ...]
    csv: str = ""  # stem of the CSV column(s); the title when empty


@dataclass(frozen=True)
class TaskFamily:
    """What a task family is, said once.

    ``headline`` are the metrics printed at the end of a run and gated first by ``regress``;
    ``report_columns`` the paper-style table of ``aihub-bench report``; ``report_note`` is printed
    under the table when a row is a cross-validation run (``note_for_cv``) or always;
    ``signatures`` are (label, metric key) pairs listed under the table (sacreBLEU signatures).
    """

    name: str
    title: str
    unit: str
    headline: tuple[str, ...]
    report_columns: tuple[ReportColumn, ...] = ()
    report_note: str = ""
    note_for_cv: bool = False
    signatures: tuple[tuple[str, str], ...] = ()


def value(key: str, digits: int | None = None) -> CellSource:
    return CellSource("value", (key,), digits)


def value_ci(key: str) -> CellSource:
    return CellSource("value_ci", (key,))


def mean_std(prefix: str) -> CellSource:
    return CellSource("mean_std", (prefix,))


def ci(prefix: str) -> CellSource:
    return CellSource("ci", (prefix,))


def change(first: str, last: str, digits: int | None = None) -> CellSource:
    return CellSource("change", (first, last), digits)


def flag(key: str) -> CellSource:
    return CellSource("flag", (key,))


FOLDS = CellSource("folds")


def loss_columns() -> tuple[ReportColumn, ReportColumn]:
    """The two columns of the ``LossCurve`` callback's keys: the train loss first → last, and whether
    it fell (the check of families with no held-out score that tells learning from noise alone)."""
    return (
        ReportColumn(
            "train loss first → last", (change("train/loss_first", "train/loss_last"),), "train loss"
        ),
        ReportColumn("loss decreased", (flag("train/loss_decreased"),)),
    )


def class_weight_tensor(
    class_weights: Sequence[float] | None, class_names: Sequence[str]
) -> torch.Tensor | None:
    """``model.class_weights`` as a float tensor (one weight per class), or ``None`` when unset."""
    if class_weights is None:
        return None
    if len(class_weights) != len(class_names):
        raise ValueError(
            f"model.class_weights has {len(class_weights)} values for {len(class_names)} classes"
        )
    return torch.tensor([float(w) for w in class_weights], dtype=torch.float32)


class FamilyTask(pl.LightningModule):
    """Base of every task: the family it belongs to and its training loss on a batch."""

    family: ClassVar[TaskFamily]
    optimizer_factory: Callable[..., torch.optim.Optimizer]

    @property
    def hparams(self) -> AttributeDict:
        """``save_hyperparameters``' values as attributes (Lightning types them as any mapping)."""
        hparams = super().hparams
        assert isinstance(hparams, AttributeDict)
        return hparams

    @property
    def datamodule(self) -> Any:
        """The trainer's datamodule (Lightning sets ``trainer.datamodule`` at run time, undeclared)."""
        return self.trainer.datamodule  # type: ignore[attr-defined]

    def training_loss(self, batch: Any) -> torch.Tensor:
        """The loss of one training batch (no logging): what ``training_step`` optimises."""
        raise NotImplementedError(f"{type(self).__name__} does not define training_loss")

    def batch_units(self, batch: Any) -> int | torch.Tensor:
        """How many ``family.unit`` one batch holds; a tensor may be returned to avoid a device sync."""
        raise NotImplementedError(f"{type(self).__name__} does not define batch_units")

    def logged_training_loss(self, batch: Any, batch_size: int) -> torch.Tensor:
        """``training_loss(batch)``, logged as ``train/loss`` per step and epoch (``batch_size``
        samples); a non-finite loss stops the run at once instead of corrupting the weights."""
        loss = self.training_loss(batch)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite training loss at step {self.global_step}")
        self.log("train/loss", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=batch_size)
        return loss


def family_of_class(task_class: type) -> TaskFamily:
    """The family a task class declares, or a ``TypeError`` naming the class."""
    family = getattr(task_class, "family", None)
    if not isinstance(family, TaskFamily):
        raise TypeError(
            f"{task_class.__module__}.{task_class.__qualname__} declares no task family: derive it from "
            "aihub_bench.tasks.base.FamilyTask and set `family` (see docs/adding_a_dataset.md)"
        )
    return family
