"""The shared number formatting and Markdown table builder (aihub_bench/tables.py)."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from aihub_bench import tables
from aihub_bench.tables import (
    MISSING,
    cell,
    count,
    escape,
    interval,
    markdown_table,
    mean_std,
    number,
    value_ci,
)


def test_number_digits_default_to_three_or_two_above_one() -> None:
    assert number(0.51234) == "0.512"
    assert number(1.0) == "1.000"  # 1 is not above 1
    assert number(53.297) == "53.30"
    assert number(-2.5) == "-2.50"
    assert number(0.5, digits=1) == "0.5"
    assert number(3, digits=4) == "3.0000"
    assert number(0.1123, 4, signed=True) == "+0.1123"
    assert number(-0.1, 4, signed=True) == "-0.1000"


@pytest.mark.parametrize("undefined", [None, math.nan, math.inf, -math.inf, "0.5", True])
def test_undefined_values_are_missing(undefined: object) -> None:
    assert number(undefined) == MISSING
    assert count(undefined) == MISSING
    assert mean_std(undefined, 0.1) == MISSING
    assert value_ci(undefined, 0.1, 0.2) == MISSING


def test_counts_are_whole_numbers() -> None:
    assert count(12.0) == "12"
    assert count(7) == "7"
    assert count(0) == "0"


def test_cell_formats_any_metric_value() -> None:
    assert cell(True) == "yes" and cell(False) == "no"
    assert cell(None) == MISSING
    assert cell(math.nan) == MISSING
    assert cell(0.25) == "0.250"
    assert cell(0.25, digits=4) == "0.2500"
    assert cell("nrefs:1|case:mixed") == "nrefs:1|case:mixed"  # escaping is the table's job


def test_intervals_and_spreads() -> None:
    assert interval(0.8512, 0.9634) == "[0.851, 0.963]"
    assert interval(0.5, None) == MISSING
    assert interval(math.nan, 0.9) == MISSING
    assert value_ci(0.8123, 0.7, 0.9) == "0.812 [0.700, 0.900]"
    assert value_ci(0.8123, None, 0.9) == "0.812"  # no interval: the value alone
    assert value_ci(12.5, 10.0, 15.0) == "12.50 [10.00, 15.00]"
    assert mean_std(0.975, 0.05590169943749474) == "0.975 ± 0.056"
    assert mean_std(0.9, None) == "0.900"
    assert mean_std(0.9, math.nan) == "0.900"


def test_escape_pipes_and_line_breaks() -> None:
    assert escape("a|b") == "a\\|b"
    assert escape("first\nsecond\r\nthird") == "first<br>second<br>third"
    assert escape(3) == "3"
    assert escape("") == ""


def test_table_lines_alignment_and_escaping() -> None:
    lines = markdown_table(
        ["name", "n", "AP"], [["a|b", "3", "0.300"], ["x\ny", "", MISSING]], numeric_from=1
    )
    assert lines == [
        "| name | n | AP |",
        "| --- | ---: | ---: |",
        "| a\\|b | 3 | 0.300 |",
        "| x<br>y | | — |",  # an empty cell stays one space wide
    ]


def test_table_alignment_defaults_to_left_and_escapes_the_header() -> None:
    lines = markdown_table(["a|b", "c"], [])
    assert lines == ["| a\\|b | c |", "| --- | --- |"]
    assert markdown_table(["a", "b"], [["1", "2"]], numeric_from=0)[1] == "| ---: | ---: |"


def test_a_row_of_the_wrong_width_is_an_error() -> None:
    with pytest.raises(ValueError, match="table row 1 has 1 cells, the header 2"):
        markdown_table(["a", "b"], [["1", "2"], ["3"]])


def test_tables_is_a_leaf_module() -> None:
    """metrics/ imports it, and metrics never imports tasks, report or regress: no aihub_bench imports."""
    tree = ast.parse(Path(tables.__file__).read_text(encoding="utf-8"))
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    ]
    assert imported and not [name for name in imported if name and name.startswith("aihub_bench")]
