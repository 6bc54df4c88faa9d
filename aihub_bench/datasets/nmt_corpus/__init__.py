"""한국어-영어 번역 말뭉치 — the Korean–English parallel corpus: layout, reader and synthetic twin."""

from typing import Any

from aihub_bench.datasets.nmt_corpus import synth
from aihub_bench.datasets.nmt_corpus.layout import (
    DOMAIN_ALIASES,
    DOMAINS,
    META_COLUMNS,
    REAL_FILE_NAMES,
    REAL_TOTAL_PAIRS,
    SOURCE_HEADER,
    TARGET_HEADER,
    column_spec,
    domain_of,
    header_key,
    resolve_domains,
)
from aihub_bench.datasets.nmt_corpus.reader import read_nmt_corpus
from aihub_bench.datasets.nmt_corpus.synth import GENERATOR_VERSION, write_synthetic_nmt_corpus
from aihub_bench.datasets.spec import DatasetSpec

FULL_TWIN: dict[str, Any] = {"scale": 1.0, "seed": 0}

SPEC = DatasetSpec(
    name="nmt_corpus",
    title="한국어-영어 번역 말뭉치 Korean-English parallel corpus (ten .xlsx workbooks)",
    reader=read_nmt_corpus,
    writer=write_synthetic_nmt_corpus,
    version=GENERATOR_VERSION,
    full=FULL_TWIN,
    smoke={**FULL_TWIN, "scale": 0.1},
    smoke_samples=915,  # pairs kept of 940 rows (quirks: blank, overlong and duplicate rows)
    canonical=synth.canonical_params,
    cli_kwargs=synth.cli_kwargs,
    unit="workbooks",
    pattern="*.xlsx",
    remove_one_file=synth.remove_one_workbook,
)

__all__ = [
    "DOMAINS",
    "DOMAIN_ALIASES",
    "GENERATOR_VERSION",
    "META_COLUMNS",
    "REAL_FILE_NAMES",
    "REAL_TOTAL_PAIRS",
    "SOURCE_HEADER",
    "SPEC",
    "TARGET_HEADER",
    "column_spec",
    "domain_of",
    "header_key",
    "read_nmt_corpus",
    "resolve_domains",
    "write_synthetic_nmt_corpus",
]
