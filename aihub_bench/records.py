"""Typed records: the one seam between "how AI Hub stores it" and "how a task trains on it".

Also the dataset metadata that records are read against (a keypoint dataset's :class:`Skeleton`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class DetectionSample:
    """One image with its objects.

    ``boxes`` are absolute pixel ``[x1, y1, x2, y2]`` (float32, shape ``(N, 4)``) with x1 < x2 and
    y1 < y2; ``labels`` are clean class names (see the dataset's name map); ``polygons`` holds, per
    object, a list of ``(K, 2)`` float arrays (one per polygon part) or is ``None`` for box-only
    annotations. ``group`` is the leakage key: samples sharing it never cross a split.
    """

    image_path: Path
    width: int
    height: int
    boxes: np.ndarray
    labels: list[str]
    polygons: list[list[np.ndarray]] | None = None
    image_id: int = 0
    group: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        if len(self.labels) != len(self.boxes):
            raise ValueError(f"{self.image_path}: {len(self.labels)} labels for {len(self.boxes)} boxes")
        if self.polygons is not None and len(self.polygons) != len(self.boxes):
            raise ValueError(f"{self.image_path}: {len(self.polygons)} polygons for {len(self.boxes)} boxes")

    @property
    def has_masks(self) -> bool:
        return self.polygons is not None


@dataclass
class ClassificationCase:
    """One case of a binary diagnosis task: a patient's views (mammography) or one eye (fundus).

    ``views`` maps a view name (``RCC``, ``LMLO``, ``fundus``...) to its image file; ``label`` is
    1 for the positive class (malignant, disease) and 0 otherwise; ``class_name`` keeps the original
    class (``benign`` is a negative of the malignant task). ``view_labels`` are per-view labels where
    the release says which view shows the finding (lesion annotations); ``None`` means every view
    takes the case label. ``group`` is the leakage unit (patient, person): cases sharing it never
    cross a split or fold, and patient-level metrics aggregate over it.
    """

    case_id: str
    label: int
    views: dict[str, Path]
    group: str
    class_name: str
    view_labels: dict[str, int] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.label not in (0, 1):
            raise ValueError(f"case {self.case_id}: label must be 0 or 1, got {self.label!r}")
        if not self.views:
            raise ValueError(f"case {self.case_id}: no views")
        if self.view_labels is not None and set(self.view_labels) - set(self.views):
            raise ValueError(f"case {self.case_id}: view labels for views it does not have")

    def view_label(self, view: str) -> int:
        """The label of one view: its own where annotated, else the case label."""
        if self.view_labels is not None and view in self.view_labels:
            return self.view_labels[view]
        return self.label


@dataclass
class KeypointSample:
    """One annotated frame with the people in it and their 2D joints.

    ``boxes`` are absolute pixel ``[x1, y1, x2, y2]`` (float32, ``(N, 4)``); ``keypoints`` are
    ``(N, J, 3)`` float32 ``x, y, flag`` in pixels, with the flag 0 (absent: x, y meaningless),
    1 (present but occluded) or 2 (visible). ``joints_3d`` is ``(N, J, 3)`` where the release has
    3D joints for the frame, else ``None``. ``group`` is the leakage key (the take: every camera view
    of it stays on one side of a split). ``meta`` holds names parsed from the release (scenario,
    take, camera, action, frame number...).
    """

    image_path: Path
    width: int
    height: int
    boxes: np.ndarray
    keypoints: np.ndarray
    image_id: int = 0
    group: str = ""
    joints_3d: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32)
        if self.keypoints.ndim != 3 or self.keypoints.shape[-1] != 3:
            raise ValueError(f"{self.image_path}: keypoints must be (N, J, 3), got {self.keypoints.shape}")
        if len(self.keypoints) != len(self.boxes):
            raise ValueError(
                f"{self.image_path}: {len(self.keypoints)} skeletons for {len(self.boxes)} boxes"
            )
        if self.joints_3d is not None:
            self.joints_3d = np.asarray(self.joints_3d, dtype=np.float32)


@dataclass
class TranslationPair:
    """One Korean–English sentence pair of a parallel corpus.

    ``ko`` is the Korean side (원문), ``en`` the English side (번역문); ``domain`` names the workbook's
    domain (뉴스, 구어체, 대화체, 한국문화, 조례, 지자체웹사이트). ``group`` is the leakage unit: a
    dialogue set (``Set Nr.``) stays whole on one side of a split; otherwise the pair itself.
    ``meta`` keeps the release's other columns (ID/SID, date, URL, press, keyword, municipality,
    speaker...) and the source file and row.
    """

    ko: str
    en: str
    domain: str
    pair_id: str
    group: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class SegmentRegion:
    """One annotated region of a semantic-segmentation image: a polygon (possibly in parts).

    ``class_name`` is the class in the dataset's class set (e.g. ``sidewalk`` or, with attributes,
    ``sidewalk/blocks``); ``label`` and ``attribute`` keep the release's own words. ``parts`` are
    ``(K, 2)`` float32 arrays of pixel ``x, y`` (K >= 3). Regions are painted in ascending
    ``z_order`` (ties in file order), later ones over earlier ones.
    """

    class_name: str
    parts: list[np.ndarray]
    z_order: int = 0
    label: str = ""
    attribute: str = ""

    def __post_init__(self) -> None:
        self.parts = [np.asarray(p, dtype=np.float32).reshape(-1, 2) for p in self.parts]


@dataclass
class SegmentationSample:
    """One image with its per-pixel classes, as polygons to paint and/or the release's colour mask.

    ``regions`` (``None`` when the release has only masks) are painted in ascending ``z_order`` onto
    the background; ``mask_path`` is the release's RGB mask (``None`` when absent), decoded through
    the dataset's colour table. ``group`` is the leakage key (the walk); ``meta`` holds what the
    release says about the image (sequence, frame, mask agreement...).
    """

    image_path: Path
    width: int
    height: int
    regions: list[SegmentRegion] | None = None
    mask_path: Path | None = None
    image_id: int = 0
    group: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.regions is None and self.mask_path is None:
            raise ValueError(f"{self.image_path}: neither regions nor a mask")

    def painting_order(self) -> list[SegmentRegion]:
        """The regions in the order they are painted (ascending z_order, stable)."""
        return sorted(self.regions or [], key=lambda r: r.z_order)


@dataclass
class DepthSample:
    """One stereo set: the left image, its disparity map and what turns disparity into metres.

    ``disparity_path`` is a 16-bit PNG whose value / ``disparity_scale`` is the disparity in pixels
    (0 = no value); ``width``/``height`` are its size. The left image may be taller than the
    disparity map (a raw frame against a crop): ``crop_top`` is the left image's row where the
    disparity map's row 0 lies. ``fx`` is the focal length in pixels at the disparity map's
    resolution and ``baseline_m`` the stereo baseline in metres, so depth = fx * baseline / disparity.
    ``right_path`` (the other view) and ``confidence_path`` (binary, 0 = unreliable) are optional.
    ``group`` is the leakage key (the walk).
    """

    left_path: Path
    disparity_path: Path
    width: int
    height: int
    fx: float
    baseline_m: float
    disparity_scale: float = 256.0
    crop_top: int = 0
    right_path: Path | None = None
    confidence_path: Path | None = None
    image_id: int = 0
    group: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fx <= 0 or self.baseline_m <= 0 or self.disparity_scale <= 0:
            raise ValueError(
                f"{self.disparity_path}: fx, baseline and disparity scale must be positive, got "
                f"{self.fx}, {self.baseline_m}, {self.disparity_scale}"
            )


@dataclass(frozen=True)
class Skeleton:
    """What a model and its metrics need to know about a dataset's joints."""

    joints: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    oks_sigmas: tuple[float, ...]
    head_segment: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if len(self.oks_sigmas) != len(self.joints):
            raise ValueError(f"{len(self.oks_sigmas)} OKS sigmas for {len(self.joints)} joints")

    def as_kwargs(self) -> dict[str, Any]:
        """Plain containers (checkpoints must load with ``weights_only=True``)."""
        return {
            "joint_names": list(self.joints),
            "flip_pairs": [list(p) for p in self.flip_pairs],
            "oks_sigmas": list(self.oks_sigmas),
            "head_segment": list(self.head_segment) if self.head_segment else None,
        }


