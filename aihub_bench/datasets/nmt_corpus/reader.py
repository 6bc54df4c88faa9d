"""Read the 한국어-영어 번역 말뭉치 (or its synthetic twin) into ``TranslationPair`` records.

Every ``.xlsx`` under the root is a workbook of one domain, told by its file name (``layout.domain_of``).
Its data sheet is the first worksheet with the ``원문`` and ``번역문`` headers in one of its first
five rows (a title row may sit above the header); columns are found by header name, never by
position. Rows are streamed (``openpyxl`` read-only mode), so a 300k-row workbook never sits in
memory as cells.

Per row, normal quirks of the release are counted and skipped, not errors (``policy.count``):
``blank_rows``, ``blank_cells`` (one side blank), ``unusable_cells`` (an Excel error value such as
``#N/A``), ``too_long`` (either side over ``max_chars``); ``non_text_cells`` counts numbers or dates
that were turned into text. A whole workbook that cannot be used is bad input (``policy.handle``):
``unknown_domain``, ``missing_header``, ``empty_sheet``, ``bad_workbook`` (not a zip, no worksheet,
a zip bomb or padded XML, broken XML, rows past Excel's limit), ``duplicate_workbook`` and
``link_outside_root`` (a linked workbook or folder whose target lies outside the root).
Workbooks are opened through ``formats.xlsx.open_xlsx``, which checks the zip members first.

With ``cache_dir``, each workbook's parsed rows are kept as a Parquet file named by the workbook's
content hash and the parsing options; a later read loads it instead of parsing the ``.xlsx``. The
counts found while parsing are stored with it, so a warm read reports the same numbers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import gc
import hashlib
import json
import logging
import os
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aihub_bench.datasets.nmt_corpus.layout import (
    DIALOGUE_DOMAIN,
    SET_KEY,
    SOURCE_HEADER,
    SOURCE_KEY,
    TARGET_HEADER,
    TARGET_KEY,
    column_spec,
    domain_of,
    header_key,
    nfc,
    resolve_domains,
)
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.safe_json import load_json, loads_json
from aihub_bench.formats.walk import file_inside, walk_inside
from aihub_bench.formats.xlsx import open_xlsx
from aihub_bench.records import TranslationPair

log = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 5
# Rows looked at past the search window, only to say where a misplaced header sits.
HEADER_HINT_ROWS = 50
EXCEL_MAX_ROWS = 1_048_576
CACHE_FORMAT = 1
INDEX_NAME = "nmt_corpus_index.json"
_METADATA_KEY = b"aihub_bench.nmt_corpus"
_ERROR_VALUES = frozenset(
    ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
)
_INT64 = (-(2**63), 2**63 - 1)
# Counted while parsing one workbook: stored with its cache entry, so always all of them.
PARSE_STATS = (
    "blank_rows",
    "blank_cells",
    "non_text_cells",
    "unusable_cells",
    "unusable_meta_cells",
    "too_long",
    "header_row_offset",
    "sheets_without_header",
)


@dataclass
class _Parsed:
    """One workbook's usable rows, column by column (meta values are all ``int`` or all ``str``)."""

    sheet: str
    header_row: int
    rows: list[int] = field(default_factory=list)
    ko: list[str] = field(default_factory=list)
    en: list[str] = field(default_factory=list)
    meta: dict[str, list[Any]] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARSE_STATS, 0))


@dataclass(frozen=True)
class _Workbook:
    path: Path  # as on disk
    name: str  # NFC file name
    domain: str


# ------------------------------------------------------------------------------------------ files


def _workbook_files(
    root: Path, file_glob: str, policy: ErrorPolicy, allow_outside_links: bool = False
) -> list[tuple[str, Path]]:
    """``(NFC relative path, path)`` of the workbooks under ``root``; lock and hidden files counted.

    Folders are walked by ``walk_inside``; linked folders and workbooks are followed only when their
    target stays inside ``root`` (or ``allow_outside_links``), others are bad input of kind
    ``link_outside_root``.
    """
    pattern = nfc(file_glob).lower()
    match_path = "/" in pattern
    found = []
    walk = walk_inside(root, policy, allow_outside_links=allow_outside_links, contents="workbooks")
    for folder, _dirs, files in walk:
        for raw in files:
            name = nfc(raw)
            rel = nfc(os.path.relpath(folder / raw, root)).replace(os.sep, "/")
            if not fnmatch.fnmatchcase((rel if match_path else name).lower(), pattern):
                continue
            if name.startswith("~$"):  # Excel's lock file next to an open workbook
                policy.count("lock_files")
                continue
            if name.startswith("."):  # "._x.xlsx": macOS metadata
                policy.count("ignored_hidden_files")
                continue
            if file_inside(root, folder / raw, policy, allow_outside_links):
                found.append((rel, folder / raw))
    found.sort(key=lambda item: (item[0].rsplit("/", 1)[-1], item[0]))
    return found


