"""The ``aihub-bench`` command: ``train``, ``eval``, ``synth``, ``report``, ``bench`` and dataset tools.

``aihub-bench train dataset=xray model=maskrcnn`` is the same as ``python train.py ...``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose epilog may come from ``lazy_epilog``, a function called only when
    help is shown (the ``synth`` epilog imports every dataset package)."""

    def __init__(self, *args: Any, lazy_epilog: Callable[[], str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_epilog = lazy_epilog

    def format_help(self) -> str:
        if self.lazy_epilog is not None:
            self.epilog, self.lazy_epilog = self.lazy_epilog(), None
        return super().format_help()


def _hydra_entry(main: Callable[[], object], prog: str, overrides: Sequence[str]) -> int:
    sys.argv = [prog, *overrides]  # Hydra parses sys.argv
    main()
    return 0


def _image_size(text: str) -> int | tuple[int, int]:
    """``256`` (square) or ``192x256`` (height x width, the order of ``synthetic.image_size``)."""
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2) or min(parts) <= 0:
        raise argparse.ArgumentTypeError(f"image size must look like 320 or 192x256 (HxW), got {text!r}")
    return parts[0] if len(parts) == 1 else (parts[0], parts[1])


def _synth(args: argparse.Namespace) -> int:
    from aihub_bench.datasets.registry import spec

    s = spec(args.dataset)
    if args.classes is not None and s.cli_classes is None:
        raise SystemExit(f"aihub-bench synth {s.name}: --classes does not apply to this dataset")
    full_size = s.full.get("image_size")
    if args.image_size is not None and full_size is None:
        raise SystemExit(f"aihub-bench synth {s.name}: --image-size does not apply to this dataset")
    size = {} if full_size is None else {"image_size": args.image_size or full_size}
    try:
        root = Path(
            s.writer(Path(args.out), **size, **s.cli_kwargs(args.images, args.classes), seed=args.seed)
        )
    except ValueError as err:  # a bad option: say so, no traceback
        raise SystemExit(f"aihub-bench synth {s.name}: {err}") from None
    total = sum(1 for _ in root.rglob(s.pattern))
    print(f"Wrote {total} synthetic {s.name} {s.unit} in the real AI Hub layout to {root.resolve()}")
    return 0


def _synth_help() -> str:
    """Per registered dataset: what it is, what ``synth`` writes and what ``--classes`` means."""
    import textwrap

    from aihub_bench.datasets.registry import specs

    lines = ["datasets (registered in aihub_bench/datasets/registry.py):"]
    for s in specs():
        size = s.full.get("image_size")
        facts = [f"{s.unit} ({s.pattern})"]
        facts.append("no --image-size" if size is None else f"--image-size default {_size_text(size)}")
        facts.append(f"--classes: {s.cli_classes}" if s.cli_classes else "no --classes")
        lines.append(f"  {s.name:<16}{s.title}")
        lines.extend(textwrap.wrap("; ".join(facts), 96, initial_indent=" " * 18, subsequent_indent=" " * 18))
    return "\n".join(lines)


def _size_text(size: int | Sequence[int]) -> str:
    return str(size) if isinstance(size, int) else "x".join(str(v) for v in size)


def _cv_summary(args: argparse.Namespace) -> int:
    import json

    import yaml

    from aihub_bench.metrics.cv_report import cv_title, summarize_cross_validation

    parent = Path(args.run_dir)
    try:
        k = int(json.loads((parent / "folds.json").read_text(encoding="utf-8"))["k"])
    except (OSError, ValueError, KeyError) as err:
        raise SystemExit(
            f"aihub-bench cv-summary: {parent}/folds.json is missing or unreadable ({err})"
        ) from None
    config = (
        yaml.safe_load((parent / "config.yaml").read_text(encoding="utf-8"))
        if (parent / "config.yaml").is_file()
        else {}
    )
    dataset, model = config.get("dataset", {}), config.get("model", {})
    negative, positive = dataset.get("negative_name", "negative"), dataset.get("positive_name", "positive")
    summary = summarize_cross_validation(
        parent,
        k,
        title=cv_title(dataset.get("name", ""), negative, positive),
        aggregation=model.get("patient_aggregation", "max"),
        n_boot=model.get("bootstrap", 1000),
    )
    print(f"{len(summary['folds_completed'])} of {k} folds summarised in {parent / 'cv_results.md'}")
    return 0


def _report(args: argparse.Namespace) -> int:
    import shlex

    from aihub_bench import report

    command = shlex.join(
        ["aihub-bench", "report", *args.paths, "--out", args.out]
        + (["--readme", args.readme] if args.readme else [])
    )
    try:
        runs, skipped = report.load_runs(args.paths)
        written = report.write_report(runs, Path(args.out), command)
        if args.readme:
            report.update_readme(Path(args.readme), report.report_markdown(runs), command)
    except report.ReportError as err:
        print(f"aihub-bench report: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    for path in written.values():
        print(path)
    if args.readme:
        print(args.readme)
    families = ", ".join(report.families_present(runs))
    print(f"{len(runs)} runs reported ({families}); {skipped} run directories skipped")
    return 0


def _xray_to_voc(args: argparse.Namespace) -> int:
    from aihub_bench.tools.xray_to_voc import run_xray_to_voc

    report = run_xray_to_voc(
        Path(args.root), Path(args.out), iou_threshold=args.iou, thumbnails=not args.no_thumbnails
    )
    print(report.summary())
    return 1 if args.strict and report.disagreements else 0


def _regress(args: argparse.Namespace) -> int:
    from aihub_bench.regress import regress

    experiments = [e.strip() for e in args.experiments.split(",") if e.strip()] if args.experiments else None
    out = Path(args.out or f"logs/regress/{args.tier}")
    try:
        code, _ = regress(
            args.tier,
            out,
            experiments=experiments,
            overrides=args.overrides,
            run=not args.no_run,
            strict=args.strict,
            timeout=args.timeout,
        )
    except ValueError as err:
        raise SystemExit(f"aihub-bench regress: {err}") from None
    return code


def _worker_counts(text: str) -> list[int]:
    """``0,1,2`` -> ``[0, 1, 2]``."""
    try:
        counts = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 0:
        raise argparse.ArgumentTypeError(f"--workers takes counts like 0,1,2, got {text!r}")
    return counts


def _bench(args: argparse.Namespace) -> int:
    from aihub_bench.bench import BenchOptions, UnsupportedTaskError, run_benchmark, summary_text
    from aihub_bench.extras import MissingExtraError

    options = BenchOptions(
        overrides=list(args.overrides),
        steps=args.steps,
        warmup=args.warmup,
        repeats=args.repeats,
        loader_batches=args.loader_batches,
        workers=args.workers,
        precision=args.precision,
        channels_last=args.channels_last,
        compile=args.compile,
        out=Path(args.out) if args.out else None,
        seed=args.seed,
        threads=args.threads,
    )
    try:
        report = run_benchmark(options)
    except (UnsupportedTaskError, ValueError, MissingExtraError) as err:
        raise SystemExit(f"aihub-bench bench: {err}") from None
    print(summary_text(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aihub-bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("train", help="train and test (Hydra overrides follow)", add_help=False)
    sub.add_parser("eval", help="test a checkpoint: ckpt_path=... (Hydra overrides follow)", add_help=False)

    from aihub_bench.datasets.registry import DATASETS

    synth = sub.add_parser(
        "synth",
        help="write a synthetic twin in the real on-disk layout",
        description="Write a dataset's synthetic twin in the real AI Hub layout (point dataset.root "
        "at the folder). The same options give the same bytes.",
        lazy_epilog=_synth_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    synth.add_argument("dataset", choices=DATASETS, help="one of the registered datasets: %(choices)s")
    synth.add_argument("--out", required=True, help="output folder (the future dataset.root)")
    synth.add_argument(
        "--samples",
        "--images",
        dest="images",
        metavar="N",
        type=int,
        default=480,
        help="approximate number of samples: images (frames, DICOM views), or sentence pairs for nmt_corpus",
    )
    synth.add_argument(
        "--image-size",
        type=_image_size,
        default=None,
        help="320 or HxW, height x width as in the configs' [height, width] (default: the twin size "
        "of the dataset's config, listed below)",
    )
    synth.add_argument(
        "--classes",
        default=None,
        help="which classes, where the dataset has a choice (listed below)",
    )
    synth.add_argument("--seed", type=int, default=0)
    synth.set_defaults(func=_synth)

    cv = sub.add_parser(
        "cv-summary",
        help="(re)build cv_summary.json and cv_results.md from the fold_<i>/ dirs of a cross-validation run",
    )
    cv.add_argument("run_dir", help="the parent run directory (holds folds.json and fold_<i>/)")
    cv.set_defaults(func=_cv_summary)

    tables = sub.add_parser(
        "report",
        help="paper-style result tables (markdown + CSV, one per task family) from finished run dirs",
    )
    tables.add_argument(
        "paths", nargs="+", metavar="RUN_DIR", help="run directories, or folders searched for them"
    )
    tables.add_argument(
        "--out", required=True, metavar="DIR", help="folder for report.md, <family>.md/.csv and plots/"
    )
    tables.add_argument(
        "--readme",
        default=None,
        metavar="FILE",
        help="also put the tables between <!-- report:start --> and <!-- report:end --> in this file",
    )
    tables.set_defaults(func=_report)

    to_voc = sub.add_parser(
        "xray-to-voc",
        help="derive VOC boxes from the polygon JSON, report disagreements with the shipped VOC, write crops",
    )
    to_voc.add_argument("root", help="X-ray dataset root (Astrophysics/ Rapiscan/ Smith/ Annotation/)")
    to_voc.add_argument("--out", required=True, help="folder for derived VOC XML, report and thumbnails")
    to_voc.add_argument("--iou", type=float, default=0.9, help="boxes below this IoU count as disagreeing")
    to_voc.add_argument("--no-thumbnails", action="store_true")
    to_voc.add_argument("--strict", action="store_true", help="exit 1 when any disagreement is found")
    to_voc.set_defaults(func=_xray_to_voc)

    regress = sub.add_parser(
        "regress",
        help="run every experiment of a tier and compare with its expected results (exit 1 on a regression)",
    )
    regress.add_argument("--tier", required=True, choices=["smoke", "synthetic", "real"])
    regress.add_argument(
        "--experiments", default=None, help="comma-separated subset (default: all of the tier)"
    )
    regress.add_argument(
        "--out", default=None, help="folder for the runs and the table (default logs/regress/<tier>)"
    )
    regress.add_argument(
        "--no-run", action="store_true", help="judge the run dirs already in --out instead of running again"
    )
    regress.add_argument("--strict", action="store_true", help="an improvement beyond tolerance also fails")
    regress.add_argument("--timeout", type=float, default=None, help="seconds allowed per experiment")
    regress.add_argument(
        "overrides", nargs="*", help="Hydra overrides for every run, e.g. dataset.root=/data/x trainer=gpu"
    )
    regress.set_defaults(func=_regress)

    bench = sub.add_parser(
        "bench",
        help="training and data-loader throughput, peak memory, and Lightning's overhead vs a plain "
        "PyTorch loop (Hydra overrides follow)",
    )
    bench.add_argument(
        "--steps", type=int, default=None, help="timed steps per run (default: CPU 5, CUDA 50)"
    )
    bench.add_argument(
        "--warmup", type=int, default=None, help="untimed steps before them (default: CPU 2, CUDA 10)"
    )
    bench.add_argument(
        "--repeats", type=int, default=3, help="alternating (plain, lightning) rounds; medians are reported"
    )
    bench.add_argument(
        "--loader-batches",
        type=int,
        default=None,
        help="batches timed per loader run (default: CPU 10, CUDA 50)",
    )
    bench.add_argument(
        "--workers", type=_worker_counts, default=[0, 1, 2], help="loader worker counts to time, e.g. 0,1,2"
    )
    bench.add_argument(
        "--precision",
        choices=["32-true", "bf16-mixed"],
        default=None,
        help="both loops (default: the trainer's)",
    )
    bench.add_argument("--channels-last", action="store_true", help="model and image inputs in channels_last")
    bench.add_argument("--compile", action="store_true", help="torch.compile net.backbone (both loops)")
    bench.add_argument("--seed", type=int, default=None, help="weights and shuffling (default: the config's)")
    bench.add_argument(
        "--threads", type=int, default=None, help="torch threads for both loops (default: torch's own)"
    )
    bench.add_argument(
        "--out", default=None, help="JSON report (default logs/bench/bench_<experiment or model>.json)"
    )
    bench.add_argument(
        "overrides",
        nargs="*",
        help="Hydra overrides, e.g. dataset=xray_voc model=fasterrcnn model.net.backbone=small",
    )
    bench.set_defaults(func=_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("train", "eval"):
        if argv[0] == "train":
            from aihub_bench.train import main as entry
        else:
            from aihub_bench.evaluate import main as entry
        return _hydra_entry(entry, f"aihub-bench {argv[0]}", argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