@dataclass
class TextSample:
    """One piece of text in an image: a whole cropped image (printed and handwritten subsets) or a
    box of a scene photo (text in the wild).

    ``text`` is NFC-normalised; ``bbox`` is the ``[x, y, w, h]`` pixel box of the text inside the image
    (``None``: the whole image), already clipped to the image. ``subset`` is ``printed``,
    ``handwriting``, ``augmented`` or ``tiw``; ``kind`` is ``syllable``, ``word``, ``sentence`` or
    (text in the wild) ``character`` / ``word``. ``group`` is the leakage key of the split in use
    (the image for text in the wild, else the image id; protocols may regroup by ``meta["font"]`` or
    ``meta["writer"]``). ``meta`` keeps the release's attributes (font, is_aug, gender, age, job, the
    photo's type, the box class, the annotation id).
    """

    image_path: Path
    text: str
    subset: str
    kind: str
    width: int = 0
    height: int = 0
    bbox: tuple[float, float, float, float] | None = None
    image_id: str = ""
    group: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.text:
            raise ValueError(f"{self.image_path}: empty text")
        if self.bbox is not None:
            x, y, w, h = self.bbox
            if w <= 0 or h <= 0:
                raise ValueError(f"{self.image_path}: box {list(self.bbox)} has no area")
            self.bbox = (float(x), float(y), float(w), float(h))


