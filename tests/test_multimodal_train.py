"""Multimodal video end to end: the gate's smoke runs (reused when they exist) write every head's
accuracy and macro-F1, the primary head's unprefixed, numbers that agree with the predictions they
write, and no clip crosses splits."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from tests.conftest import smoke_run_config

RUNS = {
    "multimodal_emotion": (("text", "image", "fused"), "fused"),
    "multimodal_intent": (("utterance", "dialogue"), "dialogue"),
    "multimodal_gender_age": (("gender", "age"), "age"),
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
@pytest.mark.parametrize("experiment", sorted(RUNS))
def test_smoke_run_writes_accuracy_and_macro_f1_per_head(
    experiment: str, tmp_path: Path, synth_cache: Path
) -> None:
    heads, primary = RUNS[experiment]
    run = tmp_path / "run"
    metrics = smoke_run_config([f"experiment={experiment}", "debug=smoke"], run, synth_cache)
    assert metrics["train/loss_decreased"] is True
    predictions = _rows(run / "predictions_test.csv")
    for head in heads:
        rows = [r for r in predictions if r["head"] == head]
        assert len(rows) == metrics[f"test/{head}/samples"] > 0
        labels = [r["label"] for r in rows]
        predicted = [r["predicted"] for r in rows]
        assert metrics[f"test/{head}/accuracy"] == pytest.approx(
            np.mean([a == b for a, b in zip(labels, predicted, strict=True)]), abs=1e-6
        )
        present = sorted(set(labels))
        assert metrics[f"test/{head}/macro_f1"] == pytest.approx(
            f1_score(labels, predicted, labels=present, average="macro", zero_division=0), abs=1e-6
        )
        assert (run / f"confusion_test_{head}.png").is_file()
    assert metrics["test/accuracy"] == metrics[f"test/{primary}/accuracy"]
    assert metrics["test/macro_f1"] == metrics[f"test/{primary}/macro_f1"]
    sides = [
        set((run / f"clips_{s}.txt").read_text(encoding="utf-8").split()) for s in ("train", "val", "test")
    ]
    assert all(sides) and not sides[0] & sides[2] and not sides[0] & sides[1] and not sides[1] & sides[2]
