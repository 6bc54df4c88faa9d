"""What a dataset package declares once: its reader, its synthetic twin and its metadata.

Each package under ``aihub_bench/datasets/`` exports ``SPEC: DatasetSpec``; ``datasets/registry.py``
lists the packages. ``aihub-bench synth``, the cached twins behind ``dataset.synthetic`` and the
dataset contract test (``tests/test_dataset_contract.py``) all work from the spec alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aihub_bench.records import Skeleton

WriterKwargs = dict[str, Any]


@dataclass(frozen=True)
class DatasetMetadata:
    """What a model, metric or plot may need to know before reading a sample.

    ``class_names`` are the release's classes where they are fixed (empty when they are found at
    read time); ``skeleton`` is a keypoint dataset's joints; ``palette`` maps a segmentation class
    index to its RGB colour in the release's masks.
    """

    class_names: tuple[str, ...] = ()
    skeleton: Skeleton | None = None
    palette: tuple[tuple[int, int, int], ...] | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset package, declared once.

    * ``reader(root, policy=ErrorPolicy, **options) -> list[record]``: the release's reader.
    * ``writer(out_dir, **kwargs) -> Path``: writes the synthetic twin in the real layout; the same
      keyword arguments give the same bytes. ``version`` is its generator version: bumping it
      regenerates every cached twin.
    * ``full`` / ``smoke``: the writer's keyword arguments for the twin that ``dataset=<name>``
      trains on and for the one ``debug=smoke`` trains on (the ``synthetic:`` blocks of
      ``configs/dataset/<name>.yaml`` and ``configs/debug_dataset/smoke_<name>.yaml``; the contract
      test checks that they agree). ``smoke_samples``: how many records the reader returns for the
      ``smoke`` twin.
    * ``canonical(kwargs)``: the writer's keyword arguments (all of them, defaults filled in) in one
      canonical JSON-able form, validated (``ValueError``). A cached twin's folder is named by its
      hash, so two spellings of one twin (``"gun"`` and ``"Gun"``) share a folder. ``None``: the
      arguments as given.
    * ``cli_kwargs(samples, classes)``: the writer's size arguments for about ``samples`` samples
      (``aihub-bench synth --samples``) and the ``--classes`` text (``None`` when not given);
      ``cli_classes`` says what ``--classes`` means here (``None``: it does not apply).
    * ``unit`` / ``pattern``: what ``aihub-bench synth`` counts in the written twin.
    * ``configs``: the dataset configs that read this twin (default: the one named ``name``).
    * ``remove_one_file(root) -> Path``: deletes one file the reader needs from a twin and returns
      the path its ``BadInputError`` must name (the contract test's missing-file case).
    """

    name: str
    title: str
    reader: Callable[..., list[Any]]
    writer: Callable[..., Path]
    version: int
    full: Mapping[str, Any]
    smoke: Mapping[str, Any]
    smoke_samples: int
    cli_kwargs: Callable[[int, str | None], WriterKwargs]
    canonical: Callable[[WriterKwargs], WriterKwargs] | None = None
    cli_classes: str | None = None
    unit: str = "images"
    pattern: str = "*.jpg"
    configs: tuple[str, ...] = ()
    metadata: DatasetMetadata = field(default_factory=DatasetMetadata)
    remove_one_file: Callable[[Path], Path] | None = None

    def __post_init__(self) -> None:
        if not self.configs:
            object.__setattr__(self, "configs", (self.name,))

    @property
    def cache_prefix(self) -> str:
        """Cached twins live in ``<cache_dir>/<cache_prefix>-<hash of the canonical kwargs>``."""
        return f"{self.name.replace('_', '-')}-synth"


def writer_arguments(writer: Callable[..., Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``writer``'s keyword arguments with defaults, updated by the ``kwargs`` it knows (others are
    ignored): the starting point of a dataset's ``canonical_params``."""
    defaults = {
        name: p.default
        for name, p in inspect.signature(writer).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    return {**defaults, **{k: v for k, v in kwargs.items() if k in defaults}}
