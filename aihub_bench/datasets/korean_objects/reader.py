"""Read the Korean object images release (or its synthetic twin) into ``DetectionSample`` records.

Two passes. The *scan* walks ``<domain>/<n>/<class folder>/`` and parses each class folder's JSON
files (and, if asked, image headers) into plain data, cached per folder (``index_cache``), so a warm
run over 3.6M files parses nothing. The *build* turns that data into validated samples, cheaply, on
every run. Problems found while scanning are cached too and replayed, so a warm run reports exactly
what a cold one does: an error naming the file and reason, or (``on_error=skip``) a counted skip of
the whole image, never of a single object.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aihub_bench.datasets.index_cache import FolderIndexCache, folder_signature
from aihub_bench.datasets.korean_objects.layout import (
    DOMAINS,
    IMAGE_SUFFIXES,
    ClassFolder,
    lookup_domain,
    nfc,
    parse_class_folder,
    resolve_domains,
    shoot_sequence,
)
from aihub_bench.errors import BadInputError, ErrorPolicy, check_inside
from aihub_bench.formats.aihub_region_json import parse_tags, read_region_json
from aihub_bench.formats.images import check_verify_mode, verify_image
from aihub_bench.formats.walk import walk_inside
from aihub_bench.records import DetectionSample

log = logging.getLogger(__name__)

READER_VERSION = 2  # bump when what the scan stores changes: invalidates every index cache
BOX_TOLERANCE = 1.0  # pixels a box may stick out of the image before it counts as bad
GROUP_KEYS = ("code", "sequence", "image")
LABEL_SOURCES = ("folder", "region")


@dataclass
class _Scanned:
    """What the scan keeps of one image: plain data, cheap to pickle."""

    stem: str
    image_name: str
    identifier: Any
    imsize: Any
    regions: list[tuple[Any, Any, list[str], dict[str, Any]]]  # corners, class, tags, extra
    extra: dict[str, Any]
    header_size: tuple[int, int] | None  # the image's real size, when verified


# ------------------------------------------------------------------------------------------ scan

Problem = tuple[str, str, str]  # (file name in the folder, reason, kind): one image skipped
Names = dict[str, list[str]]  # stem -> file names with that stem


def _is_link_outside(path: Path, root: Path, allow_outside_links: bool) -> BadInputError | None:
    """The refusal for a link at ``path`` whose target leaves ``root``, else ``None``."""
    try:
        check_inside(root, path, allow_outside_links)
    except BadInputError as err:
        return err
    return None


def _list_files(folder: Path, root: Path, allow: bool) -> tuple[Names, Names, dict[str, Problem]]:
    """Image and JSON names per stem, and the refused links per stem."""
    images: dict[str, list[str]] = {}
    jsons: dict[str, list[str]] = {}
    refused: dict[str, Problem] = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        stem, suffix = os.path.splitext(entry.name)
        suffix = suffix.lower()
        if suffix not in (*IMAGE_SUFFIXES, ".json") or not entry.is_file():
            continue
        # the folder itself lies inside the root, so only a link can lead out of it
        err = _is_link_outside(Path(entry.path), root, allow) if entry.is_symlink() else None
        if err is not None:
            refused.setdefault(stem, (entry.name, err.reason, err.kind))
        (jsons if suffix == ".json" else images).setdefault(stem, []).append(entry.name)
    return images, jsons, refused


def _pair_problems(stem: str, images: list[str], jsons: list[str]) -> list[Problem]:
    """What is wrong with the files of one stem (an image and its JSON), if anything."""
    if not jsons:
        return [(name, "image has no annotation JSON beside it", "missing_annotation") for name in images]
    if len(jsons) > 1:
        reason = f"ambiguous annotation files {', '.join(jsons)} for one image: cannot tell which"
        return [(jsons[0], reason, "ambiguous_annotation")]
    if not images:
        return [(jsons[0], "no image file beside this annotation", "missing_image")]
    if len(images) > 1:
        reason = f"ambiguous image files {', '.join(images)} beside one annotation: cannot tell which"
        return [(jsons[0], reason, "ambiguous_image")]
    return []


def _scan_folder(folder: Path, verify_images: str, root: Path, allow_outside_links: bool) -> dict[str, Any]:
    """Parse one class folder: every JSON and, per ``verify_images``, its image."""
    images, jsons, refused = _list_files(folder, root, allow_outside_links)
    scanned: list[_Scanned] = []
    problems: list[Problem] = []
    for stem in sorted(images.keys() | jsons.keys()):
        found = _pair_problems(stem, images.get(stem, []), jsons.get(stem, []))
        if not found and stem in refused:
            found = [refused[stem]]
        if found:
            problems.extend(found)
            continue
        image_name, json_name = images[stem][0], jsons[stem][0]
        try:
            ann = read_region_json(folder / json_name)
            header = verify_image(folder / image_name, verify_images)
        except BadInputError as err:
            problems.append((Path(err.path).name, err.reason, err.kind))
            continue
        regions = [(r.corners, r.label, r.tags, r.extra) for r in ann.regions]
        scanned.append(_Scanned(stem, image_name, ann.identifier, ann.imsize, regions, ann.extra, header))
    return {"images": scanned, "problems": problems}


# ------------------------------------------------------------------------------------------ build


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class _Invalid(ValueError):
    """A validation failure inside one annotation; the caller adds the file name."""

    def __init__(self, reason: str, kind: str, path: Path | None = None) -> None:
        super().__init__(reason)
        self.reason, self.kind, self.path = reason, kind, path


def _image_size(item: _Scanned, imsize_order: str) -> tuple[int, int]:
    size = item.imsize
    ok = isinstance(size, (list, tuple)) and len(size) == 2 and all(_is_number(v) and v > 0 for v in size)
    if not ok or any(float(v) != int(v) for v in size):
        raise _Invalid(f"image.imsize {size!r} is not two positive integers", "bad_image_entry")
    width, height = (int(size[0]), int(size[1])) if imsize_order == "wh" else (int(size[1]), int(size[0]))
    if item.header_size is not None and item.header_size != (width, height):
        real = f"{item.header_size[0]}x{item.header_size[1]}"
        raise _Invalid(
            f"image is {real} but {item.stem}.json says {width}x{height} (imsize_order={imsize_order})",
            "size_mismatch",
            Path(item.image_name),
        )
    return width, height


def _box(k: int, corners: Any, width: int, height: int) -> tuple[list[float], bool]:
    """Validated ``[x1, y1, x2, y2]`` with swapped corners put in order; returns (box, was_swapped)."""
    where = f"regions[{k}]"
    if not (isinstance(corners, (list, tuple)) and len(corners) == 4 and all(_is_number(v) for v in corners)):
        raise _Invalid(f"{where}: boxcorners {corners!r} is not four numbers", "bad_box")
    x1, y1, x2, y2 = (float(v) for v in corners)
    swapped = x1 > x2 or y1 > y2
    x1, x2 = min(x1, x2), max(x1, x2)
    y1, y2 = min(y1, y2), max(y1, y2)
    t = BOX_TOLERANCE
    if x1 < -t or y1 < -t or x2 > width + t or y2 > height + t:
        raise _Invalid(f"{where}: box {[x1, y1, x2, y2]} lies outside the {width}x{height} image", "bad_box")
    x1, x2 = max(x1, 0.0), min(x2, float(width))
    y1, y2 = max(y1, 0.0), min(y2, float(height))
    if x2 - x1 < 1 or y2 - y1 < 1:
        raise _Invalid(f"{where}: box {[x1, y1, x2, y2]} has (almost) zero area", "bad_box")
    return [x1, y1, x2, y2], swapped


@dataclass
class _Builder:
    policy: ErrorPolicy
    group_by: str
    label_source: str
    imsize_order: str

    def build(self, folder_path: Path, rel: str, folder: ClassFolder, item: _Scanned) -> DetectionSample:
        """One validated sample; a problem raises BadInputError naming the JSON (or image) file."""
        try:
            return self._build(folder_path, rel, folder, item)
        except _Invalid as err:
            path = folder_path / (err.path or f"{item.stem}.json")
            raise BadInputError(path, err.reason, err.kind) from None

    def _build(self, folder_path: Path, rel: str, folder: ClassFolder, item: _Scanned) -> DetectionSample:
        width, height = _image_size(item, self.imsize_order)
        if not item.regions:
            raise _Invalid("'regions' is empty: the image has no annotated object", "no_regions")
        boxes, labels, tags = [], [], []
        for k, (corners, label, region_tags, _extra) in enumerate(item.regions):
            box, swapped = _box(k, corners, width, height)
            if swapped:
                self.policy.count("boxes_with_swapped_corners")
            region_label = nfc(label).strip() if isinstance(label, str) else ""
            if self.label_source == "region":
                if not region_label:
                    raise _Invalid(f"regions[{k}]: no 'class' ({label!r})", "bad_region")
                labels.append(region_label)
            else:
                if region_label and region_label != folder.name:
                    self.policy.count("region_class_differs_from_folder")
                labels.append(folder.name)
            boxes.append(box)
            tags.append(parse_tags(region_tags))
        sequence = shoot_sequence(item.stem)
        if self.group_by == "code":
            group = folder.code
        else:
            group = f"{rel}/{sequence if self.group_by == 'sequence' else item.stem}"
        return DetectionSample(
            image_path=folder_path / item.image_name,
            width=width,
            height=height,
            boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
            labels=labels,
            group=group,
            meta={
                "domain": folder.domain,
                "domain_en": DOMAINS.get(folder.domain, folder.domain),
                "class": folder.name,
                "category_path": folder.category_path,
                "class_folder": folder.folder_name,
                "code": folder.code,
                "sequence": sequence,
                "identifier": item.identifier,
                "region_tags": tags,
                "region_extra": [r[3] for r in item.regions],
                "extra": item.extra,
                "annotation_file": f"{rel}/{item.stem}.json",
            },
        )


# ------------------------------------------------------------------------------------------ walk

EXPECTED = "expected <domain>/<n>/<class folder>/<image>"


def _image_stems(names: list[str]) -> int:
    """Images among the file ``names`` of one folder (distinct stems: ``X.jpg`` + ``X.png`` is one)."""
    return len({stem for stem, suffix in map(os.path.splitext, names) if suffix.lower() in IMAGE_SUFFIXES})


def _count_images(folder: Path) -> int:
    """Images in ``folder`` and below, only counted for a report (links below it are not followed)."""
    return sum(_image_stems(files) for _dirpath, _dirs, files in os.walk(folder))


def _folder_name_problem(path: Path, folder: ClassFolder | None, domain: str) -> BadInputError | None:
    if folder is None:
        reason = "folder name is not <code>_<domain>_<대분류>_<중분류>_<소분류>_<name>"
        return BadInputError(path, reason, "bad_folder_name")
    if folder.domain != domain:
        return BadInputError(
            path, f"folder names domain {folder.domain!r} but lies in {domain!r}", "bad_folder_name"
        )
    return None


def _wanted_at_root(name: str, wanted: set[str] | None) -> bool:
    """Whether the walk enters ``<root>/<name>``: a wanted domain's folder or (to report it) a
    wanted domain's class folder lying directly in the root."""
    domain = lookup_domain(name)
    if domain is None:
        folder = parse_class_folder(name)
        domain = lookup_domain(folder.domain) if folder else None
    return domain is not None and (wanted is None or domain in wanted)


