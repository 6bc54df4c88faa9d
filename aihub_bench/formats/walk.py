"""The one folder walk every reader uses: ``os.walk`` that never leaves the dataset root by a link.

``walk_inside`` yields ``(folder, dirs, files)`` top-down, depth first, with ``dirs`` and ``files``
sorted by name, so the order is the same on every file system and run. Like ``os.walk``, the caller
may prune ``dirs`` in place; what is left is checked only then, so a folder the caller skips is never
looked at. The rules (and the names they are counted under in ``ErrorPolicy.stats``):

- hidden folders (``.x``, ``__MACOSX``) are skipped: ``ignored_hidden_folders``;
- a folder link whose target stays inside the root is followed: ``folder_links_inside_root``;
- a folder link leading outside the root is ``folder_links_outside_root``: followed with
  ``allow_outside_links``, else refused as bad input of kind ``link_outside_root`` (none of its
  files is read, so it is one skip);
- each real folder is walked once, so link loops end: a folder reached again is
  ``folders_linked_twice``;
- a folder that cannot be listed is bad input of kind ``unreadable_folder``.

Hidden *files* are the caller's to judge (a reader counts those that look like its files).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aihub_bench.errors import BadInputError, ErrorPolicy, check_inside

_HIDDEN_FOLDERS = ("__MACOSX",)  # macOS archive metadata, besides every name starting with "."

Walk = Iterator[tuple[Path, list[str], list[str]]]


def _is_hidden_folder(name: str) -> bool:
    """Whether a folder of this name is metadata, never data (``.git``, ``.Trash``, ``__MACOSX``)."""
    return name.startswith(".") or name in _HIDDEN_FOLDERS


def walk_inside(
    root: str | Path,
    policy: ErrorPolicy,
    *,
    allow_outside_links: bool = False,
    top: str | Path | None = None,
    skip_hidden: bool = True,
    contents: str = "files",
    on_outside_link: Callable[[BadInputError], None] | None = None,
) -> Walk:
    """Walk ``top`` (default ``root``) like ``os.walk``, following folder links only inside ``root``.

    ``contents`` names what the folders hold, for the message of a refused link ("none of the
    folder's images is read"). ``on_outside_link`` receives that refusal instead of the policy, for a
    reader that counts it in other units or only notes it. A ``top`` that does not exist yields
    nothing (an optional folder); one that leads outside the root is refused like a folder link.
    """
    walker = _Walker(Path(root), policy, allow_outside_links, skip_hidden, contents, on_outside_link)
    start = walker.root if top is None else Path(top)
    if not start.is_dir() or (top is not None and not walker.may_enter(start)):
        return
    yield from walker.walk(start)


def file_inside(root: str | Path, path: Path, policy: ErrorPolicy, allow_outside_links: bool = False) -> bool:
    """Whether a file the walk listed, its links resolved, stays inside ``root``; a file linked
    outside (``link_outside_root``) goes to the policy: raised, or counted as one skip."""
    try:
        check_inside(root, path, allow_outside_links)
    except BadInputError as err:
        policy.handle(err)
        return False
    return True


@dataclass
class _Walker:
    root: Path
    policy: ErrorPolicy
    allow_outside_links: bool
    skip_hidden: bool
    contents: str
    on_outside_link: Callable[[BadInputError], None] | None
    seen: set[str] = field(default_factory=set)  # real paths of the folders walked or queued

    def walk(self, start: Path) -> Walk:
        self.seen.add(os.path.realpath(start))
        pending = [start]  # a stack, not recursion: release trees may nest deeply
        while pending:
            folder = pending.pop()
            listing = self.listing(folder)
            if listing is None:
                continue
            dirs, files = listing
            yield folder, dirs, files
            # dirs as the caller left it; the first one ends on top of the stack
            pending.extend(reversed([folder / d for d in dirs if self.is_new(folder / d)]))

    def listing(self, folder: Path) -> tuple[list[str], list[str]] | None:
        """Sorted sub-folder and file names of ``folder`` (hidden folders left out), or None."""
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as err:
            self.policy.handle(BadInputError(folder, f"cannot list the folder: {err}", "unreadable_folder"))
            return None
        dirs: list[str] = []
        files: list[str] = []
        for entry in entries:
            if not _is_dir(entry):
                files.append(entry.name)
            elif self.skip_hidden and _is_hidden_folder(entry.name):
                self.policy.count("ignored_hidden_folders")
            else:
                dirs.append(entry.name)
        return dirs, files

    def is_new(self, path: Path) -> bool:
        """Whether to walk the sub-folder ``path``: a link the policy allows, to a folder not seen."""
        if path.is_symlink() and not self.may_enter(path):
            return False
        real = os.path.realpath(path)
        if real in self.seen:  # a second way to a folder (or a loop back to an ancestor)
            self.policy.count("folders_linked_twice")
            return False
        self.seen.add(real)
        return True

    def may_enter(self, path: Path) -> bool:
        """Whether ``path``, its links resolved, stays inside the root (or may leave it)."""
        try:
            check_inside(self.root, path)
        except BadInputError as err:
            self.policy.count("folder_links_outside_root")
            if not self.allow_outside_links:
                self.refuse(err)
            return self.allow_outside_links
        if path.is_symlink():
            self.policy.count("folder_links_inside_root")
        return True

    def refuse(self, err: BadInputError) -> None:
        refused = BadInputError(
            err.path, f"{err.reason}; none of the folder's {self.contents} is read", err.kind
        )
        if self.on_outside_link is not None:
            self.on_outside_link(refused)
        else:
            self.policy.handle(refused)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """``entry.is_dir()`` following links; an entry that cannot be inspected is not a folder."""
    try:
        return entry.is_dir()
    except OSError:
        return False
