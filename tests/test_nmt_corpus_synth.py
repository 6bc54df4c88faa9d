"""The synthetic Korean-English corpus twin: release file names, headers, content, quirks, determinism."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from openpyxl import load_workbook

from aihub_bench.datasets import nmt_corpus
from aihub_bench.datasets.nmt_corpus import synth
from aihub_bench.datasets.nmt_corpus.layout import REAL_FILE_NAMES
from aihub_bench.datasets.nmt_corpus.synth import (
    DEFAULT_ROWS,
    FILE_NAMES,
    FILES,
    HEADERS,
    domain_of_file,
    synthetic_records,
    write_synthetic_nmt_corpus,
)
from aihub_bench.datasets.registry import ensure_twin

SCALE = 0.05
HANGUL = re.compile("[가-힣]")
RELEASE_NAMES = set(REAL_FILE_NAMES)  # the reader's layout: twin and reader agree on the release


def _digest(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir())}


def _sheet(path: Path) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """(header, data rows including blank ones) of the only sheet."""
    book = load_workbook(path, read_only=True)
    assert len(book.sheetnames) == 1
    rows = list(book.active.iter_rows(values_only=True))
    book.close()
    return rows[0], rows[1:]


def _records(root: Path, name: str) -> list[dict[str, Any]]:
    """Non-blank data rows as header -> value."""
    header, rows = _sheet(root / name)
    return [dict(zip(header, row, strict=True)) for row in rows if any(v is not None for v in row)]


def _pairs(scale: float, seed: int = 0, quirks: bool = False) -> list[tuple[str, str, str]]:
    """(domain, 원문, 번역문) over all files, straight from the generator."""
    out = []
    for name in FILE_NAMES:
        n = max(1, round(DEFAULT_ROWS[name] * scale))
        for rec in synthetic_records(name, n, seed=seed, quirks=quirks):
            if rec is not None:
                out.append((FILES[name], rec["원문"], rec["번역문"]))
    return out


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_nmt_corpus(tmp_path_factory.mktemp("nmt") / "twin", scale=SCALE)


@pytest.fixture(scope="module")
def clean_pairs() -> list[tuple[str, str, str]]:
    return _pairs(0.25)


def test_the_ten_release_files(twin: Path) -> None:
    names = {unicodedata.normalize("NFC", p.name) for p in twin.iterdir()}
    assert names == RELEASE_NAMES == set(FILE_NAMES)
    assert {p.suffix for p in twin.iterdir()} == {".xlsx"}
    assert Counter(domain_of_file(n) for n in RELEASE_NAMES) == {
        "news": 4,
        "colloquial": 2,
        "dialogue": 1,
        "culture": 1,
        "ordinance": 1,
        "local_gov": 1,
    }
    assert domain_of_file(unicodedata.normalize("NFD", "2_대화체.xlsx")) == "dialogue"


def test_headers_in_row_one_by_domain(twin: Path) -> None:
    extra = {
        "news": {"ID", "날짜", "자동분류1", "자동분류2", "자동분류3", "URL", "언론사"},
        "colloquial": {"SID"},
        "dialogue": {"대분류", "소분류", "상황", "Set Nr.", "발화자"},
        "culture": {"ID", "키워드"},
        "ordinance": {"ID", "지자체"},
        "local_gov": {"ID", "지자체"},
    }
    not_first = 0
    for name in FILE_NAMES:
        header, _ = _sheet(twin / name)
        domain = domain_of_file(name)
        assert header == HEADERS[domain]
        assert set(header) == extra[domain] | {"원문", "번역문"}
        not_first += header[:2] != ("원문", "번역문")
    assert not_first == len(FILE_NAMES)  # readers must go by header name


def test_row_counts_and_number_cells(twin: Path) -> None:
    for name in FILE_NAMES:
        records = _records(twin, name)
        assert len(records) == round(DEFAULT_ROWS[name] * SCALE)
        domain = domain_of_file(name)
        id_column = {"colloquial": "SID", "dialogue": "Set Nr."}.get(domain, "ID")
        ids = [r[id_column] for r in records]
        assert all(type(i) is int for i in ids)
        if domain != "dialogue":
            assert len(set(ids)) == len(ids)
        if domain == "news":
            for r in records:
                assert type(r["날짜"]) is int and len(str(r["날짜"])) == 8
                datetime.datetime.strptime(str(r["날짜"]), "%Y%m%d")
                assert r["URL"].startswith("https://") and r["언론사"] and r["자동분류1"]
    news = [r for name in FILE_NAMES if domain_of_file(name) == "news" for r in _records(twin, name)]
    assert sum(r["자동분류3"] is None for r in news) > 0.7 * len(news)  # mostly empty


def test_korean_source_and_ascii_english_target(twin: Path) -> None:
    for name in FILE_NAMES:
        for r in _records(twin, name):
            ko, en = r["원문"], r["번역문"]
            if ko is not None:
                assert HANGUL.search(ko), ko
            if en is not None:
                assert en.isascii() and re.search("[A-Za-z]", en) and not HANGUL.search(en), en


def test_sentence_lengths(clean_pairs: list[tuple[str, str, str]]) -> None:
    for _, ko, en in clean_pairs:
        assert 5 <= len(en.split()) <= 40, en
        assert 3 <= len(ko.split()) <= 40, ko
        assert en[0].isupper() or en[0].isdigit(), en
        assert "  " not in ko + en


def test_dialogue_sets_take_turns(twin: Path) -> None:
    records = _records(twin, "2_대화체.xlsx")
    sets: dict[int, list[dict[str, Any]]] = {}
    for r in records:
        sets.setdefault(r["Set Nr."], []).append(r)
    numbers = [r["Set Nr."] for r in records]
    assert numbers == sorted(numbers) and list(sets) == list(range(1, len(sets) + 1))
    for number, turns in sets.items():
        speakers = [t["발화자"] for t in turns]
        assert speakers == [f"{'AB'[i % 2]}-{i // 2 + 1}" for i in range(len(speakers))]
        if number != len(sets):  # the last set may be cut short by the row count
            assert synth.MIN_SET_TURNS <= len(turns) <= synth.MAX_SET_TURNS
        assert len({(t["대분류"], t["소분류"], t["상황"]) for t in turns}) == 1
    assert {r["대분류"] for r in records} <= {"여행/쇼핑", "비즈니스", "일상대화"}


def test_numbers_and_dates_carry_over(clean_pairs: list[tuple[str, str, str]]) -> None:
    """Every number of the Korean side is on the English side (months and quarters as words)."""
    months = synth._MONTHS
    quarters = synth._QUARTERS
    checked = 0
    for _, ko, en in clean_pairs:
        en_runs = re.findall(r"\d+", en.replace(",", ""))
        for match in re.finditer(r"\d+", ko.replace(",", "")):
            run, rest = match.group(), ko.replace(",", "")[match.end() :]
            if rest.startswith("월"):
                assert months[int(run) - 1] in en, (ko, en)
            elif rest.startswith("분기"):
                assert f"the {quarters[int(run) - 1]} quarter" in en, (ko, en)
            else:  # 50만원 -> 500,000 won: the Korean digits start an English number
                assert any(e.startswith(run) or int(e) == int(run) for e in en_runs), (run, ko, en)
            checked += 1
    assert checked > len(clean_pairs)


def test_sample_translations() -> None:
    r = synth._R(np.random.default_rng(0))
    ko, en, _ = synth._news_fares(r, 2019, 3, 5)
    assert re.fullmatch(r"\S+시는 5일 .*\d+(\.\d)?퍼센트 (인상|인하)한다고 밝혔다\.", ko), ko
    assert re.fullmatch(r"\S+ City said on the 5th that it will (raise|cut) .* by \d+(\.\d)? percent.*\.", en)
    city = ko.split("시는")[0]
    assert en.startswith(dict(synth.CITIES)[city] + " City")
    ko, en = synth._ord_effective(r, synth._ORD_GOVS[0])
    y, m, d = map(int, re.findall(r"\d+", ko))
    assert en == f"This ordinance shall take effect on {synth._MONTHS[m - 1]} {d}, {y}."


@pytest.mark.parametrize(
    ("word", "particle", "expected"),
    [
        ("서울", "은", "서울은"), ("대구", "은", "대구는"), ("제주", "이", "제주가"), ("수입", "을", "수입을"),
        ("교통 요금", "을", "교통 요금을"), ("입장료", "을", "입장료를"), ("김치", "과", "김치와"),
        ("두부", "과", "두부와"), ("마늘", "과", "마늘과"), ("지하철", "으로", "지하철로"), ("버스", "으로", "버스로"),
        ("현금", "으로", "현금으로"), ("010-1234-5678", "으로", "010-1234-5678로"),
        ("010-1234-5670", "이고", "010-1234-5670이고"), ("010-1234-5672", "이고", "010-1234-5672고"),
    ],
)  # fmt: skip
def test_particles_follow_the_word(word: str, particle: str, expected: str) -> None:
    assert synth.j(word, particle) == expected


def test_english_ordinals() -> None:
    assert [synth.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st",
    ]  # fmt: skip


def test_translation_is_a_function_and_duplicates_are_rare(clean_pairs: list[tuple[str, str, str]]) -> None:
    by_source: dict[str, set[str]] = {}
    for _, ko, en in clean_pairs:
        by_source.setdefault(ko, set()).add(en)
    assert all(len(v) == 1 for v in by_source.values())  # one Korean sentence, one English one
    pairs = [(ko, en) for _, ko, en in clean_pairs]
    duplicate_rate = 1 - len(set(pairs)) / len(pairs)
    assert duplicate_rate < 0.05, duplicate_rate
    for domain in set(FILES.values()):
        own = [(ko, en) for d, ko, en in clean_pairs if d == domain]
        assert 1 - len(set(own)) / len(own) < 0.1, domain
    # the vocabulary stays compact: each side in the hundreds of word types, not thousands
    for side in (1, 2):
        words = {w.strip('.,?!()"“”「」').lower() for p in clean_pairs for w in p[side].split()}
        words = {w for w in words if w and not re.search(r"\d", w)}
        assert 200 < len(words) < 2000


def test_quirks(twin: Path, tmp_path: Path) -> None:
    clean = write_synthetic_nmt_corpus(tmp_path / "clean", scale=SCALE, quirks=False)
    for name in FILE_NAMES:
        header, rows = _sheet(twin / name)
        blank = [i for i, row in enumerate(rows) if all(v is None for v in row)]
        assert blank and 0 < blank[0] and blank[-1] < len(rows) - 1  # between data rows
        records = _records(twin, name)
        assert any(r["번역문"] is None for r in records)
        pairs = [(r["원문"], r["번역문"]) for r in records if r["원문"] and r["번역문"]]
        if domain_of_file(name) != "dialogue":
            assert len(set(pairs)) < len(pairs)  # exact duplicate pairs
        _, clean_rows = _sheet(clean / name)
        assert all(any(v is not None for v in row) for row in clean_rows)
        assert all(row[header.index("원문")] and row[header.index("번역문")] for row in clean_rows)
        assert len(clean_rows) == len(records)
        # quirks only add blanks and duplicates: the metadata columns are the same
        meta = [c for c in header if c not in ("원문", "번역문")]
        assert [[r[c] for c in meta] for r in records] == [
            [row[header.index(c)] for c in meta] for row in clean_rows
        ]


def test_same_arguments_same_bytes_other_seed_other_content(twin: Path, tmp_path: Path) -> None:
    again = write_synthetic_nmt_corpus(tmp_path / "again", scale=SCALE)
    assert _digest(again) == _digest(twin)
    other = write_synthetic_nmt_corpus(tmp_path / "other", scale=SCALE, seed=1)
    theirs, ours = _digest(other), _digest(twin)
    assert all(theirs[name] != ours[name] for name in ours)
    assert [r["원문"] for r in _records(other, "2_대화체.xlsx")] != [
        r["원문"] for r in _records(twin, "2_대화체.xlsx")
    ]


def test_rows_per_file_and_scale(tmp_path: Path) -> None:
    root = write_synthetic_nmt_corpus(
        tmp_path / "some", rows_per_file={"2_대화체.xlsx": 10, "5_문어체_조례.xlsx": 0}, scale=2
    )
    assert [p.name for p in root.iterdir()] == ["2_대화체.xlsx"]
    assert len(_records(root, "2_대화체.xlsx")) == 20
    with pytest.raises(ValueError, match="unknown file"):
        write_synthetic_nmt_corpus(tmp_path / "bad", rows_per_file={"7_없음.xlsx": 3})
    with pytest.raises(ValueError, match="scale"):
        write_synthetic_nmt_corpus(tmp_path / "bad", scale=0)
    with pytest.raises(ValueError, match="seed"):
        write_synthetic_nmt_corpus(tmp_path / "bad", seed=-1)
    assert DEFAULT_ROWS["3_문어체_뉴스(2).xlsx"] == 1500 and DEFAULT_ROWS["2_대화체.xlsx"] == 600
    assert sum(DEFAULT_ROWS.values()) == 4 * 1500 + 2 * 800 + 600 + 3 * 400


def test_ensure_caches_by_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = {"1_구어체(1).xlsx": 30, "2_대화체.xlsx": 12}
    first = ensure_twin("nmt_corpus", tmp_path, rows_per_file=small)
    assert first.parent == tmp_path and first.name.startswith("nmt-corpus-synth-")
    assert sorted(p.name for p in first.iterdir()) == sorted(small)
    before = _digest(first)

    @functools.wraps(nmt_corpus.SPEC.writer)  # same signature: the registry binds to it
    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("regenerated a cached twin")

    monkeypatch.setattr(nmt_corpus, "SPEC", dataclasses.replace(nmt_corpus.SPEC, writer=fail))
    assert ensure_twin("nmt_corpus", tmp_path, rows_per_file=small) == first
    # the same counts spelled through scale hit the same cache entry
    assert (
        ensure_twin("nmt_corpus", tmp_path, rows_per_file={k: 2 * v for k, v in small.items()}, scale=0.5)
        == first
    )
    monkeypatch.undo()
    other = ensure_twin("nmt_corpus", tmp_path, rows_per_file=small, seed=3)
    no_quirks = ensure_twin("nmt_corpus", tmp_path, rows_per_file=small, quirks=False)
    assert len({first, other, no_quirks}) == 3
    assert _digest(first) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers
