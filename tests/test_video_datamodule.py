"""The video datamodules on hand-made VideoClip records and tiny mp4s whose frames show their own index
(8 black/white blocks = 8 bits): take-grouped splits and holdouts, window source ranges, labels by
overlap, normal and short-event windows, seeded jitter, batches, bad videos, artefacts."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import torch

from aihub_bench.data.base import EpochShuffle
from aihub_bench.data.splits import LeakageError
from aihub_bench.data.video import (
    KINETICS_MEAN,
    KINETICS_STD,
    TemporalLocalizationDataModule,
    VideoClassificationDataModule,
    VideoDataModule,
    place_id,
)
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.records import NORMAL_EVENT, VideoClip

FPS = 10
FRAMES = 60  # 6 s
WIDTH, HEIGHT = 64, 36
BITS = 8
EVENTS = ["fight", "swoon"]


def write_index_video(path: Path, frames: int = FRAMES) -> Path:
    """An mp4 (mp4v, 10 fps) whose frame k shows k in binary: block b of 8 columns is white if bit b is set."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(FPS), (WIDTH, HEIGHT))
    for k in range(frames):
        frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        for b in range(BITS):
            if k >> b & 1:
                frame[:, b * 8 : (b + 1) * 8] = 255
        writer.write(frame)
    writer.release()
    return path


def frame_number(frame: np.ndarray) -> int:
    """The index a frame of :func:`write_index_video` shows (``(H, W, 3)`` uint8 at full width)."""
    return sum(1 << b for b in range(BITS) if frame[:, b * 8 + 2 : b * 8 + 6].mean() > 128)


