"""The ``aihub-bench`` command: ``train``, ``eval``, ``synth`` and dataset tools.

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
    writers = {"xray": _synth_xray, "korean_objects": _synth_korean_objects}
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


def _xray_to_voc(args: argparse.Namespace) -> int:
    from aihub_bench.tools.xray_to_voc import run_xray_to_voc

    report = run_xray_to_voc(
        Path(args.root), Path(args.out), iou_threshold=args.iou, thumbnails=not args.no_thumbnails
    )
    print(report.summary())
    return 1 if args.strict and report.disagreements else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aihub-bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("train", help="train and test (Hydra overrides follow)", add_help=False)
    sub.add_parser("eval", help="test a checkpoint: ckpt_path=... (Hydra overrides follow)", add_help=False)

    synth = sub.add_parser("synth", help="write a synthetic twin in the real on-disk layout")
    synth.add_argument("dataset", choices=["xray", "korean_objects"])
    synth.add_argument("--out", required=True, help="output folder (the future dataset.root)")
    synth.add_argument("--images", type=int, default=480, help="approximate number of images")
    synth.add_argument(
        "--image-size",
        type=_image_size,
        default=None,
        help="320 or WxH (default: xray 320, korean_objects 256x192)",
    )
    synth.add_argument(
        "--classes",
        default=None,
        help="xray: comma-separated class folders, or 'all'; korean_objects: classes per domain (1-9)",
    )
    synth.add_argument("--seed", type=int, default=0)
    synth.set_defaults(func=_synth)

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
