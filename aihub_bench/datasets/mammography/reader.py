"""Read the mammography release (or its synthetic twin) into ``ClassificationCase`` records.

One case per patient: its four views, the class from the patient-id range, and the per-patient
metadata JSON (BI-RADS, device, pathology, lesion polygons). Bad input raises a ``BadInputError``
naming the file (or the patient's folder) and the reason, or (``on_error="skip"``) drops the whole
patient and counts it; a patient is never kept with a view silently missing.
"""

from __future__ import annotations

import logging
import math
import os
import re
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pydicom

from aihub_bench.datasets.mammography.layout import (
    DICOM_SUFFIX,
    FILE_PATTERN,
    METADATA_KEYS,
    METADATA_NAME,
    VIEWS,
    canonical_view,
    class_of,
    compile_file_pattern,
    parse_file_name,
    patient_sort_key,
    resolve_aliases,
    resolve_class_ranges,
    resolve_views,
)
from aihub_bench.errors import BadInputError, ErrorPolicy, check_inside
from aihub_bench.formats.dicom import check_image_header, check_pixel_data, is_compressed, read_dicom_image
from aihub_bench.formats.images import check_verify_mode
from aihub_bench.formats.safe_json import load_json
from aihub_bench.formats.walk import walk_inside
from aihub_bench.records import ClassificationCase

log = logging.getLogger(__name__)

# Values above this size are not read by the header check (a mammogram's pixels are tens of MB):
# their declared length is checked against the file size instead.
DEFER_SIZE = "64 KB"
LESION_TOLERANCE = 1.0  # pixels a lesion point may lie outside its image before it counts as bad


@dataclass(frozen=True)
class _Header:
    """What opening a DICOM file told us about it."""

    width: int
    height: int
    photometric: str
    transfer_syntax: str
    manufacturer: str | None
    model: str | None
    patient_id: str | None = None
    laterality: str | None = None  # ImageLaterality, else Laterality
    view_position: str | None = None


@dataclass
class _Options:
    root: Path
    policy: ErrorPolicy
    positive: frozenset[str]
    views: tuple[str, ...]
    aliases: dict[str, str]
    pattern: re.Pattern[str]
    ranges: dict[str, tuple[int, int]]
    allow_missing_views: bool
    metadata_name: str | None
    keys: dict[str, str]
    verify: str
    check_tags: bool
    allow_outside_links: bool


@dataclass
class _Patient:
    """A patient's files as found on disk: canonical view -> paths (more than one is a duplicate)."""

    patient_id: str
    files: dict[str, list[Path]] = field(default_factory=lambda: defaultdict(list))

    @property
    def folder(self) -> Path:
        return min(p for paths in self.files.values() for p in paths).parent


# ------------------------------------------------------------------------------------------ files


def _dicom_files(opts: _Options) -> list[Path]:
    """Every ``*.dcm`` under the root (any case of the suffix), in sorted order (``walk_inside``:
    folder links inside the root are walked once, one leading outside is bad input unless
    ``allow_outside_links``)."""
    found: list[Path] = []
    walk = walk_inside(
        opts.root, opts.policy, allow_outside_links=opts.allow_outside_links, contents="DICOM files"
    )
    for folder, _dirs, names in walk:
        found.extend(folder / n for n in names if n.lower().endswith(DICOM_SUFFIX))
    return found


