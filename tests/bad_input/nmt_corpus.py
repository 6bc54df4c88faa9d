"""Bad-input corpus of the translation-corpus reader: broken, misnamed and linked ``.xlsx`` workbooks.

The twin has ten tiny workbooks (3 + i pairs in the i-th, 75 in all; too few rows for the twin's
quirks, so no duplicates). A workbook that cannot be used is dropped whole and counted once, so
``dropped`` is the number of pairs the clean twin had in it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

from aihub_bench.datasets.nmt_corpus import read_nmt_corpus, write_synthetic_nmt_corpus
from aihub_bench.datasets.nmt_corpus.synth import FILE_NAMES
from aihub_bench.errors import ErrorPolicy
from bad_input.common import Fault, Outcome

DATASET = "nmt_corpus"
ROWS = {name: 3 + i for i, name in enumerate(FILE_NAMES)}
ORDINANCE = "5_문어체_조례.xlsx"
NEWS = "3_문어체_뉴스(2).xlsx"
DIALOGUE = "2_대화체.xlsx"
SHEET = "xl/worksheets/sheet1.xml"


def write_twin(root: Path) -> None:
    write_synthetic_nmt_corpus(root, rows_per_file=ROWS, seed=0)


def read(root: Path, on_error: str, **options: object) -> Outcome:
    """As the datamodule does, with a fresh Parquet cache per call (a fault is never a cache hit)."""
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="nmt_cache_") as cache:
        pairs = read_nmt_corpus(root=root, policy=policy, domains=None, cache_dir=cache, **options)
    return Outcome(len(pairs), policy.report())


# ------------------------------------------------------------------------------------------ helpers


def _rewrite_member(path: Path, member: str, edit: Callable[[bytes], bytes | None]) -> None:
    """Rewrite one zip member (deflated) through ``edit``; ``None`` removes it."""
    with zipfile.ZipFile(path) as archive:
        items = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in items:
            new = edit(data) if name == member else data
            if new is not None:
                archive.writestr(name, new)


def _member_fault(name: str, member: str, edit: Callable[[bytes], bytes | None]) -> Callable[[Path], str]:
    def apply(root: Path) -> str:
        _rewrite_member(root / name, member, edit)
        return name

    return apply


def _rows_fault(name: str, edit: Callable[[list[list]], list[list]]) -> Callable[[Path], str]:
    """Rewrite workbook ``name`` with its rows (header first) passed through ``edit``."""

    def apply(root: Path) -> str:
        workbook = openpyxl.load_workbook(root / name)
        rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
        fresh = openpyxl.Workbook()
        for row in edit(rows):
            fresh.active.append(row)
        fresh.save(root / name)
        return name

    return apply


def _rename_header(rows: list[list]) -> list[list]:
    rows[0] = ["English" if v == "번역문" else v for v in rows[0]]
    return rows


def _comment_bomb(xml: bytes) -> bytes:
    return xml.replace(b"<sheetData>", b"<!-- " + b"x" * 32_000_000 + b" --><sheetData>", 1)


def _entity_declaration(xml: bytes) -> bytes:
    dtd = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    return dtd + xml.replace(b"<t>ID</t>", b"<t>&b;</t>", 1)


def _row_past_excel_limit(xml: bytes) -> bytes:
    row = b'<row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>x</t></is></c></row>'
    return xml.replace(b"</sheetData>", row + b"</sheetData>", 1)


def _only_row_past_excel_limit(xml: bytes) -> bytes:
    """The sheet's one row is far past the last: the header search must not walk blank rows to it."""
    start, end = xml.index(b"<sheetData>"), xml.index(b"</sheetData>")
    return xml[:start] + b"<sheetData>" + _row_past_excel_limit(b"</sheetData>") + xml[end + 12 :]


def _garbage(root: Path) -> str:
    (root / ORDINANCE).write_bytes(b"this is not a workbook\n" * 100)
    return ORDINANCE


