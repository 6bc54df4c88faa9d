"""The entries of an info JSON, one at a time: ``images[]`` entries and annotations, checked and
turned into what the reader needs (see :mod:`aihub_bench.datasets.ocr.reader`).

An unusable entry is a ``BadInputError``; what the release gets wrong in a way a reader can live with
(an annotation without an image, an ignored box, an unknown type, a malformed label, a box reaching
outside its photo) is counted in the policy's stats and, where it cannot be a sample, left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aihub_bench.datasets.ocr.layout import TIW_CLASSES, TIW_IGNORED, has_stray_jamo, is_malformed_label, nfc
from aihub_bench.errors import BadInputError, ErrorPolicy

MALFORMED_LABEL_MODES = ("keep", "drop", "error")


@dataclass(frozen=True)
class Rules:
    """What the reader keeps of the annotations (its options)."""

    policy: ErrorPolicy
    kinds: frozenset[str]
    tiw_classes: frozenset[str]
    type_kinds: Mapping[str, str]
    writer_key: str | None
    malformed_labels: str


@dataclass(frozen=True)
class ImageEntry:
    """One usable ``images[]`` entry."""

    id: str
    file_name: str
    width: int
    height: int
    image_type: str


@dataclass
class Candidate:
    """An annotation that will be a sample if its image is usable."""

    annotation_id: str
    image_id: str
    text: str
    kind: str
    bbox: tuple[float, float, float, float] | None
    meta: dict[str, Any]


def string_id(policy: ErrorPolicy, value: Any) -> str | None:
    """An id as the release writes it (a zero-padded string); an integer is accepted as its digits,
    counted, since ``1`` and ``"00000001"`` would not match."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        policy.count("ids_not_strings")
        return str(value)
    return None


def image_entry(path: Path, index: int, image_id: str, raw: dict[str, Any]) -> ImageEntry:
    """``images[index]`` with a ``file_name`` and positive integer ``width`` and ``height``, else
    ``bad_image_entry``."""
    where = f"images[{index}] (id {image_id})"
    name = raw.get("file_name")
    if not isinstance(name, str) or not name.strip():
        raise BadInputError(path, f"{where}: file_name is {name!r}, not a file name", "bad_image_entry")
    size = []
    for key in ("width", "height"):
        value = raw.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise BadInputError(
                path, f"{where}: {key} is {value!r}, not a positive integer", "bad_image_entry"
            )
        size.append(value)
    image_type = raw.get("type")
    return ImageEntry(
        image_id, nfc(name.strip()), size[0], size[1], str(image_type) if image_type is not None else ""
    )


def candidate(
    rules: Rules,
    subset: str,
    path: Path,
    index: int,
    raw: Any,
    entries: Mapping[str, ImageEntry],
    bad_entries: Mapping[str, BadInputError],
    referenced: set[str],
) -> Candidate | None:
    """The annotation as a sample-to-be, ``None`` when it is counted and not used (no image, another
    kind, an ignored box, a dropped malformed label, a box wholly outside its photo)."""
    where = f"annotations[{index}]"
    if not isinstance(raw, dict):
        raise BadInputError(path, f"{where} is {type(raw).__name__}, not an object", "bad_annotation")
    annotation_id = string_id(rules.policy, raw.get("id"))
    image_id = string_id(rules.policy, raw.get("image_id"))
    attributes = raw.get("attributes", {})
    if annotation_id is None or image_id is None or not isinstance(attributes, dict):
        raise BadInputError(
            path,
            f"{where} needs string id and image_id and an attributes object, got {_shown(raw)}",
            "bad_annotation",
        )
    where = f"{where} (id {annotation_id}, image {image_id})"
    referenced.add(image_id)
    if image_id not in entries and image_id not in bad_entries:
        rules.policy.count("annotations_without_image")
        return None
    kind = _kind(rules, subset, attributes)
    if kind is None:
        return None
    text = _text(rules, path, where, raw.get("text"), kind, subset)
    if text is None:
        return None
    bbox = None
    if subset == "tiw":
        bbox = _box(rules, path, where, raw.get("bbox"), entries.get(image_id))
        if bbox is None:
            return None
    return Candidate(
        annotation_id,
        image_id,
        text,
        kind,
        bbox,
        _meta(rules, subset, annotation_id, attributes, entries.get(image_id)),
    )


