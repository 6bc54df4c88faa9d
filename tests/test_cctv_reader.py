"""The CCTV reader on its twin: whole read-back, labels and names, cross-checks, grouping, missing
files, video verification, and that the twin's events are learnable from trivial features."""

from __future__ import annotations

import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aihub_bench.datasets.cctv import EVENT_FOLDERS, EVENTS, SPEC, read_cctv, write_synthetic_cctv
from aihub_bench.datasets.cctv.layout import parse_stem
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.records import VideoClip


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smoke twin, written once (do not modify it: copy it)."""
    return write_synthetic_cctv(tmp_path_factory.mktemp("cctv") / "twin", **SPEC.smoke)


@pytest.fixture
def copy(twin: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(twin, tmp_path / "twin"))


def _read(root: Path, on_error: str = "raise", **options: object) -> tuple[list[VideoClip], ErrorPolicy]:
    policy = ErrorPolicy(on_error)  # type: ignore[arg-type]
    return read_cctv(root, policy, **options), policy  # type: ignore[arg-type]


def _field(xml: Path, tag: str) -> str:
    match = re.search(rf"<{tag}>([^<]*)</{tag}>", xml.read_text(encoding="utf-8"))
    assert match is not None, (xml, tag)
    return match.group(1)


def _edit(xml: Path, old: str, new: str) -> None:
    text = xml.read_text(encoding="utf-8")
    assert old in text
    xml.write_text(text.replace(old, new, 1), encoding="utf-8")


def _clip(clips: list[VideoClip], stem: str) -> VideoClip:
    return next(c for c in clips if c.video_path.stem == stem)


def test_the_twin_reads_back_whole_with_its_counts_and_labels(twin: Path) -> None:
    clips, policy = _read(twin)
    videos = sorted(twin.rglob("*.mp4"))
    assert len(clips) == len(videos) == SPEC.smoke_samples
    assert [c.key for c in clips] == sorted(c.key for c in clips)
    for event in EVENTS:  # the folder an event's videos sit in names it
        in_folder = len(list((twin / EVENT_FOLDERS[event]).rglob("*.mp4")))
        assert policy.stats[f"videos/event/{event}"] == in_folder > 0
        assert {c.event for c in clips if c.key.startswith(EVENT_FOLDERS[event])} == {event}
    assert policy.stats["takes"] == len({p.parent.name for p in videos}) == 12 * 2
    assert sum(policy.stats[f"videos/inout/{x}"] for x in ("indoor", "outdoor")) == len(clips)
    assert policy.skipped == 0 and "event_mismatch" not in policy.stats
    first = clips[0]
    xml = first.video_path.with_suffix(".xml")
    h, m, s = (float(p) for p in _field(xml, "starttime").split(":"))
    assert first.event_start == round((3600 * h + 60 * m + s) * 10)
    assert (first.fps, first.num_frames, first.width, first.height) == (10.0, 120, 160, 90)
    assert first.actions and all(a.ranges for a in first.actions)
    assert first.meta["xml"] == str(xml) and first.meta["objects"] == len(first.meta["character"].split(","))


def test_assult_and_digit_suffixes_map_to_the_event(twin: Path) -> None:
    clips, _ = _read(twin)
    misspelt = [c for c in clips if "_assult" in c.key]
    assert misspelt and {c.event for c in misspelt} == {"assault"}
    assert all(re.search(r"_(assault|assult)\d\d_", c.key) for c in clips if c.event == "assault")
    assert EVENT_FOLDERS["assault"] == "01.폭행(assult)"


def test_time_source_decides_which_day_or_night_wins(twin: Path) -> None:
    named = {}
    for xml in twin.rglob("*.xml"):
        info = parse_stem(xml.stem)
        assert info is not None
        named[xml.stem] = (_field(xml, "time").lower(), info.time_of_day)
    disagreeing = {stem for stem, (header, name) in named.items() if header != name}
    assert disagreeing  # the twin carries the quirk
    by_header, policy = _read(twin, time_source="header")
    by_name, _ = _read(twin, time_source="filename")
    assert policy.stats["time_mismatch"] == len(disagreeing)
    for header_clip, name_clip in zip(by_header, by_name, strict=True):
        header, name = named[header_clip.video_path.stem]
        assert (header_clip.time_of_day, name_clip.time_of_day) == (header, name)


def test_disagreements_with_the_path_are_counted(copy: Path) -> None:
    xml = sorted((copy / EVENT_FOLDERS["assault"]).glob("insidedoor_*/*/*cam01*.xml"))[0]
    _edit(xml, "<eventname>assault</eventname>", "<eventname>fight</eventname>")
    _edit(xml, "<inout>IN</inout>", "<inout>OUT</inout>")
    clips, policy = _read(copy)
    assert (policy.stats["event_mismatch"], policy.stats["inout_mismatch"]) == (1, 1)
    assert (_clip(clips, xml.stem).event, _clip(clips, xml.stem).inout) == ("fight", "outdoor")
    by_path, _ = _read(copy, event_source="path")
    assert _clip(by_path, xml.stem).event == "assault"


def test_an_unparsed_name_is_counted_and_read_from_the_xml(copy: Path) -> None:
    video = sorted(copy.rglob("*.mp4"))[0]
    for path in (video, video.with_suffix(".xml")):
        path.rename(path.with_name(f"clip_a{path.suffix}"))
    clips, policy = _read(copy)
    clip = _clip(clips, "clip_a")
    assert policy.stats["unparsed_name"] == 1 and len(clips) == SPEC.smoke_samples
    assert clip.camera == "" and clip.place and clip.take == video.parent.name and clip.event == "assault"


def test_every_camera_and_season_of_a_take_share_its_group(twin: Path) -> None:
    clips, _ = _read(twin)
    by_take: dict[str, list[VideoClip]] = defaultdict(list)
    for c in clips:
        by_take[c.take].append(c)
    mixed = [
        t for t, cs in by_take.items() if len({c.season for c in cs}) > 1 and len({c.camera for c in cs}) > 1
    ]
    assert mixed  # takes filmed by several cameras and again in another season
    assert all({c.group for c in by_take[t]} == {t} for t in by_take)
    per_video, _ = _read(twin, group_by="video")
    assert [c.group for c in per_video] == [c.key for c in per_video]


@pytest.mark.parametrize(("suffix", "kind"), [(".xml", "missing_annotation"), (".mp4", "missing_video")])
def test_a_missing_xml_or_mp4_is_named_or_counted(copy: Path, suffix: str, kind: str) -> None:
    gone = sorted(copy.rglob(f"*{suffix}"))[3]
    gone.unlink()
    with pytest.raises(BadInputError) as caught:
        _read(copy)
    assert (caught.value.kind, caught.value.path) == (kind, str(gone))
    clips, policy = _read(copy, "skip")
    assert len(clips) == SPEC.smoke_samples - 1 and policy.counts[kind] == 1


def test_verify_videos_compares_the_container_with_the_header(copy: Path) -> None:
    xml = sorted(copy.rglob("*.xml"))[0]
    _edit(xml, "<frames>120</frames>", "<frames>130</frames>")
    header, policy = _read(copy, verify_videos="header")
    assert _clip(header, xml.stem).num_frames == 120 and policy.stats["frame_count_mismatch"] == 1
    trusting, policy = _read(copy, verify_videos="none")
    assert _clip(trusting, xml.stem).num_frames == 130 and "frame_count_mismatch" not in policy.stats
    decoded, policy = _read(copy, verify_videos="full")
    assert _clip(decoded, xml.stem).num_frames == 120 and policy.stats["frame_count_mismatch"] == 1
    with pytest.raises(ValueError, match="verify_videos"):
        _read(copy, verify_videos="sometimes")


def test_events_and_max_videos_filter(twin: Path) -> None:
    some, policy = _read(twin, events=["Fight", "swoon"])
    assert {c.event for c in some} == {"fight", "swoon"}
    assert policy.stats["videos_left_out_by_events"] == SPEC.smoke_samples - len(some)
    capped, policy = _read(twin, max_videos=12)
    assert len(capped) == 12 and len({c.event for c in capped}) >= 8  # spread over the event folders
    assert policy.stats["videos_left_out_by_max_videos"] == SPEC.smoke_samples - 12
    with pytest.raises(ValueError, match="events"):
        _read(twin, events=["picnic"])


# ------------------------------------------------------------------------------------------ learnable

WINDOW = 8  # frames at 5 fps: 1.6 s


def _frames(video: Path) -> np.ndarray:
    """Every second frame (10 -> 5 fps), BGR int16."""
    capture = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame.astype(np.int16))
    capture.release()
    return np.stack(frames[::2])


def _features(moving: np.ndarray, foreground: np.ndarray) -> list[float]:
    """Trivial statistics of a window (``moving``: its frame-to-frame changes, ``foreground``: where it
    differs from the video's median frame): how much moves, how often each moving pixel moves, how
    much is foreground and how much of that stays put for the whole window, how much of the width the
    motion spans, and how unsteady it is over time (strikes come in bursts, walking does not)."""
    times = moving.sum(0)
    per_frame = moving.mean(axis=(1, 2))
    return [
        float(np.log10(moving.mean() + 1e-4)),
        float(times[times > 0].mean()) if times.any() else 0.0,
        float(np.log10(foreground.mean() + 1e-4)),
        float(foreground.all(0).sum() / max(1, foreground.any(0).sum())),
        float(moving.any(axis=(0, 1)).mean()),
        float(per_frame.std() / (per_frame.mean() + 1e-4)),
    ]


def test_the_twin_is_learnable_from_trivial_features(twin: Path) -> None:
    """Windows wholly inside an event against windows wholly outside (people walking): a k-NN on six
    frame-difference statistics, validated across takes, tells them apart and tells events apart."""
    clips, _ = _read(twin)
    rows, labels, groups = [], [], []
    for clip in clips:
        frames = _frames(clip.video_path)
        moving = np.abs(np.diff(frames, axis=0)).max(-1) > 30
        foreground = np.abs(frames - np.median(frames, axis=0)).max(-1) > 40
        for first in range(0, len(frames) - WINDOW + 1, 2):
            start, end = 2 * first, 2 * (first + WINDOW)  # source frames, half-open
            inside = clip.event_start <= start and end <= clip.event_end
            if inside or end <= clip.event_start or start >= clip.event_end:
                rows.append(_features(moving[first : first + WINDOW - 1], foreground[first : first + WINDOW]))
                labels.append(clip.event if inside else "normal")
                groups.append(clip.take)
    x, y, g = np.array(rows), np.array(labels), np.array(groups)
    knn = make_pipeline(StandardScaler(), KNeighborsClassifier(5))
    is_event = y != "normal"
    majority = max(is_event.mean(), 1 - is_event.mean())
    event_vs_walking = cross_val_score(knn, x, is_event, groups=g, cv=GroupKFold(4)).mean()
    assert event_vs_walking >= 0.85 > majority + 0.2, (event_vs_walking, majority)
    which_event = cross_val_score(knn, x[is_event], y[is_event], groups=g[is_event], cv=GroupKFold(4)).mean()
    assert which_event >= 0.5, which_event  # 12 events: chance is 1/12
    counts = Counter(y)
    assert all(counts[e] >= 10 for e in EVENTS), counts
    # a fight moves a lot in every window; a swoon ends lying still
    assert x[y == "fight", 0].min() > x[y == "swoon", 0].max()
