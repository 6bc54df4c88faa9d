"""Paper-style result tables from finished run directories (``aihub-bench report``).

Each run directory (``metrics.json``, ``config.yaml``, ``env.json``) becomes one row of the table of
its task family. The family is the one its task class declares (``model._target_`` in config.yaml,
imported; see ``aihub_bench/tasks/base.py``), or "other" when the class cannot be imported or declares
none. A family's columns are data (``TaskFamily.report_columns``): each column lists where its value
may come from, the first source a run has fills the cell. ``write_report`` writes ``<family>.md`` /
``<family>.csv``, ``report.md`` and copies of the plots; ``update_readme`` puts the tables between
``<!-- report:start -->`` and ``<!-- report:end -->`` in a README.
"""

from __future__ import annotations

import csv
import functools
import importlib
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from aihub_bench import tables
from aihub_bench.tables import MISSING, escape, markdown_table
from aihub_bench.tasks.base import CellSource, ReportColumn, TaskFamily

README_START = "<!-- report:start -->"
README_END = "<!-- report:end -->"
PLOT_NAMES = ("loss_curve.png", "roc_test.png", "roc_pooled.png")
RUN_MARKERS = ("metrics.json", "env.json")  # env.json: a run that crashed before writing its metrics
DROPPED_OVERRIDES = ("hydra.", "paths.", "callbacks.", "experiment=")
ENV_PACKAGES = ("aihub_bench", "torch", "pytorch-lightning")
# env.json is written when the run starts: when its mtime is this far from ``time_utc`` the files were
# copied without their times, and metrics.json's mtime says nothing about when the run ended
MTIME_SLACK_S = 120.0
LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]", re.MULTILINE)
# runs whose task class cannot be imported or declares no family; columns: every top-level
# test/<name> number (see columns_for)
OTHER = TaskFamily(name="other", title="Other", unit="", headline=())
# the order of the README's Results; a family not named here follows them by title, "other" comes last
FAMILY_ORDER = ("detection", "classification", "keypoints", "translation")


class ReportError(ValueError):
    """Nothing to report, or a README without its markers (the CLI exits with code 2)."""


@dataclass
class RunSummary:
    """One run directory, read: what a table row needs."""

    path: Path
    family: str  # the name of ``spec``
    experiment: str  # ``experiment=X`` from argv, else ``<dataset.name> / <task class>``
    overrides: list[str]  # the argv overrides that change the result (no hydra.* / paths.* / callbacks.*)
    metrics: dict[str, Any]
    env: dict[str, Any] = field(default_factory=dict)
    seed: Any = None
    folds: int | None = None  # folds finished, for a cross-validation parent
    minutes: float | None = None
    plots: list[Path] = field(default_factory=list)
    name: str = ""  # row name: experiment plus the overrides that tell it from its namesakes
    label: str = ""  # the run column: path relative to the runs' common folder
    spec: TaskFamily = OTHER

    def __post_init__(self) -> None:
        self.name = self.name or self.experiment
        self.label = self.label or self.path.name


# -- columns: a family's ReportColumns (tasks/base.py) made into cell functions --------------------
# A cell is (text, raw values): raw keys are suffixes of the CSV column stem ("" for the value itself).
Cell = tuple[str, dict[str, Any]]
Source = Callable[[RunSummary], "Cell | None"]


def _number(metrics: dict[str, Any], key: str) -> float | None:
    value = metrics.get(key)
    return float(value) if tables.is_number(value) else None


def value(key: str, digits: int | None = None) -> Source:
    """The metric ``key``."""

    def cell(run: RunSummary) -> Cell | None:
        v = _number(run.metrics, key)
        return None if v is None else (tables.number(v, digits), {"": v})

    return cell


