"""Helpers of the twin writers: generate a twin once and cache it under a folder named by its
parameters, image sizes, and counts shared out in the release's proportions."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any


def ensure_generated(
    cache_dir: str | Path, prefix: str, params: dict[str, Any], write: Callable[[Path], object]
) -> Path:
    """Return ``<cache_dir>/<prefix>-<hash of params>``, calling ``write(tmp_dir)`` first if absent.

    Generation goes to a temporary sibling that is renamed into place, so a half-written twin is
    never visible and two processes racing each end up with one complete copy.
    """
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
    cache_dir = Path(cache_dir)
    final = cache_dir / f"{prefix}-{digest}"
    if final.is_dir():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=cache_dir))
    try:
        write(tmp)
        os.rename(tmp, final)
    except OSError:
        if not final.is_dir():  # not a lost race: a real failure
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if tmp.exists():
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def image_size_pair(image_size: int | Sequence[int], minimum: int) -> tuple[int, int]:
    """``(height, width)`` from a side or a ``[height, width]`` pair (the project's one axis order,
    as in PyTorch); smaller than ``minimum`` px is a ValueError."""
    h, w = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if min(h, w) < minimum:
        raise ValueError(f"image_size must be [height, width] of at least {minimum} px, got {image_size!r}")
    return int(h), int(w)


def release_shares(counts: Mapping[str, int], total: int) -> dict[str, int]:
    """``total`` split in the proportions of ``counts`` (the release's), at least one each."""
    whole = sum(counts.values())
    return {name: max(1, round(total * n / whole)) for name, n in counts.items()}