def _group_by_patient(files: list[Path], opts: _Options) -> dict[str, _Patient]:
    """Patient id -> its view files; unusable names are reported (one error per file)."""
    known = set(opts.views) | set(VIEWS)
    patients: dict[str, _Patient] = {}
    for path in files:
        try:
            parsed = parse_file_name(path.name, opts.pattern)
            if parsed is None:
                raise BadInputError(
                    path, f"file name does not match file_pattern {opts.pattern.pattern!r}", "unmatched_name"
                )
            patient_id, raw_view = parsed
            view = canonical_view(raw_view, opts.aliases)
            if view not in known:
                raise BadInputError(
                    path, f"unknown view {raw_view!r} (known: {', '.join(sorted(known))})", "unknown_view"
                )
        except BadInputError as err:
            opts.policy.handle(err)
            continue
        if view not in opts.views:
            opts.policy.count("images_not_requested")
            continue
        if raw_view.upper() in opts.aliases:
            opts.policy.count("rml0_spelling")
        patients.setdefault(patient_id, _Patient(patient_id)).files[view].append(path)
    return patients


# ------------------------------------------------------------------------------------------ images


def _verify(path: Path, mode: str) -> _Header | None:
    """Check one view file per ``verify_images``; a problem is a BadInputError naming it."""
    if mode == "none":
        return None
    header = _read_header(path)  # "full" too: the same kinds for the same damage in every mode
    if mode == "full":
        try:
            read_dicom_image(path)
        except BadInputError:
            raise
        except Exception as err:  # decoders raise many types; none may escape as a bare traceback
            reason = f"cannot decode DICOM file: {type(err).__name__}: {err}"
            raise BadInputError(path, reason, "undecodable_pixels") from None
    return header


def _read_header(path: Path) -> _Header:
    """Open ``path`` without decoding pixels and check everything the image loader will rely on."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = pydicom.dcmread(path, defer_size=DEFER_SIZE)
        except Exception as err:  # pydicom raises many types on damaged files; report, never crash
            raise BadInputError(
                path, f"not a readable DICOM file: {type(err).__name__}: {err}", "unreadable_dicom"
            ) from None
    ended_early = next((str(w.message) for w in caught if "End of file" in str(w.message)), None)
    has_pixels = "PixelData" in ds
    if ended_early is not None:
        kind = "truncated_pixel_data" if not has_pixels or is_compressed(ds) else "unreadable_dicom"
        raise BadInputError(path, f"file is truncated: {ended_early}", kind)
    if not has_pixels:
        _no_pixel_data(path, ds)
    try:
        _, rows, cols = check_image_header(path, ds)
        check_pixel_data(path, ds)
        return _Header(
            width=cols,
            height=rows,
            photometric=str(ds.PhotometricInterpretation).strip(),
            transfer_syntax=_syntax(ds),
            manufacturer=_text(ds.get("Manufacturer")),
            model=_text(ds.get("ManufacturerModelName")),
            patient_id=_text(ds.get("PatientID")),
            laterality=_text(ds.get("ImageLaterality")) or _text(ds.get("Laterality")),
            view_position=_text(ds.get("ViewPosition")),
        )
    except BadInputError:
        raise
    except Exception as err:  # a malformed header value that pydicom only parses on access
        raise BadInputError(path, f"unreadable DICOM header: {err}", "unreadable_dicom") from None


def _no_pixel_data(path: Path, ds: pydicom.Dataset) -> None:
    """No pixel data: a file cut inside its header (no image description either), or really none."""
    size = os.path.getsize(path)
    sop = getattr(getattr(ds, "file_meta", None), "MediaStorageSOPClassUID", None)
    image_class = "Image" in str(getattr(sop, "name", "")) or sop is None
    if image_class and ("Rows" not in ds or "Columns" not in ds):
        raise BadInputError(
            path,
            f"file is truncated: it ends after {size} bytes, before the image description (Rows, "
            "Columns) and the pixel data",
            "truncated_dicom",
        )
    raise BadInputError(path, f"DICOM file has no pixel data ({size} bytes)", "no_pixel_data")


def _syntax(ds: pydicom.Dataset) -> str:
    return str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "")


def _cross_check(path: Path, header: _Header, patient_id: str, view: str) -> None:
    """The header's PatientID, laterality and view position, where present, must match the name."""
    found = []
    if header.patient_id is not None and not _same_id(header.patient_id, patient_id):
        found.append(f"PatientID {header.patient_id!r} (file name: {patient_id!r})")
    side = (header.laterality or "").upper()
    if side in ("R", "L") and view[:1] in ("R", "L") and side != view[0]:
        found.append(f"laterality {side!r} (file name: {view[0]!r})")
    position = (header.view_position or "").upper()
    if position and len(view) > 1 and position != view[1:]:
        found.append(f"ViewPosition {position!r} (file name: {view[1:]!r})")
    if found:
        raise BadInputError(
            path, f"DICOM header contradicts the file name: {'; '.join(found)}", "header_mismatch"
        )


