"""AI Hub per-image region JSON (Korean object images): ``image{identifier, imsize}`` + ``regions[]``.

One ``<stem>.json`` beside each ``<stem>.jpg``::

    {"image": {"identifier": "HF010785_0002_0002", "imsize": [1920, 1080]},
     "regions": [{"boxcorners": [x1, y1, x2, y2], "class": "인천우체국", "tags": ["key:value", ...]}]}

Corners are integer pixels and may come swapped (x1 > x2 or y1 > y2); this codec keeps them as
written; readers normalise. Keys this codec does not know (top level, ``image`` and region) are kept
in ``extra`` so that nothing the release ships is lost. Files are parsed through
:func:`aihub_bench.formats.safe_json.load_json` (number, nesting and size limits, the file named on
error). Plain Python, no torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aihub_bench.errors import BadInputError
from aihub_bench.formats.safe_json import load_json

IMAGE_KEYS = ("identifier", "imsize")
REGION_KEYS = ("boxcorners", "class", "tags")


@dataclass
class Region:
    """One annotated object, as written (``corners`` not yet validated or normalised)."""

    corners: Any
    label: Any
    tags: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RegionAnnotation:
    """The content of one region JSON file."""

    identifier: Any
    imsize: Any
    regions: list[Region]
    extra: dict[str, Any] = field(default_factory=dict)


def parse_tags(tags: Any) -> dict[str, str]:
    """``["key:value", ...]`` -> ``{key: value}``; a tag without ``:`` maps to ``""``."""
    out: dict[str, str] = {}
    for tag in tags if isinstance(tags, list) else []:
        key, _, value = str(tag).partition(":")
        out[key.strip()] = value.strip()
    return out


def read_region_json(path: str | Path) -> RegionAnnotation:
    """Parse one file; a file that is not JSON (or breaks the limits of ``load_json``: integers
    beyond 64 bits, non-finite numbers, deep nesting), or lacks ``image``/``regions``, raises
    BadInputError (kind ``bad_json``, or ``no_regions``).

    An empty ``regions`` list is returned as is (the reader decides whether that is bad).
    """
    path = Path(path)
    data = load_json(path, "bad_json")
    if not isinstance(data, dict):
        raise BadInputError(path, f"top level is {type(data).__name__}, expected an object", "bad_json")
    image = data.get("image")
    if not isinstance(image, dict):
        raise BadInputError(path, "no 'image' object", "bad_json")
    raw_regions = data.get("regions")
    if raw_regions is None:
        raise BadInputError(path, "no 'regions' list", "no_regions")
    if not isinstance(raw_regions, list):
        raise BadInputError(path, f"'regions' is {type(raw_regions).__name__}, expected a list", "bad_json")
    regions = []
    for k, r in enumerate(raw_regions):
        if not isinstance(r, dict):
            raise BadInputError(path, f"regions[{k}] is {type(r).__name__}, expected an object", "bad_json")
        tags = r.get("tags", [])
        regions.append(
            Region(
                corners=r.get("boxcorners"),
                label=r.get("class"),
                tags=[str(t) for t in tags] if isinstance(tags, list) else [str(tags)],
                extra={key: v for key, v in r.items() if key not in REGION_KEYS},
            )
        )
    extra = {k: v for k, v in data.items() if k not in ("image", "regions")}
    extra.update({f"image.{k}": v for k, v in image.items() if k not in IMAGE_KEYS})
    return RegionAnnotation(image.get("identifier"), image.get("imsize"), regions, extra)


def write_region_json(path: str | Path, ann: RegionAnnotation) -> Path:
    """Write ``ann`` in the release's shape (UTF-8, Korean kept readable); return the path."""
    image: dict[str, Any] = {"identifier": ann.identifier, "imsize": ann.imsize}
    top: dict[str, Any] = {}
    for key, value in ann.extra.items():
        if key.startswith("image."):
            image[key[len("image.") :]] = value
        else:
            top[key] = value
    regions = [
        {"boxcorners": r.corners, "class": r.label, "tags": list(r.tags), **r.extra} for r in ann.regions
    ]
    path = Path(path)
    path.write_text(
        json.dumps({"image": image, "regions": regions, **top}, ensure_ascii=False), encoding="utf-8"
    )
    return path
