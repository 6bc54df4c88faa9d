"""Benchmark: indexing a Korean-objects tree cold (parse every JSON) and warm (index cache).

    python scripts/bench_korean_objects_index.py --images 100000

Writes a tree in the real layout (``<domain>/<n>/<class folder>/<stem>.jpg + .json``, through the
same JSON codec as the synthetic twin; every image is the same small JPEG, since only indexing is
timed), then times ``read_korean_objects`` on it:

* cold: no cache file yet, every JSON parsed and every image header read;
* warm: the cache is valid (``cache_check=files``: one ``stat`` per file; ``folders``: per folder);
* one folder changed: an image added to one class folder; only that folder is parsed again.

The OS file cache is warm in every pass (the tree was just written), so "cold" here measures parsing,
not disk reads. Numbers for docs/datasets/korean_objects.md.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import tempfile
import time
from pathlib import Path

from PIL import Image

from aihub_bench.datasets.korean_objects import read_korean_objects
from aihub_bench.datasets.korean_objects.layout import DOMAINS
from aihub_bench.formats.aihub_region_json import Region, RegionAnnotation, write_region_json

SIZE = (64, 48)


def write_tree(root: Path, images: int, per_folder: int) -> int:
    """``images`` annotated images, ``per_folder`` per class folder, spread over the three domains."""
    buffer = io.BytesIO()
    Image.new("RGB", SIZE, (90, 140, 200)).save(buffer, "JPEG", quality=90)
    jpeg = buffer.getvalue()
    folders = -(-images // per_folder)
    written = 0
    for f in range(folders):
        domain = list(DOMAINS)[f % len(DOMAINS)]
        code = f"XF{f:06d}"
        name = f"{code}_{domain}_대분류{f % 7}_중분류{f % 5}_소분류{f % 3}_사물{f:05d}"
        folder = root / domain / str(f // 100) / name
        folder.mkdir(parents=True)
        for i in range(min(per_folder, images - written)):
            stem = f"{code}_{i // 10 + 1:04d}_{i % 10 + 1:04d}"
            (folder / f"{stem}.jpg").write_bytes(jpeg)
            regions = [Region([4, 4, 40, 30] if i % 7 else [40, 30, 4, 4], f"사물{f:05d}", ["날씨:맑음"])]
            write_region_json(folder / f"{stem}.json", RegionAnnotation(stem, list(SIZE), regions))
            written += 1
    return folders


def timed(label: str, **kwargs: object) -> tuple[str, float, int]:
    start = time.perf_counter()
    samples = read_korean_objects(**kwargs)
    return label, time.perf_counter() - start, len(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--per-folder", type=int, default=100, help="images per class folder")
    parser.add_argument("--verify-images", default="header", choices=["none", "header", "full"])
    parser.add_argument("--workdir", default=None, help="where to write the tree (default: a temp dir)")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="ko_index_bench_"))
    root, cache = work / "tree", work / "cache"
    shutil.rmtree(work, ignore_errors=True)
    start = time.perf_counter()
    folders = write_tree(root, args.images, args.per_folder)
    print(
        f"wrote {args.images} images + {args.images} JSON in {folders} folders ({time.perf_counter() - start:.1f} s)"
    )

    common = {"root": root, "verify_images": args.verify_images}
    rows = [
        timed("no cache", **common),
        timed("cold (builds the cache)", cache_dir=cache, **common),
        timed("warm, cache_check=files", cache_dir=cache, **common),
    ]
    rows.append(timed("cold, cache_check=folders", cache_dir=cache / "f", cache_check="folders", **common))
    rows.append(timed("warm, cache_check=folders", cache_dir=cache / "f", cache_check="folders", **common))
    changed = next((root / list(DOMAINS)[0]).glob("*/*"))
    shutil.copy(next(changed.glob("*.jpg")), changed / "XF999999_0001_0001.jpg")
    shutil.copy(next(changed.glob("*.json")), changed / "XF999999_0001_0001.json")
    rows.append(timed("one folder changed, cache_check=files", cache_dir=cache, **common))

    print(f"\n| pass ({args.images} images, verify_images={args.verify_images}) | seconds | images |")
    print("|---|---:|---:|")
    for label, seconds, n in rows:
        print(f"| {label} | {seconds:.2f} | {n} |")
    cache_size = sum(p.stat().st_size for p in cache.glob("*.pkl"))
    print(f"\ncache file: {cache_size / 1e6:.1f} MB")
    if args.json:
        out = {"images": args.images, "rows": [{"pass": r[0], "seconds": r[1], "images": r[2]} for r in rows]}
        Path(args.json).write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
