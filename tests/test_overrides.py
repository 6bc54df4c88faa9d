"""Korean values on the command line: quoted for Hydra's grammar, and accepted end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aihub_bench.overrides import quote_override
from tests.conftest import compose_config


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("dataset.root=/data/한국형사물", "dataset.root='/data/한국형사물'"),
        ("dataset.reader.domains=[상품,landmarks]", "dataset.reader.domains=['상품',landmarks]"),
        ("dataset.reader.domains=상품,랜드마크", "dataset.reader.domains='상품','랜드마크'"),
        ("+tags=it's 한국", '+tags="it\'s 한국"'),
        ("dataset.root='/data/한국'", "dataset.root='/data/한국'"),
        ("model=retinanet", "model=retinanet"),
        ("--multirun", "--multirun"),
    ],
)
def test_quote_override(arg: str, expected: str) -> None:
    assert quote_override(arg) == expected


def test_korean_values_compose(tmp_path: Path) -> None:
    cfg = compose_config(
        [
            "dataset=korean_objects",
            "dataset.root=/data/한국형 사물",
            "dataset.reader.domains=[상품,랜드마크]",
        ],
        tmp_path / "실행",
        tmp_path / "데이터",
    )
    assert cfg.dataset.root == "/data/한국형 사물"
    assert list(cfg.dataset.reader.domains) == ["상품", "랜드마크"]
    assert cfg.paths.output_dir.endswith("실행")


@pytest.mark.slow
def test_command_line_accepts_an_unquoted_korean_root(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
    missing = tmp_path / "한국형사물"
    result = subprocess.run(
        [
            sys.executable,
            str(repo / "train.py"),
            "dataset=korean_objects",
            f"dataset.root={missing}",
            f"hydra.run.dir={tmp_path / 'run'}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode != 0
    assert f"dataset.root={missing} is not a directory" in result.stderr
    assert "OverrideParseException" not in result.stderr
