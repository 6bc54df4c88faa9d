"""한국어 글자체 end to end: the gate's OCR smoke runs (reused when they exist) write the metrics and
files the text families promise, and the CER in metrics.json is the one of predictions_test.csv."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jiwer
import pytest

from tests.conftest import smoke_run_config

WORD = ["experiment=ocr_word_crnn", "debug=smoke"]
TIW = ["experiment=ocr_tiw_recognition", "debug=smoke"]
SYLLABLE = ["experiment=ocr_syllable_classification", "debug=smoke"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
@pytest.mark.parametrize("overrides", [WORD, TIW], ids=["word", "tiw"])
def test_recognition_smoke_run_writes_cer_wer_accuracy_and_its_predictions(
    overrides: list[str], tmp_path: Path, synth_cache: Path
) -> None:
    run = tmp_path / "run"
    metrics = smoke_run_config(overrides, run, synth_cache)
    assert metrics["train/loss_decreased"] is True
    for key in ("test/cer", "test/wer", "test/accuracy", "test/jamo_cer"):
        assert key in metrics
    rows = _rows(run / "predictions_test.csv")
    assert len(rows) == metrics["test/samples"]
    # corpus-level CER from the file, by an independent implementation
    expected_cer = jiwer.cer([r["reference"] for r in rows], [r["prediction"] for r in rows])
    assert metrics["test/cer"] == pytest.approx(expected_cer, abs=1e-6)
    exact = sum(r["reference"] == r["prediction"] for r in rows) / len(rows)
    assert metrics["test/accuracy"] == pytest.approx(exact, abs=1e-6)
    vocab = json.loads((run / "vocab.json").read_text(encoding="utf-8"))
    assert vocab["alphabet"] and vocab["blank_id"] == 0


@pytest.mark.slow
def test_syllable_smoke_run_writes_top1_top5_and_its_predictions(tmp_path: Path, synth_cache: Path) -> None:
    run = tmp_path / "run"
    metrics = smoke_run_config(SYLLABLE, run, synth_cache)
    assert metrics["train/loss_decreased"] is True
    assert metrics["test/top1"] <= metrics["test/top5"]
    rows = _rows(run / "predictions_test.csv")
    assert len(rows) == metrics["test/samples"]
    top1 = sum(r["prediction_1"] == r["reference"] for r in rows) / len(rows)
    top5 = sum(r["reference"] in [r[f"prediction_{k}"] for k in range(1, 6)] for r in rows) / len(rows)
    assert metrics["test/top1"] == pytest.approx(top1, abs=1e-6)
    assert metrics["test/top5"] == pytest.approx(top5, abs=1e-6)
    subsets = {k.split("/")[2] for k in metrics if k.startswith("test/subset/")}
    assert subsets == {r["subset"] for r in rows}