def value_ci(key: str) -> Source:
    """The metric ``key`` with ``[key_ci_low, key_ci_high]`` when the run has them."""

    def cell(run: RunSummary) -> Cell | None:
        v = _number(run.metrics, key)
        if v is None:
            return None
        low, high = _number(run.metrics, f"{key}_ci_low"), _number(run.metrics, f"{key}_ci_high")
        raw = {"": v} if low is None or high is None else {"": v, " CI low": low, " CI high": high}
        return tables.value_ci(v, low, high), raw

    return cell


def mean_std(prefix: str) -> Source:
    """``prefix_mean ± prefix_std`` (cross-validation folds)."""

    def cell(run: RunSummary) -> Cell | None:
        mean, std = _number(run.metrics, f"{prefix}_mean"), _number(run.metrics, f"{prefix}_std")
        if mean is None:
            return None
        return tables.mean_std(mean, std), {"": mean, " std": std}

    return cell


def ci(prefix: str) -> Source:
    """``[prefix_low, prefix_high]``."""

    def cell(run: RunSummary) -> Cell | None:
        low, high = _number(run.metrics, f"{prefix}_low"), _number(run.metrics, f"{prefix}_high")
        if low is None or high is None:
            return None
        return tables.interval(low, high), {" low": low, " high": high}

    return cell


def change(before: str, after: str, digits: int | None = None) -> Source:
    """``before → after``."""

    def cell(run: RunSummary) -> Cell | None:
        a, b = _number(run.metrics, before), _number(run.metrics, after)
        if a is None or b is None:
            return None
        return f"{tables.number(a, digits)} → {tables.number(b, digits)}", {" before": a, " after": b}

    return cell


def flag(key: str) -> Source:
    """A true/false metric as yes / no."""

    def cell(run: RunSummary) -> Cell | None:
        v = run.metrics.get(key)
        return (tables.cell(v), {"": v}) if isinstance(v, bool) else None

    return cell


def folds(run: RunSummary) -> Cell | None:
    return None if run.folds is None else (str(run.folds), {"": run.folds})


def minutes(run: RunSummary) -> Cell | None:
    return None if run.minutes is None else (f"{run.minutes:.1f} min", {"": round(run.minutes, 2)})


@dataclass(frozen=True)
class Column:
    title: str
    sources: tuple[Source, ...]  # the first one a run has fills its cell
    csv: str = ""  # stem of the CSV column(s); the title when empty

    def cell(self, run: RunSummary) -> Cell | None:
        return next((c for c in (source(run) for source in self.sources) if c is not None), None)


def source_of(cell: CellSource) -> Source:
    """The cell function of one of a family's declared sources (``CellKind`` in tasks/base.py)."""
    keys = cell.keys
    if cell.kind == "value":
        return value(keys[0], cell.digits)
    if cell.kind == "value_ci":
        return value_ci(keys[0])
    if cell.kind == "mean_std":
        return mean_std(keys[0])
    if cell.kind == "ci":
        return ci(keys[0])
    if cell.kind == "change":
        return change(keys[0], keys[1], cell.digits)
    if cell.kind == "flag":
        return flag(keys[0])
    if cell.kind == "folds":
        return folds
    raise ValueError(f"unknown report cell kind {cell.kind!r}")


def column_of(column: ReportColumn) -> Column:
    return Column(column.title, tuple(source_of(cell) for cell in column.sources), column.csv)


TIME = Column("time", (minutes,), csv="minutes")


@functools.cache
def family_of(target: str) -> TaskFamily:
    """The family a ``model._target_`` such as ``aihub_bench.tasks.detection.DetectionTask`` declares;
    :data:`OTHER` (with a warning on stderr when it cannot be imported) when it has none."""
    module_name, _, class_name = str(target).rpartition(".")
    if not module_name:
        return OTHER
    try:
        task_class = getattr(importlib.import_module(module_name), class_name)
    except Exception as err:  # any failure to import a run's class only moves it to "other"
        print(
            f"warning: {target}: cannot import ({type(err).__name__}: {err}); reported as Other",
            file=sys.stderr,
        )
        return OTHER
    family = getattr(task_class, "family", None)
    return family if isinstance(family, TaskFamily) else OTHER