def _same_id(a: str, b: str) -> bool:
    """Equal ids; digit ids also when only leading zeros differ (``1`` and ``00001``)."""
    a, b = a.strip(), b.strip()
    return a == b or (a.isdigit() and b.isdigit() and int(a) == int(b))


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


# ------------------------------------------------------------------------------------------ metadata


def _metadata_path(patient: _Patient, opts: _Options) -> Path | None:
    """The metadata JSON beside the patient's images, else at the same relative name under root."""
    if opts.metadata_name is None:
        return None
    name = opts.metadata_name.format(patient=patient.patient_id)
    folders = sorted({p.parent for paths in patient.files.values() for p in paths})
    for folder in [*folders, opts.root]:
        if (folder / name).is_file():
            return check_inside(opts.root, folder / name, opts.allow_outside_links)
    return None


def _load_json(path: Path) -> dict[str, Any]:
    data = load_json(path, kind="bad_metadata")  # size, nesting and number limits
    if not isinstance(data, dict):
        raise BadInputError(
            path, f"metadata must be a JSON object, got {type(data).__name__}", "bad_metadata"
        )
    return data


def _metadata_fields(path: Path, data: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
    """BI-RADS, device, model and pathology, validated; absent or empty values are left out."""
    out: dict[str, Any] = {}
    birads = data.get(keys["birads"])
    if isinstance(birads, int) and not isinstance(birads, bool):
        birads = str(birads)
    if birads is not None and not isinstance(birads, str):
        raise BadInputError(
            path, f"{keys['birads']!r} must be a string or integer, got {birads!r}", "bad_metadata"
        )
    if birads and birads.strip():
        out["birads"] = birads.strip().upper()
    for name in ("device", "model"):
        value = data.get(keys[name])
        if value is not None and not isinstance(value, str):
            raise BadInputError(path, f"{keys[name]!r} must be a string, got {value!r}", "bad_metadata")
        if value and value.strip():
            out[name] = value.strip()
    pathology = data.get(keys["pathology"])
    if isinstance(pathology, list) and all(isinstance(p, str) for p in pathology):
        pathology = "\n".join(pathology)
    if pathology is not None and not isinstance(pathology, str):
        raise BadInputError(path, f"{keys['pathology']!r} must be text, got {pathology!r}", "bad_metadata")
    if pathology and pathology.strip():
        out["pathology"] = pathology.strip()
    return out


def _lesions(
    path: Path, data: dict[str, Any], opts: _Options, headers: dict[str, _Header]
) -> dict[str, list[np.ndarray]] | None:
    """Lesion polygons per canonical view; ``None`` when the metadata has none."""
    raw = data.get(opts.keys["lesions"])
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise BadInputError(path, f"{opts.keys['lesions']!r} must be a list, got {raw!r}", "bad_lesion")
    if not raw:
        return None
    out: dict[str, list[np.ndarray]] = {}
    view_key, points_key = opts.keys["lesion_view"], opts.keys["lesion_points"]
    for k, lesion in enumerate(raw):
        where = f"{opts.keys['lesions']}[{k}]"
        if not isinstance(lesion, dict):
            raise BadInputError(path, f"{where} must be an object, got {lesion!r}", "bad_lesion")
        raw_view = lesion.get(view_key)
        view = canonical_view(raw_view, opts.aliases) if isinstance(raw_view, str) else None
        if view is None or view not in set(opts.views) | set(VIEWS):
            raise BadInputError(path, f"{where}: unknown view {raw_view!r}", "bad_lesion")
        if view not in opts.views:
            opts.policy.count("lesions_on_views_not_requested")
            continue
        points = _points(path, where, lesion.get(points_key), headers.get(view))
        out.setdefault(view, []).append(points)
    return out


def _points(path: Path, where: str, raw: Any, header: _Header | None) -> np.ndarray:
    """A lesion outline as ``(K, 2)`` float32 pixels: at least 3 finite ``[x, y]`` inside the image."""
    ok = isinstance(raw, list) and len(raw) >= 3
    ok = ok and all(
        isinstance(p, (list, tuple))
        and len(p) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in p)
        for p in raw
    )
    if not ok:
        shown = repr(raw) if len(repr(raw)) < 80 else repr(raw)[:77] + "..."
        raise BadInputError(
            path, f"{where}: points must be a list of >= 3 [x, y] pairs, got {shown}", "bad_lesion"
        )
    points = np.asarray(raw, np.float32)
    if header is not None:
        t = LESION_TOLERANCE
        low, high = points.min(axis=0), points.max(axis=0)
        if low.min() < -t or high[0] > header.width + t or high[1] > header.height + t:
            raise BadInputError(
                path, f"{where}: points lie outside the {header.width}x{header.height} image", "bad_lesion"
            )
    return points


