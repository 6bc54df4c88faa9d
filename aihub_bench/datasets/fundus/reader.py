"""Read the fundus release (or its synthetic twin) into ``ClassificationCase`` records, one per eye image.

Every ``.jpg``/``.jpeg``/``.png`` under the root is parsed by its file name (the folder layout is not
known [A]); the metadata sheet (``.xlsx``), when there is one, is joined by file name and
cross-checked against it (kind, code, eye). Bad input is an error naming the file and reason, or
(``on_error=skip``) a counted skip of that image (or of the sheet, keeping the images).
Symbolic links leading outside the root (an image, a folder, the sheet) are refused unless
``allow_outside_links``.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aihub_bench.datasets.fundus.layout import (
    CODE_NAMES,
    DEFAULT_FILE_PATTERN,
    IMAGE_SUFFIXES,
    KINDS,
    NAME_FIELDS,
    FundusName,
    FundusTask,
    compile_pattern,
    merge_sheet_columns,
    normalise_eye,
    parse_file_name,
    resolve_task,
)
from aihub_bench.errors import BadInputError, ErrorPolicy, check_inside
from aihub_bench.formats.images import check_verify_mode, verify_image
from aihub_bench.formats.walk import file_inside, walk_inside
from aihub_bench.formats.xlsx import open_xlsx
from aihub_bench.records import ClassificationCase

log = logging.getLogger(__name__)

GROUP_KEYS = ("person", "image")


@dataclass
class _SheetRow:
    number: int  # 1-based spreadsheet row
    values: dict[str, Any]  # our field -> cell value


@dataclass
class _Sheet:
    path: Path
    rows: dict[str, _SheetRow]  # lower-case file stem -> row


# ------------------------------------------------------------------------------------------ files


@dataclass
class _Files:
    """What the walk under the root found: image files and the other files (sheet candidates)."""

    images: list[Path] = field(default_factory=list)
    others: list[Path] = field(default_factory=list)


def _walk(root: Path, policy: ErrorPolicy, allow_outside_links: bool) -> _Files:
    """Image files depth first in sorted order (``walk_inside``); hidden ones (``._x.jpg``) are
    counted, and a linked image leading outside the root is bad input."""
    found = _Files()
    walk = walk_inside(root, policy, allow_outside_links=allow_outside_links, contents="images")
    for folder, _dirs, names in walk:
        for name in names:
            path = folder / name
            if os.path.splitext(name)[1].lower() not in IMAGE_SUFFIXES:
                found.others.append(path)
            elif name.startswith("."):
                policy.count("ignored_hidden_files")
            elif file_inside(root, path, policy, allow_outside_links):
                found.images.append(path)
    return found


def _parse_names(
    files: list[Path], pattern: re.Pattern[str], policy: ErrorPolicy
) -> list[tuple[Path, FundusName]]:
    named = []
    for path in files:
        name = parse_file_name(path.name, pattern)
        if name is None:
            reason = f"file name does not match the fundus pattern {pattern.pattern!r} (eye must be L or R)"
            policy.handle(BadInputError(path, reason, "unmatched_name"))
            continue
        named.append((path, name))
    return named


# ------------------------------------------------------------------------------------------ sheet


def _find_sheet(root: Path, metadata_sheet: str | None, walked: list[Path]) -> Path | None:
    """The sheet named by a path (must exist) or the first sorted match of a glob under ``root``;
    a glob without ``/`` that matches nothing at the top is matched against the ``walked`` files."""
    if metadata_sheet is None:
        return None
    if not any(ch in metadata_sheet for ch in "*?["):
        for path in (root / metadata_sheet, Path(metadata_sheet)):
            if path.is_file():
                return path
        raise FileNotFoundError(f"metadata sheet {metadata_sheet!r} not found (as given or under {root})")
    matches = _sheets(p for p in root.glob(metadata_sheet) if p.is_file())
    if not matches and "/" not in metadata_sheet:  # the release may keep it in a sub-folder
        matches = _sheets(p for p in walked if fnmatch.fnmatchcase(p.name, metadata_sheet))
    return matches[0] if matches else None


def _sheets(paths: Iterable[Path]) -> list[Path]:
    # "~$x.xlsx" is Excel's lock file, "._x.xlsx" macOS metadata: never the sheet
    return sorted(p for p in paths if not p.name.startswith(("~$", ".")))


def _header_text(value: Any) -> str:
    return "" if value is None else str(value).strip().casefold()


def _cell(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _sheet_stem(value: Any) -> str:
    """Lower-case stem of a file-name cell (folders and image suffixes dropped)."""
    name = str(value).strip().replace("\\", "/").rsplit("/", 1)[-1]
    stem, suffix = os.path.splitext(name)
    return (stem if suffix.lower() in IMAGE_SUFFIXES else name).lower()


def _read_sheet(path: Path, columns: Mapping[str, str], policy: ErrorPolicy) -> _Sheet:
    """Parse the first worksheet (first row = headers); a broken sheet raises ``bad_sheet``.

    ``open_xlsx`` refuses zip bombs and padded XML before parsing and resets stale dimensions.
    """
    workbook = open_xlsx(path, "bad_sheet")
    # openpyxl fails in many ways on a damaged file (zip, XML errors): whatever it raises, the
    # sheet is the bad input
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        headers = [_header_text(h) for h in next(rows, ())]
        index = _column_index(path, headers, columns, policy)
        parsed: dict[str, _SheetRow] = {}
        for number, row in enumerate(rows, start=2):
            _add_row(parsed, number, row, index, policy)
    except BadInputError:
        raise
    except Exception as err:
        raise BadInputError(path, f"cannot read the workbook: {err}", "bad_sheet") from err
    finally:
        workbook.close()
    return _Sheet(path, parsed)


def _column_index(
    path: Path, headers: list[str], columns: Mapping[str, str], policy: ErrorPolicy
) -> dict[str, int]:
    """Our field -> column number; the file-name column is required, the others are optional."""
    position = {h: i for i, h in reversed(list(enumerate(headers))) if h}  # first of equal headers wins
    if _header_text(columns["file_name"]) not in position:
        shown = [h for h in headers if h]
        raise BadInputError(
            path,
            f"the first row has no file-name column {columns['file_name']!r} (headers: {shown}); "
            "set dataset sheet_columns.file_name",
            "bad_sheet",
        )
    index = {}
    for name, header in columns.items():
        if _header_text(header) in position:
            index[name] = position[_header_text(header)]
        else:
            policy.count(f"sheet_missing_column/{name}")
    return index


def _add_row(
    parsed: dict[str, _SheetRow], number: int, row: Sequence[Any], index: dict[str, int], policy: ErrorPolicy
) -> None:
    values = {name: _cell(row[i]) if i < len(row) else None for name, i in index.items()}
    name = values.pop("file_name")
    if name is None or name == "":
        if any(v not in (None, "") for v in row):
            policy.count("sheet_rows_without_file_name")
        return
    stem = _sheet_stem(name)
    if stem in parsed:
        policy.count("sheet_duplicate_rows")
        return
    parsed[stem] = _SheetRow(number, values)


def _sheet_meta(path: Path, name: FundusName, sheet: _Sheet, row: _SheetRow, policy: ErrorPolicy) -> dict:
    """The row's fields for ``meta``; a kind, code or eye that contradicts the file name is an error."""
    meta: dict[str, Any] = {"sheet_row": row.number}
    for field_name, value in row.values.items():
        meta[f"sheet_{field_name}" if field_name in NAME_FIELDS else field_name] = value
    where = f"{sheet.path.name} row {row.number}"
    for field_name in _KNOWN_LABELS:
        _check_label(path, field_name, getattr(name, field_name), row.values.get(field_name), where, policy)
    raw_eye = row.values.get("eye")
    if raw_eye not in (None, ""):
        eye = normalise_eye(raw_eye)
        if eye is None:
            policy.count("sheet_eye_unrecognised")
        elif eye != name.eye:
            reason = f"file name says eye {name.eye} but {where} says {raw_eye!r}"
            raise BadInputError(path, reason, "eye_mismatch")
    return meta


