"""Benchmark: reading a news workbook of the translation corpus cold (parse the .xlsx) and warm (Parquet).

    python scripts/bench_nmt_corpus_cache.py --rows 200000

Writes one news-style workbook (``3_문어체_뉴스(1)_200226.xlsx``: ``ID, 날짜, 자동분류1-3, URL, 언론사,
원문, 번역문``, simple generated sentences) with openpyxl's write-only mode, then times
``read_nmt_corpus`` on it:

* cold: no cache yet: the workbook is hashed, streamed through openpyxl and stored as Parquet;
* warm: the cache is valid: a ``stat`` finds the hash in the index, the Parquet file is loaded;
* warm, re-hashed: the stat index is deleted, so the workbook's bytes are hashed again (what a
  copied or touched file costs), then the Parquet file is loaded.

The OS file cache is warm in every pass (the workbook was just written), so "cold" measures
parsing, not disk reads. Numbers for docs/datasets/nmt_corpus.md.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from aihub_bench.datasets.nmt_corpus import read_nmt_corpus
from aihub_bench.datasets.nmt_corpus.reader import INDEX_NAME
from aihub_bench.errors import ErrorPolicy

FILE_NAME = "3_문어체_뉴스(1)_200226.xlsx"
HEADER = ["ID", "날짜", "자동분류1", "자동분류2", "자동분류3", "URL", "언론사", "원문", "번역문"]
SUBJECTS = [
    ("정부는", "The government"),
    ("시민들은", "Citizens"),
    ("기업들은", "Companies"),
    ("연구진은", "Researchers"),
]
OBJECTS = [
    ("새 정책을", "a new policy"),
    ("경제 지표를", "economic indicators"),
    ("기술 개발을", "technology"),
]
VERBS = [
    ("발표했다", "announced"),
    ("검토했다", "reviewed"),
    ("지원했다", "supported"),
    ("비판했다", "criticised"),
]
PLACES = [
    ("서울에서", "in Seoul"),
    ("부산에서", "in Busan"),
    ("국회에서", "at the National Assembly"),
    ("", ""),
]
CATEGORIES = ["경제", "정치", "사회", "IT_과학", "문화", "국제"]
PRESS = ["연합뉴스", "한국일보", "매일경제", "전자신문"]


def write_workbook(path: Path, rows: int, seed: int = 0) -> None:
    """``rows`` news rows (every one a different sentence pair) in write-only mode."""
    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(HEADER)
    for i in range(rows):
        (s_ko, s_en), (o_ko, o_en), (v_ko, v_en), (p_ko, p_en) = (
            rng.choice(SUBJECTS),
            rng.choice(OBJECTS),
            rng.choice(VERBS),
            rng.choice(PLACES),
        )
        ko = " ".join(w for w in (s_ko, p_ko, f"{i}번째", o_ko, v_ko) if w) + "."
        en = " ".join(w for w in (s_en, v_en, o_en, p_en, f"(item {i})") if w) + "."
        category = rng.sample(CATEGORIES, 3)
        sheet.append(
            [
                i + 1,
                20190101 + i % 28,
                category[0],
                category[1],
                category[2] if i % 3 == 0 else None,
                f"https://news.example/{i}",
                rng.choice(PRESS),
                ko,
                en,
            ]
        )
    workbook.save(path)


def timed(label: str, root: Path, cache: Path) -> dict[str, float | int | str]:
    policy = ErrorPolicy("raise")
    start = time.perf_counter()
    pairs = read_nmt_corpus(root, policy, cache_dir=cache)
    seconds = time.perf_counter() - start
    return {
        "pass": label,
        "seconds": round(seconds, 3),
        "pairs": len(pairs),
        "rows_per_s": round(len(pairs) / seconds),
        "cache_hits": policy.stats["cache_hits"],
        "cache_misses": policy.stats["cache_misses"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--out", default=None, help="where to write the workbook and cache (default: a temp dir)"
    )
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()

    work = Path(args.out or tempfile.mkdtemp(prefix="nmt_cache_bench_"))
    root, cache = work / "corpus", work / "cache"
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    root.mkdir(parents=True)
    start = time.perf_counter()
    write_workbook(root / FILE_NAME, args.rows)
    size = (root / FILE_NAME).stat().st_size
    print(f"wrote {args.rows} rows ({size / 2**20:.1f} MiB) in {time.perf_counter() - start:.1f} s: {root}")

    results = [timed("cold (parse + cache write)", root, cache), timed("warm (cache load)", root, cache)]
    (cache / INDEX_NAME).unlink()
    results.append(timed("warm, re-hashed (no stat index)", root, cache))
    parquet = sum(p.stat().st_size for p in cache.glob("*.parquet"))
    for r in results:
        print(f"{r['pass']:<34} {r['seconds']:>8.2f} s  {r['rows_per_s']:>10,} rows/s  ({r['pairs']} pairs)")
    cold, warm = results[0]["seconds"], results[1]["seconds"]
    print(f"speed-up warm vs cold: {cold / warm:.1f}x; Parquet cache {parquet / 2**20:.1f} MiB")
    if args.json:
        summary = {"rows": args.rows, "xlsx_bytes": size, "parquet_bytes": parquet, "passes": results}
        Path(args.json).write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    if not args.out:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