# ------------------------------------------------------------------------------------------ cases


def _class_name(patient: _Patient, opts: _Options) -> str:
    """The patient's class from its id range."""
    name = class_of(patient.patient_id, opts.ranges)
    if name is None:
        ranges = ", ".join(f"{n} {a:05d}-{b:05d}" for n, (a, b) in opts.ranges.items())
        reason = f"patient id {patient.patient_id!r} is in no class range ({ranges})"
        raise BadInputError(patient.folder, reason, "unknown_patient_class")
    return name


def _check_files(patient: _Patient, opts: _Options) -> list[str]:
    """Duplicate and missing views; returns the views the patient lacks (when that is allowed)."""
    pid = patient.patient_id
    for view, paths in patient.files.items():
        if len(paths) > 1:
            names = ", ".join(str(p.relative_to(opts.root)) for p in paths)
            raise BadInputError(
                paths[1], f"patient {pid} has {len(paths)} files for view {view}: {names}", "duplicate_view"
            )
    missing = [v for v in opts.views if v not in patient.files]
    if missing and not opts.allow_missing_views:
        has = ", ".join(v for v in opts.views if v in patient.files)
        raise BadInputError(
            patient.folder,
            f"patient {pid} is missing views {', '.join(missing)} (has {has})",
            "missing_views",
        )
    return missing


def _verified_views(patient: _Patient, opts: _Options) -> tuple[dict[str, Path], dict[str, _Header], int]:
    """The view files that pass verification (bad ones are handed to the policy), their headers."""
    views: dict[str, Path] = {}
    headers: dict[str, _Header] = {}
    bad = 0
    for view in opts.views:
        if view not in patient.files:
            continue
        path = patient.files[view][0]
        try:
            check_inside(opts.root, path, opts.allow_outside_links)
            header = _verify(path, opts.verify)
            if header is not None and opts.check_tags:
                _cross_check(path, header, patient.patient_id, view)
        except BadInputError as err:
            opts.policy.handle(err)
            bad += 1
            continue
        views[view] = path
        if header is not None:
            headers[view] = header
    return views, headers, bad


def _count_dropped(patient: _Patient, opts: _Options) -> None:
    """A skipped patient takes all its view files with it: count them, not just the bad one."""
    opts.policy.count("patients_dropped")
    opts.policy.count("images_dropped", sum(len(paths) for paths in patient.files.values()))


