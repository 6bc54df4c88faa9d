"""The ``aihub-bench`` command: ``train``, ``eval``, ``synth``, ``report``, ``bench`` and dataset tools.

``aihub-bench train dataset=xray model=maskrcnn`` is the same as ``python train.py ...``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path


def _hydra_entry(main: Callable[[], object], prog: str, overrides: Sequence[str]) -> int:
    sys.argv = [prog, *overrides]  # Hydra parses sys.argv
    main()
    return 0


def _image_size(text: str) -> int | tuple[int, int]:
    """``256`` (square) or ``256x192`` (width x height)."""
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2) or min(parts) <= 0:
        raise argparse.ArgumentTypeError(f"image size must look like 320 or 256x192, got {text!r}")
    return parts[0] if len(parts) == 1 else (parts[0], parts[1])


def _synth(args: argparse.Namespace) -> int:
    writers = {
        "xray": _synth_xray,
        "korean_objects": _synth_korean_objects,
        "mammography": _synth_mammography,
        "fundus": _synth_fundus,
        "human_motion": _synth_human_motion,
    }
    try:
        root, pattern = writers[args.dataset](args)
    except ValueError as err:  # a bad option: say so, no traceback
        raise SystemExit(f"aihub-bench synth {args.dataset}: {err}") from None
    total = sum(1 for _ in Path(root).rglob(pattern))
    print(
        f"Wrote {total} synthetic {args.dataset} images in the real AI Hub layout to {Path(root).resolve()}"
    )
    return 0


def _synth_xray(args: argparse.Namespace) -> tuple[Path, str]:
    from aihub_bench.datasets.xray import MAKERS, SUBSETS, write_synthetic_xray
    from aihub_bench.datasets.xray.layout import CLASS_FOLDERS
    from aihub_bench.datasets.xray.synth import DEFAULT_CLASSES

    classes: str | list[str] | None = None
    if args.classes == "all":
        classes = "all"
    elif args.classes:
        classes = [c.strip() for c in args.classes.split(",")]
    n_classes = len(DEFAULT_CLASSES if classes is None else CLASS_FOLDERS if classes == "all" else classes)
    per_subset = max(1, -(-args.images // (len(MAKERS) * len(SUBSETS) * n_classes)))  # ceil
    root = write_synthetic_xray(
        Path(args.out),
        classes=classes,
        images_per_subset=per_subset,
        image_size=args.image_size or 320,
        seed=args.seed,
    )
    return Path(root), "*.png"


def _synth_korean_objects(args: argparse.Namespace) -> tuple[Path, str]:
    from aihub_bench.datasets.korean_objects import DOMAINS, write_synthetic_korean_objects

    if args.classes and not args.classes.isdigit():
        raise ValueError(f"--classes is a number of classes per domain, got {args.classes!r}")
    classes_per_domain = int(args.classes) if args.classes else 4
    images_per_shoot = 3
    shoots = max(1, -(-args.images // (len(DOMAINS) * classes_per_domain * images_per_shoot)))  # ceil
    root = write_synthetic_korean_objects(
        Path(args.out),
        classes_per_domain=classes_per_domain,
        shoots_per_class=shoots,
        images_per_shoot=images_per_shoot,
        image_size=args.image_size or (256, 192),
        seed=args.seed,
    )
    return Path(root), "*.jpg"


def _release_shares(counts: dict[str, int], total: int) -> dict[str, int]:
    """``total`` split in the release's class proportions, at least one per class."""
    whole = sum(counts.values())
    return {name: max(1, round(total * n / whole)) for name, n in counts.items()}


def _synth_mammography(args: argparse.Namespace) -> tuple[Path, str]:
    from aihub_bench.datasets.mammography import write_synthetic_mammography

    # the release: 1,500 malignant, 1,500 benign, 4,500 normal patients; four views each
    patients = _release_shares({"malignant": 1500, "benign": 1500, "normal": 4500}, max(1, args.images // 4))
    root = write_synthetic_mammography(
        Path(args.out), patients=patients, image_size=args.image_size or (192, 240), seed=args.seed
    )
    return Path(root), "*.dcm"


def _synth_fundus(args: argparse.Namespace) -> tuple[Path, str]:
    from aihub_bench.datasets.fundus import write_synthetic_fundus
    from aihub_bench.datasets.fundus.layout import RELEASE_COUNTS

    counts = {f"{kind}_{code}": n for kind, codes in RELEASE_COUNTS.items() for code, n in codes.items()}
    # about 1.5 images per person (half of them with both eyes)
    per_class = _release_shares(counts, max(1, round(args.images / 1.5)))
    root = write_synthetic_fundus(
        Path(args.out), per_class=per_class, image_size=args.image_size or (192, 192), seed=args.seed
    )
    return Path(root), "*.jpg"


def _synth_human_motion(args: argparse.Namespace) -> tuple[Path, str]:
    from aihub_bench.datasets.human_motion import write_synthetic_human_motion

    # 4 actions x 4 cameras x 6 frames per clip: --images sets the takes per action
    takes = max(1, round(args.images / (4 * 4 * 6)))
    root = write_synthetic_human_motion(
        Path(args.out),
        takes_per_scenario=takes,
        frames_per_clip=6,
        image_size=args.image_size or (192, 144),
        seed=args.seed,
    )
    return Path(root), "*.jpg"


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
    except (UnsupportedTaskError, ValueError) as err:
        raise SystemExit(f"aihub-bench bench: {err}") from None
    print(summary_text(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aihub-bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("train", help="train and test (Hydra overrides follow)", add_help=False)
    sub.add_parser("eval", help="test a checkpoint: ckpt_path=... (Hydra overrides follow)", add_help=False)

    synth = sub.add_parser("synth", help="write a synthetic twin in the real on-disk layout")
    synth.add_argument("dataset", choices=["xray", "korean_objects", "mammography", "fundus", "human_motion"])
    synth.add_argument("--out", required=True, help="output folder (the future dataset.root)")
    synth.add_argument("--images", type=int, default=480, help="approximate number of images")
    synth.add_argument(
        "--image-size",
        type=_image_size,
        default=None,
        help="320 or WxH (default: xray 320, korean_objects 256x192, mammography 192x240, fundus 192, "
        "human_motion 192x144)",
    )
    synth.add_argument(
        "--classes",
        default=None,
        help="xray: comma-separated class folders, or 'all'; korean_objects: classes per domain (1-9)",
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