@dataclass
class _Walker:
    """Walks ``<domain>/<n>/<class folder>/`` (``walk_inside``); images at another depth and links
    leading out of the root are reported (raised, or counted once per image they hold), never
    silently passed by."""

    root: Path
    builder: _Builder
    cache: FolderIndexCache
    verify_images: str
    allow_outside_links: bool

    @property
    def policy(self) -> ErrorPolicy:
        return self.builder.policy

    def drop(self, err: BadInputError, images: int | Callable[[], int]) -> None:
        """Raise ``err``, or count it once per image it takes with it (at least once); ``images`` is
        that number or a function counting them, called only when counting."""
        if self.policy.on_error == "raise":
            raise err
        self.policy.handle(err, units=max(images() if callable(images) else images, 1))

    def refuse_link(self, err: BadInputError) -> None:
        """A folder link leading outside the root: one skip per image behind it."""
        self.drop(err, lambda: _count_images(Path(err.path)))

    def walk(self, wanted: set[str] | None) -> tuple[list[DetectionSample], list[str]]:
        """Samples of every wanted domain in path order, and the domains found."""
        samples: list[DetectionSample] = []
        found: list[str] = []
        walk = walk_inside(
            self.root,
            self.policy,
            allow_outside_links=self.allow_outside_links,
            contents="images",
            on_outside_link=self.refuse_link,
        )
        for path, dirs, files in walk:
            parts = path.relative_to(self.root).parts
            if not parts:
                dirs[:] = [d for d in dirs if _wanted_at_root(d, wanted)]
                continue
            domain = lookup_domain(parts[0])
            if domain is None:
                self.misplaced_at_root(path)
                dirs.clear()
            elif len(parts) == 1:
                found.append(domain)
                self.stray_images(path, files, "domain folder")
            elif len(parts) == 2:
                self.stray_images(path, files, "numbered folder (a class folder one level too high?)")
            elif len(parts) == 3:  # its sub-folders are visited next, to report images in them
                samples.extend(self.read_folder(path, "/".join(parts), domain, files))
            else:
                self.too_deep(path)
                dirs.clear()
        return samples, found

    def misplaced_at_root(self, path: Path) -> None:
        """A wanted domain's class folder lying directly in the root (two levels too high)."""
        reason = f"class folder lies directly in the dataset root, two levels too high; {EXPECTED}"
        self.drop(BadInputError(path, reason, "wrong_depth"), lambda: _count_images(path))

    def stray_images(self, folder: Path, files: list[str], where: str) -> None:
        """Images lying directly in a domain or numbered folder, where no class folder holds them."""
        n = _image_stems(files)
        if n:
            reason = f"{n} image file(s) lie directly in this {where}, above the class folders; {EXPECTED}"
            self.drop(BadInputError(folder, reason, "wrong_depth"), n)

    def too_deep(self, folder: Path) -> None:
        """A sub-folder of a class-level folder holding images (a class folder one level too deep)."""
        n = _count_images(folder)
        if n:
            reason = f"{n} image file(s) in a folder below the class-folder level (too deep); {EXPECTED}"
            self.drop(BadInputError(folder, reason, "wrong_depth"), n)

    def read_folder(self, path: Path, rel: str, domain: str, files: list[str]) -> list[DetectionSample]:
        """The samples of one class folder (a folder at the class-folder level)."""
        folder = parse_class_folder(path.name)
        err = _folder_name_problem(path, folder, domain)
        if err is not None:
            wanted = (*IMAGE_SUFFIXES, ".json")
            if folder is None and not any(os.path.splitext(f)[1].lower() in wanted for f in files):
                return []  # an intermediate folder: its sub-folders are checked next
            self.drop(err, _image_stems(files))
            return []
        assert folder is not None
        signature = folder_signature(path, self.cache.check)
        scanned = self.cache.get(rel, signature)
        if scanned is None:
            scanned = _scan_folder(path, self.verify_images, self.root, self.allow_outside_links)
            self.cache.put(rel, signature, scanned)
        for file_name, reason, kind in scanned["problems"]:
            self.policy.handle(BadInputError(path / file_name, reason, kind))
        out = []
        for item in scanned["images"]:
            try:
                out.append(self.builder.build(path, rel, folder, item))
            except BadInputError as bad:
                self.policy.handle(bad)
        self.policy.count("images_read", len(out))
        self.policy.count(f"images_read/{domain}", len(out))
        self.policy.count("objects_read", sum(len(s.labels) for s in out))
        return out


