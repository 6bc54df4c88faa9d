"""Names in the 한국어-영어 번역 말뭉치 release: workbooks, domains and column headers.

The release is ten ``.xlsx`` workbooks (1,602,418 sentence pairs), one data sheet each with its
header in row 1 [A]. Every workbook has ``원문`` (Korean source) and ``번역문`` (English target); the
other columns depend on the domain, which only the file name tells (``3_문어체_뉴스(2).xlsx`` is
news). Some copies add a ``_200226`` date suffix to the names.

Names and headers are compared in Unicode NFC: archives unpacked on macOS store Hangul decomposed
(NFD), and ``"뉴스"`` typed in a config must still match such a file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

# The six domains in release order (the number that starts each file name).
DOMAINS: tuple[str, ...] = ("구어체", "대화체", "뉴스", "한국문화", "조례", "지자체웹사이트")
# English alias -> Korean domain (either may be used in configs).
DOMAIN_ALIASES: dict[str, str] = {
    "colloquial": "구어체",
    "dialogue": "대화체",
    "news": "뉴스",
    "culture": "한국문화",
    "ordinance": "조례",
    "local_gov_web": "지자체웹사이트",
}

REAL_FILE_NAMES: tuple[str, ...] = (
    "1_구어체(1).xlsx",
    "1_구어체(2).xlsx",
    "2_대화체.xlsx",
    "3_문어체_뉴스(1)_200226.xlsx",
    "3_문어체_뉴스(2).xlsx",
    "3_문어체_뉴스(3).xlsx",
    "3_문어체_뉴스(4).xlsx",
    "4_문어체_한국문화.xlsx",
    "5_문어체_조례.xlsx",
    "6_문어체_지자체웹사이트.xlsx",
)
REAL_TOTAL_PAIRS = 1_602_418

SOURCE_HEADER = "원문"
TARGET_HEADER = "번역문"
# Our names for the two text columns in ``header_aliases``.
SOURCE_KEY = "source"
TARGET_KEY = "target"

# Per domain: the release's header -> our ``meta`` key.
META_COLUMNS: dict[str, dict[str, str]] = {
    "구어체": {"SID": "sid"},
    "대화체": {
        "대분류": "category",
        "소분류": "subcategory",
        "상황": "situation",
        "Set Nr.": "set_nr",
        "발화자": "speaker",
    },
    "뉴스": {
        "ID": "id",
        "날짜": "date",
        "자동분류1": "category1",
        "자동분류2": "category2",
        "자동분류3": "category3",
        "URL": "url",
        "언론사": "press",
    },
    "한국문화": {"ID": "id", "키워드": "keyword"},
    "조례": {"ID": "id", "지자체": "municipality"},
    "지자체웹사이트": {"ID": "id", "지자체": "municipality"},
}
META_KEYS: frozenset[str] = frozenset(k for columns in META_COLUMNS.values() for k in columns.values())
# The dialogue key that keeps a conversation together (the leakage group).
DIALOGUE_DOMAIN = "대화체"
SET_KEY = "set_nr"

# File-name keyword per domain (on the NFC name without spaces); English aliases also count.
_DOMAIN_PATTERNS: dict[str, re.Pattern[str]] = {
    domain: re.compile(
        rf"{keyword}|(?<![a-z]){alias}(?![a-z])",
        re.IGNORECASE,
    )
    for domain, keyword, alias in (
        ("구어체", "구어체", "colloquial"),
        ("대화체", "대화체", "dialogue"),
        ("뉴스", "뉴스", "news"),
        ("한국문화", "한국문화", "culture"),
        ("조례", "조례", "ordinance"),
        ("지자체웹사이트", r"지자체[_\-]?웹[_\-]?사이트", r"local[_\-]?gov[_\-]?web"),
    )
}
_HEADER_NOISE = re.compile(r"[\s._\-\u200b\ufeff]+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def domain_of(file_name: str) -> str | None:
    """The domain a workbook's file name tells (any normalisation, folders ignored), else ``None``.

    ``3_문어체_뉴스(1)_200226.xlsx`` -> ``뉴스``; a name that names no domain, or more than one,
    gives ``None``.
    """
    name = nfc(str(file_name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"\s+", "", name)
    found = [domain for domain, pattern in _DOMAIN_PATTERNS.items() if pattern.search(name)]
    return found[0] if len(found) == 1 else None


def lookup_domain(name: str) -> str | None:
    """Korean domain name for a Korean or English name (any case / normalisation), else ``None``."""
    name = nfc(str(name)).strip()
    if name in DOMAINS:
        return name
    return DOMAIN_ALIASES.get(name.lower())


def resolve_domains(names: Sequence[str] | str | None) -> tuple[str, ...]:
    """Korean domain names, in release order, for Korean or English ``names`` (``None``: all six)."""
    if names is None:
        return DOMAINS
    found = set()
    for name in [names] if isinstance(names, str) else names:
        korean = lookup_domain(name)
        if korean is None:
            known = ", ".join(f"{k} ({e})" for e, k in DOMAIN_ALIASES.items())
            raise ValueError(f"unknown translation-corpus domain {name!r}; known: {known}")
        found.add(korean)
    if not found:
        raise ValueError("domains must name at least one domain")
    return tuple(d for d in DOMAINS if d in found)


def header_key(text: object) -> str:
    """A header as compared: NFC, case-folded, without spaces, dots, dashes or underscores.

    ``"Set Nr."``, ``"set nr"`` and ``" SET_NR "`` all compare equal; ``None`` gives ``""``.
    """
    if text is None:
        return ""
    return _HEADER_NOISE.sub("", nfc(str(text))).casefold()


def _as_names(value: str | Sequence[str], key: str) -> list[str]:
    names = [value] if isinstance(value, str) else list(value)
    if not names or not all(isinstance(n, str) and header_key(n) for n in names):
        raise ValueError(f"header_aliases[{key!r}] must be a header name or a list of them, got {value!r}")
    return names


def column_spec(
    domain: str,
    source_header: str = SOURCE_HEADER,
    target_header: str = TARGET_HEADER,
    header_aliases: Mapping[str, str | Sequence[str]] | None = None,
) -> dict[str, str]:
    """Compared header (see ``header_key``) -> our key (``source``, ``target`` or a meta key).

    ``header_aliases`` maps our keys to more header names that are accepted as well as the default
    ones: ``{"source": "Korean", "speaker": ["화자"]}``. An alias of a meta key applies to the
    domains that have that key; an unknown key is an error.
    """
    if domain not in META_COLUMNS:
        raise ValueError(f"unknown translation-corpus domain {domain!r}; known: {list(DOMAINS)}")
    aliases = dict(header_aliases or {})
    unknown = set(aliases) - META_KEYS - {SOURCE_KEY, TARGET_KEY}
    if unknown:
        known = sorted(META_KEYS | {SOURCE_KEY, TARGET_KEY})
        raise ValueError(f"header_aliases: unknown keys {sorted(unknown)}; known: {known}")
    spec: dict[str, str] = {}
    domain_keys = set(META_COLUMNS[domain].values())
    for header, key in META_COLUMNS[domain].items():
        spec[header_key(header)] = key
    for key, names in aliases.items():
        if key in domain_keys:
            spec.update({header_key(n): key for n in _as_names(names, key)})
    for key, default in ((SOURCE_KEY, source_header), (TARGET_KEY, target_header)):
        if not isinstance(default, str) or not header_key(default):
            raise ValueError(f"the {key} header must be a non-empty string, got {default!r}")
        spec[header_key(default)] = key
        if key in aliases:
            spec.update({header_key(n): key for n in _as_names(aliases[key], key)})
    if header_key(source_header) == header_key(target_header):
        raise ValueError(f"source and target headers are the same: {source_header!r}")
    return spec