def _build_case(patient: _Patient, opts: _Options) -> ClassificationCase | None:
    """One validated case, or ``None`` when bad view files (already reported) left it incomplete."""
    pid = patient.patient_id
    class_name = _class_name(patient, opts)
    missing = _check_files(patient, opts)
    views, headers, bad = _verified_views(patient, opts)
    if bad and (not opts.allow_missing_views or not views):
        opts.policy.count("patients_dropped_for_bad_images")
        _count_dropped(patient, opts)
        log.warning("mammography: patient %s dropped: %d bad view file(s)", pid, bad)
        return None
    meta: dict[str, Any] = {}
    lesions = None
    meta_path = _metadata_path(patient, opts)
    if meta_path is None:
        if opts.metadata_name is not None:
            opts.policy.count("metadata_missing")
    else:
        data = _load_json(meta_path)
        meta.update(_metadata_fields(meta_path, data, opts.keys))
        lesions = _lesions(meta_path, data, opts, headers)
        meta["metadata_file"] = str(meta_path.relative_to(opts.root))
    _header_meta(meta, headers, opts)
    if missing or bad:
        opts.policy.count("patients_with_missing_views")
    label = int(class_name in opts.positive)
    view_labels = None
    if lesions is not None:
        meta["lesions"] = lesions
        if label == 1:
            view_labels = {v: int(v in lesions) for v in views}
    return ClassificationCase(
        case_id=pid,
        label=label,
        views=views,
        group=pid,
        class_name=class_name,
        view_labels=view_labels,
        meta=meta,
    )


def _header_meta(meta: dict[str, Any], headers: dict[str, _Header], opts: _Options) -> None:
    """Device/model from the DICOM header when the JSON lacks them; per-view header facts."""
    if not headers:
        return
    for name, attr in (("device", "manufacturer"), ("model", "model")):
        if name not in meta:
            value = next((getattr(h, attr) for h in headers.values() if getattr(h, attr)), None)
            if value is not None:
                meta[name] = value
                opts.policy.count(f"{name}_from_dicom_header")
    meta["transfer_syntaxes"] = {v: h.transfer_syntax for v, h in headers.items()}
    meta["photometric"] = {v: h.photometric for v, h in headers.items()}
    meta["image_sizes"] = {v: (h.width, h.height) for v, h in headers.items()}


# ------------------------------------------------------------------------------------------ entry


def _options(
    root: Path,
    policy: ErrorPolicy,
    *,
    positive_classes: Sequence[str],
    views: Sequence[str],
    view_aliases: Mapping[str, str] | None,
    file_pattern: str,
    class_ranges: Mapping[str, Sequence[int]] | None,
    allow_missing_views: bool,
    metadata_name: str | None,
    metadata_keys: Mapping[str, str] | None,
    verify_images: str,
    check_header_tags: bool,
    allow_outside_links: bool,
) -> _Options:
    """Validate the reader's options: a wrong option is a ValueError before any file is read."""
    check_verify_mode(verify_images)
    ranges = resolve_class_ranges(class_ranges)
    positive = frozenset([positive_classes] if isinstance(positive_classes, str) else positive_classes)
    if not positive or positive - set(ranges):
        raise ValueError(f"positive_classes {sorted(positive)} must be among the classes {sorted(ranges)}")
    unknown_keys = set(metadata_keys or {}) - set(METADATA_KEYS)
    if unknown_keys:
        raise ValueError(
            f"metadata_keys: unknown field(s) {sorted(unknown_keys)}; known {sorted(METADATA_KEYS)}"
        )
    if metadata_name is not None:
        try:
            metadata_name.format(patient="00000")
        except (KeyError, IndexError, ValueError) as err:
            raise ValueError(f"metadata_name {metadata_name!r} may only use {{patient}}: {err}") from None
    views_ = resolve_views(views)
    return _Options(
        root=root,
        policy=policy,
        positive=positive,
        views=views_,
        aliases=resolve_aliases(views_, view_aliases),
        pattern=compile_file_pattern(file_pattern),
        ranges=ranges,
        allow_missing_views=allow_missing_views,
        metadata_name=metadata_name,
        keys={**METADATA_KEYS, **dict(metadata_keys or {})},
        verify=verify_images,
        check_tags=check_header_tags,
        allow_outside_links=allow_outside_links,
    )