def _select(files: list[tuple[str, Path]], wanted: tuple[str, ...], policy: ErrorPolicy) -> list[_Workbook]:
    """The workbooks of the wanted domains; unknown domains and repeated names are bad input."""
    chosen = []
    first: dict[str, Path] = {}
    for rel, path in files:
        name = rel.rsplit("/", 1)[-1]
        try:
            domain = domain_of(name)
            if domain is None:
                raise BadInputError(
                    path,
                    f"cannot tell the domain from the file name {name!r}: it must name one of "
                    "구어체, 대화체, 뉴스, 한국문화, 조례, 지자체웹사이트 (or its English alias)",
                    "unknown_domain",
                )
            if domain not in wanted:
                policy.count("excluded_domain_files")
                continue
            stem = os.path.splitext(name)[0].casefold()
            if stem in first:
                reason = f"{first[stem]} has the same file name (pair ids would collide)"
                raise BadInputError(path, reason, "duplicate_workbook")
            first[stem] = path
            chosen.append(_Workbook(path, name, domain))
        except BadInputError as err:
            policy.handle(err)
    return chosen


# ------------------------------------------------------------------------------------------ cells


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _cell_text(value: Any) -> tuple[str | None, str]:
    """``(text, what)``: ``what`` is ``text``, ``blank``, ``non_text`` (converted) or ``unusable``."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, "blank"
        if text[0] == "#" and text in _ERROR_VALUES:
            return None, "unusable"
        return unicodedata.normalize("NFC", text), "text"
    if value is None:
        return None, "blank"
    if isinstance(value, bool):
        return None, "unusable"
    if isinstance(value, int):
        return str(value), "non_text"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None, "unusable"
        return _number_text(value), "non_text"
    if isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
        return text, "non_text"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat(), "non_text"
    if isinstance(value, dt.timedelta):
        return str(value), "non_text"
    return None, "unusable"


def _meta_value(value: Any) -> tuple[Any, bool]:
    """``(value, usable)``: text stripped and NFC, whole numbers as ``int``, blank as ``None``."""
    if value is None:
        return None, True
    if isinstance(value, str):
        text = value.strip()
        if text[:1] == "#" and text in _ERROR_VALUES:
            return None, False
        return (unicodedata.normalize("NFC", text) or None), True
    if isinstance(value, bool):
        return str(value), True
    if isinstance(value, int):
        return value, True
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None, False
        return (int(value) if value.is_integer() else repr(value)), True
    cell, what = _cell_text(value)
    return cell, what != "unusable"


def _canonical_column(values: list[Any]) -> list[Any]:
    """All ``int`` (within int64) or all ``str`` (``None`` kept), so the cache round-trips exactly."""
    present = [v for v in values if v is not None]
    if all(type(v) is int and _INT64[0] <= v <= _INT64[1] for v in present):
        return values
    return [None if v is None else str(v) for v in values]


# ------------------------------------------------------------------------------------------ parse


def _header_index(row: Sequence[Any], spec: Mapping[str, str]) -> dict[str, int]:
    """Our key -> column of the first header that maps to it."""
    index: dict[str, int] = {}
    for column, text in enumerate(row):
        key = spec.get(header_key(text))
        if key is not None and key not in index:
            index[key] = column
    return index


def _check_row_number(number: int, path: Path, sheet: Any) -> None:
    """Refuse a row past Excel's last: openpyxl would stream up to billions of blank rows to reach it."""
    if number > EXCEL_MAX_ROWS:
        raise BadInputError(
            path,
            f"sheet {str(sheet.title)!r} has a row past Excel's last row {EXCEL_MAX_ROWS}",
            "bad_workbook",
        )


