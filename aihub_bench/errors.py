"""Bad-input policy: every reader raises an error naming the file and reason, or skips and counts.

Usage inside a reader::

    policy = ErrorPolicy("skip")
    try:
        ...
    except BadInputError as err:
        policy.handle(err)      # re-raises in "raise" mode, counts in "skip" mode

``policy.report()`` is what ends up in the run directory's ``data_report.json``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, Literal

OnError = Literal["raise", "skip"]


class BadInputError(ValueError):
    """A dataset file that cannot be used, with the file and the reason."""

    def __init__(self, path: str | Path, reason: str, kind: str = "invalid") -> None:
        self.path = str(path)
        self.reason = reason
        self.kind = kind
        super().__init__(f"{self.path}: {reason}")


class ErrorPolicy:
    """Decides what happens to bad input: ``raise`` (default) or ``skip`` and count."""

    MAX_EXAMPLES = 20

    def __init__(self, on_error: OnError = "raise") -> None:
        if on_error not in ("raise", "skip"):
            raise ValueError(f"dataset.on_error must be 'raise' or 'skip', got {on_error!r}")
        self.on_error = on_error
        self.counts: Counter[str] = Counter()
        self.examples: list[dict[str, str]] = []
        self.stats: Counter[str] = Counter()

    def handle(self, err: BadInputError, units: int = 1) -> None:
        """Raise ``err`` in raise mode; otherwise record it as a counted skip of ``units`` samples
        (a bad folder or file that held several images counts each of them)."""
        if self.on_error == "raise":
            raise err
        self.counts[err.kind] += units
        if len(self.examples) < self.MAX_EXAMPLES:
            self.examples.append({"path": err.path, "kind": err.kind, "reason": err.reason})

    def count(self, key: str, n: int = 1) -> None:
        """Count something that is not an error (read files, kept objects, normalised boxes...)."""
        self.stats[key] += n

    @property
    def skipped(self) -> int:
        return sum(self.counts.values())

    def report(self) -> dict[str, Any]:
        return {
            "on_error": self.on_error,
            "skipped_total": self.skipped,
            "skipped_by_kind": dict(sorted(self.counts.items())),
            "examples": list(self.examples),
            "stats": dict(sorted(self.stats.items())),
        }

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.report(), indent=2, ensure_ascii=False), encoding="utf-8")


def resolve_inside(root: str | Path, relative: str | Path, allow_outside_links: bool = False) -> Path:
    """Join ``relative`` onto ``root`` and refuse results that escape ``root``.

    Annotation files name images; a name such as ``../../etc/passwd`` or an absolute path must
    never make a reader touch files outside the dataset root. The name is checked lexically (``..``
    collapsed), then the file is checked with ``check_inside`` (symbolic links resolved).
    """
    root_path = Path(os.path.abspath(root))
    rel = str(relative).replace("\\", "/")
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        raise BadInputError(
            relative, f"absolute file name is not allowed inside dataset root {root}", "path_escape"
        )
    candidate = Path(os.path.normpath(root_path / rel))
    if candidate != root_path and root_path not in candidate.parents:
        raise BadInputError(relative, f"file name escapes the dataset root {root}", "path_escape")
    return check_inside(root_path, candidate, allow_outside_links)


def check_inside(root: str | Path, path: str | Path, allow_outside_links: bool = False) -> Path:
    """Return ``path`` if, with every symbolic link resolved, it still lies inside ``root``.

    The symlink policy (``dataset.allow_outside_links``): a link inside the dataset root whose
    target lies outside it (an image, a class folder, a workbook) is refused with kind
    ``link_outside_root`` unless the option is true, for releases whose maker folders are linked
    to another disk. Links that stay inside the root are always fine. ``path`` itself is
    returned unchanged (not resolved), so names and groups keep the release's spelling.
    """
    if allow_outside_links:
        return Path(path)
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise BadInputError(
            path,
            f"symbolic link leads outside the dataset root {root} (to {real}); "
            "set dataset.allow_outside_links=true to allow it",
            "link_outside_root",
        )
    return Path(path)
