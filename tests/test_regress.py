"""The regression gate: expectations parse, verdicts follow the tolerance, and the command fails when
a metric is pushed outside its tolerance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from aihub_bench import cli
from aihub_bench.regress import (
    TIERS,
    Expectation,
    Verdict,
    compare,
    experiment_names,
    load_expectations,
    verdict_table,
)
from tests.conftest import SMOKE_RUNS_ENV, compose_config, find_smoke_run, reuse_smoke_run


@pytest.mark.parametrize("experiment", experiment_names())
def test_every_experiment_has_valid_expectations_and_a_smoke_tier(experiment: str) -> None:
    for tier in TIERS:
        load_expectations(experiment, tier)  # raises on a malformed entry
    smoke = load_expectations(experiment, "smoke")
    assert smoke, f"experiment/{experiment}.yaml has no expected.smoke entries, so CI does not gate it"


@pytest.mark.parametrize("experiment", experiment_names())
def test_no_expected_entry_can_only_fail_as_missing(experiment: str) -> None:
    """Our metrics are >= 0, so a floor ``value - tolerance <= 0`` accepts any run that writes the key."""
    for tier in TIERS:
        for e in load_expectations(experiment, tier):
            if isinstance(e.value, bool) or not e.higher_better:
                continue  # a flag is compared exactly; a lower-is-better value has a ceiling
            floor = float(e.value) - e.tolerance
            if e.tolerance > 0 or float(e.value) != 0:
                assert floor > 0, f"experiment/{experiment}.yaml expected.{tier}: {e.metric} has no floor"


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


def test_verdict_table_rows() -> None:
    verdicts = [
        Verdict("e1", "test/a", 0.5, 0.61234, 0.05, "improved"),
        Verdict("e1", "train/loss_decreased", True, False, 0.0, "REGRESSED"),
        Verdict("e2", "test/b", 53.3, None, 1.0, "run failed"),
        Verdict("e2", "test/c", 0.2, float("nan"), 0.0, "missing"),
    ]
    assert verdict_table(verdicts).splitlines() == [
        "| Experiment | Metric | Expected | Actual | Δ | Tolerance | Verdict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| e1 | `test/a` | 0.5000 | 0.6123 | +0.1123 | ±0.05 | improved |",
        "| e1 | `train/loss_decreased` | true | false | | ±0 | **REGRESSED** |",  # as written in the YAML
        "| e2 | `test/b` | 53.3000 | — | | ±1 | **run failed** |",
        "| e2 | `test/c` | 0.2000 | — | — | ±0 | **missing** |",
    ]


def test_malformed_entries_name_the_experiment(monkeypatch: pytest.MonkeyPatch) -> None:
    from aihub_bench import regress

    with pytest.raises(ValueError, match="experiment/x.yaml expected.smoke.*'metric' and 'value'"):
        regress._expectation("x", "smoke", {"value": 1})
    with pytest.raises(ValueError, match="tolerance of m must be >= 0"):
        regress._expectation("x", "smoke", {"metric": "m", "value": 1, "tolerance": -1})


@pytest.mark.slow
def test_gate_passes_on_main_and_fails_when_a_metric_is_pushed_out(tmp_path: Path, synth_cache: Path) -> None:
    out = tmp_path / "gate"
    args = ["regress", "--tier", "smoke", "--experiments", "nmt_news_base", "--out", str(out)]
    if reuse_smoke_run(["experiment=nmt_news_base", *TIERS["smoke"]], out / "nmt_news_base", synth_cache):
        assert cli.main([*args, "--no-run"]) == 0  # CI's own smoke-tier run, judged again
    else:
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


def _saved_run(root: Path, overrides: list[str], data_dir: Path) -> Path:
    """A finished run dir as ``regress`` leaves it: the resolved config.yaml and a metrics.json."""
    run_dir = root / "nmt_news_base"
    run_dir.mkdir(parents=True)
    cfg = compose_config(overrides, run_dir, data_dir)
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
    (run_dir / "metrics.json").write_text(json.dumps({"test/bleu": 0.3}), encoding="utf-8")
    return run_dir


def test_a_smoke_run_is_reused_only_for_the_same_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    smoke = ["experiment=nmt_news_base", "debug=smoke"]
    root = tmp_path / "regress"
    saved = _saved_run(root, smoke, tmp_path / "ci_data")
    # another run dir and data dir, same configuration: found
    assert find_smoke_run(smoke, tmp_path / "mine", tmp_path / "my_data", root) == saved
    assert find_smoke_run([*smoke, "seed=1"], tmp_path / "mine", tmp_path / "my_data", root) is None

    monkeypatch.delenv(SMOKE_RUNS_ENV, raising=False)
    assert reuse_smoke_run(smoke, tmp_path / "unset", tmp_path / "my_data") is None
    monkeypatch.setenv(SMOKE_RUNS_ENV, str(root))
    assert reuse_smoke_run(smoke, tmp_path / "copy", tmp_path / "my_data") == {"test/bleu": 0.3}
    assert (tmp_path / "copy" / "config.yaml").read_text() == (saved / "config.yaml").read_text()
    with pytest.warns(UserWarning, match="holds no run"):
        assert reuse_smoke_run([*smoke, "seed=1"], tmp_path / "other", tmp_path / "my_data") is None

    (saved / "metrics.json").unlink()  # a failed run is never reused
    assert find_smoke_run(smoke, tmp_path / "mine", tmp_path / "my_data", root) is None
