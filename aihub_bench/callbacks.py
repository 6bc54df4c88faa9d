"""Callbacks of our own (Lightning's stock ones are configured in configs/callbacks/).

:class:`LossCurve` is the check the AI Hub builders ran on their data: train a model and confirm that
the loss falls epoch by epoch. It records the mean train loss and the val loss of every epoch and
writes ``loss_curve.csv`` and ``loss_curve.png`` to the run directory; the pipeline adds
``train/loss_first``, ``train/loss_last`` and ``train/loss_decreased`` to ``metrics.json``.
"""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from aihub_bench.fonts import use_korean_font

log = logging.getLogger(__name__)


def _value(metrics: dict[str, Any], key: str) -> float:
    value = metrics.get(key)
    if value is None:
        return math.nan
    return float(value.item() if isinstance(value, torch.Tensor) else value)


class LossCurve(pl.Callback):
    """Per-epoch train / val loss, as a CSV and a PNG in the run directory.

    ``train_key`` is the epoch mean Lightning computes for a loss logged with ``on_epoch=True``;
    ``val_key`` the val loss (epochs without validation, or tasks without a val loss, get NaN).
    """

    def __init__(
        self, train_key: str = "train/loss_epoch", val_key: str = "val/loss", file_stem: str = "loss_curve"
    ) -> None:
        self.train_key, self.val_key, self.file_stem = train_key, val_key, file_stem
        self.rows: list[dict[str, float]] = []
        self._validated = False

    def state_dict(self) -> dict[str, Any]:
        """Saved in checkpoints, so a resumed run's curve keeps the epochs before the break."""
        return {"rows": [dict(r) for r in self.rows]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rows = [dict(r) for r in state_dict.get("rows", [])]

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            self._validated = True

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = trainer.callback_metrics
        val = _value(metrics, self.val_key) if self._validated else math.nan
        self._validated = False
        self.rows.append(
            {"epoch": trainer.current_epoch, "train_loss": _value(metrics, self.train_key), "val_loss": val}
        )

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not (trainer.is_global_zero and trainer.default_root_dir and self.rows):
            return
        run_dir = Path(trainer.default_root_dir)
        self.write_csv(run_dir / f"{self.file_stem}.csv")
        self.plot(run_dir / f"{self.file_stem}.png")
        summary = self.summary_metrics()
        log.info(
            "Train loss %.4g -> %.4g over %d epochs (decreased: %s)",
            summary.get("train/loss_first", math.nan),
            summary.get("train/loss_last", math.nan),
            len(self.rows),
            summary.get("train/loss_decreased"),
        )

    def summary_metrics(self) -> dict[str, float | bool]:
        """``train/loss_first``, ``train/loss_last`` and ``train/loss_decreased`` (last epoch's mean
        train loss below the first's); empty before any epoch with a finite train loss."""
        losses = [r["train_loss"] for r in self.rows if math.isfinite(r["train_loss"])]
        if not losses:
            return {}
        return {
            "train/loss_first": losses[0],
            "train/loss_last": losses[-1],
            "train/loss_decreased": bool(len(losses) > 1 and losses[-1] < losses[0]),
        }

    def write_csv(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["epoch", "train_loss", "val_loss"])
            writer.writeheader()
            for row in self.rows:
                writer.writerow(
                    {k: "" if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
                )

    def plot(self, path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        use_korean_font()

        epochs = [r["epoch"] + 1 for r in self.rows]
        fig, ax = plt.subplots(figsize=(5, 3.5), dpi=120)
        ax.plot(epochs, [r["train_loss"] for r in self.rows], marker="o", label="train")
        if any(math.isfinite(r["val_loss"]) for r in self.rows):
            ax.plot(epochs, [r["val_loss"] for r in self.rows], marker="s", label="val")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title("Loss per epoch")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
