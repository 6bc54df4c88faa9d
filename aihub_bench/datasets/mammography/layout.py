"""Where things live in the mammography release, and how its names map to views and classes.

Assumed tree ([A], every part an option of :func:`read_mammography`)::

    <root>/**/<patient>_<VIEW>.dcm     VIEW in RCC, LCC, RMLO (or RML0), LMLO (or LML0)
    <root>/**/<patient>.json           per-patient metadata beside the images

Patient ids are 5 digits and say the class: malignant from 00001, benign from 10001, normal from
20001. The release's own document spells the MLO views with a zero (``RML0``); both spellings are
read and mapped to the canonical ``RMLO`` / ``LMLO``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

VIEWS: tuple[str, ...] = ("RCC", "LCC", "RMLO", "LMLO")
VIEW_ALIASES: dict[str, str] = {"RML0": "RMLO", "LML0": "LMLO"}
CLASS_RANGES: dict[str, tuple[int, int]] = {
    "malignant": (1, 9999),
    "benign": (10001, 19999),
    "normal": (20001, 29999),
}
FILE_PATTERN = r"^(?P<patient>\d{5})[_-](?P<view>[RL](?:CC|ML[O0]))\.dcm$"
METADATA_NAME = "{patient}.json"
# our field -> JSON key in the per-patient metadata file
METADATA_KEYS: dict[str, str] = {
    "birads": "birads",
    "device": "device",
    "model": "model",
    "pathology": "pathology",
    "lesions": "lesions",
    "lesion_view": "view",
    "lesion_points": "points",
}
DICOM_SUFFIX = ".dcm"


def compile_file_pattern(pattern: str) -> re.Pattern[str]:
    """The file-name regex (case-insensitive); it must have the groups ``patient`` and ``view``."""
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as err:
        raise ValueError(f"file_pattern {pattern!r} is not a valid regular expression: {err}") from err
    missing = {"patient", "view"} - set(compiled.groupindex)
    if missing:
        raise ValueError(f"file_pattern {pattern!r} lacks the named group(s) {sorted(missing)}")
    return compiled


def parse_file_name(name: str, pattern: re.Pattern[str]) -> tuple[str, str] | None:
    """``(patient id, view as written)`` from a file name, or ``None`` if the name does not match."""
    match = pattern.match(name)
    if match is None or not match.group("patient") or not match.group("view"):
        return None
    return match.group("patient"), match.group("view")


def resolve_aliases(views: Sequence[str], aliases: Mapping[str, str] | None) -> dict[str, str]:
    """Upper-cased alias -> canonical view; ``None`` gives the release's ``RML0``/``LML0``."""
    aliases = VIEW_ALIASES if aliases is None else aliases
    known = set(views) | set(VIEWS)
    out = {}
    for raw, canonical in aliases.items():
        if str(canonical).upper() not in known:
            raise ValueError(f"view alias {raw!r} -> {canonical!r}: not a known view ({sorted(known)})")
        out[str(raw).upper()] = str(canonical).upper()
    return out


def resolve_views(views: Sequence[str]) -> tuple[str, ...]:
    """Upper-cased view names, in order; empty or repeated names are a ValueError."""
    out = tuple(str(v).strip().upper() for v in ([views] if isinstance(views, str) else views))
    if not out or any(not v for v in out):
        raise ValueError(f"views must name at least one view, got {views!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"views repeat a name: {views!r}")
    return out


def canonical_view(raw: str, aliases: Mapping[str, str]) -> str:
    """The canonical spelling of a view as written in a file name (``rml0`` -> ``RMLO``)."""
    upper = raw.upper()
    return aliases.get(upper, upper)


def resolve_class_ranges(ranges: Mapping[str, Sequence[int]] | None) -> dict[str, tuple[int, int]]:
    """Validated ``class -> (first id, last id)``; ranges must be ordered and must not overlap."""
    if ranges is None:
        return dict(CLASS_RANGES)
    out: dict[str, tuple[int, int]] = {}
    for name, bounds in ranges.items():
        values = list(bounds)
        ok = len(values) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in values)
        if not ok or values[0] > values[1]:
            raise ValueError(f"class_ranges[{name!r}] must be [first_id, last_id], got {bounds!r}")
        out[str(name)] = (values[0], values[1])
    if not out:
        raise ValueError("class_ranges must name at least one class")
    spans = sorted((first, last, name) for name, (first, last) in out.items())
    for (_, last, name), (first, _, other) in zip(spans, spans[1:], strict=False):
        if first <= last:
            raise ValueError(f"class_ranges overlap: {name!r} and {other!r}")
    return out


def class_of(patient: str, ranges: Mapping[str, tuple[int, int]]) -> str | None:
    """The class whose id range holds ``patient`` (a digit string), else ``None``."""
    if not patient.isdigit():
        return None
    number = int(patient)
    for name, (first, last) in ranges.items():
        if first <= number <= last:
            return name
    return None


def patient_sort_key(patient: str) -> tuple[int, int, str]:
    """Numeric order for digit ids (``9`` before ``10``), then any others by name."""
    return (0, int(patient), patient) if patient.isdigit() else (1, 0, patient)


def laterality(view: str) -> str:
    """``R`` or ``L`` for a canonical view name."""
    return view[0]


def file_name(patient: str, view: str) -> str:
    """The twin's file name for one view: ``<patient>_<VIEW>.dcm``."""
    return f"{patient}_{view}{DICOM_SUFFIX}"
