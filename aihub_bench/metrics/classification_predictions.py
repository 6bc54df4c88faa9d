"""Scores of binary diagnosis, one row per case and one per view: in memory and as ``predictions_test.csv``.

A case row (``level`` ``case``) holds the case's score; an image row (``level`` ``image``, ``id``
``<case>/<view>``) one present view's. ``group`` is the patient: patient-level scores aggregate a
patient's cases (:func:`~aihub_bench.metrics.clinical.aggregate_by_group`).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aihub_bench.metrics.clinical import aggregate_by_group

LEVELS = ("patient", "image")
PREDICTION_FIELDS = ("level", "id", "group", "view", "label", "score")


def prediction_rows(
    batch: Mapping[str, Any], views: Sequence[str], case_prob: torch.Tensor, view_prob: torch.Tensor
) -> list[dict[str, Any]]:
    """The rows of one batch: each case, then each of its present views."""
    mask = batch["view_mask"].cpu()
    view_labels = batch["view_labels"].cpu()
    rows: list[dict[str, Any]] = []
    for b, (case_id, group) in enumerate(zip(batch["case_id"], batch["group"], strict=True)):
        rows.append(
            {
                "level": "case",
                "id": case_id,
                "group": group,
                "view": "",
                "label": int(batch["label"][b]),
                "score": float(case_prob[b]),
            }
        )
        for v, view in enumerate(views):
            if mask[b, v]:
                rows.append(
                    {
                        "level": "image",
                        "id": f"{case_id}/{view}",
                        "group": group,
                        "view": view,
                        "label": int(view_labels[b, v]),
                        "score": float(view_prob[b, v]),
                    }
                )
    return rows


class Predictions:
    """Prediction rows (see the module docstring), scored per level."""

    def __init__(self, rows: Sequence[dict[str, Any]] = ()) -> None:
        self.rows: list[dict[str, Any]] = list(rows)

    def level(self, level: str, how: str = "max") -> tuple[np.ndarray, np.ndarray]:
        """``(labels, scores)``: ``image`` rows, or cases aggregated per ``patient`` (group)."""
        if level == "image":
            rows = [r for r in self.rows if r["level"] == "image"]
            return np.array([r["label"] for r in rows]), np.array([r["score"] for r in rows])
        rows = [r for r in self.rows if r["level"] == "case"]
        _, labels, scores = aggregate_by_group(
            [r["group"] for r in rows], [r["label"] for r in rows], [r["score"] for r in rows], how
        )
        return labels, scores

    def write_csv(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=PREDICTION_FIELDS)
            writer.writeheader()
            writer.writerows(self.rows)


def read_predictions_csv(path: Path) -> Predictions:
    """A :class:`Predictions` back from ``predictions_test.csv``."""
    predictions = Predictions()
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            predictions.rows.append({**row, "label": int(row["label"]), "score": float(row["score"])})
    return predictions


def has_both_classes(labels: np.ndarray) -> bool:
    return len(np.unique(labels)) == 2
