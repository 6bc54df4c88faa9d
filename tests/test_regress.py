"""The regression gate: expectations parse, verdicts follow the tolerance, and the command fails when
a metric is pushed outside its tolerance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aihub_bench import cli
from aihub_bench.regress import TIERS, Expectation, compare, experiment_names, load_expectations


@pytest.mark.parametrize("experiment", experiment_names())
def test_every_experiment_has_valid_expectations_and_a_smoke_tier(experiment: str) -> None:
    for tier in TIERS:
        load_expectations(experiment, tier)  # raises on a malformed entry
    smoke = load_expectations(experiment, "smoke")
    assert smoke, f"experiment/{experiment}.yaml has no expected.smoke entries, so CI does not gate it"


def _verdict(expectation: Expectation, actual: object) -> str:
    return compare("exp", [expectation], {expectation.metric: actual} if actual is not None else {})[
        0
    ].verdict


def test_verdicts_follow_value_tolerance_and_direction() -> None:
    higher = Expectation("test/bbox_mAP", 0.50, 0.05)
    assert _verdict(higher, 0.47) == "ok"
    assert _verdict(higher, 0.55) == "ok"  # the tolerance is inclusive
    assert _verdict(higher, 0.44) == "REGRESSED"
    assert _verdict(higher, 0.60) == "improved"
    assert _verdict(higher, None) == "missing"
    loss = Expectation("train/loss_last", 1.0, 0.1)  # losses: lower is better
    assert _verdict(loss, 1.2) == "REGRESSED" and _verdict(loss, 0.8) == "improved"
    flipped = Expectation("test/error", 0.2, 0.0, higher_is_better=False)
    assert _verdict(flipped, 0.3) == "REGRESSED"
    flag = Expectation("train/loss_decreased", True)
    assert _verdict(flag, True) == "ok" and _verdict(flag, False) == "REGRESSED"


def test_malformed_entries_name_the_experiment(monkeypatch: pytest.MonkeyPatch) -> None:
    from aihub_bench import regress

    with pytest.raises(ValueError, match="experiment/x.yaml expected.smoke.*'metric' and 'value'"):
        regress._expectation("x", "smoke", {"value": 1})
    with pytest.raises(ValueError, match="tolerance of m must be >= 0"):
        regress._expectation("x", "smoke", {"metric": "m", "value": 1, "tolerance": -1})


def test_gate_passes_on_main_and_fails_when_a_metric_is_pushed_out(tmp_path: Path, synth_cache: Path) -> None:
    out = tmp_path / "gate"
    args = ["regress", "--tier", "smoke", "--experiments", "nmt_news_base", "--out", str(out)]
    assert cli.main([*args, f"paths.data_dir={synth_cache}"]) == 0
    table = (out / "regression_smoke.md").read_text()
    assert "| Experiment | Metric | Expected | Actual | Δ | Tolerance | Verdict |" in table
    assert "| nmt_news_base |" in table and "REGRESSED" not in table
    assert json.loads((out / "regression_smoke.json").read_text())["passed"] is True

    # push one gated metric just outside its tolerance, in the worse direction, and judge again
    expectation = next(
        e for e in load_expectations("nmt_news_base", "smoke") if not isinstance(e.value, bool)
    )
    metrics_file = out / "nmt_news_base" / "metrics.json"
    metrics = json.loads(metrics_file.read_text())
    sign = -1 if expectation.higher_better else 1
    metrics[expectation.metric] = expectation.value + sign * (expectation.tolerance + 0.01)
    metrics_file.write_text(json.dumps(metrics))
    assert cli.main([*args, "--no-run"]) == 1
    assert f"| nmt_news_base | `{expectation.metric}` |" in (out / "regression_smoke.md").read_text()
    assert "**REGRESSED**" in (out / "regression_smoke.md").read_text()

    metrics_file.unlink()  # a run that wrote no metrics fails the gate too
    assert cli.main([*args, "--no-run"]) == 1


def test_unknown_experiment_and_empty_tier_are_clear_errors() -> None:
    with pytest.raises(SystemExit, match="unknown experiment"):
        cli.main(["regress", "--tier", "smoke", "--experiments", "nope", "--no-run"])
    with pytest.raises(SystemExit, match="no experiment has expected results for tier 'real'"):
        cli.main(["regress", "--tier", "real", "--no-run"])
