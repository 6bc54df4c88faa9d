"""Shared shapes of the bad-input corpus (see ``tests/bad_input/__init__.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """What a reader returned in one mode: the units it kept and its ``ErrorPolicy.report()``."""

    units: int
    report: dict[str, Any]


@dataclass(frozen=True)
class Fault:
    """One malformed input.

    ``apply(root)`` breaks the twin copy at ``root`` and returns the path (absolute, or relative
    to ``root``) that the error must name. In raise mode the reader raises ``BadInputError`` with
    ``kind`` and a message matching the regex ``reason``; in skip mode ``report`` counts
    ``skipped`` under ``kind`` and the reader keeps ``dropped`` fewer units than on the clean twin.
    ``options`` are extra keyword arguments for the dataset module's ``read`` (e.g. a verify mode).
    """

    name: str
    kind: str
    reason: str
    apply: Callable[[Path], str | Path]
    skipped: int = 1
    dropped: int | None = 1
    options: dict[str, Any] = field(default_factory=dict)
    skip_mode: bool = True  # False for faults that must raise even with on_error=skip