#: The four capture conditions of a K-Face image, in path order (``S### / L# / E## / C#``).
FACE_FACTORS: tuple[str, ...] = ("accessory", "light", "expression", "camera")


@dataclass
class FaceImage:
    """One face photo of one identity under one capture condition (K-Face).

    ``key`` is the image's path below the resolution folder, ``<id>/S001/L1/E01/C7.jpg``: what the
    public pair lists name. ``accessory`` / ``light`` / ``expression`` / ``camera`` are the path's
    condition codes (``S001``, ``L1``, ``E01``, ``C7``). ``face_box`` is the ``(x, y, w, h)`` pixel
    box of the face when an annotation gives one (``None``: the datamodule centre-crops);
    ``landmarks`` the annotation's 7 points ``(x, y)`` in the dataset's landmark order. ``group``
    is the leakage key: the identity.
    """

    image_path: Path
    identity: str
    accessory: str
    light: str
    expression: str
    camera: str
    key: str
    resolution: str = ""
    width: int = 0
    height: int = 0
    face_box: tuple[float, float, float, float] | None = None
    landmarks: tuple[tuple[float, float], ...] | None = None
    group: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.group:
            self.group = self.identity
        if self.face_box is not None:
            x, y, w, h = self.face_box
            if w <= 0 or h <= 0:
                raise ValueError(f"{self.image_path}: face box {list(self.face_box)} has no area")
            self.face_box = (float(x), float(y), float(w), float(h))

    @property
    def conditions(self) -> dict[str, str]:
        """``{"accessory": "S001", "light": "L1", "expression": "E01", "camera": "C7"}``."""
        return {f: getattr(self, f) for f in FACE_FACTORS}


@dataclass(frozen=True)
class FacePair:
    """One line of a verification pair list: two image keys and whether they show the same person."""

    key_a: str
    key_b: str
    same: bool


#: The label of a window or clip outside every event (temporal localisation; optional in classification).
NORMAL_EVENT = "normal"


@dataclass(frozen=True)
class VideoAction:
    """One person's action in a video: its name and the frame ranges it spans.

    ``ranges`` are 0-based, inclusive ``(start, end)`` frame indices at the video's own frame rate,
    sorted, with overlapping or touching ranges already merged (real XMLs repeat boundary frames).
    """

    person: str
    name: str
    ranges: tuple[tuple[int, int], ...]

    @property
    def frames(self) -> int:
        """How many frames the action covers (each frame once)."""
        return sum(end - start + 1 for start, end in self.ranges)


@dataclass
class VideoClip:
    """One annotated video (CCTV): its event segment, recording conditions and per-person actions.

    ``key`` is the mp4's path below the dataset root without the suffix (unique per video).
    ``event`` is the canonical event name (misspellings and digit suffixes already mapped);
    ``event_start`` / ``event_end`` are 0-based frame indices of the event at the video's frame rate,
    half-open ``[start, end)``. ``num_frames`` is the video's frame count (the header's, or the
    container's when probed). ``take`` is the scene folder (``24-3``), shared by every camera and
    season of one staged take; ``group`` is the leakage key (the take by default): videos sharing it
    never cross a split. ``inout`` is ``indoor`` or ``outdoor``; ``time_of_day`` ``day`` or ``night``.
    """

    video_path: Path
    key: str
    event: str
    event_start: int
    event_end: int
    fps: float
    num_frames: int
    width: int = 0
    height: int = 0
    take: str = ""
    camera: str = ""
    place: str = ""
    inout: str = ""
    time_of_day: str = ""
    season: str = ""
    weather: str = ""
    actions: tuple[VideoAction, ...] = ()
    group: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.group:
            self.group = self.take or self.key
        if not 0 <= self.event_start < self.event_end:
            raise ValueError(
                f"{self.video_path}: event frames [{self.event_start}, {self.event_end}) are empty"
            )
        if self.fps <= 0:
            raise ValueError(f"{self.video_path}: frame rate {self.fps} is not positive")

    @property
    def event_seconds(self) -> tuple[float, float]:
        """The event's start and end in seconds."""
        return self.event_start / self.fps, self.event_end / self.fps


