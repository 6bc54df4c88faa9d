"""Benchmark: decoding 4K-like video once into the frame cache, and reading training windows from it.

    python scripts/bench_video_decode.py --clips 2 --seconds 6 --workers 1,2 --out logs/bench/video_decode

Writes ``--clips`` synthetic CCTV-like clips (a static scene, sensor noise that changes every frame,
moving figures; 3840x2160 at 30 fps by default) as H.264 when an installed encoder can write it
(cv2 ``avc1``/``H264``, else PyAV's libx264), else as MPEG-4 Part 2 (cv2 ``mp4v``); the output says
which. Then measures, with :mod:`aihub_bench.formats.video`:

* raw decode at full resolution (every frame decoded and converted to BGR), frames/s, at OpenCV's
  default FFmpeg thread count and at fixed counts (``CAP_PROP_N_THREADS``); decode without
  conversion (``grab`` only, what skipped frames cost); PyAV for comparison when it is installed;
* decode + downscale into the cache (``VideoFrameCache.warm``) at fps 3 / short side 112 and fps 5 /
  short side 64, at each ``--workers`` count: source frames/s, hours of video per hour (video
  seconds / wall seconds) and cache size per hour of video;
* 16-frame windows (fps 3 / 112): read from the memory-mapped cache (``get`` + ``window``) against
  decoding the same frames from the mp4 each time (seek to the first, decode to the last).

Writes ``<out>.json`` and ``<out>.md``. Numbers for docs/benchmarks.md ("Video decoding").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, when not pip-installed

from aihub_bench.formats.video import VideoFrameCache, probe_video, resized_shape  # noqa: E402

SETTINGS = ((3.0, 112), (5.0, 64))  # (fps, short side) of the cache
WINDOW = 16
REAL_RELEASE_HOURS = 700.0


@dataclass
class Writer:
    """An open video writer: ``write(rgb_frame)``, ``close()``, and what it encodes."""

    codec: str
    write: Callable[[np.ndarray], None]
    close: Callable[[], None]


def _cv2_writer(path: Path, fourcc: str, fps: float, size: tuple[int, int]) -> Writer | None:
    """A cv2 writer, or None when this build cannot encode ``fourcc`` (FFmpeg may still log why)."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    finally:
        cv2.utils.logging.setLogLevel(level)
    if not writer.isOpened():
        writer.release()
        path.unlink(missing_ok=True)
        return None
    codec = "MPEG-4 Part 2 (cv2 mp4v)" if fourcc == "mp4v" else f"H.264 (cv2 {fourcc})"
    return Writer(codec, lambda rgb: writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)), writer.release)


def _pyav_writer(path: Path, fps: float, size: tuple[int, int]) -> Writer | None:
    try:
        import av
    except ImportError:
        return None
    container = av.open(str(path), "w")
    try:
        stream = container.add_stream("libx264", rate=round(fps))
    except (ValueError, av.error.FFmpegError):
        container.close()
        return None
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.options = {"preset": "superfast", "crf": "23"}  # CABAC on, like camera encoders
    stream.codec_context.gop_size = round(fps)  # a key frame a second, as CCTV encoders are usually set

    def write(rgb: np.ndarray) -> None:
        for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
            container.mux(packet)

    def close() -> None:
        for packet in stream.encode():
            container.mux(packet)
        container.close()

    return Writer(f"H.264 (PyAV {av.__version__} libx264, preset superfast, crf 23, GOP 1 s)", write, close)


def open_writer(path: Path, fps: float, size: tuple[int, int]) -> Writer:
    """H.264 if any installed encoder writes it, else mp4v."""
    for fourcc in ("avc1", "H264"):
        writer = _cv2_writer(path, fourcc, fps, size)
        if writer is not None:
            return writer
    writer = _pyav_writer(path, fps, size)
    if writer is None:
        writer = _cv2_writer(path, "mp4v", fps, size)
    if writer is None:
        raise SystemExit("no video encoder available (not even cv2 mp4v)")
    return writer