def family_rank(family: TaskFamily) -> tuple[int, int, str]:
    """Sort key of a family's section: :data:`FAMILY_ORDER`, then the others by title, then "other"."""
    if family.name in FAMILY_ORDER:
        return 0, FAMILY_ORDER.index(family.name), ""
    return (2, 0, "") if family.name == OTHER.name else (1, 0, family.title)


def spec_of(family: str, runs: Sequence[RunSummary]) -> TaskFamily:
    """The :class:`TaskFamily` named ``family`` among ``runs`` (:data:`OTHER` when none has it)."""
    return next((run.spec for run in runs if run.family == family), OTHER)


def columns_for(family: str, runs: Sequence[RunSummary]) -> list[Column]:
    """The family's columns that at least one run fills, then ``time``."""
    spec = spec_of(family, runs)
    if spec.name == OTHER.name:
        names = sorted(
            {k[5:] for run in runs for k in run.metrics if k.count("/") == 1 and k.startswith("test/")}
        )
        candidates = [Column(name, (value(f"test/{name}"),)) for name in names]
    else:
        candidates = [column_of(column) for column in spec.report_columns]
    return [c for c in (*candidates, TIME) if any(c.cell(run) is not None for run in runs)]


# -- finding and reading run directories ----------------------------------------------------------
def is_run_dir(path: Path) -> bool:
    return any((path / marker).is_file() for marker in RUN_MARKERS)


def find_run_dirs(paths: Iterable[str | Path]) -> list[Path]:
    """Run directories given, or found under the given folders (never inside a run directory, so a
    cross-validation parent's ``fold_<i>/`` and a fine-tune run's ``base/`` are not rows of their own)."""
    found: dict[Path, None] = {}
    for given in map(Path, paths):
        if not given.exists():
            raise ReportError(f"{given} does not exist")
        before = len(found)
        if is_run_dir(given):
            found[given] = None
        elif given.is_dir():
            for root, dirs, _ in os.walk(given):
                if is_run_dir(Path(root)):
                    found[Path(root)] = None
                    dirs[:] = []
                else:
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if len(found) == before:
            raise ReportError(f"no run directory (a folder with {' or '.join(RUN_MARKERS)}) in {given}")
    return list(found)


def _read(path: Path, parse: Callable[[str], Any]) -> dict[str, Any]:
    """A JSON / YAML mapping; ``ValueError`` with the reason when missing or unreadable."""
    try:
        data = parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError("missing") from None
    except (OSError, ValueError, yaml.YAMLError) as err:
        reason = str(err).splitlines()[0] if str(err) else ""
        raise ValueError(f"unreadable ({type(err).__name__}: {reason})") from None
    if not isinstance(data, dict):
        raise ValueError(f"not a mapping (a {type(data).__name__})")
    return data


def _overrides(argv: Sequence[Any]) -> tuple[str | None, list[str]]:
    """``experiment=X`` and the other overrides that change the result."""
    experiment, kept = None, []
    for arg in map(str, argv[1:]):
        bare = arg.lstrip("+~")
        if bare.startswith("experiment="):
            experiment = bare.split("=", 1)[1]
        elif not arg.startswith("-") and not bare.startswith(DROPPED_OVERRIDES):
            kept.append(arg)
    return experiment, kept