@dataclass
class _HeaderSearch:
    """What the header search saw, for the error message when it finds no header."""

    seen_content: bool = False
    first_row: list[str] = field(default_factory=list)
    late_header: str = ""  # where a header below the search window sits


def _scan_sheet(
    sheet: Any, spec: Mapping[str, str], search: _HeaderSearch, path: Path
) -> tuple[Iterator[tuple], int, dict[str, int]] | None:
    """``(rows past the header, header row, column index)`` of ``sheet``, or ``None`` (noted in ``search``).

    Past the first ``HEADER_SEARCH_ROWS`` rows the header is only looked for to name where it is:
    up to ``HEADER_HINT_ROWS``, or (a sheet blank so far) up to its first non-blank row.
    """
    rows = sheet.iter_rows(values_only=True)
    sheet_has_content = False
    for number, row in enumerate(rows, start=1):
        if number > HEADER_HINT_ROWS and sheet_has_content:
            break
        _check_row_number(number, path, sheet)
        if all(_blank(v) for v in row):
            continue
        search.seen_content = sheet_has_content = True
        index = _header_index(row, spec)
        found = SOURCE_KEY in index and TARGET_KEY in index
        if found and number <= HEADER_SEARCH_ROWS:
            return rows, number, index
        if found:
            search.late_header = f"row {number} of sheet {str(sheet.title)!r}"
            break
        if not search.first_row:
            search.first_row = [str(v).strip() for v in row if not _blank(v)][:12]
    rows.close()
    return None


def _find_header(
    workbook: Any, spec: Mapping[str, str], path: Path, source_header: str, target_header: str
) -> tuple[Any, Iterator[tuple], int, dict[str, int], int]:
    """The data sheet, its row iterator (past the header), header row, column index, sheets skipped."""
    search = _HeaderSearch()
    for skipped, sheet in enumerate(workbook.worksheets):
        found = _scan_sheet(sheet, spec, search, path)
        if found is not None:
            return sheet, *found, skipped
    if not search.seen_content:
        raise BadInputError(path, "every sheet of the workbook is empty", "empty_sheet")
    wanted = (
        f"no header row with columns {source_header} and {target_header} "
        f"in the first {HEADER_SEARCH_ROWS} rows of any sheet"
    )
    if search.late_header:
        raise BadInputError(path, f"{wanted}: the header is in {search.late_header}", "missing_header")
    raise BadInputError(
        path,
        f"{wanted} (first non-blank row: {search.first_row}); "
        "set dataset.reader source_header/target_header/header_aliases",
        "missing_header",
    )


def _parse_rows(
    rows: Iterator[tuple],
    start: int,
    index: dict[str, int],
    max_chars: int | None,
    out: _Parsed,
    where: tuple[Path, Any],
) -> None:
    """Append the usable rows to ``out`` and count the rest; ``where`` is (workbook path, sheet)."""
    path, sheet = where
    src, tgt = index.pop(SOURCE_KEY), index.pop(TARGET_KEY)
    meta_index = list(index.items())
    meta_cols: list[list[Any]] = [[] for _ in meta_index]
    stats = out.stats
    limit = max_chars if max_chars is not None else float("inf")
    rows_out, ko_out, en_out = out.rows, out.ko, out.en
    for number, row in enumerate(rows, start=start):
        if number > EXCEL_MAX_ROWS:
            _check_row_number(number, path, sheet)
        width = len(row)
        ko, ko_what = _cell_text(row[src] if src < width else None)
        en, en_what = _cell_text(row[tgt] if tgt < width else None)
        if ko is None or en is None:
            if "unusable" in (ko_what, en_what):
                stats["unusable_cells"] += 1
            elif all(_blank(v) for v in row):
                stats["blank_rows"] += 1
            else:
                stats["blank_cells"] += 1
            continue
        stats["non_text_cells"] += (ko_what == "non_text") + (en_what == "non_text")
        if len(ko) > limit or len(en) > limit:
            stats["too_long"] += 1
            continue
        rows_out.append(number)
        ko_out.append(ko)
        en_out.append(en)
        for (_, column), values in zip(meta_index, meta_cols, strict=True):
            value, usable = _meta_value(row[column] if column < width else None)
            if not usable:
                stats["unusable_meta_cells"] += 1
            values.append(value)
    out.meta = {
        key: _canonical_column(values) for (key, _), values in zip(meta_index, meta_cols, strict=True)
    }


