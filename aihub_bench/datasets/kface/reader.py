"""Read the K-Face release (or its twin) into :class:`~aihub_bench.records.FaceImage` records.

One walk of ``<resolution>/<id>/S###/L#/E##/`` (``walk_inside``): the condition codes come from the
folder and file names and are checked at each level, so a filtered-out accessory or light is never
entered and a 4M-image release is read by listing folders, not opening files (``verify_images:
none``). Each expression folder (the leaf: 20 camera images and, in ``S001/L1``, their annotation
txt files) is scanned once into plain data, cached per folder by ``index_cache`` when ``cache_dir``
is set, so a warm run with ``verify_images: header`` opens nothing.

Bad input: a code that is not the level's (``S007``, ``L31``, ``E04``, ``C21``, ``X01``) is
``unknown_condition`` (a folder counts every image below it); images at another depth are
``wrong_depth``; a bad annotation txt is ``bad_annotation`` (skip mode: the image is kept without
it); an annotation without its image is ``missing_image``; two images of one stem are
``ambiguous_image``; image faults as in ``formats/images.py``. Counts go to ``policy.stats``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aihub_bench.datasets.index_cache import FolderIndexCache, folder_signature
from aihub_bench.datasets.kface.annotation import Annotation, AnnotationFormat, clip_box, read_annotation
from aihub_bench.datasets.kface.layout import (
    ANNOTATION_NAME,
    BOXES,
    CONDITION_CODES,
    ID_PATTERN,
    IMAGE_EXTENSIONS,
    LANDMARKS,
    REFERENCE_ACCESSORY,
    REFERENCE_LIGHT,
    RESOLUTION_DIRS,
    check_code,
    image_key,
    validate_codes,
)
from aihub_bench.errors import BadInputError, ErrorPolicy, check_inside
from aihub_bench.formats.images import check_verify_mode, verify_image
from aihub_bench.formats.walk import walk_inside
from aihub_bench.records import FACE_FACTORS, FaceImage

log = logging.getLogger(__name__)

READER_VERSION = 1  # bump when what the scan stores changes: invalidates every index cache
LEVELS = ("identity", *FACE_FACTORS)  # the path levels below the resolution folder
REFERENCE = (REFERENCE_ACCESSORY, REFERENCE_LIGHT)  # [A] the annotated accessory and light
EXPECTED = "expected <resolution>/<8-digit id>/S###/L#/E##/C#.jpg"


# ------------------------------------------------------------------------------------------ scan


@dataclass
class _Leaf:
    """What the scan keeps of one expression folder: plain data, cheap to pickle."""

    images: list[tuple[str, str, tuple[int, int] | None]]  # (stem, file name, header size)
    annotations: dict[str, Annotation | tuple[str, str]]  # stem -> parsed, or (reason, kind)
    annotation_files: dict[str, str]  # stem -> file name
    problems: list[tuple[str, str, str]]  # (file name, reason, kind): one image each
    other_files: int = 0


@dataclass(frozen=True)
class _Options:
    root: Path
    policy: ErrorPolicy
    wanted: dict[str, frozenset[str]]  # factor -> codes to read
    annotations: bool
    share_annotations: bool
    fmt: AnnotationFormat
    image_extensions: tuple[str, ...]
    id_pattern: re.Pattern[str]
    verify_images: str
    allow_outside_links: bool
    max_identities: int | None


def _scan_leaf(folder: Path, names: list[str], opts: _Options) -> _Leaf:
    """Sort one expression folder's files into images and annotations; verify and parse them."""
    by_stem: dict[str, list[str]] = {}
    leaf = _Leaf([], {}, {}, [])
    for name in names:
        stem, suffix = os.path.splitext(name)
        if suffix.lower() in opts.image_extensions:
            by_stem.setdefault(stem, []).append(name)
            continue
        annotated = opts.fmt.stem_of(name) if opts.annotations else None
        if annotated is not None:
            leaf.annotation_files[annotated] = name
        else:
            leaf.other_files += 1
    for stem, files in sorted(by_stem.items()):
        if len(files) > 1:
            leaf.problems.append(
                (files[0], f"ambiguous image files {', '.join(files)} for one camera", "ambiguous_image")
            )
            continue
        path = folder / files[0]
        try:
            if os.path.islink(path):
                check_inside(opts.root, path, opts.allow_outside_links)
            header = verify_image(path, opts.verify_images)
        except BadInputError as err:
            leaf.problems.append((files[0], err.reason, err.kind))
            continue
        leaf.images.append((stem, files[0], header))
    for stem, name in sorted(leaf.annotation_files.items()):
        try:
            leaf.annotations[stem] = read_annotation(folder / name, opts.fmt)
        except BadInputError as err:
            leaf.annotations[stem] = (err.reason, err.kind)
    return leaf


