"""The K-Face annotation txt [A]: boxes and landmarks beside an image, one item per line.

FORMATS.md §7 says what the file holds (7 boxes: face, eyes, nose, mouth, ears; 7 landmarks) but not
how it is written. Assumed, with every part an option of :class:`AnnotationFormat`:

- the file of ``C7.jpg`` is ``C7.txt`` (``name``, a pattern with ``{stem}``);
- a line of four numbers is a box (``box_format``: ``xywh`` or ``xyxy``), in ``box_order``;
- a line of two numbers is a landmark ``x y``, in ``landmark_order``;
- blank lines are ignored; anything else (another field count, a value that is not a finite number,
  more boxes or landmarks than the orders name, a box of negative size) is bad input
  ``bad_annotation`` naming the file and line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from aihub_bench.datasets.kface.layout import ANNOTATION_NAME, BOXES, LANDMARKS
from aihub_bench.errors import BadInputError

BOX_FORMATS = ("xywh", "xyxy")
MAX_BYTES = 64 * 1024  # a few lines are expected; anything larger is not an annotation
Box = tuple[float, float, float, float]
Point = tuple[float, float]


@dataclass(frozen=True)
class AnnotationFormat:
    """How an annotation txt is named and laid out (see the module docstring)."""

    name: str = ANNOTATION_NAME
    box_order: tuple[str, ...] = BOXES
    landmark_order: tuple[str, ...] = LANDMARKS
    box_format: str = "xywh"

    def __post_init__(self) -> None:
        if self.name.count("{stem}") != 1 or "/" in self.name:
            raise ValueError(f"annotation_name must be a file name holding {{stem}} once, got {self.name!r}")
        if self.box_format not in BOX_FORMATS:
            raise ValueError(f"box_format must be one of {list(BOX_FORMATS)}, got {self.box_format!r}")
        for option, order in (("box_order", self.box_order), ("landmark_order", self.landmark_order)):
            if not order or len(set(order)) != len(order):
                raise ValueError(f"{option} must name distinct items, got {list(order)}")
        if "face" not in self.box_order:
            raise ValueError(f"box_order must name the 'face' box, got {list(self.box_order)}")

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        prefix, suffix = self.name.split("{stem}")
        return re.compile(f"^{re.escape(prefix)}(.+){re.escape(suffix)}$")

    def file_name(self, stem: str) -> str:
        return self.name.replace("{stem}", stem)

    def stem_of(self, file_name: str) -> str | None:
        """The image stem an annotation file of this name belongs to, or ``None``."""
        match = self._pattern.match(file_name)
        return match.group(1) if match else None


@dataclass(frozen=True)
class Annotation:
    """What one file gives, in file order: boxes as ``(x, y, w, h)`` and landmarks ``(x, y)``."""

    boxes: tuple[Box, ...]
    landmarks: tuple[Point, ...]


def _numbers(path: Path, line_no: int, fields: list[str]) -> list[float]:
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise BadInputError(
            path, f"line {line_no}: {' '.join(fields)!r} is not numbers", "bad_annotation"
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise BadInputError(path, f"line {line_no}: {' '.join(fields)!r} is not finite", "bad_annotation")
    return values


def _box(path: Path, line_no: int, values: list[float], box_format: str) -> Box:
    a, b, c, d = values
    w, h = (c - a, d - b) if box_format == "xyxy" else (c, d)
    if w < 0 or h < 0:
        raise BadInputError(
            path,
            f"line {line_no}: box {values} has a negative size (box_format={box_format})",
            "bad_annotation",
        )
    return (a, b, w, h)


def read_annotation(path: Path, fmt: AnnotationFormat) -> Annotation:
    """Parse one annotation txt; a fault is ``BadInputError(path, "line N: ...", "bad_annotation")``."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise BadInputError(path, f"{size} bytes: too large for an annotation txt", "bad_annotation")
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInputError(path, "not UTF-8 text", "bad_annotation") from None
    except OSError as err:
        raise BadInputError(path, f"cannot read the file: {err}", "bad_annotation") from err
    boxes: list[Box] = []
    landmarks: list[Point] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        fields = line.replace(",", " ").split()
        if not fields:
            continue
        if len(fields) not in (2, 4):
            raise BadInputError(
                path,
                f"line {line_no}: {len(fields)} values; expected 4 (a box) or 2 (a landmark)",
                "bad_annotation",
            )
        values = _numbers(path, line_no, fields)
        if len(values) == 4:
            boxes.append(_box(path, line_no, values, fmt.box_format))
            limit, kind, count = len(fmt.box_order), "boxes", len(boxes)
        else:
            landmarks.append((values[0], values[1]))
            limit, kind, count = len(fmt.landmark_order), "landmarks", len(landmarks)
        if count > limit:
            raise BadInputError(path, f"line {line_no}: more than {limit} {kind}", "bad_annotation")
    return Annotation(tuple(boxes), tuple(landmarks))


def clip_box(box: Box, width: int, height: int) -> tuple[Box | None, bool]:
    """``box`` clipped to a ``width`` x ``height`` image: ``(clipped or None if nothing is left,
    whether it changed)``; unknown sizes (0) leave it as is."""
    if width <= 0 or height <= 0:
        return box, False
    x, y, w, h = box
    if x >= 0 and y >= 0 and x + w <= width and y + h <= height:
        return box, False
    x1, y1 = max(x, 0.0), max(y, 0.0)
    x2, y2 = min(x + w, float(width)), min(y + h, float(height))
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        return None, True
    return (x1, y1, x2 - x1, y2 - y1), True