def _utc(text: Any) -> float | None:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def _run_minutes(path: Path, env: dict[str, Any]) -> float | None:
    """``time_utc`` (env.json) to metrics.json's mtime; when the files were copied without their
    times, the span of train.log's timestamps; ``None`` when neither is available."""
    start = _utc(env.get("time_utc"))
    try:
        if start is not None and abs((path / "env.json").stat().st_mtime - start) <= MTIME_SLACK_S:
            end = (path / "metrics.json").stat().st_mtime
            return (end - start) / 60 if end >= start else None
    except OSError:
        pass
    try:
        stamps = LOG_TIME.findall((path / "train.log").read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    if len(stamps) < 2:
        return None
    first, last = (datetime.strptime(s, "%Y-%m-%d %H:%M:%S,%f") for s in (stamps[0], stamps[-1]))
    return (last - first).total_seconds() / 60


def _folds(path: Path) -> int | None:
    """Folds finished by a cross-validation parent (``None`` for other runs)."""
    try:
        done = json.loads((path / "cv_summary.json").read_text(encoding="utf-8"))["folds_completed"]
        return len(done)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    fold_dirs = [d for d in path.glob("fold_*") if (d / "metrics.json").is_file()]
    return len(fold_dirs) or None


def load_run(path: Path) -> RunSummary | None:
    """Read one run directory; ``None`` (with a warning on stderr) when metrics.json or config.yaml
    is missing or unreadable. env.json is optional (no environment, no time)."""
    path = Path(path)
    required: dict[str, dict[str, Any]] = {}
    for name, parse in (("metrics.json", json.loads), ("config.yaml", yaml.safe_load)):
        try:
            required[name] = _read(path / name, parse)
        except ValueError as err:
            print(f"warning: skipped {path / name}: {err}", file=sys.stderr)
            return None
    metrics, config = required["metrics.json"], required["config.yaml"]
    try:
        env = _read(path / "env.json", json.loads)
    except ValueError:
        env = {}
    model, dataset = config.get("model") or {}, config.get("dataset") or {}
    target = str(model.get("_target_", "")) if isinstance(model, dict) else ""
    experiment, overrides = _overrides(env.get("argv") or [])
    if not experiment:
        dataset_name = dataset.get("name", "?") if isinstance(dataset, dict) else "?"
        experiment = f"{dataset_name} / {target.rsplit('.', 1)[-1] or '?'}"
    is_cv = (path / "cv_summary.json").is_file() or any(k.startswith("cv/") for k in metrics)
    spec = family_of(target)
    return RunSummary(
        path=path,
        family=spec.name,
        spec=spec,
        experiment=experiment,
        overrides=overrides,
        metrics=metrics,
        env=env,
        seed=env.get("seed", config.get("seed")),
        folds=_folds(path) if is_cv else None,
        minutes=_run_minutes(path, env),
        plots=[path / name for name in PLOT_NAMES if (path / name).is_file()],
    )


def _name_rows(runs: Sequence[RunSummary]) -> None:
    """Row names: the experiment, plus the overrides not shared by every run of that experiment;
    run labels: paths relative to the runs' common folder."""
    by_experiment: dict[str, list[RunSummary]] = {}
    for run in runs:
        by_experiment.setdefault(run.experiment, []).append(run)
    for group in by_experiment.values():
        shared = set.intersection(*(set(run.overrides) for run in group))
        for run in group:
            extra = [o for o in run.overrides if o not in shared]
            run.name = f"{run.experiment} ({', '.join(extra)})" if extra else run.experiment
    base = Path(os.path.commonpath([run.path.resolve().parent for run in runs])) if runs else Path()
    for run in runs:
        run.label = run.path.resolve().relative_to(base).as_posix()


def load_runs(paths: Iterable[str | Path]) -> tuple[list[RunSummary], int]:
    """Every readable run under ``paths`` (rows named, sorted by family and name) and how many were skipped."""
    found = find_run_dirs(paths)
    runs = [run for run in map(load_run, found) if run is not None]
    if not runs:
        raise ReportError(f"none of the {len(found)} run directories found could be read")
    _name_rows(runs)
    runs.sort(key=lambda r: (family_rank(r.spec), r.family, r.name, r.label))
    return runs, len(found) - len(runs)


# -- tables ----------------------------------------------------------------------------------
def family_table(family: str, runs: Sequence[RunSummary]) -> tuple[list[str], list[list[str]]]:
    """Header and formatted rows of ``family``'s table (the runs of other families are ignored)."""
    members = [run for run in runs if run.family == family]
    columns = columns_for(family, members)
    rows = []
    for run in members:
        cells = [column.cell(run) for column in columns]
        rows.append([run.name, run.label, *(MISSING if c is None else c[0] for c in cells)])
    return ["experiment", "run", *(c.title for c in columns)], rows


def family_csv(family: str, runs: Sequence[RunSummary]) -> tuple[list[str], list[list[Any]]]:
    """Header and raw-number rows (mean and std, CI low and high in columns of their own)."""
    members = [run for run in runs if run.family == family]
    columns = columns_for(family, members)
    raw_rows = []
    for run in members:
        raw: dict[str, Any] = {}
        for column in columns:
            cell = column.cell(run)
            raw.update({f"{column.csv or column.title}{k}": v for k, v in (cell[1] if cell else {}).items()})
        raw_rows.append((run, raw))
    metric_names = list(dict.fromkeys(k for _, raw in raw_rows for k in raw))
    header = ["experiment", "run", *metric_names, "device", "seed", "git_sha", "overrides", "path"]
    rows = [
        [
            run.name,
            run.label,
            *(raw.get(k, "") for k in metric_names),
            run.env.get("device", ""),
            "" if run.seed is None else run.seed,
            _git(run.env) or "",
            " ".join(run.overrides),
            str(run.path.resolve()),
        ]
        for run, raw in raw_rows
    ]
    return header, rows


def _unique(values: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values if v not in (None, "")))