# ------------------------------------------------------------------------------------------ walk


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _is_image(name: str, extensions: tuple[str, ...]) -> bool:
    return os.path.splitext(name)[1].lower() in extensions


@dataclass
class _Reader:
    opts: _Options
    resolution: Path
    cache: FolderIndexCache
    images: list[FaceImage] = field(default_factory=list)
    own: dict[str, Annotation] = field(default_factory=dict)  # key -> its own valid annotation
    annotation_paths: dict[str, Path] = field(default_factory=dict)
    references: dict[tuple[str, str], dict[str, tuple[Annotation, Path]]] = field(default_factory=dict)

    @property
    def policy(self) -> ErrorPolicy:
        return self.opts.policy

    def count_images(self, folder: Path) -> int:
        """Images in ``folder`` and below (only for a skip count)."""
        return sum(
            _is_image(f, self.opts.image_extensions) for _d, _s, files in os.walk(folder) for f in files
        )

    def drop(self, err: BadInputError, images: int | Callable[[], int]) -> None:
        """Raise ``err``, or count it once per image it takes with it (at least once)."""
        if self.policy.on_error == "raise":
            raise err
        self.policy.handle(err, units=max(images() if callable(images) else images, 1))

    def walk(self) -> None:
        walk = walk_inside(
            self.opts.root,
            self.policy,
            allow_outside_links=self.opts.allow_outside_links,
            top=self.resolution,
            contents="images",
            on_outside_link=lambda err: self.drop(err, lambda: self.count_images(Path(err.path))),
        )
        for path, dirs, files in walk:
            depth = len(path.relative_to(self.resolution).parts)
            stray = [f for f in files if _is_image(f, self.opts.image_extensions)]
            if depth < len(LEVELS) - 1:  # above the expression folders
                if stray:
                    where = "the resolution folder" if depth == 0 else f"{_a(LEVELS[depth - 1])} folder"
                    reason = f"{len(stray)} image file(s) lie directly in {where}; {EXPECTED}"
                    self.drop(BadInputError(path, reason, "wrong_depth"), len(stray))
                self.policy.count("other_files", len(files) - len(stray))
                dirs[:] = self.identity_dirs(path, dirs) if depth == 0 else self.code_dirs(path, dirs, depth)
            else:
                self.read_leaf(path, files)
                for name in dirs:
                    n = self.count_images(path / name)
                    if n:
                        reason = (
                            f"{n} image file(s) in a folder below the expression level (too deep); {EXPECTED}"
                        )
                        self.drop(BadInputError(path / name, reason, "wrong_depth"), n)
                dirs.clear()

    def identity_dirs(self, path: Path, dirs: list[str]) -> list[str]:
        ids = [d for d in dirs if self.opts.id_pattern.match(d)]
        if len(ids) < len(dirs):
            self.policy.count("folders_not_matching_id_pattern", len(dirs) - len(ids))
            log.info("K-Face: %d folders in %s are not identities (id_pattern)", len(dirs) - len(ids), path)
        if self.opts.max_identities is not None and len(ids) > self.opts.max_identities:
            self.policy.count("identities_left_out_by_max_identities", len(ids) - self.opts.max_identities)
            ids = ids[: self.opts.max_identities]
        return ids

    def code_dirs(self, path: Path, dirs: list[str], depth: int) -> list[str]:
        """The sub-folders of a level that hold a wanted code; unknown codes are bad input."""
        factor = FACE_FACTORS[depth - 1]
        kept = []
        for name in dirs:
            reason = check_code(factor, name)
            if reason is not None:
                elsewhere = [f for f in FACE_FACTORS if name in CONDITION_CODES[f]]
                if elsewhere:
                    reason = f"{_a(elsewhere[0])} folder where {_a(factor)} folder belongs; {EXPECTED}"
                kind = "wrong_depth" if elsewhere else "unknown_condition"
                folder = path / name
                self.drop(BadInputError(folder, reason, kind), lambda: self.count_images(folder))  # noqa: B023
            elif name in self.opts.wanted[factor]:
                kept.append(name)
        return kept

    def scan(self, path: Path, files: list[str]) -> _Leaf:
        if self.cache.path is None:  # no cache: no signature to compute (a stat per file)
            self.cache.misses += 1
            return _scan_leaf(path, files, self.opts)
        rel = path.relative_to(self.opts.root).as_posix()
        signature = folder_signature(path, self.cache.check)
        leaf = self.cache.get(rel, signature)
        if leaf is None:
            leaf = _scan_leaf(path, files, self.opts)
            self.cache.put(rel, signature, leaf)
        return leaf

    def read_leaf(self, path: Path, files: list[str]) -> None:
        identity, accessory, light, expression = path.relative_to(self.resolution).parts
        leaf = self.scan(path, files)
        self.policy.count("other_files", leaf.other_files)
        for name, why, kind in leaf.problems:
            self.policy.handle(BadInputError(path / name, why, kind))
        read = 0
        for stem, name, header in leaf.images:
            image = path / name
            unknown = check_code("camera", stem)
            if unknown is not None:
                self.policy.handle(BadInputError(image, f"{unknown}; {EXPECTED}", "unknown_condition"))
                continue
            if stem not in self.opts.wanted["camera"]:
                continue
            width, height = header or (0, 0)
            key = image_key(identity, accessory, light, expression, stem, os.path.splitext(name)[1])
            self.images.append(
                FaceImage(
                    image_path=image,
                    identity=identity,
                    accessory=accessory,
                    light=light,
                    expression=expression,
                    camera=stem,
                    key=key,
                    resolution=self.resolution.name,
                    width=width,
                    height=height,
                )
            )
            read += 1
            annotation = self.annotation_of(path, leaf, stem)
            if annotation is not None:
                source = path / leaf.annotation_files[stem]
                self.own[key] = annotation
                self.annotation_paths[key] = source
                if (accessory, light) == REFERENCE:
                    self.references.setdefault((identity, expression), {})[stem] = (annotation, source)
        self.policy.count("images_read", read)
        self.orphans(path, leaf, (identity, expression) if (accessory, light) == REFERENCE else None)

    def annotation_of(self, path: Path, leaf: _Leaf, stem: str) -> Annotation | None:
        """The image's own annotation, or ``None`` (none, or a bad one handled by the policy)."""
        found = leaf.annotations.get(stem)
        if isinstance(found, tuple):
            err = BadInputError(path / leaf.annotation_files[stem], found[0], found[1])
            self.policy.handle(err)  # skip mode: the image stays, without the annotation
            self.policy.count("annotations_dropped")
            return None
        return found

    def orphans(self, path: Path, leaf: _Leaf, reference: tuple[str, str] | None) -> None:
        """Annotation files of wanted cameras whose image is not there: bad input (the image is
        missing); in skip mode a valid one still serves as the rig's reference."""
        stems = {s for s, _n, _h in leaf.images} | {os.path.splitext(n)[0] for n, _r, _k in leaf.problems}
        for stem, name in sorted(leaf.annotation_files.items()):
            if stem in stems or stem not in self.opts.wanted["camera"]:
                continue
            image = path / f"{stem}{self.opts.image_extensions[0]}"
            reason = f"the annotation {name} has no image beside it (image file missing)"
            self.policy.handle(BadInputError(image, reason, "missing_image"))
            found = leaf.annotations.get(stem)
            if reference is not None and isinstance(found, Annotation):
                self.references.setdefault(reference, {})[stem] = (found, path / name)

    # -------------------------------------------------------------------------- annotations

    def reference(self, identity: str, expression: str) -> dict[str, tuple[Annotation, Path]]:
        """``camera -> (annotation, file)`` of ``<id>/S001/L1/<E>``: noted by the walk, or read here
        when the filters kept that folder out of the walk."""
        key = (identity, expression)
        if key not in self.references:
            folder = self.resolution / identity / REFERENCE_ACCESSORY / REFERENCE_LIGHT / expression
            walked = (
                REFERENCE_ACCESSORY in self.opts.wanted["accessory"]
                and REFERENCE_LIGHT in self.opts.wanted["light"]
            )
            self.references[key] = (
                self.read_reference_folder(folder) if not walked and folder.is_dir() else {}
            )
        return self.references[key]

    def read_reference_folder(self, folder: Path) -> dict[str, tuple[Annotation, Path]]:
        found = {}
        for name in sorted(os.listdir(folder)):
            stem = self.opts.fmt.stem_of(name)
            if stem is None or stem not in self.opts.wanted["camera"]:
                continue
            path = folder / name
            try:
                check_inside(self.opts.root, path, self.opts.allow_outside_links)
                found[stem] = (read_annotation(path, self.opts.fmt), path)
            except BadInputError as err:
                self.policy.handle(err)
                self.policy.count("annotations_dropped")
        return found

    def attach_annotations(self) -> None:
        """Each image's face box, landmarks and named boxes: its own, else (``share_annotations``)
        those of the same identity, expression and camera under S001/L1 (the rig is fixed)."""
        for image in self.images:
            annotation = self.own.get(image.key)
            source = self.annotation_paths.get(image.key)
            shared = False
            if annotation is None and self.opts.share_annotations:
                found = self.reference(image.identity, image.expression).get(image.camera)
                if found is not None:
                    annotation, source = found
                    shared = True
            if annotation is None or source is None:
                self.policy.count("images_without_face_box")
                continue
            self.apply(image, annotation, source, shared)

    def apply(self, image: FaceImage, annotation: Annotation, source: Path, shared: bool) -> None:
        fmt = self.opts.fmt
        boxes: dict[str, tuple[float, float, float, float]] = {}
        for name, box in zip(fmt.box_order, annotation.boxes, strict=False):
            clipped, changed = clip_box(box, image.width, image.height)
            if changed:
                self.policy.count("boxes_clipped" if clipped is not None else "boxes_outside_image")
            if clipped is not None:
                boxes[name] = clipped
        image.face_box = boxes.get("face")
        if len(annotation.landmarks) == len(fmt.landmark_order):
            image.landmarks = annotation.landmarks
        elif annotation.landmarks:
            self.policy.count("landmarks_incomplete")
        image.meta["boxes"] = boxes
        image.meta["annotation"] = str(source)
        image.meta["annotation_shared"] = shared
        self.policy.count("face_box_shared" if shared else "annotations_read")
        self.policy.count("images_with_face_box" if image.face_box is not None else "images_without_face_box")


