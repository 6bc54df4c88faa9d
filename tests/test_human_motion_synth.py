"""The synthetic human-motion twin: real layout, JSON schema, flags, synchronised cameras, videos, caching."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from aihub_bench.datasets import human_motion
from aihub_bench.datasets.human_motion.layout import (
    ANNOTATION_2D_DIR,
    ANNOTATION_3D_DIR,
    IMAGE_DIR,
    NUM_JOINTS,
    VIDEO_DIR,
    clip_name,
    frame_number,
    parse_clip_name,
)
from aihub_bench.datasets.human_motion.synth import write_synthetic_human_motion
from aihub_bench.datasets.registry import ensure_twin

SMALL = {
    "actions": (1, 2, 3, 4),
    "takes_per_scenario": 2,
    "cameras": 3,
    "frames_per_clip": 4,
    "image_size": (72, 96),  # [height, width]
    "with_3d_fraction": 0.25,
}
TINY = {
    "actions": (2, 3),
    "takes_per_scenario": 1,
    "cameras": 2,
    "frames_per_clip": 3,
    "image_size": (64, 64),
}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for name, data in _files(root).items():
        h.update(name.encode())
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def _clips(params: dict) -> list[tuple[int, str, int, str]]:
    """(action, scenario, take, clip) for every clip the parameters ask for."""
    out = []
    for a in params.get("actions", (1, 2, 3, 4)):
        for s in range(1, params.get("scenes_per_action", 1) + 1):
            for t in range(1, params.get("takes_per_scenario", 3) + 1):
                for c in range(1, params.get("cameras", 4) + 1):
                    out.append((a, f"{a}-{s}", t, clip_name(f"{a}-{s}", t, c)))
    return out


def _frame_path(root: Path, action: int, scenario: str, clip: str, frame: int) -> Path:
    return (
        root
        / IMAGE_DIR
        / f"image_action_{action}"
        / f"image_{scenario}"
        / scenario
        / clip
        / f"{clip}_{frame:04d}.jpg"
    )


def _video_path(root: Path, action: int, scenario: str, clip: str) -> Path:
    return root / VIDEO_DIR / f"video_action_{action}" / scenario / f"{clip}.mp4"


def _load_2d(root: Path, scenario: str, clip: str) -> dict:
    return json.loads((root / ANNOTATION_2D_DIR / scenario / f"{clip}_2D.json").read_text(encoding="utf-8"))


def _read_video(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_human_motion(tmp_path_factory.mktemp("human_motion") / "twin", **SMALL)


def test_layout_matches_the_release(twin: Path) -> None:
    n = SMALL["frames_per_clip"]
    expected = set()
    for action, scenario, _, clip in _clips(SMALL):
        expected.add(f"{ANNOTATION_2D_DIR}/{scenario}/{clip}_2D.json")
        expected.add(_video_path(twin, action, scenario, clip).relative_to(twin).as_posix())
        for k in range(1, n + 1):
            expected.add(_frame_path(twin, action, scenario, clip, k).relative_to(twin).as_posix())
        parsed = parse_clip_name(clip)
        assert parsed is not None and parsed.action == action and parsed.scenario == scenario
    names = set(_files(twin))
    three_d = {name for name in names if name.startswith(ANNOTATION_3D_DIR + "/")}
    assert names - three_d == expected
    assert three_d, "at least one take has 3D"
    takes = {f"{scenario}_{take:03d}" for _, scenario, take, _ in _clips(SMALL)}
    for name in three_d:
        scenario, file = name[len(ANNOTATION_3D_DIR) + 1 :].split("/")
        assert re.fullmatch(re.escape(scenario) + r"_\d{3}_3D\.json", file)
        assert file[: -len("_3D.json")] in takes
    assert len(three_d) <= len(takes) // 2
    assert {p.name for p in twin.iterdir()} == {"annotation", IMAGE_DIR, VIDEO_DIR}


def test_2d_json_schema(twin: Path) -> None:
    h, w = SMALL["image_size"]
    for action, scenario, _, clip in _clips(SMALL):
        doc = _load_2d(twin, scenario, clip)
        assert set(doc) == {"images", "annotations"}
        assert [im["img_no"] for im in doc["images"]] == list(range(1, SMALL["frames_per_clip"] + 1))
        assert [an["img_no"] for an in doc["annotations"]] == [im["img_no"] for im in doc["images"]]
        for im, an in zip(doc["images"], doc["annotations"], strict=True):
            assert set(im) == {"img_no", "img_path", "width", "height", "action_category"}
            assert im["img_path"] == f"{scenario}/{clip}/{clip}_{im['img_no']:04d}.jpg"
            assert frame_number(im["img_path"]) == im["img_no"]
            assert (im["width"], im["height"], im["action_category"]) == (w, h, action)
            assert all(type(im[k]) is int for k in ("img_no", "width", "height", "action_category"))
            assert set(an) == {"img_no", "bbox", "keypoints"}
            assert len(an["bbox"]) == 4 and all(type(v) is float for v in an["bbox"])
            kp = an["keypoints"]
            assert len(kp) == 3 * NUM_JOINTS
            assert all(type(v) is float and round(v, 2) == v for v in kp[0::3] + kp[1::3])
            assert all(type(v) is int for v in kp[2::3])
            jpg = cv2.imread(str(_frame_path(twin, action, scenario, clip, im["img_no"])))
            assert jpg is not None and jpg.shape == (h, w, 3)


def test_flags_and_boxes(twin: Path) -> None:
    h, w = SMALL["image_size"]
    counts = np.zeros(3, int)
    for _, scenario, _, clip in _clips(SMALL):
        for an in _load_2d(twin, scenario, clip)["annotations"]:
            kp = np.array(an["keypoints"]).reshape(NUM_JOINTS, 3)
            flags = kp[:, 2].astype(int)
            assert set(flags) <= {0, 1, 2}
            counts += np.bincount(flags, minlength=3)
            present = kp[flags > 0, :2]
            assert ((present >= 0) & (present <= [w - 1, h - 1])).all()
            assert (kp[flags == 0, :2] == 0).all()
            x1, y1, x2, y2 = an["bbox"]
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
            assert ((present >= [x1, y1]) & (present <= [x2, y2])).all()
    assert (counts > 0).all(), counts
    assert counts[2] > 0.8 * counts.sum() and counts[0] < 0.1 * counts.sum()


def _dlt_error(points_3d: np.ndarray, points_2d: np.ndarray) -> float:
    """Fit a 3x4 camera to the correspondences (normalised DLT); return the max reprojection error (px)."""
    mean3, scale3 = points_3d.mean(0), points_3d.std()
    mean2, scale2 = points_2d.mean(0), points_2d.std()
    X = np.hstack([(points_3d - mean3) / scale3, np.ones((len(points_3d), 1))])
    x = (points_2d - mean2) / scale2
    rows = []
    for Xi, (u, v) in zip(X, x, strict=True):
        rows.append(np.concatenate([Xi, np.zeros(4), -u * Xi]))
        rows.append(np.concatenate([np.zeros(4), Xi, -v * Xi]))
    P = np.linalg.svd(np.array(rows))[2][-1].reshape(3, 4)
    proj = X @ P.T
    reproj = proj[:, :2] / proj[:, 2:] * scale2 + mean2
    return float(np.abs(reproj - points_2d).max())


def test_cameras_film_the_same_3d_pose(twin: Path) -> None:
    """Every camera's 2D keypoints are one pinhole projection of the take's 3D joints at the same img_no."""
    files = sorted((twin / ANNOTATION_3D_DIR).rglob("*_3D.json"))
    assert files
    for path in files:
        take_key = path.name[: -len("_3D.json")]
        anns = json.loads(path.read_text(encoding="utf-8"))["annotations"]
        assert set(anns[0]) == {"img_no", "keypoints_3d"}
        assert [a["img_no"] for a in anns] == list(range(1, SMALL["frames_per_clip"] + 1))
        world = {a["img_no"]: np.array(a["keypoints_3d"]).reshape(NUM_JOINTS, 3) for a in anns}
        for pose in world.values():
            assert 900 < pose[:, 1].max() < 2500  # mm, y up
            assert 0 < pose[:, 1].min() < 150  # a foot on the floor
        seen = []
        for camera in range(1, SMALL["cameras"] + 1):
            clip = f"{take_key}-C{camera:02d}"
            doc = _load_2d(twin, path.parent.name, clip)
            p3, p2 = [], []
            for an in doc["annotations"]:
                kp = np.array(an["keypoints"]).reshape(NUM_JOINTS, 3)
                keep = kp[:, 2] > 0
                p3.append(world[an["img_no"]][keep])
                p2.append(kp[keep, :2])
            assert _dlt_error(np.concatenate(p3), np.concatenate(p2)) < 0.5, clip
            seen.append(np.array(doc["annotations"][0]["keypoints"]))
        assert not np.allclose(seen[0], seen[1])  # a different view of the same pose


def test_videos_match_the_frames(twin: Path) -> None:
    h, w = SMALL["image_size"]
    n, step = SMALL["frames_per_clip"], 6 // 3
    matched, shifted = [], []
    for action, scenario, _, clip in _clips(SMALL)[::5]:
        frames = _read_video(_video_path(twin, action, scenario, clip))
        assert len(frames) >= (n - 1) * step + 1 and len(frames) == n * step
        assert frames[0].shape == (h, w, 3)
        jpgs = [
            cv2.imread(str(_frame_path(twin, action, scenario, clip, k))).astype(float)
            for k in range(1, n + 1)
        ]
        for k in range(n):
            video = frames[k * step].astype(float)
            matched.append(np.abs(video - jpgs[k]).mean())
            shifted.append(np.abs(video - jpgs[(k + 1) % n]).mean())
    assert max(matched) < 10 and np.mean(matched) < np.mean(shifted)


def test_video_fps_and_write_options(twin: Path, tmp_path: Path) -> None:
    root = write_synthetic_human_motion(tmp_path / "v", **TINY, video_fps=9, write_frames=False)
    assert not (root / IMAGE_DIR).exists()
    for action, scenario, _, clip in _clips(TINY):
        frames = _read_video(_video_path(root, action, scenario, clip))
        assert len(frames) == TINY["frames_per_clip"] * 3
    # annotations do not depend on what else is written
    no_video = write_synthetic_human_motion(tmp_path / "f", **TINY, write_videos=False)
    assert not (no_video / VIDEO_DIR).exists()
    full = write_synthetic_human_motion(tmp_path / "full", **TINY)
    for name, data in _files(full).items():
        if name.endswith(".json"):
            assert (root / name).read_bytes() == data == (no_video / name).read_bytes()
        elif name.endswith(".jpg"):
            assert (no_video / name).read_bytes() == data


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = write_synthetic_human_motion(tmp_path / "a", **TINY, seed=3)
    b = write_synthetic_human_motion(tmp_path / "b", **TINY, seed=3)
    c = write_synthetic_human_motion(tmp_path / "c", **TINY, seed=4)
    assert _digest(a) == _digest(b) != _digest(c)
    assert set(_files(a)) - set(_files(c)) <= {n for n in _files(a) if "_3D.json" in n}


@pytest.mark.parametrize(
    "bad",
    [
        {"actions": ()},
        {"actions": (1, 1)},
        {"actions": (0,)},
        {"actions": "12"},
        {"cameras": 13},
        {"cameras": 0},
        {"takes_per_scenario": 0},
        {"frames_per_clip": 0},
        {"video_fps": 10},
        {"video_fps": 0},
        {"with_3d_fraction": 1.5},
        {"write_frames": False, "write_videos": False},
        {"image_size": (64, 32)},
        {"image_size": (72, 97)},
        {"seed": -1},
    ],
)
def test_bad_arguments(tmp_path: Path, bad: dict) -> None:
    with pytest.raises(ValueError):
        write_synthetic_human_motion(tmp_path / "x", **{**TINY, **bad})
    with pytest.raises(ValueError):
        ensure_twin("human_motion", tmp_path / "cache", **{**TINY, **bad})
    assert not (tmp_path / "x").exists()


def test_ensure_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = ensure_twin("human_motion", tmp_path / "cache", **TINY)
    assert first.is_dir() and first.name.startswith("human-motion-synth-")
    assert _digest(first) == _digest(write_synthetic_human_motion(tmp_path / "direct", **TINY))

    @functools.wraps(human_motion.SPEC.writer)  # same signature: the registry binds to it
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("regenerated")

    monkeypatch.setattr(human_motion, "SPEC", dataclasses.replace(human_motion.SPEC, writer=fail))
    assert ensure_twin("human_motion", tmp_path / "cache", **TINY) == first
    with pytest.raises(AssertionError):
        ensure_twin("human_motion", tmp_path / "cache", **{**TINY, "seed": 1})