def read_mammography(
    root: str | Path,
    policy: ErrorPolicy,
    *,
    positive_classes: Sequence[str] = ("malignant",),
    views: Sequence[str] = VIEWS,
    view_aliases: Mapping[str, str] | None = None,
    file_pattern: str = FILE_PATTERN,
    class_ranges: Mapping[str, Sequence[int]] | None = None,
    allow_missing_views: bool = False,
    metadata_name: str | None = METADATA_NAME,
    metadata_keys: Mapping[str, str] | None = None,
    verify_images: str = "header",
    check_header_tags: bool = True,
    allow_outside_links: bool = False,
) -> list[ClassificationCase]:
    """Read every patient under ``root`` (``**/<patient>_<VIEW>.dcm`` + ``<patient>.json``), by id.

    ``positive_classes``: classes labelled 1 (malignant vs benign + normal by default).
    ``views``: the views a patient must have, in the order of ``ClassificationCase.views``;
    ``view_aliases``: file-name spellings mapped to them (default ``RML0``/``LML0``).
    ``file_pattern``: regex on the file name with groups ``patient`` and ``view`` (case-insensitive).
    ``class_ranges``: ``class -> [first_id, last_id]``. ``allow_missing_views``: keep incomplete
    patients with the views they have. ``metadata_name``: per-patient JSON beside the images (or
    under ``root``), ``None``: none; ``metadata_keys``: our field -> JSON key (``birads``, ``device``,
    ``model``, ``pathology``, ``lesions``, ``lesion_view``, ``lesion_points``). ``verify_images``:
    ``none`` (names only), ``header`` (open without decoding; lesion points are then also checked
    against the image size) or ``full`` (also decode every view). ``check_header_tags``: with
    ``header``/``full``, a header ``PatientID``, ``ImageLaterality``/``Laterality`` or
    ``ViewPosition`` that contradicts the file name is bad input (each checked only when present).
    ``allow_outside_links``: follow symbolic links (files, folders) whose target is outside ``root``.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"mammography dataset root {root} is not a directory")
    opts = _options(
        root,
        policy,
        positive_classes=positive_classes,
        views=views,
        view_aliases=view_aliases,
        file_pattern=file_pattern,
        class_ranges=class_ranges,
        allow_missing_views=allow_missing_views,
        metadata_name=metadata_name,
        metadata_keys=metadata_keys,
        verify_images=verify_images,
        check_header_tags=check_header_tags,
        allow_outside_links=allow_outside_links,
    )
    files = _dicom_files(opts)
    if not files:
        raise FileNotFoundError(f"no DICOM files (*{DICOM_SUFFIX}) under mammography dataset root {root}")
    patients = _group_by_patient(files, opts)
    cases = []
    for pid in sorted(patients, key=patient_sort_key):
        try:
            case = _build_case(patients[pid], opts)
        except BadInputError as err:
            policy.handle(err)
            _count_dropped(patients[pid], opts)
            continue
        if case is not None:
            cases.append(case)
            policy.count("patients")
            policy.count(f"patients/{case.class_name}")
            policy.count("images", len(case.views))
    per_class = ", ".join(f"{c} {policy.stats[f'patients/{c}']}" for c in opts.ranges)
    log.info(
        "mammography: %d patients (%s), %d images", len(cases), per_class, sum(len(c.views) for c in cases)
    )
    if not cases:
        log.warning("mammography: no usable patient under %s (%d problems skipped)", root, policy.skipped)
    return cases
