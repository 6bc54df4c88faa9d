"""``aihub-bench regress --tier smoke``: run every experiment of a tier and compare with its expected results.

Each ``experiment/*.yaml`` may carry, per tier, a list of ``{metric, value, tolerance}`` entries::

    expected:
      smoke:      # debug=smoke on the synthetic twin, CPU, seconds
        - {metric: train/loss_decreased, value: true}
        - {metric: test/PCK@0.2, value: 0.85, tolerance: 0.3}
      synthetic:  # the experiment as it is, on the synthetic twin (minutes on CPU)
        - {metric: test/PCK@0.2, value: 0.885, tolerance: 0.05}
      real: []    # the real release on a GPU: fill in from your own run

A metric is ``ok`` within ``value ± tolerance``; beyond it, ``REGRESSED`` in the worse direction and
``improved`` in the better one (``higher_is_better`` defaults to true, false for losses). Improvements
pass unless ``--strict``; a regression, a missing metric or a failed run fails the gate (exit 1).
"""

from __future__ import annotations

import functools
import json
import math
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from aihub_bench.tables import cell, markdown_table, number

TIERS: dict[str, tuple[str, ...]] = {
    "smoke": ("debug=smoke",),
    "synthetic": (),
    "real": (),
}
# what every gated run gets: no live progress bar in a log file
COMMON_OVERRIDES = ("callbacks.rich_progress_bar=null",)


@dataclass(frozen=True)
class Expectation:
    metric: str
    value: float | bool
    tolerance: float = 0.0
    higher_is_better: bool | None = None

    @property
    def higher_better(self) -> bool:
        if self.higher_is_better is not None:
            return self.higher_is_better
        return "loss" not in self.metric.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Verdict:
    experiment: str
    metric: str
    expected: float | bool | None
    actual: float | bool | str | None
    tolerance: float
    verdict: str  # ok | improved | REGRESSED | missing | run failed

    @property
    def failed(self) -> bool:
        return self.verdict in ("REGRESSED", "missing", "run failed")

    @property
    def delta(self) -> float | None:
        if isinstance(self.expected, bool) or isinstance(self.actual, (bool, str)) or self.actual is None:
            return None
        return float(self.actual) - float(self.expected)  # type: ignore[arg-type]


def experiment_names() -> list[str]:
    """Every ``configs/experiment/*.yaml``, sorted."""
    folder = resources.files("aihub_bench.configs") / "experiment"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_expectations(experiment: str, tier: str) -> list[Expectation]:
    """The ``expected.<tier>`` entries of an experiment, as composed by Hydra (so defaults apply)."""
    entries = _expected_block(experiment).get(tier) or []
    return [_expectation(experiment, tier, entry) for entry in entries]


@functools.cache
def _expected_block(experiment: str) -> dict[str, Any]:
    """The composed ``expected:`` node of one experiment (composed once per process: every tier reads it)."""
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    import aihub_bench  # noqa: F401  (registers the config resolvers)

    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="aihub_bench.configs", version_base="1.3"):
        cfg = compose(config_name="train", overrides=[f"experiment={experiment}"])
    expected = cfg.get("expected")
    block = OmegaConf.to_container(expected, resolve=False) if expected else {}
    return {str(k): v for k, v in block.items()} if isinstance(block, dict) else {}


def _expectation(experiment: str, tier: str, entry: Any) -> Expectation:
    where = f"experiment/{experiment}.yaml expected.{tier}"
    if not isinstance(entry, dict) or "metric" not in entry or "value" not in entry:
        raise ValueError(f"{where}: each entry needs 'metric' and 'value', got {entry!r}")
    unknown = set(entry) - {"metric", "value", "tolerance", "higher_is_better"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)} in {entry!r}")
    value = entry["value"]
    if not isinstance(value, (bool, int, float)):
        raise ValueError(f"{where}: value of {entry['metric']} must be a number or true/false, got {value!r}")
    tolerance = float(entry.get("tolerance", 0.0))
    if tolerance < 0:
        raise ValueError(f"{where}: tolerance of {entry['metric']} must be >= 0")
    return Expectation(str(entry["metric"]), value, tolerance, entry.get("higher_is_better"))


def compare(experiment: str, expectations: Sequence[Expectation], metrics: dict[str, Any]) -> list[Verdict]:
    """One verdict per expectation against a run's ``metrics.json``."""
    verdicts = []
    for exp in expectations:
        actual = metrics.get(exp.metric)
        verdicts.append(
            Verdict(experiment, exp.metric, exp.value, actual, exp.tolerance, _judge(exp, actual))
        )
    return verdicts


def _judge(exp: Expectation, actual: Any) -> str:
    if actual is None or (isinstance(actual, float) and math.isnan(actual)):
        return "missing"
    if isinstance(exp.value, bool) or isinstance(actual, (bool, str)):
        return "ok" if actual == exp.value else "REGRESSED"
    delta = float(actual) - float(exp.value)
    if abs(delta) <= exp.tolerance + 1e-12:
        return "ok"
    better = delta > 0 if exp.higher_better else delta < 0
    return "improved" if better else "REGRESSED"