# ------------------------------------------------------------------------------------------ entry


def _option(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value


def cache_file(cache_dir: str | Path, root: Path, verify_images: str) -> Path:
    """Where the index cache of ``root`` lives: one file per dataset root and verification mode."""
    tag = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return Path(cache_dir) / f"korean_objects-{tag}-{verify_images}.pkl"


def read_korean_objects(
    root: str | Path,
    *,
    policy: ErrorPolicy | None = None,
    domains: Sequence[str] | str | None = None,
    label_source: str = "folder",
    group_by: str = "code",
    imsize_order: str = "wh",
    verify_images: str = "header",
    cache_dir: str | Path | None = None,
    cache_check: str = "files",
    allow_outside_links: bool = False,
) -> list[DetectionSample]:
    """Read every annotated image under ``root`` (``<domain>/<n>/<class folder>/<stem>.jpg+json``).

        ``domains``: Korean or English names (``유적건조물``/``heritage``, ``상품``/``products``,
        ``랜드마크``/``landmarks``); ``None`` = all present. ``label_source``: ``folder`` (the object name
        at the end of the class folder name) or ``region`` (each region's ``class``). ``group_by``: the
        leakage unit, ``code`` (one shoot), ``sequence`` (``<code>_<first counter>``) or ``image``.
        ``imsize_order``: ``wh`` or ``hw`` for ``image.imsize``. ``verify_images``: ``none`` (the file
        exists), ``header`` (it opens and has the annotated size) or ``full`` (every pixel decodes).
        ``cache_dir``: where the index cache lives (``None``: no cache); ``cache_check``: ``files`` or
        ``folders`` (see :mod:`aihub_bench.datasets.index_cache`). ``allow_outside_links``: follow
    symbolic links (an image, a class folder) whose target lies outside ``root``; refused by default
    (kind ``link_outside_root``). Samples are numbered 1..N in path order.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Korean objects dataset root {root} is not a directory")
    policy = policy if policy is not None else ErrorPolicy("raise")
    _option(label_source, LABEL_SOURCES, "label_source")
    _option(group_by, GROUP_KEYS, "group_by")
    _option(imsize_order, ("wh", "hw"), "imsize_order")
    check_verify_mode(verify_images)
    wanted = None if domains is None else set(resolve_domains(domains))
    cache = FolderIndexCache(
        cache_file(cache_dir, root, verify_images) if cache_dir else None,
        key={
            "reader": READER_VERSION,
            "root": str(root.resolve()),
            "verify_images": verify_images,
            "allow_outside_links": bool(allow_outside_links),
        },
        check=cache_check,
    )
    builder = _Builder(policy, group_by, label_source, imsize_order)
    walker = _Walker(root, builder, cache, verify_images, bool(allow_outside_links))
    samples, domains_found = walker.walk(wanted)
    cache.save()
    if wanted is not None and not wanted & set(domains_found):
        raise FileNotFoundError(f"none of the domains {sorted(wanted)} has a folder under {root}")
    if not domains_found:
        raise FileNotFoundError(f"no domain folder ({', '.join(DOMAINS)}) under {root}")
    policy.count("index_cache_folders_reused", cache.hits)
    policy.count("index_cache_folders_parsed", cache.misses)
    per_domain = ", ".join(f"{d} {policy.stats[f'images_read/{d}']}" for d in domains_found)
    log.info(
        "Korean objects: %d images (%s); index: %d folders reused from cache, %d parsed",
        len(samples),
        per_domain,
        cache.hits,
        cache.misses,
    )
    # the walk visits folders and files in sorted order, so ids are stable across runs
    for image_id, sample in enumerate(samples, start=1):
        sample.image_id = image_id
    return samples
