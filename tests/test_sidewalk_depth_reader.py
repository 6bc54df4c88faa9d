"""The 인도 보행 depth reader and twin: sets by name, depth equal to the rendered scene, crops, options."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aihub_bench.datasets.sidewalk_depth import read_sidewalk_depth, write_synthetic_sidewalk_depth
from aihub_bench.datasets.sidewalk_depth.layout import file_name, parse_name
from aihub_bench.datasets.sidewalk_depth.synth import FIRST_WALK, RenderedSet, crop_kind, render_set
from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.disparity import depth_from_disparity, read_confidence_png, read_disparity_png
from aihub_bench.formats.images import load_rgb
from aihub_bench.formats.zed_conf import read_zed_conf
from aihub_bench.records import DepthSample

WALKS, SETS = 2, 5  # set 2 of each walk is a crop of every file, set 4 of the maps only
SIZE = (216, 384)
BAND = (49, 167)  # the twin's default 118 rows (592 of 1080), centred


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_sidewalk_depth(
        tmp_path_factory.mktemp("depth") / "root", sequences=WALKS, frames_per_sequence=SETS, seed=3
    )


def _read(root: Path, policy: ErrorPolicy | None = None, **options: object) -> list[DepthSample]:
    return read_sidewalk_depth(root, policy or ErrorPolicy("raise"), **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, int], RenderedSet]:
    """The twin's sets as rendered (views and exact depth), by walk id and set number."""
    return {
        (f"{FIRST_WALK + w:06d}", n): render_set(3, w, n, SIZE, BAND[1] - BAND[0])
        for w in range(1, WALKS + 1)
        for n in range(1, SETS + 1)
    }


def _within_quantisation(depth: np.ndarray, truth: np.ndarray, fx_baseline: float, scale: float) -> bool:
    """A disparity rounded to 1/scale px is off by at most q = 0.5/scale: depth by Z * q / (d - q)."""
    q = 0.5 / scale
    bound = truth * q / (fx_baseline / truth - q)
    return bool(np.all(np.abs(depth - truth) <= bound * 1.001 + 1e-6 * truth))


def _copy(twin: Path, tmp_path: Path) -> Path:
    root = tmp_path / "root"
    shutil.copytree(twin, root)
    return root


def test_every_set_reads_back_grouped_by_walk(twin: Path) -> None:
    policy = ErrorPolicy("raise")
    samples = _read(twin, policy)
    assert [(s.group, s.meta["frame"]) for s in samples] == [
        (f"{FIRST_WALK + w:06d}", n) for w in range(1, WALKS + 1) for n in range(1, SETS + 1)
    ]
    assert [s.image_id for s in samples] == list(range(1, WALKS * SETS + 1))
    assert all(s.left_path.name == file_name("left", s.group, s.meta["frame"]) for s in samples)
    assert all(s.right_path is not None and s.confidence_path is not None for s in samples)
    assert policy.skipped == 0
    # every set's fx is its .conf's FHD fx scaled to the twin's 384 px; each walk its own camera
    for s in samples:
        conf = read_zed_conf(
            s.left_path.parent / f"Sidewalk_19009_depth_output_{s.group}_{s.meta['frame']}.conf"
        )
        assert (
            s.fx == pytest.approx(conf.left["FHD"].fx * 384 / 1920)
            and s.baseline_m == conf.baseline_mm / 1000
        )
    assert len({s.fx for s in samples}) == WALKS
    assert policy.stats["sets_calibration_scaled_to_width"] == WALKS * SETS
    assert policy.stats["sets_disparity_shorter_than_left_view"] == WALKS  # set 4 of each walk


def test_depth_from_the_disparity_is_the_rendered_depth_within_quantisation(
    twin: Path, rendered: dict[tuple[str, int], RenderedSet]
) -> None:
    for sample in _read(twin):
        top = BAND[0] if sample.height < SIZE[0] else 0
        truth = rendered[sample.group, sample.meta["frame"]].depth[top : top + sample.height]
        disparity = read_disparity_png(sample.disparity_path, sample.disparity_scale)
        depth = depth_from_disparity(disparity, sample.fx, sample.baseline_m)
        valid = disparity > 0
        assert valid.any() and np.isfinite(truth[valid]).all()  # no value on the sky
        fx_baseline = sample.fx * sample.baseline_m
        assert _within_quantisation(depth[valid], truth[valid], fx_baseline, sample.disparity_scale)
        if sample.height == SIZE[0]:  # a raw frame: values only in the central band
            assert not valid[: BAND[0]].any() and not valid[BAND[1] :].any()


def test_crops_and_raw_frames_put_the_disparity_window_on_the_left_view(
    twin: Path, rendered: dict[tuple[str, int], RenderedSet]
) -> None:
    for sample in _read(twin):
        kind = crop_kind(sample.meta["frame"])
        left = load_rgb(sample.left_path)
        view = rendered[sample.group, sample.meta["frame"]].left
        if kind == "raw":
            assert (sample.height, sample.crop_top, left.shape[0]) == (216, 0, 216)
        elif kind == "crop":  # every file cut to the band
            assert (sample.height, sample.crop_top, left.shape[0]) == (118, 0, 118)
        else:  # only the maps cut: placed in the taller view by crop_top=centre
            assert (sample.height, sample.crop_top, left.shape[0]) == (118, BAND[0], 216)
        window = left[sample.crop_top : sample.crop_top + sample.height]
        top = BAND[0] if sample.height < SIZE[0] else 0
        assert np.array_equal(window, view[top : top + sample.height])