def _git(env: dict[str, Any]) -> str | None:
    sha = env.get("git_sha")
    return f"{str(sha)[:7]}{'+dirty' if env.get('git_dirty') else ''}" if sha else None


def _device(env: dict[str, Any]) -> str | None:
    device = env.get("device")
    if device == "cpu":
        return f"cpu ({env['cpu_count']} threads)" if env.get("cpu_count") else "cpu"
    count = env.get("gpu_count") or 1
    return f"{count}× {device}" if device and count > 1 else device


def environment_line(runs: Sequence[RunSummary]) -> str:
    """``Environment: aihub_bench 0.1.0 · torch … · device cpu (2 threads) · seed 42 · git e83c163``."""
    parts = [
        (name, _unique((run.env.get("packages") or {}).get(name) for run in runs)) for name in ENV_PACKAGES
    ]
    parts += [
        ("device", _unique(_device(run.env) for run in runs)),
        ("seed", _unique(run.seed for run in runs)),
        ("git", _unique(_git(run.env) for run in runs)),
    ]
    return "Environment: " + " · ".join(f"{name} {', '.join(vals)}" for name, vals in parts if vals)


def family_markdown(
    family: str, runs: Sequence[RunSummary], plot_links: dict[Path, list[tuple[str, str]]] | None = None
) -> str:
    """``### Title``, the table, notes, signatures, the environment line and (optionally) plot links."""
    members = [run for run in runs if run.family == family]
    spec = spec_of(family, members)
    lines = [f"### {spec.title}", "", *markdown_table(*family_table(family, members), numeric_from=2), ""]
    if spec.report_note and (not spec.note_for_cv or any(run.folds is not None for run in members)):
        lines += [spec.report_note, ""]
    for label, key in spec.signatures:
        signatures = _unique(run.metrics.get(key) for run in members)
        if signatures:
            lines += [f"sacreBLEU {label} signature: " + "; ".join(f"`{s}`" for s in signatures), ""]
    lines += [environment_line(members), ""]
    linked = [(run, plot_links.get(run.path, [])) for run in members] if plot_links else []
    if any(links for _, links in linked):
        lines += ["Plots:", ""]
        lines += [
            f"- {escape(run.name)}: " + ", ".join(f"[{title}]({href})" for title, href in links)
            for run, links in linked
            if links
        ]
        lines.append("")
    return "\n".join(lines)


def families_present(runs: Sequence[RunSummary]) -> list[str]:
    """The names of the runs' families, in the order of :func:`family_rank`."""
    specs = {run.family: run.spec for run in runs}
    return sorted(specs, key=lambda name: (family_rank(specs[name]), name))


