"""The one JSON loading path for every reader: size, nesting and number limits, file named on error.

Python's ``json`` module fails on hostile input in ways that name no file: an integer of more than
4,300 digits raises ``ValueError``, deep nesting ``RecursionError``, and a huge integer such as
``10**400`` loads fine but later makes ``math.isfinite`` raise ``OverflowError`` in the reader's
number checks. Here every such case becomes a ``BadInputError`` naming the file: integers are
limited to 64-bit range, floats must be finite (``1e400``, ``NaN`` and ``Infinity`` are refused),
files larger than ``MAX_JSON_BYTES`` are refused before they are read, and nesting deeper than the
parser's recursion limit (about 1,000 levels; AI Hub annotations nest 5-7) is refused, quickly.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from aihub_bench.errors import BadInputError

MAX_JSON_BYTES = 2 * 1024**3  # the largest real annotation file (an X-ray maker's COCO) is far below
_MAX_INT_DIGITS = 19  # 64-bit range; no annotation has a larger count, id or coordinate


class _NumberRefused(ValueError):
    pass


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        shown = text if len(text) <= 24 else f"{text[:12]}...({len(text)} digits)"
        raise _NumberRefused(f"integer {shown} is out of range")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 24 else f"{text[:12]}...({len(text)} characters)"
        raise _NumberRefused(f"number {shown} is not finite as a float")
    return value


def _parse_constant(name: str) -> float:
    raise _NumberRefused(f"{name} is not a valid JSON number")


def loads_json(raw: bytes, path: str | Path, kind: str = "bad_json") -> Any:
    """Parse ``raw`` (the bytes of ``path``) under the limits; raise ``BadInputError(kind)`` if bad."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BadInputError(path, f"cannot read the JSON: not UTF-8 ({err})", kind) from err
    try:
        return json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
        )
    except _NumberRefused as err:
        raise BadInputError(path, f"cannot read the JSON: {err}", kind) from err
    except RecursionError as err:
        raise BadInputError(
            path, "cannot read the JSON: nested deeper than the parser's recursion limit", kind
        ) from err
    except json.JSONDecodeError as err:
        raise BadInputError(path, f"cannot read the JSON: {err}", kind) from err


def load_json(path: str | Path, kind: str = "bad_json", missing_kind: str | None = None) -> Any:
    """Read and parse the JSON file at ``path`` under the limits.

    A missing file raises ``BadInputError(missing_kind or kind)``; a file over ``MAX_JSON_BYTES``,
    nested too deeply, with an out-of-range or non-finite number, or that is not
    UTF-8 JSON raises ``BadInputError(kind)``. The reason always says which.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise BadInputError(
                path,
                f"cannot read the JSON: file is {size} bytes, over the {MAX_JSON_BYTES}-byte limit",
                kind,
            )
        raw = path.read_bytes()
    except FileNotFoundError as err:
        raise BadInputError(path, "file not found", missing_kind or kind) from err
    except IsADirectoryError as err:
        raise BadInputError(path, "is a folder, not a JSON file", kind) from err
    except OSError as err:
        raise BadInputError(path, f"cannot read the file: {err}", kind) from err
    return loads_json(raw, path, kind)
