"""한국어-영어 번역 말뭉치 — the Korean–English parallel corpus: layout, reader and synthetic twin."""

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
from aihub_bench.datasets.nmt_corpus.synth import (
    GENERATOR_VERSION,
    ensure_synthetic_nmt_corpus,
    write_synthetic_nmt_corpus,
)

__all__ = [
    "GENERATOR_VERSION",
    "DOMAINS",
    "DOMAIN_ALIASES",
    "META_COLUMNS",
    "REAL_FILE_NAMES",
    "REAL_TOTAL_PAIRS",
    "SOURCE_HEADER",
    "TARGET_HEADER",
    "column_spec",
    "domain_of",
    "ensure_synthetic_nmt_corpus",
    "header_key",
    "read_nmt_corpus",
    "resolve_domains",
    "write_synthetic_nmt_corpus",
]
