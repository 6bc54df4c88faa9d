"""The 한국어-영어 번역 말뭉치 reader: domains from file names, headers by name, counted quirks, cache."""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from pathlib import Path

import openpyxl
import pytest

import aihub_bench.configs
from aihub_bench.datasets.nmt_corpus import (
    DOMAINS,
    META_COLUMNS,
    REAL_FILE_NAMES,
    domain_of,
    header_key,
    read_nmt_corpus,
    resolve_domains,
)
from aihub_bench.datasets.nmt_corpus import reader as nmt_reader
from aihub_bench.errors import BadInputError, ErrorPolicy

NEWS = "3_문어체_뉴스(1)_200226.xlsx"
DIALOGUE = "2_대화체.xlsx"
COLLOQUIAL = "1_구어체(1).xlsx"


def write_book(path: Path, rows: list[list], *, sheets: dict[str, list[list]] | None = None) -> Path:
    """A workbook whose first sheet holds ``rows`` (more sheets after it from ``sheets``)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for title, more in (sheets or {}).items():
        extra = workbook.create_sheet(title)
        for row in more:
            extra.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def news_rows(n: int, offset: int = 0) -> list[list]:
    header = ["ID", "날짜", "자동분류1", "자동분류2", "자동분류3", "URL", "언론사", "원문", "번역문"]
    rows = [header]
    for i in range(offset, offset + n):
        rows.append(
            [i, 20190101 + i, "경제", "금융", None, f"http://x/{i}", "연합", f"뉴스 문장 {i}.", f"News {i}."]
        )
    return rows


def read(root: Path, policy: ErrorPolicy | None = None, **kwargs):
    policy = policy or ErrorPolicy("raise")
    return read_nmt_corpus(root, policy, **kwargs), policy


# ------------------------------------------------------------------------------------------ layout


@pytest.mark.parametrize(
    "name, domain",
    [
        ("1_구어체(1).xlsx", "구어체"),
        ("1_구어체(2).xlsx", "구어체"),
        ("2_대화체.xlsx", "대화체"),
        ("3_문어체_뉴스(1)_200226.xlsx", "뉴스"),
        ("3_문어체_뉴스(2).xlsx", "뉴스"),
        ("3_문어체_뉴스(3)_200226.xlsx", "뉴스"),
        ("3_문어체_뉴스(4).xlsx", "뉴스"),
        ("4_문어체_한국문화.xlsx", "한국문화"),
        ("5_문어체_조례_200226.xlsx", "조례"),
        ("6_문어체_지자체웹사이트.xlsx", "지자체웹사이트"),
        ("some/folder/6_문어체_지자체 웹사이트_200226.xlsx", "지자체웹사이트"),
        ("news_extra.xlsx", "뉴스"),
        ("local_gov_web.xlsx", "지자체웹사이트"),
        ("agriculture.xlsx", None),
        ("7_기타.xlsx", None),
        ("구어체_대화체.xlsx", None),  # two domains: ambiguous
    ],
)
def test_domain_of_file_names(name: str, domain: str | None) -> None:
    assert domain_of(name) == domain
    assert domain_of(unicodedata.normalize("NFD", name)) == domain


def test_real_file_names_cover_every_domain() -> None:
    assert len(REAL_FILE_NAMES) == 10
    found = [domain_of(n) for n in REAL_FILE_NAMES]
    assert None not in found and set(found) == set(DOMAINS)
    assert sum(d == "뉴스" for d in found) == 4 and sum(d == "구어체" for d in found) == 2
    assert set(META_COLUMNS) == set(DOMAINS)


def test_resolve_domains_and_header_key() -> None:
    assert resolve_domains(["news", "대화체", "LOCAL_GOV_WEB"]) == ("대화체", "뉴스", "지자체웹사이트")
    assert resolve_domains("culture") == ("한국문화",)
    assert resolve_domains(None) == DOMAINS
    with pytest.raises(ValueError, match="unknown translation-corpus domain"):
        resolve_domains(["medical"])
    assert header_key("Set Nr.") == header_key(" set nr ") == header_key("SET_NR") == "setnr"
    assert header_key(unicodedata.normalize("NFD", " 원문 ")) == "원문"


# ------------------------------------------------------------------------------------------ reading


def test_headers_by_name_in_any_order_with_news_meta(tmp_path: Path) -> None:
    rows = [
        ["번역문", "URL", " 원문 ", "언론사", "ID", "자동분류3", "날짜", "자동분류2", "자동분류1"],
        ["The economy grew.", "http://a", "경제가 성장했다.", "연합", 7, None, 20190105, "금융", "경제"],
    ]
    write_book(tmp_path / NEWS, rows)
    pairs, policy = read(tmp_path)
    assert len(pairs) == 1
    pair = pairs[0]
    assert (pair.ko, pair.en, pair.domain) == ("경제가 성장했다.", "The economy grew.", "뉴스")
    assert pair.pair_id == "3_문어체_뉴스(1)_200226:2" == pair.group
    assert pair.meta == {
        "file": NEWS,
        "row": 2,
        "id": 7,
        "date": 20190105,
        "category1": "경제",
        "category2": "금융",
        "url": "http://a",
        "press": "연합",
    }
    assert policy.stats["workbooks"] == 1 and policy.stats["pairs/뉴스"] == 1


def test_meta_of_each_domain(tmp_path: Path) -> None:
    write_book(tmp_path / "1_구어체(2).xlsx", [["SID", "원문", "번역문"], [11, "안녕", "Hi"]])
    write_book(
        tmp_path / "4_문어체_한국문화.xlsx",
        [["ID", "키워드", "원문", "번역문"], [3, "한복", "한복", "Hanbok"]],
    )
    write_book(
        tmp_path / "5_문어체_조례.xlsx",
        [["ID", "지자체", "원문", "번역문"], ["A-1", "서울", "조례", "Ordinance"]],
    )
    write_book(
        tmp_path / "6_문어체_지자체웹사이트.xlsx",
        [["지자체", "원문", "번역문", "ID"], ["부산", "웹", "Web", 5]],
    )
    pairs, _ = read(tmp_path)
    meta = {p.domain: {k: v for k, v in p.meta.items() if k not in ("file", "row")} for p in pairs}
    assert meta == {
        "구어체": {"sid": 11},
        "한국문화": {"id": 3, "keyword": "한복"},
        "조례": {"id": "A-1", "municipality": "서울"},
        "지자체웹사이트": {"id": 5, "municipality": "부산"},
    }
    assert [p.meta["file"] for p in pairs] == sorted(p.meta["file"] for p in pairs)


def test_dialogue_groups_by_set_number(tmp_path: Path) -> None:
    rows = [
        ["대분류", "소분류", "상황", "set nr", "발화자", "원문", "번역문"],
        ["일상", "쇼핑", "계산", 1, "A-1", "얼마예요?", "How much is it?"],
        ["일상", "쇼핑", "계산", 1, "B-1", "만 원입니다.", "It's ten thousand won."],
        ["일상", "식당", "주문", 2, "A-1", "주문할게요.", "I'd like to order."],
        ["일상", "식당", "주문", None, "B-1", "네.", "Sure."],
    ]
    write_book(tmp_path / DIALOGUE, rows)
    pairs, _ = read(tmp_path, domains=["dialogue"])
    assert [p.group for p in pairs] == ["대화체:set:1", "대화체:set:1", "대화체:set:2", "2_대화체:5"]
    assert pairs[0].meta == {
        "file": DIALOGUE,
        "row": 2,
        "category": "일상",
        "subcategory": "쇼핑",
        "situation": "계산",
        "set_nr": 1,
        "speaker": "A-1",
    }


def test_row_quirks_are_counted_not_errors(tmp_path: Path) -> None:
    rows = [
        ["SID", "원문", "번역문"],
        [1, "  첫 문장  ", " First. "],
        [None, None, None],  # blank row
        [2, "번역 없음", None],  # one side blank
        [3, "   ", "Only English"],  # whitespace is blank
        [4, 1994, "Nineteen ninety-four"],  # number -> text
        [5, dt.datetime(2020, 2, 26), "A date"],  # date -> text
        [6, "#N/A", "Error value"],  # Excel error
        [7, "가" * 30, "long"],  # too long
        [8, "  첫 문장", "First."],  # duplicate after stripping
        [9, "첫 문장", "First!"],  # same Korean, other English: kept
    ]
    write_book(tmp_path / COLLOQUIAL, rows)
    policy = ErrorPolicy("raise")
    pairs, _ = read(tmp_path, policy, max_chars=20)
    assert [(p.ko, p.en) for p in pairs] == [
        ("첫 문장", "First."),
        ("1994", "Nineteen ninety-four"),
        ("2020-02-26", "A date"),
        ("첫 문장", "First!"),
    ]
    assert [p.meta["row"] for p in pairs] == [2, 6, 7, 11]
    stats = policy.stats
    assert stats["blank_rows"] == 1 and stats["blank_cells"] == 2
    assert stats["non_text_cells"] == 2 and stats["unusable_cells"] == 1
    assert stats["too_long"] == 1 and stats["duplicate_pairs"] == 1 and stats["pairs"] == 4
    assert policy.skipped == 0

    more, _ = read(tmp_path, max_chars=None, dedupe=False)
    assert len(more) == 6  # the long pair and the duplicate are kept


def test_text_is_nfc(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "한국어 문장")
    write_book(tmp_path / COLLOQUIAL, [["원문", "번역문"], [nfd, "A Korean sentence"]])
    pairs, _ = read(tmp_path)
    assert pairs[0].ko == "한국어 문장" and unicodedata.is_normalized("NFC", pairs[0].ko)


def test_nfd_file_name_on_disk(tmp_path: Path) -> None:
    nfd_name = unicodedata.normalize("NFD", "4_문어체_한국문화_200226.xlsx")
    write_book(tmp_path / nfd_name, [["ID", "키워드", "원문", "번역문"], [1, "김치", "김치", "Kimchi"]])
    if not any(unicodedata.is_normalized("NFD", n) and not n.isascii() for n in os.listdir(tmp_path)):
        pytest.skip("this filesystem normalises file names")
    pairs, _ = read(tmp_path, domains=["한국문화"])
    assert pairs[0].pair_id == "4_문어체_한국문화_200226:2"
    assert pairs[0].meta["file"] == "4_문어체_한국문화_200226.xlsx"


def test_title_row_above_header(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["한국어-영어 번역 말뭉치 (뉴스)"])
    sheet.merge_cells("A1:C1")
    sheet.append(["원문", "ID", "번역문"])
    sheet.append(["제목 아래", 1, "Below the title"])
    workbook.save(tmp_path / NEWS)
    policy = ErrorPolicy("raise")
    pairs, _ = read(tmp_path, policy)
    assert [(p.ko, p.meta["row"], p.meta["id"]) for p in pairs] == [("제목 아래", 3, 1)]
    assert policy.stats["header_row_offset"] == 1


def test_header_aliases_and_later_sheet(tmp_path: Path) -> None:
    rows = [["Korean", "English", "화자", "Set No"], ["네", "Yes", "A-2", 4]]
    write_book(tmp_path / DIALOGUE, [["notes"], ["nothing here"]], sheets={"data": rows})
    with pytest.raises(BadInputError, match="no header row with columns 원문 and 번역문"):
        read(tmp_path)
    policy = ErrorPolicy("raise")
    pairs, _ = read(
        tmp_path,
        policy,
        source_header="korean",
        target_header="ENGLISH",
        header_aliases={"speaker": "화자", "set_nr": ["Set No"]},
    )
    assert (pairs[0].ko, pairs[0].en, pairs[0].group, pairs[0].meta["speaker"]) == (
        "네",
        "Yes",
        "대화체:set:4",
        "A-2",
    )
    assert policy.stats["sheets_without_header"] == 1
    with pytest.raises(ValueError, match="unknown keys"):
        read(tmp_path, header_aliases={"nonsense": "x"})


def test_bad_workbooks_raise_naming_the_file_or_are_counted(tmp_path: Path) -> None:
    write_book(tmp_path / "1_구어체(2).xlsx", [["한국어", "영어"], ["안녕", "Hi"]])  # no 원문/번역문
    write_book(tmp_path / "4_문어체_한국문화.xlsx", [])  # empty sheet
    write_book(tmp_path / "5_문어체_조례.xlsx", [["원문", "번역문"], [None, None]])  # header only
    write_book(tmp_path / "7_기타.xlsx", [["원문", "번역문"], ["가", "a"]])  # unknown domain
    (tmp_path / "6_문어체_지자체웹사이트.xlsx").write_bytes(b"not a zip")
    (tmp_path / "~$3_문어체_뉴스(2).xlsx").write_bytes(b"lock")
    write_book(tmp_path / NEWS, news_rows(3))

    with pytest.raises(BadInputError) as err:  # file names are checked before any workbook is read
        read(tmp_path, domains=["news"])
    assert err.value.kind == "unknown_domain" and "7_기타.xlsx" in str(err.value)

    policy = ErrorPolicy("skip")
    pairs, _ = read(tmp_path, policy)
    assert len(pairs) == 3 and {p.domain for p in pairs} == {"뉴스"}
    assert dict(policy.counts) == {
        "missing_header": 1,
        "empty_sheet": 2,
        "bad_workbook": 1,
        "unknown_domain": 1,
    }
    assert policy.stats["lock_files"] == 1 and policy.stats["workbooks"] == 1

    (tmp_path / "7_기타.xlsx").unlink()
    for name, kind in [
        ("1_구어체(2).xlsx", "missing_header"),
        ("4_문어체_한국문화.xlsx", "empty_sheet"),
        ("5_문어체_조례.xlsx", "empty_sheet"),
        ("6_문어체_지자체웹사이트.xlsx", "bad_workbook"),
    ]:
        with pytest.raises(BadInputError) as err:
            read(tmp_path, domains=[domain_of(name)])
        assert err.value.kind == kind and name in str(err.value)


def test_domain_filter_and_sorting(tmp_path: Path) -> None:
    write_book(tmp_path / "b" / "3_문어체_뉴스(2).xlsx", news_rows(2, offset=10))
    write_book(tmp_path / "a" / NEWS, news_rows(2))
    write_book(tmp_path / COLLOQUIAL, [["원문", "번역문"], ["가", "a"]])
    policy = ErrorPolicy("raise")
    pairs, _ = read(tmp_path, policy, domains="news")
    assert [p.pair_id for p in pairs] == [
        "3_문어체_뉴스(1)_200226:2",
        "3_문어체_뉴스(1)_200226:3",
        "3_문어체_뉴스(2):2",
        "3_문어체_뉴스(2):3",
    ]
    assert policy.stats["excluded_domain_files"] == 1
    with pytest.raises(FileNotFoundError):
        read(tmp_path, domains=["조례"])
    with pytest.raises(ValueError, match="max_chars"):
        read(tmp_path, max_chars=0)


def test_duplicate_workbook_names_are_bad_input(tmp_path: Path) -> None:
    write_book(tmp_path / "a" / COLLOQUIAL, [["원문", "번역문"], ["가", "a"]])
    write_book(tmp_path / "b" / COLLOQUIAL, [["원문", "번역문"], ["나", "b"]])
    policy = ErrorPolicy("skip")
    pairs, _ = read(tmp_path, policy)
    assert [p.ko for p in pairs] == ["가"] and policy.counts["duplicate_workbook"] == 1


def test_linked_folders_inside_the_root_are_walked_once_and_outside_ones_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    write_book(root / "real" / COLLOQUIAL, [["원문", "번역문"], ["가", "a"]])
    write_book(outside / NEWS, news_rows(2))
    (root / "loop").symlink_to(root, target_is_directory=True)  # a link to an ancestor: no endless walk
    (root / "same").symlink_to(root / "real", target_is_directory=True)  # a second way to one folder
    (root / "far").symlink_to(outside, target_is_directory=True)
    with pytest.raises(BadInputError) as err:
        read(root)
    assert err.value.kind == "link_outside_root" and err.value.path.endswith("far")
    policy = ErrorPolicy("skip")
    pairs, _ = read(root, policy)
    assert [p.ko for p in pairs] == ["가"]
    assert policy.counts["link_outside_root"] == 1 and policy.stats["folders_linked_twice"] == 2
    allowed, _ = read(root, allow_outside_links=True)
    assert sorted(p.domain for p in allowed) == ["구어체", "뉴스", "뉴스"]


def test_a_workbook_link_inside_the_root_is_read(tmp_path: Path) -> None:
    write_book(tmp_path / "store" / "book.bin", [["원문", "번역문"], ["가", "a"]])
    (tmp_path / COLLOQUIAL).symlink_to(tmp_path / "store" / "book.bin")
    pairs, policy = read(tmp_path)
    assert [p.pair_id for p in pairs] == ["1_구어체(1):2"] and policy.skipped == 0


def test_the_dataset_config_exposes_allow_outside_links() -> None:
    import inspect

    from omegaconf import OmegaConf

    config = Path(aihub_bench.configs.__file__).parent / "dataset" / "nmt_corpus.yaml"
    reader_cfg = OmegaConf.load(config).reader
    assert reader_cfg.allow_outside_links is False
    assert "allow_outside_links" in inspect.signature(read_nmt_corpus).parameters


# ------------------------------------------------------------------------------------------ cache


def test_cache_round_trip_hits_and_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = tmp_path / "data", tmp_path / "cache"
    news = news_rows(5)
    news.insert(3, [None] * 9)  # a blank row
    news[2][7] = 12345  # a number as the Korean side
    news.append(news[1])  # a duplicate pair
    write_book(root / NEWS, news)
    write_book(
        root / DIALOGUE,
        [["Set Nr.", "발화자", "원문", "번역문"], [1, "A-1", "안녕", "Hi"], ["x2", "B-1", "잘 가", None]],
    )
    cold_policy = ErrorPolicy("skip")
    cold, _ = read(root, cold_policy, cache_dir=cache)
    assert cold_policy.stats["cache_misses"] == 2 and cold_policy.stats["cache_hits"] == 0
    assert len(list(cache.glob("*.parquet"))) == 2 and (cache / nmt_reader.INDEX_NAME).is_file()

    def no_parsing(*args, **kwargs):
        raise AssertionError("the workbook was parsed on a warm read")

    def no_hashing(path):
        raise AssertionError(f"{path} was hashed again though unchanged")

    with monkeypatch.context() as patch:
        patch.setattr(openpyxl, "load_workbook", no_parsing)
        patch.setattr(nmt_reader, "open_xlsx", no_parsing)
        patch.setattr(nmt_reader, "_sha1", no_hashing)
        warm_policy = ErrorPolicy("skip")
        warm, _ = read(root, warm_policy, cache_dir=cache)
    assert warm == cold
    assert [type(v) for v in warm[0].meta.values()] == [type(v) for v in cold[0].meta.values()]
    assert warm_policy.stats["cache_hits"] == 2 and warm_policy.stats["cache_misses"] == 0
    strip = ("cache_hits", "cache_misses")
    assert {k: v for k, v in warm_policy.report()["stats"].items() if k not in strip} == {
        k: v for k, v in cold_policy.report()["stats"].items() if k not in strip
    }
    assert warm_policy.stats["blank_rows"] == 1 and warm_policy.stats["non_text_cells"] == 1

    # other parsing options: new cache entries
    limited, policy = read(root, cache_dir=cache, max_chars=6)
    assert policy.stats["cache_misses"] == 2 and len(limited) < len(cold)

    # a changed workbook is parsed again, the other one still comes from the cache
    write_book(root / NEWS, news_rows(7))
    stat = (root / NEWS).stat()
    os.utime(root / NEWS, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    changed_policy = ErrorPolicy("skip")
    changed, _ = read(root, changed_policy, cache_dir=cache)
    assert changed_policy.stats["cache_misses"] == 1 and changed_policy.stats["cache_hits"] == 1
    assert sum(p.domain == "뉴스" for p in changed) == 7


def test_cache_survives_damage_and_keeps_failures_uncached(tmp_path: Path) -> None:
    root, cache = tmp_path / "data", tmp_path / "cache"
    write_book(root / COLLOQUIAL, [["원문", "번역문"], ["가", "a"], ["나", "b"]])
    write_book(root / "2_대화체.xlsx", [["no", "header"], [1, 2]])
    policy = ErrorPolicy("skip")
    first, _ = read(root, policy, cache_dir=cache)
    assert policy.counts["missing_header"] == 1 and len(list(cache.glob("*.parquet"))) == 1
    for entry in cache.glob("*.parquet"):
        entry.write_bytes(b"garbage")
    (cache / nmt_reader.INDEX_NAME).write_text("{not json", encoding="utf-8")
    again_policy = ErrorPolicy("skip")
    again, _ = read(root, again_policy, cache_dir=cache)
    assert again == first
    # a workbook that failed is not cached: found again (a miss) on every read
    assert again_policy.counts["missing_header"] == 1 and again_policy.stats["cache_misses"] == 2
    hit_policy = ErrorPolicy("skip")
    read(root, hit_policy, cache_dir=cache)
    assert hit_policy.stats["cache_hits"] == 1 and hit_policy.counts["missing_header"] == 1
