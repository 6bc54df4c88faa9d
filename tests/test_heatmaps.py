"""Top-down geometry: crop affine, heatmap encode/decode round trip, flip consistency."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aihub_bench.data.heatmaps import (
    apply_affine,
    box_to_center_scale,
    crop_transform,
    decode_heatmaps,
    encode_heatmaps,
    flip_heatmaps,
    from_heatmap_coords,
    invert_affine,
    to_heatmap_coords,
)

FLIP_PAIRS = ((0, 1),)


def test_box_is_widened_to_the_input_aspect_and_padded() -> None:
    center, size = box_to_center_scale([10, 20, 30, 100], aspect=0.75, padding=1.25)
    assert center.tolist() == [20, 60]
    assert size[1] == pytest.approx(80 * 1.25) and size[0] / size[1] == pytest.approx(0.75)


@pytest.mark.parametrize("rotation", [0.0, 25.0])
def test_crop_maps_the_box_onto_the_input_and_back(rotation: float) -> None:
    center, size = np.array([50.0, 40.0]), np.array([30.0, 40.0])
    matrix = crop_transform(center, size, (64, 48), rotation)  # 64 high, 48 wide
    # the crop centre lands on the input's centre pixel, the box height spans the input height
    assert apply_affine(center, matrix) == pytest.approx([23.5, 31.5])
    if rotation == 0:
        assert apply_affine(np.array([50.0, 20.0]), matrix) == pytest.approx([23.5, -0.5])
    points = np.random.default_rng(0).uniform(20, 60, (16, 2))
    back = apply_affine(apply_affine(points, matrix), invert_affine(matrix))
    assert back == pytest.approx(points, abs=1e-4)


def test_heatmap_round_trip_is_subpixel() -> None:
    rng = np.random.default_rng(1)
    joints = rng.uniform(2, 10, (16, 2))  # heatmap space of a map 16 high, 12 wide
    heatmaps, weights = encode_heatmaps(joints, np.ones(16), (16, 12), sigma=2.0)
    assert heatmaps.shape == (16, 16, 12) and weights.tolist() == [1.0] * 16  # (J, height, width)
    coords, scores = decode_heatmaps(torch.from_numpy(heatmaps)[None])
    assert np.abs(coords[0].numpy() - joints).max() < 0.5
    assert scores.min() > 0.8


def test_joints_outside_the_heatmap_or_unlabelled_get_no_weight() -> None:
    joints = np.array([[5.0, 5.0], [20.0, 5.0], [5.0, 5.0]])
    heatmaps, weights = encode_heatmaps(joints, np.array([1.0, 1.0, 0.0]), (16, 12), sigma=2.0)
    assert weights.tolist() == [1.0, 0.0, 0.0]  # x = 20 lies beyond the 12 columns
    assert heatmaps[1].max() == 0 and heatmaps[2].max() == 0 and heatmaps[0].max() == pytest.approx(1.0)


def test_input_and_heatmap_coordinates_invert_each_other() -> None:
    points = np.array([[0.0, 0.0], [63.0, 47.0], [10.3, 7.7]])
    assert from_heatmap_coords(to_heatmap_coords(points, 4), 4) == pytest.approx(points)


def test_flipped_heatmaps_match_the_flipped_encoding_exactly() -> None:
    """Flipping the input flips x -> W-1-x and swaps left/right: flip_heatmaps must undo both."""
    width_in, stride = 48, 4
    joints_in = np.array([[10.0, 20.0], [30.0, 25.0], [24.0, 8.0]])
    flipped_in = joints_in.copy()
    flipped_in[:, 0] = width_in - 1 - flipped_in[:, 0]
    flipped_in[[0, 1]] = flipped_in[[1, 0]]
    size = (16, width_in // stride)  # (height, width)
    original, _ = encode_heatmaps(to_heatmap_coords(joints_in, stride), np.ones(3), size, 2.0)
    of_flipped, _ = encode_heatmaps(to_heatmap_coords(flipped_in, stride), np.ones(3), size, 2.0)
    restored = flip_heatmaps(torch.from_numpy(of_flipped)[None], FLIP_PAIRS)[0].numpy()
    assert restored == pytest.approx(original, abs=1e-6)
