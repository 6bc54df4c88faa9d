"""Reader of the 한국어 글자체 이미지 release: the subsets' COCO-like JSONs -> text samples.

One walk of the root finds each subset's info JSON (``info_files``) and the image files under each
subset's image folders (``image_folders``). Every annotation of a chosen kind becomes a
:class:`~aihub_bench.records.TextSample` of its image (printed, handwriting, augmented: the whole
image; text in the wild: the annotation's box, clipped to the photo). Texts are compared and kept in
NFC. What the release gets wrong in ways a reader can live with (the info date key's spelling, one
file name under two image ids, annotations without an image, images without annotations, malformed
labels, boxes reaching outside the photo) is counted in ``policy.stats``; what makes a sample
unusable (its image missing or unreadable, an empty text, a box without four numbers, a JSON or entry
of the wrong shape) is bad input: raised, or skipped and counted in samples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from aihub_bench.datasets.ocr.entries import (
    MALFORMED_LABEL_MODES,
    Candidate,
    ImageEntry,
    Rules,
    candidate,
    image_entry,
    string_id,
)
from aihub_bench.datasets.ocr.layout import (
    IMAGE_FOLDERS,
    IMAGE_SUFFIXES,
    INFO_FILES,
    KINDS,
    SUBSETS,
    TIW_CLASSES,
    TYPE_KINDS,
    info_subset,
    nfc,
    subset_of_folder,
)
from aihub_bench.errors import BadInputError, ErrorPolicy, check_inside, resolve_inside
from aihub_bench.formats.images import check_verify_mode, verify_image
from aihub_bench.formats.safe_json import load_json
from aihub_bench.formats.walk import file_inside, walk_inside
from aihub_bench.records import TextSample

DATE_KEYS = ("date_created", "data_created")  # [C] text in the wild, printed


@dataclass(frozen=True)
class _Options:
    root: Path
    policy: ErrorPolicy
    subsets: tuple[str, ...]
    rules: Rules
    image_folders: Mapping[str, Sequence[str]]
    verify_images: str
    allow_outside_links: bool


@dataclass
class _Files:
    """What the walk found: each subset's info JSONs and its image files by (NFC) file name."""

    info: dict[str, list[Path]]
    images: dict[str, dict[str, list[Path]]]
    info_found: dict[str, int]


@dataclass
class _Subset:
    """Per subset, across its JSONs: the first image id that listed each file name (its group)."""

    name: str
    index: dict[str, list[Path]]
    group_of_file: dict[str, str] = field(default_factory=dict)
    listed_names: set[str] = field(default_factory=set)  # base names of the listed files


def read_ocr(
    root: str | Path,
    policy: ErrorPolicy | None = None,
    *,
    subsets: Sequence[str] = ("printed", "handwriting"),
    kinds: Sequence[str] = ("syllable",),
    tiw_classes: Sequence[str] = ("word",),
    info_files: Mapping[str, Sequence[str]] | None = None,
    image_folders: Mapping[str, Sequence[str]] | None = None,
    type_kinds: Mapping[str, str] | None = None,
    writer_key: str | None = None,
    malformed_labels: str = "keep",
    verify_images: str = "header",
    allow_outside_links: bool = False,
) -> list[TextSample]:
    """The text samples of ``subsets`` under ``root``, sorted by subset, JSON, image and annotation id.

    ``kinds``: the printed / handwriting / augmented annotation types to keep (``syllable``, ``word``,
    ``sentence``); ``tiw_classes``: the text-in-the-wild box classes to keep (``character``,
    ``word``; ``ignored`` boxes never are samples). ``info_files`` / ``image_folders``: per subset, the
    file-name patterns of its JSONs and the folder-name patterns holding its images (default
    :data:`~aihub_bench.datasets.ocr.layout.INFO_FILES`, :data:`~.layout.IMAGE_FOLDERS`; a subset left
    out keeps its default). ``type_kinds``: ``attributes.type`` -> kind. ``writer_key``: the annotation
    attribute naming the writer, if the release has one (``meta["writer"]``). ``malformed_labels``: a
    syllable label that is not one modern Hangul syllable, or a text with stray jamo, is counted and
    ``keep`` (kept), ``drop`` (left out, counted) or ``error`` (bad input). ``verify_images``: ``none``
    | ``header`` (the size against the JSON's) | ``full`` (every pixel decoded).
    """
    policy = policy or ErrorPolicy("raise")
    opts = _options(
        Path(root),
        policy,
        subsets,
        kinds,
        tiw_classes,
        type_kinds,
        image_folders,
        writer_key,
        malformed_labels,
        verify_images,
        allow_outside_links,
    )
    patterns = {**INFO_FILES, **{k: tuple(v) for k, v in (info_files or {}).items()}}
    files = _list_files(opts, patterns)
    for subset in opts.subsets:
        if not files.info_found[subset]:
            raise FileNotFoundError(
                f"no {subset} info JSON ({', '.join(patterns[subset])}) under {root}; "
                "set dataset.reader.subsets to the subsets you have"
            )
    samples: list[TextSample] = []
    for subset in opts.subsets:
        state = _Subset(subset, files.images[subset])
        for path in files.info[subset]:
            samples.extend(_read_info(opts, state, path))
        _count_unlisted_files(opts, state)
    for s in samples:
        policy.count(f"samples_{s.subset}")
    return samples