def report_markdown(
    runs: Sequence[RunSummary], plot_links: dict[Path, list[tuple[str, str]]] | None = None
) -> str:
    """Every family's section, in the order of :func:`families_present`."""
    return "\n".join(family_markdown(family, runs, plot_links) for family in families_present(runs))


# -- writing ------------------------------------------------------------------------------------
def slug(text: str) -> str:
    """File-name-safe form of a row name (Korean letters kept)."""
    return re.sub(r"[^\w.-]+", "-", text).strip("-.") or "run"


def copy_plots(runs: Sequence[RunSummary], plots_dir: Path) -> dict[Path, list[tuple[str, str]]]:
    """Copy each run's plots to ``plots_dir/<row-slug>_<plot>.png``; ``{run path: [(title, relative link)]}``."""
    links: dict[Path, list[tuple[str, str]]] = {}
    taken: set[str] = set()
    for run in runs:
        if not run.plots:
            continue
        stem, n = slug(run.name), 2
        while stem in taken:
            stem, n = f"{slug(run.name)}-{n}", n + 1
        taken.add(stem)
        plots_dir.mkdir(parents=True, exist_ok=True)
        for plot in run.plots:
            target = plots_dir / f"{stem}_{plot.name}"
            shutil.copyfile(plot, target)
            links.setdefault(run.path, []).append((plot.stem, f"{plots_dir.name}/{target.name}"))
    return links


def write_report(runs: Sequence[RunSummary], out_dir: Path, command: str | None = None) -> dict[str, Path]:
    """Write ``<family>.md``, ``<family>.csv``, ``report.md`` and ``plots/`` into ``out_dir``;
    ``{name relative to out_dir: path}`` of everything written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for family in families_present(runs):
        written[f"{family}.md"] = out_dir / f"{family}.md"
        written[f"{family}.md"].write_text(family_markdown(family, runs), encoding="utf-8")
        written[f"{family}.csv"] = out_dir / f"{family}.csv"
        with written[f"{family}.csv"].open("w", newline="", encoding="utf-8") as handle:
            header, rows = family_csv(family, runs)
            csv.writer(handle).writerows([header, *rows])
    links = copy_plots(runs, out_dir / "plots")
    intro = "# Results\n\n" + (f"Generated with `{command}`.\n\n" if command else "")
    written["report.md"] = out_dir / "report.md"
    written["report.md"].write_text(intro + report_markdown(runs, links), encoding="utf-8")
    for run_links in links.values():
        written.update({href: out_dir / href for _, href in run_links})
    return written


def update_readme(readme: Path, markdown: str, command: str) -> None:
    """Replace the lines between ``<!-- report:start -->`` and ``<!-- report:end -->`` in ``readme``
    with ``markdown`` and a line naming ``command``; the rest of the file is left as it is."""
    readme = Path(readme)
    try:
        with readme.open(encoding="utf-8", newline="") as handle:  # newline="": keep CRLF as it is
            lines = handle.read().splitlines(keepends=True)
    except OSError as err:
        raise ReportError(f"cannot read {readme}: {err}") from None
    marks = [i for i, line in enumerate(lines) if line.strip() in (README_START, README_END)]
    kinds = [lines[i].strip() for i in marks]
    if kinds != [README_START, README_END]:
        raise ReportError(
            f"{readme} needs one '{README_START}' line followed by one '{README_END}' line "
            f"(found {kinds or 'neither'})"
        )
    newline = "\r\n" if lines[marks[0]].endswith("\r\n") else "\n"
    body = f"Generated with `{command}`.\n\n{markdown.rstrip()}\n\n"
    block = [line + newline for line in body.split("\n")[:-1]]
    start, end = marks
    with readme.open("w", encoding="utf-8", newline="") as handle:
        handle.write("".join(lines[: start + 1] + block + lines[end:]))