def _truncated(root: Path) -> str:
    data = (root / ORDINANCE).read_bytes()
    (root / ORDINANCE).write_bytes(data[: len(data) // 2])
    return ORDINANCE


def _zip_of_other_things(root: Path) -> str:
    with zipfile.ZipFile(root / NEWS, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<document/>")
    return NEWS


def _unknown_domain(root: Path) -> str:
    (root / ORDINANCE).rename(root / "7_문어체_기타.xlsx")
    return "7_문어체_기타.xlsx"


def _duplicate_name(root: Path) -> str:
    (root / "copy").mkdir()
    shutil.copy2(root / NEWS, root / "copy" / NEWS)
    return f"copy/{NEWS}"


def _outside(root: Path) -> Path:
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    return outside


def _workbook_link_outside(root: Path) -> str:
    target = _outside(root) / ORDINANCE
    (root / ORDINANCE).rename(target)
    (root / ORDINANCE).symlink_to(target)
    return ORDINANCE


def _folder_link_outside(root: Path) -> str:
    folder = _outside(root) / "more"
    folder.mkdir()
    shutil.copy2(root / NEWS, folder / "3_문어체_뉴스(5).xlsx")
    (root / "more").symlink_to(folder, target_is_directory=True)
    return "more"


def _dangling_link(root: Path) -> str:
    (root / ORDINANCE).unlink()
    (root / ORDINANCE).symlink_to(root / "gone" / ORDINANCE)
    return ORDINANCE


def _link_outside_allowed(root: Path) -> str:
    """Like ``_workbook_link_outside``, then a bad header behind the link: the link is followed."""
    _workbook_link_outside(root)
    _rows_fault(ORDINANCE, _rename_header)(root)
    return ORDINANCE


# ------------------------------------------------------------------------------------------ faults

ORDINANCE_PAIRS = ROWS[ORDINANCE]
NEWS_PAIRS = ROWS[NEWS]

FAULTS: list[Fault] = [
    Fault("not_a_zip", "bad_workbook", r"not an \.xlsx zip archive", _garbage, dropped=ORDINANCE_PAIRS),
    Fault("truncated_zip", "bad_workbook", r"not an \.xlsx zip archive", _truncated, dropped=ORDINANCE_PAIRS),
    Fault("zip_not_xlsx", "bad_workbook", r"no worksheet", _zip_of_other_things, dropped=NEWS_PAIRS),
    Fault(
        "no_sheet1_xml",
        "bad_workbook",
        r"no worksheet",
        _member_fault(ORDINANCE, SHEET, lambda _: None),
        dropped=ORDINANCE_PAIRS,
    ),
    Fault(
        "no_workbook_xml",
        "bad_workbook",
        re.escape("xl/workbook.xml"),
        _member_fault(ORDINANCE, "xl/workbook.xml", lambda _: None),
        dropped=ORDINANCE_PAIRS,
    ),
    Fault(
        "truncated_sheet_xml",
        "bad_workbook",
        r"cannot read the workbook: .*(token|XML)",
        _member_fault(ORDINANCE, SHEET, lambda xml: xml[: len(xml) // 2]),
        dropped=ORDINANCE_PAIRS,
    ),
    Fault(
        "entity_declaration_in_sheet",
        "bad_workbook",
        r"cannot read the workbook",
        _member_fault(ORDINANCE, SHEET, _entity_declaration),
        dropped=ORDINANCE_PAIRS,
    ),
    Fault(
        "comment_bomb_32mb",
        "bad_workbook",
        r"sheet1\.xml expands \d+x .*over the 200x limit",
        _member_fault(NEWS, SHEET, _comment_bomb),
        dropped=NEWS_PAIRS,
    ),
    Fault(
        "row_past_excel_limit",
        "bad_workbook",
        r"row past Excel's last row 1048576",
        _member_fault(ORDINANCE, SHEET, _row_past_excel_limit),
        dropped=ORDINANCE_PAIRS,
    ),
    Fault(
        "only_row_past_excel_limit",
        "bad_workbook",
        r"row past Excel's last row 1048576",
        _member_fault(ORDINANCE, SHEET, _only_row_past_excel_limit),
        dropped=ORDINANCE_PAIRS,
    ),
    Fault(
        "missing_header",
        "missing_header",
        r"no header row with columns 원문 and 번역문 in the first 5 rows of any sheet \(first non-blank row",
        _rows_fault(ORDINANCE, _rename_header),
        dropped=ORDINANCE_PAIRS,
    ),
    Fault(
        "header_in_row_6",
        "missing_header",
        r"in the first 5 rows of any sheet: the header is in row 6 of sheet",
        _rows_fault(DIALOGUE, lambda rows: [[] for _ in range(5)] + rows),
        dropped=ROWS[DIALOGUE],
    ),
    Fault(
        "empty_sheet",
        "empty_sheet",
        r"every sheet of the workbook is empty",
        _rows_fault(ORDINANCE, lambda rows: []),
        dropped=ORDINANCE_PAIRS,
    ),
    Fault(
        "header_only",
        "empty_sheet",
        r"header in row 1 but no rows below it",
        _rows_fault(ORDINANCE, lambda rows: rows[:1]),
        dropped=ORDINANCE_PAIRS,
    ),
    Fault(
        "unknown_domain",
        "unknown_domain",
        r"cannot tell the domain",
        _unknown_domain,
        dropped=ORDINANCE_PAIRS,
    ),
    Fault("duplicate_workbook", "duplicate_workbook", r"has the same file name", _duplicate_name, dropped=0),
    Fault(
        "workbook_link_outside_root",
        "link_outside_root",
        r"symbolic link leads outside the dataset root",
        _workbook_link_outside,
        dropped=ORDINANCE_PAIRS,
    ),
    Fault(
        "folder_link_outside_root",
        "link_outside_root",
        r"symbolic link leads outside the dataset root",
        _folder_link_outside,
        dropped=0,  # the linked folder's workbook was never part of the twin
    ),
    Fault(
        "dangling_workbook_link",
        "bad_workbook",
        r"missing or not a file",
        _dangling_link,
        dropped=ORDINANCE_PAIRS,
    ),
    Fault(
        "allowed_outside_link_is_read",
        "missing_header",
        r"no header row with columns 원문 and 번역문",
        _link_outside_allowed,
        dropped=ORDINANCE_PAIRS,
        options={"allow_outside_links": True},
    ),
]
