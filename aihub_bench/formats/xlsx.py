"""The one .xlsx path: opening workbooks safely for reading, and writing them byte for byte
reproducibly (the synthetic twins' metadata sheets and corpora)."""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aihub_bench.errors import BadInputError

FIXED_TIME = datetime.datetime(2020, 1, 1)
# A workbook member's XML is parsed by openpyxl; one huge token (a 32 MB comment packed into a 40 KB
# file) takes minutes, quadratic in its size. Real sheets compress 5-30x, so a member that expands
# more than MAX_COMPRESSION_RATIO times (and is over 1 MiB) is refused, as is any member over
# MAX_MEMBER_BYTES uncompressed.
MAX_MEMBER_BYTES = 4 * 1024**3
MAX_COMPRESSION_RATIO = 200
_RATIO_FLOOR_BYTES = 1 << 20


def check_xlsx_members(path: str | Path, kind: str = "bad_workbook") -> list[str]:
    """Refuse a workbook that is not a zip, or whose members are too large or too compressed;
    return the member names. Nothing is decompressed (sizes come from the zip directory)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise BadInputError(
            path, f"cannot read the workbook: not an .xlsx zip archive ({err})", kind
        ) from err
    for info in infos:
        if info.file_size > MAX_MEMBER_BYTES:
            raise BadInputError(
                path,
                f"workbook member {info.filename} is {info.file_size} bytes uncompressed, "
                f"over the {MAX_MEMBER_BYTES}-byte limit",
                kind,
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise BadInputError(
                path,
                f"workbook member {info.filename} expands {ratio:.0f}x ({info.compress_size} -> "
                f"{info.file_size} bytes), over the {MAX_COMPRESSION_RATIO}x limit (zip bomb or "
                "padded XML)",
                kind,
            )
    names = [info.filename for info in infos]
    if not any(n.startswith("xl/worksheets/") and n.endswith(".xml") for n in names):
        raise BadInputError(
            path, "cannot read the workbook: it has no worksheet (no xl/worksheets/*.xml)", kind
        )
    return names


def open_xlsx(path: str | Path, kind: str = "bad_workbook") -> Any:
    """Open ``path`` read-only after ``check_xlsx_members``; every worksheet's stored ``<dimension>``
    is reset, so a stale one cannot hide rows. Errors name the file; close the workbook after use."""
    import openpyxl  # looked up at call time (tests replace load_workbook)

    check_xlsx_members(path, kind)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as err:  # zip, XML and not-an-xlsx errors: whatever it raises, the file is bad
        raise BadInputError(path, f"cannot read the workbook: {err}", kind) from err
    for sheet in workbook.worksheets:
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
    return workbook


def write_reproducible_xlsx(
    path: str | Path, sheet_title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """One sheet with ``header`` in row 1 and ``rows`` below (an empty row stays blank).

    openpyxl stamps "now" into the document properties and the zip entries; both are fixed here, so
    the same rows always give the same bytes (and the twin's cache key stays honest).
    """
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.properties.created = book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(
                zipfile.ZipInfo(info.filename, FIXED_TIME.timetuple()[:6]),
                src.read(info),
                zipfile.ZIP_DEFLATED,
            )