def run_experiment(
    experiment: str, tier: str, run_dir: Path, overrides: Sequence[str], timeout: float | None = None
) -> tuple[bool, float]:
    """``python -m aihub_bench.train experiment=<name> <tier overrides>`` into ``run_dir``; its console
    output goes to ``<run_dir>.log``. Returns (exit code was 0, seconds)."""
    command = [
        sys.executable,
        "-m",
        "aihub_bench.train",
        f"experiment={experiment}",
        *TIERS[tier],
        *COMMON_OVERRIDES,
        f"hydra.run.dir={run_dir}",
        *overrides,
    ]
    log_path = run_dir.with_suffix(".log")
    start = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        log.write(" ".join(command) + "\n")
        log.flush()
        try:
            code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            log.write(f"\nTimed out after {timeout} s\n")
            code = -1
    return code == 0, time.perf_counter() - start


def read_metrics(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


VERDICT_HEADER = ("Experiment", "Metric", "Expected", "Actual", "Δ", "Tolerance", "Verdict")


def verdict_table(verdicts: Sequence[Verdict]) -> str:
    """The Markdown verdict table of ``regression_<tier>.md`` (failures in bold)."""
    rows = [
        [
            v.experiment,
            f"`{v.metric}`",
            _shown(v.expected),
            _shown(v.actual),
            "" if v.delta is None else number(v.delta, 4, signed=True),
            f"±{v.tolerance:g}",
            f"**{v.verdict}**" if v.failed else v.verdict,
        ]
        for v in verdicts
    ]
    return "\n".join(markdown_table(VERDICT_HEADER, rows)) + "\n"


def _shown(value: Any) -> str:
    """An expected or actual value: 4 decimals; true / false as written in the experiment's YAML."""
    return str(value).lower() if isinstance(value, bool) else cell(value, digits=4)


def regress(
    tier: str,
    out_dir: Path,
    experiments: Sequence[str] | None = None,
    overrides: Sequence[str] = (),
    run: bool = True,
    strict: bool = False,
    timeout: float | None = None,
) -> tuple[int, list[Verdict]]:
    """Run (or, with ``run=False``, re-read) each experiment of ``tier`` and judge it.

    Writes ``regression_<tier>.md`` and ``.json`` to ``out_dir``; returns (exit code, verdicts).
    """
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; choose one of {sorted(TIERS)}")
    known = experiment_names()
    unknown = sorted(set(experiments or ()) - set(known))
    if unknown:
        raise ValueError(f"unknown experiment(s) {unknown}; known: {known}")
    plan = {name: load_expectations(name, tier) for name in (experiments or known)}
    plan = {name: exps for name, exps in plan.items() if exps}
    if not plan:
        raise ValueError(
            f"no experiment has expected results for tier {tier!r}; add entries under "
            f"expected.{tier} in configs/experiment/<name>.yaml"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    verdicts: list[Verdict] = []
    timings: dict[str, float] = {}
    for name, expectations in plan.items():
        run_dir = out_dir / name
        ok = True
        if run:
            print(f"[regress {tier}] {name} ...", flush=True)
            _clear(run_dir)
            ok, timings[name] = run_experiment(name, tier, run_dir, overrides, timeout)
        metrics = read_metrics(run_dir) if ok else None
        if metrics is None:
            where = run_dir.with_suffix(".log") if run else run_dir / "metrics.json"
            print(f"[regress {tier}] {name}: the run failed or wrote no metrics.json (see {where})")
            verdicts += [
                Verdict(name, e.metric, e.value, None, e.tolerance, "run failed") for e in expectations
            ]
            continue
        verdicts += compare(name, expectations, metrics)
    failed = [v for v in verdicts if v.failed or (strict and v.verdict == "improved")]
    table = verdict_table(verdicts)
    summary = (
        f"Tier `{tier}`: {len(plan)} experiments, {len(verdicts)} checks, "
        f"{sum(v.verdict == 'ok' for v in verdicts)} ok, {sum(v.verdict == 'improved' for v in verdicts)} "
        f"improved, {len(failed)} failed."
    )
    if timings:
        summary += f" Wall time {sum(timings.values()) / 60:.1f} min."
    text = f"# Regression gate: tier `{tier}`\n\n{table}\n{summary}\n"
    (out_dir / f"regression_{tier}.md").write_text(text, encoding="utf-8")
    payload = {
        "tier": tier,
        "passed": not failed,
        "strict": strict,
        "overrides": list(overrides),
        "seconds": timings,
        "verdicts": [asdict(v) | {"delta": v.delta, "failed": v.failed} for v in verdicts],
    }
    (out_dir / f"regression_{tier}.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(table)
    print(summary)
    print(f"Written: {out_dir / f'regression_{tier}.md'}")
    return (1 if failed else 0), verdicts


def _clear(run_dir: Path) -> None:
    """Start a gated run in an empty folder (a stale checkpoint or metrics.json must not be read)."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