def _parse_workbook(
    path: Path, spec: Mapping[str, str], max_chars: int | None, source_header: str, target_header: str
) -> _Parsed:
    """Stream one workbook; a workbook that cannot be used raises ``BadInputError``."""
    workbook = open_xlsx(path, "bad_workbook")  # zip members checked first (bombs, no worksheet)
    # openpyxl fails in many ways on damaged XML while streaming: whatever it raises, the workbook
    # is the bad input
    try:
        sheet, rows, header_row, index, skipped = _find_header(
            workbook, spec, path, source_header, target_header
        )
        parsed = _Parsed(sheet=str(sheet.title), header_row=header_row)
        parsed.stats["header_row_offset"] = int(header_row > 1)
        parsed.stats["sheets_without_header"] = skipped
        _parse_rows(rows, header_row + 1, index, max_chars, parsed, (path, sheet))
    except BadInputError:
        raise
    except Exception as err:
        raise BadInputError(path, f"cannot read the workbook: {err}", "bad_workbook") from err
    finally:
        workbook.close()
    if not parsed.rows and not any(parsed.stats[k] for k in ("blank_cells", "unusable_cells", "too_long")):
        raise BadInputError(
            path,
            f"sheet {parsed.sheet!r} has a header in row {header_row} but no rows below it",
            "empty_sheet",
        )
    return parsed


# ------------------------------------------------------------------------------------------ cache


