"""K-Face pair lists (both public forms) and held-out identity lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from aihub_bench.datasets.kface import (
    SPEC,
    read_identity_list,
    read_pair_list,
    write_identity_list,
    write_pair_list,
    write_synthetic_kface,
)
from aihub_bench.datasets.kface.pairs import write_short_pair_list
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.records import FacePair

A, B = "19062421", "19062422"


def _pair(
    a: str, ca: str, b: str, cb: str, same: bool, s: str = "S001", light: str = "L1", e: str = "E01"
) -> FacePair:
    return FacePair(f"{a}/{s}/{light}/{e}/{ca}.jpg", f"{b}/{s}/{light}/{e}/{cb}.jpg", same)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def protocols(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_kface(tmp_path_factory.mktemp("kface") / "twin", **SPEC.smoke) / "protocols"


def test_both_public_forms_read_to_the_same_pairs(protocols: Path) -> None:
    paths_policy, short_policy = ErrorPolicy(), ErrorPolicy()
    long_form = read_pair_list(protocols / "pairs_paths.txt", paths_policy)
    short_form = read_pair_list(protocols / "pairs_short.txt", short_policy)
    assert long_form == short_form and len(long_form) == 3 * 2 * 2  # 3 test ids x 2 other cameras x (+, -)
    assert paths_policy.stats["pair_list_form_paths"] == 1 and short_policy.stats["pair_list_form_short"] == 1
    assert read_pair_list(protocols / "pairs_short.txt", ErrorPolicy(), form="short") == short_form
    positives = [p for p in long_form if p.same]
    assert long_form[: len(positives)] == positives  # positives first, as the public lists
    assert all(p.key_a[:8] == p.key_b[:8] for p in positives)
    assert all(p.key_a[:8] != p.key_b[:8] for p in long_form[len(positives) :])
    ids = read_identity_list(protocols / "test_identities.txt", ErrorPolicy())
    assert {p.key_a[:8] for p in long_form} == set(ids) and len(ids) == 3


def test_the_short_form_takes_the_protocols_conditions(tmp_path: Path) -> None:
    path = _write(tmp_path / "short.txt", f"{A} C4 {A} C10 1\n{A} C4 {B} C7 0\n")
    default = read_pair_list(path, ErrorPolicy())
    assert default == [_pair(A, "C4", A, "C10", True), _pair(A, "C4", B, "C7", False)]
    other = read_pair_list(
        path, ErrorPolicy(), conditions={"light": "L7", "expression": "E02"}, extension=".png"
    )
    assert other[0] == FacePair(f"{A}/S001/L7/E02/C4.png", f"{A}/S001/L7/E02/C10.png", True)
    with pytest.raises(ValueError, match="unknown light code 'L31'"):
        read_pair_list(path, ErrorPolicy(), conditions={"light": "L31"})
    with pytest.raises(ValueError, match="fixes"):
        read_pair_list(path, ErrorPolicy(), conditions={"camera": "C7"})
    with pytest.raises(ValueError, match="pair form"):
        read_pair_list(path, ErrorPolicy(), form="long")


def test_round_trip_through_write_pair_list(tmp_path: Path) -> None:
    pairs = [
        _pair(A, "C4", B, "C7", False),
        _pair(A, "C4", A, "C10", True, s="S003"),
        _pair(B, "C7", B, "C4", True),
    ]
    written = write_pair_list(tmp_path / "pairs.txt", pairs)
    lines = written.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"{A}/S003/L1/E01/C4.jpg {A}/S003/L1/E01/C10.jpg 1" and lines[-1].endswith(" 0")
    back = read_pair_list(written, ErrorPolicy())
    assert back == [pairs[1], pairs[2], pairs[0]]
    same_conditions = [pairs[0], pairs[2]]
    short = write_short_pair_list(tmp_path / "short.txt", same_conditions)
    assert read_pair_list(short, ErrorPolicy()) == [pairs[2], pairs[0]]
    with pytest.raises(ValueError, match="fixes one accessory"):
        write_short_pair_list(tmp_path / "mixed.txt", pairs)


def test_keys_are_normalised(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.txt", f"{A}\\S001\\L1\\E01\\C4.JPG  {A}/S001/L1/E01/C7.jpg\t1\r\n\n")
    assert read_pair_list(path, ErrorPolicy()) == [_pair(A, "C4", A, "C7", True)]


@pytest.mark.parametrize(
    ("line", "kind", "reason"),
    [
        (
            f"{A}/S001/L1/E01/C4.jpg {A}/S001/L1/E01/C7.jpg 1 1",
            "bad_pair_line",
            "line 2: 4 fields; the paths form has 3",
        ),
        (
            f"{A}/S001/L1/E01/C4.jpg {A}/S001/L1/E01/C7.jpg 2",
            "bad_pair_label",
            "line 2: label '2' is not 0 or 1",
        ),
        (
            f"{A}/S001/L1/E01/C4.jpg {A}/S001/L1/E01/C7.jpg true",
            "bad_pair_label",
            "label 'true' is not 0 or 1",
        ),
        (f"{A}/S001/L1/C4.jpg {A}/S001/L1/E01/C7.jpg 1", "bad_pair_key", "is not <id>/S###/L#/E##/C#"),
        (f"{A}/S001/L1/E01/C4 {A}/S001/L1/E01/C7.jpg 1", "bad_pair_key", "is not <id>/S###/L#/E##/C#"),
        (
            f"{A}/S001/L1/E04/C4.jpg {A}/S001/L1/E01/C7.jpg 1",
            "unknown_condition",
            "unknown expression code 'E04'",
        ),
        (
            f"{A}/S001/L1/E01/C21.jpg {A}/S001/L1/E01/C7.jpg 1",
            "unknown_condition",
            "unknown camera code 'C21'",
        ),
        (
            f"1906242/S001/L1/E01/C4.jpg {A}/S001/L1/E01/C7.jpg 1",
            "bad_pair_key",
            "'1906242' is not an 8-digit id",
        ),
    ],
)
def test_a_bad_paths_line_raises_or_is_counted_and_skipped(
    tmp_path: Path, line: str, kind: str, reason: str
) -> None:
    good = f"{A}/S001/L1/E01/C4.jpg {B}/S001/L1/E01/C7.jpg 0"
    path = _write(tmp_path / "pairs.txt", f"{good}\n{line}\n{good.replace('C7', 'C10')}\n")
    with pytest.raises(BadInputError) as raised:
        read_pair_list(path, ErrorPolicy("raise"))
    assert (raised.value.kind, raised.value.path) == (kind, str(path)) and reason in raised.value.reason
    policy = ErrorPolicy("skip")
    assert len(read_pair_list(path, policy)) == 2
    assert policy.report()["skipped_by_kind"] == {kind: 1}


@pytest.mark.parametrize(
    ("line", "kind", "reason"),
    [
        (f"{A} C4 {B} 1", "bad_pair_line", "line 2: 4 fields; the short form has 5"),
        (f"{A} C4 {B} C7 5", "bad_pair_label", "label '5' is not 0 or 1"),
        (f"1906242 C4 {B} C7 0", "bad_pair_key", "identity '1906242' is not an 8-digit id"),
        (f"{A} C4 {B} K7 0", "unknown_condition", "unknown camera code 'K7'"),
    ],
)
def test_a_bad_short_line_raises_or_is_counted_and_skipped(
    tmp_path: Path, line: str, kind: str, reason: str
) -> None:
    path = _write(tmp_path / "short.txt", f"{A} C4 {B} C10 0\n{line}\n")
    with pytest.raises(BadInputError) as raised:
        read_pair_list(path, ErrorPolicy("raise"), form="short")
    assert raised.value.kind == kind and reason in raised.value.reason
    policy = ErrorPolicy("skip")
    assert read_pair_list(path, policy) == [_pair(A, "C4", B, "C10", False)]
    assert policy.report()["skipped_by_kind"] == {kind: 1}


def test_a_first_line_of_neither_form_or_an_unreadable_list_raises_in_both_modes(tmp_path: Path) -> None:
    for on_error in ("raise", "skip"):
        with pytest.raises(BadInputError, match="line 1: 4 fields: neither") as raised:
            read_pair_list(_write(tmp_path / "p.txt", f"{A} C4 {B} 1\n"), ErrorPolicy(on_error))  # type: ignore[arg-type]
        assert raised.value.kind == "bad_pair_line"
        with pytest.raises(BadInputError, match="list file not found"):
            read_pair_list(tmp_path / "absent.txt", ErrorPolicy(on_error))  # type: ignore[arg-type]


def test_a_pair_of_an_image_with_itself_is_counted_and_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.txt", f"{A} C4 {A} C4 1\n{A} C4 {A} C7 1\n")
    for on_error in ("raise", "skip"):
        policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
        assert read_pair_list(path, policy) == [_pair(A, "C4", A, "C7", True)]
        assert policy.stats["pairs_of_an_image_with_itself"] == 1 and policy.skipped == 0


def test_identity_lists_round_trip_and_faults(tmp_path: Path) -> None:
    written = write_identity_list(tmp_path / "ids.txt", [B, A])
    assert read_identity_list(written, ErrorPolicy()) == [B, A]
    path = _write(tmp_path / "bad.txt", f"{A}\n\n{B} {A}\n1906242x\n{A}\n")
    with pytest.raises(BadInputError, match="line 3: 2 fields; expected one id") as raised:
        read_identity_list(path, ErrorPolicy("raise"))
    assert raised.value.kind == "bad_identity" and raised.value.path == str(path)
    policy = ErrorPolicy("skip")
    assert read_identity_list(path, policy) == [A]
    assert (
        policy.report()["skipped_by_kind"] == {"bad_identity": 2}
        and policy.stats["identities_listed_twice"] == 1
    )
