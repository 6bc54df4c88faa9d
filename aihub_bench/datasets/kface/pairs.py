"""K-Face verification pair lists and held-out identity lists, in the public forms (FORMATS.md §7).

- ``paths`` form [C]: ``<id>/S001/L1/E01/C4.jpg <id>/S001/L1/E01/C10.jpg 1`` (1 same person, 0 not);
  the public lists give every positive first, then every negative.
- ``short`` form [C]: ``<id> C4 <id> C10 1``; the accessory, light and expression are fixed by the
  protocol (``conditions``, default S001 / L1 / E01).
- identity lists [C]: one 8-digit id per line.

Keys are returned in the long form whatever the list's form, so both forms of one protocol read to
the same :class:`~aihub_bench.records.FacePair` list. A bad line (wrong field count, label not 0/1,
a malformed key or id, an unknown condition code) is ``BadInputError(path, "line N: ...", kind)``:
raised, or with ``on_error=skip`` the line is counted and skipped. A pair of an image with itself
says nothing about verification: counted (``stats.pairs_of_an_image_with_itself``) and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from aihub_bench.datasets.kface.layout import ID_PATTERN, check_code, image_key, split_key
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.records import FACE_FACTORS, FacePair

PAIR_FORMS = ("auto", "paths", "short")
FIELDS = {"paths": 3, "short": 5}
DEFAULT_CONDITIONS: dict[str, str] = {"accessory": "S001", "light": "L1", "expression": "E01"}
MAX_BYTES = 512 * 1024 * 1024  # a text file beyond this is not a pair list


def _lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of every non-empty line; an unreadable file is bad input."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise BadInputError(path, f"over {MAX_BYTES} bytes: not a list", "bad_pair_list")
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise BadInputError(path, "list file not found", "missing_file") from None
    except UnicodeDecodeError:
        raise BadInputError(path, "not UTF-8 text", "bad_pair_list") from None
    except OSError as err:
        raise BadInputError(path, f"cannot read the list: {err}", "bad_pair_list") from err
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if fields:
            yield number, fields


def _label(path: Path, number: int, text: str) -> bool:
    if text not in ("0", "1"):
        raise BadInputError(path, f"line {number}: label {text!r} is not 0 or 1", "bad_pair_label")
    return text == "1"


def _long_key(path: Path, number: int, text: str, id_pattern: re.Pattern[str]) -> str:
    """A ``paths``-form key, validated and normalised (``\\`` to ``/``, extension lower-cased)."""
    parts = split_key(text)
    if parts is None:
        raise BadInputError(path, f"line {number}: {text!r} is not <id>/S###/L#/E##/C#.<ext>", "bad_pair_key")
    identity, accessory, light, expression, camera, extension = parts
    _check_identity(path, number, identity, id_pattern)
    for factor, code in zip(FACE_FACTORS, (accessory, light, expression, camera), strict=True):
        reason = check_code(factor, code)
        if reason is not None:
            raise BadInputError(path, f"line {number}: {text!r}: {reason}", "unknown_condition")
    return image_key(identity, accessory, light, expression, camera, extension)


def _check_identity(path: Path, number: int, identity: str, id_pattern: re.Pattern[str]) -> None:
    if not id_pattern.match(identity):
        raise BadInputError(
            path,
            f"line {number}: identity {identity!r} is not an 8-digit id ({id_pattern.pattern})",
            "bad_pair_key",
        )


def _short_key(
    path: Path,
    number: int,
    identity: str,
    camera: str,
    fixed: Mapping[str, str],
    extension: str,
    id_pattern: re.Pattern[str],
) -> str:
    _check_identity(path, number, identity, id_pattern)
    reason = check_code("camera", camera)
    if reason is not None:
        raise BadInputError(path, f"line {number}: {reason}", "unknown_condition")
    return image_key(identity, fixed["accessory"], fixed["light"], fixed["expression"], camera, extension)


def _conditions(conditions: Mapping[str, str] | None) -> dict[str, str]:
    fixed = {**DEFAULT_CONDITIONS, **{str(k): str(v) for k, v in (conditions or {}).items()}}
    unknown = sorted(set(fixed) - set(DEFAULT_CONDITIONS))
    if unknown:
        raise ValueError(
            f"pair conditions name {unknown}; a short-form list fixes {list(DEFAULT_CONDITIONS)}"
        )
    for factor, code in fixed.items():
        reason = check_code(factor, code)
        if reason is not None:
            raise ValueError(f"pair conditions: {reason}")
    return fixed


def read_pair_list(
    path: str | Path,
    policy: ErrorPolicy,
    *,
    form: str = "auto",
    conditions: Mapping[str, str] | None = None,
    extension: str = ".jpg",
    id_pattern: str = ID_PATTERN,
) -> list[FacePair]:
    """The pairs of a list in either public form (``auto``: by the field count of the first line),
    keys in the long form; ``conditions`` and ``extension`` complete the ``short`` form's keys."""
    if form not in PAIR_FORMS:
        raise ValueError(f"pair form must be one of {list(PAIR_FORMS)}, got {form!r}")
    if not extension.startswith("."):
        raise ValueError(f"extension must start with '.', got {extension!r}")
    fixed = _conditions(conditions)
    pattern = re.compile(id_pattern)
    path = Path(path)
    pairs: list[FacePair] = []
    for number, fields in _lines(path):
        if form == "auto":  # the first line decides; a line it cannot place makes the list unusable
            form = next((f for f, n in FIELDS.items() if n == len(fields)), "")
            if not form:
                raise BadInputError(
                    path,
                    f"line {number}: {len(fields)} fields: neither 'a b label' (paths) nor 'id Cn id Cn label' (short)",
                    "bad_pair_line",
                )
            policy.count(f"pair_list_form_{form}")
        try:
            pair = _pair(path, number, fields, form, fixed, extension, pattern)
        except BadInputError as err:
            policy.handle(err)
            continue
        if pair.key_a == pair.key_b:
            policy.count("pairs_of_an_image_with_itself")
            continue
        pairs.append(pair)
    policy.count("pairs_read", len(pairs))
    return pairs


