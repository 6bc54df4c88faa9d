"""The human-motion reader on a tiny hand-written release: records, frames from video, cache, bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from aihub_bench.datasets.human_motion import reader as reader_module
from aihub_bench.datasets.human_motion.reader import read_human_motion
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.video import extract_frames, probe_video

W, H = 64, 48
J = 16
VIDEO_FPS = 6.0  # two video frames per annotated frame at annotation_fps=3
ANN = Path("annotation/Annotation_2D_tar/2D")
ANN_3D = Path("annotation/Annotation_3D_tar/3D")
# (scenario, take) x cameras 1, 2; 3-2_001-C02 has its frames only as an mp4
CLIPS = ("2-1_001-C01", "2-1_001-C02", "3-2_001-C01", "3-2_001-C02")
VIDEO_ONLY = "3-2_001-C02"
FRAMES = (1, 2, 3)


def _box(frame: int, person: int) -> list[float]:
    x1, y1 = 4.0 + 2 * frame + 30 * person, 3.0 + frame
    return [x1, y1, x1 + 24.0, y1 + 40.0]


def _joints(box: list[float], frame: int, person: int) -> np.ndarray:
    """16 joints spread over the box, flags cycling 0/1/2 (flag-0 joints at 0, 0 as in the release)."""
    x1, y1, x2, y2 = box
    out = np.zeros((J, 3), np.float32)
    for j in range(J):
        flag = (j + frame + person) % 3
        if flag:
            out[j] = (x1 + 1 + (j % 4) * (x2 - x1 - 2) / 3, y1 + 1 + (j // 4) * (y2 - y1 - 2) / 3, flag)
    return out


def _people(clip: str, frame: int) -> int:
    return 2 if clip.startswith("2-1_001") and frame == 2 else 1


def _pattern(clip_index: int, frame: int) -> np.ndarray:
    """An RGB frame with a per-frame colour and a bright block whose place moves with the frame."""
    img = np.zeros((H, W, 3), np.uint8)
    img[:] = (40 * frame + 10 * clip_index, 90, 220 - 50 * frame)
    img[8:24, 8 * frame : 8 * frame + 16] = 255
    return img


def _write_video(path: Path, frames: list[np.ndarray], fps: float = VIDEO_FPS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (W, H))
    assert writer.isOpened()
    for rgb in frames:
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()


def _video_frames(clip_index: int, n_frames: int = 6) -> list[np.ndarray]:
    """Video frame 2(n-1) is annotated frame n; the odd frames in between are dark."""
    return [
        _pattern(clip_index, k // 2 + 1) if k % 2 == 0 else np.full((H, W, 3), 20, np.uint8)
        for k in range(n_frames)
    ]


def _expected(clip: str, frame: int) -> tuple[np.ndarray, np.ndarray]:
    boxes = [_box(frame, p) for p in range(_people(clip, frame))]
    return np.array(boxes, np.float32), np.stack([_joints(b, frame, p) for p, b in enumerate(boxes)])


def _write_release(root: Path) -> Path:
    for ci, clip in enumerate(CLIPS):
        scenario, action = clip.split("_")[0], clip.split("-")[0]
        images, annotations = [], []
        for n in FRAMES:
            rel = f"{scenario}/{clip}/{clip}_{n:04d}.jpg"
            images.append(
                {"img_no": n, "img_path": rel, "width": W, "height": H, "action_category": int(action)}
            )
            boxes, joints = _expected(clip, n)
            for box, kps in zip(boxes, joints, strict=True):
                annotations.append({"img_no": n, "bbox": box.tolist(), "keypoints": kps.reshape(-1).tolist()})
            if clip != VIDEO_ONLY:
                jpeg = root / f"이미지/image_action_{action}/image_{scenario}/{rel}"
                jpeg.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(_pattern(ci, n)).save(jpeg, quality=95)
        _write_json(root / ANN / scenario / f"{clip}_2D.json", {"images": images, "annotations": annotations})
    _write_video(root / f"동영상/video_action_3/3-2/{VIDEO_ONLY}.mp4", _video_frames(CLIPS.index(VIDEO_ONLY)))
    # 3D for take 2-1_001 only, frames 1 and 2 (frame 2 has two people)
    entries = [{"img_no": 1, "keypoints_3d": _joints_3d(1, 0).tolist()}]
    entries += [{"img_no": 2, "keypoints_3d": _joints_3d(2, p).reshape(-1).tolist()} for p in range(2)]
    _write_json(root / ANN_3D / "2-1" / "2-1_001_3D.json", {"annotations": entries})
    return root


def _joints_3d(frame: int, person: int) -> np.ndarray:
    return np.arange(J * 3, dtype=np.float32).reshape(J, 3) + 100 * frame + 1000 * person


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def _edit(root: Path, clip: str, fn: Callable[[dict], None]) -> Path:
    path = root / ANN / clip.split("_")[0] / f"{clip}_2D.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data)
    _write_json(path, data)
    return path


def _read(root: Path, policy: ErrorPolicy | None = None, **kwargs: Any) -> list:
    kwargs.setdefault("frame_cache_dir", root.parent / "cache")
    return read_human_motion(root, policy or ErrorPolicy("raise"), **kwargs)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_release(tmp_path_factory.mktemp("human_motion") / "release")


@pytest.fixture
def ds(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "release"))


# ------------------------------------------------------------------------------------------ round trip


def test_end_to_end(ds: Path) -> None:
    policy = ErrorPolicy("raise")
    samples = _read(ds, policy)
    assert [(s.meta["clip"], s.meta["img_no"]) for s in samples] == [(c, n) for c in CLIPS for n in FRAMES]
    assert [s.image_id for s in samples] == list(range(len(samples)))
    for s in samples:
        clip, n = s.meta["clip"], s.meta["img_no"]
        scenario, take_cam = clip.split("_")
        boxes, joints = _expected(clip, n)
        np.testing.assert_allclose(s.boxes, boxes, atol=1e-4)
        np.testing.assert_allclose(s.keypoints, joints, atol=1e-4)
        assert s.keypoints.shape == (_people(clip, n), J, 3) and s.boxes.shape == (_people(clip, n), 4)
        assert (s.width, s.height) == (W, H)
        assert s.group == f"{scenario}_001"
        assert s.meta == {
            "clip": clip,
            "scenario": scenario,
            "action": int(scenario[0]),
            "take": "001",
            "camera": int(take_cam[-2:]),
            "img_no": n,
            "frame": n,
            "action_category": int(scenario[0]),
            "img_path": f"{scenario}/{clip}/{clip}_{n:04d}.jpg",
            "source": "video" if clip == VIDEO_ONLY else "image",
            "skipped_people": 0,
        }
        assert s.image_path.is_file() and s.image_path.name == f"{clip}_{n:04d}.jpg"
        if clip != VIDEO_ONLY:
            assert (
                s.image_path.parent
                == ds / f"이미지/image_action_{scenario[0]}/image_{scenario}/{scenario}/{clip}"
            )
        # 3D: take 2-1_001, frames 1 and 2, matched by img_no and person order
        if scenario == "2-1" and n in (1, 2):
            assert s.joints_3d is not None
            np.testing.assert_allclose(s.joints_3d, np.stack([_joints_3d(n, p) for p in range(len(s.boxes))]))
        else:
            assert s.joints_3d is None
    stats = policy.stats
    people = sum(_people(c, n) for c in CLIPS for n in FRAMES)
    assert (stats["clips"], stats["frames"], stats["people"]) == (4, 12, people)
    assert (stats["frames_from_video"], stats["with_3d"]) == (3, 4)
    flags = np.concatenate([s.keypoints[..., 2].ravel() for s in samples])
    assert [stats[f"flag_{f}"] for f in (0, 1, 2)] == [int((flags == f).sum()) for f in (0, 1, 2)]
    assert sum(stats[f"flag_{f}"] for f in (0, 1, 2)) == people * J
    assert stats["no_3d_file"] == 1 and stats["bbox_xywh_files"] == 0 and policy.skipped == 0


def test_video_frames_decode_and_cache_is_reused(ds: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    samples = [s for s in _read(ds) if s.meta["clip"] == VIDEO_ONLY]
    ci = CLIPS.index(VIDEO_ONLY)
    for s in samples:
        assert s.image_path.is_relative_to(ds.parent / "cache")
        assert s.image_path.parent.name.startswith(f"{VIDEO_ONLY}-")
        got = np.asarray(Image.open(s.image_path).convert("RGB"), np.float32)
        errors = [np.abs(got - _pattern(ci, n)).mean() for n in FRAMES]
        assert errors[s.meta["img_no"] - 1] < 12, errors  # the right frame, roughly the same pixels
        assert int(np.argmin(errors)) == s.meta["img_no"] - 1
    mtimes = {s.image_path: s.image_path.stat().st_mtime_ns for s in samples}

    def no_video(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(reader_module, "probe_video", no_video)
    monkeypatch.setattr(reader_module, "extract_frames", no_video)
    again = [s for s in _read(ds) if s.meta["clip"] == VIDEO_ONLY]
    assert {s.image_path: s.image_path.stat().st_mtime_ns for s in again} == mtimes


def test_frames_video_mode(ds: Path) -> None:
    """frames=video decodes every frame; clips without an mp4 are missing frames."""
    with pytest.raises(BadInputError) as err:
        _read(ds, frames="video")
    assert err.value.kind == "missing_frame" and "2-1_001-C01.mp4" in str(err.value)
    policy = ErrorPolicy("skip")
    samples = _read(ds, policy, frames="video")
    assert [s.meta["clip"] for s in samples] == [VIDEO_ONLY] * 3
    assert policy.counts == {"missing_frame": 9} and policy.stats["frames_from_video"] == 3
    with pytest.raises(ValueError, match="frame_cache_dir"):
        read_human_motion(ds, ErrorPolicy(), frames="video")


def test_video_needs_a_frame_cache(ds: Path) -> None:
    with pytest.raises(ValueError, match="dataset.reader.frame_cache_dir"):
        read_human_motion(ds, ErrorPolicy("skip"))


def test_frames_images_without_jpegs_is_missing_frame(ds: Path) -> None:
    json_path = ds / ANN / "3-2" / f"{VIDEO_ONLY}_2D.json"
    with pytest.raises(BadInputError) as err:
        _read(ds, frames="images")
    assert (
        err.value.kind == "missing_frame"
        and str(json_path) in str(err.value)
        and VIDEO_ONLY in err.value.reason
    )
    policy = ErrorPolicy("skip")
    samples = _read(ds, policy, frames="images")
    assert len(samples) == 9 and all(s.meta["source"] == "image" for s in samples)
    assert policy.counts == {"missing_frame": 3}


def test_action_filter_and_max_clips(ds: Path) -> None:
    policy = ErrorPolicy("raise")
    samples = _read(ds, policy, actions=[2])
    assert {s.meta["clip"] for s in samples} == {"2-1_001-C01", "2-1_001-C02"}
    assert policy.stats["excluded_action"] == 2
    assert {s.meta["clip"] for s in _read(ds, max_clips=1)} == {"2-1_001-C01"}
    with pytest.raises(FileNotFoundError, match="actions"):
        _read(ds, actions=[9])


def test_bbox_auto_detects_xywh(ds: Path) -> None:
    def to_xywh(data: dict) -> None:
        for ann in data["annotations"]:
            x1, y1, x2, y2 = ann["bbox"]
            ann["bbox"] = [x1, y1, x2 - x1, y2 - y1]

    _edit(ds, "2-1_001-C02", to_xywh)
    policy = ErrorPolicy("raise")
    samples = _read(ds, policy, actions=[2])
    for s in samples:
        np.testing.assert_allclose(s.boxes, _expected(s.meta["clip"], s.meta["img_no"])[0], atol=1e-4)
    assert policy.stats["bbox_xywh_files"] == 1
    # forced xyxy reads the xywh file wrongly: corners swapped, boxes differ
    policy = ErrorPolicy("skip")
    forced = [
        s for s in _read(ds, policy, actions=[2], bbox_format="xyxy") if s.meta["clip"] == "2-1_001-C02"
    ]
    assert not np.allclose(forced[0].boxes, _expected("2-1_001-C02", 1)[0])
    assert policy.stats["bbox_xywh_files"] == 0


def test_bbox_from_joints_and_clipping(ds: Path) -> None:
    def edit(data: dict) -> None:
        data["annotations"][0]["bbox"] = None
        data["annotations"][1]["bbox"] = [None, 3, 30, 40]  # frame 2, first person
        data["annotations"][3]["bbox"] = [-5, -5, 200, 200]  # frame 3

    _edit(ds, "2-1_001-C02", edit)
    policy = ErrorPolicy("raise")
    samples = [s for s in _read(ds, policy, actions=[2]) if s.meta["clip"] == "2-1_001-C02"]
    for s in samples[:2]:
        labelled = s.keypoints[0][s.keypoints[0, :, 2] > 0, :2]
        np.testing.assert_allclose(s.boxes[0], [*labelled.min(0), *labelled.max(0)], atol=1e-4)
    np.testing.assert_allclose(samples[2].boxes[0], [0, 0, W, H])
    assert policy.stats["bbox_from_joints"] == 2 and policy.stats["bbox_clipped"] == 1


# ------------------------------------------------------------------------------------------ bad input


def _set(ann_index: int, key: str, value: Any) -> Callable[[dict], None]:
    def fn(data: dict) -> None:
        data["annotations"][ann_index][key] = value

    return fn


def _flag(value: Any, joint: int = 0, xy: tuple[float, float] | None = None) -> Callable[[dict], None]:
    def fn(data: dict) -> None:
        kps = data["annotations"][0]["keypoints"]
        kps[3 * joint + 2] = value
        if xy is not None:
            kps[3 * joint : 3 * joint + 2] = list(xy)

    return fn


def _write_text(rel: str, text: str) -> Callable[[Path], Path]:
    def fn(root: Path) -> Path:
        (root / rel).write_text(text, encoding="utf-8")
        return root / rel

    return fn


def _json_edit(fn: Callable[[dict], None], clip: str = "2-1_001-C02") -> Callable[[Path], Path]:
    return lambda root: _edit(root, clip, fn)


def _delete_jpeg(root: Path) -> Path:
    path = root / "이미지/image_action_2/image_2-1/2-1/2-1_001-C02/2-1_001-C02_0002.jpg"
    path.unlink()
    return path.parent


def _video(root: Path) -> Path:
    return root / f"동영상/video_action_3/3-2/{VIDEO_ONLY}.mp4"


def _garbage_video(root: Path) -> Path:
    path = _video(root)
    path.write_bytes(b"not an mp4" * 100)
    return path


def _short_video(root: Path) -> Path:
    path = _video(root)
    _write_video(path, _video_frames(CLIPS.index(VIDEO_ONLY), n_frames=3))
    return path


def _bad_3d(root: Path) -> Path:
    path = root / ANN_3D / "2-1" / "2-1_001_3D.json"
    _write_json(path, {"annotations": [{"img_no": 1, "keypoints_3d": [1.0, 2.0]}]})
    return path


def _clip_name(root: Path) -> Path:
    path = root / ANN / "2-1" / "weird_name_2D.json"
    _write_json(path, {"images": [], "annotations": []})
    return path


def _unjoinable(data: dict) -> None:
    data["annotations"].append(dict(data["annotations"][0], img_no=99))


def _escape(data: dict) -> None:
    data["images"][1]["img_path"] = "../../../etc/2-1_001-C02_0002.jpg"


def _drop_images(data: dict) -> None:
    del data["images"]


def _no_joints_no_box(data: dict) -> None:
    ann = data["annotations"][0]
    ann["bbox"] = None
    ann["keypoints"] = [0] * (J * 3)


def _duplicate_entry(data: dict) -> None:
    data["images"].append(dict(data["images"][0]))


def _duplicate_clip(root: Path) -> Path:
    path = root / ANN / "2-1" / "again" / "2-1_001-C01_2D.json"
    path.parent.mkdir()
    shutil.copyfile(root / ANN / "2-1" / "2-1_001-C01_2D.json", path)
    return path


def _early_frame(data: dict) -> None:
    data["images"][0]["img_path"] = data["images"][0]["img_path"].replace("_0001.jpg", "_0000.jpg")


def _wider(data: dict) -> None:
    data["images"][2]["width"] = W + 16


# (kind, mutation returning the file the message must name, frames still read in skip mode, skips)
BAD_INPUT = {
    "bad_json": ("bad_json", _write_text(str(ANN / "2-1/2-1_001-C02_2D.json"), "{not json"), 9, 1),
    "missing_key": ("bad_json", _json_edit(_drop_images), 9, 1),
    "bad_clip_name": ("bad_clip_name", _clip_name, 12, 1),
    "bad_keypoints": ("bad_keypoints", _json_edit(_set(0, "keypoints", [1.0] * 45)), 11, 1),
    "bad_flag": ("bad_flag", _json_edit(_flag(5)), 11, 1),
    "joint_outside_image": ("joint_outside_image", _json_edit(_flag(2, 3, (W + 5.0, 10.0))), 11, 1),
    "bad_bbox_degenerate": ("bad_bbox", _json_edit(_set(0, "bbox", [200, 10, 250, 30])), 11, 1),
    "bad_bbox_no_joints": ("bad_bbox", _json_edit(_no_joints_no_box), 11, 1),
    "missing_image_entry": ("missing_image_entry", _json_edit(_unjoinable), 12, 1),
    "missing_frame": ("missing_frame", _delete_jpeg, 11, 1),
    # a failed video costs each of the clip's 3 frames, counted per frame
    "unreadable_video": ("unreadable_video", _garbage_video, 9, 3),
    "short_video": ("unreadable_video", _short_video, 9, 3),
    "path_escape": ("path_escape", _json_edit(_escape), 11, 1),
    "bad_3d": ("bad_3d", _bad_3d, 12, 1),
    "duplicate_image_entry": ("duplicate_image_entry", _json_edit(_duplicate_entry), 12, 1),
    "duplicate_clip": ("duplicate_clip", _duplicate_clip, 12, 1),
    "bad_frame_number": ("bad_frame_number", _json_edit(_early_frame, VIDEO_ONLY), 11, 1),
    "video_size_mismatch": (
        "video_size_mismatch",
        lambda root: _edit(root, VIDEO_ONLY, _wider) and _video(root),
        11,
        1,
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input(ds: Path, case: str) -> None:
    kind, mutate, kept, skips = BAD_INPUT[case]
    named = mutate(ds)
    with pytest.raises(BadInputError) as err:
        _read(ds)
    assert err.value.kind == kind
    assert str(named) in str(err.value), str(err.value)
    policy = ErrorPolicy("skip")
    samples = _read(ds, policy)
    assert len(samples) == kept
    assert policy.counts == {kind: skips}
    assert (
        policy.examples[0]["path"] and str(named) in policy.examples[0]["path"] + policy.examples[0]["reason"]
    )
    if kind == "bad_3d":
        assert policy.stats["with_3d"] == 0


def test_bad_keypoints_message_says_expected_length(ds: Path) -> None:
    _edit(ds, "2-1_001-C02", _set(0, "keypoints", [1.0] * 45))
    with pytest.raises(BadInputError, match=r"16 joints x 3 = 48 keypoint values, got 45"):
        _read(ds)


def test_bad_person_keeps_the_others_in_its_frame(ds: Path) -> None:
    def edit(data: dict) -> None:
        second = [a for a in data["annotations"] if a["img_no"] == 2][1]
        second["keypoints"][2] = 7

    _edit(ds, "2-1_001-C01", edit)
    policy = ErrorPolicy("skip")
    frame = next(s for s in _read(ds, policy) if (s.meta["clip"], s.meta["img_no"]) == ("2-1_001-C01", 2))
    assert len(frame.boxes) == 1 and frame.meta["skipped_people"] == 1
    np.testing.assert_allclose(frame.joints_3d, _joints_3d(2, 0)[None])  # 3D of the kept person
    assert policy.counts == {"bad_flag": 1}


# ------------------------------------------------------------------------------------------ video.py


def test_extract_frames_directly(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    _write_video(video, _video_frames(0))
    info = probe_video(video)
    assert (info.fps, info.width, info.height) == (VIDEO_FPS, W, H)
    out = extract_frames(video, [4, 0], tmp_path / "out")
    assert sorted(out) == [0, 4] and out[4].name == "clip_000004.jpg" and out[0].is_file()
    with pytest.raises(BadInputError) as err:
        extract_frames(video, [2, 40], tmp_path / "out")
    assert err.value.kind == "unreadable_video" and str(video) in str(err.value) and "40" in err.value.reason
    with pytest.raises(BadInputError, match="clip_missing.mp4"):
        extract_frames(tmp_path / "clip_missing.mp4", [0], tmp_path / "out")


# ------------------------------------------------------------------------------------------ links, verify


def _clip_folder(root: Path, clip: str = "2-1_001-C01") -> Path:
    return root / f"이미지/image_action_2/image_2-1/2-1/{clip}"


def _move_and_link(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)
    path.symlink_to(target, target_is_directory=target.is_dir())


def test_links_inside_the_root_are_followed(ds: Path) -> None:
    """A clip folder, a frame and an annotation folder linked elsewhere inside the root read as before."""
    folder = _clip_folder(ds)
    _move_and_link(folder, ds / "elsewhere" / folder.name)
    frame = _clip_folder(ds, "2-1_001-C02") / "2-1_001-C02_0001.jpg"
    _move_and_link(frame, ds / "elsewhere" / frame.name)
    _move_and_link(ds / ANN / "3-2", ds / "elsewhere_ann" / "3-2")
    (ds / ANN / "2-1" / "loop").symlink_to(ds / ANN, target_is_directory=True)  # walked once, no loop
    policy = ErrorPolicy("raise")
    samples = _read(ds, policy)
    assert len(samples) == 12 and policy.stats["clips"] == 4
    assert next(s for s in samples if s.meta["clip"] == "2-1_001-C02").image_path.name == frame.name


def test_allow_outside_links(ds: Path, tmp_path: Path) -> None:
    folder = _clip_folder(ds)
    _move_and_link(folder, tmp_path / "other_disk" / folder.name)
    with pytest.raises(BadInputError) as err:
        _read(ds)
    assert err.value.kind == "link_outside_root" and "allow_outside_links" in err.value.reason
    policy = ErrorPolicy("raise")
    samples = _read(ds, policy, allow_outside_links=True)
    assert len(samples) == 12 and policy.stats["frames_from_video"] == 3  # only VIDEO_ONLY decodes


def test_verify_images_modes(ds: Path) -> None:
    jpeg = _clip_folder(ds) / "2-1_001-C01_0002.jpg"
    Image.fromarray(np.zeros((H, W + 8, 3), np.uint8)).save(jpeg)
    assert len(_read(ds, verify_images="none")) == 12  # the file is not opened
    for mode in ("header", "full"):
        with pytest.raises(BadInputError) as err:
            _read(ds, verify_images=mode)
        assert err.value.kind == "size_mismatch" and err.value.path == str(jpeg)
    policy = ErrorPolicy("skip")
    samples = _read(ds, policy)
    assert len(samples) == 11 and policy.counts == {"size_mismatch": 1}
    assert ("2-1_001-C01", 2) not in {(s.meta["clip"], s.meta["img_no"]) for s in samples}  # not from video
    with pytest.raises(ValueError, match="verify_images"):
        _read(ds, verify_images="quick")


def test_truncated_frame_needs_the_full_check(ds: Path) -> None:
    jpeg = _clip_folder(ds) / "2-1_001-C01_0003.jpg"
    data = jpeg.read_bytes()
    jpeg.write_bytes(data[: len(data) * 9 // 10])  # the header (large quantisation tables) stays whole
    assert len(_read(ds)) == 12  # the header is intact
    with pytest.raises(BadInputError) as err:
        _read(ds, verify_images="full")
    assert err.value.kind == "unreadable_image" and err.value.path == str(jpeg)