# ------------------------------------------------------------------------------------------ entry


def find_resolution_folder(root: Path, resolution_dirs: Sequence[str], id_pattern: re.Pattern[str]) -> Path:
    """The folder holding the identity folders: the first of ``resolution_dirs`` under ``root``, or
    ``root`` itself when it is one (by name, or because identity folders lie in it)."""
    for name in resolution_dirs:
        if (root / name).is_dir():
            return root / name
    if root.name in resolution_dirs or any(id_pattern.match(p.name) and p.is_dir() for p in root.iterdir()):
        return root
    raise FileNotFoundError(
        f"K-Face root {root} holds no resolution folder ({', '.join(resolution_dirs)}) and no identity "
        f"folders; {EXPECTED} (dataset.reader.resolution_dirs names the resolution folder)"
    )


def cache_file(cache_dir: str | Path, root: Path, verify_images: str) -> Path:
    """Where the index cache of ``root`` lives: one file per dataset root and verification mode."""
    tag = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return Path(cache_dir) / f"kface-{tag}-{verify_images}.pkl"


def _wanted(include: dict[str, Any], exclude: dict[str, Any]) -> dict[str, frozenset[str]]:
    wanted = {}
    for factor in FACE_FACTORS:
        option = {"accessory": "accessories"}.get(factor, f"{factor}s")
        chosen = validate_codes(factor, include[factor], option)
        left_out = validate_codes(factor, exclude[factor], f"exclude_{option}") or ()
        codes = frozenset(chosen if chosen is not None else CONDITION_CODES[factor]) - set(left_out)
        if not codes:
            raise ValueError(f"the {option} filters leave no {factor} code to read")
        wanted[factor] = codes
    return wanted


