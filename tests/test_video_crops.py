"""The crop cache of formats/video.py on tiny mp4s whose frame k shows a white square at x = 7k: crops
hold their box's pixels on the right frame, margins grow and clip, one decode per video, bad videos named."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from aihub_bench.errors import BadInputError
from aihub_bench.formats import video as video_module
from aihub_bench.formats.video import VideoCropCache, crop_region, decode_video

W, H = 160, 48
FRAMES = 20
SIDE = 8  # the square's side
STEP = 7  # how far it moves per frame (more than SIDE: squares of two frames never overlap)
TOP = 20


def square_x(k: int) -> int:
    return STEP * k


def write_square_video(path: Path, frames: int = FRAMES) -> Path:
    """mp4v, 10 fps: frame k is black with a white ``SIDE`` x ``SIDE`` square at ``(7k, TOP)``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (W, H))
    assert writer.isOpened()
    for k in range(frames):
        frame = np.zeros((H, W, 3), np.uint8)
        frame[TOP : TOP + SIDE, square_x(k) : square_x(k) + SIDE] = 255
        writer.write(frame)
    writer.release()
    return path


def square_box(k: int, frame: int | None = None) -> tuple[int, float, float, float, float]:
    """The box around frame ``k``'s square, asked on ``frame`` (default ``k``)."""
    x = square_x(k)
    return (k if frame is None else frame, float(x), float(TOP), float(x + SIDE), float(TOP + SIDE))


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_square_video(tmp_path_factory.mktemp("videos") / "clip_1.mp4")


@pytest.fixture(scope="module")
def decoded(video: Path) -> np.ndarray:
    return np.asarray(decode_video(video).frames)


def test_a_crop_holds_its_box_on_its_own_frame(tmp_path: Path, video: Path, decoded: np.ndarray) -> None:
    cache = VideoCropCache(tmp_path, size=[SIDE, SIDE], margin=0.0)
    boxes = [square_box(3), square_box(11), square_box(3, frame=11), square_box(0)]
    crops = cache.get(video, boxes)
    assert crops.shape == (4, SIDE, SIDE, 3) and crops.dtype == np.uint8
    assert crops[0].mean() > 230 and crops[1].mean() > 230 and crops[3].mean() > 230
    assert crops[2].mean() < 25  # frame 3's square is not on frame 11
    for crop, (frame, x1, y1, x2, y2) in zip(crops, boxes, strict=True):
        np.testing.assert_array_equal(crop, decoded[frame][int(y1) : int(y2), int(x1) : int(x2)])


def test_crops_are_rgb(tmp_path: Path) -> None:
    path = tmp_path / "red.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (64, 48))
    for _ in range(3):
        writer.write(np.full((48, 64, 3), (0, 0, 255), np.uint8))  # BGR red
    writer.release()
    crop = VideoCropCache(tmp_path / "cache", size=[8, 8], margin=0.0).get(path, [(1, 8.0, 8.0, 40.0, 40.0)])
    red, green, blue = crop[0].reshape(-1, 3).mean(axis=0)
    assert red > 200 and green < 50 and blue < 50


