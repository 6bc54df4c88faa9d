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
