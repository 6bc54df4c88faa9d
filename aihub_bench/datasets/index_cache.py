"""A per-folder cache of parsed annotations, so that re-reading a huge tree does not re-parse it.

Readers walk the tree folder by folder. For each folder they compute a cheap *signature* and ask
the cache; on a hit they reuse what was parsed last time, on a miss they parse the folder and store
the result. Folders that disappeared are dropped when the cache is saved. Two signatures:

* ``files`` (default): name, size and modification time of every file in the folder: any added,
  removed, replaced or edited file invalidates the folder. Costs one ``stat`` per file.
* ``folders``: the folder's own modification time only: catches added, removed and renamed files
  (the usual way a release changes) with one ``stat`` per folder, but not a file edited in place.

The cache is a pickle written atomically next to other caches (never inside the dataset root,
which may be read-only); it is only ever read back by this code, from the user's own data folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CHECKS = ("files", "folders")
FORMAT_VERSION = 1


def folder_signature(folder: str | Path, check: str) -> bytes:
    """The signature of ``folder`` under ``check`` (see the module docstring)."""
    if check == "folders":
        return os.stat(folder).st_mtime_ns.to_bytes(8, "little", signed=True)
    if check != "files":
        raise ValueError(f"cache check must be one of {CHECKS}, got {check!r}")
    digest = hashlib.blake2b(digest_size=16)
    for name, stat in sorted((e.name, e.stat()) for e in os.scandir(folder) if e.is_file()):
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.digest()


class FolderIndexCache:
    """Parsed entries per folder (keyed by the folder's path relative to the root).

    ``key`` names everything the parsed content depends on besides the files (reader version,
    root, options); a cache file written under another key is ignored. ``path=None`` disables
    caching (every folder is a miss and nothing is written).
    """

    def __init__(self, path: str | Path | None, key: dict[str, Any], check: str = "files") -> None:
        if check not in CHECKS:
            raise ValueError(f"cache check must be one of {CHECKS}, got {check!r}")
        self.path = Path(path) if path else None
        self.key = {"format": FORMAT_VERSION, "check": check, **key}
        self.check = check
        self.hits = 0
        self.misses = 0
        self._old: dict[str, tuple[bytes, Any]] = self._load()
        self._new: dict[str, tuple[bytes, Any]] = {}
        self._dirty = False

    def _load(self) -> dict[str, tuple[bytes, Any]]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            with self.path.open("rb") as f:
                stored = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError) as err:
            log.warning("Ignoring unreadable index cache %s (%s); rebuilding it", self.path, err)
            return {}
        if not isinstance(stored, dict) or stored.get("key") != self.key:
            log.info("Index cache %s was built with other options; rebuilding it", self.path)
            return {}
        return stored["folders"]

    def get(self, folder: str, signature: bytes) -> Any | None:
        """The entries stored for ``folder`` if its signature still matches, else ``None``."""
        stored = self._old.get(folder)
        if stored is not None and stored[0] == signature:
            self.hits += 1
            self._new[folder] = stored
            return stored[1]
        self.misses += 1
        return None

    def put(self, folder: str, signature: bytes, entries: Any) -> None:
        self._new[folder] = (signature, entries)
        self._dirty = True

    @property
    def changed(self) -> bool:
        """Whether saving would write something new (a folder parsed, added or gone)."""
        return self._dirty or self._old.keys() != self._new.keys()

    def save(self) -> None:
        """Write the folders seen in this pass (atomically); a no-op when nothing changed."""
        if self.path is None or not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump({"key": self.key, "folders": self._new}, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._old, self._dirty = dict(self._new), False