def read_kface(
    root: str | Path,
    policy: ErrorPolicy | None = None,
    *,
    resolution_dirs: Sequence[str] = RESOLUTION_DIRS,
    accessories: Sequence[str] | None = None,
    lights: Sequence[str] | None = None,
    expressions: Sequence[str] | None = None,
    cameras: Sequence[str] | None = None,
    exclude_accessories: Sequence[str] = (),
    exclude_lights: Sequence[str] = (),
    exclude_expressions: Sequence[str] = (),
    exclude_cameras: Sequence[str] = (),
    annotations: bool = True,
    share_annotations: bool = True,
    annotation_name: str = ANNOTATION_NAME,
    box_order: Sequence[str] = BOXES,
    landmark_order: Sequence[str] = LANDMARKS,
    box_format: str = "xywh",
    image_extensions: Sequence[str] = IMAGE_EXTENSIONS,
    id_pattern: str = ID_PATTERN,
    verify_images: str = "header",
    cache_dir: str | Path | None = None,
    cache_check: str = "files",
    allow_outside_links: bool = False,
    max_identities: int | None = None,
) -> list[FaceImage]:
    """Every wanted image under ``root`` (the folder holding the resolution folder, or that folder
    itself), sorted by key.

    ``resolution_dirs``: the resolution folder's names, the first present is read [A].
    ``accessories`` / ``lights`` / ``expressions`` / ``cameras``: the codes to read (``None`` = all);
    ``exclude_*``: codes to leave out (``exclude_lights=[L7]`` is the public protocols'); a code that
    is not valid is a ``ValueError`` at once. ``annotations``: read the annotation txt files
    (``annotation_name``, ``box_order``, ``landmark_order``, ``box_format`` [A], see
    :mod:`~aihub_bench.datasets.kface.annotation`); ``share_annotations`` [A]: an image without its
    own takes those of ``<id>/S001/L1/<E>/<C>`` (the capture rig is fixed; ``stats.face_box_shared``).
    ``image_extensions`` (case-insensitive), ``id_pattern`` (identity folder names; others counted
    and skipped), ``verify_images`` (``none`` for the full release | ``header`` | ``full``),
    ``cache_dir`` / ``cache_check`` (the index cache, ``None``: off), ``allow_outside_links``,
    ``max_identities`` (the first N identities, sorted, for quick runs).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"K-Face dataset root {root} is not a directory")
    policy = policy if policy is not None else ErrorPolicy("raise")
    if isinstance(resolution_dirs, str) or not resolution_dirs:
        raise ValueError(f"resolution_dirs must be a non-empty list of folder names, got {resolution_dirs!r}")
    extensions = tuple(str(e).lower() for e in image_extensions)
    if not extensions or not all(e.startswith(".") for e in extensions):
        raise ValueError(f"image_extensions must be suffixes such as '.jpg', got {list(image_extensions)}")
    if max_identities is not None and int(max_identities) < 1:
        raise ValueError(f"max_identities must be >= 1 or null, got {max_identities}")
    opts = _Options(
        root=root,
        policy=policy,
        wanted=_wanted(
            {"accessory": accessories, "light": lights, "expression": expressions, "camera": cameras},
            {
                "accessory": exclude_accessories,
                "light": exclude_lights,
                "expression": exclude_expressions,
                "camera": exclude_cameras,
            },
        ),
        annotations=bool(annotations),
        share_annotations=bool(share_annotations) and bool(annotations),
        fmt=AnnotationFormat(annotation_name, tuple(box_order), tuple(landmark_order), box_format),
        image_extensions=extensions,
        id_pattern=re.compile(id_pattern),
        verify_images=check_verify_mode(verify_images),
        allow_outside_links=bool(allow_outside_links),
        max_identities=None if max_identities is None else int(max_identities),
    )
    resolution = find_resolution_folder(root, [str(d) for d in resolution_dirs], opts.id_pattern)
    cache = FolderIndexCache(
        cache_file(cache_dir, root, opts.verify_images) if cache_dir else None,
        key={
            "reader": READER_VERSION,
            "root": str(root.resolve()),
            "verify_images": opts.verify_images,
            "annotations": opts.annotations,
            "format": [opts.fmt.name, opts.fmt.box_order, opts.fmt.landmark_order, opts.fmt.box_format],
            "extensions": extensions,
            "allow_outside_links": opts.allow_outside_links,
        },
        check=cache_check,
    )
    reader = _Reader(opts, resolution, cache)
    reader.walk()
    cache.save()
    if opts.annotations:
        reader.attach_annotations()
    images = sorted(reader.images, key=lambda im: im.key)
    _count(policy, images, cache)
    log.info(
        "K-Face: %d images of %d identities under %s (index: %d folders reused, %d parsed)",
        len(images),
        policy.stats["identities"],
        resolution,
        cache.hits,
        cache.misses,
    )
    return images


def _count(policy: ErrorPolicy, images: list[FaceImage], cache: FolderIndexCache) -> None:
    """Images per factor code and identities, for ``data_report.json``."""
    policy.count("identities", len({im.identity for im in images}))
    per_code: Counter[str] = Counter()
    for im in images:
        for factor, code in im.conditions.items():
            per_code[f"images/{factor}/{code}"] += 1
    for key, n in per_code.items():
        policy.count(key, n)
    policy.count("index_cache_folders_reused", cache.hits)
    policy.count("index_cache_folders_parsed", cache.misses)
