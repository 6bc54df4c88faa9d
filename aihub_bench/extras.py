"""Optional extras: packages a model needs that the core install leaves out (``pip install -e ".[NAME]"``).

A module that needs one says so with a module-level ``REQUIRES_EXTRA = "NAME"`` and imports the package
lazily. :func:`check_config` finds such modules among a config's ``_target_`` entries, so a run that
asks for a missing extra stops at once, before any data is read, with the install command;
``train.py``, ``eval.py`` and ``aihub-bench bench`` turn that into exit status 1 and the message alone.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf


@dataclass(frozen=True)
class Extra:
    """One optional extra of ``pyproject.toml``: the module it provides, who needs it, its licence."""

    name: str
    module: str
    used_by: str
    licence: str

    @property
    def install_hint(self) -> str:
        return (
            f"{self.used_by} needs the optional '{self.name}' extra: pip install -e '.[{self.name}]' "
            f"(installs {self.module}, licensed {self.licence})"
        )


EXTRAS: dict[str, Extra] = {
    "yolo": Extra("yolo", "ultralytics", "model=yolo", "AGPL-3.0"),
}


class MissingExtraError(ImportError):
    """An optional extra is not installed; the message is the install command."""


def require(name: str) -> Extra:
    """Raise :class:`MissingExtraError` unless extra ``name``'s module can be imported (it is not imported)."""
    extra = EXTRAS[name]
    if importlib.util.find_spec(extra.module) is None:
        raise MissingExtraError(extra.install_hint, name=extra.module)
    return extra


def _targets(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["_target_"]] if isinstance(node.get("_target_"), str) else []
        return found + [t for value in node.values() for t in _targets(value)]
    if isinstance(node, list):
        return [t for value in node for t in _targets(value)]
    return []


def check_config(cfg: DictConfig) -> None:
    """Raise :class:`MissingExtraError` if a project module named by a ``_target_`` in ``cfg.model``
    declares a ``REQUIRES_EXTRA`` that is not installed."""
    model = cfg.get("model")
    if model is None:
        return
    for target in _targets(OmegaConf.to_container(model, resolve=False)):
        module_name = target.rpartition(".")[0]
        if not module_name.startswith("aihub_bench."):
            continue
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue  # a class path rather than a module path: instantiation reports it
        extra = getattr(module, "REQUIRES_EXTRA", None)
        if extra is not None:
            require(extra)


@contextlib.contextmanager
def missing_extra_exits() -> Iterator[None]:
    """Inside a Hydra task function: a missing extra ends the process with exit status 1 and the install
    command (Hydra would print a traceback for an exception)."""
    try:
        yield
    except MissingExtraError as err:
        raise SystemExit(f"error: {err}") from None