def _sha1(path: Path) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write(path: Path, write: Any) -> None:
    """``write(temp_path)`` then rename onto ``path`` (readers never see a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _ParquetCache:
    """Parsed workbooks as Parquet files named by content hash + options; a stat index skips hashing."""

    def __init__(self, directory: str | Path) -> None:
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError(
                "the translation-corpus cache (cache_dir) needs pyarrow: pip install pyarrow"
            ) from err
        self.dir = Path(directory)
        self.index_path = self.dir / INDEX_NAME
        self.index = self._load_index()
        self.dirty = False
        self.hits = 0
        self.misses = 0

    def _load_index(self) -> dict[str, list]:
        if not self.index_path.exists():
            return {}
        try:
            stored = load_json(self.index_path, "bad_cache")
        except BadInputError as err:
            log.warning("Ignoring unreadable cache index %s (%s)", self.index_path, err.reason)
            return {}
        if not isinstance(stored, dict) or stored.get("format") != CACHE_FORMAT:
            return {}
        files = stored.get("files")
        return files if isinstance(files, dict) else {}

    def content_hash(self, path: Path) -> str:
        """sha1 of the file, taken from the index when its size and mtime are unchanged."""
        key = os.path.abspath(path)
        stat = path.stat()
        entry = self.index.get(key)
        if isinstance(entry, list) and len(entry) == 3 and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
            return str(entry[2])
        digest = _sha1(path)
        self.index[key] = [stat.st_size, stat.st_mtime_ns, digest]
        self.dirty = True
        return digest

    def entry_path(self, digest: str, options: str) -> Path:
        return self.dir / f"nmt_{digest}_{options}.parquet"

    def load(self, entry: Path, options: str) -> _Parsed | None:
        import pyarrow.parquet as pq

        if not entry.is_file():
            return None
        try:
            with pq.ParquetFile(entry) as file:  # lighter than read_table (no dataset machinery)
                table = file.read()
            info = loads_json((table.schema.metadata or {})[_METADATA_KEY], entry, "bad_cache")
            if info.get("format") != CACHE_FORMAT or info.get("options") != options:
                return None
            parsed = _Parsed(sheet=info["sheet"], header_row=int(info["header_row"]))
            parsed.stats.update({k: int(v) for k, v in info["stats"].items()})
            parsed.rows = table.column("row").to_pylist()
            parsed.ko = table.column("ko").to_pylist()
            parsed.en = table.column("en").to_pylist()
            parsed.meta = {k: table.column(f"meta.{k}").to_pylist() for k in info["meta"]}
        except Exception as err:  # a damaged cache file is only a miss: parse again
            log.warning("Ignoring unreadable cache file %s (%s)", entry, err)
            return None
        return parsed

    def store(self, entry: Path, options: str, parsed: _Parsed) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {
            "row": pa.array(parsed.rows, pa.int64()),
            "ko": pa.array(parsed.ko, pa.string()),
            "en": pa.array(parsed.en, pa.string()),
        }
        for key, values in parsed.meta.items():
            present = next((v for v in values if v is not None), None)
            kind = pa.int64() if isinstance(present, int) else pa.string()
            columns[f"meta.{key}"] = pa.array(values, kind)
        info = {
            "format": CACHE_FORMAT,
            "options": options,
            "sheet": parsed.sheet,
            "header_row": parsed.header_row,
            "stats": parsed.stats,
            "meta": list(parsed.meta),
        }
        table = pa.table(columns).replace_schema_metadata(
            {_METADATA_KEY: json.dumps(info, ensure_ascii=False)}
        )
        try:
            _atomic_write(entry, lambda tmp: pq.write_table(table, tmp))
        except OSError as err:
            log.warning("Could not write the cache file %s (%s); reading on without it", entry, err)

    def save_index(self) -> None:
        if not self.dirty:
            return
        files = {k: v for k, v in self.index.items() if os.path.exists(k)}
        text = json.dumps({"format": CACHE_FORMAT, "files": files}, ensure_ascii=False, indent=0)
        try:
            _atomic_write(self.index_path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        except OSError as err:
            log.warning("Could not write the cache index %s (%s)", self.index_path, err)
        self.dirty = False


def _options_key(spec: Mapping[str, str], max_chars: int | None) -> str:
    """What parsing depends on besides the bytes: the header spec (domain included) and max_chars."""
    text = json.dumps({"format": CACHE_FORMAT, "spec": sorted(spec.items()), "max_chars": max_chars})
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


# ------------------------------------------------------------------------------------------ build


def _new_rows(parsed: _Parsed, seen: set[tuple[str, str]] | None) -> list[int]:
    """Indices of the parsed rows to keep: all, or (``seen`` given) those with a pair not seen yet."""
    if seen is None:
        return list(range(len(parsed.rows)))
    keep = []
    for i, pair in enumerate(zip(parsed.ko, parsed.en, strict=True)):
        if pair not in seen:
            seen.add(pair)
            keep.append(i)
    return keep


def _pairs(book: _Workbook, parsed: _Parsed, keep: list[int]) -> list[TranslationPair]:
    """The records of the rows ``keep``; built column by column (faster than row by row)."""
    stem = os.path.splitext(book.name)[0]
    numbers = [parsed.rows[i] for i in keep]
    ids = [f"{stem}:{n}" for n in numbers]
    metas: list[dict[str, Any]] = [{"file": book.name, "row": n} for n in numbers]
    for key, values in parsed.meta.items():
        for meta, i in zip(metas, keep, strict=True):
            value = values[i]
            if value is not None:
                meta[key] = value
    groups = ids
    sets = parsed.meta.get(SET_KEY) if book.domain == DIALOGUE_DOMAIN else None
    if sets is not None:
        prefix = f"{book.domain}:set:"
        groups = [pid if sets[i] is None else f"{prefix}{sets[i]}" for pid, i in zip(ids, keep, strict=True)]
    ko, en, domain, pair = parsed.ko, parsed.en, book.domain, TranslationPair
    return [
        pair(ko[i], en[i], domain, pid, group, meta)
        for i, pid, group, meta in zip(keep, ids, groups, metas, strict=True)
    ]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small acyclic records are built.

    Its passes over the growing heap would otherwise take about a third of a warm read.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_options(max_chars: int | None, file_glob: str) -> None:
    if max_chars is not None and (
        isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1
    ):
        raise ValueError(f"max_chars must be a positive integer or None, got {max_chars!r}")
    if not isinstance(file_glob, str) or not file_glob.strip():
        raise ValueError(f"file_glob must be a non-empty glob, got {file_glob!r}")


def read_nmt_corpus(
    root: str | Path,
    policy: ErrorPolicy,
    *,
    domains: Sequence[str] | str | None = None,
    file_glob: str = "*.xlsx",
    source_header: str = SOURCE_HEADER,
    target_header: str = TARGET_HEADER,
    header_aliases: Mapping[str, str | Sequence[str]] | None = None,
    max_chars: int | None = 1000,
    cache_dir: str | Path | None = None,
    dedupe: bool = True,
    allow_outside_links: bool = False,
) -> list[TranslationPair]:
    """Every usable sentence pair of the workbooks under ``root``, sorted by file name then row.

    ``domains``: Korean names or English aliases (``news``...; ``None``: all six); other workbooks
    are counted ``excluded_domain_files``. ``file_glob``: which files are workbooks (case-insensitive,
    on the NFC file name, or on the relative path when it holds a ``/``; searched recursively).
    ``source_header`` / ``target_header``: the text columns; ``header_aliases`` maps our keys
    (``source``, ``target``, meta keys such as ``speaker``) to more accepted header names. Headers
    compare NFC, case-insensitively, ignoring spaces, dots, dashes and underscores.
    ``max_chars``: longer pairs (either side) are counted ``too_long`` and dropped (``None``: no limit).
    ``cache_dir``: keep parsed workbooks there as Parquet (needs pyarrow). ``dedupe``: drop repeats of
    an exact ``(ko, en)`` pair after its first, counted ``duplicate_pairs``. ``allow_outside_links``:
    follow linked workbooks and folders whose target lies outside ``root`` (else ``link_outside_root``).

    ``pair_id`` is ``<file stem>:<row>``; ``group`` is ``대화체:set:<Set Nr.>`` for dialogue rows with
    a set number, else the pair id; ``meta`` has ``file``, ``row`` and the domain's columns present.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"translation-corpus root {root} is not a directory")
    _check_options(max_chars, file_glob)
    wanted = resolve_domains(domains)
    specs = {d: column_spec(d, source_header, target_header, header_aliases) for d in wanted}
    files = _workbook_files(root, file_glob, policy, allow_outside_links)
    if not files and not policy.skipped:
        raise FileNotFoundError(f"no workbooks matching {file_glob!r} under {root}")
    books = _select(files, wanted, policy)
    if not books and not policy.skipped:
        raise FileNotFoundError(f"no workbooks of the domains {list(wanted)} under {root}")
    cache = _ParquetCache(cache_dir) if cache_dir is not None else None

    pairs: list[TranslationPair] = []
    seen: set[tuple[str, str]] | None = set() if dedupe else None
    per_domain: Counter[str] = Counter()
    duplicates = 0
    try:
        for book in books:
            try:
                parsed = _load(book, specs[book.domain], max_chars, source_header, target_header, cache)
            except BadInputError as err:
                policy.handle(err)
                continue
            policy.count("workbooks")
            for key, n in parsed.stats.items():
                policy.count(key, n)
            with _gc_paused():  # not while parsing: openpyxl's garbage may hold cycles
                keep = _new_rows(parsed, seen)
                pairs.extend(_pairs(book, parsed, keep))
            duplicates += len(parsed.rows) - len(keep)
            per_domain[book.domain] += len(keep)
    finally:
        if cache is not None:
            cache.save_index()
    if dedupe:
        policy.count("duplicate_pairs", duplicates)
    if cache is not None:
        policy.count("cache_hits", cache.hits)
        policy.count("cache_misses", cache.misses)
    policy.count("pairs", len(pairs))
    for domain in wanted:
        if per_domain[domain]:
            policy.count(f"pairs/{domain}", per_domain[domain])
    log.info("translation corpus: %d pairs from %d workbooks (%s)", len(pairs), len(books), dict(per_domain))
    return pairs


def _load(
    book: _Workbook,
    spec: Mapping[str, str],
    max_chars: int | None,
    source_header: str,
    target_header: str,
    cache: _ParquetCache | None,
) -> _Parsed:
    """The workbook's parsed rows: from the cache when it has them, else parsed (and stored)."""
    if not book.path.is_file():
        raise BadInputError(
            book.path, "the workbook is missing or not a file (a broken link?)", "bad_workbook"
        )
    if cache is None:
        return _parse_workbook(book.path, spec, max_chars, source_header, target_header)
    options = _options_key(spec, max_chars)
    try:
        entry = cache.entry_path(cache.content_hash(book.path), options)
    except OSError as err:
        raise BadInputError(book.path, f"cannot read the workbook: {err}", "bad_workbook") from err
    parsed = cache.load(entry, options)
    if parsed is not None:
        cache.hits += 1
        return parsed
    cache.misses += 1
    parsed = _parse_workbook(book.path, spec, max_chars, source_header, target_header)
    cache.store(entry, options, parsed)
    return parsed