def write_clip(path: Path, seconds: float, fps: float, size: tuple[int, int], seed: int, noise: int) -> str:
    """A CCTV-like clip: a static scene, sensor noise (0..``noise``) that changes every frame, four
    figures walking across."""
    width, height = size
    rng = np.random.default_rng(seed)
    scene = np.empty((height, width, 3), np.uint8)
    scene[:] = np.linspace(60, 160, width, dtype=np.uint8)[None, :, None]
    for _ in range(12):  # furniture
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(scene, (x, y), (x + width // 10, y + height // 8), colour, -1)
    margin = 32
    grain = rng.integers(0, noise + 1, (height + margin, width + margin, 3), dtype=np.uint8)
    actors = rng.uniform(0, 1, (4, 4))  # start x, y, speed x, speed y (fractions of the frame)
    writer = open_writer(path, fps, size)
    frame = np.empty_like(scene)
    for i in range(round(seconds * fps)):
        dy, dx = (i * 7) % margin, (i * 13) % margin
        cv2.add(scene, grain[dy : dy + height, dx : dx + width], dst=frame)
        for k, (x0, y0, vx, vy) in enumerate(actors):
            t = i / fps
            cx = int(((x0 + (vx - 0.5) * 0.1 * t) % 1.0) * width)
            cy = int(((y0 + (vy - 0.5) * 0.05 * t) % 1.0) * height)
            body = (width // 40, height // 8)
            cv2.ellipse(frame, (cx, cy), body, 0, 0, 360, (200 - 40 * k, 60 + 40 * k, 90), -1)
            cv2.circle(frame, (cx, cy - body[1] - height // 30), height // 30, (230, 190, 160), -1)
        writer.write(frame)
    writer.close()
    return writer.codec


@contextmanager
def stopwatch(result: dict[str, float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    result["seconds"] = time.perf_counter() - start


def raw_decode(clips: list[Path], threads: int | None, convert: bool = True) -> dict[str, Any]:
    """Decode every frame at full resolution (``convert``: to BGR too), frames/s."""
    frames, timing = 0, {"seconds": 0.0}
    with stopwatch(timing):
        for clip in clips:
            params = [] if threads is None else [cv2.CAP_PROP_N_THREADS, threads]
            capture = cv2.VideoCapture(str(clip), cv2.CAP_FFMPEG, params)
            while capture.grab():
                if convert:
                    capture.retrieve()
                frames += 1
            capture.release()
    return {
        "decoder": "cv2",
        "threads": "default" if threads is None else threads,
        "convert": convert,
        "frames": frames,
        "seconds": round(timing["seconds"], 3),
        "frames_per_s": round(frames / timing["seconds"], 1),
    }


def pyav_decode(clips: list[Path]) -> dict[str, Any] | None:
    """PyAV (frame + slice threading) decoding every frame to BGR, when PyAV is installed."""
    try:
        import av
    except ImportError:
        return None
    frames, timing = 0, {"seconds": 0.0}
    with stopwatch(timing):
        for clip in clips:
            with av.open(str(clip)) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                for frame in container.decode(stream):
                    frame.to_ndarray(format="bgr24")
                    frames += 1
    return {
        "decoder": f"PyAV {av.__version__}",
        "threads": "auto",
        "convert": True,
        "frames": frames,
        "seconds": round(timing["seconds"], 3),
        "frames_per_s": round(frames / timing["seconds"], 1),
    }


def cache_build(clips: list[Path], work: Path, fps: float, short_side: int, workers: int) -> dict[str, Any]:
    """``VideoFrameCache.warm`` from cold: throughput and cache size."""
    cache_dir = work / f"cache_fps{fps:g}_s{short_side}_w{workers}"
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache = VideoFrameCache(cache_dir, fps=fps, short_side=short_side)
    timing = {"seconds": 0.0}
    with stopwatch(timing):
        failures = cache.warm(clips, workers=workers)
    if failures:
        raise SystemExit(f"cache build failed: {failures}")
    entries = [cache.get(clip) for clip in clips]
    source_frames = sum(entry.source_frames for entry in entries)
    video_seconds = sum(entry.source_frames / entry.source_fps for entry in entries)
    cache_bytes = sum(cache.path_for(clip).stat().st_size for clip in clips)
    seconds = timing["seconds"]
    return {
        "fps": fps,
        "short_side": short_side,
        "workers": workers,
        "frame_shape": list(entries[0].frames.shape[1:]),
        "cached_frames": sum(len(entry) for entry in entries),
        "source_frames": source_frames,
        "video_seconds": round(video_seconds, 2),
        "seconds": round(seconds, 3),
        "source_frames_per_s": round(source_frames / seconds, 1),
        "video_hours_per_hour": round(video_seconds / seconds, 3),
        "cache_gib_per_video_hour": round(cache_bytes / video_seconds * 3600 / 2**30, 3),
        "cache_dir": str(cache_dir),
    }


def decode_window_from_mp4(clip: Path, source_frames: np.ndarray, short_side: int) -> np.ndarray:
    """The frames ``source_frames`` of ``clip``, decoded from the mp4: seek to the first, decode to the last."""
    capture = cv2.VideoCapture(str(clip))
    capture.set(cv2.CAP_PROP_POS_FRAMES, int(source_frames[0]))
    wanted = set(int(i) for i in source_frames)
    out = []
    for index in range(int(source_frames[0]), int(source_frames[-1]) + 1):
        if not capture.grab():
            break
        if index in wanted:
            frame = capture.retrieve()[1]
            height, width = resized_shape(frame.shape[0], frame.shape[1], short_side)
            small = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
            out.append(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
    capture.release()
    return np.stack(out)


def window_reads(clips: list[Path], cache_dir: Path, reads: int, uncached: int, seed: int) -> dict[str, Any]:
    """16-frame windows at fps 3 / 112: memmap reads (with and without ``get``) against decoding each time."""
    fps, short_side = SETTINGS[0]
    cache = VideoFrameCache(cache_dir, fps=fps, short_side=short_side)
    rng = np.random.default_rng(seed)
    entries = {clip: cache.get(clip) for clip in clips}
    picks = [
        (clip, int(rng.integers(0, max(1, len(entries[clip]) - WINDOW + 1))))
        for clip in (clips[int(i)] for i in rng.integers(0, len(clips), reads))
    ]
    with_get, held, mp4 = {"seconds": 0.0}, {"seconds": 0.0}, {"seconds": 0.0}
    with stopwatch(with_get):
        for clip, first in picks:
            cache.get(clip).window(first, WINDOW)
    with stopwatch(held):
        for clip, first in picks:
            entries[clip].window(first, WINDOW)
    with stopwatch(mp4):
        for clip, first in picks[:uncached]:
            entry = entries[clip]
            indices = np.clip(first + np.arange(WINDOW), 0, len(entry) - 1)
            decode_window_from_mp4(clip, entry.source_index[indices], short_side)
    cached_rate = reads / with_get["seconds"]
    mp4_rate = uncached / mp4["seconds"]
    return {
        "window_frames": WINDOW,
        "fps": fps,
        "short_side": short_side,
        "cached_reads": reads,
        "cached_windows_per_s": round(cached_rate, 1),
        "cached_windows_per_s_entry_held": round(reads / held["seconds"], 1),
        "mp4_reads": uncached,
        "mp4_windows_per_s": round(mp4_rate, 3),
        "speedup": round(cached_rate / mp4_rate, 1),
    }


def extrapolate(builds: list[dict[str, Any]], cores: list[int]) -> list[dict[str, Any]]:
    """700 h of video at the best measured rate of each setting, scaled by cores (processes scale linearly
    as long as every worker has a core and the disk keeps up)."""
    cpu = os.cpu_count() or 1
    out = []
    for fps, short_side in SETTINGS:
        runs = [b for b in builds if (b["fps"], b["short_side"]) == (fps, short_side)]
        best = max(runs, key=lambda b: b["video_hours_per_hour"])
        per_core = best["video_hours_per_hour"] / cpu
        out.append(
            {
                "fps": fps,
                "short_side": short_side,
                "video_hours_per_hour_per_core": round(per_core, 3),
                "cache_gib_total": round(best["cache_gib_per_video_hour"] * REAL_RELEASE_HOURS, 1),
                "hours": {str(n): round(REAL_RELEASE_HOURS / (per_core * n), 1) for n in cores},
            }
        )
    return out


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        f"Clips: {summary['clips']} x {summary['seconds']} s, {summary['size']} at {summary['fps']} fps, "
        f"{summary['codec']}, {summary['bitrate_mbit_s']} Mbit/s; {summary['cpu_count']} cores, "
        f"OpenCV {summary['opencv']}.",
        "",
        "| Raw decode (full resolution) | Threads | Frames/s |",
        "|---|---|---|",
    ]
    for r in summary["raw_decode"]:
        what = f"{r['decoder']}, {'decode + BGR' if r['convert'] else 'decode only (grab)'}"
        lines.append(f"| {what} | {r['threads']} | {r['frames_per_s']} |")
    lines += [
        "",
        "| Cache build | Workers | Frame | Source frames/s | Video h per h | Cache GiB per video h |",
        "|---|---|---|---|---|---|",
    ]
    for b in summary["cache_build"]:
        shape = "x".join(str(n) for n in b["frame_shape"][:2])
        lines.append(
            f"| fps {b['fps']:g}, short side {b['short_side']} | {b['workers']} | {shape} | "
            f"{b['source_frames_per_s']} | {b['video_hours_per_hour']} | {b['cache_gib_per_video_hour']} |"
        )
    w = summary["windows"]
    lines += [
        "",
        f"16-frame windows (fps {w['fps']:g}, short side {w['short_side']}): cache {w['cached_windows_per_s']}/s "
        f"(entry held: {w['cached_windows_per_s_entry_held']}/s), decoding from the mp4 each time "
        f"{w['mp4_windows_per_s']}/s: **{w['speedup']:,.0f}x**.",
        "",
        "| 700 h of video | Video h per h per core | Cache total | "
        + " | ".join(f"{n} cores" for n in summary["extrapolation"][0]["hours"])
        + " |",
        "|---|---|---|" + "---|" * len(summary["extrapolation"][0]["hours"]),
    ]
    for e in summary["extrapolation"]:
        hours = " | ".join(f"{h} h" for h in e["hours"].values())
        lines.append(
            f"| fps {e['fps']:g}, short side {e['short_side']} | {e['video_hours_per_hour_per_core']} | "
            f"{e['cache_gib_total']} GiB | {hours} |"
        )
    return "\n".join(lines) + "\n"


def best_of(repeats: int, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The fastest of ``repeats`` runs (other jobs on a shared machine only ever slow a run down)."""
    runs = [measure() for _ in range(repeats)]
    return min(runs, key=lambda r: r["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clips", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each clip")
    parser.add_argument("--size", default="3840x2160", help="WIDTHxHEIGHT of the synthetic clips")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate of the synthetic clips")
    parser.add_argument("--noise", type=int, default=6, help="sensor noise amplitude (sets the bitrate)")
    parser.add_argument("--workers", default="1,2", help="comma-separated process counts for the cache build")
    parser.add_argument(
        "--threads", default="1,2", help="fixed FFmpeg thread counts to compare with the default"
    )
    parser.add_argument("--reads", type=int, default=2000, help="cached window reads")
    parser.add_argument("--mp4-reads", type=int, default=4, help="window reads decoded from the mp4")
    parser.add_argument("--repeats", type=int, default=1, help="runs per measurement; the fastest is kept")
    parser.add_argument("--cores", default="2,16,64", help="core counts for the 700 h extrapolation")
    parser.add_argument("--out", default="logs/bench/video_decode", help="writes <out>.json and <out>.md")
    parser.add_argument(
        "--work", default=None, help="where to write clips and caches (default: a temp dir, removed)"
    )
    args = parser.parse_args()

    width, height = (int(n) for n in args.size.lower().split("x"))
    work = Path(args.work or tempfile.mkdtemp(prefix="video_decode_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    clips, codec = [], ""
    start = time.perf_counter()
    for i in range(args.clips):
        clip = work / f"clip{i:02d}_cam01_fight01_place01_day_summer.mp4"
        codec = write_clip(clip, args.seconds, args.fps, (width, height), seed=i, noise=args.noise)
        clips.append(clip)
    clip_bytes = sum(c.stat().st_size for c in clips)
    info = probe_video(clips[0])
    bitrate = clip_bytes * 8 / (args.clips * args.seconds) / 1e6
    print(
        f"wrote {args.clips} clips ({codec}, {info.width}x{info.height} at {info.fps:g} fps, "
        f"{info.frame_count} frames each, {bitrate:.1f} Mbit/s) in {time.perf_counter() - start:.1f} s: {work}"
    )

    repeats = max(1, args.repeats)
    raw = [best_of(repeats, lambda: raw_decode(clips, None))]
    raw.append(best_of(repeats, lambda: raw_decode(clips, None, convert=False)))
    for n in (int(n) for n in args.threads.split(",") if n):
        raw.append(best_of(repeats, lambda: raw_decode(clips, n)))  # noqa: B023 (called at once)
    pyav = pyav_decode(clips)
    if pyav is not None:
        raw.append(pyav)
    for r in raw:
        print(
            f"raw decode {r['decoder']:<12} threads {r['threads']!s:<8} convert {r['convert']!s:<6} "
            f"{r['frames_per_s']:>8.1f} frames/s"
        )
    builds = []
    for fps, short_side in SETTINGS:
        for workers in (int(n) for n in args.workers.split(",")):
            b = best_of(repeats, lambda: cache_build(clips, work, fps, short_side, workers))  # noqa: B023
            builds.append(b)
            print(
                f"cache fps {fps:g} short {short_side} workers {workers}: {b['source_frames_per_s']:.1f} "
                f"source frames/s, {b['video_hours_per_hour']:.3f} video h/h, "
                f"{b['cache_gib_per_video_hour']:.3f} GiB per video hour"
            )
    first_cache = Path(next(b["cache_dir"] for b in builds if (b["fps"], b["short_side"]) == SETTINGS[0]))
    windows = window_reads(clips, first_cache, args.reads, args.mp4_reads, seed=0)
    print(
        f"windows: cache {windows['cached_windows_per_s']}/s, mp4 {windows['mp4_windows_per_s']}/s "
        f"({windows['speedup']}x)"
    )
    summary: dict[str, Any] = {
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "clips": args.clips,
        "noise": args.noise,
        "seconds": args.seconds,
        "size": f"{width}x{height}",
        "fps": args.fps,
        "codec": codec,
        "bitrate_mbit_s": round(bitrate, 1),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "repeats": repeats,
        "platform": platform.platform(),
        "opencv": cv2.__version__,
        "raw_decode": raw,
        "cache_build": builds,
        "windows": windows,
        "extrapolation": extrapolate(builds, [int(n) for n in args.cores.split(",")]),
    }
    text = markdown(summary)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    out.with_suffix(".md").write_text(text, encoding="utf-8")
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
