"""Writing .xlsx workbooks byte for byte reproducibly (the synthetic twins' metadata sheets and corpora)."""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FIXED_TIME = datetime.datetime(2020, 1, 1)


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