def test_margin_grows_the_box_and_clips_it_to_the_frame(
    tmp_path: Path, video: Path, decoded: np.ndarray
) -> None:
    assert crop_region((10, 20, 30, 30), 0.5, W, H) == (0, 15, 40, 35)  # x: 10 - 10 clipped at 0
    assert crop_region((150, 40, 158, 46), 0.5, W, H) == (146, 37, 160, 48)  # clipped at the right/bottom
    assert crop_region((10.4, 20.6, 20.2, 30.0), 0.0, W, H) == (10, 20, 21, 30)  # rounded outwards
    assert crop_region((500, 60, 520, 70), 0.0, W, H) == (159, 47, 160, 48)  # outside: one pixel at the edge
    cache = VideoCropCache(tmp_path, size=[20, 16], margin=0.5)
    crop = cache.get(video, [(2, 2.0, TOP, 10.0, TOP + SIDE)])[0]  # square of frame 0 on frame 2: black
    region = decoded[2][TOP - 4 : TOP + SIDE + 4, 0:14]  # grown by 4 px each side, 2 - 4 clipped to 0
    expected = cv2.resize(region, (16, 20), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(crop, expected)
    grown = cache.get(video, [square_box(5)])[0]
    assert grown[:2].mean() < 25 and grown[6:14, 5:11].mean() > 230  # black border around the white square


def test_a_second_get_memory_maps_without_decoding(
    tmp_path: Path, video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Path] = []
    real_open = video_module._open

    def counting_open(path: Path, threads: int | None = None) -> cv2.VideoCapture:
        opened.append(Path(path))
        return real_open(path, threads)

    monkeypatch.setattr(video_module, "_open", counting_open)
    boxes = [square_box(k) for k in (1, 4, 4, 9)] + [square_box(2, frame=9)]
    first = VideoCropCache(tmp_path, size=[12, 12], margin=0.1).get(video, boxes)
    assert opened == [video]  # several boxes per frame, one pass over the video
    again = VideoCropCache(tmp_path, size=[12, 12], margin=0.1).get(video, boxes)
    assert opened == [video]
    assert isinstance(again, np.memmap)
    np.testing.assert_array_equal(again, first)
    assert [p.suffix for p in tmp_path.iterdir()] == [".npy"]


def test_the_decode_stops_at_the_last_requested_frame(
    tmp_path: Path, video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grabs: list[int] = []
    real_open = video_module._open

    class Counting:
        def __init__(self, capture: cv2.VideoCapture) -> None:
            self.capture = capture

        def grab(self) -> bool:
            grabs.append(1)
            return bool(self.capture.grab())

        def __getattr__(self, name: str) -> object:
            return getattr(self.capture, name)

    monkeypatch.setattr(video_module, "_open", lambda path, threads=None: Counting(real_open(path, threads)))
    VideoCropCache(tmp_path, size=[8, 8], margin=0.0).get(video, [square_box(1), square_box(5)])
    assert len(grabs) == 6


def test_a_changed_box_list_or_setting_gets_a_new_file(tmp_path: Path, video: Path) -> None:
    cache = VideoCropCache(tmp_path, size=[8, 8], margin=0.0)
    boxes = [square_box(1), square_box(2)]
    paths = {
        cache.path_for(video, boxes),
        cache.path_for(video, [square_box(1)]),
        cache.path_for(video, [square_box(1), square_box(2, frame=3)]),
        cache.path_for(video, boxes[::-1]),
        VideoCropCache(tmp_path, size=[8, 10], margin=0.0).path_for(video, boxes),
        VideoCropCache(tmp_path, size=[8, 8], margin=0.2).path_for(video, boxes),
    }
    assert len(paths) == 6
    assert cache.path_for(video, list(boxes)) == cache.path_for(video, tuple(boxes))
    assert all(p.name.startswith("clip_1-") and p.parent == tmp_path for p in paths)
    cache.get(video, boxes)
    cache.get(video, [square_box(1)])
    assert len(list(tmp_path.glob("*.npy"))) == 2


def test_a_cut_cache_entry_is_rebuilt(tmp_path: Path, video: Path) -> None:
    cache = VideoCropCache(tmp_path, size=[8, 8], margin=0.0)
    boxes = [square_box(6)]
    expected = np.array(cache.get(video, boxes))
    target = cache.path_for(video, boxes)
    target.write_bytes(target.read_bytes()[:100])
    np.testing.assert_array_equal(cache.get(video, boxes), expected)


def test_no_boxes_give_an_empty_array_without_a_file(tmp_path: Path, video: Path) -> None:
    crops = VideoCropCache(tmp_path / "cache", size=[8, 6], margin=0.0).get(video, [])
    assert crops.shape == (0, 8, 6, 3) and not (tmp_path / "cache").exists()


def test_a_video_shorter_than_a_requested_frame_is_named(tmp_path: Path, video: Path) -> None:
    cache = VideoCropCache(tmp_path / "cache", size=[8, 8], margin=0.0)
    with pytest.raises(BadInputError, match="only 20 decodable frames; frame index 30") as caught:
        cache.get(video, [square_box(2), (30, 0.0, 0.0, 8.0, 8.0)])
    assert caught.value.kind == "unreadable_video" and caught.value.path == str(video)
    assert not list((tmp_path / "cache").glob("*"))  # nothing half-written


def test_a_truncated_or_missing_video_is_named(tmp_path: Path, video: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    cache = VideoCropCache(tmp_path / "cache", size=[8, 8], margin=0.0)
    with pytest.raises(BadInputError) as caught:
        cache.get(cut, [square_box(2)])
    assert caught.value.kind == "unreadable_video" and caught.value.path == str(cut)
    with pytest.raises(BadInputError, match="does not exist"):
        cache.get(tmp_path / "missing.mp4", [square_box(2)])


def test_warm_with_two_workers_equals_serial_and_returns_the_bad_videos(tmp_path: Path) -> None:
    videos = [write_square_video(tmp_path / f"v{i}.mp4", frames=12 + i) for i in range(3)]
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video", encoding="utf-8")
    jobs = [(v, [square_box(k) for k in range(0, 12, 3)]) for v in videos]
    jobs += [(videos[0], [square_box(11)]), (bad, [square_box(1)]), (videos[1], [])]
    results = {}
    for workers in (1, 2):
        cache = VideoCropCache(tmp_path / f"cache{workers}", size=[10, 10], margin=0.25)
        failures = cache.warm(jobs, workers=workers)
        assert set(failures) == {bad} and failures[bad].kind == "unreadable_video"
        assert failures[bad].path == str(bad)
        results[workers] = [np.array(cache.get(v, b)) for v, b in jobs if v != bad]
        assert not list((tmp_path / f"cache{workers}").glob(".*.tmp"))
    for serial, parallel in zip(results[1], results[2], strict=True):
        np.testing.assert_array_equal(serial, parallel)
    assert results[1][0][:, 3:7, 3:7].mean() > 230  # the squares are there


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="size"):
        VideoCropCache(tmp_path, size=[8], margin=0.0)
    with pytest.raises(ValueError, match="margin"):
        VideoCropCache(tmp_path, size=[8, 8], margin=-0.1)
