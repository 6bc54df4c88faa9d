"""Number formatting and Markdown tables for every summary the project writes.

``report`` (paper tables, the README block), ``regress`` (the verdict table),
``metrics/cv_report`` (``cv_results.md``) and ``metrics/results_table`` (``results.md``) format
through these functions, so a number, an undefined value or a confidence interval reads the same in
all of them. A leaf module: it imports nothing from aihub_bench, so ``metrics/`` may use it.

Hand-written rather than ``tabulate``: that pads cells to a common width and escapes nothing, and
the tables here are compared line by line (tests, README diffs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeGuard

MISSING = "—"  # an undefined or absent value: None, NaN, infinity


def is_number(value: Any) -> TypeGuard[int | float]:
    """An int or float (a bool is not a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_defined(value: Any) -> bool:
    """A finite number."""
    return is_number(value) and math.isfinite(value)


def number(value: Any, digits: int | None = None, signed: bool = False) -> str:
    """``value`` with ``digits`` decimals: by default 3, or 2 above 1 (BLEU, chrF, losses);
    ``signed`` prints a leading ``+`` on positive values. :data:`MISSING` unless a finite number."""
    if not is_defined(value):
        return MISSING
    if digits is None:
        digits = 2 if abs(value) > 1 else 3
    return f"{value:{'+' if signed else ''}.{digits}f}"


def count(value: Any) -> str:
    """A whole number (``12.0`` -> ``12``); :data:`MISSING` unless a finite number."""
    return str(int(value)) if is_defined(value) else MISSING


def cell(value: Any, digits: int | None = None) -> str:
    """Any metric value: a number as :func:`number`, a bool as ``yes`` / ``no``, ``None`` as
    :data:`MISSING`, anything else as its text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or is_number(value):
        return number(value, digits)
    return str(value)


def interval(low: Any, high: Any, digits: int | None = None) -> str:
    """A confidence interval, ``[low, high]``; :data:`MISSING` when either end is undefined."""
    if not (is_defined(low) and is_defined(high)):
        return MISSING
    return f"[{number(low, digits)}, {number(high, digits)}]"


def value_ci(value: Any, low: Any, high: Any, digits: int | None = None) -> str:
    """``value [low, high]``; the value alone when the interval is undefined, :data:`MISSING`
    when the value is."""
    if not is_defined(value):
        return MISSING
    if not (is_defined(low) and is_defined(high)):
        return number(value, digits)
    return f"{number(value, digits)} {interval(low, high, digits)}"


def mean_std(mean: Any, std: Any, digits: int | None = None) -> str:
    """``mean ± std`` over folds; the mean alone when the std is undefined, :data:`MISSING` when
    the mean is."""
    if not is_defined(mean):
        return MISSING
    if not is_defined(std):
        return number(mean, digits)
    return f"{number(mean, digits)} ± {number(std, digits)}"


def escape(text: Any) -> str:
    """A Markdown table cell: ``|`` escaped, line breaks as ``<br>`` (a raw one ends the row)."""
    lines = str(text).replace("|", "\\|").splitlines()
    return "<br>".join(lines)


def markdown_table(
    header: Sequence[Any], rows: Sequence[Sequence[Any]], numeric_from: int | None = None
) -> list[str]:
    """The lines of a Markdown table, every cell escaped; columns from index ``numeric_from`` on
    are right-aligned (``None``: all left-aligned). An empty cell stays ``| |``."""
    width = len(header)
    first_right = width if numeric_from is None else numeric_from
    align = ["---" if i < first_right else "---:" for i in range(width)]
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"table row {i} has {len(row)} cells, the header {width}")
    return [_row(header), _row(align, escaped=False), *(_row(row) for row in rows)]


def _row(cells: Sequence[Any], escaped: bool = True) -> str:
    texts = [escape(c) if escaped else str(c) for c in cells]
    return "|" + "|".join(f" {text} " if text else " " for text in texts) + "|"
