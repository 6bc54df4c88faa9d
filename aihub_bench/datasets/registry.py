"""The dataset registry: the one table of dataset packages, and their cached synthetic twins.

A new dataset adds its package name to :data:`DATASETS`; everything else (``aihub-bench synth``,
``dataset.synthetic``, the dataset contract test) reads the package's ``SPEC``. Packages are
imported on first use, so listing the names costs nothing.

``dataset.synthetic`` in a dataset config is a partial of :func:`ensure_twin`::

    synthetic:
      _target_: aihub_bench.datasets.registry.ensure_twin
      _partial_: true
      name: xray
      cache_dir: ${paths.data_dir}/synthetic
      images_per_subset: 4   # ... the writer's keyword arguments
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aihub_bench.datasets.spec import DatasetSpec
from aihub_bench.datasets.synth_cache import ensure_generated

#: Every dataset package under ``aihub_bench/datasets/``, each exporting ``SPEC``.
DATASETS: tuple[str, ...] = (
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
)


def spec(name: str) -> DatasetSpec:
    """The ``SPEC`` of dataset package ``name`` (a ``KeyError`` naming the registered ones if unknown)."""
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; registered: {', '.join(DATASETS)}")
    found = getattr(importlib.import_module(f"aihub_bench.datasets.{name}"), "SPEC", None)
    if not isinstance(found, DatasetSpec) or found.name != name:
        raise TypeError(f"aihub_bench.datasets.{name} must export SPEC = DatasetSpec(name={name!r}, ...)")
    return found


def specs() -> list[DatasetSpec]:
    """Every registered spec, in registry order."""
    return [spec(name) for name in DATASETS]


def plain(value: Any) -> Any:
    """Mappings as dicts, sequences (lists, tuples, OmegaConf lists) as lists, other values as is."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(v) for v in value]
    return value


def twin_params(name: str, **kwargs: Any) -> dict[str, Any]:
    """All of the twin writer's keyword arguments (defaults filled in), plain and canonical.

    A keyword the writer does not take is a ``TypeError`` naming those it does; a bad value is the
    spec's ``ValueError``.
    """
    s = spec(name)
    params = list(inspect.signature(s.writer).parameters.values())[1:]  # after the output folder
    unknown = sorted(set(kwargs) - {p.name for p in params})
    if unknown:
        taken = ", ".join(p.name for p in params)
        raise TypeError(f"the {name} twin has no option {', '.join(unknown)}; it takes {taken}")
    bound = {p.name: plain(kwargs.get(p.name, p.default)) for p in params}
    return s.canonical(bound) if s.canonical is not None else bound


def ensure_twin(name: str, cache_dir: str | Path, **kwargs: Any) -> Path:
    """The twin of dataset ``name`` for the writer's ``kwargs``: ``<cache_dir>/<prefix>-<hash>``,
    written first if absent. The hash covers the canonical arguments and the generator version."""
    s = spec(name)
    params = twin_params(name, **kwargs)
    return ensure_generated(
        cache_dir, s.cache_prefix, {"version": s.version, **params}, lambda out: s.writer(out, **params)
    )