# The sheet's kind and code cells are cross-checked only against values the reader knows.
_KNOWN_LABELS: dict[str, frozenset[str]] = {
    "kind": frozenset(k.casefold() for k in KINDS),
    "code": frozenset(c.casefold() for c in CODE_NAMES),
}


def _check_label(
    path: Path, field_name: str, in_name: str, cell: Any, where: str, policy: ErrorPolicy
) -> None:
    """A sheet ``kind``/``code`` naming another known value than the file name is ``label_mismatch``.

    Values the reader does not know (a Korean spelling, a free-text code) are counted, not errors.
    """
    if cell in (None, ""):
        return
    value = str(cell).strip().casefold()
    if value == in_name.casefold():
        return
    if value not in _KNOWN_LABELS[field_name]:
        policy.count(f"sheet_{field_name}_unrecognised")
        return
    reason = f"file name says {field_name} {in_name} but {where} says {cell!r}"
    raise BadInputError(path, reason, "label_mismatch")


# ------------------------------------------------------------------------------------------ build


def _select(
    named: list[tuple[Path, FundusName]], spec: FundusTask, policy: ErrorPolicy
) -> list[tuple[Path, FundusName]]:
    """The task's images, duplicates (same stem, any case or suffix) reported and dropped."""
    chosen: list[tuple[Path, FundusName]] = []
    first: dict[str, Path] = {}
    for path, name in named:
        if name.kind.lower() != spec.kind.lower() or spec.label(name.code) is None:
            policy.count("excluded_other_class")
            continue
        key = name.stem.lower()
        if key in first:
            reason = f"duplicate image: {first[key]} has the same file name"
            policy.handle(BadInputError(path, reason, "duplicate_image"))
            continue
        first[key] = path
        chosen.append((path, name))
    return chosen


