"""COCO-style detection JSON: structural validation on read, deterministic UTF-8 on write.

Only the structure is checked here (top-level lists, required keys, id types, unique ids);
whether a polygon or box makes sense for its image is the dataset reader's call, because the
reader decides whether to skip the image or raise. Parsing goes through ``formats.safe_json``
(number, nesting and size limits), so hostile JSON is a ``BadInputError`` naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aihub_bench.errors import BadInputError
from aihub_bench.formats.safe_json import load_json

_REQUIRED = {
    "images": ("id", "file_name", "width", "height"),
    "annotations": ("id", "image_id", "category_id"),
    "categories": ("id", "name"),
}


def read_coco(path: str | Path) -> dict[str, Any]:
    """Load a COCO detection file and check its structure; raise ``BadInputError`` if broken."""
    path = Path(path)
    data = load_coco(path)
    check_coco(path, data)
    return data


def load_coco(path: str | Path) -> Any:
    """Parse the file (safe_json limits) without checking its structure."""
    return load_json(path, kind="malformed_json", missing_kind="missing_file")


def check_coco(path: str | Path, data: Any) -> None:
    """Raise ``BadInputError("malformed_json")`` unless ``data`` has the COCO detection structure."""
    path = Path(path)
    if not isinstance(data, dict):
        raise BadInputError(path, f"top level is {type(data).__name__}, expected an object", "malformed_json")
    for section, keys in _REQUIRED.items():
        _check_section(path, data, section, keys)


def listed_images(data: Any) -> int | None:
    """How many entries ``images`` lists, or ``None`` when that cannot be told."""
    images = data.get("images") if isinstance(data, dict) else None
    return len(images) if isinstance(images, list) else None


def _check_section(path: Path, data: dict[str, Any], section: str, keys: Sequence[str]) -> None:
    entries = data.get(section)
    if not isinstance(entries, list):
        raise BadInputError(path, f"missing or non-list key {section!r}", "malformed_json")
    seen: set[int] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise BadInputError(path, f"{section}[{i}] is not an object", "malformed_json")
        missing = [k for k in keys if k not in entry]
        if missing:
            raise BadInputError(path, f"{section}[{i}] lacks key(s) {', '.join(missing)}", "malformed_json")
        for key in keys:
            if key in ("id", "image_id", "category_id", "width", "height") and not _is_int(entry[key]):
                raise BadInputError(
                    path, f"{section}[{i}].{key} is {entry[key]!r}, not an integer", "malformed_json"
                )
        if entry["id"] in seen:
            raise BadInputError(path, f"{section}[{i}] repeats id {entry['id']}", "malformed_json")
        seen.add(entry["id"])


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def write_coco(path: str | Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as UTF-8 JSON (non-ASCII kept readable); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def flatten_polygon(points: np.ndarray, ndigits: int = 2) -> list[float]:
    """``(K, 2)`` points -> COCO ``[x1, y1, x2, y2, ...]`` rounded to ``ndigits``."""
    return [round(float(v), ndigits) for v in np.asarray(points, dtype=np.float64).reshape(-1)]


def polygon_bounds(polygons: Iterable[np.ndarray]) -> tuple[float, float, float, float]:
    """Tight ``(x1, y1, x2, y2)`` around one or more ``(K, 2)`` polygons."""
    pts = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in polygons])
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())
