"""Read the 사람 동작 영상 release into ``KeypointSample`` records, one per annotated frame.

Per clip (one camera of one take) the 2D annotation file ``<clip>_2D.json`` lists ``images[]`` and
``annotations[]`` (layout in :mod:`aihub_bench.datasets.human_motion.layout`); every annotated
``img_no`` with at least one usable person becomes a sample with N people. The frame is the JPEG of
that name in the folder named like the clip under ``<root>/이미지`` or, where there is none (or with
``frames="video"``), the frame decoded from the clip's mp4 under ``<root>/동영상`` into a frame cache
(decoding: :mod:`aihub_bench.formats.video`; which video frame an annotated frame is, assumption [A]:
:func:`aihub_bench.datasets.human_motion.layout.video_frame_index`).

Choices made here, all counted in ``policy.stats``:

* ``bbox``: ``[x1, y1, x2, y2]`` or ``[x, y, w, h]`` (``bbox_format``; ``auto`` decides per file by
  which reading puts more of the labelled joints inside the boxes, ties -> xyxy). Reversed xyxy
  corners are swapped (``bbox_corners_swapped``); boxes are clipped to the image (``bbox_clipped``);
  a box under 1 pixel wide or high after clipping is ``bad_bbox``.
* A ``bbox`` that is ``None``, holds ``None`` or is not 4 numbers is replaced by the tight box of the
  person's labelled joints (flag 1 or 2), counted ``bbox_from_joints``; only a person without
  labelled joints (or whose joints span under a pixel) is ``bad_bbox``.
* Flag-0 joints keep their coordinates (``None`` -> 0); a visible (flag 2) joint more than
  1 pixel outside the image is ``joint_outside_image``; occluded ones are kept
  (``occluded_outside_image``).
* Bad input is handled at the smallest unit: a person (the frame keeps the others and records
  ``meta["skipped_people"]``), a frame, or a whole clip (unreadable annotation file). A video that
  cannot be opened, decoded or is too short drops every frame of the clip that needed it, including
  frames cached before the failure, so a second read gives the same records.
* Every JSON goes through :func:`aihub_bench.formats.safe_json.load_json` (huge integers, NaN and
  deep nesting are ``bad_json``); a clip with an empty ``images[]`` or ``annotations[]`` is
  ``empty_clip``. Frame JPEGs on disk are checked per ``verify_images`` (``header``: size against
  the JSON, ``size_mismatch``; ``full``: decoded, truncation) and a refused one drops its frame.
* Symbolic links (files or folders) leading outside ``root`` are refused (``link_outside_root``)
  unless ``allow_outside_links``; folder links inside the root are walked, each real folder once.
* [A] 3D: ``<root>/<annotation_3d_dir>/<annotation_3d_name>`` per take, a JSON object whose
  ``annotations[]`` entries hold ``img_no`` and ``keypoints_3d_key`` (J x 3 numbers, flat or nested);
  they are matched to a frame by ``img_no`` and to its people by order, and used only where the
  frame has as many 3D skeletons as 2D annotations (``3d_people_mismatch`` otherwise).
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aihub_bench.datasets.human_motion.layout import (
    ANNOTATION_2D_DIR,
    ANNOTATION_2D_SUFFIX,
    ANNOTATION_3D_DIR,
    DEFAULT_CLIP_PATTERN,
    DEFAULT_FRAME_PATTERN,
    IMAGE_DIR,
    JOINTS,
    VIDEO_DIR,
    ClipName,
    frame_number,
    parse_clip_name,
    video_frame_index,
)
from aihub_bench.errors import BadInputError, ErrorPolicy, check_inside, resolve_inside
from aihub_bench.formats.images import check_image, check_verify_mode, read_image_header
from aihub_bench.formats.safe_json import load_json
from aihub_bench.formats.video import copy_atomic, extract_frames, frame_cache_folder, probe_video
from aihub_bench.formats.walk import Walk, walk_inside
from aihub_bench.records import KeypointSample

log = logging.getLogger(__name__)

FRAME_MODES = ("auto", "images", "video")
BBOX_FORMATS = ("auto", "xyxy", "xywh")
FLOAT32_MAX = float(np.finfo(np.float32).max)  # larger coordinates would become inf in the records
JOINT_TOLERANCE = 1.0  # pixels a visible joint may lie outside the image
MIN_BOX_SIZE = 1.0  # pixels: narrower or lower boxes (after clipping) are degenerate
THREE_D_CACHE_TAKES = 4  # 3D files kept in memory (clips are read take by take)


# ------------------------------------------------------------------------------------------ values


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_coord(value: Any) -> bool:
    """A finite number that stays finite as float32 (the records' dtype)."""
    return _is_number(value) and abs(value) <= FLOAT32_MAX


def _as_int(value: Any) -> int | None:
    """An int, or an integral float (``3.0``); None for anything else (bools included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _joint_name(j: int, num_joints: int) -> str:
    return f"joint {j} ({JOINTS[j]})" if num_joints == len(JOINTS) else f"joint {j}"


def _option(value: str, allowed: Iterable[str], name: str) -> str:
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def _name_fields(name: ClipName) -> dict[str, Any]:
    return {
        "clip": name.clip,
        "scenario": name.scenario,
        "action": name.action,
        "take": name.take,
        "camera": name.camera,
    }


def _check_template(template: str, option: str) -> None:
    try:
        template.format(**_name_fields(ClipName("2-1_001-C01", "2-1", 2, "001", 1)))
    except (KeyError, IndexError, ValueError) as err:
        raise ValueError(
            f"{option} {template!r} is not a valid template: it may use {{clip}}, {{scenario}}, {{action}}, "
            f"{{take}} and {{camera}} (an int) ({err!r})"
        ) from err


def _check_pattern(pattern: str, groups: tuple[str, ...], option: str) -> None:
    try:
        compiled = re.compile(pattern)
    except re.error as err:
        raise ValueError(f"{option} {pattern!r} is not a regular expression: {err}") from err
    missing = [g for g in groups if g not in compiled.groupindex]
    if missing:
        raise ValueError(f"{option} {pattern!r} lacks the named groups {missing}")


# ------------------------------------------------------------------------------------------ records


@dataclass
class _Options:
    frames: str
    annotation_fps: float
    first_frame_number: int
    frame_cache_dir: Path | None
    bbox_format: str
    num_joints: int
    clip_pattern: str
    frame_pattern: str
    video_name: str
    annotation_3d_dir: str
    annotation_3d_name: str
    keypoints_3d_key: str
    verify_images: str = "header"
    allow_outside_links: bool = False


@dataclass
class _Image:
    """One valid ``images[]`` entry."""

    img_no: int
    img_path: str
    basename: str
    width: int
    height: int
    action_category: Any
    frame: int


@dataclass
class _Person:
    position: int  # index among this img_no's annotations in the file (3D matching)
    keypoints: np.ndarray  # (J, 3)
    box: np.ndarray | None = None  # (4,) xyxy, set once the file's bbox format is known
    raw_bbox: Any = None
    where: str = ""


@dataclass
class _Frame:
    image: _Image
    total: int  # annotations of this img_no in the file, usable or not
    people: list[_Person] = field(default_factory=list)
    path: Path | None = None
    source: str = ""


# ------------------------------------------------------------------------------------------ parsing


def _sections(path: Path, data: Any) -> tuple[list, list]:
    if not isinstance(data, dict):
        raise BadInputError(
            path, f"expected a JSON object with images and annotations, got {type(data).__name__}", "bad_json"
        )
    missing = [k for k in ("images", "annotations") if k not in data]
    if missing:
        raise BadInputError(path, f"missing key(s) {missing} (keys: {sorted(data)[:10]})", "bad_json")
    for key in ("images", "annotations"):
        if not isinstance(data[key], list):
            raise BadInputError(path, f"{key} must be a list, got {type(data[key]).__name__}", "bad_json")
    return data["images"], data["annotations"]


def _parse_keypoints(path: Path, where: str, values: Any, num_joints: int) -> np.ndarray:
    """``(J, 3)`` float32 from the flat ``x, y, flag`` list, validated against the image size."""
    expected = num_joints * 3
    if not isinstance(values, (list, tuple)):
        reason = f"{where}: keypoints must be a list of {num_joints} x 3 = {expected} numbers, got {type(values).__name__}"
        raise BadInputError(path, reason, "bad_keypoints")
    if len(values) != expected:
        reason = f"{where}: expected {num_joints} joints x 3 = {expected} keypoint values, got {len(values)}"
        raise BadInputError(path, reason, "bad_keypoints")
    out = np.zeros((num_joints, 3), np.float32)
    for j in range(num_joints):
        x, y, flag = values[3 * j : 3 * j + 3]
        flag_int = _as_int(flag)
        if flag_int not in (0, 1, 2):
            reason = f"{where}: {_joint_name(j, num_joints)} has flag {flag!r}; flags are 0 absent, 1 occluded, 2 visible"
            raise BadInputError(path, reason, "bad_flag")
        if flag_int == 0:
            out[j] = (x if _is_coord(x) else 0.0, y if _is_coord(y) else 0.0, 0.0)
            continue
        if not (_is_coord(x) and _is_coord(y)):
            reason = f"{where}: {_joint_name(j, num_joints)} (flag {flag_int}) has non-numeric or out-of-range coordinates ({x!r:.40}, {y!r:.40})"
            raise BadInputError(path, reason, "bad_keypoints")
        out[j] = (x, y, flag_int)
    return out


def _outside(points: np.ndarray, width: int, height: int, tol: float = JOINT_TOLERANCE) -> np.ndarray:
    return (
        (points[:, 0] < -tol)
        | (points[:, 0] > width + tol)
        | (points[:, 1] < -tol)
        | (points[:, 1] > height + tol)
    )


def _numeric_box(raw: Any) -> list[float] | None:
    if isinstance(raw, (list, tuple)) and len(raw) == 4 and all(_is_number(v) for v in raw):
        return [float(v) for v in raw]
    return None


def _as_xyxy(box: list[float], fmt: str) -> tuple[list[float], bool]:
    """The box as xyxy, and whether xyxy corners had to be swapped."""
    a, b, c, d = box
    if fmt == "xywh":
        return [a, b, a + c, b + d], False
    swapped = a > c or b > d
    return [min(a, c), min(b, d), max(a, c), max(b, d)], swapped


def _count_inside(box: list[float], points: np.ndarray, tol: float = JOINT_TOLERANCE) -> int:
    x1, y1, x2, y2 = box
    if x2 <= x1 or y2 <= y1:
        return 0
    inside = (
        (points[:, 0] >= x1 - tol)
        & (points[:, 0] <= x2 + tol)
        & (points[:, 1] >= y1 - tol)
        & (points[:, 1] <= y2 + tol)
    )
    return int(inside.sum())


def _decide_format(people: Iterable[_Person]) -> str:
    """xywh when reading the boxes as xywh puts more labelled joints inside them than xyxy does."""
    votes: Counter[str] = Counter()
    for person in people:
        box = _numeric_box(person.raw_bbox)
        if box is None:
            continue
        points = person.keypoints[person.keypoints[:, 2] > 0, :2]
        for fmt in ("xyxy", "xywh"):
            votes[fmt] += _count_inside(_as_xyxy(box, fmt)[0], points)
    return "xywh" if votes["xywh"] > votes["xyxy"] else "xyxy"


# ------------------------------------------------------------------------------------------ reader


class _Reader:
    def __init__(
        self, root: Path, policy: ErrorPolicy, options: _Options, image_dir: str, video_dir: str
    ) -> None:
        self.root = root
        self.policy = policy
        self.opt = options
        self.image_root = root / image_dir
        self.video_root = root / video_dir
        self._folders: dict[str, Path] | None = None
        self._refused: dict[str, BadInputError] = {}  # clip -> why its (linked) frame folder is refused
        self._videos: dict[str, Path] | None = None
        self._listing: tuple[str, set[str], set[str]] = ("", set(), set())  # clip, file names, links
        self._3d: OrderedDict[str, dict[int, list[np.ndarray]] | None] = OrderedDict()

    # ---------------------------------------------------------------- links

    def _inside(self, path: Path | str) -> None:
        """Refuse (``link_outside_root``) a path whose symbolic links lead outside the root."""
        check_inside(self.root, path, self.opt.allow_outside_links)

    def walk(self, top: Path, contents: str) -> Walk:
        """``walk_inside`` under ``top``: hidden folders skipped, folder links followed only inside
        the root (each real folder once), a link leading outside refused. The caller may prune
        ``dirs`` before the links among the rest are checked."""
        return walk_inside(
            self.root,
            self.policy,
            allow_outside_links=self.opt.allow_outside_links,
            top=top,
            contents=contents,
        )

    # ---------------------------------------------------------------- indexes (built once, lazily)

    @property
    def frame_folders(self) -> dict[str, Path]:
        """Clip name -> its frame folder: one walk under ``image_dir`` that never enters a clip folder.

        A clip folder that is a link leading outside the root is kept aside in ``_refused``: its
        frames are refused one by one when the clip is read (the unit a skip drops).
        """
        if self._folders is None:
            folders: dict[str, Path] = {}
            for folder, dirs, _files in self.walk(self.image_root, "frame folders"):
                keep = []
                for d in dirs:
                    if parse_clip_name(d, self.opt.clip_pattern) is None:
                        keep.append(d)
                    elif d in folders or d in self._refused:
                        self.policy.count("duplicate_frame_folder")
                    else:
                        self._add_folder(folders, d, folder / d)
                dirs[:] = keep  # prune: clip folders hold the (millions of) frames
            self._folders = folders
            self.policy.count("frame_folders", len(folders))
        return self._folders

    def _add_folder(self, folders: dict[str, Path], clip: str, path: Path) -> None:
        try:
            if path.is_symlink():
                self._inside(path)
        except BadInputError as err:
            self._refused[clip] = err
            return
        folders[clip] = path

    @property
    def videos(self) -> dict[str, Path]:
        """Video file name -> path, from one walk under ``video_dir`` (first in sorted order wins)."""
        if self._videos is None:
            videos: dict[str, Path] = {}
            for folder, _dirs, files in self.walk(self.video_root, "videos"):
                for name in files:
                    if name.startswith("."):
                        continue
                    if name in videos:
                        self.policy.count("duplicate_video_name")
                        continue
                    videos[name] = folder / name
            self._videos = videos
            self.policy.count("video_files", len(videos))
        return self._videos

    def _listed(self, clip: str, folder: Path) -> tuple[set[str], set[str]]:
        """The file names in a clip's frame folder and which of them are links (one listing per clip)."""
        if self._listing[0] != clip:
            names: set[str] = set()
            links: set[str] = set()
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        names.add(entry.name)
                        if entry.is_symlink():
                            links.add(entry.name)
            except OSError:
                self.policy.count("unlistable_frame_folders")
            self._listing = (clip, names, links)
        return self._listing[1], self._listing[2]

    def _jpeg(self, clip: str, frame: _Frame, json_path: Path) -> Path | None:
        """The frame's JPEG, checked per ``verify_images``; None when there is none on disk.

        Raises ``BadInputError`` for a JPEG (or clip folder) that exists but cannot be used.
        """
        image = frame.image
        folder = self.frame_folders.get(clip)  # builds the index, and _refused with it
        refused = self._refused.get(clip)
        if refused is not None:
            raise BadInputError(refused.path, f"img_no {image.img_no}: {refused.reason}", refused.kind)
        if folder is None:
            return None
        names, links = self._listed(clip, folder)
        if image.basename not in names:
            return None
        jpeg = folder / image.basename
        if image.basename in links:
            self._inside(jpeg)
        self._verify(jpeg, image, json_path)
        return jpeg

    def _verify(self, jpeg: Path, image: _Image, json_path: Path) -> None:
        expect = (image.width, image.height)
        if self.opt.verify_images == "full":
            check_image(jpeg, expect)
        elif self.opt.verify_images == "header":
            size = read_image_header(jpeg)
            if size != expect:
                reason = (
                    f"image is {size[0]}x{size[1]} but {json_path} annotates img_no {image.img_no} "
                    f"as {expect[0]}x{expect[1]}"
                )
                raise BadInputError(jpeg, reason, "size_mismatch")

    # ---------------------------------------------------------------- one clip

    def read_clip(self, path: Path, name: ClipName) -> list[_Frame]:
        self._inside(path)
        images, annotations = _sections(path, load_json(path, "bad_json"))
        if not images or not annotations:
            empty = "images" if not images else "annotations"
            raise BadInputError(path, f"{empty}[] is empty: the clip has no annotated frame", "empty_clip")
        entries, bad_nos = self._images(path, images)
        frames = {no: _Frame(entry, 0) for no, entry in sorted(entries.items())}
        people = self._people(path, annotations, entries, bad_nos, frames)
        fmt = self.opt.bbox_format
        if fmt == "auto":
            fmt = _decide_format(people)
        if fmt == "xywh":
            self.policy.count("bbox_xywh_files")
        for frame in frames.values():
            kept = []
            for person in frame.people:
                try:
                    person.box = self._box(path, person, fmt, frame.image)
                except BadInputError as err:
                    self.policy.handle(err)
                    continue
                kept.append(person)
            frame.people = kept
        self.policy.count("frames_without_people", sum(f.total == 0 for f in frames.values()))
        self.policy.count(
            "frames_all_people_skipped", sum(f.total > 0 and not f.people for f in frames.values())
        )
        return self._resolve(path, name, [f for f in frames.values() if f.people])

    def _images(self, path: Path, images: list) -> tuple[dict[int, _Image], set[int]]:
        entries: dict[int, _Image] = {}
        bad: set[int] = set()
        for i, entry in enumerate(images):
            img_no = _as_int(entry.get("img_no")) if isinstance(entry, dict) else None
            try:
                if img_no is not None and (img_no in entries or img_no in bad):
                    reason = f"images[{i}]: img_no {img_no} appears twice in images[] (first one kept)"
                    raise BadInputError(path, reason, "duplicate_image_entry")
                entries[img_no] = self._image(path, i, entry, img_no)  # type: ignore[index]
            except BadInputError as err:
                if img_no is not None and img_no not in entries:
                    bad.add(img_no)
                self.policy.handle(err)
        return entries, bad

    def _image(self, path: Path, i: int, entry: Any, img_no: int | None) -> _Image:
        if not isinstance(entry, dict):
            raise BadInputError(path, f"images[{i}] is not an object: {entry!r:.80}", "bad_json")
        if img_no is None:
            raise BadInputError(
                path, f"images[{i}] has no integer img_no ({entry.get('img_no')!r})", "bad_json"
            )
        where = f"images[{i}] (img_no {img_no})"
        img_path = entry.get("img_path")
        if not isinstance(img_path, str) or not img_path.strip():
            raise BadInputError(path, f"{where}: img_path must be a file name, got {img_path!r}", "bad_json")
        try:
            resolve_inside(self.root, img_path, self.opt.allow_outside_links)
        except BadInputError as err:  # path_escape, or link_outside_root
            raise BadInputError(path, f"{where}: img_path {img_path!r}: {err.reason}", err.kind) from err
        basename = img_path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
        if basename in ("", ".", ".."):
            raise BadInputError(path, f"{where}: img_path {img_path!r} names no file", "bad_json")
        size = {k: _as_int(entry.get(k)) for k in ("width", "height")}
        for key, value in size.items():
            if value is None or value <= 0:
                reason = f"{where}: {key} must be a positive integer, got {entry.get(key)!r}"
                raise BadInputError(path, reason, "bad_json")
        number = frame_number(basename, self.opt.frame_pattern)
        if number is None:
            self.policy.count("frame_number_from_img_no")
            number = img_no
        return _Image(
            img_no,
            img_path,
            basename,
            size["width"],  # type: ignore[arg-type]
            size["height"],  # type: ignore[arg-type]
            entry.get("action_category"),
            number,
        )

    def _people(
        self,
        path: Path,
        annotations: list,
        entries: dict[int, _Image],
        bad_nos: set[int],
        frames: dict[int, _Frame],
    ) -> list[_Person]:
        people = []
        for i, ann in enumerate(annotations):
            try:
                if not isinstance(ann, dict):
                    raise BadInputError(path, f"annotations[{i}] is not an object: {ann!r:.80}", "bad_json")
                img_no = _as_int(ann.get("img_no"))
                if img_no is None:
                    reason = f"annotations[{i}] has no integer img_no ({ann.get('img_no')!r})"
                    raise BadInputError(path, reason, "bad_json")
                if img_no in bad_nos:  # its images[] entry was bad input already
                    self.policy.count("people_of_bad_frames")
                    continue
                if img_no not in entries:
                    reason = f"annotations[{i}] refers to img_no {img_no}, which has no images[] entry"
                    raise BadInputError(path, reason, "missing_image_entry")
                frame = frames[img_no]
                where = f"annotations[{i}] (img_no {img_no})"
                position = frame.total
                frame.total += 1
                keypoints = _parse_keypoints(path, where, ann.get("keypoints"), self.opt.num_joints)
                self._check_inside(path, where, keypoints, frame.image)
            except BadInputError as err:
                self.policy.handle(err)
                continue
            person = _Person(position, keypoints, raw_bbox=ann.get("bbox"), where=where)
            frame.people.append(person)
            people.append(person)
        return people

    def _check_inside(self, path: Path, where: str, keypoints: np.ndarray, image: _Image) -> None:
        outside = _outside(keypoints, image.width, image.height)
        visible_out = np.flatnonzero(outside & (keypoints[:, 2] == 2))
        if len(visible_out):
            j = int(visible_out[0])
            x, y = keypoints[j, :2]
            reason = (
                f"{where}: {_joint_name(j, len(keypoints))} is visible (flag 2) at ({x:g}, {y:g}), outside the "
                f"{image.width}x{image.height} image ({len(visible_out)} such joints)"
            )
            raise BadInputError(path, reason, "joint_outside_image")
        self.policy.count("occluded_outside_image", int((outside & (keypoints[:, 2] == 1)).sum()))

    def _box(self, path: Path, person: _Person, fmt: str, image: _Image) -> np.ndarray:
        box = _numeric_box(person.raw_bbox)
        labelled = person.keypoints[person.keypoints[:, 2] > 0, :2]
        if box is None:
            if not len(labelled):
                reason = f"{person.where}: bbox {person.raw_bbox!r} is not 4 numbers and the person has no labelled joints"
                raise BadInputError(path, reason, "bad_bbox")
            self.policy.count("bbox_from_joints")
            xyxy, described = (
                [*labelled.min(0).tolist(), *labelled.max(0).tolist()],
                "derived from the joints",
            )
        else:
            xyxy, swapped = _as_xyxy(box, fmt)
            if swapped:
                self.policy.count("bbox_corners_swapped")
            described = f"{box} read as {fmt}"
        clipped = [
            min(max(xyxy[0], 0.0), image.width),
            min(max(xyxy[1], 0.0), image.height),
            min(max(xyxy[2], 0.0), image.width),
            min(max(xyxy[3], 0.0), image.height),
        ]
        if clipped != xyxy:
            self.policy.count("bbox_clipped")
        if clipped[2] - clipped[0] < MIN_BOX_SIZE or clipped[3] - clipped[1] < MIN_BOX_SIZE:
            reason = (
                f"{person.where}: bbox {described} is degenerate after clipping to the "
                f"{image.width}x{image.height} image ({[round(v, 2) for v in clipped]})"
            )
            raise BadInputError(path, reason, "bad_bbox")
        return np.asarray(clipped, np.float32)

    # ---------------------------------------------------------------- frames on disk

    def _resolve(self, path: Path, name: ClipName, frames: list[_Frame]) -> list[_Frame]:
        need_video = []
        for frame in frames:
            if self.opt.frames != "video":
                try:
                    jpeg = self._jpeg(name.clip, frame, path)
                except BadInputError as err:  # a JPEG that is there but unusable: not replaced by video
                    self.policy.handle(err)
                    continue
                if jpeg is not None:
                    frame.path, frame.source = jpeg, "image"
                    continue
                if self.opt.frames == "images":
                    self.policy.handle(BadInputError(path, self._no_jpeg(name, frame), "missing_frame"))
                    continue
            need_video.append(frame)
        if need_video:
            self._from_video(path, name, need_video)
        return [f for f in frames if f.path is not None]

    def _no_jpeg(self, name: ClipName, frame: _Frame) -> str:
        where = f"img_no {frame.image.img_no} ({frame.image.img_path})"
        folder = self.frame_folders.get(name.clip)
        if folder is None:
            return f"{where}: no frame folder named {name.clip} under {self.image_root}"
        return f"{where}: frame file {folder / frame.image.basename} does not exist"

    def _from_video(self, path: Path, name: ClipName, frames: list[_Frame]) -> None:
        file_name = self.opt.video_name.format(**_name_fields(name))
        video = self.videos.get(file_name)
        if video is None:
            for frame in frames:
                jpeg = (
                    self._no_jpeg(name, frame)
                    if self.opt.frames != "video"
                    else f"img_no {frame.image.img_no}"
                )
                reason = f"{jpeg}; and no video {file_name} under {self.video_root} to decode it from"
                self.policy.handle(BadInputError(path, reason, "missing_frame"))
            return
        if self.opt.frame_cache_dir is None:
            raise ValueError(
                f"frames of clip {name.clip} must be decoded from {video}, but no frame cache is set: set "
                "dataset.reader.frame_cache_dir to a writable folder (or frames=images to use only the JPEGs)"
            )
        try:
            self._inside(video)
        except BadInputError as err:
            self._drop_each(frames, err)
            return
        folder = frame_cache_folder(
            self.opt.frame_cache_dir, name.clip, video, self.opt.annotation_fps, self.opt.first_frame_number
        )
        missing = [f for f in frames if not (folder / f.image.basename).is_file()]
        dropped: set[int] = set()
        try:
            if missing:
                self._extract(path, video, folder, missing, dropped)
        except BadInputError as err:  # the video failed: none of its frames is used, cached ones included,
            # so that a second read (finding the frames extracted before the failure) reads the same
            self._drop_each([f for f in frames if f.image.img_no not in dropped], err)
            return
        for frame in frames:
            target = folder / frame.image.basename
            if frame.image.img_no not in dropped and target.is_file():
                frame.path, frame.source = target, "video"

    def _drop_each(self, frames: list[_Frame], err: BadInputError) -> None:
        """Count ``err`` once per frame it costs (raise mode: raise it for the first)."""
        for frame in frames:
            self.policy.handle(
                BadInputError(err.path, f"img_no {frame.image.img_no}: {err.reason}", err.kind)
            )

    def _extract(
        self, path: Path, video: Path, folder: Path, frames: list[_Frame], dropped: set[int]
    ) -> None:
        """Decode ``frames`` into ``folder``, adding to ``dropped`` the img_nos that cannot be had.

        Raises ``BadInputError`` when the video itself fails (cannot be opened, decoded, too short).
        """
        info = probe_video(video)
        by_index: dict[int, list[_Frame]] = {}
        for frame in frames:
            try:
                by_index.setdefault(self._video_index(path, video, info, frame), []).append(frame)
            except BadInputError as err:
                dropped.add(frame.image.img_no)
                self.policy.handle(err)
        names = {i: fs[0].image.basename for i, fs in by_index.items()}
        paths = extract_frames(video, list(names), folder, names=names)
        for i, group in by_index.items():
            for frame in group[1:]:  # two annotated frames on one video frame
                copy_atomic(paths[i], folder / frame.image.basename)

    def _video_index(self, path: Path, video: Path, info: Any, frame: _Frame) -> int:
        image = frame.image
        index = video_frame_index(
            image.frame,
            first_frame_number=self.opt.first_frame_number,
            video_fps=info.fps,
            annotation_fps=self.opt.annotation_fps,
        )
        if index < 0:
            reason = (
                f"img_no {image.img_no} ({image.img_path}): frame {image.frame} comes before "
                f"first_frame_number {self.opt.first_frame_number}, so it has no frame in {video}"
            )
            raise BadInputError(path, reason, "bad_frame_number")
        if (info.width, info.height) != (image.width, image.height):
            reason = (
                f"frames are {info.width}x{info.height} but {path} annotates img_no {image.img_no} "
                f"as {image.width}x{image.height}"
            )
            raise BadInputError(video, reason, "video_size_mismatch")
        return index

    # ---------------------------------------------------------------- 3D

    def joints_3d(self, name: ClipName) -> dict[int, list[np.ndarray]] | None:
        """img_no -> the take's 3D skeletons (file order); None without a usable 3D file."""
        key = name.take_key
        if key in self._3d:
            self._3d.move_to_end(key)
            return self._3d[key]
        path = (
            self.root / self.opt.annotation_3d_dir / self.opt.annotation_3d_name.format(**_name_fields(name))
        )
        table = None
        if not path.is_file() and not path.is_symlink():
            self.policy.count("no_3d_file")
        else:
            try:
                self._inside(path)
                table = self._read_3d(path)
            except BadInputError as err:
                self.policy.handle(err)
        self._3d[key] = table
        while len(self._3d) > THREE_D_CACHE_TAKES:
            self._3d.popitem(last=False)
        return table

    def _read_3d(self, path: Path) -> dict[int, list[np.ndarray]]:
        data = load_json(path, "bad_3d")
        if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
            raise BadInputError(path, "expected a JSON object with an annotations list", "bad_3d")
        key, joints = self.opt.keypoints_3d_key, self.opt.num_joints
        table: dict[int, list[np.ndarray]] = {}
        for i, entry in enumerate(data["annotations"]):
            try:
                img_no = _as_int(entry.get("img_no")) if isinstance(entry, dict) else None
                if img_no is None:
                    raise BadInputError(
                        path, f"annotations[{i}] is not an object with an integer img_no", "bad_3d"
                    )
                values = np.asarray(entry.get(key), dtype=object).ravel()
                if len(values) != joints * 3 or not all(_is_coord(v) for v in values):
                    reason = (
                        f"annotations[{i}] (img_no {img_no}): {key} must hold {joints} x 3 = {joints * 3} "
                        f"numbers, got {entry.get(key)!r:.80}"
                    )
                    raise BadInputError(path, reason, "bad_3d")
            except BadInputError as err:
                self.policy.handle(err)
                continue
            table.setdefault(img_no, []).append(values.astype(np.float32).reshape(joints, 3))
        return table


# ------------------------------------------------------------------------------------------ entry


def _annotation_files(folder: Path, reader: _Reader) -> list[tuple[str, Path]]:
    """(clip id, path) of every ``*_2D.json`` under ``folder``, sorted by clip id then path."""
    found = []
    suffix = ANNOTATION_2D_SUFFIX.lower()
    policy = reader.policy
    for current, _dirs, files in reader.walk(folder, "annotation files"):
        for file in files:
            if not file.lower().endswith(suffix):
                continue
            if file.startswith("."):
                policy.count("ignored_hidden_files")
                continue
            found.append((file[: -len(suffix)], current / file))
    return sorted(found, key=lambda item: (item[0], item[1].relative_to(folder).as_posix()))


def _select_clips(
    files: list[tuple[str, Path]],
    policy: ErrorPolicy,
    clip_pattern: str,
    actions: set[int] | None,
    max_clips: int | None,
) -> list[tuple[Path, ClipName]]:
    selected: list[tuple[Path, ClipName]] = []
    seen: dict[str, Path] = {}
    found_actions: Counter[int] = Counter()
    for clip, path in files:
        name = parse_clip_name(clip, clip_pattern)
        if name is None:
            reason = f"clip name {clip!r} does not match clip_pattern {clip_pattern!r}"
            policy.handle(BadInputError(path, reason, "bad_clip_name"))
            continue
        if clip in seen:
            reason = f"clip {clip} is annotated twice: {seen[clip]} was read"
            policy.handle(BadInputError(path, reason, "duplicate_clip"))
            continue
        seen[clip] = path
        found_actions[name.action] += 1
        if actions is not None and name.action not in actions:
            policy.count("excluded_action")
            continue
        selected.append((path, name))
    if actions is not None and not selected and found_actions:
        raise FileNotFoundError(
            f"no clips of actions {sorted(actions)}; the annotation files have actions {sorted(found_actions)}"
        )
    return selected if max_clips is None else selected[:max_clips]


def read_human_motion(
    root: str | Path,
    policy: ErrorPolicy,
    *,
    annotation_dir: str = ANNOTATION_2D_DIR,
    clip_pattern: str = DEFAULT_CLIP_PATTERN,
    frame_pattern: str = DEFAULT_FRAME_PATTERN,
    image_dir: str = IMAGE_DIR,
    video_dir: str = VIDEO_DIR,
    video_name: str = "{clip}.mp4",
    frames: str = "auto",
    annotation_fps: float = 3.0,
    first_frame_number: int = 1,
    frame_cache_dir: str | Path | None = None,
    bbox_format: str = "auto",
    num_joints: int = 16,
    annotation_3d_dir: str = ANNOTATION_3D_DIR,
    annotation_3d_name: str = "{scenario}/{scenario}_{take}_3D.json",
    keypoints_3d_key: str = "keypoints_3d",
    read_3d: bool = True,
    actions: Iterable[int] | None = None,
    max_clips: int | None = None,
    verify_images: str = "header",
    allow_outside_links: bool = False,
) -> list[KeypointSample]:
    """One ``KeypointSample`` per annotated frame of the release under ``root`` (module docstring).

    ``annotation_dir`` is walked for ``*_2D.json``; the clip id (file stem without ``_2D``) must match
    ``clip_pattern`` (groups scenario, take, camera, optional action). ``actions`` keeps those action
    numbers (the rest counted ``excluded_action``); ``max_clips`` keeps the first clips in sorted order.
    ``frames``: ``images`` (JPEGs only), ``video`` (always decode the mp4 ``video_name`` found under
    ``video_dir``) or ``auto`` (JPEG if there, else the video). Decoding needs ``frame_cache_dir``;
    the video frame of annotated frame n is ``round((n - first_frame_number) * video_fps /
    annotation_fps)`` [A]. ``bbox_format``: ``xyxy``, ``xywh`` or ``auto`` (per file). The 3D file of a
    take is ``annotation_3d_dir/annotation_3d_name`` (a template like ``video_name``).
    ``verify_images`` checks each frame JPEG found on disk: ``none``, ``header`` (its size against the
    annotated width and height, one header read per frame) or ``full`` (decodes it: truncation).
    ``allow_outside_links``: follow symbolic links (files or folders) whose target is outside ``root``;
    by default they are refused (``link_outside_root``).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"human-motion dataset root {root} is not a directory")
    _option(frames, FRAME_MODES, "frames")
    _option(bbox_format, BBOX_FORMATS, "bbox_format")
    check_verify_mode(verify_images)
    if not (
        isinstance(annotation_fps, (int, float)) and math.isfinite(annotation_fps) and annotation_fps > 0
    ):
        raise ValueError(f"annotation_fps must be a positive number, got {annotation_fps!r}")
    if not isinstance(num_joints, int) or num_joints < 1:
        raise ValueError(f"num_joints must be a positive integer, got {num_joints!r}")
    if max_clips is not None and (not isinstance(max_clips, int) or max_clips < 0):
        raise ValueError(f"max_clips must be None or a non-negative integer, got {max_clips!r}")
    _check_pattern(clip_pattern, ("scenario", "take", "camera"), "clip_pattern")
    _check_pattern(frame_pattern, ("frame",), "frame_pattern")
    _check_template(video_name, "video_name")
    _check_template(annotation_3d_name, "annotation_3d_name")
    if frames == "video" and frame_cache_dir is None:
        raise ValueError("frames=video decodes every frame from the mp4s: set dataset.reader.frame_cache_dir")
    action_set = None if actions is None else {int(a) for a in actions}
    options = _Options(
        frames=frames,
        annotation_fps=float(annotation_fps),
        first_frame_number=int(first_frame_number),
        frame_cache_dir=None if frame_cache_dir is None else Path(frame_cache_dir),
        bbox_format=bbox_format,
        num_joints=num_joints,
        clip_pattern=clip_pattern,
        frame_pattern=frame_pattern,
        video_name=video_name,
        annotation_3d_dir=annotation_3d_dir,
        annotation_3d_name=annotation_3d_name,
        keypoints_3d_key=keypoints_3d_key,
        verify_images=verify_images,
        allow_outside_links=bool(allow_outside_links),
    )
    folder = root / annotation_dir
    if not folder.is_dir():
        raise FileNotFoundError(f"no 2D annotation folder {folder}: set dataset.reader.annotation_dir")
    reader = _Reader(root, policy, options, image_dir, video_dir)
    files = _annotation_files(folder, reader)
    if not files:
        raise FileNotFoundError(f"no *{ANNOTATION_2D_SUFFIX} annotation files under {folder}")
    clips = _select_clips(files, policy, clip_pattern, action_set, max_clips)
    samples: list[KeypointSample] = []
    for path, name in clips:
        try:
            clip_frames = reader.read_clip(path, name)
        except BadInputError as err:
            policy.handle(err)
            continue
        policy.count("clips")
        table = reader.joints_3d(name) if read_3d and clip_frames else None
        for frame in clip_frames:
            samples.append(_sample(frame, name, _frame_3d(frame, table, policy), len(samples)))
    _count(samples, policy)
    log.info(
        "human motion: %d frames with %d people from %d clips (%d frames decoded from video)",
        len(samples),
        policy.stats["people"],
        policy.stats["clips"],
        policy.stats["frames_from_video"],
    )
    return samples


def _frame_3d(
    frame: _Frame, table: dict[int, list[np.ndarray]] | None, policy: ErrorPolicy
) -> np.ndarray | None:
    if table is None:
        return None
    skeletons = table.get(frame.image.img_no)
    if skeletons is None:
        return None
    if len(skeletons) != frame.total:
        policy.count("3d_people_mismatch")
        return None
    return np.stack([skeletons[p.position] for p in frame.people])


def _sample(frame: _Frame, name: ClipName, joints_3d: np.ndarray | None, image_id: int) -> KeypointSample:
    image = frame.image
    assert frame.path is not None
    boxes = [p.box for p in frame.people if p.box is not None]
    assert len(boxes) == len(frame.people), "every kept person has a box"
    return KeypointSample(
        image_path=frame.path,
        width=image.width,
        height=image.height,
        boxes=np.stack(boxes),
        keypoints=np.stack([p.keypoints for p in frame.people]),
        image_id=image_id,
        group=name.take_key,
        joints_3d=joints_3d,
        meta={
            "clip": name.clip,
            "scenario": name.scenario,
            "action": name.action,
            "take": name.take,
            "camera": name.camera,
            "img_no": image.img_no,
            "frame": image.frame,
            "action_category": image.action_category,
            "img_path": image.img_path,
            "source": frame.source,
            "skipped_people": frame.total - len(frame.people),
        },
    )


def _count(samples: list[KeypointSample], policy: ErrorPolicy) -> None:
    policy.count("frames", len(samples))
    policy.count("people", sum(len(s.boxes) for s in samples))
    policy.count("frames_from_video", sum(s.meta["source"] == "video" for s in samples))
    policy.count("with_3d", sum(s.joints_3d is not None for s in samples))
    for flag in (0, 1, 2):
        policy.count(f"flag_{flag}", int(sum((s.keypoints[:, :, 2] == flag).sum() for s in samples)))