#: A box on one video frame: ``(frame, x1, y1, x2, y2)``, the frame a 0-based index into the mp4,
#: corners in the video's pixels.
FrameBox = tuple[int, float, float, float, float]


@dataclass(frozen=True)
class SpeakingTurn:
    """One speaking turn of a conversation clip (multimodal video): who spoke, what, when, and how.

    ``start`` / ``end`` are 0-based frame indices of the mp4, half-open ``[start, end)``. ``index`` is
    the turn's position in its clip (turns ordered by start, then speaker). ``emotion`` is the label the
    emotion tasks learn (canonical; the ``multimodal`` modality's by default, ``""`` when absent);
    ``emotions`` holds every modality's canonical emotion the speaker carries (``text``, ``sound``,
    ``image``, ``multimodal``). ``intent`` is canonical (``request``, ``question``, ``statement``,
    ``response``; ``""`` when absent), ``strategy`` as given (``SD``, ``VSN``, ``QESD``). ``boxes`` are
    the speaker's boxes on the annotated frames inside the turn, sorted by frame.
    """

    index: int
    speaker: str
    script: str
    start: int
    end: int
    intent: str = ""
    strategy: str = ""
    emotion: str = ""
    emotions: dict[str, str] = field(default_factory=dict)
    morphemes: tuple[tuple[str, str], ...] = ()
    boxes: tuple[FrameBox, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(
                f"turn {self.index} of {self.speaker}: frames [{self.start}, {self.end}) are empty"
            )


@dataclass(frozen=True)
class PersonTrack:
    """One person (actor) of a conversation clip: gender and age group, and their boxes over the clip.

    ``gender`` is ``male`` / ``female`` (``""`` when absent), ``age`` a decade group such as ``20s``
    (``""`` when absent). ``boxes`` are the person's boxes on every annotated frame, sorted by frame;
    ``image_emotions`` the ``(frame, emotion)`` pairs of image-only emotions a listener carries.
    """

    person: str
    gender: str = ""
    age: str = ""
    boxes: tuple[FrameBox, ...] = ()
    image_emotions: tuple[tuple[int, str], ...] = ()


@dataclass
class ConversationClip:
    """One clip of the multimodal video dataset: an mp4 of an acted conversation and its JSON.

    ``key`` is the JSON's path below the root without the suffix (``clip_12/clip_12``); ``clip_id`` the
    JSON's own. ``num_frames`` is the JSON's ``nr_frame`` (or the container's count when it is smaller and
    within tolerance); ``fps`` the container's (0 when not probed). ``turns`` are ordered as in
    :class:`SpeakingTurn`; ``persons`` sorted by id. ``objects`` counts the non-person objects by label;
    ``qa`` holds ``(frame, question, answer)`` entries. ``group`` is the leakage key (the clip by default,
    or its ``situation``): clips sharing it never cross a split.
    """

    video_path: Path
    json_path: Path
    key: str
    clip_id: str
    num_frames: int
    width: int
    height: int
    fps: float = 0.0
    situation: str = ""
    category: str = ""
    turns: tuple[SpeakingTurn, ...] = ()
    persons: tuple[PersonTrack, ...] = ()
    objects: dict[str, int] = field(default_factory=dict)
    qa: tuple[tuple[int, str, str], ...] = ()
    group: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.group:
            self.group = self.key
        if self.num_frames < 1 or self.width < 1 or self.height < 1:
            raise ValueError(
                f"{self.json_path}: {self.num_frames} frames of {self.width}x{self.height} is not a video"
            )

    def person(self, person_id: str) -> PersonTrack | None:
        """The track of ``person_id``, or ``None``."""
        return next((p for p in self.persons if p.person == person_id), None)