@dataclass
class _Builder:
    spec: FundusTask
    policy: ErrorPolicy
    group_by: str
    verify_images: str
    sheet: _Sheet | None

    def build(self, path: Path, name: FundusName) -> ClassificationCase:
        verify_image(path, self.verify_images)
        meta: dict[str, Any] = {"kind": name.kind, "code": name.code, "serial": name.serial, "eye": name.eye}
        if self.sheet is not None:
            row = self.sheet.rows.get(name.stem.lower())
            if row is not None:
                meta.update(_sheet_meta(path, name, self.sheet, row, self.policy))
        label = self.spec.label(name.code)
        assert label is not None  # _select kept only task codes
        return ClassificationCase(
            case_id=name.stem,
            label=label,
            views={"fundus": path},
            group=name.person if self.group_by == "person" else name.stem,
            class_name=name.code,
            meta=meta,
        )


# ------------------------------------------------------------------------------------------ entry


def _option(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value


def _no_task_images(root: Path, spec: FundusTask, pattern: str, named: list) -> FileNotFoundError:
    found = Counter(f"{n.kind}_{n.code}" for _, n in named)
    codes = [*spec.negative_codes, *spec.positive_codes]
    return FileNotFoundError(
        f"no {spec.kind} images with codes {codes} under {root} (file names matching {pattern!r}); "
        f"found: {dict(sorted(found.items())) or 'no image with a matching name'}"
    )


def read_fundus(
    root: str | Path,
    policy: ErrorPolicy,
    *,
    task: str = "general_glaucoma",
    kind: str | None = None,
    negative_codes: Sequence[str] | None = None,
    positive_codes: Sequence[str] | None = None,
    file_pattern: str = DEFAULT_FILE_PATTERN,
    group_by: str = "person",
    metadata_sheet: str | None = "*.xlsx",
    sheet_columns: Mapping[str, str] | None = None,
    verify_images: str = "header",
    allow_outside_links: bool = False,
) -> list[ClassificationCase]:
    """One case per image of a binary fundus task under ``root``, sorted by file name.

    ``task``: a ``TASKS`` key; ``kind`` / ``negative_codes`` / ``positive_codes`` override its parts
    (codes compare case-insensitively; other kinds and codes are counted ``excluded_other_class``).
    ``file_pattern``: a case-insensitive regex over file names with groups kind, code, serial, eye.
    ``group_by``: ``person`` (kind + code + serial: both eyes together) or ``image``.
    ``metadata_sheet``: a glob under ``root`` (first sorted match; searched recursively when the top
    level has none), a path, or ``None``; ``sheet_columns`` maps our fields to its headers.
    ``verify_images``: ``none``, ``header`` (reads the header; catches non-images and decompression
    bombs) or ``full`` (decodes every pixel; catches truncation).
    ``allow_outside_links``: follow symbolic links (images, folders, the sheet) whose target lies
    outside ``root``; by default they are bad input (``link_outside_root``). Only images of the task are verified and checked for duplicates and
    sheet conflicts; a name that matches no pattern is bad input whatever it holds.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"fundus dataset root {root} is not a directory")
    _option(group_by, GROUP_KEYS, "group_by")
    check_verify_mode(verify_images)
    spec = resolve_task(task, kind, negative_codes, positive_codes)
    pattern = compile_pattern(file_pattern)
    columns = merge_sheet_columns(sheet_columns)
    walked = _walk(root, policy, allow_outside_links)
    files = walked.images
    if not files:
        raise FileNotFoundError(
            f"no fundus images under {root}: expected .jpg/.png files named like {file_pattern!r}"
        )
    named = _parse_names(files, pattern, policy)
    chosen = _select(named, spec, policy)
    if not chosen:
        raise _no_task_images(root, spec, file_pattern, named)
    sheet = _load_sheet(root, metadata_sheet, walked.others, columns, policy, allow_outside_links)
    builder = _Builder(spec, policy, group_by, verify_images, sheet)
    cases = []
    for path, name in chosen:
        try:
            cases.append(builder.build(path, name))
        except BadInputError as err:
            policy.handle(err)
    if sheet is not None:
        on_disk = {os.path.splitext(p.name)[0].lower() for p in files}
        policy.count("sheet_row_without_file", sum(stem not in on_disk for stem in sheet.rows))
        policy.count("not_in_sheet", sum("sheet_row" not in c.meta for c in cases))
    cases.sort(key=lambda c: c.views["fundus"].name)
    _count(cases, spec, policy)
    return cases


def _load_sheet(
    root: Path,
    metadata_sheet: str | None,
    walked: list[Path],
    columns: Mapping[str, str],
    policy: ErrorPolicy,
    allow_outside_links: bool,
) -> _Sheet | None:
    path = _find_sheet(root, metadata_sheet, walked)
    if path is None:
        policy.count("no_sheet")
        return None
    try:
        if _lexically_inside(root, path):  # a path the user gave outside the root is their choice
            check_inside(root, path, allow_outside_links)
        return _read_sheet(path, columns, policy)
    except BadInputError as err:
        policy.handle(err)  # skip mode: go on without the sheet
        return None


def _lexically_inside(root: Path, path: Path) -> bool:
    return Path(os.path.abspath(root)) in Path(os.path.abspath(path)).parents


def _count(cases: list[ClassificationCase], spec: FundusTask, policy: ErrorPolicy) -> None:
    policy.count("images", len(cases))
    for case in cases:
        policy.count(f"images/{spec.canonical_code(case.class_name)}")
    persons = {f"{c.meta['kind']}_{c.meta['code']}_{c.meta['serial']}".lower() for c in cases}
    policy.count("persons", len(persons))
    per_class = Counter(c.class_name for c in cases)
    log.info("fundus %s: %d images of %d persons (%s)", spec.kind, len(cases), len(persons), dict(per_class))