def _options(
    root: Path,
    policy: ErrorPolicy,
    subsets: Sequence[str],
    kinds: Sequence[str],
    tiw_classes: Sequence[str],
    type_kinds: Mapping[str, str] | None,
    image_folders: Mapping[str, Sequence[str]] | None,
    writer_key: str | None,
    malformed_labels: str,
    verify_images: str,
    allow_outside_links: bool,
) -> _Options:
    """The options, validated (``ValueError`` naming the bad one)."""
    for name, given, allowed in (
        ("subsets", subsets, SUBSETS),
        ("kinds", kinds, KINDS),
        ("tiw_classes", tiw_classes, TIW_CLASSES),
    ):
        if isinstance(given, str) or not set(given) <= set(allowed):
            raise ValueError(f"{name} must be a list drawn from {list(allowed)}, got {given!r}")
    if not subsets:
        raise ValueError("subsets is empty: name at least one of " + ", ".join(SUBSETS))
    if malformed_labels not in MALFORMED_LABEL_MODES:
        raise ValueError(
            f"malformed_labels must be one of {list(MALFORMED_LABEL_MODES)}, got {malformed_labels!r}"
        )
    table = {nfc(str(k)).strip(): str(v) for k, v in (type_kinds or TYPE_KINDS).items()}
    if not set(table.values()) <= set(KINDS):
        raise ValueError(f"type_kinds must map types to {list(KINDS)}, got {dict(type_kinds or {})}")
    folders = {**IMAGE_FOLDERS, **{k: tuple(v) for k, v in (image_folders or {}).items()}}
    return _Options(
        root=root,
        policy=policy,
        subsets=tuple(dict.fromkeys(subsets)),
        rules=Rules(policy, frozenset(kinds), frozenset(tiw_classes), table, writer_key, malformed_labels),
        image_folders=folders,
        verify_images=check_verify_mode(verify_images),
        allow_outside_links=allow_outside_links,
    )


def _list_files(opts: _Options, info_files: Mapping[str, Sequence[str]]) -> _Files:
    """One walk: the chosen subsets' info JSONs (anywhere) and image files (under their folders)."""
    files = _Files(
        info={s: [] for s in opts.subsets},
        images={s: {} for s in opts.subsets},
        info_found=dict.fromkeys(opts.subsets, 0),
    )
    for folder, _dirs, names in walk_inside(
        opts.root, opts.policy, allow_outside_links=opts.allow_outside_links, contents="images"
    ):
        owner = subset_of_folder(folder.relative_to(opts.root).parts, opts.image_folders, opts.subsets)
        for name in names:
            path = folder / name
            info = info_subset(name, info_files)
            if info is not None:
                if info in files.info:
                    files.info_found[info] += 1
                    if file_inside(opts.root, path, opts.policy, opts.allow_outside_links):
                        files.info[info].append(path)
            elif owner is not None and name.lower().endswith(IMAGE_SUFFIXES):
                files.images[owner].setdefault(nfc(name), []).append(path)
    for paths in files.info.values():
        paths.sort()
    return files


# ------------------------------------------------------------------------------ one info JSON


def _read_info(opts: _Options, state: _Subset, path: Path) -> list[TextSample]:
    """The samples one info JSON yields; a JSON that cannot be used at all drops its annotations."""
    data: Any = None
    try:
        data = load_json(path, kind="bad_json")
        images, annotations = _sections(path, data)
    except BadInputError as err:
        listed = data.get("annotations") if isinstance(data, dict) else None
        opts.policy.handle(err, units=len(listed) if isinstance(listed, list) and listed else 1)
        return []
    opts.policy.count("info_files_read")
    _count_date_key(opts.policy, data.get("info"))
    entries, bad_entries = _image_table(opts, state, path, images)
    referenced: set[str] = set()
    by_image: dict[str, list[Candidate]] = {}
    for i, raw in enumerate(annotations):
        try:
            found = candidate(opts.rules, state.name, path, i, raw, entries, bad_entries, referenced)
        except BadInputError as err:
            opts.policy.handle(err)
            continue
        if found is not None:
            by_image.setdefault(found.image_id, []).append(found)
    unannotated = len((set(entries) | set(bad_entries)) - referenced)
    if unannotated:
        opts.policy.count("images_without_annotations", unannotated)
    samples: list[TextSample] = []
    for image_id in sorted(by_image):
        candidates = by_image[image_id]
        try:
            if image_id in bad_entries:
                raise bad_entries[image_id]
            entry = entries[image_id]
            image = _image_file(opts, state, path, entry)
        except BadInputError as err:
            opts.policy.handle(err, units=len(candidates))
            continue
        group = f"{state.name}/{state.group_of_file[entry.file_name]}"
        for c in sorted(candidates, key=lambda c: c.annotation_id):
            samples.append(
                TextSample(
                    image_path=image,
                    text=c.text,
                    subset=state.name,
                    kind=c.kind,
                    width=entry.width,
                    height=entry.height,
                    bbox=c.bbox,
                    image_id=image_id,
                    group=group,
                    meta=c.meta,
                )
            )
    return samples