def pixels(item_video: torch.Tensor) -> np.ndarray:
    """A batch item's ``(3, T, H, W)`` normalised clip back to ``(T, H, W, 3)`` uint8."""
    frames = item_video.numpy().transpose(1, 2, 3, 0) * KINETICS_STD + KINETICS_MEAN
    return np.clip(np.round(frames * 255), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_index_video(tmp_path_factory.mktemp("videos") / "index.mp4")


def make_clips(
    video: Path,
    takes: int = 6,
    events: list[str] = EVENTS,
    event: tuple[int, int] = (20, 40),
) -> list[VideoClip]:
    """``takes`` takes per event, alternating indoor (3 cameras, place 1) and outdoor (2 cameras,
    place 2); every video is ``video`` with the event frames ``event``."""
    clips = []
    for e, name in enumerate(events):
        for t in range(takes):
            outdoor = t % 2 == 1
            take = f"{e + 1}{t:02d}-1"
            for cam in range(1, 3 if outdoor else 4):
                key = f"{name}/{take}/{take}_cam{cam:02d}_{name}01"
                clips.append(
                    VideoClip(
                        video_path=video,
                        key=key,
                        event=name,
                        event_start=event[0],
                        event_end=event[1],
                        fps=FPS,
                        num_frames=FRAMES,
                        width=WIDTH,
                        height=HEIGHT,
                        take=take,
                        camera=f"cam{cam:02d}",
                        place="place02" if outdoor else "place01",
                        inout="outdoor" if outdoor else "indoor",
                        time_of_day="day" if t < 3 else "night",
                    )
                )
    return clips


def fake_reader(clips: list[VideoClip], root: Path, policy: ErrorPolicy, **options: Any) -> list[VideoClip]:
    policy.count("videos_read", len(clips))
    return list(clips)


def module(
    kind: type[VideoDataModule],
    root: Path,
    clips: list[VideoClip],
    **kwargs: Any,
) -> Any:
    settings: dict[str, Any] = {
        "split": {"val_fraction": 0.25, "test_fraction": 0.25, "seed": 1},
        "decode": {"fps": None, "short_side": None, "cache_dir": str(root / "cache")},
        "clip": {"frames": 4, "step": 1, "stride": 4},
        "image_size": [HEIGHT, WIDTH],
        "batch_size": 4,
        "num_workers": 0,
    }
    settings.update(kwargs)
    reader = partial(fake_reader, clips, events=EVENTS)
    return kind(reader=reader, name="cctv", root=str(root), **settings)


def classification(root: Path, clips: list[VideoClip], **kwargs: Any) -> VideoClassificationDataModule:
    dm = module(VideoClassificationDataModule, root, clips, **kwargs)
    dm.setup()
    return dm


def localization(root: Path, clips: list[VideoClip], **kwargs: Any) -> TemporalLocalizationDataModule:
    dm = module(TemporalLocalizationDataModule, root, clips, **kwargs)
    dm.setup()
    return dm


def items(dm: VideoDataModule, split: str) -> list[dict[str, Any]]:
    dataset = dm.dataset(split)
    return [dataset[i] for i in range(len(dataset))]


# -- splits ------------------------------------------------------------------------------------------
def test_every_camera_of_a_take_lands_on_one_side_and_each_side_has_both_events(
    tmp_path: Path, video: Path
) -> None:
    dm = classification(tmp_path, make_clips(video))
    side_of_take: dict[str, set[str]] = defaultdict(set)
    for name in ("train", "val", "test"):
        videos = dm.videos(name)
        assert {c.event for c in videos} == set(EVENTS)
        for c in videos:
            side_of_take[c.take].add(name)
    assert len(side_of_take) == 12
    assert all(len(sides) == 1 for sides in side_of_take.values())
    indoor = next(t for t in side_of_take if int(t.split("-")[0][-2:]) % 2 == 0)
    (side,) = side_of_take[indoor]
    assert sum(c.take == indoor for c in dm.videos(side)) == 3


def test_a_split_that_puts_one_take_on_two_sides_is_a_leakage_error(
    tmp_path: Path, video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def per_video(groups: list[str], strata: list[str], *args: Any) -> list[str]:
        return [("train", "val", "test")[i % 3] for i in range(len(groups))]

    monkeypatch.setattr("aihub_bench.data.video.stratified_group_split", per_video)
    with pytest.raises(LeakageError, match="appears in both"):
        classification(tmp_path, make_clips(video))


def test_holding_out_outdoor_puts_every_outdoor_video_in_test_and_none_elsewhere(
    tmp_path: Path, video: Path
) -> None:
    dm = classification(tmp_path, make_clips(video), split={"holdout": {"inout": "outdoor"}, "seed": 1})
    assert {c.inout for c in dm.videos("test")} == {"outdoor"}
    assert len(dm.videos("test")) == 2 * 3 * 2  # every outdoor take's 2 cameras
    assert {c.inout for n in ("train", "val") for c in dm.videos(n)} == {"indoor"}


def test_holding_out_places_accepts_any_spelling_of_the_place(tmp_path: Path, video: Path) -> None:
    assert place_id("PLACE09") == place_id("place09") == place_id(9) == place_id("09") == "9"
    dm = classification(tmp_path, make_clips(video), split={"holdout": {"places": [1]}})
    assert {c.place for c in dm.videos("test")} == {"place01"}
    assert {c.place for n in ("train", "val") for c in dm.videos(n)} == {"place02"}


def test_an_unknown_option_is_an_error_naming_it(tmp_path: Path, video: Path) -> None:
    with pytest.raises(ValueError, match="dataset.split knows"):
        module(VideoClassificationDataModule, tmp_path, [], split={"test_fractoin": 0.2})
    with pytest.raises(ValueError, match="holdout.inout"):
        module(VideoClassificationDataModule, tmp_path, [], split={"holdout": {"inout": "IN"}})


def test_max_videos_takes_videos_evenly_over_events_and_takes(tmp_path: Path, video: Path) -> None:
    dm = classification(tmp_path, make_clips(video), max_videos=12)
    kept = [c for n in ("train", "val", "test") for c in dm.videos(n)]
    assert Counter(c.event for c in kept) == {"fight": 6, "swoon": 6}
    assert len({c.take for c in kept}) == 12  # one camera of each take before a second one
    assert dm.policy.stats["videos_over_max_videos"] == len(make_clips(video)) - 12


# -- windows -----------------------------------------------------------------------------------------
def test_window_source_ranges_tile_match_source_index_and_show_those_frames(
    tmp_path: Path, video: Path
) -> None:
    # 10 fps decoded at 5 fps: cached frame t is source frame 2t; windows of 4 frames, 2 apart, 8 apart
    dm = localization(
        tmp_path,
        make_clips(video),
        decode={"fps": 5, "short_side": None, "cache_dir": str(tmp_path / "cache")},
        clip={"frames": 4, "step": 2, "stride": 8},
        windows={"train_stride": 8, "eval_stride": 8},
    )
    cached = dm.cache.get(video)
    assert cached.source_index.tolist() == list(range(0, FRAMES, 2))
    key = dm.videos("test")[0].key
    windows = [it for it in items(dm, "test") if it["key"] == key]
    ranges = [(it["start"], it["end"]) for it in windows]
    # whole windows (7 cached frames from first to last) start at cached frames 0, 8, 16, and one more
    # at 23 reaches the last cached frame (29); each covers up to the next window's first frame
    assert ranges == [(0, 16), (16, 32), (32, 48), (46, FRAMES)]
    for it in windows:
        first = cached.index_at(it["start"])
        shown = [frame_number(f) for f in pixels(it["video"])]
        assert shown == [int(cached.source_index[min(first + 2 * j, 29)]) for j in range(4)]


@pytest.mark.parametrize(("positive_overlap", "half_inside_is_positive"), [(0.5, True), (0.51, False)])
def test_a_window_half_inside_the_event_is_positive_at_overlap_one_half_only(
    tmp_path: Path, video: Path, positive_overlap: float, half_inside_is_positive: bool
) -> None:
    dm = localization(
        tmp_path,
        make_clips(video, event=(6, 20)),
        windows={"positive_overlap": positive_overlap, "train_stride": 2, "eval_stride": 2},
    )
    assert dm.model_kwargs() == {"class_names": [NORMAL_EVENT, *EVENTS], "num_classes": 3}
    clip = dm.videos("test")[0]
    event = clip.event
    labels = {
        (it["start"], it["end"]): dm.class_names[it["label"]]
        for it in items(dm, "test")
        if it["key"] == clip.key
    }
    assert labels[(4, 8)] == (event if half_inside_is_positive else NORMAL_EVENT)  # 2 of 4 frames inside
    assert labels[(2, 6)] == NORMAL_EVENT  # none inside
    assert labels[(8, 12)] == event
    assert labels[(18, 22)] == (event if half_inside_is_positive else NORMAL_EVENT)
    assert labels[(20, 24)] == NORMAL_EVENT
    assert len(labels) == 29  # every window of the video, 2 frames apart


def test_event_windows_lie_inside_the_event_and_normal_ones_outside(tmp_path: Path, video: Path) -> None:
    dm = classification(
        tmp_path,
        make_clips(video, event=(20, 40)),
        sampling={"include_normal": True, "normal_per_video": 3},
    )
    assert dm.class_names == [NORMAL_EVENT, *EVENTS]
    per_video: dict[str, Counter[str]] = defaultdict(Counter)
    for it in items(dm, "val"):
        name = dm.class_names[it["label"]]
        per_video[it["key"]][name] += 1
        if name == NORMAL_EVENT:
            assert it["end"] <= 20 or it["start"] >= 40
        else:
            assert name == it["event"] and 20 <= it["start"] and it["end"] <= 40
    for counts in per_video.values():
        assert counts[NORMAL_EVENT] == 3
        assert sum(counts.values()) - 3 == 5  # windows [20, 24), [24, 28), ... [36, 40)


def test_without_include_normal_there_is_no_normal_class(tmp_path: Path, video: Path) -> None:
    dm = classification(tmp_path, make_clips(video), sampling={"eval_clips_per_video": 2})
    assert dm.model_kwargs() == {"class_names": EVENTS, "num_classes": 2}
    per_video = Counter(it["key"] for it in items(dm, "test"))
    assert set(per_video.values()) == {2}


def test_an_event_shorter_than_a_window_gets_its_best_window_and_is_counted(
    tmp_path: Path, video: Path
) -> None:
    dm = classification(tmp_path, make_clips(video, event=(21, 23)))
    test = items(dm, "test")
    assert len(test) == len(dm.videos("test"))
    assert {(it["start"], it["end"]) for it in test} == {(20, 24)}
    assert dm.policy.stats["test_short_events"] == len(dm.videos("test"))


# -- training jitter and batches ----------------------------------------------------------------------
def _epoch_starts(dataset: Any, epoch: int) -> list[tuple[str, int]]:
    sampler = EpochShuffle(len(dataset), seed=7)
    sampler.set_epoch(epoch)
    order = list(sampler)  # seeds the NumPy RNG for (seed, epoch), as at the start of every epoch
    return sorted((dataset[i]["key"], dataset[i]["start"]) for i in order)


def test_training_jitter_is_fixed_by_seed_and_epoch_and_keeps_windows_in_the_event(
    tmp_path: Path, video: Path
) -> None:
    dm = classification(
        tmp_path, make_clips(video, event=(10, 50)), clip={"frames": 4, "step": 1, "stride": 8}
    )
    train = dm.dataset("train")
    first, again, other = _epoch_starts(train, 0), _epoch_starts(train, 0), _epoch_starts(train, 1)
    assert first == again
    assert first != other
    unjittered = {(it["key"], it["start"]) for it in items(dm, "val")}  # val: no jitter, same grid
    assert {s for _, s in unjittered} == {16, 24, 32, 40}
    for _, start in first + other:
        assert 10 <= start and start + 4 <= 50  # still inside the event
        assert min(abs(start - s) for s in (16, 24, 32, 40)) <= 4  # within stride // 2
    assert {s for _, s in first} - {16, 24, 32, 40}  # some moved


def test_batches_hold_normalised_clips_labels_and_window_metadata(tmp_path: Path, video: Path) -> None:
    dm = classification(tmp_path, make_clips(video), image_size=[24, 32], augment={"hflip": 0.5})
    batch = next(iter(dm.val_dataloader()))
    assert batch["video"].shape == (4, 3, 4, 24, 32) and batch["video"].dtype == torch.float32
    assert batch["label"].dtype == torch.int64 and batch["label"].shape == (4,)
    for key in ("key", "start", "end", "event", "take", "camera", "inout", "time_of_day"):
        assert isinstance(batch[key], list) and len(batch[key]) == 4
    assert all(isinstance(s, int) for s in batch["start"] + batch["end"])
    assert [dm.class_names[i] for i in batch["label"]] == batch["event"]
    # the first clip is the cached frames resized to 24x32, minus the Kinetics mean, over its std
    cached = dm.cache.get(video)
    first = cached.index_at(batch["start"][0])
    frame = cv2.resize(np.asarray(cached.frames[first]), (32, 24), interpolation=cv2.INTER_AREA)
    expected = (frame.astype(np.float32) / 255 - KINETICS_MEAN) / KINETICS_STD
    torch.testing.assert_close(batch["video"][0, :, 0], torch.from_numpy(expected.transpose(2, 0, 1)))
    train = next(iter(dm.train_dataloader()))
    assert train["video"].shape == (4, 3, 4, 24, 32)


def test_a_flip_mirrors_every_frame_of_the_clip(tmp_path: Path, video: Path) -> None:
    dm = classification(
        tmp_path, make_clips(video), augment={"hflip": 1.0}, clip={"frames": 4, "step": 1, "stride": 1}
    )
    item = dm.dataset("train")[0]
    flipped = pixels(item["video"])
    numbers = [frame_number(f[:, ::-1]) for f in flipped]
    assert numbers == list(range(item["start"], item["start"] + 4))


# -- bad input and artefacts --------------------------------------------------------------------------
def _with_bad_video(tmp_path: Path, video: Path) -> tuple[list[VideoClip], Path]:
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video", encoding="utf-8")
    clips = make_clips(video)
    clips[0] = VideoClip(bad, "fight/bad", "fight", 20, 40, FPS, FRAMES, take=clips[0].take, inout="indoor")
    return clips, bad


def test_skip_mode_drops_an_unreadable_video_and_counts_it(tmp_path: Path, video: Path) -> None:
    clips, bad = _with_bad_video(tmp_path, video)
    dm = classification(tmp_path, clips, on_error="skip")
    kept = [c.key for n in ("train", "val", "test") for c in dm.videos(n)]
    assert "fight/bad" not in kept and len(kept) == len(clips) - 1
    assert dm.policy.stats["videos_unreadable"] == 1
    assert dm.policy.counts["unreadable_video"] == 1
    assert dm.policy.examples[0]["path"] == str(bad)


def test_raise_mode_names_the_unreadable_video(tmp_path: Path, video: Path) -> None:
    clips, bad = _with_bad_video(tmp_path, video)
    with pytest.raises(BadInputError, match="bad.mp4") as caught:
        classification(tmp_path, clips)
    assert caught.value.kind == "unreadable_video"


def test_write_artifacts_lists_the_videos_and_reports_counts_per_split_and_class(
    tmp_path: Path, video: Path
) -> None:
    dm = classification(tmp_path, make_clips(video), sampling={"include_normal": True})
    run_dir = tmp_path / "run"
    dm.write_artifacts(run_dir)
    for name in ("train", "val", "test"):
        listed = (run_dir / f"videos_{name}.txt").read_text(encoding="utf-8").split()
        assert listed == [c.key for c in dm.videos(name)]
    report = json.loads((run_dir / "data_report.json").read_text(encoding="utf-8"))
    assert report["stats"]["videos_read"] == len(make_clips(video))
    assert report["class_names"] == [NORMAL_EVENT, *EVENTS]
    for name in ("train", "val", "test"):
        sizes = report["split_sizes"][name]
        assert sizes["videos"] == len(dm.videos(name))
        assert sizes["takes"] == len({c.take for c in dm.videos(name)})
        assert sizes["windows"] == len(dm.dataset(name))
        per_class = Counter(dm.class_names[it["label"]] for it in items(dm, name))
        assert sizes["windows_per_class"] == {c: per_class[c] for c in dm.class_names}


def test_a_loader_process_keeps_a_bounded_number_of_videos_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("aihub_bench.data.video.OPEN_VIDEOS", 2)
    clips = make_clips(write_index_video(tmp_path / "a.mp4"), takes=3)
    other = write_index_video(tmp_path / "b.mp4")
    clips = [c if i % 2 else VideoClip(**{**vars(c), "video_path": other}) for i, c in enumerate(clips)]
    dm = classification(tmp_path, clips)
    dataset = dm.dataset("train")
    opened = set()
    for i in range(len(dataset)):
        dataset[i]
        opened.add(int(dataset.windows.video[i]))
        assert len(dataset._open) <= 2
    assert len(opened) > 2