def test_the_twin_renders_a_pinhole_camera_over_a_ground_plane() -> None:
    """The bottom row's centre is sidewalk (the walking lane is kept free): Z = fy * height / (v - cy)."""
    rendered = render_set(5, 1, 1, SIZE, 118)
    v, u = SIZE[0] - 1, SIZE[1] // 2
    expected = rendered.fy * rendered.camera_height / (v + 0.5 - rendered.cy)
    assert rendered.depth[v, u] == pytest.approx(expected, rel=1e-9)
    # nearer rows are nearer ground: depth falls down the central column's ground rows
    column = rendered.depth[BAND[1] :, u]
    assert np.all(np.diff(column) < 0)


def test_confidence_covers_the_no_value_zone_and_drops_occlusions(twin: Path) -> None:
    zeros = 0
    for sample in _read(twin):
        assert sample.confidence_path is not None
        confident = read_confidence_png(sample.confidence_path)
        disparity = read_disparity_png(sample.disparity_path, sample.disparity_scale)
        assert confident[disparity == 0].all()
        zeros += int((~confident).sum())
    assert zeros > 0


def test_the_left_view_option_reads_the_rgba_copy(twin: Path) -> None:
    rgb, rgba = _read(twin), _read(twin, left_view="L")
    assert [s.left_path.name.split("_")[3] for s in rgba] == ["L"] * len(rgb)
    with Image.open(rgba[0].left_path) as im:
        assert im.mode == "RGBA"
    assert np.array_equal(load_rgb(rgba[0].left_path), load_rgb(rgb[0].left_path))


def test_calibration_and_crop_options(twin: Path) -> None:
    sample = _read(twin)[0]
    conf = read_zed_conf(next(sample.left_path.parent.glob("*_output_*_1.conf")))
    hd = _read(twin, calibration="HD")[0]
    assert hd.fx == pytest.approx(conf.left["HD"].fx * 384 / 1280)
    vga = _read(twin, resized_from="VGA")[0]
    assert vga.fx == pytest.approx(conf.left["VGA"].fx * 384 / 672)
    rows = [s.crop_top for s in _read(twin, crop_top=10) if crop_kind(s.meta["frame"]) == "disparity_crop"]
    assert rows == [10] * WALKS
    with pytest.raises(BadInputError, match=r"crop_top=100 puts the disparity map's 118 rows past") as caught:
        _read(twin, crop_top=100)
    assert caught.value.kind == "size_mismatch" and "disp16" in caught.value.path
    bare = _read(twin, right_view=None, confidence_view=None)
    assert all(s.right_path is None and s.confidence_path is None for s in bare)


@pytest.mark.parametrize(
    "options",
    [
        {"left_view": "right"},
        {"right_view": "left"},
        {"confidence_view": "disp"},
        {"disparity_scale": 0},
        {"calibration": "4K"},
        {"resized_from": "auto"},
        {"crop_top": -1},
        {"crop_top": "middle"},
        {"verify_images": True},
    ],
)
def test_bad_options_are_refused(twin: Path, options: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        _read(twin, **options)


def test_a_twin_at_another_disparity_scale_reads_with_the_matching_option(tmp_path: Path) -> None:
    root = write_synthetic_sidewalk_depth(tmp_path, sequences=1, frames_per_sequence=1, disparity_scale=64.0)
    sample = _read(root, disparity_scale=64.0)[0]
    truth = render_set(0, 1, 1, SIZE, 118).depth
    depth = depth_from_disparity(
        read_disparity_png(sample.disparity_path, 64.0), sample.fx, sample.baseline_m
    )
    valid = depth > 0
    assert _within_quantisation(depth[valid], truth[valid], sample.fx * sample.baseline_m, 64.0)
    wrong = _read(root)[0]  # the default 256: every depth four times too far
    assert wrong.disparity_scale == 256.0
    far = depth_from_disparity(read_disparity_png(wrong.disparity_path, 256.0), wrong.fx, wrong.baseline_m)
    assert np.allclose(far[valid], 4 * depth[valid], rtol=1e-5)


def test_set_files_are_gathered_by_name_from_any_folder(twin: Path, tmp_path: Path) -> None:
    root = _copy(twin, tmp_path)
    for path in sorted(root.rglob("*")):  # one folder per kind, as a release download may be unpacked
        name = parse_name(
            path.name, r"^Sidewalk_19009_depth_(?P<kind>[A-Za-z0-9]+)_(?P<sequence>\d+)_(?P<frame>\d+)\.\w+$"
        )
        if path.is_file() and name is not None:
            folder = root / "by_kind" / str(name.kind)
            folder.mkdir(parents=True, exist_ok=True)
            path.rename(folder / path.name)
    for path in (root / "by_kind" / "right").iterdir():
        if path.name.endswith("_1.png"):
            path.unlink()  # the right view of every walk's first set gone: optional, counted
    policy = ErrorPolicy("raise")
    moved = _read(root, policy)
    assert [(s.group, s.meta["frame"], s.crop_top) for s in moved] == [
        (s.group, s.meta["frame"], s.crop_top) for s in _read(twin)
    ]
    assert {s.disparity_path.parent.name for s in moved} == {"disp16"}
    assert policy.stats["sets_without_right_view"] == WALKS


def test_unmatched_files_are_counted_and_an_empty_root_is_an_error(twin: Path, tmp_path: Path) -> None:
    root = _copy(twin, tmp_path)
    (root / "depth" / "Sidewalk_19009_depth_mystery_004001_1.png").write_bytes(b"")
    (root / "depth" / "SN1234.conf").write_text("[STEREO]\nBaseLine=120\n", encoding="utf-8")
    policy = ErrorPolicy("raise")
    assert len(_read(root, policy)) == WALKS * SETS
    assert policy.stats["files_not_matching_patterns"] == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no depth set"):
        _read(tmp_path / "empty")