def _kind(rules: Rules, subset: str, attributes: Mapping[str, Any]) -> str | None:
    """The sample kind of a chosen annotation, else ``None`` (counted: ignored boxes, unknown types
    and classes, kinds not chosen)."""
    if subset == "tiw":
        box_class = attributes.get("class")
        if box_class == TIW_IGNORED:
            rules.policy.count("tiw_ignored_boxes")
            return None
        if box_class not in TIW_CLASSES:
            rules.policy.count("tiw_boxes_of_unknown_class")
            return None
        if box_class not in rules.tiw_classes:
            rules.policy.count("annotations_of_other_kinds")
            return None
        return str(box_class)
    type_ = attributes.get("type")
    kind = rules.type_kinds.get(nfc(type_).strip()) if isinstance(type_, str) else None
    if kind is None:
        rules.policy.count("annotations_of_unknown_type")
        return None
    if kind not in rules.kinds:
        rules.policy.count("annotations_of_other_kinds")
        return None
    return kind


def _text(rules: Rules, path: Path, where: str, raw: Any, kind: str, subset: str) -> str | None:
    """The label in NFC, outer spaces trimmed (both counted); malformed labels counted and kept,
    dropped or refused per ``malformed_labels``."""
    if raw is None:
        raise BadInputError(path, f"{where}: text is null", "empty_text")
    if not isinstance(raw, str):
        raise BadInputError(path, f"{where}: text is {raw!r}, not a string", "bad_annotation")
    text = nfc(raw)
    if text != raw:
        rules.policy.count("texts_normalised_to_nfc")
    if text != text.strip():
        rules.policy.count("texts_with_outer_spaces")
        text = text.strip()
    if not text:
        raise BadInputError(path, f"{where}: text is empty ({raw!r})", "empty_text")
    malformed = has_stray_jamo(text) if subset == "tiw" else is_malformed_label(text, kind)
    if malformed:
        rules.policy.count("malformed_labels")
        if rules.malformed_labels == "error":
            expected = (
                "one modern Hangul syllable" if kind == "syllable" and subset != "tiw" else "no stray jamo"
            )
            raise BadInputError(
                path, f"{where}: {kind} label {text!r} is malformed (expected {expected})", "malformed_label"
            )
        if rules.malformed_labels == "drop":
            rules.policy.count("malformed_labels_dropped")
            return None
    return text


def _box(
    rules: Rules, path: Path, where: str, raw: Any, image: ImageEntry | None
) -> tuple[float, float, float, float] | None:
    """``[x, y, w, h]`` clipped to the photo (counted); ``None`` (counted) when nothing is left.
    The photo's entry may be unusable (``image`` None): its error drops the box later."""
    if not (
        isinstance(raw, list)
        and len(raw) == 4
        and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in raw)
    ):
        said = f"has {len(raw)} values" if isinstance(raw, list) else "is not a list"
        raise BadInputError(path, f"{where}: bbox {raw!r} {said}, expected 4 numbers [x, y, w, h]", "bad_box")
    x, y, w, h = (float(v) for v in raw)
    if image is None:
        return (x, y, max(w, 1.0), max(h, 1.0))
    x0, y0 = max(x, 0.0), max(y, 0.0)
    x1, y1 = min(x + w, float(image.width)), min(y + h, float(image.height))
    if x1 <= x0 or y1 <= y0:
        rules.policy.count("boxes_empty_after_clipping")
        return None
    if (x0, y0, x1, y1) != (x, y, x + w, y + h):
        rules.policy.count("boxes_clipped")
    return (x0, y0, x1 - x0, y1 - y0)


def _meta(
    rules: Rules, subset: str, annotation_id: str, attributes: Mapping[str, Any], image: ImageEntry | None
) -> dict[str, Any]:
    """The release's attributes a protocol or a per-group metric may need."""
    meta: dict[str, Any] = {"annotation_id": annotation_id}
    if subset in ("printed", "augmented"):
        meta["font"] = str(attributes.get("font", ""))
        meta["is_aug"] = _flag(attributes.get("is_aug", subset == "augmented"))
    elif subset == "handwriting":
        meta.update(
            {k: str(attributes[k]) for k in ("gender", "age", "job") if attributes.get(k) is not None}
        )
    else:
        meta["image_type"] = image.image_type if image else ""
        meta["box_class"] = str(attributes.get("class"))
    if rules.writer_key and attributes.get(rules.writer_key) is not None:
        meta["writer"] = str(attributes[rules.writer_key])
    return meta


def _flag(value: Any) -> Any:
    """``is_aug`` as a bool where it spells one (``true``, ``"False"``), else as written."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
