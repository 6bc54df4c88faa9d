"""The bad-input corpus, parametrised over every reader (see ``tests/bad_input/``).

Raise mode: the reader raises ``BadInputError`` of the fault's kind, naming the broken file and a
reason that matches. Skip mode: the reason is counted and exactly the broken units are dropped
(compared with the clean twin), so nothing vanishes silently. Every case runs under a timeout,
so an input that makes a reader hang fails instead of stalling CI.
"""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from bad_input.common import Fault, Outcome

from aihub_bench.errors import BadInputError

READERS = [
    "xray",
    "korean_objects",
    "mammography",
    "fundus",
    "human_motion",
    "nmt_corpus",
    "sidewalk",
    "sidewalk_surface",
    "sidewalk_depth",
    "ocr",
    "kface",
    "cctv",
    "multimodal",
]
TIMEOUT_S = 120


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"bad_input.{name}")


CASES = [
    pytest.param(name, fault, id=f"{name}-{fault.name}") for name in READERS for fault in _module(name).FAULTS
]


@pytest.fixture(scope="session")
def clean_twins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {}


def _twin(name: str, cache: dict[str, Path], factory: pytest.TempPathFactory) -> Path:
    if name not in cache:
        root = factory.mktemp(f"clean_{name}") / "root"
        root.mkdir()
        _module(name).write_twin(root)
        cache[name] = root
    return cache[name]


_CLEAN: dict[tuple[str, str], Outcome] = {}


def _clean_outcome(name: str, root: Path, options: dict[str, Any]) -> Outcome:
    key = (name, repr(sorted(options.items())))
    if key not in _CLEAN:
        _CLEAN[key] = _module(name).read(root, "raise", **options)
    return _CLEAN[key]


def _broken_copy(name: str, fault: Fault, clean: Path, tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "root"
    shutil.copytree(clean, root, symlinks=True)
    named = Path(fault.apply(root))
    return root, named if named.is_absolute() else root / named


def test_the_corpus_covers_every_reader_with_at_least_60_faults() -> None:
    per_reader = {name: len(_module(name).FAULTS) for name in READERS}
    assert all(n >= 5 for n in per_reader.values()), per_reader
    assert sum(per_reader.values()) >= 60, per_reader
    names = [(name, f.name) for name in READERS for f in _module(name).FAULTS]
    assert len(names) == len(set(names))


@pytest.mark.timeout(TIMEOUT_S)
@pytest.mark.parametrize(("name", "fault"), CASES)
def test_raise_mode_names_the_file_and_the_reason(
    name: str,
    fault: Fault,
    tmp_path: Path,
    clean_twins: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    clean = _twin(name, clean_twins, tmp_path_factory)
    root, named = _broken_copy(name, fault, clean, tmp_path)
    with pytest.raises(BadInputError) as caught:
        _module(name).read(root, "raise", **fault.options)
    err = caught.value
    assert err.kind == fault.kind, str(err)
    assert re.search(fault.reason, err.reason), f"{err.reason!r} does not match {fault.reason!r}"
    assert Path(err.path) == named or named.name in err.path, f"{err.path} does not name {named}"


@pytest.mark.timeout(TIMEOUT_S)
@pytest.mark.parametrize(("name", "fault"), CASES)
def test_skip_mode_counts_the_reason_and_drops_exactly_the_broken_units(
    name: str,
    fault: Fault,
    tmp_path: Path,
    clean_twins: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    clean = _twin(name, clean_twins, tmp_path_factory)
    root, _ = _broken_copy(name, fault, clean, tmp_path)
    if not fault.skip_mode:  # a fault that makes the whole dataset unusable raises in both modes
        with pytest.raises(BadInputError) as caught:
            _module(name).read(root, "skip", **fault.options)
        assert caught.value.kind == fault.kind
        return
    outcome = _module(name).read(root, "skip", **fault.options)
    assert outcome.report["skipped_by_kind"].get(fault.kind) == fault.skipped, outcome.report
    if fault.dropped is not None:
        before = _clean_outcome(name, clean, fault.options).units
        assert before - outcome.units == fault.dropped, (before, outcome.units)
