"""Where a datamodule's files come from: ``dataset.root`` (a real download) or the synthetic twin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def resolve_root(root: str | Path | None, synthetic: Callable[[], str | Path] | None, name: str) -> Path:
    """The dataset root: ``root`` when given (must be a folder), else the twin ``synthetic()`` writes.

    The twin is read by the very same reader as a real download, so nothing downstream can tell
    the two apart.
    """
    if root:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"dataset.root={root} is not a directory")
        return path
    if synthetic is None:
        raise ValueError(f"dataset {name!r} has no synthetic twin; set dataset.root")
    return Path(synthetic())