def _sections(path: Path, data: Any) -> tuple[list[Any], list[Any]]:
    """``images`` and ``annotations`` of an info JSON, or ``bad_json`` if it is not one."""
    if not isinstance(data, dict):
        raise BadInputError(path, f"top level is {type(data).__name__}, expected an object", "bad_json")
    sections = []
    for key in ("images", "annotations"):
        value = data.get(key)
        if not isinstance(value, list):
            said = "missing" if key not in data else f"a {type(value).__name__}, not a list"
            raise BadInputError(
                path, f"{key!r} is {said}: not an info JSON ({{info, images, annotations}})", "bad_json"
            )
        sections.append(value)
    return sections[0], sections[1]


def _count_date_key(policy: ErrorPolicy, info: Any) -> None:
    """The ``info`` block spells its date ``date_created`` or ``data_created`` [C]; counted."""
    keys = [k for k in DATE_KEYS if isinstance(info, dict) and k in info]
    policy.count(f"info_date_key_{keys[0]}" if keys else "info_without_date_key")


def _image_table(
    opts: _Options, state: _Subset, path: Path, images: list[Any]
) -> tuple[dict[str, ImageEntry], dict[str, BadInputError]]:
    """Usable ``images[]`` entries by id, and the errors of unusable ones by id (raised for the
    annotations that need them). An entry without an id is bad input at once."""
    entries: dict[str, ImageEntry] = {}
    bad: dict[str, BadInputError] = {}
    for i, raw in enumerate(images):
        image_id = string_id(opts.policy, raw.get("id")) if isinstance(raw, dict) else None
        if image_id is None:
            shown = raw.get("id") if isinstance(raw, dict) else raw
            opts.policy.handle(
                BadInputError(path, f"images[{i}] has no string id ({shown!r})", "bad_image_entry")
            )
            continue
        if image_id in entries or image_id in bad:
            entries.pop(image_id, None)
            bad[image_id] = BadInputError(
                path,
                f"image id {image_id!r} is listed twice in images[]: its annotations are ambiguous",
                "duplicate_image_id",
            )
            continue
        try:
            entry = image_entry(path, i, image_id, raw)
        except BadInputError as err:
            bad[image_id] = err
            continue
        entries[image_id] = entry
        state.listed_names.add(PurePosixPath(entry.file_name.replace("\\", "/")).name)
        first = state.group_of_file.setdefault(entry.file_name, image_id)
        if first != image_id:
            opts.policy.count("file_names_under_two_ids")
    return entries, bad


# ------------------------------------------------------------------------------ image files


def _image_file(opts: _Options, state: _Subset, path: Path, entry: ImageEntry) -> Path:
    """The file of an ``images[]`` entry, found by name under the subset's image folders, linked
    inside the root and (``verify_images``) readable at the size the JSON says."""
    where = f"image {entry.id} ({entry.file_name!r})"
    try:
        resolve_inside(opts.root, entry.file_name, allow_outside_links=True)  # the name alone
    except BadInputError as err:
        raise BadInputError(path, f"{where}: {err.reason}", err.kind) from err
    relative = entry.file_name.replace("\\", "/")
    found = state.index.get(PurePosixPath(relative).name, [])
    if len(found) > 1 and "/" in relative:  # a name with folders picks among same-named files
        found = [p for p in found if p.as_posix().endswith("/" + relative)] or found
    folders = ", ".join(opts.image_folders.get(state.name, ()))
    if not found:
        raise BadInputError(
            path,
            f"{where} is listed but no such file is under the {state.name} image folders ({folders})",
            "missing_image",
        )
    if len(found) > 1:
        shown = ", ".join(p.relative_to(opts.root).as_posix() for p in found[:3])
        raise BadInputError(
            path,
            f"{where} is ambiguous: {len(found)} files of that name under the {state.name} image folders ({shown})",
            "ambiguous_image",
        )
    image = check_inside(opts.root, found[0], opts.allow_outside_links)
    size = verify_image(image, opts.verify_images)
    if size is not None and size != (entry.width, entry.height):
        raise BadInputError(
            image,
            f"image is {size[0]}x{size[1]}, {path.name} says {entry.width}x{entry.height}",
            "size_mismatch",
        )
    return image


def _count_unlisted_files(opts: _Options, state: _Subset) -> None:
    """Image files under the subset's folders that no JSON of the subset lists."""
    unlisted = sum(len(paths) for name, paths in state.index.items() if name not in state.listed_names)
    if unlisted:
        opts.policy.count("image_files_not_listed", unlisted)