def _pair(
    path: Path,
    number: int,
    fields: list[str],
    form: str,
    fixed: Mapping[str, str],
    extension: str,
    pattern: re.Pattern[str],
) -> FacePair:
    if len(fields) != FIELDS[form]:
        raise BadInputError(
            path, f"line {number}: {len(fields)} fields; the {form} form has {FIELDS[form]}", "bad_pair_line"
        )
    same = _label(path, number, fields[-1])
    if form == "paths":
        return FacePair(
            _long_key(path, number, fields[0], pattern), _long_key(path, number, fields[1], pattern), same
        )
    return FacePair(
        _short_key(path, number, fields[0], fields[1], fixed, extension, pattern),
        _short_key(path, number, fields[2], fields[3], fixed, extension, pattern),
        same,
    )


def write_pair_list(path: str | Path, pairs: Iterable[FacePair]) -> Path:
    """Write ``pairs`` in the long form, positives first then negatives (as the public lists)."""
    pairs = list(pairs)
    ordered = [p for p in pairs if p.same] + [p for p in pairs if not p.same]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{p.key_a} {p.key_b} {int(p.same)}\n" for p in ordered), encoding="utf-8")
    return path


def write_short_pair_list(path: str | Path, pairs: Iterable[FacePair]) -> Path:
    """Write ``pairs`` in the short form ``id Cn id Cn label`` (the conditions are the protocol's and
    are not written: every key must share one accessory, light and expression)."""
    pairs = list(pairs)
    ordered = [p for p in pairs if p.same] + [p for p in pairs if not p.same]
    fixed = {split_key(k)[1:4] for p in ordered for k in (p.key_a, p.key_b)}  # type: ignore[index]
    if len(fixed) > 1:
        raise ValueError(
            f"a short-form list fixes one accessory, light and expression; the pairs use {sorted(fixed)}"
        )
    lines = []
    for p in ordered:
        a, b = split_key(p.key_a), split_key(p.key_b)
        assert a is not None and b is not None
        lines.append(f"{a[0]} {a[4]} {b[0]} {b[4]} {int(p.same)}\n")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def read_identity_list(path: str | Path, policy: ErrorPolicy, *, id_pattern: str = ID_PATTERN) -> list[str]:
    """The ids of a held-out identity list, in file order, each once (repeats counted)."""
    pattern = re.compile(id_pattern)
    path = Path(path)
    ids: dict[str, None] = {}
    for number, fields in _lines(path):
        try:
            if len(fields) != 1:
                raise BadInputError(
                    path, f"line {number}: {len(fields)} fields; expected one id", "bad_identity"
                )
            if not pattern.match(fields[0]):
                raise BadInputError(
                    path, f"line {number}: {fields[0]!r} is not an 8-digit id ({id_pattern})", "bad_identity"
                )
        except BadInputError as err:
            policy.handle(err)
            continue
        if fields[0] in ids:
            policy.count("identities_listed_twice")
        ids[fields[0]] = None
    return list(ids)


def write_identity_list(path: str | Path, ids: Iterable[str]) -> Path:
    """One id per line, in the order given."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    return path
