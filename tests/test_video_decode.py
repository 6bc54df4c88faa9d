"""Whole-video decoding at a reduced rate and size, the frame cache, and the errors for bad mp4s."""

from __future__ import annotations

import json
import os
import pickle
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from aihub_bench.errors import BadInputError
from aihub_bench.formats import video as video_module
from aihub_bench.formats.video import CachedVideo, VideoFrameCache, decode_video, resized_shape

W, H = 64, 48
BITS = 6  # frame numbers 0..63, one vertical bar per bit


def _numbered_frame(index: int, width: int, height: int) -> np.ndarray:
    """An RGB frame showing ``index`` in binary as white/black vertical bars (robust to lossy coding)."""
    rgb = np.zeros((height, width, 3), np.uint8)
    for bit in range(BITS):
        if index >> bit & 1:
            rgb[:, bit * width // BITS : (bit + 1) * width // BITS] = 255
    return rgb


def _write_video(
    path: Path,
    n_frames: int,
    fps: float = 10.0,
    size: tuple[int, int] = (W, H),
    colour: tuple[int, int, int] | None = None,
) -> Path:
    """An mp4v video of numbered frames (or of one flat RGB ``colour``)."""
    width, height = size
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened()
    for i in range(n_frames):
        rgb = (
            _numbered_frame(i, width, height)
            if colour is None
            else np.full((height, width, 3), colour, np.uint8)
        )
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def _frame_numbers(frames: np.ndarray) -> list[int]:
    """Which written frame each decoded frame is, read from the middle of its bars."""
    width = frames.shape[2]
    numbers = []
    for frame in frames:
        bars = [
            frame[:, (4 * bit + 1) * width // (4 * BITS) : (4 * bit + 3) * width // (4 * BITS)]
            for bit in range(BITS)
        ]
        numbers.append(sum(1 << bit for bit, bar in enumerate(bars) if bar.mean() > 127))
    return numbers


def _boxes(data: bytes | bytearray, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    out, i = {}, start
    while i < end:
        size, kind = struct.unpack(">I4s", data[i : i + 8])
        out[kind] = (i, size)
        i += size
    return out


def _shift_chunk_offsets(moov: bytearray, start: int, end: int, delta: int) -> None:
    """Add ``delta`` to every ``stco`` chunk offset below ``moov`` (what moving moov before mdat needs)."""
    for kind, (at, size) in _boxes(moov, start, end).items():
        if kind in (b"trak", b"mdia", b"minf", b"stbl"):
            _shift_chunk_offsets(moov, at + 8, at + size, delta)
        elif kind == b"stco":
            (count,) = struct.unpack(">I", moov[at + 12 : at + 16])
            for j in range(count):
                o = at + 16 + 4 * j
                moov[o : o + 4] = struct.pack(">I", struct.unpack(">I", moov[o : o + 4])[0] + delta)


def _faststart(data: bytes) -> tuple[bytes, int]:
    """The mp4 with its moov atom moved in front of mdat (as web-ready files are), and mdat's size."""
    top = _boxes(data, 0, len(data))
    mdat_at, mdat_size = top[b"mdat"]
    moov_at, moov_size = top[b"moov"]
    assert moov_at > mdat_at, "cv2's mp4v writer puts moov after mdat"
    moov = bytearray(data[moov_at : moov_at + moov_size])
    _shift_chunk_offsets(moov, 8, moov_size, moov_size)
    return data[:mdat_at] + bytes(moov) + data[mdat_at : mdat_at + mdat_size], mdat_size


@pytest.mark.parametrize(
    ("source_fps", "fps", "n_frames", "kept", "kept_fps"),
    [
        (10.0, 5.0, 20, list(range(0, 20, 2)), 5.0),
        (30.0, 3.0, 31, [0, 10, 20, 30], 3.0),
        (30.0, 7.0, 30, [0, 4, 9, 13, 17, 21, 26], 7.0),  # round(k * 30 / 7)
        (10.0, None, 6, list(range(6)), 10.0),
        (10.0, 25.0, 6, list(range(6)), 10.0),  # above the source rate: every frame, at the source rate
    ],
)
def test_decode_keeps_the_source_frame_nearest_each_target_time(
    tmp_path: Path, source_fps: float, fps: float | None, n_frames: int, kept: list[int], kept_fps: float
) -> None:
    video = _write_video(tmp_path / "v.mp4", n_frames, source_fps)
    decoded = decode_video(video, fps=fps)
    assert decoded.source_index.dtype == np.int64
    assert decoded.source_index.tolist() == kept
    assert _frame_numbers(decoded.frames) == kept
    assert decoded.frames.dtype == np.uint8 and decoded.frames.shape == (len(kept), H, W, 3)
    assert (decoded.fps, decoded.source_fps, decoded.source_frames) == (kept_fps, source_fps, n_frames)


def test_decoded_frames_are_rgb(tmp_path: Path) -> None:
    first = decode_video(_write_video(tmp_path / "v.mp4", 2, colour=(200, 128, 30))).frames[0]
    red, green, blue = (float(first[..., c].mean()) for c in range(3))
    assert abs(red - 200) < 6 and abs(green - 128) < 6 and abs(blue - 30) < 6


@pytest.mark.parametrize(
    ("size", "short_side", "shape"),
    [
        ((64, 48), 24, (24, 32)),
        ((48, 64), 24, (32, 24)),
        ((64, 48), None, (48, 64)),
        ((96, 48), 16, (16, 32)),
    ],
)
def test_short_side_resize_keeps_the_aspect(
    tmp_path: Path, size: tuple[int, int], short_side: int | None, shape: tuple[int, int]
) -> None:
    decoded = decode_video(_write_video(tmp_path / "v.mp4", 4, size=size), short_side=short_side)
    assert decoded.frames.shape == (4, *shape, 3)
    assert _frame_numbers(decoded.frames) == [0, 1, 2, 3]


def test_resized_shape_rounds_the_long_side() -> None:
    assert resized_shape(2160, 3840, 112) == (112, 199)
    assert resized_shape(3840, 2160, 64) == (114, 64)
    assert resized_shape(2160, 3840, None) == (2160, 3840)


def test_cache_round_trip_memory_maps_and_does_not_decode_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = _write_video(tmp_path / "videos" / "24-3_cam01.mp4", 20)
    cache = VideoFrameCache(tmp_path / "cache", fps=5, short_side=24)
    first = cache.get(video)
    target = cache.path_for(video)
    assert target.parent == tmp_path / "cache" and target.name.startswith("24-3_cam01-")
    assert target.suffix == ".npy" and target.with_suffix(".json").is_file()
    assert isinstance(first.frames, np.memmap)
    expected = decode_video(video, fps=5, short_side=24)
    np.testing.assert_array_equal(first.frames, expected.frames)
    assert first.source_index.tolist() == list(range(0, 20, 2))
    assert (first.fps, first.source_fps, first.source_frames) == (5.0, 10.0, 20)

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoded although cached")

    monkeypatch.setattr(video_module, "decode_video", no_decoding)
    again = VideoFrameCache(tmp_path / "cache", fps=5.0, short_side=24).get(video)  # 5 and 5.0: one key
    np.testing.assert_array_equal(again.frames, expected.frames)
    assert again.source_index.tolist() == first.source_index.tolist()
    assert {p.name for p in (tmp_path / "cache").iterdir()} == {target.name, target.with_suffix(".json").name}


def test_an_opened_entry_is_reused_and_not_pickled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    video = _write_video(tmp_path / "v.mp4", 30, size=(320, 240))
    cache = VideoFrameCache(tmp_path / "cache", fps=None, short_side=None)
    first = cache.get(video)
    monkeypatch.setattr(video_module, "_load_cached", lambda target: pytest.fail("read the sidecar again"))
    assert cache.get(video) is first
    monkeypatch.undo()
    copy = pickle.loads(pickle.dumps(cache))  # what a data-loader worker receives
    assert len(pickle.dumps(cache)) < 1000 < first.frames.nbytes
    np.testing.assert_array_equal(copy.get(video).frames, first.frames)


def test_cache_key_covers_the_settings(tmp_path: Path) -> None:
    video = _write_video(tmp_path / "v.mp4", 4)
    paths = {
        VideoFrameCache(tmp_path, fps=fps, short_side=side).path_for(video)
        for fps, side in [(5, 24), (3, 24), (5, 32), (None, 24), (5, None)]
    }
    assert len(paths) == 5


def test_a_changed_video_gets_a_new_cache_entry(tmp_path: Path) -> None:
    video = _write_video(tmp_path / "v.mp4", 10)
    cache = VideoFrameCache(tmp_path / "cache", fps=None, short_side=None)
    assert len(cache.get(video)) == 10
    old_target = cache.path_for(video)
    _write_video(video, 14)
    stat = video.stat()
    os.utime(video, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert cache.path_for(video) != old_target
    assert _frame_numbers(cache.get(video).frames) == list(range(14))


def _count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = video_module.decode_video

    def counting(path: Path, **kwargs: object) -> object:
        calls.append(Path(path))
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(video_module, "decode_video", counting)
    return calls


@pytest.mark.parametrize("damage", ["no sidecar", "shape disagrees", "sidecar not json", "array cut"])
def test_a_damaged_cache_entry_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    video = _write_video(tmp_path / "v.mp4", 8)
    cache = VideoFrameCache(tmp_path / "cache", fps=None, short_side=16)
    expected = np.array(cache.get(video).frames)
    target = cache.path_for(video)
    sidecar = target.with_suffix(".json")
    if damage == "no sidecar":
        sidecar.unlink()
    elif damage == "shape disagrees":
        meta = json.loads(sidecar.read_text())
        meta["shape"][0] += 1
        sidecar.write_text(json.dumps(meta))
    elif damage == "sidecar not json":
        sidecar.write_text("{")
    else:
        target.write_bytes(target.read_bytes()[:200])
    calls = _count_decodes(monkeypatch)
    assert cache.get(video) is not None and calls == []  # this process keeps the entry it opened
    rebuilt = VideoFrameCache(tmp_path / "cache", fps=None, short_side=16).get(video)  # as a new run would
    assert calls == [video]
    np.testing.assert_array_equal(rebuilt.frames, expected)
    assert json.loads(sidecar.read_text())["shape"] == list(expected.shape)


def _numbered(source_index: list[int]) -> CachedVideo:
    """A cache entry whose frame t is filled with the value t."""
    frames = np.broadcast_to(
        np.arange(len(source_index), dtype=np.uint8)[:, None, None, None], (len(source_index), 2, 3, 3)
    )
    return CachedVideo(np.ascontiguousarray(frames), np.array(source_index, np.int64), 3.0, 30.0, 40)


def test_window_clamps_into_the_video() -> None:
    cached = _numbered([0, 10, 20, 30, 40, 50, 60, 70])

    def values(window: np.ndarray) -> list[int]:
        return [int(frame[0, 0, 0]) for frame in window]

    assert values(cached.window(1, 3)) == [1, 2, 3]
    assert values(cached.window(3, 4, step=2)) == [3, 5, 7, 7]
    assert values(cached.window(6, 4)) == [6, 7, 7, 7]
    assert values(cached.window(-2, 3)) == [0, 0, 0]
    assert cached.window(0, 5).shape == (5, 2, 3, 3)
    with pytest.raises(ValueError, match="length"):
        cached.window(0, 0)
    with pytest.raises(ValueError, match="step"):
        cached.window(0, 2, step=0)


def test_index_at_is_the_nearest_cached_frame() -> None:
    cached = _numbered([0, 10, 20, 30])
    assert [cached.index_at(s) for s in (-5, 0, 4, 5, 6, 14, 16, 26, 30, 1000)] == [
        0,
        0,
        0,
        0,
        1,
        1,
        2,
        3,
        3,
        3,
    ]


def test_window_reads_the_memory_mapped_cache(tmp_path: Path) -> None:
    video = _write_video(tmp_path / "v.mp4", 20)
    cached = VideoFrameCache(tmp_path / "cache", fps=5, short_side=None).get(video)
    window = cached.window(cached.index_at(8), 3, step=2)
    assert type(window) is np.ndarray
    assert _frame_numbers(window) == [8, 12, 16]  # cached frames 4, 6, 8 are source frames 8, 12, 16


@pytest.mark.parametrize("workers", [1, 2])
def test_warm_caches_the_good_videos_and_returns_the_bad(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    good = [_write_video(tmp_path / f"good{i}.mp4", 6) for i in range(2)]
    not_video = tmp_path / "text.mp4"
    not_video.write_text("not a video\n")
    missing = tmp_path / "missing.mp4"
    cache = VideoFrameCache(tmp_path / "cache", fps=None, short_side=16)
    failures = cache.warm([good[0], not_video, str(good[1]), missing, good[0]], workers=workers)
    assert set(failures) == {not_video, missing}
    assert all(isinstance(e, BadInputError) and e.kind == "unreadable_video" for e in failures.values())
    assert failures[not_video].path == str(not_video) and "cannot open" in failures[not_video].reason
    assert "does not exist" in failures[missing].reason
    calls = _count_decodes(monkeypatch)
    for video in good:
        assert len(cache.get(video)) == 6
    assert calls == []
    assert cache.warm(good, workers=workers) == {} and calls == []
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.endswith(".tmp")]


def test_concurrent_builds_of_one_video_leave_one_complete_entry(tmp_path: Path) -> None:
    video = _write_video(tmp_path / "v.mp4", 30)
    caches = [VideoFrameCache(tmp_path / "cache", fps=None, short_side=32) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda cache: cache.get(video), caches))
    for result in results:
        assert _frame_numbers(result.frames) == list(range(30))
    target = caches[0].path_for(video)
    assert {p.name for p in target.parent.iterdir()} == {target.name, target.with_suffix(".json").name}


def test_a_cut_mp4_without_its_moov_atom_is_a_clear_error(tmp_path: Path) -> None:
    video = _write_video(tmp_path / "v.mp4", 40)
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    with pytest.raises(BadInputError, match="cannot open the video") as info:
        decode_video(video)
    assert info.value.kind == "unreadable_video" and info.value.path == str(video)


def test_a_truncated_mp4_that_opens_reports_how_much_decodes(tmp_path: Path) -> None:
    data, mdat_size = _faststart(_write_video(tmp_path / "full.mp4", 40).read_bytes())
    fast = tmp_path / "fast.mp4"
    fast.write_bytes(data)
    assert decode_video(fast).source_frames == 40  # the moved moov is valid
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) - mdat_size // 2])  # a download that stopped halfway through mdat
    with pytest.raises(BadInputError, match=r"truncated: \d+ of 40 frames decodable") as info:
        decode_video(cut)
    assert info.value.kind == "unreadable_video" and info.value.path == str(cut)
    partial = decode_video(cut, min_fraction=0.25)
    assert 10 <= partial.source_frames < 36
    # the frame whose packet was cut decodes partly (concealed from its predecessor); the others intact
    assert _frame_numbers(partial.frames)[:-1] == list(range(partial.source_frames - 1))
    cache = VideoFrameCache(tmp_path / "cache", fps=None, short_side=None)
    with pytest.raises(BadInputError, match="truncated"):
        cache.get(cut)
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


@pytest.mark.parametrize("content", [b"not a video\n", b"", bytes(range(256)) * 8])
def test_a_file_that_is_not_a_video_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    fake = tmp_path / "24-3_cam01_assault01_place09_night_winter.mp4"
    fake.write_bytes(content)
    with pytest.raises(BadInputError) as info:
        decode_video(fake)
    assert info.value.kind == "unreadable_video" and info.value.path == str(fake)
    with pytest.raises(BadInputError, match="does not exist"):
        decode_video(tmp_path / "missing.mp4")


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    video = _write_video(tmp_path / "v.mp4", 2)
    with pytest.raises(ValueError, match="fps"):
        decode_video(video, fps=0)
    with pytest.raises(ValueError, match="short_side"):
        decode_video(video, short_side=0)
    with pytest.raises(ValueError, match="fps"):
        VideoFrameCache(tmp_path, fps=-1, short_side=None)
