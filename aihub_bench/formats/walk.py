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
from collections import defaultdict
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


def checked_suffix(option: str, value: object) -> str:
    """A reader's file-suffix option (``.mp4``, ``.XML``) in lower case; anything else is a ValueError
    naming ``option``."""
    if not isinstance(value, str) or not value.startswith(".") or len(value) < 2:
        raise ValueError(f"{option} must be a file suffix such as '.mp4', got {value!r}")
    return value.lower()


@dataclass(frozen=True)
class AnnotatedVideo:
    """A video and its annotation file, found side by side under one stem."""

    key: str  # the files' path below the root, without the suffix
    annotation: Path
    video: Path


def _files_by_stem(
    folder: Path, files: list[str], suffixes: tuple[str, str], policy: ErrorPolicy
) -> dict[str, dict[str, Path]]:
    """``stem -> {suffix: file}`` of one folder's files of the two kinds; a stem with two files of
    one kind (``x.mp4`` and ``x.MP4``: which one is meant is unknown) is ``ambiguous_file``."""
    listed: dict[str, dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    for name in files:
        stem, suffix = os.path.splitext(name)
        if suffix.lower() not in suffixes:
            policy.count("other_files")
        elif name.startswith("."):  # macOS resource forks (._x.mp4) and other hidden files
            policy.count("hidden_files_ignored")
        else:
            listed[stem][suffix.lower()].append(folder / name)
    found = {}
    for stem, kinds in sorted(listed.items()):
        doubled = [paths for paths in kinds.values() if len(paths) > 1]
        if doubled:
            names = ", ".join(p.name for paths in kinds.values() for p in paths)
            policy.handle(BadInputError(doubled[0][0], f"two files of one stem: {names}", "ambiguous_file"))
        else:
            found[stem] = {suffix: paths[0] for suffix, paths in kinds.items()}
    return found


def annotated_videos(
    root: str | Path,
    policy: ErrorPolicy,
    *,
    annotation_suffix: str,
    video_suffix: str,
    allow_outside_links: bool = False,
    contents: str = "videos",
) -> list[AnnotatedVideo]:
    """Every video under ``root`` with the annotation of the same stem beside it, sorted by key.

    Suffixes are lower case and matched case-insensitively. A video without its annotation is
    ``missing_annotation``, an annotation without its video ``missing_video`` (named by the missing
    path), two files of one stem and kind ``ambiguous_file``, a file linked outside the root
    ``link_outside_root``: each raised or counted by ``policy``; other files are counted
    (``other_files``, ``hidden_files_ignored``).
    """
    root = Path(root)
    found = []
    walk = walk_inside(root, policy, allow_outside_links=allow_outside_links, contents=contents)
    for folder, _dirs, files in walk:
        for stem, kinds in _files_by_stem(folder, files, (annotation_suffix, video_suffix), policy).items():
            annotation, video = kinds.get(annotation_suffix), kinds.get(video_suffix)
            if annotation is None:
                missing = folder / f"{stem}{annotation_suffix}"
                reason = f"the video has no annotation beside it ({missing} is missing)"
                policy.handle(BadInputError(missing, reason, "missing_annotation"))
            elif video is None:
                missing = folder / f"{stem}{video_suffix}"
                reason = f"the annotation {annotation.name} has no video beside it ({missing} is missing)"
                policy.handle(BadInputError(missing, reason, "missing_video"))
            elif all(file_inside(root, p, policy, allow_outside_links) for p in (annotation, video)):
                key = annotation.relative_to(root).with_suffix("").as_posix()
                found.append(AnnotatedVideo(key, annotation, video))
    return sorted(found, key=lambda f: f.key)


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
