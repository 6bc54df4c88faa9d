"""The dataset contract, checked for every dataset in the registry (``aihub_bench/datasets/registry.py``).

Registering a dataset is enough to be covered: its smoke twin reads back whole and is byte-identical
for its seed; its configs ask for the twins its spec declares; ``dataset.root`` pointing at a twin
composes and the datamodule reads it with no group on two sides of a split; a file missing from the
twin is an error naming it, or with ``on_error=skip`` a counted skip.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

import hydra
import pytest
import yaml
from omegaconf import OmegaConf

import aihub_bench.datasets
from aihub_bench.datasets.registry import DATASETS, spec, specs, twin_params
from aihub_bench.errors import BadInputError, ErrorPolicy
from tests.conftest import CONFIGS, compose_config

CONFIG_NAMES = [pytest.param(s.name, config, id=config) for s in specs() for config in s.configs]
# keys of a config's ``synthetic:`` block that are not the twin writer's arguments
NOT_WRITER_KEYS = {"_target_", "_partial_", "name", "cache_dir"}


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``twin(name)``: the dataset's smoke twin, written once for the module (do not modify it)."""
    written: dict[str, Path] = {}
    base = tmp_path_factory.mktemp("twins")

    def get(name: str) -> Path:
        if name not in written:
            s = spec(name)
            written[name] = Path(s.writer(base / name, **s.smoke))
        return written[name]

    return get


def _model_for(config: str) -> str:
    """The model of the first experiment on dataset ``config`` (a dataset config may read model keys)."""
    for path in sorted((CONFIGS / "experiment").glob("*.yaml")):
        defaults = yaml.safe_load(path.read_text(encoding="utf-8")).get("defaults") or []
        chosen = {k.rsplit("/", 1)[-1]: v for d in defaults if isinstance(d, dict) for k, v in d.items()}
        if chosen.get("dataset") == config and "model" in chosen:
            return str(chosen["model"])
    raise AssertionError(f"no experiment uses dataset={config}; the contract test takes its model from one")


def _compose(config: str, tmp_path: Path, *overrides: str) -> Any:
    return compose_config(
        [f"dataset={config}", f"model={_model_for(config)}", *overrides], tmp_path / "run", tmp_path / "data"
    )


def _reader(config: str, root: Path, tmp_path: Path) -> Callable[..., list[Any]]:
    """The reader with the config's options, as the datamodule calls it."""
    return hydra.utils.instantiate(
        _compose(config, tmp_path, "debug=smoke", f"dataset.root={root}").dataset.reader
    )


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _names(text: str, path: Path, root: Path) -> bool:
    return str(path) in text or path.relative_to(root).as_posix() in text


def test_every_dataset_package_is_registered() -> None:
    packages = {p.parent.name for p in Path(aihub_bench.datasets.__file__).parent.glob("*/__init__.py")}
    assert packages == set(DATASETS)
    for s in specs():  # spec() also checks that each package's SPEC carries its own name
        assert all((CONFIGS / "dataset" / f"{c}.yaml").is_file() for c in s.configs), s.configs
        assert s.smoke != s.full and s.smoke_samples > 0


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("size", ["full", "smoke"])
def test_canonical_twin_arguments_are_a_fixed_point(name: str, size: str) -> None:
    """The cache folder is named by the canonical arguments, so they must not change when re-canonicalised."""
    once = twin_params(name, **getattr(spec(name), size))
    assert twin_params(name, **once) == once
    with pytest.raises(TypeError, match="no option"):
        twin_params(name, not_an_option=1)


@pytest.mark.parametrize(("name", "config"), CONFIG_NAMES)
def test_configs_ask_for_the_twins_the_spec_declares(name: str, config: str, tmp_path: Path) -> None:
    s = spec(name)
    for overrides, expected in (((), s.full), (("debug=smoke",), s.smoke)):
        block = OmegaConf.to_container(_compose(config, tmp_path, *overrides).dataset.synthetic)
        assert (block["_target_"], block["name"]) == ("aihub_bench.datasets.registry.ensure_twin", name)
        assert {k: v for k, v in block.items() if k not in NOT_WRITER_KEYS} == dict(expected), overrides


@pytest.mark.parametrize("name", DATASETS)
def test_twin_reads_back_whole(name: str, twin: Callable[[str], Path], tmp_path: Path) -> None:
    s = spec(name)
    policy = ErrorPolicy("raise")
    records = _reader(s.configs[0], twin(name), tmp_path)(root=twin(name), policy=policy)
    assert len(records) == s.smoke_samples
    assert policy.skipped == 0


@pytest.mark.parametrize("name", DATASETS)
def test_twin_is_byte_identical_for_its_seed(name: str, twin: Callable[[str], Path], tmp_path: Path) -> None:
    """Written again by ``dataset.synthetic`` under ``debug=smoke`` (through the cache): the same
    files, byte for byte."""
    s = spec(name)
    again = hydra.utils.instantiate(_compose(s.configs[0], tmp_path, "debug=smoke").dataset.synthetic)()
    assert again.parent == tmp_path / "data" / "synthetic" and again.name.startswith(f"{s.cache_prefix}-")
    first, second = _digest(twin(name)), _digest(again)
    assert first and second == first


@pytest.mark.parametrize(("name", "config"), CONFIG_NAMES)
def test_root_at_a_twin_composes_and_splits_keep_groups_apart(
    name: str, config: str, twin: Callable[[str], Path], tmp_path: Path
) -> None:
    root = twin(name)
    cfg = _compose(config, tmp_path, "debug=smoke", f"dataset.root={root}")
    datamodule = hydra.utils.instantiate(cfg.dataset)
    datamodule.prepare_data()
    datamodule.setup("fit")
    assert datamodule.resolved_root() == root
    assert not (tmp_path / "data" / "synthetic").exists()  # read from the root, no twin generated
    groups = {
        split: {item.group or getattr(item, "image_path", None) for item in items}
        for split, items in datamodule.splits.items()
    }
    assert set(groups) == {"train", "val", "test"} and all(groups.values()), {
        k: len(v) for k, v in groups.items()
    }
    for a, b in combinations(groups, 2):
        assert not groups[a] & groups[b], f"{a} and {b} share groups"


@pytest.mark.parametrize("name", DATASETS)
def test_a_missing_file_is_named_or_counted(name: str, twin: Callable[[str], Path], tmp_path: Path) -> None:
    s = spec(name)
    assert s.remove_one_file is not None, f"{name}: DatasetSpec.remove_one_file is part of the contract"
    root = tmp_path / "twin"
    shutil.copytree(twin(name), root, symlinks=True)
    gone = s.remove_one_file(root)
    read = _reader(s.configs[0], root, tmp_path)
    with pytest.raises(BadInputError) as raised:
        read(root=root, policy=ErrorPolicy("raise"))
    assert _names(str(raised.value), gone, root), str(raised.value)

    policy = ErrorPolicy("skip")
    kept = len(read(root=root, policy=policy))
    assert kept < s.smoke_samples and policy.skipped >= 1
    assert any(_names(f"{e['path']}: {e['reason']}", gone, root) for e in policy.examples), policy.examples
